// eval_gpu of the view primitives without CUDA.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/shape.h"

namespace ember {

EMBER_NO_GPU(Reshape)
EMBER_NO_GPU(Transpose)
EMBER_NO_GPU(Broadcast)
EMBER_NO_GPU(Slice)
EMBER_NO_GPU(Squeeze)
EMBER_NO_GPU(ExpandDims)
EMBER_NO_GPU(AsStrided)
EMBER_NO_GPU(View)
EMBER_NO_GPU(Diagonal)

}  // namespace ember
