// float32, float16 and bfloat16 elements whose dtype is known only when the kernel runs.
// Fused kernels whose operands may each have any of the three dtypes (the delta rule's q, k,
// v and gates; the conv's taps) read them through one switch per access, the same for the
// whole warp, rather than one instantiation per combination of dtypes. Device only.
#pragma once

#include <cstdint>

#include "ember/core/dtype.h"
#include "ember/core/half_types.h"

namespace ember::cuda::device {

/// Element `offset` of `data` (of `dtype`), as float.
__device__ __forceinline__ float load_float(const void* data, Dtype dtype, int64_t offset) {
  switch (dtype.val()) {
    case Dtype::Val::float16:
      return static_cast<const float16_t*>(data)[offset];
    case Dtype::Val::bfloat16:
      return static_cast<const bfloat16_t*>(data)[offset];
    default:
      return static_cast<const float*>(data)[offset];
  }
}

/// `value` rounded to `dtype` (round to nearest even), as float.
__device__ __forceinline__ float round_float(Dtype dtype, float value) {
  switch (dtype.val()) {
    case Dtype::Val::float16:
      return static_cast<float>(float16_t(value));
    case Dtype::Val::bfloat16:
      return static_cast<float>(bfloat16_t(value));
    default:
      return value;
  }
}

/// Stores `value` rounded to `dtype` at element `offset` of `data`.
__device__ __forceinline__ void store_float(void* data, Dtype dtype, int64_t offset, float value) {
  switch (dtype.val()) {
    case Dtype::Val::float16:
      static_cast<float16_t*>(data)[offset] = float16_t(value);
      break;
    case Dtype::Val::bfloat16:
      static_cast<bfloat16_t*>(data)[offset] = bfloat16_t(value);
      break;
    default:
      static_cast<float*>(data)[offset] = value;
  }
}

}  // namespace ember::cuda::device
