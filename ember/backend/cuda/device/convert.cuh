// Element conversion as astype does it (core/dispatch.h convert_value), for device code:
// anything -> bool is != 0; 16-bit floats convert through float. Device only.
#pragma once

#include <type_traits>

#include "ember/core/half_types.h"

namespace ember::cuda::device {

template <class To, class From>
__device__ __forceinline__ To convert(From value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, bool> && HalfFloat<From>) {
    return static_cast<float>(value) != 0.0f;
  } else if constexpr (std::is_same_v<To, bool>) {
    return value != From(0);
  } else if constexpr (HalfFloat<To> || HalfFloat<From>) {
    return static_cast<To>(static_cast<float>(value));
  } else {
    return static_cast<To>(value);
  }
}

}  // namespace ember::cuda::device
