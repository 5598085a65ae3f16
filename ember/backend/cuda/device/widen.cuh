// 16 bytes of float, float16_t or bfloat16_t elements widened to float32, and float32 values
// narrowed back into 16 bytes. Kernels that keep many loads in flight hold each chunk as
// four 32-bit words and widen it where it is used: held as eight 16-bit values, a chunk would
// take eight registers rather than four. Device only.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ember/core/half_types.h"

namespace ember::cuda::device {

/// The float value of 16-bit float bits (the low half of `bits`) of type T.
template <class T>
__device__ __forceinline__ float half_bits_to_float(uint32_t bits) {
  static_assert(std::is_same_v<T, bfloat16_t> || std::is_same_v<T, float16_t>);
  if constexpr (std::is_same_v<T, bfloat16_t>) {
    return __uint_as_float(bits << 16);
  } else {
    float out;
    asm("cvt.f32.f16 %0, %1;" : "=f"(out) : "h"(static_cast<unsigned short>(bits)));
    return out;
  }
}

/// The 16 / sizeof(T) elements of `chunk`, in memory order.
template <class T>
__device__ __forceinline__ void widen(const uint4& chunk, float (&out)[16 / sizeof(T)]) {
  const uint32_t words[4] = {chunk.x, chunk.y, chunk.z, chunk.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if constexpr (std::is_same_v<T, float>) {
      out[i] = __uint_as_float(words[i]);
    } else {
      out[2 * i] = half_bits_to_float<T>(words[i] & 0xffffu);
      out[2 * i + 1] = half_bits_to_float<T>(words[i] >> 16);
    }
  }
}

/// `values` rounded to T once (round to nearest even, as half_types.h does; NaN stays NaN,
/// overflow goes to infinity) and packed in memory order. One cvt per pair of 16-bit values
/// (sm_80's packed conversions) where half_types.h's software rounding takes several.
template <class T>
__device__ __forceinline__ uint4 narrow(const float (&values)[16 / sizeof(T)]) {
  uint32_t words[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if constexpr (std::is_same_v<T, float>) {
      words[i] = __float_as_uint(values[i]);
    } else if constexpr (std::is_same_v<T, bfloat16_t>) {
      // The first source operand goes to the upper half: the later element in memory.
      asm("cvt.rn.bf16x2.f32 %0, %1, %2;"
          : "=r"(words[i])
          : "f"(values[2 * i + 1]), "f"(values[2 * i]));
    } else {
      static_assert(std::is_same_v<T, float16_t>);
      asm("cvt.rn.f16x2.f32 %0, %1, %2;"
          : "=r"(words[i])
          : "f"(values[2 * i + 1]), "f"(values[2 * i]));
    }
  }
  return make_uint4(words[0], words[1], words[2], words[3]);
}

}  // namespace ember::cuda::device
