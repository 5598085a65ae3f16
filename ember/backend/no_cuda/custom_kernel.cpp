// eval_gpu of fast::cuda_kernel in a build without CUDA.
#include "ember/fast/custom_kernel.h"

#include "ember/backend/no_cuda/no_gpu.h"

namespace ember::fast {

void CustomKernel::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  detail::no_gpu_kernel(name());
}

}  // namespace ember::fast
