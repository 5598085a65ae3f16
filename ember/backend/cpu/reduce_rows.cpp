// Row kernels along the last axis of row-contiguous input: ArgReduce, LogSumExp, Softmax;
// and Scan along any axis. 16-bit floats compute in float.
#include <cmath>
#include <limits>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/reduce.h"

namespace ember {
namespace {

template <class T>
using Compute = std::conditional_t<HalfFloat<T>, float, T>;

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<Compute<T>>) {
    return std::isnan(static_cast<Compute<T>>(x));
  } else {
    return false;
  }
}

// The row view of a (..., n) row-contiguous input: rows and their length.
struct Rows {
  size_t count;
  size_t length;
};
Rows rows_of(const array& in) {
  const size_t length = in.ndim() == 0 ? 1 : static_cast<size_t>(in.shape(-1));
  return {length == 0 ? 0 : in.size() / length, length};
}

}  // namespace

void ArgReduce::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  cpu::allocate_output(out);
  const Rows rows = rows_of(in);
  uint32_t* dst = static_cast<uint32_t*>(out.raw_data());
  dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, complex64_t>) {
      throw RuntimeError("internal error: ArgReduce on complex64");
    } else {
      const T* src = static_cast<const T*>(in.raw_data());
      for (size_t r = 0; r < rows.count; ++r) {
        const T* row = src + r * rows.length;
        uint32_t best = 0;
        for (size_t i = 1; i < rows.length && !is_nan(row[best]); ++i) {
          const auto value = static_cast<Compute<T>>(row[i]);
          const auto current = static_cast<Compute<T>>(row[best]);
          const bool better = type_ == Type::argmax ? value > current : value < current;
          if (better || is_nan(row[i])) best = static_cast<uint32_t>(i);
        }
        dst[r] = best;
      }
    }
  });
}

// Calls f(row, out_row, length, row_max) for each row of a floating input, with the row's
// maximum in the compute type (NaNs do not win the maximum; they propagate through f).
template <class F>
void for_each_float_row(const array& in, array& out, size_t out_row_length, F&& f) {
  const Rows rows = rows_of(in);
  dispatch_float_types(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = Compute<T>;
    const T* src = static_cast<const T*>(in.raw_data());
    T* dst = static_cast<T*>(out.raw_data());
    for (size_t r = 0; r < rows.count; ++r) {
      const T* row = src + r * rows.length;
      C top = -std::numeric_limits<C>::infinity();
      for (size_t i = 0; i < rows.length; ++i) top = std::max(top, static_cast<C>(row[i]));
      f(row, dst + r * out_row_length, rows.length, top);
    }
  });
}

void LogSumExp::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  for_each_float_row(inputs[0], out, 1, [](const auto* row, auto* dst, size_t n, auto top) {
    using C = decltype(top);
    using T = std::remove_cvref_t<decltype(*row)>;
    if (std::isinf(top)) {  // all -inf gives -inf; any +inf gives +inf (NaN if any NaN)
      bool nan = false;
      for (size_t i = 0; i < n; ++i) nan |= std::isnan(static_cast<C>(row[i]));
      *dst = static_cast<T>(nan ? std::numeric_limits<C>::quiet_NaN() : top);
      return;
    }
    C total = 0;
    for (size_t i = 0; i < n; ++i) total += std::exp(static_cast<C>(row[i]) - top);
    *dst = static_cast<T>(top + std::log(total));
  });
}

void Softmax::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  const size_t length = rows_of(inputs[0]).length;
  std::vector<double> exps(length);  // wide enough for every compute type
  for_each_float_row(inputs[0], out, length, [&](const auto* row, auto* dst, size_t n, auto top) {
    using C = decltype(top);
    using T = std::remove_cvref_t<decltype(*row)>;
    C total = 0;
    for (size_t i = 0; i < n; ++i) {
      const C e = std::exp(static_cast<C>(row[i]) - top);
      exps[i] = e;
      total += e;
    }
    const C scale = C(1) / total;
    for (size_t i = 0; i < n; ++i) dst[i] = static_cast<T>(static_cast<C>(exps[i]) * scale);
  });
}

}  // namespace ember

namespace ember {
namespace {

template <class C>
C scan_identity(Scan::Type type) {
  switch (type) {
    case Scan::Type::sum: return C(0);
    case Scan::Type::prod: return C(1);
    case Scan::Type::logaddexp:
      if constexpr (std::numeric_limits<C>::has_infinity) return -std::numeric_limits<C>::infinity();
      return C(0);
    case Scan::Type::max:
      if constexpr (std::numeric_limits<C>::has_infinity) return -std::numeric_limits<C>::infinity();
      return std::numeric_limits<C>::lowest();
    case Scan::Type::min:
      if constexpr (std::numeric_limits<C>::has_infinity) return std::numeric_limits<C>::infinity();
      return std::numeric_limits<C>::max();
  }
  return C(0);
}

template <class C>
C scan_combine(Scan::Type type, C acc, C x) {
  switch (type) {
    case Scan::Type::sum: return static_cast<C>(acc + x);
    case Scan::Type::prod: return static_cast<C>(acc * x);
    case Scan::Type::max:
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<C>::quiet_NaN();
      }
      return x > acc ? x : acc;
    case Scan::Type::min:
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<C>::quiet_NaN();
      }
      return x < acc ? x : acc;
    case Scan::Type::logaddexp:
      if constexpr (std::is_floating_point_v<C>) {
        const C top = std::max(acc, x);
        if (std::isinf(top) && top < 0) return top;
        if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<C>::quiet_NaN();
        return top + std::log1p(std::exp(-std::abs(acc - x)));
      }
      return x;
  }
  return x;
}

}  // namespace

void Scan::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  cpu::allocate_output(out);
  if (in.size() == 0) return;
  const int64_t length = in.shape(axis_);
  // Walk every line along the axis: iterate the other dims with the axis collapsed to 1.
  Shape outer_shape = in.shape();
  outer_shape[axis_] = 1;
  const int64_t in_step = in.strides()[axis_];
  const int64_t out_step = out.strides()[axis_];
  dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, complex64_t>) {
      throw RuntimeError(detail::concat("internal error: Scan on ", in.dtype()));
    } else {
      using C = Compute<T>;
      const T* src = static_cast<const T*>(in.raw_data());
      T* dst = static_cast<T*>(out.raw_data());
      cpu::for_each_strided<2>(outer_shape, {in.strides(), out.strides()},
                               [&](const std::array<int64_t, 2>& o) {
        C acc = scan_identity<C>(type_);
        for (int64_t k = 0; k < length; ++k) {
          const int64_t i = reverse_ ? length - 1 - k : k;
          const C x = static_cast<C>(src[o[0] + i * in_step]);
          if (inclusive_) {
            acc = scan_combine<C>(type_, acc, x);
            dst[o[1] + i * out_step] = static_cast<T>(acc);
          } else {
            dst[o[1] + i * out_step] = static_cast<T>(acc);
            acc = scan_combine<C>(type_, acc, x);
          }
        }
      });
    }
  });
}

}  // namespace ember
