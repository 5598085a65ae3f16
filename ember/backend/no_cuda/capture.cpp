// eval_gpu of a CapturedGraph call without CUDA (capture_graph refuses non-GPU streams, so
// only a hand-made node reaches it).
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/capture.h"

namespace ember {

void CapturedCall::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  detail::no_gpu_kernel(name());
}

}  // namespace ember
