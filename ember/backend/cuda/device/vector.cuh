// 16-byte vector loads and stores of W elements, and the chunk helpers elementwise kernels
// use: an operand is contiguous (step 1) or one broadcast element (step 0). Device only.
#pragma once

#include <cstdint>

namespace ember::cuda::device {

/// W elements of T moved as one aligned access (sizeof(T) * W <= 16 bytes).
template <class T, int W>
struct alignas(sizeof(T) * W) Aligned {
  T v[W];
};

/// Elements per thread so that no operand's chunk exceeds 16 bytes.
template <class... Ts>
inline constexpr int kVectorWidth = [] {
  int widest = 1;
  ((widest = sizeof(Ts) > static_cast<size_t>(widest) ? static_cast<int>(sizeof(Ts)) : widest), ...);
  return 16 / widest;
}();

/// Reads W elements at i (or the broadcast element W times). `vector`: aligned, in bounds.
template <class T, int W>
__device__ __forceinline__ void load_chunk(const void* data, int step, int64_t i, int64_t size,
                                           bool vector, T (&values)[W]) {
  const T* src = static_cast<const T*>(data);
  if (step == 0) {
    const T value = src[0];
#pragma unroll
    for (int j = 0; j < W; ++j) values[j] = value;
  } else if (vector) {
    const Aligned<T, W> chunk = *reinterpret_cast<const Aligned<T, W>*>(src + i);
#pragma unroll
    for (int j = 0; j < W; ++j) values[j] = chunk.v[j];
  } else {
#pragma unroll
    for (int j = 0; j < W; ++j) {
      if (i + j < size) values[j] = src[i + j];
    }
  }
}

template <class T, int W>
__device__ __forceinline__ void store_chunk(void* data, int64_t i, int64_t size, bool vector,
                                            const T (&values)[W]) {
  T* dst = static_cast<T*>(data);
  if (vector) {
    Aligned<T, W> chunk;
#pragma unroll
    for (int j = 0; j < W; ++j) chunk.v[j] = values[j];
    *reinterpret_cast<Aligned<T, W>*>(dst + i) = chunk;
  } else {
#pragma unroll
    for (int j = 0; j < W; ++j) {
      if (i + j < size) dst[i + j] = values[j];
    }
  }
}

}  // namespace ember::cuda::device
