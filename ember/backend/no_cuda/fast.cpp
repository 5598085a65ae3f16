// eval_gpu of the fused-op primitives without a CUDA kernel.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/fast/primitives.h"

namespace ember::fast {

void GatedDeltaRule::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  detail::no_gpu_kernel(name());
}

}  // namespace ember::fast
