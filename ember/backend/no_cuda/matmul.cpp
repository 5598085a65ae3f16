// eval_gpu of Matmul without CUDA.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/matmul.h"

namespace ember {

EMBER_NO_GPU(Matmul)

}  // namespace ember
