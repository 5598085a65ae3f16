// fast::scaled_dot_product_attention for a few queries (decode, speculative verify) on the
// GPU, as flash-decoding (Dao et al., "Flash-Decoding for long-context inference", 2023):
// the keys are split into chunks over blocks; a block takes one (batch, kv head, chunk) and
// up to kMaxRows of its (grouped head, query) rows, keeps an online softmax in float32 and
// writes a partial (out, max, sum); a second kernel combines the chunks. Up to 8 rows per
// kv head (decode with grouped heads) a block's warps take keys in turn with the rows in
// registers; more rows share tiles of keys in shared memory. An optional mask
// (boolean or additive, read in place through broadcast strides) joins the causal limit.
// Limits: head sizes 64/80/96/128/256, the feature axis contiguous and rows 16-byte aligned.
#include <algorithm>
#include <cmath>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/vector.cuh"
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

// Few rows (a decode step's grouped heads): a warp per key instead of tiles in shared
// memory. Each lane holds features lane, lane + 32, ... of every row's query and output
// accumulator in registers; a key's score is one warp sum per row. The block's warps take
// the chunk's keys in turn, each with its own online softmax, and merge through shared
// memory at the end. A key every row hides (mask or causal limit) costs no key or value
// loads.
template <class T, int D, int R, bool kMasked>
__global__ void __launch_bounds__(kThreads) sdpa_rows_kernel(SplitParams p) {
  constexpr int E = (D + 31) / 32;  // features per lane
  __shared__ float max_sh[kWarps][R], sum_sh[kWarps][R];
  __shared__ float acc_sh[kWarps][R][D];

  const int split = static_cast<int>(blockIdx.x % p.splits);
  const int64_t bh = blockIdx.x / p.splits;  // batch * kv_heads + kv head
  const int64_t b = bh / p.kv_heads, h = bh % p.kv_heads;
  const int key_begin = split * p.chunk;
  const int key_end = min(p.kv_length, key_begin + p.chunk);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int groups = p.rows / p.length;

  const T* q = static_cast<const T*>(p.queries) + bh * p.rows * D;
  float qr[R][E], acc[R][E], row_max[R], row_sum[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    row_max[r] = kNegInf;
    row_sum[r] = 0.0f;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int d = e * 32 + lane;
      qr[r][e] = r < p.rows && d < D ? static_cast<float>(q[r * D + d]) * p.scale : 0.0f;
      acc[r][e] = 0.0f;
    }
  }
  const T* keys = static_cast<const T*>(p.keys) + b * p.key_strides.batch + h * p.key_strides.head;
  const T* values =
      static_cast<const T*>(p.values) + b * p.value_strides.batch + h * p.value_strides.head;

  for (int key = key_begin + warp; key < key_end; key += kWarps) {
    float term[R];  // what the mask and the causal limit add: 0, a value, or -inf
    bool any = false;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int query = r % p.length;
      bool seen = r < p.rows && (!p.causal || key <= p.kv_length - p.length + query);
      term[r] = seen ? 0.0f : kNegInf;
      if constexpr (kMasked) {
        if (seen) {
          const int64_t head = h * groups + r / p.length;
          term[r] = mask_term(p.mask, b * p.mask.batch + head * p.mask.head +
                                          query * p.mask.query + key * p.mask.key);
        }
      }
      any = any || term[r] != kNegInf;
    }
    if (!any) continue;  // the same for every lane of the warp
    float k[E], v[E];
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int d = e * 32 + lane;
      k[e] = d < D ? static_cast<float>(keys[key * p.key_strides.sequence + d]) : 0.0f;
      v[e] = d < D ? static_cast<float>(values[key * p.value_strides.sequence + d]) : 0.0f;
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      float dot = 0.0f;
#pragma unroll
      for (int e = 0; e < E; ++e) dot = fmaf(qr[r][e], k[e], dot);
      const float score = warp_sum(dot) + term[r];
      if (score == kNegInf) continue;
      const float new_max = fmaxf(row_max[r], score);
      const float factor = row_max[r] == kNegInf ? 0.0f : expf(row_max[r] - new_max);
      const float prob = expf(score - new_max);
      row_sum[r] = fmaf(row_sum[r], factor, prob);
#pragma unroll
      for (int e = 0; e < E; ++e) acc[r][e] = fmaf(acc[r][e], factor, prob * v[e]);
      row_max[r] = new_max;
    }
  }

  // Merge the warps' softmax states: rescale each to the largest max.
#pragma unroll
  for (int r = 0; r < R; ++r) {
    if (lane == 0) {
      max_sh[warp][r] = row_max[r];
      sum_sh[warp][r] = row_sum[r];
    }
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int d = e * 32 + lane;
      if (d < D) acc_sh[warp][r][d] = acc[r][e];
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

// out[row][d] = sum_s w_s out_s[d] / sum_s w_s sum_s with w_s = exp(max_s - max).
template <class T>
__global__ void sdpa_combine_kernel(const float* __restrict__ partial_out,
                                    const float* __restrict__ partial_max,
                                    const float* __restrict__ partial_sum, T* __restrict__ out,
                                    int64_t size, int head_dim, int splits) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < size;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / head_dim;
    const int d = static_cast<int>(i % head_dim);
    const float* row_max = partial_max + row * splits;
    const float* row_sum = partial_sum + row * splits;
    float largest = kNegInf;
    for (int s = 0; s < splits; ++s) largest = fmaxf(largest, row_max[s]);
    float numerator = 0.0f, denominator = 0.0f;
    for (int s = 0; s < splits; ++s) {
      if (row_max[s] == kNegInf) continue;
      const float weight = expf(row_max[s] - largest);
      denominator = fmaf(weight, row_sum[s], denominator);
      numerator = fmaf(weight, partial_out[(row * splits + s) * head_dim + d], numerator);
    }
    out[i] = static_cast<T>(numerator / denominator);
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
  const int64_t size = rows_total * head_dim;
  constexpr int kCombineThreads = 256;
  sdpa_combine_kernel<T><<<blocks_for(size, kCombineThreads), kCombineThreads, 0, current_stream()>>>(
      partial_out, partial_max, partial_sum, static_cast<T*>(out), size, head_dim, splits);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

// At most kMaxWarpRows rows per kv head: sdpa_rows_kernel, with chunks of whole warp turns
// for about four blocks per SM.
constexpr int kMaxWarpRows = 8;

template <class T, int D, int R>
bool launch_rows(const AttentionArgs& args, int rows, int sms, void* (*temporary)(size_t)) {
  const int64_t base_blocks = static_cast<int64_t>(args.batch) * args.kv_heads;
  const int64_t wanted = std::max<int64_t>(1, (4 * static_cast<int64_t>(sms) + base_blocks - 1) / base_blocks);
  int chunk = static_cast<int>((args.kv_length + wanted - 1) / wanted);
  chunk = std::max(kWarps, (chunk + kWarps - 1) / kWarps * kWarps);
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
