// Atomic read-modify-write of any GPU dtype with an arbitrary combining functor: native
// atomicAdd where the hardware has it for the type, else a compare-and-swap loop on the
// element (4 or 8 bytes) or on the aligned 32-bit word that holds it (1 or 2 bytes: bool,
// int8, uint8, int16, uint16, float16, bfloat16). Device only.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ember::cuda::device {

template <class To, class From>
__device__ __forceinline__ To bits_as(const From& value) {
  static_assert(sizeof(To) == sizeof(From));
  To out;
  memcpy(&out, &value, sizeof(To));
  return out;
}

/// *address = f(*address), atomically.
template <class T, class F>
__device__ __forceinline__ void atomic_update(T* address, F f) {
  if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
    using U = std::conditional_t<sizeof(T) == 4, unsigned int, unsigned long long>;
    U* word = reinterpret_cast<U*>(address);
    U old = *word, assumed;
    do {
      assumed = old;
      const T next = f(bits_as<T>(assumed));
      old = atomicCAS(word, assumed, bits_as<U>(next));
    } while (assumed != old);
  } else {
    using U = std::conditional_t<sizeof(T) == 1, uint8_t, uint16_t>;
    const uintptr_t address_bits = reinterpret_cast<uintptr_t>(address);
    unsigned int* word = reinterpret_cast<unsigned int*>(address_bits & ~uintptr_t(3));
    const unsigned int shift = static_cast<unsigned int>(address_bits & 3) * 8;
    const unsigned int mask = ((1u << (8 * sizeof(T))) - 1u) << shift;
    unsigned int old = *word, assumed;
    do {
      assumed = old;
      const T current = bits_as<T>(static_cast<U>((assumed & mask) >> shift));
      const unsigned int next = static_cast<unsigned int>(bits_as<U>(f(current))) << shift;
      old = atomicCAS(word, assumed, (assumed & ~mask) | next);
    } while (assumed != old);
  }
}

/// *address += value (bool: |=), atomically; native where the type has it.
template <class T>
__device__ __forceinline__ void atomic_add(T* address, T value) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, int32_t> ||
                std::is_same_v<T, uint32_t>) {
    atomicAdd(address, value);
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(address),
              static_cast<unsigned long long>(value));
  } else if constexpr (std::is_same_v<T, int64_t>) {  // two's complement: same bits
    atomicAdd(reinterpret_cast<unsigned long long*>(address),
              static_cast<unsigned long long>(value));
  } else {
    atomic_update(address, [value](T current) {
      if constexpr (std::is_same_v<T, bool>) {
        return static_cast<bool>(current || value);
      } else if constexpr (std::is_integral_v<T>) {
        return static_cast<T>(current + value);
      } else {  // 16-bit floats add in float and round once, as the CPU does
        return static_cast<T>(static_cast<float>(current) + static_cast<float>(value));
      }
    });
  }
}

}  // namespace ember::cuda::device
