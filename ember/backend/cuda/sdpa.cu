// fast::scaled_dot_product_attention for a few queries (decode, speculative verify) on the
// GPU, as flash-decoding (Dao et al., "Flash-Decoding for long-context inference", 2023):
// the keys are split into chunks over blocks; a block takes one (batch, kv head, chunk) and
// up to kMaxRows of its (grouped head, query) rows, keeps an online softmax in float32 and
// writes a partial (out, max, sum); a second kernel combines the chunks. Up to 8 rows per
// kv head (decode with grouped heads) the rows live in registers and lane groups read whole
// keys with several loads in flight; more rows share tiles of keys in shared memory. An
// optional mask (boolean or additive, read in place through broadcast strides) joins the
// causal limit.
// Limits: head sizes 64/80/96/128/256, the feature axis contiguous and rows 16-byte aligned.
#include <algorithm>
#include <cmath>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/dependent_launch.cuh"
#include "ember/backend/cuda/device/reduce.cuh"
#include "ember/backend/cuda/device/vector.cuh"
#include "ember/backend/cuda/device/widen.cuh"
#include "ember/backend/cuda/fast_launch.h"
#include "ember/backend/cuda/gpu_dispatch.h"

namespace ember::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kMaxRows = 32;  // (head, query) rows per block
constexpr float kNegInf = -INFINITY;

template <class T, int D>
struct Tiling {
  static constexpr int kVecElems = 16 / static_cast<int>(sizeof(T));
  static constexpr int kVecs = D / kVecElems;      // 16-byte vectors per key row
  static constexpr int kKeys = D > 128 ? 16 : 32;  // keys per tile (one warp lane each)
  static constexpr int kKeyStride = D + 1;  // odd: lanes reading one column of k hit 32 banks
  static constexpr int kAcc = kMaxRows * D / kThreads;  // output elements per thread
  static constexpr size_t kSharedFloats =
      kMaxRows * D + kKeys * kKeyStride + kKeys * D + kMaxRows * kKeys + 3 * kMaxRows;
  static_assert(D % kVecElems == 0 && kMaxRows * D % kThreads == 0 && kKeys <= 32);
};

enum class MaskKind : int { boolean, float32, float16, bfloat16 };

struct MaskParams {
  const void* data;
  MaskKind kind;
  int64_t batch, head, query, key;  // element strides, 0 on broadcast axes
};

struct SplitParams {
  const void* queries;
  const void* keys;
  const void* values;
  AttentionStrides key_strides, value_strides;
  float* partial_out;  // [rows_total][splits][D]
  float* partial_max;  // [rows_total][splits]
  float* partial_sum;
  int kv_heads, rows, length, kv_length, splits, chunk, row_blocks;
  float scale;
  bool causal;
  MaskParams mask;  // read only by the kMasked kernels
};

__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2)
    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
  return x;
}
__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) x += __shfl_xor_sync(0xffffffffu, x, offset);
  return x;
}

// What the mask adds to a scaled score: 0 or -inf for a boolean mask, else its value.
__device__ __forceinline__ float mask_term(const MaskParams& m, int64_t offset) {
  switch (m.kind) {
    case MaskKind::boolean:
      return static_cast<const bool*>(m.data)[offset] ? 0.0f : kNegInf;
    case MaskKind::float32:
      return static_cast<const float*>(m.data)[offset];
    case MaskKind::float16:
      return static_cast<float>(static_cast<const float16_t*>(m.data)[offset]);
    default:
      return static_cast<float>(static_cast<const bfloat16_t*>(m.data)[offset]);
  }
}

// kMasked reads p.mask; the unmasked kernel has no mask loads, arithmetic or tile skipping.
template <class T, int D, bool kMasked>
__global__ void __launch_bounds__(kThreads) sdpa_split_kernel(SplitParams p) {
  using Tile = Tiling<T, D>;
  constexpr int kKeys = Tile::kKeys, kKeyStride = Tile::kKeyStride, kVecElems = Tile::kVecElems;
  using Vec = device::Aligned<T, kVecElems>;
  extern __shared__ float shared[];
  float* q_sh = shared;                     // [kMaxRows][D], scaled
  float* k_sh = q_sh + kMaxRows * D;        // [kKeys][kKeyStride]
  float* v_sh = k_sh + kKeys * kKeyStride;  // [kKeys][D]
  float* s_sh = v_sh + kKeys * D;           // [kMaxRows][kKeys]: scores, then probabilities
  float* max_sh = s_sh + kMaxRows * kKeys;  // running max per row
  float* sum_sh = max_sh + kMaxRows;        // running sum per row
  float* factor_sh = sum_sh + kMaxRows;     // rescale of the accumulator for this tile

  int64_t block = blockIdx.x;
  const int split = static_cast<int>(block % p.splits);
  block /= p.splits;
  const int row0 = static_cast<int>(block % p.row_blocks) * kMaxRows;
  const int64_t bh = block / p.row_blocks;  // batch * kv_heads + kv head
  const int64_t b = bh / p.kv_heads, h = bh % p.kv_heads;
  const int rows = min(kMaxRows, p.rows - row0);
  const int key_begin = split * p.chunk;
  const int key_end = min(p.kv_length, key_begin + p.chunk);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;

  // The rows of one (batch, kv head) are contiguous in q: head h * G + g, query l is row g * L + l.
  const T* q = static_cast<const T*>(p.queries) + (bh * p.rows + row0) * D;
  for (int i = tid; i < rows * D; i += kThreads) q_sh[i] = static_cast<float>(q[i]) * p.scale;
  for (int r = tid; r < kMaxRows; r += kThreads) {
    max_sh[r] = kNegInf;
    sum_sh[r] = 0.0f;
  }
  const T* keys = static_cast<const T*>(p.keys) + b * p.key_strides.batch + h * p.key_strides.head;
  const T* values =
      static_cast<const T*>(p.values) + b * p.value_strides.batch + h * p.value_strides.head;
  float acc[Tile::kAcc];
#pragma unroll
  for (int a = 0; a < Tile::kAcc; ++a) acc[a] = 0.0f;
  __syncthreads();

  for (int tile = key_begin; tile < key_end; tile += kKeys) {
    if constexpr (kMasked) {
      // The mask's terms (-inf where a key is hidden) go to s_sh first; a tile that hides
      // every key from every row is skipped before its keys and values are loaded (the
      // slots of a fixed-capacity cache past the current length).
      bool kept = false;
      for (int i = tid; i < rows * kKeys; i += kThreads) {
        const int row = row0 + i / kKeys, key = tile + i % kKeys;
        const int query = row % p.length;
        float term = kNegInf;
        if (key < key_end && (!p.causal || key <= p.kv_length - p.length + query)) {
          const int64_t head = h * (p.rows / p.length) + row / p.length;
          term = mask_term(p.mask, b * p.mask.batch + head * p.mask.head + query * p.mask.query +
                                       key * p.mask.key);
        }
        s_sh[i] = term;
        kept = kept || term != kNegInf;
      }
      if (!__syncthreads_or(kept)) continue;
    }

    for (int i = tid; i < kKeys * Tile::kVecs; i += kThreads) {
      const int j = i / Tile::kVecs, c = i % Tile::kVecs;
      Vec kv{}, vv{};  // zeros past the chunk: probability 0 times value 0
      if (tile + j < key_end) {
        const int64_t key = tile + j;
        kv = *reinterpret_cast<const Vec*>(keys + key * p.key_strides.sequence + c * kVecElems);
        vv = *reinterpret_cast<const Vec*>(values + key * p.value_strides.sequence + c * kVecElems);
      }
#pragma unroll
      for (int e = 0; e < kVecElems; ++e) {
        k_sh[j * kKeyStride + c * kVecElems + e] = static_cast<float>(kv.v[e]);
        v_sh[j * D + c * kVecElems + e] = static_cast<float>(vv.v[e]);
      }
    }
    __syncthreads();

    for (int i = tid; i < rows * kKeys; i += kThreads) {
      const int r = i / kKeys, j = i % kKeys;
      auto dot = [&] {
        float sum = 0.0f;
#pragma unroll 8
        for (int d = 0; d < D; ++d) sum = fmaf(q_sh[r * D + d], k_sh[j * kKeyStride + d], sum);
        return sum;
      };
      float score = kNegInf;
      if constexpr (kMasked) {
        const float term = s_sh[i];  // this thread's own, from the pass above
        if (term != kNegInf) score = dot() + term;
      } else {
        const int key = tile + j, query = (row0 + r) % p.length;
        if (key < key_end && (!p.causal || key <= p.kv_length - p.length + query)) score = dot();
      }
      s_sh[i] = score;
    }
    __syncthreads();

    // Online softmax, a warp per row; a row with every key so far masked keeps max -inf
    // and sum 0 (a fully masked row ends as 0 / 0 = NaN, as the composition's softmax).
    for (int r = warp; r < rows; r += kWarps) {
      const float score = lane < kKeys ? s_sh[r * kKeys + lane] : kNegInf;
      const float old_max = max_sh[r], old_sum = sum_sh[r];
      const float new_max = fmaxf(old_max, warp_max(score));
      const float prob = new_max == kNegInf ? 0.0f : expf(score - new_max);
      const float total = warp_sum(prob);
      __syncwarp();
      if (lane < kKeys) s_sh[r * kKeys + lane] = prob;
      if (lane == 0) {
        const float factor = old_max == kNegInf ? 0.0f : expf(old_max - new_max);
        max_sh[r] = new_max;
        sum_sh[r] = old_sum * factor + total;
        factor_sh[r] = factor;
      }
    }
    __syncthreads();

#pragma unroll
    for (int a = 0; a < Tile::kAcc; ++a) {
      const int i = tid + a * kThreads;
      const int r = i / D, d = i % D;
      if (r < rows) {
        float out = acc[a] * factor_sh[r];
#pragma unroll
        for (int j = 0; j < kKeys; ++j) out = fmaf(s_sh[r * kKeys + j], v_sh[j * D + d], out);
        acc[a] = out;
      }
    }
    __syncthreads();
  }

  const int64_t row_base = bh * p.rows + row0;
#pragma unroll
  for (int a = 0; a < Tile::kAcc; ++a) {
    const int i = tid + a * kThreads;
    const int r = i / D, d = i % D;
    if (r < rows) p.partial_out[((row_base + r) * p.splits + split) * D + d] = acc[a];
  }
  for (int r = tid; r < rows; r += kThreads) {
    p.partial_max[(row_base + r) * p.splits + split] = max_sh[r];
    p.partial_sum[(row_base + r) * p.splits + split] = sum_sh[r];
  }
}

// Few rows (a decode step's grouped heads): no shared tiles. A key's row is read as 16-byte
// vectors by a group of lanes (16 lanes for 128 bf16 features), so a warp reads 32 / group
// keys per load and kUnroll of those loads are in flight before any arithmetic. Each lane
// holds its vectors' features of every row's query and output accumulator in registers; a
// score is a sum across the group's lanes. Each group keeps its own online softmax; the
// groups merge through shuffles and the warps through shared memory at the end. A lane
// loads nothing for a key every row hides (mask or causal limit), so the slots of a
// fixed-capacity cache past the current length cost one mask read each.
template <class T, int D, int R>
struct RowTiling {
  static constexpr int kVecElems = 16 / static_cast<int>(sizeof(T));
  static constexpr int kVecs = D / kVecElems;  // 16-byte vectors per key row
  static constexpr int kGroup = kVecs >= 32 ? 32 : kVecs > 16 ? 32 : kVecs > 8 ? 16 : kVecs > 4 ? 8 : 4;
  static constexpr int kPerLane = (kVecs + kGroup - 1) / kGroup;  // vectors per lane
  static constexpr int kKeysPerLoad = 32 / kGroup;
  static constexpr int kUnroll = R >= 8 ? 2 : 4;  // 8 rows' registers leave room for 2
  static constexpr int kStepKeys = kKeysPerLoad * kUnroll;  // keys a warp takes per step
  static constexpr int kBlockKeys = kStepKeys * kWarps;
  static_assert(D % kVecElems == 0 && kVecs >= kGroup / 2);
};

template <class T, int D, int R, bool kMasked>
__global__ void __launch_bounds__(kThreads) sdpa_rows_kernel(SplitParams p) {
  device::launch_dependents();  // a GEMV after this one may start (dependent_launch.cuh)
  using Tile = RowTiling<T, D, R>;
  constexpr int V = Tile::kVecElems, C = Tile::kPerLane, U = Tile::kUnroll;
  constexpr int kGroup = Tile::kGroup;
  __shared__ float max_sh[kWarps][R], sum_sh[kWarps][R];
  __shared__ float acc_sh[kWarps][R][D];

  const int split = static_cast<int>(blockIdx.x % p.splits);
  const int64_t bh = blockIdx.x / p.splits;  // batch * kv_heads + kv head
  const int64_t b = bh / p.kv_heads, h = bh % p.kv_heads;
  const int key_begin = split * p.chunk;
  const int key_end = min(p.kv_length, key_begin + p.chunk);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int member = lane % kGroup, group = lane / kGroup;
  const int groups = p.rows / p.length;

  // This lane's vectors: member + c * kGroup of the row (fewer for head sizes that leave
  // lanes over, as 80 or 96).
  bool has[C];
#pragma unroll
  for (int c = 0; c < C; ++c) has[c] = member + c * kGroup < Tile::kVecs;

  const T* q = static_cast<const T*>(p.queries) + bh * p.rows * D;
  float qr[R][C][V], acc[R][C][V], row_max[R], row_sum[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    row_max[r] = kNegInf;
    row_sum[r] = 0.0f;
#pragma unroll
    for (int c = 0; c < C; ++c) {
#pragma unroll
      for (int e = 0; e < V; ++e) {
        const int d = (member + c * kGroup) * V + e;
        qr[r][c][e] = r < p.rows && has[c] ? static_cast<float>(q[r * D + d]) * p.scale : 0.0f;
        acc[r][c][e] = 0.0f;
      }
    }
  }
  const T* keys = static_cast<const T*>(p.keys) + b * p.key_strides.batch + h * p.key_strides.head;
  const T* values =
      static_cast<const T*>(p.values) + b * p.value_strides.batch + h * p.value_strides.head;

  // What the mask and the causal limit add to each score of a step: 0, the mask's value, or
  // -inf. A step's terms are read while the step before it computes, so the mask's latency
  // hides behind the keys' and values' loads.
  auto terms_of = [&](int step, float (&term)[U][R]) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int key = step + u * Tile::kKeysPerLoad + group;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const int query = r % p.length;
        const bool seen = key < key_end && r < p.rows &&
                          (!p.causal || key <= p.kv_length - p.length + query);
        term[u][r] = seen ? 0.0f : kNegInf;
        if constexpr (kMasked) {
          if (seen) {
            const int64_t head = h * groups + r / p.length;
            term[u][r] = mask_term(p.mask, b * p.mask.batch + head * p.mask.head +
                                               query * p.mask.query + key * p.mask.key);
          }
        }
      }
    }
  };
  float term[U][R];
  int step = key_begin + warp * Tile::kStepKeys;
  terms_of(step, term);
  for (; step < key_end; step += Tile::kBlockKeys) {
    // Key of load u for this lane's group: step + u * kKeysPerLoad + group; no load for a
    // key every row hides.
    uint4 k[U][C], v[U][C];  // 16-byte chunks as words (device/widen.cuh)
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int key = step + u * Tile::kKeysPerLoad + group;
      bool any = false;
#pragma unroll
      for (int r = 0; r < R; ++r) any = any || term[u][r] != kNegInf;
#pragma unroll
      for (int c = 0; c < C; ++c) {
        k[u][c] = make_uint4(0, 0, 0, 0);
        v[u][c] = make_uint4(0, 0, 0, 0);
        if (any && has[c]) {
          const int offset = (member + c * kGroup) * V;
          k[u][c] = *reinterpret_cast<const uint4*>(keys + key * p.key_strides.sequence + offset);
          v[u][c] = *reinterpret_cast<const uint4*>(values + key * p.value_strides.sequence + offset);
        }
      }
    }
    float next_term[U][R];
    terms_of(step + Tile::kBlockKeys, next_term);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float score[U];
      float step_max = kNegInf;
#pragma unroll
      for (int u = 0; u < U; ++u) {
        float dot = 0.0f;
#pragma unroll
        for (int c = 0; c < C; ++c) {
          float kf[V];
          device::widen<T>(k[u][c], kf);
#pragma unroll
          for (int e = 0; e < V; ++e) dot = fmaf(qr[r][c][e], kf[e], dot);
        }
#pragma unroll
        for (int offset = kGroup / 2; offset > 0; offset /= 2)
          dot += __shfl_xor_sync(0xffffffffu, dot, offset);
        score[u] = dot + term[u][r];
        step_max = fmaxf(step_max, score[u]);
      }
      const float new_max = fmaxf(row_max[r], step_max);
      if (new_max == kNegInf) continue;  // uniform over the group: every key so far hidden
      const float factor = row_max[r] == kNegInf ? 0.0f : expf(row_max[r] - new_max);
      row_max[r] = new_max;
      row_sum[r] *= factor;
#pragma unroll
      for (int c = 0; c < C; ++c) {
#pragma unroll
        for (int e = 0; e < V; ++e) acc[r][c][e] *= factor;
      }
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const float prob = expf(score[u] - new_max);
        row_sum[r] += prob;
#pragma unroll
        for (int c = 0; c < C; ++c) {
          float vf[V];
          device::widen<T>(v[u][c], vf);
#pragma unroll
          for (int e = 0; e < V; ++e) acc[r][c][e] = fmaf(prob, vf[e], acc[r][c][e]);
        }
      }
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
#pragma unroll
      for (int r = 0; r < R; ++r) term[u][r] = next_term[u][r];
    }
  }

  // Merge the warp's groups (lanes kGroup, 2 kGroup, ... apart), rescaling to the larger max.
#pragma unroll
  for (int offset = kGroup; offset < 32; offset *= 2) {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const float other_max = __shfl_xor_sync(0xffffffffu, row_max[r], offset);
      const float other_sum = __shfl_xor_sync(0xffffffffu, row_sum[r], offset);
      const float largest = fmaxf(row_max[r], other_max);
      const float mine = row_max[r] == kNegInf ? 0.0f : expf(row_max[r] - largest);
      const float theirs = other_max == kNegInf ? 0.0f : expf(other_max - largest);
      row_max[r] = largest;
      row_sum[r] = row_sum[r] * mine + other_sum * theirs;
#pragma unroll
      for (int c = 0; c < C; ++c) {
#pragma unroll
        for (int e = 0; e < V; ++e) {
          const float other = __shfl_xor_sync(0xffffffffu, acc[r][c][e], offset);
          acc[r][c][e] = acc[r][c][e] * mine + other * theirs;
        }
      }
    }
  }

  // Merge the warps' softmax states through shared memory: rescale each to the largest max.
#pragma unroll
  for (int r = 0; r < R; ++r) {
    if (lane == 0) {
      max_sh[warp][r] = row_max[r];
      sum_sh[warp][r] = row_sum[r];
    }
    if (group == 0) {
#pragma unroll
      for (int c = 0; c < C; ++c) {
#pragma unroll
        for (int e = 0; e < V; ++e) {
          if (has[c]) acc_sh[warp][r][(member + c * kGroup) * V + e] = acc[r][c][e];
        }
      }
    }
  }
  __syncthreads();
  for (int i = threadIdx.x; i < p.rows * D; i += kThreads) {
    const int r = i / D, d = i % D;
    float largest = kNegInf;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) largest = fmaxf(largest, max_sh[w][r]);
    float out = 0.0f, total = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      if (max_sh[w][r] == kNegInf) continue;
      const float weight = expf(max_sh[w][r] - largest);
      out = fmaf(weight, acc_sh[w][r][d], out);
      total = fmaf(weight, sum_sh[w][r], total);
    }
    const int64_t row = bh * p.rows + r;
    p.partial_out[(row * p.splits + split) * D + d] = out;
    if (d == 0) {
      p.partial_max[row * p.splits + split] = largest;
      p.partial_sum[row * p.splits + split] = total;
    }
  }
}

// out[row][d] = sum_s w_s out_s[d] / sum_s w_s sum_s with w_s = exp(max_s - max): a block
// per row. The weights go to shared memory once; then the threads, as kCombineThreads /
// head_dim groups of head_dim, each sum one feature over every groups-th split with
// independent loads, and the groups' sums meet in shared memory.
constexpr int kCombineThreads = 256;

template <class T>
__global__ void __launch_bounds__(kCombineThreads)
    sdpa_combine_kernel(const float* __restrict__ partial_out,
                        const float* __restrict__ partial_max,
                        const float* __restrict__ partial_sum, T* __restrict__ out, int head_dim,
                        int splits) {
  device::launch_dependents();  // a GEMV after this one may start (dependent_launch.cuh)
  extern __shared__ float weight_sh[];  // [splits]
  __shared__ float reduce_sh[32];
  __shared__ float feature_sh[kCombineThreads];
  const int64_t row = blockIdx.x;
  const int tid = threadIdx.x;
  const float* row_max = partial_max + row * splits;
  const float* row_sum = partial_sum + row * splits;

  float largest = kNegInf;
  for (int s = tid; s < splits; s += kCombineThreads) largest = fmaxf(largest, row_max[s]);
  largest = device::row_reduce(largest, [](float a, float b) { return fmaxf(a, b); }, reduce_sh);

  float denominator = 0.0f;
  for (int s = tid; s < splits; s += kCombineThreads) {
    const float weight = row_max[s] == kNegInf ? 0.0f : expf(row_max[s] - largest);
    weight_sh[s] = weight;
    denominator = fmaf(weight, row_sum[s], denominator);
  }
  // row_reduce's barriers also publish weight_sh to the block.
  denominator = device::row_reduce(denominator, [](float a, float b) { return a + b; }, reduce_sh);

  const int groups = head_dim >= kCombineThreads ? 1 : kCombineThreads / head_dim;
  const int group = tid / head_dim;
  const float* partials = partial_out + row * splits * head_dim;
  for (int d = tid % head_dim; d < head_dim; d += kCombineThreads) {
    float numerator = 0.0f;
    if (group < groups) {
#pragma unroll 16
      for (int s = group; s < splits; s += groups)
        numerator = fmaf(weight_sh[s], partials[static_cast<int64_t>(s) * head_dim + d], numerator);
    }
    if (groups == 1) {
      out[row * head_dim + d] = static_cast<T>(numerator / denominator);
      continue;
    }
    if (group < groups) feature_sh[tid] = numerator;
    __syncthreads();
    if (group == 0) {
      for (int g = 1; g < groups; ++g) numerator += feature_sh[g * head_dim + d];
      out[row * head_dim + d] = static_cast<T>(numerator / denominator);
    }
  }
}

MaskKind mask_kind(Dtype dtype) {
  switch (dtype.val()) {
    case Dtype::Val::float32:
      return MaskKind::float32;
    case Dtype::Val::float16:
      return MaskKind::float16;
    case Dtype::Val::bfloat16:
      return MaskKind::bfloat16;
    default:
      return MaskKind::boolean;
  }
}

MaskParams mask_params(const AttentionMask& mask) {
  return {mask.data, mask_kind(mask.dtype), mask.batch, mask.head, mask.query, mask.key};
}

// The combine of the chunks' partials into out.
template <class T>
void launch_combine(const float* partial_out, const float* partial_max, const float* partial_sum,
                    void* out, int64_t rows_total, int head_dim, int splits) {
  sdpa_combine_kernel<T><<<static_cast<unsigned int>(rows_total), kCombineThreads,
                           sizeof(float) * splits, current_stream()>>>(
      partial_out, partial_max, partial_sum, static_cast<T*>(out), head_dim, splits);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

// At most kMaxWarpRows rows per kv head: sdpa_rows_kernel, with as many chunks (of whole
// block steps) as fill every SM once at the kernel's occupancy: one wave, so no block waits
// for another to finish (a decode step's attention is a few microseconds of bytes).
constexpr int kMaxWarpRows = 8;

template <class Kernel>
int blocks_per_sm(Kernel kernel) {
  int blocks = 0;
  EMBER_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, kThreads, 0));
  return std::max(1, blocks);
}

template <class T, int D, int R>
bool launch_rows(const AttentionArgs& args, int rows, int sms, void* (*temporary)(size_t)) {
  // Occupancy depends on the kernel and the architecture only: the first call asks.
  static const int masked_per_sm = blocks_per_sm(sdpa_rows_kernel<T, D, R, true>);
  static const int plain_per_sm = blocks_per_sm(sdpa_rows_kernel<T, D, R, false>);
  const int per_sm = args.mask.data ? masked_per_sm : plain_per_sm;
  const int64_t base_blocks = static_cast<int64_t>(args.batch) * args.kv_heads;
  const int64_t wanted = std::max<int64_t>(1, per_sm * static_cast<int64_t>(sms) / base_blocks);
  constexpr int kBlockKeys = RowTiling<T, D, R>::kBlockKeys;
  int chunk = static_cast<int>((args.kv_length + wanted - 1) / wanted);
  chunk = (chunk + kBlockKeys - 1) / kBlockKeys * kBlockKeys;
  const int splits = (args.kv_length + chunk - 1) / chunk;
  if (base_blocks * splits > 2147483647) return false;
  const int64_t rows_total = base_blocks * rows;
  const int64_t partials = rows_total * splits;
  auto* workspace = static_cast<float*>(temporary(sizeof(float) * partials * (D + 2)));
  SplitParams params{args.queries, args.keys, args.values, args.key_strides, args.value_strides,
                     workspace, workspace + partials * D, workspace + partials * (D + 1),
                     args.kv_heads, rows, args.length, args.kv_length, splits, chunk,
                     /*row_blocks=*/1, args.scale, args.causal, mask_params(args.mask)};
  auto* kernel = args.mask.data ? sdpa_rows_kernel<T, D, R, true> : sdpa_rows_kernel<T, D, R, false>;
  kernel<<<static_cast<unsigned int>(base_blocks * splits), kThreads, 0, current_stream()>>>(params);
  EMBER_CUDA_CHECK(cudaGetLastError());
  launch_combine<T>(params.partial_out, params.partial_max, params.partial_sum, args.out,
                    rows_total, D, splits);
  return true;
}

template <class T, int D>
bool launch_typed(const AttentionArgs& args, void* (*temporary)(size_t)) {
  using Tile = Tiling<T, D>;
  const int groups = args.query_heads / args.kv_heads;
  const int rows = groups * args.length;
  const int row_blocks = (rows + kMaxRows - 1) / kMaxRows;
  const int64_t base_blocks = static_cast<int64_t>(args.batch) * args.kv_heads * row_blocks;
  int device = 0, sms = 0, max_shared = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&device));
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  EMBER_CUDA_CHECK(
      cudaDeviceGetAttribute(&max_shared, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  const size_t shared_bytes = Tile::kSharedFloats * sizeof(float);
  if (base_blocks == 0) return true;
  if (rows <= 2) return launch_rows<T, D, 2>(args, rows, sms, temporary);
  if (rows <= 4) return launch_rows<T, D, 4>(args, rows, sms, temporary);
  if (rows <= kMaxWarpRows) return launch_rows<T, D, kMaxWarpRows>(args, rows, sms, temporary);
  if (shared_bytes > static_cast<size_t>(max_shared)) return false;

  // Enough chunks for about two blocks per SM, each chunk a whole number of tiles.
  const int64_t tiles = (args.kv_length + Tile::kKeys - 1) / Tile::kKeys;
  const int64_t wanted = (2 * static_cast<int64_t>(sms) + base_blocks - 1) / base_blocks;
  const int64_t chunk_tiles =
      (tiles + std::clamp<int64_t>(wanted, 1, tiles) - 1) / std::clamp<int64_t>(wanted, 1, tiles);
  const int chunk = static_cast<int>(chunk_tiles * Tile::kKeys);
  const int splits = static_cast<int>((args.kv_length + chunk - 1) / chunk);
  const int64_t blocks = base_blocks * splits;
  if (blocks > 2147483647) return false;

  const int64_t rows_total = base_blocks / row_blocks * rows;
  const int64_t partials = rows_total * splits;
  auto* workspace = static_cast<float*>(temporary(sizeof(float) * partials * (D + 2)));
  SplitParams params{args.queries,
                     args.keys,
                     args.values,
                     args.key_strides,
                     args.value_strides,
                     workspace,
                     workspace + partials * D,
                     workspace + partials * (D + 1),
                     args.kv_heads,
                     rows,
                     args.length,
                     args.kv_length,
                     splits,
                     chunk,
                     row_blocks,
                     args.scale,
                     args.causal,
                     mask_params(args.mask)};
  auto* kernel = args.mask.data ? sdpa_split_kernel<T, D, true> : sdpa_split_kernel<T, D, false>;
  EMBER_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shared_bytes)));
  kernel<<<static_cast<unsigned int>(blocks), kThreads, shared_bytes, current_stream()>>>(params);
  EMBER_CUDA_CHECK(cudaGetLastError());
  launch_combine<T>(params.partial_out, params.partial_max, params.partial_sum, args.out,
                    rows_total, D, splits);
  return true;
}

template <class T>
bool launch_for_head_dim(const AttentionArgs& args, void* (*temporary)(size_t)) {
  switch (args.head_dim) {
    case 64:
      return launch_typed<T, 64>(args, temporary);
    case 80:
      return launch_typed<T, 80>(args, temporary);
    case 96:
      return launch_typed<T, 96>(args, temporary);
    case 128:
      return launch_typed<T, 128>(args, temporary);
    case 256:
      return launch_typed<T, 256>(args, temporary);
    default:
      return false;
  }
}

}  // namespace

bool launch_attention_decode(const AttentionArgs& args, void* (*temporary)(size_t bytes)) {
  if (args.kv_heads <= 0 || args.query_heads % args.kv_heads != 0 || args.length <= 0 ||
      args.length > kMaxAttentionDecodeQueries || args.kv_length <= 0) {
    return false;
  }
  const Dtype mask = args.mask.dtype;
  if (args.mask.data &&
      !(mask == bool_ || mask == float32 || mask == float16 || mask == bfloat16)) {
    return false;
  }
  switch (args.dtype.val()) {
    case Dtype::Val::float32:
      return launch_for_head_dim<float>(args, temporary);
    case Dtype::Val::float16:
      return launch_for_head_dim<float16_t>(args, temporary);
    case Dtype::Val::bfloat16:
      return launch_for_head_dim<bfloat16_t>(args, temporary);
    default:
      return false;
  }
}

}  // namespace ember::cuda
