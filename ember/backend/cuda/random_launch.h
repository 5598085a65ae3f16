// Launchers of the random primitives' kernels (random.cu), called by random.cpp's eval_gpu.
// They compute what backend/cpu/random.cpp computes: the bits bit for bit, the transforms
// with the same float operations (GPU logf and erff may differ from glibc's by an ulp).
#pragma once

#include <cstdint>

#include "ember/backend/cuda/launch.h"
#include "ember/core/dtype.h"

namespace ember::cuda {

/// RandomBits: `bytes_per_key` bytes of out per key, key k being (keys[2 k], keys[2 k + 1]),
/// in the layout of Note [Random bits layout] (backend/cpu/random.cpp).
void launch_random_bits(const uint32_t* keys, int64_t num_keys, uint8_t* out,
                        int64_t bytes_per_key);

/// The one-input RandomTransform kinds.
enum class RandomMap { unit_interval, erfinv, erf, laplace };

/// out[i] = map(in[layout(i)]) for i < size, out float32 and contiguous; `in` is uint32
/// for unit_interval (`param` its upper bound), float32 otherwise.
void launch_random_map(RandomMap map, float param, const void* in, float* out, int64_t size,
                       const Layout<1>& layout);

/// out[i] = float(a[layout_0(i)]) < b[layout_1(i)]. False if a_dtype has no CUDA kernels.
bool launch_random_less(Dtype a_dtype, const void* a, const float* b, bool* out, int64_t size,
                        const Layout<2>& layout);

/// RandomTransform's randint: operands lo_bits, hi_bits (uint32), low, high (64-bit bound
/// patterns) through layout_0..3; out contiguous of out_dtype. False for a float out_dtype.
bool launch_random_randint(Dtype out_dtype, bool wide, bool unsigned_bounds,
                           const uint32_t* lo_bits, const uint32_t* hi_bits, const uint64_t* low,
                           const uint64_t* high, void* out, int64_t size, const Layout<4>& layout);

}  // namespace ember::cuda
