// View kernels: Reshape, Transpose, Broadcast and Slice share their input's storage
// (copy_shared_buffer registers them for G2); a Reshape of non-contiguous data copies.
#include "ember/backend/cpu/strided.h"
#include "ember/core/primitives/shape.h"

namespace ember {

void Reshape::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.flags().row_contiguous) {
    out.copy_shared_buffer(in, row_major_strides(out.shape()), 0);
  } else {
    // Copy in the input's row-major order; the output reads it back with its own shape.
    cpu::allocate_output(out);
    cpu::copy_strided(in, out.raw_data(), out.dtype(), row_major_strides(in.shape()));
  }
}

void Transpose::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  Strides strides(axes_.size());
  for (size_t i = 0; i < axes_.size(); ++i) strides[i] = in.strides()[axes_[i]];
  out.copy_shared_buffer(in, std::move(strides), 0);
}

void Broadcast::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  const size_t lead = shape_.size() - in.shape().size();
  Strides strides(shape_.size(), 0);
  for (size_t i = 0; i < in.shape().size(); ++i) {
    strides[lead + i] = in.shape()[i] == 1 ? 0 : in.strides()[i];
  }
  out.copy_shared_buffer(in, std::move(strides), 0);
}

void Slice::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  Strides strides(start_.size());
  int64_t offset = 0;
  for (size_t i = 0; i < start_.size(); ++i) {
    offset += static_cast<int64_t>(start_[i]) * in.strides()[i];
    strides[i] = in.strides()[i] * strides_[i];
  }
  out.copy_shared_buffer(in, std::move(strides), out.size() == 0 ? 0 : offset);
}

}  // namespace ember
