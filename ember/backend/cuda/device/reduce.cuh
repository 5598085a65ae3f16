// Building blocks of the reduction kernels (reduce.cu, reduce_rows.cu, softmax_rows.cu):
// reducers matching the CPU's (backend/cpu/reduce.cpp; 16-bit floats accumulate in float),
// softmax's online normalizer, shuffles of any small trivially copyable value, a reduction
// over the threads that share a row (a warp when blockDim.x == 32, else the whole block
// row), and a row walk with 16-byte loads. Device only.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/vector.cuh"
#include "ember/core/primitives/functors.h"

namespace ember::cuda::device {

template <class T>
using Accumulator = std::conditional_t<HalfFloat<T>, float, T>;

template <class T>
struct SumReducer {
  using Acc = Accumulator<T>;
  __device__ static Acc init() { return Acc(0); }
  __device__ static Acc combine(Acc a, Acc b) { return static_cast<Acc>(a + b); }
};
template <class T>
struct ProdReducer {
  using Acc = Accumulator<T>;
  __device__ static Acc init() { return Acc(1); }
  __device__ static Acc combine(Acc a, Acc b) { return static_cast<Acc>(a * b); }
};
template <class T>
struct MaxReducer {
  using Acc = Accumulator<T>;
  __device__ static Acc init() {
    if constexpr (std::numeric_limits<Acc>::has_infinity) {
      return -std::numeric_limits<Acc>::infinity();
    } else {
      return std::numeric_limits<Acc>::lowest();
    }
  }
  __device__ static Acc combine(Acc a, Acc b) { return functors::Maximum{}(a, b); }
};
template <class T>
struct MinReducer {
  using Acc = Accumulator<T>;
  __device__ static Acc init() {
    if constexpr (std::numeric_limits<Acc>::has_infinity) {
      return std::numeric_limits<Acc>::infinity();
    } else {
      return std::numeric_limits<Acc>::max();
    }
  }
  __device__ static Acc combine(Acc a, Acc b) { return functors::Minimum{}(a, b); }
};
struct AllReducer {
  using Acc = bool;
  __device__ static Acc init() { return true; }
  __device__ static Acc combine(Acc a, Acc b) { return a && b; }
};
struct AnyReducer {
  using Acc = bool;
  __device__ static Acc init() { return false; }
  __device__ static Acc combine(Acc a, Acc b) { return a || b; }
};

/// The running maximum and sum of exp(x - max) of part of a softmax row, in float32
/// (Milakov & Gimelshein, "Online normalizer calculation for softmax", 2018).
struct Normalizer {
  float max;
  float sum;
};

__device__ __forceinline__ float rescaled(float sum, float from, float to) {
  return from == to ? sum : sum * expf(from - to);  // equal infinities: no inf - inf
}
/// The normalizer of both parts. Commutative, so every lane of a butterfly (shuffle_xor)
/// reduction ends with the same pair.
__device__ __forceinline__ Normalizer merge(Normalizer a, Normalizer b) {
  const float top = a.max > b.max ? a.max : b.max;  // a NaN makes the sum NaN below
  return {top, rescaled(a.sum, a.max, top) + rescaled(b.sum, b.max, top)};
}

/// __shfl_xor_sync for any trivially copyable value of up to 16 bytes, moved as 4-byte words.
template <class T>
__device__ __forceinline__ T shuffle_xor(T value, int mask) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 16);
  constexpr int kWords = (sizeof(T) + 3) / 4;
  unsigned int words[kWords] = {};
  memcpy(words, &value, sizeof(T));
#pragma unroll
  for (int w = 0; w < kWords; ++w) words[w] = __shfl_xor_sync(0xffffffffu, words[w], mask);
  memcpy(&value, words, sizeof(T));
  return value;
}

/// Combines `value` over the blockDim.x threads of this thread's row (threadIdx.y); every
/// one of them gets the result. blockDim.x is 32 or a multiple of 32, blockDim.x *
/// blockDim.y <= 1024; with blockDim.x > 32 every thread of the block must call it.
/// `shared` holds 32 values.
template <class T, class Combine>
__device__ __forceinline__ T row_reduce(T value, Combine combine, T* shared) {
#pragma unroll
  for (int mask = 16; mask > 0; mask >>= 1) value = combine(value, shuffle_xor(value, mask));
  if (blockDim.x == 32) return value;
  const int warps = blockDim.x / 32;
  const int base = threadIdx.y * warps;
  __syncthreads();  // an earlier call may still be reading `shared`
  if (threadIdx.x % 32 == 0) shared[base + threadIdx.x / 32] = value;
  __syncthreads();
  value = shared[base];
  for (int w = 1; w < warps; ++w) value = combine(value, shared[base + w]);
  return value;
}

/// Calls f(row[i], i) for the i in [0, length) that thread `lane` of `width` owns: an
/// unaligned head and tail element by element, the 16-byte-aligned middle in vectors.
template <class T, class F>
__device__ __forceinline__ void for_each_in_row(const T* row, int64_t length, int lane, int width,
                                                F&& f) {
  constexpr int W = 16 / sizeof(T) > 0 ? 16 / sizeof(T) : 1;
  const uintptr_t address = reinterpret_cast<uintptr_t>(row);
  int64_t head = static_cast<int64_t>(((16 - address % 16) % 16) / sizeof(T));
  if (address % sizeof(T) != 0 || head > length) head = length;
  for (int64_t i = lane; i < head; i += width) f(row[i], i);
  const int64_t chunks = (length - head) / W;
  const T* body = row + head;
  for (int64_t c = lane; c < chunks; c += width) {
    const Aligned<T, W> chunk = *reinterpret_cast<const Aligned<T, W>*>(body + c * W);
#pragma unroll
    for (int j = 0; j < W; ++j) f(chunk.v[j], head + c * W + j);
  }
  for (int64_t i = head + chunks * W + lane; i < length; i += width) f(row[i], i);
}

}  // namespace ember::cuda::device
