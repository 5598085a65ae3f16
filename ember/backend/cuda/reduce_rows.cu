// Row kernels along the contiguous last axis: ArgReduce, LogSumExp, Softmax. One warp per
// row up to 1024 elements, else one block per row; 16-byte loads. Softmax and LogSumExp
// keep an online (max, sum of exp(x - max)) pair in float32 (Milakov & Gimelshein, "Online
// normalizer calculation for softmax", 2018): one read for LogSumExp, two for Softmax
// rows of up to 1024 elements. Longer Softmax rows of up to 8192 16-byte vectors that are
// 16-byte aligned are read once into registers by one block (max, then sum of exp, then
// the writes, all in float32), as PyTorch's persistent softmax does; others read twice.
// ArgReduce's combine is order-independent (NaN wins, ties go to the lower index), so it
// matches the CPU's first-extreme scan exactly. Host side: reduce.cpp.
#include <cmath>
#include <cstdint>
#include <limits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/reduce.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
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

// One block per row, the row's 16-byte vectors held in registers: vector c of the row is
// values[c / blockDim.x] of thread c % blockDim.x. Needs length * sizeof(T) % 16 == 0, a
// 16-byte aligned row start and length / W <= blockDim.x * V.
template <class T, int V>
__global__ void __launch_bounds__(1024)
    softmax_resident_kernel(const T* in, T* out, int64_t rows, int64_t length) {
  constexpr int W = 16 / sizeof(T);
  using Vector = device::Aligned<T, W>;
  __shared__ float shared[32];
  const int chunks = static_cast<int>(length / W);
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const Vector* src = reinterpret_cast<const Vector*>(in + row * length);
    Vector* dst = reinterpret_cast<Vector*>(out + row * length);
    Vector values[V];
    float top = -std::numeric_limits<float>::infinity();
#pragma unroll
    for (int v = 0; v < V; ++v) {
      const int c = threadIdx.x + v * blockDim.x;
      if (c < chunks) {
        values[v] = src[c];
#pragma unroll
        for (int j = 0; j < W; ++j) top = fmaxf(top, device::convert<float>(values[v].v[j]));
      }
    }
    top = device::row_reduce(top, [](float a, float b) { return fmaxf(a, b); }, shared);
    float sum = 0.0f;
#pragma unroll
    for (int v = 0; v < V; ++v) {
      if (threadIdx.x + v * blockDim.x < chunks) {
#pragma unroll
        for (int j = 0; j < W; ++j) sum += expf(device::convert<float>(values[v].v[j]) - top);
      }
    }
    sum = device::row_reduce(sum, [](float a, float b) { return a + b; }, shared);
    // As in softmax_kernel: a +inf makes every output NaN; a NaN makes the sum NaN.
    const float scale = top == std::numeric_limits<float>::infinity()
                            ? std::numeric_limits<float>::quiet_NaN()
                            : 1.0f / sum;
#pragma unroll
    for (int v = 0; v < V; ++v) {
      const int c = threadIdx.x + v * blockDim.x;
      if (c < chunks) {
        Vector result;
#pragma unroll
        for (int j = 0; j < W; ++j) {
          result.v[j] = device::convert<T>(expf(device::convert<float>(values[v].v[j]) - top) * scale);
        }
        dst[c] = result;
      }
    }
  }
}

constexpr int kResidentMaxChunks = 1024 * 8;

// Launches softmax_resident_kernel if the rows qualify (see there); false if not.
template <class T>
bool launch_softmax_resident(const T* in, T* out, int64_t rows, int64_t length) {
  constexpr int W = 16 / sizeof(T);
  const bool aligned = reinterpret_cast<uintptr_t>(in) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(out) % 16 == 0 && length % W == 0;
  const int64_t chunks = length / W;
  if (rows == 0 || length <= 1024 || !aligned || chunks > kResidentMaxChunks) return false;
  // At most 512 threads while 8 vectors per thread suffice, so that two blocks share an SM.
  int per_thread = 1;
  while (per_thread < 8 && chunks > 512 * per_thread) per_thread *= 2;
  const int64_t needed = (chunks + per_thread - 1) / per_thread;
  const int threads = static_cast<int>((needed + 31) / 32 * 32);
  const unsigned int blocks = rows > 65535 * 16 ? 65535u * 16 : static_cast<unsigned int>(rows);
  auto launch = [&](auto kernel) {
    kernel<<<blocks, threads, 0, current_stream()>>>(in, out, rows, length);
  };
  switch (per_thread) {
    case 1: launch(softmax_resident_kernel<T, 1>); break;
    case 2: launch(softmax_resident_kernel<T, 2>); break;
    case 4: launch(softmax_resident_kernel<T, 4>); break;
    default: launch(softmax_resident_kernel<T, 8>); break;
  }
  EMBER_CUDA_CHECK(cudaGetLastError());
  return true;
}

template <class Kernel, class... Args>
void launch_rows(Kernel kernel, int64_t rows, int64_t length, Args... args) {
  if (rows == 0) return;
  const dim3 block = row_block(length);
  kernel<<<blocks_for(rows, block.y), block, 0, current_stream()>>>(args..., rows, length);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

template <class F>
bool dispatch_float(Dtype dtype, F&& f) {
  switch (dtype.val()) {
    case Dtype::Val::float32: return f(Tag<float>{});
    case Dtype::Val::float16: return f(Tag<float16_t>{});
    case Dtype::Val::bfloat16: return f(Tag<bfloat16_t>{});
    default: return false;
  }
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
    if (!launch_softmax_resident(src, dst, rows, length)) {
      launch_rows(softmax_kernel<T>, rows, length, src, dst);
    }
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "Softmax on ", dtype);
}

}  // namespace ember::cuda
