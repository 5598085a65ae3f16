// View kernels: Reshape, Transpose, Broadcast, Slice, Squeeze, ExpandDims, AsStrided, View
// and Diagonal share their input's storage (copy_shared_buffer registers them for G2).
// A Reshape copies only when no strides can express it (NumPy's no-copy reshape rule);
// View and AsStrided copy a layout they cannot reinterpret, then view the copy.
#include <optional>

#include "ember/backend/cpu/strided.h"
#include "ember/core/primitives/shape.h"

namespace ember {
namespace {

// Strides that give `in` (shape, strides) the new shape without moving data, if any
// exist: each group of input dims that merges into a group of output dims must be
// contiguous within itself. Size-1 input dims place no constraint.
std::optional<Strides> reshape_strides(const Shape& in_shape, const Strides& in_strides,
                                       const Shape& shape) {
  if (shape_size(shape) == 0) return row_major_strides(shape);
  Shape old_shape;
  Strides old_strides;
  for (size_t d = 0; d < in_shape.size(); ++d) {
    if (in_shape[d] == 1) continue;
    old_shape.push_back(in_shape[d]);
    old_strides.push_back(in_strides[d]);
  }
  Strides strides(shape.size(), 1);
  const size_t old_ndim = old_shape.size(), new_ndim = shape.size();
  size_t oi = 0, ni = 0;
  while (oi < old_ndim && ni < new_ndim) {
    size_t oj = oi + 1, nj = ni + 1;
    int64_t old_size = old_shape[oi], new_size = shape[ni];
    while (old_size != new_size) {
      if (new_size < old_size) {
        new_size *= shape[nj++];
      } else {
        old_size *= old_shape[oj++];
      }
    }
    for (size_t k = oi; k + 1 < oj; ++k) {
      if (old_strides[k] != old_strides[k + 1] * old_shape[k + 1]) return std::nullopt;
    }
    strides[nj - 1] = old_strides[oj - 1];
    for (size_t k = nj - 1; k > ni; --k) strides[k - 1] = strides[k] * shape[k];
    oi = oj;
    ni = nj;
  }
  return strides;  // any remaining output dims have size 1
}

// Gives `out` its own row-major copy of `in`'s elements, laid out with `strides` and
// `offset_elements` into that copy.
void view_of_copy(const array& in, array& out, Strides strides, int64_t offset_elements) {
  auto storage = detail::Storage::allocate(in.nbytes(), Device(Device::cpu));
  cpu::copy_strided(in, storage->data(), in.dtype(), row_major_strides(in.shape()));
  out.set_data(std::move(storage), std::move(strides),
               offset_elements * static_cast<int64_t>(out.itemsize()));
}

}  // namespace

void Reshape::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.flags().row_contiguous) {
    out.copy_shared_buffer(in, row_major_strides(out.shape()), 0);
  } else if (auto strides = reshape_strides(in.shape(), in.strides(), out.shape())) {
    out.copy_shared_buffer(in, std::move(*strides), 0);
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

void Squeeze::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  Strides strides;
  size_t next = 0;
  for (int d = 0; d < in.ndim(); ++d) {
    if (next < axes_.size() && axes_[next] == d) {
      ++next;
      continue;
    }
    strides.push_back(in.strides()[d]);
  }
  out.copy_shared_buffer(in, std::move(strides), 0);
}

void ExpandDims::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  Strides strides(out.ndim());
  size_t next = 0, source = 0;
  for (int d = 0; d < out.ndim(); ++d) {
    if (next < axes_.size() && axes_[next] == d) {
      ++next;
      strides[d] = 0;  // a size-1 axis: its stride is never used
    } else {
      strides[d] = in.strides()[source++];
    }
  }
  out.copy_shared_buffer(in, std::move(strides), 0);
}

void AsStrided::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (in.flags().row_contiguous) {
    out.copy_shared_buffer(in, strides_, out.size() == 0 ? 0 : offset_);
  } else {
    view_of_copy(in, out, strides_, out.size() == 0 ? 0 : offset_);
  }
}

void View::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  const int64_t in_bytes = static_cast<int64_t>(in.itemsize());
  const int64_t out_bytes = static_cast<int64_t>(out.itemsize());
  if (in_bytes == out_bytes) {
    out.copy_shared_buffer(in, in.strides(), 0);
    return;
  }
  if (in.flags().row_contiguous) {
    out.copy_shared_buffer(in, row_major_strides(out.shape()), 0);
    return;
  }
  if (out_bytes < in_bytes && in.strides().back() == 1) {
    // Each input element splits into ratio output elements along the last axis.
    Strides strides = in.strides();
    for (size_t d = 0; d + 1 < strides.size(); ++d) strides[d] *= in_bytes / out_bytes;
    out.copy_shared_buffer(in, std::move(strides), 0);
    return;
  }
  view_of_copy(in, out, row_major_strides(out.shape()), 0);
}

void Diagonal::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  Strides strides;
  for (int d = 0; d < in.ndim(); ++d) {
    if (d != axis1_ && d != axis2_) strides.push_back(in.strides()[d]);
  }
  strides.push_back(in.strides()[axis1_] + in.strides()[axis2_]);
  const int64_t offset = offset_ >= 0 ? offset_ * in.strides()[axis2_]
                                      : -static_cast<int64_t>(offset_) * in.strides()[axis1_];
  out.copy_shared_buffer(in, std::move(strides), out.size() == 0 ? 0 : offset);
}

}  // namespace ember
