// Softmax over long contiguous rows (more than 1024 elements, rows 16-byte aligned), three
// kernels that EMBER_CUDA_SOFTMAX chooses between (Note [Long softmax rows]; the default is
// pipelined, the fastest measured: 8192 x 32768 bf16 at 3,426 GB/s on an H200, 1.51x torch,
// against resident 2,055, cluster 2,639, cluster128 2,617):
//   resident   one block per row, the row in registers: max, sum of exp, then the writes;
//   pipelined  persistent blocks; bulk copies stream the next rows into shared memory while
//              the current one is reduced and written (rows up to 64 KiB);
//   cluster    a row split over a thread-block cluster, each block's (max, sum) exchanged
//              through distributed shared memory (rows up to 8 * 256 * 8 vectors).
// float32 math, each output rounded once; a +inf in a row makes the row NaN and a NaN
// propagates, as on the CPU. Online normalizer: Milakov & Gimelshein, 2018.
#include <cooperative_groups.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/bulk_copy.cuh"
#include "ember/backend/cuda/device/reduce.cuh"
#include "ember/backend/cuda/device/widen.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/backend/cuda/launch.h"
#include "ember/core/config.h"
#include "ember/core/errors.h"

namespace ember::cuda {

// Note [Long softmax rows]
// A softmax row of 32768 bf16 is 64 KiB read and 64 KiB written. The resident kernel reads
// it into the registers of one 512-thread block, then runs two block-wide reductions before
// it writes; at two blocks per SM, whenever both blocks are between their loads the SM has
// no bytes in flight, and it reached ~0.79 of PyTorch on an H200 (benchmarks/NOTES.md). It
// is also heavy: expf twice per element and half_types.h's software rounding make ~44 PTX
// instructions per bf16 element (~140 per f16 one), about as much issue time as the bytes'
// transfer time, and the phases do not overlap.
// The other two kernels keep loads in flight through the reductions:
// - pipelined: one persistent block per SM (rows of 64 KiB; more for shorter rows) owns
//   rows r, r + grid, ...; `stages` shared buffers hold the rows after the current one,
//   filled by cp.async.bulk. A block copies its row from shared memory into registers,
//   hands the buffer straight back to the copy engine for the row `stages` ahead, and only
//   then reduces and writes: the copy engine always has the next rows to fetch.
// - cluster: a row is split over up to 8 blocks of one cluster, each holding its slice in
//   registers; many small blocks per SM are at different phases, so some are always
//   loading. The blocks exchange one (max, sum) pair each through distributed shared memory.
// Both do one block-wide merge of (max, sum) pairs instead of two reductions, and compute
// exp once per element: a thread keeps e = exp(x - m) for the maximum m of its own values
// and scales by exp(m - max) / sum at the end (the pair merge of device::merge). The
// scaling cannot overflow (both factors are at most 1) and rounds once to T at the store,
// two elements per cvt (device::narrow): ~10 PTX instructions per bf16 element.
// A thread whose values are all -inf (or NaN) uses 0 as its reference, so its -inf
// entries give exp(-inf) = 0 rather than exp(-inf + inf) = NaN; an all -inf row still gives
// NaN everywhere, as on the CPU, since its outputs are exp(-inf - -inf) * ...
namespace {

namespace cg = cooperative_groups;

constexpr float kInfinity = std::numeric_limits<float>::infinity();

// ---- shared device pieces ----

// exp for the stored values: 16-bit outputs keep 8 or 11 bits, so the hardware ex2 (about
// 2 float ulp) is exact enough, and flushing results below 2^-126 to 0 changes no 16-bit
// output by more than 2^-126 (one instruction, where __expf's subnormal care takes four).
// float32 outputs keep expf.
template <class T>
__device__ __forceinline__ float exp_for(float x) {
  if constexpr (std::is_same_v<T, float>) {
    return expf(x);
  } else {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x * 1.44269504088896341f));
    return y;
  }
}

// Replaces each value by exp(value - m), m the maximum of this thread's values, and
// returns (m, sum of those exps). Padding slots hold -inf and add 0.
template <class T, int V, int W>
__device__ __forceinline__ device::Normalizer exponentiate(float (&values)[V][W]) {
  float top = -kInfinity;
#pragma unroll
  for (int v = 0; v < V; ++v) {
#pragma unroll
    for (int j = 0; j < W; ++j) top = fmaxf(top, values[v][j]);  // fmaxf skips NaN
  }
  const float reference = top == -kInfinity ? 0.0f : top;  // See Note [Long softmax rows]
  float sum = 0.0f;
#pragma unroll
  for (int v = 0; v < V; ++v) {
    float part = 0.0f;
#pragma unroll
    for (int j = 0; j < W; ++j) {
      values[v][j] = exp_for<T>(values[v][j] - reference);
      part += values[v][j];
    }
    sum += part;
  }
  return {top, sum};
}

__device__ __forceinline__ device::Normalizer warp_merge(device::Normalizer value) {
#pragma unroll
  for (int mask = 16; mask > 0; mask >>= 1) {
    value = device::merge(value, device::shuffle_xor(value, mask));
  }
  return value;
}

// The normalizer of the whole block (blockDim.x a multiple of 32), the same pair in every
// thread. `partials` holds 32 pairs; a later call must be separated from this one by a
// __syncthreads (the readers of this call's partials).
__device__ __forceinline__ device::Normalizer block_merge(device::Normalizer value,
                                                          device::Normalizer* partials) {
  value = warp_merge(value);
  const int lane = threadIdx.x % 32;
  if (lane == 0) partials[threadIdx.x / 32] = value;
  __syncthreads();
  // Every warp merges the partials itself: no second barrier to broadcast one result.
  const int warps = blockDim.x / 32;
  return warp_merge(lane < warps ? partials[lane] : device::Normalizer{-kInfinity, 0.0f});
}

// What a thread multiplies its exps by: exp(m - max) / sum for its own maximum m.
__device__ __forceinline__ float output_scale(device::Normalizer mine, device::Normalizer row) {
  // A +inf in the row makes every output NaN, as exp(x - max) / sum does on the CPU.
  if (row.max == kInfinity) return std::numeric_limits<float>::quiet_NaN();
  return expf(mine.max - row.max) * (1.0f / row.sum);
}

// Scales the thread's exps of vector v and stores them (a streaming store: written once).
template <class T, int W>
__device__ __forceinline__ void store_scaled(uint4* destination, const float (&exps)[W],
                                             float scale) {
  float result[W];
#pragma unroll
  for (int j = 0; j < W; ++j) result[j] = exps[j] * scale;
  __stcs(destination, device::narrow<T>(result));
}

// ---- resident: one block per row, the row in registers ----

// Vector c of the row is values[c / blockDim.x] of thread c % blockDim.x. Needs length *
// sizeof(T) % 16 == 0, a 16-byte aligned row start and length / W <= blockDim.x * V.
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
    float top = -kInfinity;
#pragma unroll
    for (int v = 0; v < V; ++v) {
      const int c = threadIdx.x + v * blockDim.x;
      if (c < chunks) {
        values[v] = src[c];
#pragma unroll
        for (int j = 0; j < W; ++j) top = fmaxf(top, device::convert<float>(values[v].v[j]));
      }
    }
    top = device::row_reduce(
        top, [](float a, float b) { return fmaxf(a, b); }, shared);
    float sum = 0.0f;
#pragma unroll
    for (int v = 0; v < V; ++v) {
      if (threadIdx.x + v * blockDim.x < chunks) {
#pragma unroll
        for (int j = 0; j < W; ++j) sum += expf(device::convert<float>(values[v].v[j]) - top);
      }
    }
    sum = device::row_reduce(
        sum, [](float a, float b) { return a + b; }, shared);
    // As in softmax_kernel: a +inf makes every output NaN; a NaN makes the sum NaN.
    const float scale = top == kInfinity ? std::numeric_limits<float>::quiet_NaN() : 1.0f / sum;
#pragma unroll
    for (int v = 0; v < V; ++v) {
      const int c = threadIdx.x + v * blockDim.x;
      if (c < chunks) {
        Vector result;
#pragma unroll
        for (int j = 0; j < W; ++j) {
          result.v[j] =
              device::convert<T>(expf(device::convert<float>(values[v].v[j]) - top) * scale);
        }
        dst[c] = result;
      }
    }
  }
}

// ---- pipelined: persistent blocks fed by bulk copies ----

constexpr int kMaxStages = 4;
constexpr int kPipelinedThreads = 512;

// Block b owns rows b, b + gridDim.x, ... (gridDim.x <= rows); its i-th row sits in buffer
// i % stages of `chunks` 16-byte vectors, whose barrier completes its (i / stages)-th phase
// when the row has landed. Vector c of a row goes to thread c % blockDim.x.
template <class T, int V>
__global__ void __launch_bounds__(kPipelinedThreads)
    softmax_pipelined_kernel(const T* in, T* out, int64_t rows, int chunks, int stages) {
  constexpr int W = 16 / sizeof(T);
  extern __shared__ uint4 buffers[];  // stages x chunks
  __shared__ uint64_t filled[kMaxStages];
  __shared__ device::Normalizer partials[32];
  const uint32_t row_bytes = static_cast<uint32_t>(chunks) * 16u;
  const int64_t count = (rows - 1 - blockIdx.x) / gridDim.x + 1;
  const uint4* src = reinterpret_cast<const uint4*>(in);
  uint4* dst = reinterpret_cast<uint4*>(out);
  auto row_of = [&](int64_t i) { return blockIdx.x + i * gridDim.x; };
  // Thread 0 alone issues copies; the policy is only needed there.
  uint64_t policy = 0;
  auto fetch = [&](int64_t i, int stage) {
    device::barrier_arrive_expect_bytes(&filled[stage], row_bytes);
    device::bulk_copy_to_shared(buffers + static_cast<int64_t>(stage) * chunks,
                                src + row_of(i) * chunks, row_bytes, &filled[stage], policy);
  };
  if (threadIdx.x == 0) {
    for (int s = 0; s < stages; ++s) device::barrier_init(&filled[s], 1);
    device::fence_barrier_init();
    policy = device::evict_first_policy();
    for (int s = 0; s < stages && s < count; ++s) fetch(s, s);
  }
  __syncthreads();  // the barriers are initialised
  int stage = 0;
  uint32_t parity = 0;  // of the phase of filled[stage] that row i completes
  for (int64_t i = 0; i < count; ++i) {
    device::barrier_wait(&filled[stage], parity);
    const uint4* buffer = buffers + static_cast<int64_t>(stage) * chunks;
    float values[V][W];
#pragma unroll
    for (int v = 0; v < V; ++v) {
      const int c = static_cast<int>(threadIdx.x + v * blockDim.x);
      if (c < chunks) {
        device::widen<T>(buffer[c], values[v]);
      } else {
#pragma unroll
        for (int j = 0; j < W; ++j) values[v][j] = -kInfinity;
      }
    }
    // Every thread has its part of row i: the buffer refills with row i + stages while this
    // block reduces and writes.
    __syncthreads();
    if (threadIdx.x == 0 && i + stages < count) {
      device::fence_proxy_async();  // the reads above come before the copy engine's writes
      fetch(i + stages, stage);
    }
    if (++stage == stages) {
      stage = 0;
      parity ^= 1u;
    }
    const device::Normalizer mine = exponentiate<T>(values);
    const device::Normalizer whole = block_merge(mine, partials);
    const float scale = output_scale(mine, whole);
    uint4* row_out = dst + row_of(i) * chunks;
#pragma unroll
    for (int v = 0; v < V; ++v) {
      const int c = static_cast<int>(threadIdx.x + v * blockDim.x);
      if (c < chunks) store_scaled<T>(row_out + c, values[v], scale);
    }
  }
}

// ---- cluster: a row split over the blocks of a cluster ----

constexpr int kMaxClusterBlocks = 8;  // the portable cluster size

// Cluster k (blocks k * C .. k * C + C - 1, C = the cluster size) owns row k; block rank b
// owns vectors [b * per_block, min((b + 1) * per_block, chunks)), vector c of them in
// thread (c - b * per_block) % blockDim.x, with per_block <= blockDim.x * V.
template <class T, int V>
__global__ void __launch_bounds__(256, V <= 4 ? 4 : 2)
    softmax_cluster_kernel(const T* in, T* out, int chunks, int per_block) {
  constexpr int W = 16 / sizeof(T);
  __shared__ device::Normalizer partials[32];
  __shared__ device::Normalizer block_total;
  const cg::cluster_group cluster = cg::this_cluster();
  const int blocks = static_cast<int>(cluster.num_blocks());
  const int rank = static_cast<int>(cluster.block_rank());
  const int64_t row = blockIdx.x / blocks;
  const int begin = rank * per_block;
  const int end = min(begin + per_block, chunks);
  const uint4* src = reinterpret_cast<const uint4*>(in) + row * chunks;
  const int first = begin + static_cast<int>(threadIdx.x);
  const int step = static_cast<int>(blockDim.x);
  uint4 raw[V];
#pragma unroll
  for (int v = 0; v < V; ++v) {
    if (first + v * step < end) raw[v] = __ldcs(src + first + v * step);  // read once
  }
  float values[V][W];
#pragma unroll
  for (int v = 0; v < V; ++v) {
    if (first + v * step < end) {
      device::widen<T>(raw[v], values[v]);
    } else {
#pragma unroll
      for (int j = 0; j < W; ++j) values[v][j] = -kInfinity;
    }
  }
  const device::Normalizer mine = exponentiate<T>(values);
  const device::Normalizer block = block_merge(mine, partials);
  if (threadIdx.x == 0) block_total = block;
  cluster.sync();  // every block of the cluster has published its pair
  // Each warp merges the cluster's pairs in rank order, lane r reading block r's: every
  // thread of every block ends with the same row normalizer.
  const int lane = threadIdx.x % 32;
  const device::Normalizer whole =
      warp_merge(lane < blocks ? *cluster.map_shared_rank(&block_total, lane)
                               : device::Normalizer{-kInfinity, 0.0f});
  cluster.barrier_arrive();  // done reading the other blocks' shared memory
  const float scale = output_scale(mine, whole);
  // Addressed afresh from the parameters: nothing extra stays live through the exchange.
  uint4* dst = reinterpret_cast<uint4*>(out) + row * chunks;
#pragma unroll
  for (int v = 0; v < V; ++v) {
    if (first + v * step < end) store_scaled<T>(dst + first + v * step, values[v], scale);
  }
  cluster.barrier_wait();  // no block exits while another may still read its pair
}

// ---- host side ----

template <class T>
constexpr int kWidth = 16 / sizeof(T);

int current_cuda_device() {
  int device = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

int device_attribute(cudaDeviceAttr attribute, int device) {
  int value = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&value, attribute, device));
  return value;
}

// Occupancy answers depend only on the device and the launch shape: asked once each.
template <class Query>
int64_t cached(const void* kernel, int64_t a, int64_t b, int64_t c, Query&& query) {
  static std::mutex mutex;
  static std::map<std::tuple<int, const void*, int64_t, int64_t, int64_t>, int64_t> answers;
  const auto key = std::make_tuple(current_cuda_device(), kernel, a, b, c);
  std::lock_guard lock(mutex);
  const auto found = answers.find(key);
  if (found != answers.end()) return found->second;
  const int64_t answer = query();
  answers.emplace(key, answer);
  return answer;
}

template <class Kernel>
int64_t blocks_per_sm(Kernel kernel, int threads, size_t shared) {
  return cached(
      reinterpret_cast<const void*>(kernel), threads, static_cast<int64_t>(shared), 0, [&] {
        int blocks = 0;
        EMBER_CUDA_CHECK(
            cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, threads, shared));
        return static_cast<int64_t>(blocks);
      });
}

template <class T>
using ResidentKernel = void (*)(const T*, T*, int64_t, int64_t);
template <class T>
using PipelinedKernel = void (*)(const T*, T*, int64_t, int, int);
template <class T>
using ClusterKernel = void (*)(const T*, T*, int, int);

constexpr int kResidentMaxChunks = 1024 * 8;

template <class T>
struct ResidentPlan {
  ResidentKernel<T> kernel = nullptr;
  int threads = 0;
};

// At most 512 threads while 8 vectors per thread suffice, so that two blocks share an SM.
template <class T>
ResidentPlan<T> plan_resident(int64_t chunks) {
  if (chunks > kResidentMaxChunks) return {};
  int per_thread = 1;
  while (per_thread < 8 && chunks > 512 * per_thread) per_thread *= 2;
  const int64_t needed = (chunks + per_thread - 1) / per_thread;
  const int threads = static_cast<int>((needed + 31) / 32 * 32);
  switch (per_thread) {
    case 1:
      return {softmax_resident_kernel<T, 1>, threads};
    case 2:
      return {softmax_resident_kernel<T, 2>, threads};
    case 4:
      return {softmax_resident_kernel<T, 4>, threads};
    default:
      return {softmax_resident_kernel<T, 8>, threads};
  }
}

template <class T>
struct PipelinedPlan {
  PipelinedKernel<T> kernel = nullptr;
  int threads = 0;
  int stages = 0;
  size_t shared = 0;
  int64_t blocks = 0;  // the persistent grid, before capping at the row count
};

// As many stages (up to 4) as the SM's shared memory holds for one block, and V vectors per
// thread so that a block has at most 512 threads.
template <class T>
PipelinedPlan<T> plan_pipelined(int64_t chunks) {
  if (chunks > static_cast<int64_t>(kPipelinedThreads) * 8) return {};
  PipelinedPlan<T> plan;
  const int per_thread = chunks <= 2 * kPipelinedThreads   ? 2
                         : chunks <= 4 * kPipelinedThreads ? 4
                                                           : 8;
  plan.kernel = per_thread == 2   ? softmax_pipelined_kernel<T, 2>
                : per_thread == 4 ? softmax_pipelined_kernel<T, 4>
                                  : softmax_pipelined_kernel<T, 8>;
  plan.threads = static_cast<int>((chunks + per_thread - 1) / per_thread + 31) / 32 * 32;
  const int device = current_cuda_device();
  // Dynamic shared memory past 48 KiB needs the kernel's consent, given once per device.
  const int64_t available = cached(reinterpret_cast<const void*>(plan.kernel), -1, 0, 0, [&] {
    cudaFuncAttributes attributes{};
    EMBER_CUDA_CHECK(cudaFuncGetAttributes(&attributes, plan.kernel));
    const int64_t bytes = device_attribute(cudaDevAttrMaxSharedMemoryPerBlockOptin, device) -
                          static_cast<int64_t>(attributes.sharedSizeBytes);
    EMBER_CUDA_CHECK(cudaFuncSetAttribute(plan.kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(bytes)));
    return bytes;
  });
  const int64_t row_bytes = chunks * 16;
  plan.stages = static_cast<int>(std::min<int64_t>(kMaxStages, available / row_bytes));
  if (plan.stages < 2) return {};
  plan.shared = static_cast<size_t>(plan.stages * row_bytes);
  plan.blocks = blocks_per_sm(plan.kernel, plan.threads, plan.shared) *
                device_attribute(cudaDevAttrMultiProcessorCount, device);
  if (plan.blocks == 0) return {};
  return plan;
}

template <class T>
struct ClusterPlan {
  ClusterKernel<T> kernel = nullptr;
  int threads = 0;
  int blocks = 0;  // per cluster
  int per_block = 0;
  int64_t clusters = 0;  // how many fit on the device at once
};

cudaLaunchConfig_t cluster_config(unsigned int grid, int threads, int blocks,
                                  cudaLaunchAttribute* attribute) {
  attribute->id = cudaLaunchAttributeClusterDimension;
  attribute->val.clusterDim.x = static_cast<unsigned int>(blocks);
  attribute->val.clusterDim.y = 1;
  attribute->val.clusterDim.z = 1;
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(grid);
  config.blockDim = dim3(static_cast<unsigned int>(threads));
  config.dynamicSmemBytes = 0;
  config.attrs = attribute;
  config.numAttrs = 1;
  return config;
}

// Blocks of up to `block_threads` threads with 4 vectors each (8 past 8 such blocks), as
// few blocks per cluster as cover the row.
template <class T>
ClusterPlan<T> plan_cluster(int64_t chunks, int block_threads) {
  ClusterPlan<T> plan;
  int per_thread = 4;
  if (chunks > int64_t{kMaxClusterBlocks} * block_threads * 4) per_thread = 8;
  if (chunks > int64_t{kMaxClusterBlocks} * block_threads * 8) return {};
  plan.kernel = per_thread == 4 ? softmax_cluster_kernel<T, 4> : softmax_cluster_kernel<T, 8>;
  const int64_t capacity = static_cast<int64_t>(block_threads) * per_thread;
  plan.blocks = static_cast<int>((chunks + capacity - 1) / capacity);
  plan.per_block = static_cast<int>((chunks + plan.blocks - 1) / plan.blocks);
  plan.threads = (plan.per_block + per_thread - 1) / per_thread;
  plan.threads = (plan.threads + 31) / 32 * 32;
  plan.clusters =
      cached(reinterpret_cast<const void*>(plan.kernel), plan.threads, plan.blocks, 1, [&] {
        cudaLaunchAttribute attribute;
        // The grid only needs to hold one cluster for the question.
        const cudaLaunchConfig_t config = cluster_config(static_cast<unsigned int>(plan.blocks),
                                                         plan.threads, plan.blocks, &attribute);
        int clusters = 0;
        EMBER_CUDA_CHECK(cudaOccupancyMaxActiveClusters(&clusters, plan.kernel, &config));
        return static_cast<int64_t>(clusters);
      });
  if (plan.clusters == 0) return {};
  return plan;
}

int cluster_block_threads(SoftmaxVariant variant) {
  return variant == SoftmaxVariant::cluster128 ? 128 : 256;
}

template <class T>
bool launch_resident(const T* in, T* out, int64_t rows, int64_t chunks) {
  const ResidentPlan<T> plan = plan_resident<T>(chunks);
  if (plan.kernel == nullptr) return false;
  const unsigned int blocks = rows > 65535 * 16 ? 65535u * 16 : static_cast<unsigned int>(rows);
  plan.kernel<<<blocks, plan.threads, 0, current_stream()>>>(in, out, rows, chunks * kWidth<T>);
  EMBER_CUDA_CHECK(cudaGetLastError());
  return true;
}

template <class T>
bool launch_pipelined(const T* in, T* out, int64_t rows, int64_t chunks) {
  const PipelinedPlan<T> plan = plan_pipelined<T>(chunks);
  if (plan.kernel == nullptr) return false;
  const auto grid = static_cast<unsigned int>(std::min(rows, plan.blocks));
  plan.kernel<<<grid, plan.threads, plan.shared, current_stream()>>>(
      in, out, rows, static_cast<int>(chunks), plan.stages);
  EMBER_CUDA_CHECK(cudaGetLastError());
  return true;
}

template <class T>
bool launch_cluster(const T* in, T* out, int64_t rows, int64_t chunks, int block_threads) {
  const ClusterPlan<T> plan = plan_cluster<T>(chunks, block_threads);
  if (plan.kernel == nullptr || rows > 2147483647 / plan.blocks) return false;
  cudaLaunchAttribute attribute;
  cudaLaunchConfig_t config = cluster_config(static_cast<unsigned int>(rows * plan.blocks),
                                             plan.threads, plan.blocks, &attribute);
  config.stream = current_stream();
  EMBER_CUDA_CHECK(
      cudaLaunchKernelEx(&config, plan.kernel, in, out, static_cast<int>(chunks), plan.per_block));
  return true;
}

SoftmaxVariant parse_variant(const std::string& text) {
  for (SoftmaxVariant variant : kSoftmaxVariants) {
    if (text == softmax_variant_name(variant)) return variant;
  }
  throw ValueError(detail::concat("[config] EMBER_CUDA_SOFTMAX='", text,
                                  "' is not one of resident, pipelined, cluster, cluster128"));
}

std::atomic<SoftmaxVariant>& variant_in_force() {
  static std::atomic<SoftmaxVariant> variant{
      parse_variant(config::env_or("EMBER_CUDA_SOFTMAX", "pipelined"))};
  return variant;
}

}  // namespace

const char* softmax_variant_name(SoftmaxVariant variant) {
  switch (variant) {
    case SoftmaxVariant::resident:
      return "resident";
    case SoftmaxVariant::pipelined:
      return "pipelined";
    case SoftmaxVariant::cluster:
      return "cluster";
    case SoftmaxVariant::cluster128:
      return "cluster128";
  }
  return "?";
}

SoftmaxVariant softmax_variant() { return variant_in_force().load(std::memory_order_relaxed); }

void set_softmax_variant(SoftmaxVariant variant) {
  variant_in_force().store(variant, std::memory_order_relaxed);
}

int64_t softmax_rows_in_flight(SoftmaxVariant variant, Dtype dtype, int64_t length) {
  int64_t rows = 0;
  dispatch_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (length <= 1024 || length % kWidth<T> != 0) return true;
    const int64_t chunks = length / kWidth<T>;
    const int sms = device_attribute(cudaDevAttrMultiProcessorCount, current_cuda_device());
    switch (variant) {
      case SoftmaxVariant::resident: {
        const ResidentPlan<T> plan = plan_resident<T>(chunks);
        if (plan.kernel != nullptr) rows = blocks_per_sm(plan.kernel, plan.threads, 0) * sms;
        break;
      }
      case SoftmaxVariant::pipelined:
        rows = plan_pipelined<T>(chunks).blocks;
        break;
      case SoftmaxVariant::cluster:
      case SoftmaxVariant::cluster128:
        rows = plan_cluster<T>(chunks, cluster_block_threads(variant)).clusters;
        break;
    }
    return true;
  });
  return rows;
}

bool launch_softmax_long_rows(Dtype dtype, const void* in, void* out, int64_t rows,
                              int64_t length) {
  return dispatch_float(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in);
    T* dst = static_cast<T*>(out);
    const bool aligned = reinterpret_cast<uintptr_t>(in) % 16 == 0 &&
                         reinterpret_cast<uintptr_t>(out) % 16 == 0 && length % kWidth<T> == 0;
    if (rows == 0 || length <= 1024 || !aligned) return false;
    const int64_t chunks = length / kWidth<T>;
    const SoftmaxVariant variant = softmax_variant();
    bool launched = false;
    if (variant == SoftmaxVariant::pipelined) {
      launched = launch_pipelined(src, dst, rows, chunks);
    } else if (variant == SoftmaxVariant::cluster || variant == SoftmaxVariant::cluster128) {
      launched = launch_cluster(src, dst, rows, chunks, cluster_block_threads(variant));
    }
    return launched || launch_resident(src, dst, rows, chunks);
  });
}

}  // namespace ember::cuda
