// Kernel-level experiments for issue 4's bandwidth cases, timed with CUDA events on the
// device alone (no ember graph, no host path): ember's own elementwise add kernel
// (device/elementwise.cuh, the one the library launches) against layouts that keep more
// loads in flight per thread or fewer blocks in the grid, and ember's row-sum launcher
// against block-per-row kernels with several independent accumulators. The figures say
// which layout to adopt; benchmarks/NOTES.md records the outcome.
//
//   kernel_variants [--runs N]    one JSON line per case: name, us per launch, GB/s
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ember/backend/cuda/device/elementwise.cuh"
#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/launch.h"

using namespace ember;
using ember::cuda::FlatArgs;

namespace {

void check(cudaError_t error, const char* what) {
  if (error != cudaSuccess) {
    std::fprintf(stderr, "kernel_variants: %s: %s\n", what, cudaGetErrorString(error));
    std::exit(1);
  }
}

int g_runs = 20;

// Median device time of one launch, in microseconds (events around each launch).
double median_us(const std::function<void()>& launch) {
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "event");
  check(cudaEventCreate(&stop), "event");
  for (int i = 0; i < 3; ++i) launch();
  std::vector<float> times;
  for (int i = 0; i < g_runs; ++i) {
    check(cudaEventRecord(start), "record");
    launch();
    check(cudaEventRecord(stop), "record");
    check(cudaEventSynchronize(stop), "sync");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start, stop), "elapsed");
    times.push_back(ms);
  }
  check(cudaGetLastError(), "launch");
  std::sort(times.begin(), times.end());
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return times[times.size() / 2] * 1e3;
}

void report(const std::string& name, double bytes, const std::function<void()>& launch) {
  const double us = median_us(launch);
  std::printf("{\"name\": \"%s\", \"us\": %.2f, \"GB/s\": %.1f}\n", name.c_str(), us,
              bytes / us / 1e3);
  std::fflush(stdout);
}

template <class T>
__device__ __forceinline__ T add_one(T a, T b) {
  return functors::Add{}(a, b);
}

// Tiles of blockDim * W * Chunks elements; a thread loads its Chunks vectors of both
// operands before adding. Persistent: the grid is capped and blocks stride over tiles.
template <class T, int Chunks, bool Streaming>
__global__ void add_tiled(const T* a, const T* b, T* out, int64_t n) {
  constexpr int W = 16 / sizeof(T);
  using V = cuda::device::Aligned<T, W>;
  const int64_t tile = static_cast<int64_t>(blockDim.x) * W * Chunks;
  for (int64_t base = blockIdx.x * tile; base < n; base += gridDim.x * tile) {
    V va[Chunks], vb[Chunks];
#pragma unroll
    for (int c = 0; c < Chunks; ++c) {
      const int64_t i = base + (static_cast<int64_t>(c) * blockDim.x + threadIdx.x) * W;
      const V* pa = reinterpret_cast<const V*>(a + i);
      const V* pb = reinterpret_cast<const V*>(b + i);
      if constexpr (Streaming) {
        const int4 ra = __ldcs(reinterpret_cast<const int4*>(pa));
        const int4 rb = __ldcs(reinterpret_cast<const int4*>(pb));
        std::memcpy(&va[c], &ra, 16);
        std::memcpy(&vb[c], &rb, 16);
      } else {
        va[c] = *pa;
        vb[c] = *pb;
      }
    }
#pragma unroll
    for (int c = 0; c < Chunks; ++c) {
      V r;
#pragma unroll
      for (int j = 0; j < W; ++j) r.v[j] = add_one(va[c].v[j], vb[c].v[j]);
      const int64_t i = base + (static_cast<int64_t>(c) * blockDim.x + threadIdx.x) * W;
      if constexpr (Streaming) {
        int4 raw;
        std::memcpy(&raw, &r, 16);
        __stcs(reinterpret_cast<int4*>(out + i), raw);
      } else {
        *reinterpret_cast<V*>(out + i) = r;
      }
    }
  }
}

template <class T>
void add_cases(const char* dtype, int64_t n, int sms) {
  T *a, *b, *out;
  check(cudaMalloc(&a, n * sizeof(T)), "malloc");
  check(cudaMalloc(&b, n * sizeof(T)), "malloc");
  check(cudaMalloc(&out, n * sizeof(T)), "malloc");
  check(cudaMemset(a, 0x3c, n * sizeof(T)), "memset");
  check(cudaMemset(b, 0x3d, n * sizeof(T)), "memset");
  const double bytes = 3.0 * n * sizeof(T);
  constexpr int W = 16 / sizeof(T);
  const std::string prefix = std::string("add_") + dtype + "_";

  FlatArgs<2> args{};
  args.in[0] = a;
  args.in[1] = b;
  args.step[0] = args.step[1] = 1;
  args.out = out;
  args.size = n;
  args.vectorize = true;
  for (int threads : {256, 128, 512}) {
    const unsigned blocks = static_cast<unsigned>((n / W + threads - 1) / threads);
    report(prefix + "ember_flat_t" + std::to_string(threads), bytes, [&] {
      cuda::device::binary_flat<functors::Add, T, T, T><<<blocks, threads>>>(args);
    });
  }
  {
    const unsigned blocks = static_cast<unsigned>((n / W + 127) / 128);
    // Fewer resident blocks an SM, capped through unused dynamic shared memory: torch's
    // add kernel runs 12 blocks of 128 an SM (its registers) where ours fits 16.
    auto kernel = cuda::device::binary_flat<functors::Add, T, T, T>;
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 << 10),
          "attribute");
    int smem_per_sm = 0;
    check(cudaDeviceGetAttribute(&smem_per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, 0),
          "attribute");
    for (int resident : {12, 8}) {
      const size_t smem = static_cast<size_t>(smem_per_sm / resident - 1024);
      report(prefix + "ember_flat_t128_" + std::to_string(resident) + "_blocks_an_sm",
             bytes, [&] { kernel<<<blocks, 128, smem>>>(args); });
    }
  }
  auto tiled = [&](auto kernel, const char* name, int chunks, int threads, unsigned cap) {
    const int64_t tiles = n / (static_cast<int64_t>(threads) * W * chunks);
    const unsigned blocks = static_cast<unsigned>(cap ? std::min<int64_t>(cap, tiles) : tiles);
    report(prefix + name + "_t" + std::to_string(threads) + (cap ? "_persistent" : ""), bytes,
           [&] { kernel<<<blocks, threads>>>(a, b, out, n); });
  };
  tiled(add_tiled<T, 1, false>, "chunks1", 1, 256, 0);
  tiled(add_tiled<T, 2, false>, "chunks2", 2, 256, 0);
  tiled(add_tiled<T, 4, false>, "chunks4", 4, 256, 0);
  tiled(add_tiled<T, 2, false>, "chunks2", 2, 128, 0);
  tiled(add_tiled<T, 4, false>, "chunks4", 4, 128, 0);
  tiled(add_tiled<T, 1, true>, "chunks1_streaming", 1, 256, 0);
  tiled(add_tiled<T, 2, true>, "chunks2_streaming", 2, 256, 0);
  tiled(add_tiled<T, 1, false>, "chunks1", 1, 256, sms * 8);
  tiled(add_tiled<T, 2, false>, "chunks2", 2, 256, sms * 8);
  tiled(add_tiled<T, 4, false>, "chunks4", 4, 256, sms * 4);
  cudaFree(a);
  cudaFree(b);
  cudaFree(out);
}

// One block per row (or per 1/Splits of a row), Unroll independent 16-byte loads and
// accumulators per thread; the block's partial goes to out[row * Splits + split].
template <int Unroll>
__global__ void row_sum_unrolled(const float* in, float* out, int64_t length, int splits) {
  const int64_t row = blockIdx.x / splits, split = blockIdx.x % splits;
  const int64_t segment = length / splits;
  const float4* p = reinterpret_cast<const float4*>(in + row * length + split * segment);
  const int64_t chunks = segment / 4;
  float acc[Unroll] = {};
  int64_t c = threadIdx.x;
  for (; c + (Unroll - 1) * blockDim.x < chunks; c += Unroll * blockDim.x) {
    float4 v[Unroll];
#pragma unroll
    for (int u = 0; u < Unroll; ++u) v[u] = p[c + u * blockDim.x];
#pragma unroll
    for (int u = 0; u < Unroll; ++u) acc[u] += (v[u].x + v[u].y) + (v[u].z + v[u].w);
  }
  for (; c < chunks; c += blockDim.x) acc[0] += (p[c].x + p[c].y) + (p[c].z + p[c].w);
  float total = 0;
#pragma unroll
  for (int u = 0; u < Unroll; ++u) total += acc[u];
  for (int offset = 16; offset > 0; offset /= 2) total += __shfl_xor_sync(0xffffffff, total, offset);
  __shared__ float warp_sums[32];
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = total;
  __syncthreads();
  if (threadIdx.x < 32) {
    total = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : 0.f;
    for (int offset = 16; offset > 0; offset /= 2) total += __shfl_xor_sync(0xffffffff, total, offset);
    if (threadIdx.x == 0) out[blockIdx.x] = total;
  }
}

__global__ void sum_partials(const float* partial, float* out, int64_t rows, int splits) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  float total = 0;
  for (int s = 0; s < splits; ++s) total += partial[row * splits + s];
  out[row] = total;
}

void row_sum_cases() {
  const int64_t rows = 4096, length = 65536;
  float *in, *out, *partial;
  check(cudaMalloc(&in, rows * length * sizeof(float)), "malloc");
  check(cudaMalloc(&out, rows * sizeof(float)), "malloc");
  check(cudaMalloc(&partial, rows * 8 * sizeof(float)), "malloc");
  check(cudaMemset(in, 0x3c, rows * length * sizeof(float)), "memset");
  const double bytes = rows * length * 4.0;
  report("sum_rows_ember_launcher", bytes, [&] {
    cuda::launch_reduce_rows(cuda::ReduceOp::sum, float32, in, out, rows, length, partial, 1);
  });
  auto variant = [&](auto kernel, int unroll, int threads, int splits) {
    report("sum_rows_unroll" + std::to_string(unroll) + "_t" + std::to_string(threads) +
               "_splits" + std::to_string(splits),
           bytes, [&] {
             kernel<<<static_cast<unsigned>(rows * splits), threads>>>(
                 in, splits == 1 ? out : partial, length, splits);
             if (splits > 1) {
               sum_partials<<<static_cast<unsigned>((rows + 255) / 256), 256>>>(partial, out,
                                                                               rows, splits);
             }
           });
  };
  variant(row_sum_unrolled<1>, 1, 256, 1);
  variant(row_sum_unrolled<4>, 4, 256, 1);
  variant(row_sum_unrolled<8>, 8, 256, 1);
  variant(row_sum_unrolled<4>, 4, 512, 1);
  variant(row_sum_unrolled<4>, 4, 1024, 1);
  variant(row_sum_unrolled<4>, 4, 256, 2);
  variant(row_sum_unrolled<4>, 4, 256, 4);
  variant(row_sum_unrolled<4>, 4, 128, 8);
  cudaFree(in);
  cudaFree(out);
  cudaFree(partial);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0) g_runs = std::atoi(argv[i + 1]);
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("kernel_variants: no GPU, nothing to measure\n");
    return 0;
  }
  int sms = 0;
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), "attribute");
  cuda::set_current_stream(nullptr, 0);  // ember's launchers enqueue on the legacy stream
  const int64_t n = int64_t{1} << 28;
  add_cases<bfloat16_t>("bf16", n, sms);
  add_cases<float>("f32", n, sms);
  row_sum_cases();
  return 0;
}
