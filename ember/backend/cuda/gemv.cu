// Matrix-vector kernels for small-row Matmul (gemv_launch.h). One warp per output column c:
// its lanes stride over the depth in 16-byte vectors of w's row c, multiply them with the
// same span of each of x's rows (at most 8, read through L1: every warp reads them), keep
// one float32 sum per row and reduce the sums across the warp.
#include <cstdint>
#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/vector.cuh"
#include "ember/backend/cuda/gemv_launch.h"
#include "ember/backend/cuda/gpu_dispatch.h"

namespace ember::cuda {
namespace {

constexpr int kGemvThreads = 256;  // 8 warps, 8 columns per block

template <class T, bool Vector>
__global__ void __launch_bounds__(kGemvThreads)
    gemv_kernel(const T* __restrict__ x, int64_t x_stride, const T* __restrict__ w,
                int64_t w_stride, T* __restrict__ y, int rows, int64_t cols, int64_t depth) {
  constexpr int W = Vector ? 16 / sizeof(T) : 1;
  const int lane = threadIdx.x % 32;
  const int64_t warps = blockDim.x / 32;
  for (int64_t col = blockIdx.x * warps + threadIdx.x / 32; col < cols; col += gridDim.x * warps) {
    const T* row = w + col * w_stride;
    float sum[kGemvMaxRows] = {};
#pragma unroll 4
    for (int64_t i = static_cast<int64_t>(lane) * W; i < depth; i += 32 * W) {
      const auto wv = *reinterpret_cast<const device::Aligned<T, W>*>(row + i);
#pragma unroll
      for (int r = 0; r < kGemvMaxRows; ++r) {
        if (r < rows) {
          const auto xv = *reinterpret_cast<const device::Aligned<T, W>*>(x + r * x_stride + i);
#pragma unroll
          for (int j = 0; j < W; ++j) {
            sum[r] += device::convert<float>(wv.v[j]) * device::convert<float>(xv.v[j]);
          }
        }
      }
    }
#pragma unroll
    for (int r = 0; r < kGemvMaxRows; ++r) {
      if (r < rows) {
        float s = sum[r];
#pragma unroll
        for (int mask = 16; mask > 0; mask >>= 1) s += __shfl_xor_sync(0xffffffffu, s, mask);
        if (lane == 0) y[r * cols + col] = device::convert<T>(s);
      }
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

bool launch_gemv(Dtype dtype, const void* x, int64_t x_stride, const void* w, int64_t w_stride,
                 void* y, int rows, int64_t cols, int64_t depth) {
  if (dtype != float32 && dtype != float16 && dtype != bfloat16) return false;
  return dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, float16_t> ||
                  std::is_same_v<T, bfloat16_t>) {
      constexpr int W = 16 / sizeof(T);
      const bool vector = depth % W == 0 && x_stride % W == 0 && w_stride % W == 0 &&
                          aligned16(x) && aligned16(w);
      const auto* xs = static_cast<const T*>(x);
      const auto* ws = static_cast<const T*>(w);
      auto* ys = static_cast<T*>(y);
      const unsigned int blocks = blocks_for(cols, kGemvThreads / 32);
      if (vector) {
        gemv_kernel<T, true><<<blocks, kGemvThreads, 0, current_stream()>>>(
            xs, x_stride, ws, w_stride, ys, rows, cols, depth);
      } else {
        gemv_kernel<T, false><<<blocks, kGemvThreads, 0, current_stream()>>>(
            xs, x_stride, ws, w_stride, ys, rows, cols, depth);
      }
      EMBER_CUDA_CHECK(cudaGetLastError());
      return true;
    } else {
      return false;
    }
  });
}

}  // namespace ember::cuda
