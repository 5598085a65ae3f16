// The dtypes CUDA kernels support, as C++ types, for kernel launchers (host side of .cu).
// float64 and complex64 are CPU-only (DESIGN.md section 3): callers reject them first.
#pragma once

#include <cstdint>

#include "ember/core/dtype.h"

namespace ember::cuda {

template <class T>
struct Tag {
  using type = T;
};

/// Calls f(Tag<T>{}) for a GPU dtype and returns its result; false for others.
template <class F>
bool dispatch_gpu_type(Dtype dtype, F&& f) {
  switch (dtype.val()) {
    case Dtype::Val::bool_: return f(Tag<bool>{});
    case Dtype::Val::uint8: return f(Tag<uint8_t>{});
    case Dtype::Val::uint16: return f(Tag<uint16_t>{});
    case Dtype::Val::uint32: return f(Tag<uint32_t>{});
    case Dtype::Val::uint64: return f(Tag<uint64_t>{});
    case Dtype::Val::int8: return f(Tag<int8_t>{});
    case Dtype::Val::int16: return f(Tag<int16_t>{});
    case Dtype::Val::int32: return f(Tag<int32_t>{});
    case Dtype::Val::int64: return f(Tag<int64_t>{});
    case Dtype::Val::float16: return f(Tag<float16_t>{});
    case Dtype::Val::float32: return f(Tag<float>{});
    case Dtype::Val::bfloat16: return f(Tag<bfloat16_t>{});
    default: return false;
  }
}

/// Calls f(Tag<T>{}) for float32, float16 and bfloat16 (the fused and row kernels' dtypes)
/// and returns its result; false for others.
template <class F>
bool dispatch_float(Dtype dtype, F&& f) {
  switch (dtype.val()) {
    case Dtype::Val::float32: return f(Tag<float>{});
    case Dtype::Val::float16: return f(Tag<float16_t>{});
    case Dtype::Val::bfloat16: return f(Tag<bfloat16_t>{});
    default: return false;
  }
}

/// Blocks of `threads` for `work` items, at least 1 and within the grid's x limit.
inline unsigned int blocks_for(int64_t work, int threads) {
  const int64_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > 2147483647 ? 2147483647 : blocks));
}

}  // namespace ember::cuda
