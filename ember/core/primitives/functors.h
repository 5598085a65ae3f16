// Element functors shared by every backend, so that CPU and CUDA compute the same function.
// Each is a struct with a call operator templated on the element type; 16-bit floats
// compute in float and round once when stored.
#pragma once

#include <cmath>
#include <complex>
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

struct Add {
  static constexpr const char* name = "Add";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a + b); }
};
struct Subtract {
  static constexpr const char* name = "Subtract";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a - b); }
};
struct Multiply {
  static constexpr const char* name = "Multiply";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a * b); }
};
struct Divide {
  static constexpr const char* name = "Divide";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a / b); }
};
/// NaN-propagating maximum, as MLX's `maximum`.
struct Maximum {
  static constexpr const char* name = "Maximum";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (kIsComplex<T>) {
      return (a.real() > b.real() || (a.real() == b.real() && a.imag() > b.imag())) ? a : b;
    } else if constexpr (std::is_integral_v<T>) {
      return a > b ? a : b;
    } else if constexpr (HalfFloat<T>) {
      if (std::isnan(static_cast<float>(a))) return a;
      return static_cast<float>(a) > static_cast<float>(b) ? a : b;
    } else {
      if (std::isnan(a)) return a;
      return a > b ? a : b;
    }
  }
};

struct Exp {
  static constexpr const char* name = "Exp";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsComplex<T> || std::is_same_v<T, double>) {
      return std::exp(x);
    } else {
      return static_cast<T>(std::exp(static_cast<float>(x)));
    }
  }
};
struct Log {
  static constexpr const char* name = "Log";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsComplex<T> || std::is_same_v<T, double>) {
      return std::log(x);
    } else {
      return static_cast<T>(std::log(static_cast<float>(x)));
    }
  }
};
struct Negative {
  static constexpr const char* name = "Negative";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (HalfFloat<T>) {
      T out = x;
      out.bits ^= 0x8000u;  // exact: flips the sign bit, NaN payloads and -0 included
      return out;
    } else {
      return static_cast<T>(-x);
    }
  }
};
struct Abs {
  static constexpr const char* name = "Abs";
  template <class T>
  EMBER_HOST_DEVICE T operator()(T x) const {
    if constexpr (kIsComplex<T>) {
      return T(std::abs(x), 0.0f);
    } else if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) {
      return x;
    } else if constexpr (HalfFloat<T>) {
      T out = x;
      out.bits &= 0x7fffu;
      return out;
    } else if constexpr (std::is_floating_point_v<T>) {
      return std::abs(x);  // clears the sign of -0 too
    } else {
      return static_cast<T>(x < T(0) ? -x : x);
    }
  }
};

}  // namespace ember::functors
