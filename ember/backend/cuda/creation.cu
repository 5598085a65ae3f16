// Arange on the GPU: start + i * step computed in double and converted once, as on the CPU.
#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {

template <class T>
__global__ void arange_kernel(T* out, int64_t size, double start, double step) {
  for (int64_t i = device::thread_start(1); i < size; i += device::grid_stride(1)) {
    out[i] = device::convert<T>(start + static_cast<double>(i) * step);
  }
}

}  // namespace

void launch_arange(Dtype dtype, void* out, int64_t size, double start, double step) {
  if (size == 0) return;
  constexpr int kThreads = 256;
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    arange_kernel<T><<<blocks_for(size, kThreads), kThreads, 0, current_stream()>>>(
        static_cast<T*>(out), size, start, step);
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "arange of ", dtype, " on the GPU");
  EMBER_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ember::cuda
