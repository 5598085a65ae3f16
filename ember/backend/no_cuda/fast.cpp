// eval_gpu of the fused-op primitives without a CUDA kernel.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/fast/primitives.h"

namespace ember::fast {

EMBER_NO_GPU(RMSNorm)
EMBER_NO_GPU(LayerNorm)
EMBER_NO_GPU(RoPE)

void GatedDeltaRule::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  detail::no_gpu_kernel(name());
}

void CausalConv1dUpdate::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  detail::no_gpu_kernel(name());
}

EMBER_NO_GPU(ScaledDotProductAttention)
EMBER_NO_GPU(MatmulSwiGlu)

}  // namespace ember::fast
