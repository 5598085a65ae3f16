// Device-side index arithmetic: from a linear index of a (collapsed) shape to the element
// offsets of N strided operands. Device code only.
#pragma once

#include <cstdint>

#include "ember/backend/cuda/launch.h"

namespace ember::cuda::device {

/// offsets[k] = sum over dims of coordinate(index, d) * strides[k][d], row-major order.
template <int N>
__device__ __forceinline__ void strided_offsets(const Layout<N>& layout, int64_t index,
                                                int64_t (&offsets)[N]) {
  if (layout.ndim <= 1) {  // the common collapsed case: no division
#pragma unroll
    for (int k = 0; k < N; ++k) offsets[k] = layout.ndim == 0 ? 0 : index * layout.strides[k][0];
    return;
  }
#pragma unroll
  for (int k = 0; k < N; ++k) offsets[k] = 0;
  for (int d = layout.ndim - 1; d >= 0; --d) {
    const int64_t extent = layout.shape[d];
    const int64_t coordinate = index % extent;
    index /= extent;
#pragma unroll
    for (int k = 0; k < N; ++k) offsets[k] += coordinate * layout.strides[k][d];
  }
}

/// Linear thread index and grid stride, in elements, for `width` elements per thread.
__device__ __forceinline__ int64_t thread_start(int width) {
  return (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * width;
}
__device__ __forceinline__ int64_t grid_stride(int width) {
  return static_cast<int64_t>(gridDim.x) * blockDim.x * width;
}

}  // namespace ember::cuda::device
