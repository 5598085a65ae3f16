// eval_gpu of the sorting primitives without a CUDA kernel.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/sort.h"

namespace ember {

EMBER_NO_GPU(SortAxis)

}  // namespace ember
