// eval_gpu of the random primitives without a CUDA kernel.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/random.h"

namespace ember {

EMBER_NO_GPU(RandomBits)
EMBER_NO_GPU(RandomTransform)

}  // namespace ember
