// Element functors shared by every backend, so that CPU and CUDA compute the same function.
// Each is a struct with a call operator templated on the element type, constrained to the
// types it supports (a backend instantiates it only where it is invocable). The result type
// is what the call returns: T for arithmetic, bool for comparisons and predicates, float for
// the parts of a complex. 16-bit floats compute in float and round once when stored; signed
// integer arithmetic wraps (computed in unsigned) instead of overflowing.
#pragma once

#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ember/core/half_types.h"

#if defined(__CUDACC__)
#define EMBER_HOST_DEVICE __host__ __device__
#else
#define EMBER_HOST_DEVICE
#endif

namespace ember::functors {

template <class T>
inline constexpr bool kIsComplex = std::is_same_v<T, complex64_t>;

template <class T>
concept Complex = std::is_same_v<T, complex64_t>;
template <class T>
concept RealFloat = std::is_floating_point_v<T> || HalfFloat<T>;
template <class T>
concept Inexact = RealFloat<T> || Complex<T>;
/// Integers, bool excluded.
template <class T>
concept Integer = std::is_integral_v<T> && !std::is_same_v<T, bool>;
/// Integers and bool: the bitwise types.
template <class T>
concept IntegerOrBool = std::is_integral_v<T>;
/// Everything but complex: the ordered types.
template <class T>
concept Ordered = !Complex<T>;

/// The type T computes in: float for 16-bit floats, T otherwise.
template <class T>
struct ComputeType {
  using type = T;
};
template <HalfFloat T>
struct ComputeType<T> {
  using type = float;
};
template <class T>
using compute_t = typename ComputeType<T>::type;

namespace detail {
/// The unsigned type signed arithmetic on T wraps in (never narrower than unsigned int, so
/// integer promotion cannot turn it back into a signed, overflowing int).
template <class T>
using WrapType = std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>;

template <class T>
EMBER_HOST_DEVICE constexpr T wrapping_add(T a, T b) {
  return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
}
template <class T>
EMBER_HOST_DEVICE constexpr T wrapping_sub(T a, T b) {
  return static_cast<T>(static_cast<WrapType<T>>(a) - static_cast<WrapType<T>>(b));
}
template <class T>
EMBER_HOST_DEVICE constexpr T wrapping_mul(T a, T b) {
  return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
}

template <class T>
EMBER_HOST_DEVICE bool isnan_value(T x) {
  if constexpr (Complex<T>) {
    return std::isnan(x.real()) || std::isnan(x.imag());
  } else if constexpr (RealFloat<T>) {
    return std::isnan(static_cast<compute_t<T>>(x));
  } else {
    return false;
  }
}

/// Lexicographic order for complex (real part, then imaginary), as NumPy and MLX sort them.
template <class T>
EMBER_HOST_DEVICE bool less(T a, T b) {
  if constexpr (Complex<T>) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return static_cast<compute_t<T>>(a) < static_cast<compute_t<T>>(b);
  }
}
template <class T>
EMBER_HOST_DEVICE bool equal(T a, T b) {
  return static_cast<compute_t<T>>(a) == static_cast<compute_t<T>>(b);
}
/// 1 / (1 + exp(-v)), without overflow for either sign of v.
template <class C>
EMBER_HOST_DEVICE C stable_sigmoid(C v) {
  const C e = std::exp(-std::abs(v));
  return v >= C(0) ? C(1) / (C(1) + e) : e / (C(1) + e);
}

}  // namespace detail

// ---- arithmetic ----

struct Add {
  static constexpr const char* name = "Add";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || b;
    } else if constexpr (std::is_signed_v<T> && std::is_integral_v<T>) {
      return detail::wrapping_add(a, b);
    } else {
      return static_cast<T>(a + b);
    }
  }
};
struct Subtract {
  static constexpr const char* name = "Subtract";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      return detail::wrapping_sub(a, b);
    } else {
      return static_cast<T>(a - b);
    }
  }
};
struct Multiply {
  static constexpr const char* name = "Multiply";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else if constexpr (std::is_integral_v<T>) {
      return detail::wrapping_mul(a, b);
    } else {
      return static_cast<T>(a * b);
    }
  }
};
struct Divide {
  static constexpr const char* name = "Divide";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    return static_cast<T>(a / b);
  }
};

/// NaN-propagating maximum, as MLX's `maximum`; complex compare lexicographically.
struct Maximum {
  static constexpr const char* name = "Maximum";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if (detail::isnan_value(a)) return a;
    if (detail::isnan_value(b)) return b;
    return detail::less(b, a) ? a : b;
  }
};
/// NaN-propagating minimum.
struct Minimum {
  static constexpr const char* name = "Minimum";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if (detail::isnan_value(a)) return a;
    if (detail::isnan_value(b)) return b;
    return detail::less(a, b) ? a : b;
  }
};

/// Python's floor division: the quotient rounded toward -inf. Integers: x // 0 is 0 and
/// MIN // -1 wraps to MIN (NumPy's results, without its warning). Floats follow NumPy's
/// divmod, so that a == b * (a // b) + a % b holds as closely as rounding allows.
struct FloorDivide {
  static constexpr const char* name = "FloorDivide";
  template <class T>
    requires Ordered<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else if constexpr (std::is_integral_v<T>) {
      if (b == 0) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return detail::wrapping_sub(T(0), a);
        T q = static_cast<T>(a / b);
        if (a % b != 0 && ((a < 0) != (b < 0))) --q;
        return q;
      } else {
        return static_cast<T>(a / b);
      }
    } else {
      using C = compute_t<T>;
      const C x = static_cast<C>(a), y = static_cast<C>(b);
      if (y == C(0)) return static_cast<T>(x / y);
      const C mod = std::fmod(x, y);
      C div = (x - mod) / y;
      if (mod != C(0) && ((y < C(0)) != (mod < C(0)))) div -= C(1);
      if (div == C(0)) return static_cast<T>(std::copysign(C(0), x / y));
      C floor_div = std::floor(div);
      if (div - floor_div > C(0.5)) floor_div += C(1);
      return static_cast<T>(floor_div);
    }
  }
};

/// Python's remainder: the result has the sign of the divisor. Integers: x % 0 is 0 (NumPy's
/// result); floats: x % 0 is NaN, and a zero result is +0 or -0 with the divisor's sign.
struct Remainder {
  static constexpr const char* name = "Remainder";
  template <class T>
    requires Ordered<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return false;
    } else if constexpr (std::is_integral_v<T>) {
      if (b == 0) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(0);
        T r = static_cast<T>(a % b);
        if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      } else {
        return static_cast<T>(a % b);
      }
    } else {
      using C = compute_t<T>;
      const C y = static_cast<C>(b);
      C r = std::fmod(static_cast<C>(a), y);
      if (r != C(0)) {
        if ((y < C(0)) != (r < C(0))) r += y;
      } else {
        r = std::copysign(C(0), y);
      }
      return static_cast<T>(r);
    }
  }
};

/// a ** b. Integers by repeated squaring (wrapping on overflow); a negative integer exponent
/// gives the truncated 1 / a**-b: 1 for a == 1, +-1 for a == -1, 0 otherwise (0 ** -n too).
/// bool: a ** b is a or not b.
struct Power {
  static constexpr const char* name = "Power";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || !b;
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (b < 0) {
          if (a == 1) return T(1);
          if (a == -1) return (b & 1) ? T(-1) : T(1);
          return T(0);
        }
      }
      using U = detail::WrapType<T>;
      U result = 1, base = static_cast<U>(a);
      for (T e = b; e != 0; e = static_cast<T>(e >> 1)) {
        if (e & 1) result *= base;
        base *= base;
      }
      return static_cast<T>(result);
    } else {
      using C = compute_t<T>;
      return static_cast<T>(std::pow(static_cast<C>(a), static_cast<C>(b)));
    }
  }
};

struct ArcTan2 {
  static constexpr const char* name = "ArcTan2";
  template <class T>
    requires RealFloat<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    using C = compute_t<T>;
    return static_cast<T>(std::atan2(static_cast<C>(a), static_cast<C>(b)));
  }
};

/// silu(a) * b = a * sigmoid(a) * b, rounded once: the gate of a SwiGLU feed-forward
/// (fast::swiglu).
struct SwiGlu {
  static constexpr const char* name = "SwiGlu";
  template <class T>
    requires RealFloat<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    using C = compute_t<T>;
    const C x = static_cast<C>(a);
    return static_cast<T>(x * detail::stable_sigmoid(x) * static_cast<C>(b));
  }
};

/// log(exp(a) + exp(b)) without overflow: max + log1p(exp(min - max)).
struct LogAddExp {
  static constexpr const char* name = "LogAddExp";
  template <class T>
    requires RealFloat<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    using C = compute_t<T>;
    const C x = static_cast<C>(a), y = static_cast<C>(b);
    if (std::isnan(x) || std::isnan(y)) return static_cast<T>(x + y);
    const C hi = x > y ? x : y, lo = x > y ? y : x;
    if (lo == -std::numeric_limits<C>::infinity() || hi == std::numeric_limits<C>::infinity()) {
      return static_cast<T>(hi);
    }
    return static_cast<T>(hi + std::log1p(std::exp(lo - hi)));
  }
};

// ---- comparisons (bool results) ----

struct Equal {
  static constexpr const char* name = "Equal";
  template <class T>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const { return detail::equal(a, b); }
};
/// Equal, with NaN equal to NaN (array_equal's equal_nan).
struct NaNEqual {
  static constexpr const char* name = "NaNEqual";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const {
    return detail::equal(a, b) || (detail::isnan_value(a) && detail::isnan_value(b));
  }
};
struct NotEqual {
  static constexpr const char* name = "NotEqual";
  template <class T>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const { return !detail::equal(a, b); }
};
struct Less {
  static constexpr const char* name = "Less";
  template <class T>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const { return detail::less(a, b); }
};
struct LessEqual {
  static constexpr const char* name = "LessEqual";
  template <class T>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const {
    return detail::less(a, b) || detail::equal(a, b);
  }
};
struct Greater {
  static constexpr const char* name = "Greater";
  template <class T>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const { return detail::less(b, a); }
};
struct GreaterEqual {
  static constexpr const char* name = "GreaterEqual";
  template <class T>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const {
    return detail::less(b, a) || detail::equal(a, b);
  }
};

// ---- logical and bitwise ----

struct LogicalAnd {
  static constexpr const char* name = "LogicalAnd";
  template <class T>
    requires std::is_same_v<T, bool>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const { return a && b; }
};
struct LogicalOr {
  static constexpr const char* name = "LogicalOr";
  template <class T>
    requires std::is_same_v<T, bool>
  EMBER_HOST_DEVICE bool operator()(T a, T b) const { return a || b; }
};
struct LogicalNot {
  static constexpr const char* name = "LogicalNot";
  template <class T>
    requires std::is_same_v<T, bool>
  EMBER_HOST_DEVICE bool operator()(T x) const { return !x; }
};
struct BitwiseAnd {
  static constexpr const char* name = "BitwiseAnd";
  template <class T>
    requires IntegerOrBool<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a & b); }
};
struct BitwiseOr {
  static constexpr const char* name = "BitwiseOr";
  template <class T>
    requires IntegerOrBool<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a | b); }
};
struct BitwiseXor {
  static constexpr const char* name = "BitwiseXor";
  template <class T>
    requires IntegerOrBool<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a ^ b); }
};
struct BitwiseInvert {
  static constexpr const char* name = "BitwiseInvert";
  template <class T>
    requires Integer<T>
  EMBER_HOST_DEVICE T operator()(T x) const { return static_cast<T>(~x); }
};
/// a << b; shifting by the bit width or more, or by a negative amount, gives 0 (NumPy).
struct LeftShift {
  static constexpr const char* name = "LeftShift";
  template <class T>
    requires Integer<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    constexpr T kBits = static_cast<T>(sizeof(T) * 8);
    if constexpr (std::is_signed_v<T>) {
      if (b < 0) return T(0);
    }
    if (b >= kBits) return T(0);
    return static_cast<T>(static_cast<detail::WrapType<T>>(a) << b);
  }
};
/// a >> b, arithmetic for signed types; shifting by the bit width or more, or by a negative
/// amount, gives 0 (or -1 for a negative a), as NumPy.
struct RightShift {
  static constexpr const char* name = "RightShift";
  template <class T>
    requires Integer<T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    constexpr T kBits = static_cast<T>(sizeof(T) * 8);
    if constexpr (std::is_signed_v<T>) {
      if (b < 0 || b >= kBits) return a < 0 ? T(-1) : T(0);
    } else {
      if (b >= kBits) return T(0);
    }
    return static_cast<T>(a >> b);
  }
};

// ---- selection ----

struct Select {
  static constexpr const char* name = "Select";
  template <class T>
  EMBER_HOST_DEVICE T operator()(bool condition, T x, T y) const { return condition ? x : y; }
};

// ---- unary arithmetic ----

struct Negative {
  static constexpr const char* name = "Negative";
  template <class T>
    requires(!std::is_same_v<T, bool>)
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (HalfFloat<T>) {
      T out = x;
      out.bits ^= 0x8000u;  // exact: flips the sign bit, NaN payloads and -0 included
      return out;
    } else if constexpr (std::is_integral_v<T>) {
      return detail::wrapping_sub(T(0), x);
    } else {
      return static_cast<T>(-x);
    }
  }
};
/// |x|; the magnitude (a float) for complex.
struct Abs {
  static constexpr const char* name = "Abs";
  template <class T>
  EMBER_HOST_DEVICE auto operator()(T x) const {
    if constexpr (Complex<T>) {
      return std::abs(x);
    } else if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) {
      return x;
    } else if constexpr (HalfFloat<T>) {
      T out = x;
      out.bits &= 0x7fffu;
      return out;
    } else if constexpr (std::is_floating_point_v<T>) {
      return std::abs(x);  // clears the sign of -0 too
    } else {
      return x < T(0) ? detail::wrapping_sub(T(0), x) : x;
    }
  }
};
/// -1, 0 or 1 (0 for +-0, NaN for NaN); x / |x| for complex (0 for 0).
struct Sign {
  static constexpr const char* name = "Sign";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (Complex<T>) {
      return x == T(0) ? x : x / std::abs(x);
    } else if constexpr (std::is_same_v<T, bool>) {
      return x;
    } else if constexpr (std::is_unsigned_v<T>) {
      return x != 0 ? T(1) : T(0);
    } else {
      using C = compute_t<T>;
      const C v = static_cast<C>(x);
      if constexpr (RealFloat<T>) {
        if (std::isnan(v)) return x;
      }
      return static_cast<T>(v > C(0) ? C(1) : (v < C(0) ? C(-1) : C(0)));
    }
  }
};
struct Square {
  static constexpr const char* name = "Square";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T x) const { return Multiply{}(x, x); }
};
struct Floor {
  static constexpr const char* name = "Floor";
  template <class T>
    requires Ordered<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (RealFloat<T>) {
      return static_cast<T>(std::floor(static_cast<compute_t<T>>(x)));
    } else {
      return x;
    }
  }
};
struct Ceil {
  static constexpr const char* name = "Ceil";
  template <class T>
    requires Ordered<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (RealFloat<T>) {
      return static_cast<T>(std::ceil(static_cast<compute_t<T>>(x)));
    } else {
      return x;
    }
  }
};
/// Rounds half to even (both parts of a complex); integers are unchanged.
struct Round {
  static constexpr const char* name = "Round";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (Complex<T>) {
      return T(std::nearbyint(x.real()), std::nearbyint(x.imag()));
    } else if constexpr (RealFloat<T>) {
      return static_cast<T>(std::nearbyint(static_cast<compute_t<T>>(x)));
    } else {
      return x;
    }
  }
};
struct Conjugate {
  static constexpr const char* name = "Conjugate";
  template <class T>
    requires Complex<T>
  EMBER_HOST_DEVICE T operator()(T x) const { return std::conj(x); }
};
struct Real {
  static constexpr const char* name = "Real";
  template <class T>
    requires Complex<T>
  EMBER_HOST_DEVICE float operator()(T x) const { return x.real(); }
};
struct Imag {
  static constexpr const char* name = "Imag";
  template <class T>
    requires Complex<T>
  EMBER_HOST_DEVICE float operator()(T x) const { return x.imag(); }
};

// ---- predicates (bool results) ----

struct IsNan {
  static constexpr const char* name = "IsNan";
  template <class T>
  EMBER_HOST_DEVICE bool operator()(T x) const { return detail::isnan_value(x); }
};
/// +-inf; for complex, either part infinite (NumPy).
struct IsInf {
  static constexpr const char* name = "IsInf";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE bool operator()(T x) const {
    if constexpr (Complex<T>) {
      return std::isinf(x.real()) || std::isinf(x.imag());
    } else {
      return std::isinf(static_cast<compute_t<T>>(x));
    }
  }
};
struct IsPosInf {
  static constexpr const char* name = "IsPosInf";
  template <class T>
    requires RealFloat<T>
  EMBER_HOST_DEVICE bool operator()(T x) const {
    return static_cast<compute_t<T>>(x) == std::numeric_limits<compute_t<T>>::infinity();
  }
};
struct IsNegInf {
  static constexpr const char* name = "IsNegInf";
  template <class T>
    requires RealFloat<T>
  EMBER_HOST_DEVICE bool operator()(T x) const {
    return static_cast<compute_t<T>>(x) == -std::numeric_limits<compute_t<T>>::infinity();
  }
};
/// Neither infinite nor NaN; for complex, both parts finite.
struct IsFinite {
  static constexpr const char* name = "IsFinite";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE bool operator()(T x) const {
    if constexpr (Complex<T>) {
      return std::isfinite(x.real()) && std::isfinite(x.imag());
    } else {
      return std::isfinite(static_cast<compute_t<T>>(x));
    }
  }
};

// ---- transcendental (floating and complex types; integers are promoted by the op) ----

struct Exp {
  static constexpr const char* name = "Exp";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::exp(static_cast<compute_t<T>>(x)));
  }
};
struct Expm1 {
  static constexpr const char* name = "Expm1";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (Complex<T>) {
      // exp(x) - 1 = expm1(a) cos(b) - 2 sin^2(b / 2) + i exp(a) sin(b), exact near 0.
      const float a = x.real(), b = x.imag(), s = std::sin(b / 2);
      return T(std::expm1(a) * std::cos(b) - 2 * s * s, std::exp(a) * std::sin(b));
    } else {
      return static_cast<T>(std::expm1(static_cast<compute_t<T>>(x)));
    }
  }
};
struct Log {
  static constexpr const char* name = "Log";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::log(static_cast<compute_t<T>>(x)));
  }
};
struct Log2 {
  static constexpr const char* name = "Log2";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (Complex<T>) {
      return std::log(x) / 0.693147180559945309f;
    } else {
      return static_cast<T>(std::log2(static_cast<compute_t<T>>(x)));
    }
  }
};
struct Log10 {
  static constexpr const char* name = "Log10";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::log10(static_cast<compute_t<T>>(x)));
  }
};
struct Log1p {
  static constexpr const char* name = "Log1p";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (Complex<T>) {
      // log|1 + x| = log1p(2a + a^2 + b^2) / 2 keeps the precision of small x.
      const float a = x.real(), b = x.imag();
      return T(0.5f * std::log1p(a * (2 + a) + b * b), std::atan2(b, a + 1));
    } else {
      return static_cast<T>(std::log1p(static_cast<compute_t<T>>(x)));
    }
  }
};
struct Sqrt {
  static constexpr const char* name = "Sqrt";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::sqrt(static_cast<compute_t<T>>(x)));
  }
};
struct Rsqrt {
  static constexpr const char* name = "Rsqrt";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    using C = compute_t<T>;
    return static_cast<T>(C(1) / std::sqrt(static_cast<C>(x)));
  }
};
/// 1 / (1 + exp(-x)), written so that neither branch overflows or cancels.
struct Sigmoid {
  static constexpr const char* name = "Sigmoid";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (Complex<T>) {
      return T(1) / (T(1) + std::exp(-x));
    } else {
      using C = compute_t<T>;
      return static_cast<T>(detail::stable_sigmoid(static_cast<C>(x)));
    }
  }
};
struct Sin {
  static constexpr const char* name = "Sin";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::sin(static_cast<compute_t<T>>(x)));
  }
};
struct Cos {
  static constexpr const char* name = "Cos";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::cos(static_cast<compute_t<T>>(x)));
  }
};
struct Tan {
  static constexpr const char* name = "Tan";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::tan(static_cast<compute_t<T>>(x)));
  }
};
struct ArcSin {
  static constexpr const char* name = "ArcSin";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::asin(static_cast<compute_t<T>>(x)));
  }
};
struct ArcCos {
  static constexpr const char* name = "ArcCos";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::acos(static_cast<compute_t<T>>(x)));
  }
};
struct ArcTan {
  static constexpr const char* name = "ArcTan";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::atan(static_cast<compute_t<T>>(x)));
  }
};
struct Sinh {
  static constexpr const char* name = "Sinh";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::sinh(static_cast<compute_t<T>>(x)));
  }
};
struct Cosh {
  static constexpr const char* name = "Cosh";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::cosh(static_cast<compute_t<T>>(x)));
  }
};
struct Tanh {
  static constexpr const char* name = "Tanh";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::tanh(static_cast<compute_t<T>>(x)));
  }
};
struct ArcSinh {
  static constexpr const char* name = "ArcSinh";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::asinh(static_cast<compute_t<T>>(x)));
  }
};
struct ArcCosh {
  static constexpr const char* name = "ArcCosh";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::acosh(static_cast<compute_t<T>>(x)));
  }
};
struct ArcTanh {
  static constexpr const char* name = "ArcTanh";
  template <class T>
    requires Inexact<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::atanh(static_cast<compute_t<T>>(x)));
  }
};
struct Erf {
  static constexpr const char* name = "Erf";
  template <class T>
    requires RealFloat<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::erf(static_cast<compute_t<T>>(x)));
  }
};

namespace detail {
/// Giles' single-precision erfinv ("Approximating the erfinv function", GPU Computing Gems,
/// 2011): about 3e-7 relative error on (-1, 1). Evaluated in C (float or double).
template <class C>
EMBER_HOST_DEVICE C erfinv_giles(C x) {
  C w = -std::log((C(1) - x) * (C(1) + x));
  C p;
  if (w < C(5)) {
    w = w - C(2.5);
    p = C(2.81022636e-08f);
    p = C(3.43273939e-07f) + p * w;
    p = C(-3.5233877e-06f) + p * w;
    p = C(-4.39150654e-06f) + p * w;
    p = C(0.00021858087f) + p * w;
    p = C(-0.00125372503f) + p * w;
    p = C(-0.00417768164f) + p * w;
    p = C(0.246640727f) + p * w;
    p = C(1.50140941f) + p * w;
  } else {
    w = std::sqrt(w) - C(3);
    p = C(-0.000200214257f);
    p = C(0.000100950558f) + p * w;
    p = C(0.00134934322f) + p * w;
    p = C(-0.00367342844f) + p * w;
    p = C(0.00573950773f) + p * w;
    p = C(-0.0076224613f) + p * w;
    p = C(0.00943887047f) + p * w;
    p = C(1.00167406f) + p * w;
    p = C(2.83297682f) + p * w;
  }
  return p * x;
}
}  // namespace detail

/// The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside). float and 16-bit floats use
/// Giles' approximation; double refines it with Halley steps on erf (erfc near +-1).
struct ErfInv {
  static constexpr const char* name = "ErfInv";
  template <class T>
    requires RealFloat<T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    using C = compute_t<T>;
    const C v = static_cast<C>(x);
    const C a = std::abs(v);
    if (!(a <= C(1))) return static_cast<T>(std::numeric_limits<C>::quiet_NaN());
    if (a == C(1)) return static_cast<T>(std::copysign(std::numeric_limits<C>::infinity(), v));
    C y = detail::erfinv_giles(a);
    if constexpr (std::is_same_v<C, double>) {
      constexpr double kTwoOverSqrtPi = 1.12837916709551257390;
      for (int i = 0; i < 3; ++i) {
        const double g = a < 0.5 ? std::erf(y) - a : (1.0 - a) - std::erfc(y);
        y -= g / (kTwoOverSqrtPi * std::exp(-y * y) + y * g);
      }
    }
    return static_cast<T>(std::copysign(y, v));
  }
};

}  // namespace ember::functors
