// eval_gpu of the view primitives. Their layout logic (backend/cpu/shape.cpp) only sets
// strides and offsets on the input's storage, which is device-independent, so eval_gpu
// reuses eval_cpu. Reshape, AsStrided and View copy on the CPU when no strides express the
// result; here a non-contiguous input is first made contiguous on the GPU, after which the
// CPU logic always takes its no-copy path.
#include "ember/backend/cuda/kernels.h"
#include "ember/core/primitives/shape.h"

namespace ember {

void Reshape::eval_gpu(const std::vector<array>& inputs, array& out) {
  eval_cpu({cuda::contiguous_copy(inputs[0])}, out);
}
void AsStrided::eval_gpu(const std::vector<array>& inputs, array& out) {
  eval_cpu({cuda::contiguous_copy(inputs[0])}, out);
}
void View::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.itemsize() == out.itemsize()) {
    eval_cpu(inputs, out);
  } else {
    eval_cpu({cuda::contiguous_copy(in)}, out);
  }
}

void Transpose::eval_gpu(const std::vector<array>& inputs, array& out) { eval_cpu(inputs, out); }
void Broadcast::eval_gpu(const std::vector<array>& inputs, array& out) { eval_cpu(inputs, out); }
void Slice::eval_gpu(const std::vector<array>& inputs, array& out) { eval_cpu(inputs, out); }
void Squeeze::eval_gpu(const std::vector<array>& inputs, array& out) { eval_cpu(inputs, out); }
void ExpandDims::eval_gpu(const std::vector<array>& inputs, array& out) { eval_cpu(inputs, out); }
void Diagonal::eval_gpu(const std::vector<array>& inputs, array& out) { eval_cpu(inputs, out); }

}  // namespace ember
