// eval_gpu of a CapturedGraph call (core/primitives/capture.h): new inputs into the
// captured input buffers, one graph launch, the captured outputs into fresh buffers. All
// on the capturing stream, so calls replay one after another.
#include "ember/backend/cuda/capture.h"

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/primitives/capture.h"

namespace ember {

void CapturedCall::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const detail::CaptureState& state = *state_;
  for (size_t i = 0; i < state.inputs.size(); ++i) {  // past them: the previous call, if any
    const array& target = state.inputs[i];
    cuda::copy_strided(inputs[i], const_cast<void*>(target.raw_data()), target.dtype(),
                       target.strides());
  }
  const auto& kernels = static_cast<const cuda::CudaCapturedKernels&>(*state.kernels);
  EMBER_CUDA_CHECK(cudaGraphLaunch(kernels.exec(), cuda::current_stream()));
  for (size_t i = 0; i < outputs.size(); ++i) {
    cuda::allocate_output(outputs[i]);
    if (outputs[i].nbytes() == 0) continue;
    EMBER_CUDA_CHECK(cudaMemcpyAsync(outputs[i].raw_data(), state.outputs[i].raw_data(),
                                     outputs[i].nbytes(), cudaMemcpyDeviceToDevice,
                                     cuda::current_stream()));
  }
}

void StateTransfer::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& buffer = state_->states[index_];
  cuda::allocate_output(out);
  if (write_) {  // inputs[0]: the value, at the start of the state
    cuda::copy_strided(inputs[0], const_cast<void*>(buffer.raw_data()), buffer.dtype(),
                       buffer.strides());
  } else if (out.nbytes() > 0) {
    EMBER_CUDA_CHECK(cudaMemcpyAsync(out.raw_data(), buffer.raw_data(), out.nbytes(),
                                     cudaMemcpyDeviceToDevice, cuda::current_stream()));
  }
}

}  // namespace ember
