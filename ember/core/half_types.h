// float16_t and bfloat16_t: 16-bit floats stored as bits, converted from float with
// round-to-nearest-even (NaN stays NaN, overflow goes to infinity). Arithmetic happens in
// float: `a + b` is a float, and assigning it back rounds once, as a float32 kernel that
// stores 16-bit results would. complex64_t is std::complex<float>.
#pragma once

#include <bit>
#include <complex>
#include <cstdint>
#include <ostream>
#include <type_traits>

namespace ember {

namespace detail {
constexpr uint16_t float_to_half_bits(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  bits &= 0x7fffffffu;
  if (bits >= 0x7f800000u) {  // inf or nan; keep nan quiet
    return static_cast<uint16_t>(sign | 0x7c00u | (bits > 0x7f800000u ? 0x0200u : 0u));
  }
  if (bits >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65536
  if (bits < 0x38800000u) {
    // Half subnormal or zero: adding 0.5 (exponent 126) lines the half's last mantissa
    // bit up with the float's, so the float adder rounds to nearest even for us.
    const float magic = std::bit_cast<float>(0x3f000000u);
    const float sum = std::bit_cast<float>(bits) + magic;
    return static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(sum) - 0x3f000000u));
  }
  const uint32_t odd = (bits >> 13) & 1u;
  bits += 0xc8000fffu + odd;  // rebias exponent (-112 << 23) and round to nearest even
  return static_cast<uint16_t>(sign | (bits >> 13));
}

constexpr float half_bits_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-08f;  // 2^-24
    return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(magnitude));
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

constexpr uint16_t float_to_bfloat16_bits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

constexpr float bfloat16_bits_to_float(uint16_t value) {
  return std::bit_cast<float>(static_cast<uint32_t>(value) << 16);
}

// The conversions from float that the constructors use: in GPU code (sm_80 and later) one
// cvt instruction, which rounds the same (to nearest even, overflow to infinity, subnormals
// kept) where the bit manipulation above takes five to fifteen; a NaN becomes the canonical
// quiet NaN rather than keeping its payload. Elsewhere, and in constant expressions, the
// functions above.
constexpr uint16_t half_bits_of(float value) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if (!__builtin_is_constant_evaluated()) {
    uint16_t bits;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(bits) : "f"(value));
    return bits;
  }
#endif
  return float_to_half_bits(value);
}

constexpr uint16_t bfloat16_bits_of(float value) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if (!__builtin_is_constant_evaluated()) {
    uint16_t bits;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(bits) : "f"(value));
    return bits;
  }
#endif
  return float_to_bfloat16_bits(value);
}
}  // namespace detail

/// IEEE 754 binary16.
struct float16_t {
  uint16_t bits = 0;
  constexpr float16_t() = default;
  template <class T>
    requires std::is_arithmetic_v<T>
  constexpr float16_t(T value) : bits(detail::half_bits_of(static_cast<float>(value))) {}
  static constexpr float16_t from_bits(uint16_t raw) {
    float16_t out;
    out.bits = raw;
    return out;
  }
  constexpr operator float() const { return detail::half_bits_to_float(bits); }
};

/// bfloat16: the upper half of a float32.
struct bfloat16_t {
  uint16_t bits = 0;
  constexpr bfloat16_t() = default;
  template <class T>
    requires std::is_arithmetic_v<T>
  constexpr bfloat16_t(T value) : bits(detail::bfloat16_bits_of(static_cast<float>(value))) {}
  static constexpr bfloat16_t from_bits(uint16_t raw) {
    bfloat16_t out;
    out.bits = raw;
    return out;
  }
  constexpr operator float() const { return detail::bfloat16_bits_to_float(bits); }
};

using complex64_t = std::complex<float>;

inline std::ostream& operator<<(std::ostream& os, float16_t v) { return os << float(v); }
inline std::ostream& operator<<(std::ostream& os, bfloat16_t v) { return os << float(v); }

/// True for float16_t and bfloat16_t, whose arithmetic runs in float.
template <class T>
concept HalfFloat = std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

}  // namespace ember
