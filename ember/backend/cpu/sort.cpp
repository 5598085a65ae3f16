// SortAxis on the CPU: each row along the axis is copied out, its indices are ordered with
// std::stable_sort (sort, argsort) or std::nth_element (partition, argpartition), and the
// values or uint32 indices are written back. NaNs order after every number.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/sort.h"

namespace ember {
namespace {

template <class T>
bool sort_less(const T& x, const T& y) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return x.real() < y.real() || (x.real() == y.real() && x.imag() < y.imag());
  } else if constexpr (HalfFloat<T> || std::is_floating_point_v<T>) {
    using F = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const F fx = static_cast<F>(x), fy = static_cast<F>(y);
    if (std::isnan(fy)) return !std::isnan(fx);
    if (std::isnan(fx)) return false;
    return fx < fy;
  } else {
    return x < y;
  }
}

template <class T>
void sort_rows(const array& in, array& out, SortKind kind, int axis, int kth) {
  const int64_t n = in.shape()[axis];
  if (n == 0 || in.size() == 0) return;
  Shape outer_shape;
  Strides in_outer, out_outer;
  for (int d = 0; d < in.ndim(); ++d) {
    if (d == axis) continue;
    outer_shape.push_back(in.shape()[d]);
    in_outer.push_back(in.strides()[d]);
    out_outer.push_back(out.strides()[d]);
  }
  const int64_t in_step = in.strides()[axis];
  const int64_t out_step = out.strides()[axis];
  const T* src = static_cast<const T*>(in.raw_data());
  const bool indices = kind == SortKind::argsort || kind == SortKind::argpartition;
  std::vector<T> row(n);
  std::vector<uint32_t> order(n);
  auto less = [&](uint32_t x, uint32_t y) { return sort_less(row[x], row[y]); };
  cpu::for_each_strided<2>(outer_shape, {in_outer, out_outer}, [&](const std::array<int64_t, 2>& o) {
    for (int64_t j = 0; j < n; ++j) row[j] = src[o[0] + j * in_step];
    std::iota(order.begin(), order.end(), 0u);
    if (kind == SortKind::sort || kind == SortKind::argsort) {
      std::stable_sort(order.begin(), order.end(), less);
    } else {
      std::nth_element(order.begin(), order.begin() + kth, order.end(), less);
    }
    if (indices) {
      uint32_t* dst = static_cast<uint32_t*>(out.raw_data()) + o[1];
      for (int64_t j = 0; j < n; ++j) dst[j * out_step] = order[j];
    } else {
      T* dst = static_cast<T*>(out.raw_data()) + o[1];
      for (int64_t j = 0; j < n; ++j) dst[j * out_step] = row[order[j]];
    }
  });
}

}  // namespace

void SortAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  cpu::allocate_output(out);
  dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    sort_rows<T>(in, out, kind_, axis_, kth_);
  });
}

}  // namespace ember
