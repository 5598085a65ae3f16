// Copies. Strided with dtype conversion: one kernel per (source, destination) GPU dtype
// pair, one element per thread. Contiguous: a byte copy of 16-byte vectors, several loads
// in flight per thread before the stores (cudaMemcpyAsync reached 0.86 of torch's copy on
// an H100), and a converting copy of W elements per thread with 16-byte accesses, as the
// elementwise flat kernels do. Unaligned operands fall back to cudaMemcpyAsync / scalars.
#include <cstdint>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/device/vector.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {

template <class From, class To>
__global__ void copy_kernel(const From* src, To* dst, Layout<2> layout, int64_t size) {
  for (int64_t i = device::thread_start(1); i < size; i += device::grid_stride(1)) {
    int64_t o[2];
    device::strided_offsets<2>(layout, i, o);
    dst[o[1]] = device::convert<To>(src[o[0]]);
  }
}

constexpr int kCopyThreads = 256;
constexpr int kCopyUnroll = 4;  // 16-byte loads in flight per thread

// dst[i] = src[i] for i < count 16-byte vectors; then the first `tail` threads of block 0
// copy the bytes after them.
__global__ void copy_vectors_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst,
                                    int64_t count, int tail) {
  const int64_t tile = static_cast<int64_t>(blockDim.x) * kCopyUnroll;
  for (int64_t base = blockIdx.x * tile; base < count; base += gridDim.x * tile) {
    uint4 values[kCopyUnroll];
#pragma unroll
    for (int u = 0; u < kCopyUnroll; ++u) {
      const int64_t i = base + u * blockDim.x + threadIdx.x;
      if (i < count) values[u] = src[i];
    }
#pragma unroll
    for (int u = 0; u < kCopyUnroll; ++u) {
      const int64_t i = base + u * blockDim.x + threadIdx.x;
      if (i < count) dst[i] = values[u];
    }
  }
  if (blockIdx.x == 0 && static_cast<int>(threadIdx.x) < tail) {
    reinterpret_cast<uint8_t*>(dst + count)[threadIdx.x] =
        reinterpret_cast<const uint8_t*>(src + count)[threadIdx.x];
  }
}

template <class From, class To>
__global__ void convert_contiguous_kernel(const From* src, To* dst, int64_t size,
                                          bool vectorize) {
  constexpr int W = device::kVectorWidth<From, To>;
  for (int64_t i = device::thread_start(W); i < size; i += device::grid_stride(W)) {
    const bool vector = vectorize && i + W <= size;
    From in[W];
    To out[W];
    device::load_chunk<From, W>(src, 1, i, size, vector, in);
#pragma unroll
    for (int j = 0; j < W; ++j) out[j] = device::convert<To>(in[j]);
    device::store_chunk<To, W>(dst, i, size, vector, out);
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

void launch_copy_contiguous(const void* src, void* dst, int64_t bytes) {
  if (bytes == 0) return;
  if (!aligned16(src) || !aligned16(dst)) {
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes),
                                     cudaMemcpyDeviceToDevice, current_stream()));
    return;
  }
  const int64_t count = bytes / 16;
  const int tail = static_cast<int>(bytes % 16);
  copy_vectors_kernel<<<blocks_for(count, kCopyThreads * kCopyUnroll), kCopyThreads, 0,
                        current_stream()>>>(static_cast<const uint4*>(src),
                                            static_cast<uint4*>(dst), count, tail);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

void launch_copy(Dtype src_dtype, const void* src, Dtype dst_dtype, void* dst,
                 const Layout<2>& layout, int64_t size) {
  if (size == 0) return;
  constexpr int kThreads = 256;
  const bool launched = dispatch_gpu_type(src_dtype, [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    return dispatch_gpu_type(dst_dtype, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      copy_kernel<From, To><<<blocks_for(size, kThreads), kThreads, 0, current_stream()>>>(
          static_cast<const From*>(src), static_cast<To*>(dst), layout, size);
      return true;
    });
  });
  EMBER_INTERNAL_ASSERT(launched, "copy from ", src_dtype, " to ", dst_dtype, " on the GPU");
  EMBER_CUDA_CHECK(cudaGetLastError());
}

void launch_convert_contiguous(Dtype src_dtype, const void* src, Dtype dst_dtype, void* dst,
                               int64_t size) {
  if (size == 0) return;
  const bool vectorize = aligned16(src) && aligned16(dst);
  const bool launched = dispatch_gpu_type(src_dtype, [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    return dispatch_gpu_type(dst_dtype, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      constexpr int W = device::kVectorWidth<From, To>;
      convert_contiguous_kernel<From, To>
          <<<blocks_for((size + W - 1) / W, kCopyThreads), kCopyThreads, 0, current_stream()>>>(
              static_cast<const From*>(src), static_cast<To*>(dst), size, vectorize);
      return true;
    });
  });
  EMBER_INTERNAL_ASSERT(launched, "copy from ", src_dtype, " to ", dst_dtype, " on the GPU");
  EMBER_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ember::cuda
