// Scan kernels (cumsum, cumprod, cummax, cummin, logcumsumexp; reverse and exclusive
// forms) along one axis of any layout. Short lines: one thread walks each line (consecutive
// threads on consecutive lines). Long lines: one block per line scans chunks of kThreads
// elements with cub::BlockScan, carrying the running total between chunks. 16-bit floats
// compute in float; NaN propagates through max and min, as on the CPU. Host side: scan.cpp.
#include <cub/block/block_scan.cuh>

#include <cmath>
#include <limits>
#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/backend/cuda/indexing_launch.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kThreadLineMax = 32;  // longest line one thread walks

enum ScanType { kSum = 0, kProd = 1, kMax = 2, kMin = 3, kLogAddExp = 4 };

template <class T>
using Compute = std::conditional_t<HalfFloat<T>, float, T>;

template <class C>
__device__ __forceinline__ C scan_identity(int type) {
  switch (type) {
    case kSum: return C(0);
    case kProd: return C(1);
    case kMax:
    case kLogAddExp:
      if constexpr (std::numeric_limits<C>::has_infinity) return -std::numeric_limits<C>::infinity();
      else return type == kMax ? std::numeric_limits<C>::lowest() : C(0);
    case kMin:
      if constexpr (std::numeric_limits<C>::has_infinity) return std::numeric_limits<C>::infinity();
      else return std::numeric_limits<C>::max();
  }
  return C(0);
}

template <class C>
struct ScanOp {
  int type;
  __device__ __forceinline__ C operator()(C acc, C x) const {
    switch (type) {
      case kSum: return static_cast<C>(acc + x);
      case kProd: return static_cast<C>(acc * x);
      case kMax:
        if constexpr (std::is_floating_point_v<C>) {
          if (isnan(acc) || isnan(x)) return std::numeric_limits<C>::quiet_NaN();
        }
        return x > acc ? x : acc;
      case kMin:
        if constexpr (std::is_floating_point_v<C>) {
          if (isnan(acc) || isnan(x)) return std::numeric_limits<C>::quiet_NaN();
        }
        return x < acc ? x : acc;
      case kLogAddExp:
        if constexpr (std::is_floating_point_v<C>) {
          const C top = acc < x ? x : acc;
          if (isinf(top) && top < 0) return top;
          if (isnan(acc) || isnan(x)) return std::numeric_limits<C>::quiet_NaN();
          return top + log1p(exp(-fabs(acc - x)));
        } else {
          return x;
        }
    }
    return x;
  }
};

// Hands each chunk's scan the total of the chunks before it (cub's prefix callback).
template <class C>
struct RunningPrefix {
  C running;
  ScanOp<C> op;
  __device__ __forceinline__ C operator()(C chunk_total) {
    const C before = running;
    running = op(running, chunk_total);
    return before;
  }
};

struct LineArgs {
  Layout<2> layout;
  int64_t lines;
  int64_t length;
  int64_t in_step;
  int64_t out_step;
  int type;
  bool reverse;
  bool inclusive;
};

template <class T>
__global__ void scan_thread_lines(const T* in, T* out, LineArgs args) {
  using C = Compute<T>;
  const ScanOp<C> op{args.type};
  for (int64_t line = device::thread_start(1); line < args.lines; line += device::grid_stride(1)) {
    int64_t o[2];
    device::strided_offsets<2>(args.layout, line, o);
    C acc = scan_identity<C>(args.type);
    for (int64_t k = 0; k < args.length; ++k) {
      const int64_t i = args.reverse ? args.length - 1 - k : k;
      const C x = device::convert<C>(in[o[0] + i * args.in_step]);
      if (args.inclusive) acc = op(acc, x);
      out[o[1] + i * args.out_step] = device::convert<T>(acc);
      if (!args.inclusive) acc = op(acc, x);
    }
  }
}

template <class T>
__global__ void scan_block_lines(const T* in, T* out, LineArgs args) {
  using C = Compute<T>;
  using BlockScan = cub::BlockScan<C, kThreads>;
  __shared__ typename BlockScan::TempStorage storage;
  const ScanOp<C> op{args.type};
  for (int64_t line = blockIdx.x; line < args.lines; line += gridDim.x) {
    int64_t o[2];
    device::strided_offsets<2>(args.layout, line, o);
    RunningPrefix<C> prefix{scan_identity<C>(args.type), op};
    for (int64_t chunk = 0; chunk < args.length; chunk += kThreads) {
      const int64_t k = chunk + threadIdx.x;
      const int64_t i = args.reverse ? args.length - 1 - k : k;
      const C x = k < args.length ? device::convert<C>(in[o[0] + i * args.in_step])
                                  : scan_identity<C>(args.type);
      C result;
      if (args.inclusive) {
        BlockScan(storage).InclusiveScan(x, result, op, prefix);
      } else {
        BlockScan(storage).ExclusiveScan(x, result, op, prefix);
      }
      if (k < args.length) out[o[1] + i * args.out_step] = device::convert<T>(result);
      __syncthreads();  // storage is reused by the next chunk
    }
  }
}

}  // namespace

void launch_scan(Dtype dtype, int type, bool reverse, bool inclusive, const void* in, void* out,
                 const Layout<2>& line_layout, int64_t lines, int64_t length, int64_t in_step,
                 int64_t out_step) {
  if (lines == 0 || length == 0) return;
  const LineArgs args{line_layout, lines, length, in_step, out_step, type, reverse, inclusive};
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(in);
    T* dst = static_cast<T*>(out);
    if (length <= kThreadLineMax) {
      scan_thread_lines<T><<<blocks_for(lines, kThreads), kThreads, 0, current_stream()>>>(
          src, dst, args);
    } else {
      const unsigned int blocks = static_cast<unsigned int>(lines < 65536 ? lines : 65536);
      scan_block_lines<T><<<blocks, kThreads, 0, current_stream()>>>(src, dst, args);
    }
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "Scan on the GPU with ", dtype);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ember::cuda
