// fast::rms_norm, layer_norm and rope on the GPU. Norms: one warp per row of up to 1024
// elements (8 rows a block), else one block per row; float32 sums through warp shuffles,
// 16-byte loads and stores when every operand allows them, rounding where the reference
// compositions (fast/reference.h) round. Rows are read once per pass (two for rms_norm, three
// for layer_norm); the later passes hit L1/L2. An rms_norm row of at most one chunk a thread
// (decode's hidden and q/k rows) is read once, with its weight, and kept in registers. Rope:
// one thread per rotated pair or passed-through feature, the angle's cos and sin from
// sincosf (no tables). Host side: fast.cpp.
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/dependent_launch.cuh"
#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/device/reduce.cuh"
#include "ember/backend/cuda/fast_launch.h"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/core/errors.h"
#include "ember/core/primitives/functors.h"

namespace ember::cuda {
namespace {

dim3 norm_block(int64_t length) {
  if (length <= 1024) return dim3(32, 8);
  return dim3(length <= 8192 ? 256 : 1024, 1);
}

struct Add {
  __device__ float operator()(float a, float b) const { return a + b; }
};

template <class T, int W>
__device__ __forceinline__ device::Aligned<T, W> load(const T* p) {
  return *reinterpret_cast<const device::Aligned<T, W>*>(p);
}

// The first element of the next chunk of W this thread owns in a row, and the step.
template <int W>
__device__ __forceinline__ int64_t chunk_start() {
  return static_cast<int64_t>(threadIdx.x) * W;
}
template <int W>
__device__ __forceinline__ int64_t chunk_step() {
  return static_cast<int64_t>(blockDim.x) * W;
}

// What an RMSNorm has besides x and out (fast/primitives.h): the weight (Wt, or null), the
// gate (x's dtype, or null; row r starts at gate + gate_rows(r)) and how the row is scaled.
template <class T, class Wt>
struct RmsNormExtras {
  const Wt* weight;
  const T* gate;
  Layout<1> gate_rows;
  bool float32_scale;
};

// One chunk of an RMSNorm row, rounded as the primitive's op does: x * scale rounded to T and
// then times the weight in O; or (float32_scale) times the float32 weight in float32; then
// times silu(gate) in float32 when gated; rounded to O last.
template <class T, class Wt, class O, int W>
__device__ __forceinline__ device::Aligned<O, W> rms_normed(const device::Aligned<T, W>& chunk,
                                                            const device::Aligned<Wt, W>& w,
                                                            const device::Aligned<T, W>& gate,
                                                            const RmsNormExtras<T, Wt>& extras,
                                                            float scale) {
  device::Aligned<O, W> result;
#pragma unroll
  for (int j = 0; j < W; ++j) {
    float value = device::convert<float>(chunk.v[j]) * scale;
    if (extras.float32_scale) {
      if (extras.weight != nullptr) value *= device::convert<float>(w.v[j]);
    } else {
      value = device::convert<float>(device::convert<T>(value));
      if (extras.weight != nullptr) {
        value = device::convert<float>(device::convert<O>(device::convert<float>(w.v[j]) * value));
      }
    }
    if (extras.gate != nullptr) {
      const float g = device::convert<float>(gate.v[j]);
      value = g * functors::detail::stable_sigmoid(g) * value;  // as fast::swiglu(gate, value)
    }
    result.v[j] = device::convert<O>(value);
  }
  return result;
}

// W elements per access: length % W == 0 and every pointer and gate row aligned to its
// chunk (W = 1 when not). O is the output dtype: T's or float32; Wt the weight's (O's, or
// float32 with float32_scale).
template <class T, class Wt, class O, int W>
__global__ void rms_norm_kernel(const T* x, RmsNormExtras<T, Wt> extras, O* out, int64_t rows,
                                int64_t length, float inv_length, float eps) {
  device::launch_dependents();  // a GEMV after this one may start (dependent_launch.cuh)
  __shared__ float shared[32];
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const T* src = x + row * length;
    O* dst = out + row * length;
    const T* gate = nullptr;
    if (extras.gate != nullptr) {
      int64_t offsets[1];
      device::strided_offsets(extras.gate_rows, row, offsets);
      gate = extras.gate + offsets[0];
    }
    auto normed = [&](int64_t i, const device::Aligned<T, W>& chunk, float scale) {
      device::Aligned<Wt, W> w{};
      device::Aligned<T, W> g{};
      if (extras.weight != nullptr) w = load<Wt, W>(extras.weight + i);
      if (gate != nullptr) g = load<T, W>(gate + i);
      return rms_normed<T, Wt, O, W>(chunk, w, g, extras, scale);
    };
    if (length <= chunk_step<W>()) {
      // At most one chunk a thread (decode's rows): x, the weight and the gate are read
      // together, once, so the row costs one round trip to memory before the reduction.
      const int64_t i = chunk_start<W>();
      const bool mine = i < length;
      device::Aligned<T, W> chunk{}, g{};
      device::Aligned<Wt, W> w{};
      if (mine) {
        chunk = load<T, W>(src + i);
        if (extras.weight != nullptr) w = load<Wt, W>(extras.weight + i);
        if (gate != nullptr) g = load<T, W>(gate + i);
      }
      float sum = 0.0f;
#pragma unroll
      for (int j = 0; j < W; ++j) {
        const float v = device::convert<float>(chunk.v[j]);
        sum += v * v;
      }
      sum = device::row_reduce(sum, Add{}, shared);
      if (mine) {
        *reinterpret_cast<device::Aligned<O, W>*>(dst + i) =
            rms_normed<T, Wt, O, W>(chunk, w, g, extras, 1.0f / sqrtf(sum * inv_length + eps));
      }
      continue;
    }
    float sum = 0.0f;
    for (int64_t i = chunk_start<W>(); i < length; i += chunk_step<W>()) {
      const auto chunk = load<T, W>(src + i);
#pragma unroll
      for (int j = 0; j < W; ++j) {
        const float v = device::convert<float>(chunk.v[j]);
        sum += v * v;
      }
    }
    sum = device::row_reduce(sum, Add{}, shared);
    const float scale = 1.0f / sqrtf(sum * inv_length + eps);
    for (int64_t i = chunk_start<W>(); i < length; i += chunk_step<W>()) {
      *reinterpret_cast<device::Aligned<O, W>*>(dst + i) = normed(i, load<T, W>(src + i), scale);
    }
  }
}

template <class T, int W>
__global__ void layer_norm_kernel(const T* x, const T* weight, const T* bias, T* out, int64_t rows,
                                  int64_t length, float inv_length, float eps) {
  __shared__ float shared[32];
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const T* src = x + row * length;
    T* dst = out + row * length;
    float sum = 0.0f;
    for (int64_t i = chunk_start<W>(); i < length; i += chunk_step<W>()) {
      const auto chunk = load<T, W>(src + i);
#pragma unroll
      for (int j = 0; j < W; ++j) sum += device::convert<float>(chunk.v[j]);
    }
    const float mean = device::row_reduce(sum, Add{}, shared) * inv_length;
    float squares = 0.0f;
    for (int64_t i = chunk_start<W>(); i < length; i += chunk_step<W>()) {
      const auto chunk = load<T, W>(src + i);
#pragma unroll
      for (int j = 0; j < W; ++j) {
        const float centred = device::convert<float>(chunk.v[j]) - mean;
        squares += centred * centred;
      }
    }
    squares = device::row_reduce(squares, Add{}, shared);
    const float scale = 1.0f / sqrtf(squares * inv_length + eps);
    for (int64_t i = chunk_start<W>(); i < length; i += chunk_step<W>()) {
      const auto chunk = load<T, W>(src + i);
      device::Aligned<T, W> result;
#pragma unroll
      for (int j = 0; j < W; ++j) {
        result.v[j] = device::convert<T>((device::convert<float>(chunk.v[j]) - mean) * scale);
      }
      if (weight != nullptr) {
        const auto w = load<T, W>(weight + i);
#pragma unroll
        for (int j = 0; j < W; ++j) {
          result.v[j] = device::convert<T>(device::convert<float>(result.v[j]) *
                                           device::convert<float>(w.v[j]));
        }
      }
      if (bias != nullptr) {
        const auto b = load<T, W>(bias + i);
#pragma unroll
        for (int j = 0; j < W; ++j) {
          result.v[j] = device::convert<T>(device::convert<float>(result.v[j]) +
                                           device::convert<float>(b.v[j]));
        }
      }
      *reinterpret_cast<device::Aligned<T, W>*>(dst + i) = result;
    }
  }
}

// Items of a row: the dims / 2 rotated pairs, then the features past dims, copied.
template <class T>
__global__ void rope_kernel(const T* x, Layout<1> rows_layout, T* out, RopeArgs args,
                            float exponent) {
  const int half = args.dims / 2;
  const int per_row = half + (args.features - args.dims);
  const int64_t total = args.rows * per_row;
  const int offset = args.dynamic_offset != nullptr ? *args.dynamic_offset : args.offset;
  for (int64_t index = device::thread_start(1); index < total; index += device::grid_stride(1)) {
    const int64_t row = index / per_row;
    const int item = static_cast<int>(index % per_row);
    int64_t offsets[1];
    device::strided_offsets(rows_layout, row, offsets);
    const T* src = x + offsets[0];
    T* dst = out + row * args.features;
    if (item >= half) {
      const int j = args.dims + (item - half);
      dst[j] = src[j];
      continue;
    }
    const float inv_freq =
        args.freqs != nullptr ? 1.0f / args.freqs[item] : expf(static_cast<float>(item) * exponent);
    const float position =
        static_cast<float>(offset + static_cast<int>(row % args.length)) * args.scale;
    float sin_theta, cos_theta;
    sincosf(position * inv_freq, &sin_theta, &cos_theta);
    const int j1 = args.traditional ? 2 * item : item;
    const int j2 = args.traditional ? j1 + 1 : item + half;
    const float x1 = device::convert<float>(src[j1]), x2 = device::convert<float>(src[j2]);
    dst[j1] = device::convert<T>(x1 * cos_theta - x2 * sin_theta);
    dst[j2] = device::convert<T>(x2 * cos_theta + x1 * sin_theta);
  }
}

// rms_norm_rope: one warp per row. The row's sum of squares first, then each item of
// rope_kernel's (rotated pairs, then the features past dims) from the normalised values,
// rounded to T as rms_norm (or rms_norm_float32) rounds; the second read of the row hits L1.
template <class T, class Wt>
__global__ void rms_norm_rope_kernel(const T* x, Layout<1> rows_layout, T* out, RopeArgs args,
                                     float exponent, float inv_features) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (row >= args.rows) return;  // whole warps: no block-wide synchronisation follows
  const int lane = threadIdx.x;
  int64_t offsets[1];
  device::strided_offsets(rows_layout, row, offsets);
  const T* src = x + offsets[0];
  T* dst = out + row * args.features;
  const auto* weight = static_cast<const Wt*>(args.norm_weight);
  float sum = 0.0f;
  for (int j = lane; j < args.features; j += 32) {
    const float v = device::convert<float>(src[j]);
    sum += v * v;
  }
#pragma unroll
  for (int delta = 16; delta > 0; delta /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, delta);
  const float scale = 1.0f / sqrtf(sum * inv_features + args.eps);
  auto normed = [&](int j) {
    const float v = device::convert<float>(src[j]) * scale;
    const float w = device::convert<float>(weight[j]);
    if (args.float32_scale) return device::convert<float>(device::convert<T>(v * w));
    const float rounded = device::convert<float>(device::convert<T>(v));
    return device::convert<float>(device::convert<T>(w * rounded));
  };
  const int half = args.dims / 2;
  const int offset = args.dynamic_offset != nullptr ? *args.dynamic_offset : args.offset;
  const float position =
      static_cast<float>(offset + static_cast<int>(row % args.length)) * args.scale;
  for (int item = lane; item < half; item += 32) {
    const float inv_freq =
        args.freqs != nullptr ? 1.0f / args.freqs[item] : expf(static_cast<float>(item) * exponent);
    float sin_theta, cos_theta;
    sincosf(position * inv_freq, &sin_theta, &cos_theta);
    const int j1 = args.traditional ? 2 * item : item;
    const int j2 = args.traditional ? j1 + 1 : item + half;
    const float x1 = normed(j1), x2 = normed(j2);
    dst[j1] = device::convert<T>(x1 * cos_theta - x2 * sin_theta);
    dst[j2] = device::convert<T>(x2 * cos_theta + x1 * sin_theta);
  }
  for (int j = args.dims + lane; j < args.features; j += 32) dst[j] = device::convert<T>(normed(j));
}

// Whether rows can be read in chunks of W: length a multiple of W and each (pointer, element
// size) aligned to its chunk (null pointers are absent operands).
template <int W>
bool fits_chunks(int64_t length, std::initializer_list<std::pair<const void*, size_t>> operands) {
  if (length % W != 0) return false;
  for (const auto& [pointer, size] : operands) {
    if (pointer != nullptr && reinterpret_cast<uintptr_t>(pointer) % (size * W) != 0) return false;
  }
  return true;
}

float inverse_length(int64_t length) {
  return static_cast<float>(1.0 / static_cast<double>(length));
}

// Whether every gate row starts on a chunk of W (its pointer is checked with the others).
template <int W>
bool gate_rows_fit(const Layout<1>& rows) {
  for (int d = 0; d < rows.ndim; ++d) {
    if (rows.shape[d] > 1 && rows.strides[0][d] % W != 0) return false;
  }
  return true;
}

template <class T, class Wt, class O>
void launch_rms_norm_typed(const T* x, const RmsNormExtras<T, Wt>& extras, O* out, int64_t rows,
                           int64_t length, float eps) {
  constexpr int W = device::kVectorWidth<T, Wt, O>;
  const dim3 block = norm_block(length);
  const unsigned int blocks = blocks_for(rows, block.y);
  if (fits_chunks<W>(length, {{x, sizeof(T)},
                              {extras.weight, sizeof(Wt)},
                              {extras.gate, sizeof(T)},
                              {out, sizeof(O)}}) &&
      gate_rows_fit<W>(extras.gate_rows)) {
    rms_norm_kernel<T, Wt, O, W><<<blocks, block, 0, current_stream()>>>(
        x, extras, out, rows, length, inverse_length(length), eps);
  } else {
    rms_norm_kernel<T, Wt, O, 1><<<blocks, block, 0, current_stream()>>>(
        x, extras, out, rows, length, inverse_length(length), eps);
  }
  EMBER_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void launch_rms_norm(Dtype x_dtype, Dtype out_dtype, const void* x, const RmsNormOperands& more,
                     void* out, int64_t rows, int64_t length, float eps) {
  if (rows == 0 || length == 0) return;
  const bool launched = dispatch_float(x_dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto extras = [&](auto weight_tag) {
      using Wt = typename decltype(weight_tag)::type;
      return RmsNormExtras<T, Wt>{static_cast<const Wt*>(more.weight),
                                  static_cast<const T*>(more.gate), more.gate_rows,
                                  more.float32_scale};
    };
    EMBER_INTERNAL_ASSERT(out_dtype == x_dtype || out_dtype == float32, "RMSNorm from ", x_dtype,
                          " to ", out_dtype);
    if (out_dtype == float32) {
      launch_rms_norm_typed(static_cast<const T*>(x), extras(Tag<float>{}),
                            static_cast<float*>(out), rows, length, eps);
    } else if (more.float32_scale) {
      launch_rms_norm_typed(static_cast<const T*>(x), extras(Tag<float>{}), static_cast<T*>(out),
                            rows, length, eps);
    } else {
      launch_rms_norm_typed(static_cast<const T*>(x), extras(Tag<T>{}), static_cast<T*>(out), rows,
                            length, eps);
    }
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "RMSNorm on ", x_dtype);
}

void launch_layer_norm(Dtype dtype, const void* x, const void* weight, const void* bias, void* out,
                       int64_t rows, int64_t length, float eps) {
  if (rows == 0 || length == 0) return;
  const bool launched = dispatch_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr int W = device::kVectorWidth<T>;
    const T* src = static_cast<const T*>(x);
    const T* w = static_cast<const T*>(weight);
    const T* b = static_cast<const T*>(bias);
    T* dst = static_cast<T*>(out);
    const dim3 block = norm_block(length);
    const unsigned int blocks = blocks_for(rows, block.y);
    if (fits_chunks<W>(length,
                       {{src, sizeof(T)}, {w, sizeof(T)}, {b, sizeof(T)}, {dst, sizeof(T)}})) {
      layer_norm_kernel<T, W><<<blocks, block, 0, current_stream()>>>(src, w, b, dst, rows, length,
                                                                      inverse_length(length), eps);
    } else {
      layer_norm_kernel<T, 1><<<blocks, block, 0, current_stream()>>>(src, w, b, dst, rows, length,
                                                                      inverse_length(length), eps);
    }
    EMBER_CUDA_CHECK(cudaGetLastError());
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "LayerNorm on ", dtype);
}

void launch_rope(Dtype dtype, const void* x, const Layout<1>& rows_layout, void* out,
                 const RopeArgs& args) {
  const int64_t total = args.rows * (args.dims / 2 + args.features - args.dims);
  if (total == 0) return;
  // As the reference computes inv_freq = exp(i * exponent).
  const float exponent = args.freqs != nullptr ? 0.0f : -2.0f * std::log(args.base) / args.dims;
  const bool launched = dispatch_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (args.norm_weight != nullptr) {
      const dim3 block(32, 4);  // a warp a row
      const unsigned int blocks = blocks_for(args.rows, block.y);
      const float inv_features = inverse_length(args.features);
      if (args.float32_scale) {
        rms_norm_rope_kernel<T, float><<<blocks, block, 0, current_stream()>>>(
            static_cast<const T*>(x), rows_layout, static_cast<T*>(out), args, exponent,
            inv_features);
      } else {
        rms_norm_rope_kernel<T, T><<<blocks, block, 0, current_stream()>>>(
            static_cast<const T*>(x), rows_layout, static_cast<T*>(out), args, exponent,
            inv_features);
      }
    } else {
      constexpr int kThreads = 256;
      rope_kernel<T><<<blocks_for(total, kThreads), kThreads, 0, current_stream()>>>(
          static_cast<const T*>(x), rows_layout, static_cast<T*>(out), args, exponent);
    }
    EMBER_CUDA_CHECK(cudaGetLastError());
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "RoPE on ", dtype);
}

}  // namespace ember::cuda
