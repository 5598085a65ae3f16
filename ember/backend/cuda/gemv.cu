// Matrix-vector kernels for small-row Matmul (gemv_launch.h). A column c of the output is
// the dot product of w's row c with each of x's rows (at most 8): `split` warps of a block
// share the column, interleaved by 16-byte vector. In a pass a lane issues all kLoads of its
// weight vectors before any arithmetic, so a warp keeps 4 KiB of weights in flight (a decode
// step is bound by how fast the weights stream in); the weights are read with the streaming
// hint, x through L1 (every warp reads it). Sums are float32, reduced across the warp by
// shuffles and across the column's warps in shared memory. Launched as a programmatic
// dependent (device/dependent_launch.cuh): the first pass's weight loads are issued before
// the wait for the kernel ahead.
#include <cstdint>
#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/dependent_launch.cuh"
#include "ember/backend/cuda/device/widen.cuh"
#include "ember/backend/cuda/gemv_launch.h"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/core/primitives/functors.h"

namespace ember::cuda {
namespace {

constexpr int kGemvThreads = 128;
constexpr int kGemvWarps = kGemvThreads / 32;
constexpr int kLoads = 8;  // weight loads in flight per lane

// A lane's element or chunk: one T, or 16 bytes as words.
template <class T, bool Vector>
using Raw = std::conditional_t<Vector, uint4, T>;

template <class T, bool Vector>
__device__ __forceinline__ Raw<T, Vector> load_weights(const T* p) {
  if constexpr (Vector) {
    return __ldcs(reinterpret_cast<const uint4*>(p));  // streamed: read once
  } else {
    return *p;
  }
}

template <class T, bool Vector>
__device__ __forceinline__ void widen_raw(const Raw<T, Vector>& raw,
                                          float (&out)[Vector ? 16 / sizeof(T) : 1]) {
  if constexpr (Vector) {
    device::widen<T>(raw, out);
  } else {
    out[0] = device::convert<float>(raw);
  }
}

// Blocks an SM must hold: 8 for one or two rows (64 registers a thread; one row spills 8
// bytes outside the loads) keep 32 warps, so 128 KiB of weights, in flight per SM.
template <int R>
inline constexpr int kGemvMinBlocks = R <= 2 ? 8 : 4;

// Swiglu: y[r, c] = swiglu(gate, up) of the products with w's rows c (gate) and c + cols
// (up), each rounded to T first as the composition rounds: a column's split warps for its
// gate are followed by split warps for its up.
template <class T, int R, bool Vector, int kSplit, bool Swiglu>
__global__ void __launch_bounds__(kGemvThreads, kGemvMinBlocks<R>)
    gemv_kernel(const T* __restrict__ x, int64_t x_stride, const T* __restrict__ w,
                int64_t w_stride, T* y, int rows, int64_t cols, int64_t depth, GemvAddend addend) {
  constexpr int split = kSplit;
  constexpr int per_col = Swiglu ? 2 * split : split;  // warps of an output column
  static_assert(per_col <= kGemvWarps);
  constexpr int W = Vector ? 16 / sizeof(T) : 1;
  __shared__ float partial_sh[kGemvWarps][R];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int group = warp % per_col;  // the column's warps are adjacent
  const int part = group % split;
  const int64_t col = static_cast<int64_t>(blockIdx.x) * (kGemvWarps / per_col) + warp / per_col;
  const int64_t w_row = Swiglu && group >= split ? col + cols : col;

  // The column's warps interleave by vector: warp `part`'s lane reads vectors part * 32 +
  // lane, then every split * 32-th after it, so each load of a warp is 512 contiguous bytes.
  // Offsets within a pass are compile-time, so they cost no registers.
  constexpr int lane_step = split * 32 * W;
  float sum[R] = {};
  const T* row = w + (col < cols ? w_row : 0) * w_stride;
  int64_t base = (static_cast<int64_t>(part) * 32 + lane) * W;
  Raw<T, Vector> wv[kLoads];
  auto load_pass = [&] {
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      if (u * lane_step < depth - base) wv[u] = load_weights<T, Vector>(row + base + u * lane_step);
    }
  };
  // The first pass's weights are requested before the wait: launched as a dependent, this
  // kernel streams them in while the kernel ahead (a norm, the attention) finishes; x, the
  // addend and y are touched only after it.
  const bool active = col < cols;
  if (active) load_pass();
  device::wait_for_prerequisites();
  if (active) {
    for (bool first = true; base < depth; base += lane_step * kLoads, first = false) {
      if (!first) load_pass();
      const T* x_pass = x + base;
      const int64_t left = depth - base;  // elements of the row from this lane's first
#pragma unroll
      for (int u = 0; u < kLoads; ++u) {
        if (u * lane_step >= left) break;
        float wf[W];
        widen_raw<T, Vector>(wv[u], wf);
#pragma unroll
        for (int r = 0; r < R; ++r) {
          if (r < rows) {
            float xf[W];
            widen_raw<T, Vector>(
                *reinterpret_cast<const Raw<T, Vector>*>(x_pass + r * x_stride + u * lane_step),
                xf);
#pragma unroll
            for (int j = 0; j < W; ++j) sum[r] = fmaf(wf[j], xf[j], sum[r]);
          }
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < R; ++r) {
#pragma unroll
    for (int mask = 16; mask > 0; mask >>= 1) sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], mask);
  }
  float up[R] = {};
  if (per_col > 1) {
    if (lane == 0) {
#pragma unroll
      for (int r = 0; r < R; ++r) partial_sh[warp][r] = sum[r];
    }
    __syncthreads();
    if (group != 0) return;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      for (int s = 1; s < split; ++s) sum[r] += partial_sh[warp + s][r];
      if constexpr (Swiglu) {
        for (int s = 0; s < split; ++s) up[r] += partial_sh[warp + split + s][r];
      }
    }
  }
  if constexpr (Swiglu) {
    if (lane == 0 && col < cols) {
#pragma unroll
      for (int r = 0; r < R; ++r) {
        if (r < rows) {
          y[r * cols + col] =
              functors::SwiGlu{}(device::convert<T>(sum[r]), device::convert<T>(up[r]));
        }
      }
    }
    return;
  }
  if (lane == 0 && col < cols) {
    // The addend may be y itself (AddMM copied c there): each element is read, then written,
    // by this one thread.
    const T* add = static_cast<const T*>(addend.data);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      if (r < rows) {
        float value = sum[r];
        if (add != nullptr) {
          value = addend.alpha * value +
                  addend.beta * device::convert<float>(add[r * addend.row_stride + col]);
        }
        y[r * cols + col] = device::convert<T>(value);
      }
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Warps per column: the fewest (a power of two, at most a block's) that leave each lane at
// most kLoads vectors, so a column's weights are all requested at once (Qwen3's 6144-deep
// down projection: 4 warps of 6 loads a lane rather than one warp of 3 passes).
int split_for(int64_t depth, int w) {
  const int64_t per_lane = ((depth + w - 1) / w + 31) / 32;
  int split = 1;
  while (split < kGemvWarps && per_lane > static_cast<int64_t>(split) * kLoads) split *= 2;
  return split;
}

template <class T, int R, bool Vector, int kSplit, bool Swiglu>
void launch_split(const T* x, int64_t x_stride, const T* w, int64_t w_stride, T* y, int rows,
                  int64_t cols, int64_t depth, const GemvAddend& addend) {
  constexpr int per_col = Swiglu ? 2 * kSplit : kSplit;
  const unsigned int blocks = blocks_for(cols, kGemvWarps / per_col);
  launch_as_dependent(gemv_kernel<T, R, Vector, kSplit, Swiglu>, dim3(blocks),
                      dim3(kGemvThreads), x, x_stride, w, w_stride, y, rows, cols, depth, addend);
}

// A SwiGLU column takes twice its split in warps, so at most 2 (then more passes a warp).
template <class T, int R, bool Vector, bool Swiglu>
void launch_typed(const T* x, int64_t x_stride, const T* w, int64_t w_stride, T* y, int rows,
                  int64_t cols, int64_t depth, const GemvAddend& addend) {
  static_assert(kGemvWarps == 4);
  constexpr int W = Vector ? 16 / sizeof(T) : 1;
  const int split = split_for(depth, W);
  if (split == 1) {
    return launch_split<T, R, Vector, 1, Swiglu>(x, x_stride, w, w_stride, y, rows, cols, depth,
                                                 addend);
  }
  if (split == 2 || Swiglu) {
    return launch_split<T, R, Vector, 2, Swiglu>(x, x_stride, w, w_stride, y, rows, cols, depth,
                                                 addend);
  }
  if constexpr (!Swiglu) {
    launch_split<T, R, Vector, 4, false>(x, x_stride, w, w_stride, y, rows, cols, depth, addend);
  }
}

template <class T, bool Vector, bool Swiglu>
void launch_rows(const T* x, int64_t x_stride, const T* w, int64_t w_stride, T* y, int rows,
                 int64_t cols, int64_t depth, const GemvAddend& addend) {
  static_assert(kGemvMaxRows == 8);
  if (rows == 1) {
    return launch_typed<T, 1, Vector, Swiglu>(x, x_stride, w, w_stride, y, rows, cols, depth,
                                              addend);
  }
  if (rows == 2) {
    return launch_typed<T, 2, Vector, Swiglu>(x, x_stride, w, w_stride, y, rows, cols, depth,
                                              addend);
  }
  if (rows <= 4) {
    return launch_typed<T, 4, Vector, Swiglu>(x, x_stride, w, w_stride, y, rows, cols, depth,
                                              addend);
  }
  launch_typed<T, 8, Vector, Swiglu>(x, x_stride, w, w_stride, y, rows, cols, depth, addend);
}

// launch_gemv and launch_gemv_swiglu.
template <bool Swiglu>
bool launch_any(Dtype dtype, const void* x, int64_t x_stride, const void* w, int64_t w_stride,
                void* y, int rows, int64_t cols, int64_t depth, const GemvAddend& addend) {
  if (cols > (int64_t{1} << 33)) return false;  // past the grid's x limit: cuBLASLt's
  return dispatch_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr int W = 16 / sizeof(T);
    const bool vector =
        depth % W == 0 && x_stride % W == 0 && w_stride % W == 0 && aligned16(x) && aligned16(w);
    const auto* xs = static_cast<const T*>(x);
    const auto* ws = static_cast<const T*>(w);
    auto* ys = static_cast<T*>(y);
    if (vector) {
      launch_rows<T, true, Swiglu>(xs, x_stride, ws, w_stride, ys, rows, cols, depth, addend);
    } else {
      launch_rows<T, false, Swiglu>(xs, x_stride, ws, w_stride, ys, rows, cols, depth, addend);
    }
    return true;
  });
}

}  // namespace

bool launch_gemv(Dtype dtype, const void* x, int64_t x_stride, const void* w, int64_t w_stride,
                 void* y, int rows, int64_t cols, int64_t depth, const GemvAddend& addend) {
  return launch_any<false>(dtype, x, x_stride, w, w_stride, y, rows, cols, depth, addend);
}

bool launch_gemv_swiglu(Dtype dtype, const void* x, int64_t x_stride, const void* w,
                        int64_t w_stride, void* y, int rows, int64_t cols, int64_t depth) {
  return launch_any<true>(dtype, x, x_stride, w, w_stride, y, rows, cols, depth, GemvAddend{});
}

}  // namespace ember::cuda
