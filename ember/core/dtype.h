// Dtypes and promotion, as in MLX (mlx/dtype.h): the same names, the same promotion table.
//
//   Dtype t = promote_types(int32, float16);   // float16
//   issubdtype(t, floating);                    // true
//   size_of(bfloat16);                          // 2
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>

#include "ember/core/half_types.h"

namespace ember {

struct Dtype {
  enum class Val : uint8_t {
    bool_, uint8, uint16, uint32, uint64, int8, int16, int32, int64,
    float16, float32, float64, bfloat16, complex64,
  };
  /// NumPy's kind characters; bfloat16 is 'V' as in MLX.
  enum class Kind { b, u, i, f, V, c };
  enum class Category {
    complexfloating, floating, inexact, signedinteger, unsignedinteger, integer, number, generic,
  };

  constexpr explicit Dtype(Val val, uint8_t size) : val_(val), size_(size) {}
  constexpr Val val() const { return val_; }
  constexpr uint8_t size() const { return size_; }
  constexpr bool operator==(const Dtype& other) const { return val_ == other.val_; }

 private:
  Val val_;
  uint8_t size_;
};

inline constexpr Dtype bool_{Dtype::Val::bool_, 1};
inline constexpr Dtype uint8{Dtype::Val::uint8, 1};
inline constexpr Dtype uint16{Dtype::Val::uint16, 2};
inline constexpr Dtype uint32{Dtype::Val::uint32, 4};
inline constexpr Dtype uint64{Dtype::Val::uint64, 8};
inline constexpr Dtype int8{Dtype::Val::int8, 1};
inline constexpr Dtype int16{Dtype::Val::int16, 2};
inline constexpr Dtype int32{Dtype::Val::int32, 4};
inline constexpr Dtype int64{Dtype::Val::int64, 8};
inline constexpr Dtype float16{Dtype::Val::float16, 2};
inline constexpr Dtype float32{Dtype::Val::float32, 4};
inline constexpr Dtype float64{Dtype::Val::float64, 8};
inline constexpr Dtype bfloat16{Dtype::Val::bfloat16, 2};
inline constexpr Dtype complex64{Dtype::Val::complex64, 8};

inline constexpr Dtype::Category complexfloating = Dtype::Category::complexfloating;
inline constexpr Dtype::Category floating = Dtype::Category::floating;
inline constexpr Dtype::Category inexact = Dtype::Category::inexact;
inline constexpr Dtype::Category signedinteger = Dtype::Category::signedinteger;
inline constexpr Dtype::Category unsignedinteger = Dtype::Category::unsignedinteger;
inline constexpr Dtype::Category integer = Dtype::Category::integer;
inline constexpr Dtype::Category number = Dtype::Category::number;
inline constexpr Dtype::Category generic = Dtype::Category::generic;

inline constexpr int kNumDtypes = 14;

/// Bytes per element.
constexpr size_t size_of(const Dtype& t) { return t.size(); }

/// The result dtype of a binary op on `a` and `b` (MLX's table, after JAX's lattice).
Dtype promote_types(const Dtype& a, const Dtype& b);
Dtype::Kind kindof(const Dtype& t);
bool issubdtype(const Dtype& a, const Dtype& b);
bool issubdtype(const Dtype::Category& a, const Dtype& b);
bool issubdtype(const Dtype& a, const Dtype::Category& b);
bool issubdtype(const Dtype::Category& a, const Dtype::Category& b);

/// "float32", "bfloat16", ... as MLX prints them.
std::string_view dtype_name(const Dtype& t);
std::ostream& operator<<(std::ostream& os, const Dtype& t);

constexpr bool is_floating_point(const Dtype& t) {
  return t == float16 || t == bfloat16 || t == float32 || t == float64;
}
constexpr bool is_complex(const Dtype& t) { return t == complex64; }
constexpr bool is_inexact(const Dtype& t) { return is_floating_point(t) || is_complex(t); }
constexpr bool is_unsigned(const Dtype& t) {
  return t == uint8 || t == uint16 || t == uint32 || t == uint64;
}
constexpr bool is_integral(const Dtype& t) { return !is_inexact(t) && !(t == bool_); }

/// The dtype of a C++ scalar type. Like MLX, `double` maps to float32 (use float64 explicitly).
template <class T>
struct TypeToDtype;
template <> struct TypeToDtype<bool> { constexpr operator Dtype() const { return bool_; } };
template <> struct TypeToDtype<uint8_t> { constexpr operator Dtype() const { return uint8; } };
template <> struct TypeToDtype<uint16_t> { constexpr operator Dtype() const { return uint16; } };
template <> struct TypeToDtype<uint32_t> { constexpr operator Dtype() const { return uint32; } };
template <> struct TypeToDtype<uint64_t> { constexpr operator Dtype() const { return uint64; } };
template <> struct TypeToDtype<int8_t> { constexpr operator Dtype() const { return int8; } };
template <> struct TypeToDtype<int16_t> { constexpr operator Dtype() const { return int16; } };
template <> struct TypeToDtype<int32_t> { constexpr operator Dtype() const { return int32; } };
template <> struct TypeToDtype<int64_t> { constexpr operator Dtype() const { return int64; } };
template <> struct TypeToDtype<long long> { constexpr operator Dtype() const { return int64; } };
template <> struct TypeToDtype<unsigned long long> { constexpr operator Dtype() const { return uint64; } };
template <> struct TypeToDtype<float16_t> { constexpr operator Dtype() const { return float16; } };
template <> struct TypeToDtype<bfloat16_t> { constexpr operator Dtype() const { return bfloat16; } };
template <> struct TypeToDtype<float> { constexpr operator Dtype() const { return float32; } };
template <> struct TypeToDtype<double> { constexpr operator Dtype() const { return float32; } };
template <> struct TypeToDtype<complex64_t> { constexpr operator Dtype() const { return complex64; } };

/// The dtype whose elements are stored exactly as the C++ type T (double -> float64).
template <class T>
constexpr Dtype storage_dtype_of() {
  if constexpr (std::is_same_v<T, double>) {
    return float64;
  } else {
    return TypeToDtype<T>();
  }
}

}  // namespace ember
