// Reductions. Three paths: trailing axes of row-contiguous data (one accumulator per
// output, eight partial sums for floats), leading axes of row-contiguous data (a row of
// accumulators swept per reduced row), and a general strided walk into an accumulator
// buffer. 16-bit floats accumulate in float.
#include <algorithm>
#include <limits>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/functors.h"
#include "ember/core/primitives/reduce.h"

namespace ember {
namespace {

template <class T>
using Accumulator = std::conditional_t<HalfFloat<T>, float, T>;

template <class T>
struct SumReducer {
  using Acc = Accumulator<T>;
  static Acc init() { return Acc(0); }
  static Acc combine(Acc a, Acc b) { return static_cast<Acc>(a + b); }
};
template <class T>
struct ProdReducer {
  using Acc = Accumulator<T>;
  static Acc init() { return Acc(1); }
  static Acc combine(Acc a, Acc b) { return static_cast<Acc>(a * b); }
};
template <class T>
struct MaxReducer {
  using Acc = Accumulator<T>;
  static Acc init() {
    if constexpr (std::is_same_v<Acc, complex64_t>) {
      return Acc(-std::numeric_limits<float>::infinity(), 0.0f);
    } else if constexpr (std::numeric_limits<Acc>::has_infinity) {
      return -std::numeric_limits<Acc>::infinity();
    } else {
      return std::numeric_limits<Acc>::lowest();
    }
  }
  static Acc combine(Acc a, Acc b) { return functors::Maximum{}(a, b); }
};
template <class T>
struct MinReducer {
  using Acc = Accumulator<T>;
  static Acc init() {
    if constexpr (std::is_same_v<Acc, complex64_t>) {
      return Acc(std::numeric_limits<float>::infinity(), 0.0f);
    } else if constexpr (std::numeric_limits<Acc>::has_infinity) {
      return std::numeric_limits<Acc>::infinity();
    } else {
      return std::numeric_limits<Acc>::max();
    }
  }
  static Acc combine(Acc a, Acc b) {
    if constexpr (std::is_same_v<Acc, complex64_t>) {
      return functors::Maximum{}(a, b) == a ? b : a;
    } else {
      if (a != a) return a;  // NaN propagates, from either side (as in Maximum)
      if (b != b) return b;
      return b < a ? b : a;
    }
  }
};

struct AllReducer {
  using Acc = bool;
  static Acc init() { return true; }
  static Acc combine(Acc a, Acc b) { return a && b; }
};
struct AnyReducer {
  using Acc = bool;
  static Acc init() { return false; }
  static Acc combine(Acc a, Acc b) { return a || b; }
};

template <class R, class T>
void reduce_kernel(const array& in, array& out, const std::vector<int>& axes) {
  using Acc = typename R::Acc;
  const T* src = static_cast<const T*>(in.raw_data());
  T* dst = static_cast<T*>(out.raw_data());
  const int ndim = in.ndim();
  const size_t out_size = out.size();
  const size_t in_size = in.size();
  const bool trailing = !axes.empty() && axes.back() == ndim - 1 &&
                        axes.front() == ndim - static_cast<int>(axes.size());
  const bool leading = !axes.empty() && axes.front() == 0 &&
                       axes.back() == static_cast<int>(axes.size()) - 1;
  if (out_size == 0) return;
  if (in.flags().row_contiguous && (trailing || axes.empty())) {
    const size_t inner = in_size / out_size;
    for (size_t o = 0; o < out_size; ++o) {
      const T* row = src + o * inner;
      Acc partial[8];
      for (auto& p : partial) p = R::init();
      size_t i = 0;
      for (; i + 8 <= inner; i += 8) {
        for (int k = 0; k < 8; ++k) partial[k] = R::combine(partial[k], static_cast<Acc>(row[i + k]));
      }
      Acc acc = R::init();
      for (; i < inner; ++i) acc = R::combine(acc, static_cast<Acc>(row[i]));
      for (const auto& p : partial) acc = R::combine(acc, p);
      dst[o] = static_cast<T>(acc);
    }
    return;
  }
  std::vector<Acc> acc(out_size, R::init());
  if (in.flags().row_contiguous && leading) {
    const size_t rows = in_size / out_size;
    for (size_t r = 0; r < rows; ++r) {
      const T* row = src + r * out_size;
      for (size_t i = 0; i < out_size; ++i) acc[i] = R::combine(acc[i], static_cast<Acc>(row[i]));
    }
  } else {
    // Walk the input; each element lands on its output (reduced axes have stride 0).
    Strides acc_strides = row_major_strides(out.shape());
    for (int axis : axes) acc_strides[axis] = 0;
    cpu::for_each_strided<2>(in.shape(), {in.strides(), acc_strides},
                             [&](const std::array<int64_t, 2>& o) {
                               acc[o[1]] = R::combine(acc[o[1]], static_cast<Acc>(src[o[0]]));
                             });
  }
  for (size_t i = 0; i < out_size; ++i) dst[i] = static_cast<T>(acc[i]);
}

}  // namespace

void Reduce::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  cpu::allocate_output(out);
  dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (type_) {
      case Type::sum: return reduce_kernel<SumReducer<T>, T>(in, out, axes_);
      case Type::prod: return reduce_kernel<ProdReducer<T>, T>(in, out, axes_);
      case Type::max: return reduce_kernel<MaxReducer<T>, T>(in, out, axes_);
      case Type::min: return reduce_kernel<MinReducer<T>, T>(in, out, axes_);
      case Type::all:
      case Type::any:
        if constexpr (std::is_same_v<T, bool>) {
          if (type_ == Type::all) return reduce_kernel<AllReducer, T>(in, out, axes_);
          return reduce_kernel<AnyReducer, T>(in, out, axes_);
        } else {
          throw RuntimeError("internal error: all/any on a non-bool input");
        }
    }
  });
}

}  // namespace ember
