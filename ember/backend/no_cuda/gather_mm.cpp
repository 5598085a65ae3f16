// eval_gpu of GatherMM without a CUDA kernel.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/matmul.h"

namespace ember {

EMBER_NO_GPU(GatherMM)

}  // namespace ember
