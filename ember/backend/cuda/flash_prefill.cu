// fast::scaled_dot_product_attention for many queries (prefill) on tensor cores, after
// FlashAttention-2 (Dao, "FlashAttention-2: Faster Attention with Better Parallelism and
// Work Partitioning", 2023): a block takes 64 query rows of one (batch, head), its 4 warps
// 16 rows each; key and value tiles of 64 rows go through shared memory; the scores of a
// tile are a warp's mma.sync accumulators, never written out; the softmax is online, in
// float32, and the probabilities go back to 16 bits as the A operand of the second product.
// 16-bit inputs (bfloat16, float16), head sizes 64, 128 and 256, no mask or the causal one
// (query l sees keys up to S - L + l); other calls keep the composition (fast.cpp).
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/fast_launch.h"
#include "ember/core/half_types.h"

namespace ember::cuda {
namespace {

constexpr int kRows = 64;     // query rows a block
constexpr int kKeys = 64;     // key rows a tile
constexpr int kThreads = 128;  // 4 warps of 16 query rows
constexpr float kLog2e = 1.4426950408889634f;

// Shared tiles are rows of D + 8 elements: 16 bytes of padding put the 8 rows an ldmatrix
// reads in 8 different bank groups.
template <int D>
constexpr int kStride = D + 8;
template <int D>
constexpr size_t kSharedBytes = 3ull * kRows * kStride<D> * 2;  // Q, K, V tiles

__device__ __forceinline__ uint32_t shared_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(shared_address(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(shared_address(p)));
}

// c += a (16x16, row) * b (16x8, col), float32 accumulators.
template <class T>
__device__ __forceinline__ void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                    uint32_t b1) {
  if constexpr (std::is_same_v<T, bfloat16_t>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, "
        "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, "
        "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
}

// Two floats as one 32-bit word of 16-bit T, `low` in the low half (the lower address).
template <class T>
__device__ __forceinline__ uint32_t pack(float low, float high) {
  uint32_t out;
  if constexpr (std::is_same_v<T, bfloat16_t>) {
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(out) : "f"(high), "f"(low));
  } else {
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(out) : "f"(high), "f"(low));
  }
  return out;
}

// Starts copying `rows` rows of D elements (row r at src + r * stride elements) into a
// shared tile of kRows rows with cp.async (16 bytes a copy, through L2 only); rows past
// `rows` are filled with zeros (a source size of 0). The copies land after cp_async_wait.
template <class T, int D>
__device__ __forceinline__ void load_tile_async(T* tile, const T* src, int64_t stride, int rows) {
  constexpr int kChunks = D / 8;  // 16-byte chunks a row
#pragma unroll
  for (int c = threadIdx.x; c < kRows * kChunks; c += kThreads) {
    const int r = c / kChunks, col = (c % kChunks) * 8;
    const T* from = r < rows ? src + r * stride + col : src;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(
                     shared_address(tile + r * kStride<D> + col)),
                 "l"(from), "r"(r < rows ? 16 : 0));
  }
  asm volatile("cp.async.commit_group;");
}

// Waits until at most `pending` of this thread's cp.async groups are still in flight, then
// for the whole block (so every thread's copies are visible).
template <int pending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" ::"n"(pending));
  __syncthreads();
}

struct PrefillParams {
  const void* queries;
  const void* keys;
  const void* values;
  void* out;
  AttentionStrides key_strides, value_strides;
  int query_heads, group, length, kv_length;
  float scale_log2;  // scale * log2(e): the softmax runs on exp2
  bool causal;
};

template <class T, int D>
__global__ void __launch_bounds__(kThreads) flash_prefill_kernel(PrefillParams p) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  T* q_tile = reinterpret_cast<T*>(shared_bytes);
  T* k_tile = q_tile + kRows * kStride<D>;
  T* v_tile = k_tile + kRows * kStride<D>;

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;  // an accumulator's row group and column pair
  const int bh = blockIdx.y, batch = bh / p.query_heads, head = bh % p.query_heads;
  const int kv_head = head / p.group;
  // Under the causal mask the last query rows see the most keys: they start first.
  const int q0 = (gridDim.x - 1 - blockIdx.x) * kRows;
  const int offset = p.kv_length - p.length;  // causal: query l sees keys <= l + offset

  const T* queries = static_cast<const T*>(p.queries) + (static_cast<int64_t>(bh) * p.length) * D;
  const T* keys = static_cast<const T*>(p.keys) + batch * p.key_strides.batch +
                  kv_head * p.key_strides.head;
  const T* values = static_cast<const T*>(p.values) + batch * p.value_strides.batch +
                    kv_head * p.value_strides.head;

  int key_end = p.kv_length;
  if (p.causal) key_end = min(key_end, q0 + kRows + offset);  // past the block's last row
  const int tiles = (key_end + kKeys - 1) / kKeys;
  auto load_keys = [&](int tile) {
    const int kv0 = tile * kKeys;
    load_tile_async<T, D>(k_tile, keys + kv0 * p.key_strides.sequence, p.key_strides.sequence,
                          min(kKeys, p.kv_length - kv0));
  };
  auto load_values = [&](int tile) {
    const int kv0 = tile * kKeys;
    load_tile_async<T, D>(v_tile, values + kv0 * p.value_strides.sequence,
                          p.value_strides.sequence, min(kKeys, p.kv_length - kv0));
  };
  // The pipeline (FlashAttention-2's): while the warps multiply Q by key tile j, value tile
  // j is on its way; while they multiply by value tile j, key tile j + 1 is. One buffer of
  // each suffices, as every buffer is refilled only after a barrier that follows its reads.
  load_tile_async<T, D>(q_tile, queries + static_cast<int64_t>(q0) * D, D,
                        min(kRows, p.length - q0));
  if (tiles > 0) load_keys(0);
  cp_async_wait<0>();
  // This warp's 16 query rows as A fragments, one per 16 features: held in registers up to
  // D = 128; at D = 256 the output accumulators need them, so each tile reads them again
  // from the shared Q tile (which no later load overwrites).
  constexpr bool kQInRegisters = D <= 128;
  auto load_q = [&](uint32_t (&frag)[4], int kk) {
    ldmatrix_x4(frag, q_tile + (warp * 16 + lane % 16) * kStride<D> + kk * 16 + (lane / 16) * 8);
  };
  uint32_t q_frag[kQInRegisters ? D / 16 : 1][4];
  if constexpr (kQInRegisters) {
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) load_q(q_frag[kk], kk);
  }

  float o[D / 8][4] = {};
  float row_max[2] = {-INFINITY, -INFINITY};  // rows g and g + 8 of the warp's 16
  float row_sum[2] = {0.f, 0.f};              // this thread's share of the row sums
  const int row_base = q0 + warp * 16 + g;

  for (int tile = 0; tile < tiles; ++tile) {
    const int kv0 = tile * kKeys;
    // Key tile `tile` has landed (the wait before the loop, or the one at the end of the
    // previous turn), and every warp is done with the previous value tile.
    load_values(tile);

    // Scores of the warp's 16 rows against the tile's 64 keys: 8 blocks of 8 keys.
    float s[kKeys / 8][4] = {};
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t q_reloaded[4];
      if constexpr (!kQInRegisters) load_q(q_reloaded, kk);
      const uint32_t(&a)[4] = kQInRegisters ? q_frag[kQInRegisters ? kk : 0] : q_reloaded;
#pragma unroll
      for (int nb = 0; nb < kKeys / 8; nb += 2) {
        uint32_t b[4];
        ldmatrix_x4(b, k_tile + (nb * 8 + (lane / 16) * 8 + lane % 8) * kStride<D> + kk * 16 +
                           ((lane / 8) % 2) * 8);
        mma<T>(s[nb], a, b[0], b[1]);
        mma<T>(s[nb + 1], a, b[2], b[3]);
      }
    }

    // Mask (only a tile that reaches past the array's end or the block's first causal
    // limit has keys to hide), scale, and the running maximum of the thread's two rows.
    const bool masked =
        kv0 + kKeys > p.kv_length || (p.causal && kv0 + kKeys - 1 > q0 + offset);
    float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int nb = 0; nb < kKeys / 8; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = kv0 + nb * 8 + 2 * t + (e & 1);
        const int row = row_base + (e / 2) * 8;
        const bool valid =
            !masked || (key < p.kv_length && (!p.causal || key <= row + offset));
        s[nb][e] = valid ? s[nb][e] * p.scale_log2 : -INFINITY;
        tile_max[e / 2] = fmaxf(tile_max[e / 2], s[nb][e]);
      }
    }
    float alpha[2], base[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 1));
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 2));
      const float next = fmaxf(row_max[r], tile_max[r]);
      base[r] = next == -INFINITY ? 0.f : next;  // a row with no key yet: all terms are 0
      alpha[r] = exp2f(row_max[r] - base[r]);
      row_max[r] = next;
      row_sum[r] *= alpha[r];
    }
#pragma unroll
    for (int nb = 0; nb < D / 8; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) o[nb][e] *= alpha[e / 2];
    }
#pragma unroll
    for (int nb = 0; nb < kKeys / 8; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[nb][e] = exp2f(s[nb][e] - base[e / 2]);
        row_sum[e / 2] += s[nb][e];
      }
    }

    // Value tile `tile` has landed and every warp is done with the key tile: fetch the next.
    cp_async_wait<0>();
    if (tile + 1 < tiles) load_keys(tile + 1);

    // o += P V: the score accumulators of key blocks 2kk, 2kk + 1 are the A fragment of
    // keys [16kk, 16kk + 16); V's B fragments come transposed from the row-major tile.
#pragma unroll
    for (int kk = 0; kk < kKeys / 16; ++kk) {
      const uint32_t a[4] = {pack<T>(s[2 * kk][0], s[2 * kk][1]),
                             pack<T>(s[2 * kk][2], s[2 * kk][3]),
                             pack<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                             pack<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int nb = 0; nb < D / 8; nb += 2) {
        uint32_t b[4];
        ldmatrix_x4_trans(b, v_tile + (kk * 16 + ((lane / 8) % 2) * 8 + lane % 8) * kStride<D> +
                                 nb * 8 + (lane / 16) * 8);
        mma<T>(o[nb], a, b[0], b[1]);
        mma<T>(o[nb + 1], a, b[2], b[3]);
      }
    }
    cp_async_wait<0>();  // the next key tile has landed; every warp is done with this value tile
  }

  // Each row's sum over its 4 threads, then the normalised rows (a row that saw no key
  // divides 0 by 0: NaN, as the composition's softmax of -inf scores gives).
  T* out = static_cast<T*>(p.out) + (static_cast<int64_t>(bh) * p.length) * D;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 1);
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 2);
    const int row = row_base + r * 8;
    if (row >= p.length) continue;
    const float inverse = 1.f / row_sum[r];
#pragma unroll
    for (int nb = 0; nb < D / 8; ++nb) {
      *reinterpret_cast<uint32_t*>(out + static_cast<int64_t>(row) * D + nb * 8 + 2 * t) =
          pack<T>(o[nb][2 * r] * inverse, o[nb][2 * r + 1] * inverse);
    }
  }
}

template <class T, int D>
void launch(const AttentionArgs& args) {
  const auto kernel = flash_prefill_kernel<T, D>;
  static const bool configured = [&] {
    EMBER_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(kSharedBytes<D>)));
    return true;
  }();
  (void)configured;
  const PrefillParams p{args.queries,
                        args.keys,
                        args.values,
                        args.out,
                        args.key_strides,
                        args.value_strides,
                        args.query_heads,
                        args.query_heads / args.kv_heads,
                        args.length,
                        args.kv_length,
                        args.scale * kLog2e,
                        args.causal};
  const dim3 grid((args.length + kRows - 1) / kRows, args.batch * args.query_heads);
  kernel<<<grid, kThreads, kSharedBytes<D>, current_stream()>>>(p);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

bool aligned_rows(const void* base, const AttentionStrides& s) {
  return reinterpret_cast<uintptr_t>(base) % 16 == 0 && s.batch % 8 == 0 && s.head % 8 == 0 &&
         s.sequence % 8 == 0;
}

}  // namespace

bool launch_attention_prefill(const AttentionArgs& args) {
  const bool half = args.dtype == bfloat16 || args.dtype == float16;
  const int d = args.head_dim;
  if (!half || (d != 64 && d != 128 && d != 256) || args.mask.data != nullptr ||
      args.length <= 0 || args.kv_length <= 0 || args.kv_heads <= 0 ||
      args.query_heads % args.kv_heads != 0 || !aligned_rows(args.keys, args.key_strides) ||
      !aligned_rows(args.values, args.value_strides) ||
      reinterpret_cast<uintptr_t>(args.queries) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(args.out) % 16 != 0) {
    return false;
  }
  auto by_head_dim = [&](auto tag) {
    using T = decltype(tag);
    d == 64 ? launch<T, 64>(args) : d == 128 ? launch<T, 128>(args) : launch<T, 256>(args);
  };
  args.dtype == bfloat16 ? by_head_dim(bfloat16_t{}) : by_head_dim(float16_t{});
  return true;
}

}  // namespace ember::cuda
