// eval_gpu of the fused-op primitives (fast/primitives.h).
#include "ember/backend/cuda/fast_launch.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/errors.h"
#include "ember/fast/primitives.h"

namespace ember::fast {

void GatedDeltaRule::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  std::vector<array> in;
  for (const auto& a : inputs) in.push_back(cuda::contiguous_copy(a));
  array& y = outputs[0];
  array& state_out = outputs[1];
  cuda::allocate_output(y);
  cuda::allocate_output(state_out);
  const array &q = in[0], &v = in[2];
  auto f = [](const array& a) { return static_cast<const float*>(a.raw_data()); };
  const bool launched = cuda::launch_gated_delta_rule(
      f(in[0]), f(in[1]), f(in[2]), f(in[3]), f(in[4]), f(in[5]), static_cast<float*>(y.raw_data()),
      static_cast<float*>(state_out.raw_data()), q.shape(0), q.shape(1), q.shape(2), v.shape(2),
      q.shape(3), v.shape(3));
  EMBER_CHECK(launched, NotImplementedError, "[", name(), "] state of ", q.shape(3), " x ",
              v.shape(3), " per head does not fit one block's shared memory on this GPU");
}

}  // namespace ember::fast
