// Gather, Scatter, GatherAxis and ScatterAxis on the CPU. Index arrays of any integer dtype
// are read once into int64 in row-major order; every index is checked (negative values wrap,
// as in MLX) before the kernel reads or writes through it, and a bad one throws IndexError.
// Data moves as raw words of the item size; only combining scatters dispatch on the dtype.
#include <cmath>
#include <cstring>
#include <limits>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/indexing.h"

namespace ember {
namespace {

// The values of an integer array in row-major order of its shape.
std::vector<int64_t> read_indices(const array& idx) {
  std::vector<int64_t> values(idx.size());
  dispatch_all_types(idx.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const T* src = static_cast<const T*>(idx.raw_data());
      size_t i = 0;
      cpu::for_each_strided<1>(idx.shape(), {idx.strides()}, [&](const std::array<int64_t, 1>& o) {
        const T v = src[o[0]];
        if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
          values[i++] = v > static_cast<T>(std::numeric_limits<int64_t>::max())
                            ? std::numeric_limits<int64_t>::max()
                            : static_cast<int64_t>(v);
        } else {
          values[i++] = static_cast<int64_t>(v);
        }
      });
    } else {
      EMBER_INTERNAL_ASSERT(false, "index array of dtype ", idx.dtype());
    }
  });
  return values;
}

// The start of a window of `window` elements at `index` on an axis of size n: negatives
// wrap; the window must fit.
int64_t checked_start(int64_t index, int64_t n, int64_t window, int axis) {
  const int64_t start = index < 0 ? index + n : index;
  if (start < 0 || start + window > n) {
    if (window == 1) {
      throw IndexError(detail::concat("index ", index, " is out of bounds for axis ", axis,
                                      " of size ", n));
    }
    throw IndexError(detail::concat("a window of ", window, " elements at index ", index,
                                    " does not fit axis ", axis, " of size ", n));
  }
  return start;
}

// Offsets of every element of a window of `shape` through `strides`, in row-major order.
std::vector<int64_t> window_offsets(const Shape& shape, const Strides& strides) {
  std::vector<int64_t> offsets;
  offsets.reserve(shape_size(shape));
  cpu::for_each_strided<1>(shape, {strides},
                           [&](const std::array<int64_t, 1>& o) { offsets.push_back(o[0]); });
  return offsets;
}

// Gives `out` a row-major copy of `src` (or src's buffer, when it can be donated).
void init_from(const array& src, array& out) {
  if (out.is_donatable(src)) {
    out.move_shared_buffer(src);
  } else {
    cpu::copy_to_new(src, out);
  }
}

template <class F>
void dispatch_words(size_t itemsize, F&& f) {
  switch (itemsize) {
    case 1: return f(TypeTag<uint8_t>{});
    case 2: return f(TypeTag<uint16_t>{});
    case 4: return f(TypeTag<uint32_t>{});
    default: return f(TypeTag<uint64_t>{});
  }
}

// Combining rules of the scatters; bool uses or/and, complex orders lexicographically.
template <class T>
bool greater(const T& x, const T& y) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return x.real() > y.real() || (x.real() == y.real() && x.imag() > y.imag());
  } else if constexpr (HalfFloat<T>) {
    return static_cast<float>(x) > static_cast<float>(y);
  } else {
    return x > y;
  }
}
template <class T>
bool is_nan(const T& x) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(x);
  } else if constexpr (HalfFloat<T>) {
    return std::isnan(static_cast<float>(x));
  } else {
    return false;
  }
}

template <class T>
T combine(Scatter::ReduceType type, const T& current, const T& update) {
  switch (type) {
    case Scatter::ReduceType::sum:
      if constexpr (std::is_same_v<T, bool>) return current || update;
      else return static_cast<T>(current + update);
    case Scatter::ReduceType::prod:
      if constexpr (std::is_same_v<T, bool>) return current && update;
      else return static_cast<T>(current * update);
    case Scatter::ReduceType::max:
      if (is_nan(current)) return current;
      return is_nan(update) || greater(update, current) ? update : current;
    case Scatter::ReduceType::min:
      if (is_nan(current)) return current;
      return is_nan(update) || greater(current, update) ? update : current;
    case Scatter::ReduceType::none: break;
  }
  return update;
}

}  // namespace

void Gather::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  cpu::allocate_output(out);
  const size_t num_index_arrays = inputs.size() - 1;
  std::vector<std::vector<int64_t>> indices;
  for (size_t j = 0; j < num_index_arrays; ++j) indices.push_back(read_indices(inputs[1 + j]));
  const size_t count = num_index_arrays == 0 ? 1 : inputs[1].size();
  std::vector<int64_t> bases(count, 0);
  for (size_t j = 0; j < num_index_arrays; ++j) {
    const int axis = axes_[j];
    for (size_t i = 0; i < count; ++i) {
      bases[i] += checked_start(indices[j][i], a.shape()[axis], slice_sizes_[axis], axis) *
                  a.strides()[axis];
    }
  }
  const std::vector<int64_t> window = window_offsets(slice_sizes_, a.strides());
  if (window.empty()) return;
  bool dense = true;
  for (size_t e = 0; e < window.size(); ++e) dense &= window[e] == static_cast<int64_t>(e);
  const size_t itemsize = a.itemsize();
  dispatch_words(itemsize, [&](auto tag) {
    using W = typename decltype(tag)::type;
    const W* src = static_cast<const W*>(a.raw_data());
    W* dst = static_cast<W*>(out.raw_data());
    for (size_t i = 0; i < count; ++i) {
      W* row = dst + i * window.size();
      if (dense) {
        std::memcpy(row, src + bases[i], window.size() * itemsize);
      } else {
        for (size_t e = 0; e < window.size(); ++e) row[e] = src[bases[i] + window[e]];
      }
    }
  });
}

void Scatter::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& updates = inputs.back();
  init_from(a, out);
  const size_t num_index_arrays = inputs.size() - 2;
  const int index_ndim = updates.ndim() - a.ndim();
  const Shape index_shape(updates.shape().begin(), updates.shape().begin() + index_ndim);
  const Strides index_strides(updates.strides().begin(), updates.strides().begin() + index_ndim);
  const Shape window_shape(updates.shape().begin() + index_ndim, updates.shape().end());
  const Strides window_strides(updates.strides().begin() + index_ndim, updates.strides().end());
  const Strides& out_strides = out.strides();

  std::vector<std::vector<int64_t>> indices;
  for (size_t j = 0; j < num_index_arrays; ++j) indices.push_back(read_indices(inputs[1 + j]));
  const size_t count = shape_size(index_shape);
  std::vector<int64_t> out_bases(count, 0);
  for (size_t j = 0; j < num_index_arrays; ++j) {
    const int axis = axes_[j];
    for (size_t i = 0; i < count; ++i) {
      out_bases[i] += checked_start(indices[j][i], a.shape()[axis], window_shape[axis], axis) *
                      out_strides[axis];
    }
  }
  const std::vector<int64_t> update_bases = window_offsets(index_shape, index_strides);
  const std::vector<int64_t> out_window = window_offsets(window_shape, out_strides);
  const std::vector<int64_t> update_window = window_offsets(window_shape, window_strides);
  if (count == 0 || out_window.empty()) return;

  if (reduce_ == ReduceType::none) {
    dispatch_words(out.itemsize(), [&](auto tag) {
      using W = typename decltype(tag)::type;
      const W* src = static_cast<const W*>(updates.raw_data());
      W* dst = static_cast<W*>(out.raw_data());
      for (size_t i = 0; i < count; ++i) {
        for (size_t e = 0; e < out_window.size(); ++e) {
          dst[out_bases[i] + out_window[e]] = src[update_bases[i] + update_window[e]];
        }
      }
    });
    return;
  }
  dispatch_all_types(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(updates.raw_data());
    T* dst = static_cast<T*>(out.raw_data());
    for (size_t i = 0; i < count; ++i) {
      for (size_t e = 0; e < out_window.size(); ++e) {
        T& target = dst[out_bases[i] + out_window[e]];
        target = combine(reduce_, target, src[update_bases[i] + update_window[e]]);
      }
    }
  });
}

void GatherAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  cpu::allocate_output(out);
  const std::vector<int64_t> indices = read_indices(inputs[1]);
  Strides walk(a.ndim());
  for (int d = 0; d < a.ndim(); ++d) {
    walk[d] = d == axis_ || a.shape()[d] == 1 ? 0 : a.strides()[d];
  }
  const int64_t n = a.shape()[axis_];
  const int64_t step = a.strides()[axis_];
  dispatch_words(a.itemsize(), [&](auto tag) {
    using W = typename decltype(tag)::type;
    const W* src = static_cast<const W*>(a.raw_data());
    W* dst = static_cast<W*>(out.raw_data());
    size_t i = 0;
    cpu::for_each_strided<1>(out.shape(), {walk}, [&](const std::array<int64_t, 1>& o) {
      dst[i] = src[o[0] + checked_start(indices[i], n, 1, axis_) * step];
      ++i;
    });
  });
}

void ScatterAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& updates = inputs[2];
  init_from(a, out);
  const std::vector<int64_t> indices = read_indices(inputs[1]);
  const Strides& out_strides = out.strides();
  Strides walk(a.ndim());
  for (int d = 0; d < a.ndim(); ++d) {
    walk[d] = d == axis_ || a.shape()[d] == 1 ? 0 : out_strides[d];
  }
  const int64_t n = a.shape()[axis_];
  const int64_t step = out_strides[axis_];
  dispatch_all_types(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(updates.raw_data());
    T* dst = static_cast<T*>(out.raw_data());
    size_t i = 0;
    cpu::for_each_strided<2>(updates.shape(), {walk, updates.strides()},
                             [&](const std::array<int64_t, 2>& o) {
                               T& target = dst[o[0] + checked_start(indices[i], n, 1, axis_) * step];
                               if (reduce_ == ReduceType::sum) {
                                 target = combine(Scatter::ReduceType::sum, target, src[o[1]]);
                               } else {
                                 target = src[o[1]];
                               }
                               ++i;
                             });
  });
}

}  // namespace ember
