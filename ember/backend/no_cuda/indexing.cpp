// eval_gpu of the indexing primitives without a CUDA kernel.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/indexing.h"

namespace ember {

EMBER_NO_GPU(Gather)
EMBER_NO_GPU(Scatter)
EMBER_NO_GPU(GatherAxis)
EMBER_NO_GPU(ScatterAxis)
EMBER_NO_GPU(SliceUpdate)
EMBER_NO_GPU(DynamicSlice)
EMBER_NO_GPU(DynamicSliceUpdate)

}  // namespace ember
