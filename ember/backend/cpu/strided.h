// Walking N strided views of one shape together, in row-major order of the shape.
//
//   for_each_strided<2>(out.shape(), {in.strides(), out_strides}, [&](auto offsets) {
//     dst[offsets[1]] = src[offsets[0]];
//   });
//
// Dimensions that are contiguous in every view are merged first, so a row-contiguous
// walk is one flat loop.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/storage.h"

namespace ember::cpu {

template <size_t N>
struct Collapsed {
  Shape shape;
  std::array<Strides, N> strides;
};

template <size_t N>
Collapsed<N> collapse_dims(const Shape& shape, const std::array<Strides, N>& strides) {
  Collapsed<N> out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !out.shape.empty();
    for (size_t k = 0; merge && k < N; ++k) {
      merge = out.strides[k].back() == strides[k][d] * shape[d];
    }
    if (merge) {
      out.shape.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) out.strides[k].back() = strides[k][d];
    } else {
      out.shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) out.strides[k].push_back(strides[k][d]);
    }
  }
  return out;
}

template <size_t N, class F>
void for_each_strided(const Shape& shape, const std::array<Strides, N>& strides, F&& f) {
  if (shape_size(shape) == 0) return;
  const Collapsed<N> c = collapse_dims<N>(shape, strides);
  std::array<int64_t, N> base{};
  if (c.shape.empty()) {
    f(base);
    return;
  }
  const int nd = static_cast<int>(c.shape.size());
  const int32_t inner = c.shape[nd - 1];
  std::array<int64_t, N> inner_stride;
  for (size_t k = 0; k < N; ++k) inner_stride[k] = c.strides[k][nd - 1];
  std::vector<int32_t> counter(nd, 0);
  const size_t outer = shape_size(c.shape) / static_cast<size_t>(inner);
  for (size_t o = 0; o < outer; ++o) {
    std::array<int64_t, N> offsets = base;
    for (int32_t i = 0; i < inner; ++i) {
      f(offsets);
      for (size_t k = 0; k < N; ++k) offsets[k] += inner_stride[k];
    }
    for (int d = nd - 2; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k) base[k] += c.strides[k][d];
      if (++counter[d] < c.shape[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= c.strides[k][d] * c.shape[d];
      counter[d] = 0;
    }
  }
}

/// Gives `out` fresh row-contiguous CPU storage of its size.
inline void allocate_output(array& out) {
  out.set_data(detail::Storage::allocate(out.nbytes(), Device(Device::cpu)));
}

/// Whether every stride of `a` is 0: one element broadcast to its shape.
inline bool is_scalar_broadcast(const array& a) {
  for (auto s : a.strides()) {
    if (s != 0) return false;
  }
  return true;
}

/// For elementwise kernels: reuses the buffer of an input that nothing else refers to and
/// whose dtype matches (donation), else allocates. Read the inputs' data pointers first: a
/// donated input loses its storage.
inline void donate_or_allocate(const std::vector<array>& inputs, array& out) {
  for (const auto& in : inputs) {
    if (in.dtype() == out.dtype() && out.is_donatable(in)) {
      out.move_shared_buffer(in);
      return;
    }
  }
  allocate_output(out);
}

/// Copies `in` (any strides) into `dst` laid out with `dst_strides`, converting dtypes.
void copy_strided(const array& in, void* dst, Dtype dst_dtype, const Strides& dst_strides);

/// Copies `in` into `out`'s fresh row-contiguous storage (converting to out's dtype).
void copy_to_new(const array& in, array& out);

/// `a`'s elements (any dtype and strides) as row-contiguous float32 values.
inline std::vector<float> floats_of(const array& a) {
  std::vector<float> values(a.size());
  copy_strided(a, values.data(), float32, row_major_strides(a.shape()));
  return values;
}

}  // namespace ember::cpu
