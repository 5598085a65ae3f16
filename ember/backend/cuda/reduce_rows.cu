// Row kernels along the contiguous last axis: ArgReduce, LogSumExp, Softmax. One warp per
// row up to 1024 elements, else one block per row; 16-byte loads. Softmax and LogSumExp
// keep an online (max, sum of exp(x - max)) pair in float32 (Milakov & Gimelshein, "Online
// normalizer calculation for softmax", 2018): one read for LogSumExp, two for Softmax
// rows of up to 1024 elements. Longer 16-byte aligned Softmax rows go to softmax_rows.cu,
// which reads them once; others read twice.
// ArgReduce's combine is order-independent (NaN wins, ties go to the lower index), so it
// matches the CPU's first-extreme scan exactly. Host side: reduce.cpp.
#include <cmath>
#include <cstdint>
#include <limits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/reduce.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/backend/cuda/launch.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {

dim3 row_block(int64_t length) { return length <= 1024 ? dim3(32, 8) : dim3(256, 1); }

template <class C>
struct Candidate {
  static constexpr uint32_t kNone = 0xffffffffu;
  C value;
  uint32_t index;
};

template <bool kArgmax, class C>
__device__ __forceinline__ Candidate<C> pick(Candidate<C> a, Candidate<C> b) {
  if (a.index == Candidate<C>::kNone) return b;
  if (b.index == Candidate<C>::kNone) return a;
  const bool nan_a = functors::detail::isnan_value(a.value);
  const bool nan_b = functors::detail::isnan_value(b.value);
  const Candidate<C>& lower = a.index < b.index ? a : b;
  if (nan_a || nan_b) return nan_a && nan_b ? lower : (nan_a ? a : b);
  if (kArgmax ? a.value > b.value : a.value < b.value) return a;
  if (kArgmax ? b.value > a.value : b.value < a.value) return b;
  return lower;
}

template <bool kArgmax, class T>
__global__ void arg_reduce_kernel(const T* in, uint32_t* out, int64_t rows, int64_t length) {
  using C = device::Accumulator<T>;
  __shared__ Candidate<C> shared[32];
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    Candidate<C> best{C(0), Candidate<C>::kNone};
    device::for_each_in_row(in + row * length, length, threadIdx.x, blockDim.x,
                            [&](T x, int64_t i) {
      best = pick<kArgmax>(best, Candidate<C>{device::convert<C>(x), static_cast<uint32_t>(i)});
    });
    best = device::row_reduce(best, [](Candidate<C> a, Candidate<C> b) {
      return pick<kArgmax>(a, b);
    }, shared);
    if (threadIdx.x == 0) out[row] = best.index == Candidate<C>::kNone ? 0u : best.index;
  }
}

using device::merge;
using device::Normalizer;

template <class T>
__device__ __forceinline__ Normalizer row_normalizer(const T* row, int64_t length,
                                                     Normalizer* shared) {
  Normalizer state{-std::numeric_limits<float>::infinity(), 0.0f};
  device::for_each_in_row(row, length, threadIdx.x, blockDim.x, [&](T x, int64_t) {
    state = merge(state, Normalizer{device::convert<float>(x), 1.0f});
  });
  return device::row_reduce(state, [](Normalizer a, Normalizer b) { return merge(a, b); },
                            shared);
}

template <class T>
__global__ void logsumexp_kernel(const T* in, T* out, int64_t rows, int64_t length) {
  __shared__ Normalizer shared[32];
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const Normalizer n = row_normalizer(in + row * length, length, shared);
    if (threadIdx.x == 0) out[row] = device::convert<T>(n.max + logf(n.sum));
  }
}

template <class T>
__global__ void softmax_kernel(const T* in, T* out, int64_t rows, int64_t length) {
  __shared__ Normalizer shared[32];
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const T* src = in + row * length;
    T* dst = out + row * length;
    const Normalizer n = row_normalizer(src, length, shared);
    // A +inf in the row makes every output NaN, as exp(x - max) / sum does on the CPU.
    const float scale = n.max == std::numeric_limits<float>::infinity()
                            ? std::numeric_limits<float>::quiet_NaN()
                            : 1.0f / n.sum;
    device::for_each_in_row(src, length, threadIdx.x, blockDim.x, [&](T x, int64_t i) {
      dst[i] = device::convert<T>(expf(device::convert<float>(x) - n.max) * scale);
    });
  }
}

template <class Kernel, class... Args>
void launch_rows(Kernel kernel, int64_t rows, int64_t length, Args... args) {
  if (rows == 0) return;
  const dim3 block = row_block(length);
  kernel<<<blocks_for(rows, block.y), block, 0, current_stream()>>>(args..., rows, length);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void launch_arg_reduce(bool argmax, Dtype dtype, const void* in, uint32_t* out, int64_t rows,
                       int64_t length) {
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in);
    if (argmax) {
      launch_rows(arg_reduce_kernel<true, T>, rows, length, src, out);
    } else {
      launch_rows(arg_reduce_kernel<false, T>, rows, length, src, out);
    }
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "ArgReduce on ", dtype);
}

void launch_logsumexp(Dtype dtype, const void* in, void* out, int64_t rows, int64_t length) {
  const bool launched = dispatch_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_rows(logsumexp_kernel<T>, rows, length, static_cast<const T*>(in), static_cast<T*>(out));
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "LogSumExp on ", dtype);
}

void launch_softmax(Dtype dtype, const void* in, void* out, int64_t rows, int64_t length) {
  const bool launched = dispatch_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in);
    T* dst = static_cast<T*>(out);
    if (!launch_softmax_long_rows(dtype, src, dst, rows, length)) {
      launch_rows(softmax_kernel<T>, rows, length, src, dst);
    }
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "Softmax on ", dtype);
}

}  // namespace ember::cuda
