// Strided copies with dtype conversion: one kernel per (source, destination) GPU dtype
// pair, one element per thread; contiguous conversions use the same kernel on a 1-d layout.
// Same-dtype contiguous copies never get here (cudaMemcpyAsync, kernels.cpp).
#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/layout.cuh"
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

}  // namespace

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
  Layout<2> layout;
  layout.ndim = 1;
  layout.shape[0] = 1;  // unused by the 1-d fast path
  layout.strides[0][0] = layout.strides[1][0] = 1;
  launch_copy(src_dtype, src, dst_dtype, dst, layout, size);
}

}  // namespace ember::cuda
