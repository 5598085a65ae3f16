// The random primitives on the GPU. RandomBits: one thread per Threefry-2x32 hash, i.e. per
// pair of 32-bit output words of one key (Note [Random bits layout], backend/cpu/random.cpp),
// sharing the CPU's hash function, so both backends give the same bits. RandomTransform:
// elementwise over strided (broadcast) operands into a contiguous output.
#include <cmath>
#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/backend/cuda/random_launch.h"
#include "ember/core/primitives/random.h"

namespace ember::cuda {
namespace {

constexpr int kThreads = 256;

// Word `word` of one key's `bytes` output bytes; the last word may be cut, and a key's
// bytes need not start 4-byte aligned (widths 1 and 2 with odd sizes).
__device__ __forceinline__ void store_word(uint8_t* key_out, int64_t bytes, int64_t word,
                                           uint32_t value) {
  const int64_t offset = word * 4;
  uint8_t* dst = key_out + offset;
  if (offset + 4 <= bytes && reinterpret_cast<uintptr_t>(dst) % 4 == 0) {
    *reinterpret_cast<uint32_t*>(dst) = value;
  } else {
    for (int b = 0; b < 4 && offset + b < bytes; ++b)
      dst[b] = static_cast<uint8_t>(value >> (8 * b));
  }
}

__global__ void random_bits_kernel(const uint32_t* __restrict__ keys, int64_t num_keys,
                                   uint8_t* __restrict__ out, int64_t bytes_per_key) {
  const int64_t words = (bytes_per_key + 3) / 4;
  const int64_t half = words / 2, odd = words % 2;
  const int64_t hashes = half + odd;  // per key
  const int64_t total = num_keys * hashes;
  for (int64_t t = device::thread_start(1); t < total; t += device::grid_stride(1)) {
    const int64_t k = t / hashes, i = t % hashes;
    const std::pair<uint32_t, uint32_t> key{keys[2 * k], keys[2 * k + 1]};
    uint8_t* key_out = out + k * bytes_per_key;
    if (i < half) {
      const auto [a, b] = random::detail::threefry2x32(
          key, {static_cast<uint32_t>(i), static_cast<uint32_t>(i + half + odd)});
      store_word(key_out, bytes_per_key, i, a);
      store_word(key_out, bytes_per_key, i + half + odd, b);
    } else {  // the odd middle word: first half of the hash of (half, 0)
      store_word(key_out, bytes_per_key, half,
                 random::detail::threefry2x32(key, {static_cast<uint32_t>(half), 0u}).first);
    }
  }
}

// MLX's single-precision erfinv (M. Giles, 2010), the same operations as the CPU's.
__device__ float erfinv_float(float a) {
  float t = fmaf(a, 0.0f - a, 1.0f);
  t = logf(t);
  float p;
  if (fabsf(t) > 6.125f) {
    p = 3.03697567e-10f;
    p = fmaf(p, t, 2.93243101e-8f);
    p = fmaf(p, t, 1.22150334e-6f);
    p = fmaf(p, t, 2.84108955e-5f);
    p = fmaf(p, t, 3.93552968e-4f);
    p = fmaf(p, t, 3.02698812e-3f);
    p = fmaf(p, t, 4.83185798e-3f);
    p = fmaf(p, t, -2.64646143e-1f);
    p = fmaf(p, t, 8.40016484e-1f);
  } else {
    p = 5.43877832e-9f;
    p = fmaf(p, t, 1.43285448e-7f);
    p = fmaf(p, t, 1.22774793e-6f);
    p = fmaf(p, t, 1.12963626e-7f);
    p = fmaf(p, t, -5.61530760e-5f);
    p = fmaf(p, t, -1.47697632e-4f);
    p = fmaf(p, t, 2.31468678e-3f);
    p = fmaf(p, t, 1.15392581e-2f);
    p = fmaf(p, t, -2.32015476e-1f);
    p = fmaf(p, t, 8.86226892e-1f);
  }
  return a * p;
}

template <RandomMap kMap>
__global__ void random_map_kernel(const void* __restrict__ in, float* __restrict__ out,
                                  int64_t size, Layout<1> layout, float param) {
  for (int64_t i = device::thread_start(1); i < size; i += device::grid_stride(1)) {
    int64_t offset[1];
    device::strided_offsets(layout, i, offset);
    if constexpr (kMap == RandomMap::unit_interval) {
      const uint32_t bits = static_cast<const uint32_t*>(in)[offset[0]];
      out[i] = fminf(__fdiv_rn(static_cast<float>(bits), static_cast<float>(UINT32_MAX)), param);
    } else {
      const float x = static_cast<const float*>(in)[offset[0]];
      if constexpr (kMap == RandomMap::erfinv) {
        out[i] = erfinv_float(x);
      } else if constexpr (kMap == RandomMap::erf) {
        out[i] = erff(x);
      } else {
        const float sign = x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
        out[i] = sign * log1pf(-fabsf(x));
      }
    }
  }
}

template <class A>
__global__ void random_less_kernel(const A* __restrict__ a, const float* __restrict__ b,
                                   bool* __restrict__ out, int64_t size, Layout<2> layout) {
  for (int64_t i = device::thread_start(1); i < size; i += device::grid_stride(1)) {
    int64_t offset[2];
    device::strided_offsets(layout, i, offset);
    out[i] = device::convert<float>(a[offset[0]]) < b[offset[1]];
  }
}

template <class T>
__global__ void random_randint_kernel(const uint32_t* __restrict__ lo_bits,
                                      const uint32_t* __restrict__ hi_bits,
                                      const uint64_t* __restrict__ low,
                                      const uint64_t* __restrict__ high, T* __restrict__ out,
                                      int64_t size, Layout<4> layout, bool wide,
                                      bool unsigned_bounds) {
  for (int64_t i = device::thread_start(1); i < size; i += device::grid_stride(1)) {
    int64_t offset[4];
    device::strided_offsets(layout, i, offset);
    const uint64_t lo = low[offset[2]], hi = high[offset[3]];
    const bool empty =
        unsigned_bounds ? hi <= lo : static_cast<int64_t>(hi) <= static_cast<int64_t>(lo);
    const uint64_t range = empty ? 1 : hi - lo;
    uint64_t raw = lo_bits[offset[0]];
    if (wide) raw |= static_cast<uint64_t>(hi_bits[offset[1]]) << 32;
    const uint64_t value = lo + raw % range;  // wraps as unsigned, as on the CPU
    if constexpr (std::is_same_v<T, bool>) {
      out[i] = value != 0;
    } else {
      out[i] = static_cast<T>(value);
    }
  }
}

}  // namespace

void launch_random_bits(const uint32_t* keys, int64_t num_keys, uint8_t* out,
                        int64_t bytes_per_key) {
  const int64_t words = (bytes_per_key + 3) / 4;
  const int64_t hashes = num_keys * (words / 2 + words % 2);
  if (hashes == 0) return;
  random_bits_kernel<<<blocks_for(hashes, kThreads), kThreads, 0, current_stream()>>>(
      keys, num_keys, out, bytes_per_key);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

void launch_random_map(RandomMap map, float param, const void* in, float* out, int64_t size,
                       const Layout<1>& layout) {
  if (size == 0) return;
  const unsigned int blocks = blocks_for(size, kThreads);
  cudaStream_t stream = current_stream();
  switch (map) {
    case RandomMap::unit_interval:
      random_map_kernel<RandomMap::unit_interval>
          <<<blocks, kThreads, 0, stream>>>(in, out, size, layout, param);
      break;
    case RandomMap::erfinv:
      random_map_kernel<RandomMap::erfinv>
          <<<blocks, kThreads, 0, stream>>>(in, out, size, layout, param);
      break;
    case RandomMap::erf:
      random_map_kernel<RandomMap::erf>
          <<<blocks, kThreads, 0, stream>>>(in, out, size, layout, param);
      break;
    case RandomMap::laplace:
      random_map_kernel<RandomMap::laplace>
          <<<blocks, kThreads, 0, stream>>>(in, out, size, layout, param);
      break;
  }
  EMBER_CUDA_CHECK(cudaGetLastError());
}

bool launch_random_less(Dtype a_dtype, const void* a, const float* b, bool* out, int64_t size,
                        const Layout<2>& layout) {
  return dispatch_gpu_type(a_dtype, [&](auto tag) {
    using A = typename decltype(tag)::type;
    if (size == 0) return true;
    random_less_kernel<A><<<blocks_for(size, kThreads), kThreads, 0, current_stream()>>>(
        static_cast<const A*>(a), b, out, size, layout);
    EMBER_CUDA_CHECK(cudaGetLastError());
    return true;
  });
}

bool launch_random_randint(Dtype out_dtype, bool wide, bool unsigned_bounds,
                           const uint32_t* lo_bits, const uint32_t* hi_bits, const uint64_t* low,
                           const uint64_t* high, void* out, int64_t size, const Layout<4>& layout) {
  return dispatch_gpu_type(out_dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
      if (size == 0) return true;
      random_randint_kernel<T><<<blocks_for(size, kThreads), kThreads, 0, current_stream()>>>(
          lo_bits, hi_bits, low, high, static_cast<T*>(out), size, layout, wide, unsigned_bounds);
      EMBER_CUDA_CHECK(cudaGetLastError());
      return true;
    } else {
      return false;
    }
  });
}

}  // namespace ember::cuda
