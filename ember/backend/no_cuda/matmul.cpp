// eval_gpu of Matmul and AddMM without CUDA.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/matmul.h"

namespace ember {

EMBER_NO_GPU(Matmul)
EMBER_NO_GPU(AddMM)

}  // namespace ember
