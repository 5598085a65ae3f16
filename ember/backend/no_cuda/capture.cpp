// eval_gpu of capture_graph's nodes without CUDA (capture_graph refuses non-GPU streams, so
// only a hand-made node reaches them).
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/capture.h"

namespace ember {

void CapturedCall::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  detail::no_gpu_kernel(name());
}

void StateUpdate::eval_gpu(const std::vector<array>&, array&) { detail::no_gpu_kernel(name()); }

void StateTransfer::eval_gpu(const std::vector<array>&, array&) { detail::no_gpu_kernel(name()); }

}  // namespace ember
