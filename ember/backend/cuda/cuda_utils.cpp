#include "ember/backend/cuda/cuda_utils.h"

#include <cstdlib>

#include "ember/core/backend.h"
#include "ember/core/config.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {
thread_local cudaStream_t t_stream = nullptr;
thread_local int t_device = -1;
thread_local uint64_t t_stream_uses = 0;
thread_local bool t_capturing = false;
}  // namespace

void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  const std::string message = detail::concat("CUDA error ", cudaGetErrorName(error), " (",
                                             cudaGetErrorString(error), ") in ", call, " at ",
                                             file, ":", line);
  if (error == cudaErrorMemoryAllocation) throw OutOfMemory(message);
  throw RuntimeError(message);
}

cudaStream_t current_stream() {
  EMBER_INTERNAL_ASSERT(t_device >= 0, "a CUDA kernel launched outside a GPU stream's task");
  ++t_stream_uses;
  return t_stream;
}
uint64_t current_stream_uses() { return t_stream_uses; }
bool is_capturing() { return t_capturing; }
void set_capturing(bool capturing) { t_capturing = capturing; }
int current_device() {
  EMBER_INTERNAL_ASSERT(t_device >= 0, "a CUDA kernel launched outside a GPU stream's task");
  return t_device;
}
void set_current_stream(cudaStream_t stream, int device) {
  t_stream = stream;
  t_device = device;
}
bool has_current_stream() { return t_device >= 0; }

CudaStream::CudaStream(int device) {
  EMBER_CUDA_CHECK(cudaSetDevice(device));
  EMBER_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}
CudaStream::~CudaStream() {
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

bool dependent_launch() {
  static const bool enabled = config::env_or("EMBER_CUDA_PDL", "1") != "0";
  return enabled;
}

bool allow_tf32() {
  static const bool allowed = config::env_or("EMBER_CUDA_TF32", "0") == "1";
  return allowed;
}

}  // namespace ember::cuda

namespace ember::backend {

int gpu_device_count() {
  // Asked once: the answer cannot change, and a machine without a driver must not pay the
  // failed initialisation at every device check. Never throws.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return n;
  }();
  return count;
}

}  // namespace ember::backend
