// Host-side CUDA helpers for the backend: checked calls, RAII handles, and the CUDA stream
// of the GPU task running on this thread.
//
//   EMBER_CUDA_CHECK(cudaMemsetAsync(ptr, 0, bytes, cuda::current_stream()));
//
// A failed call throws a typed ember error naming the call (OutOfMemory for allocation
// failures, RuntimeError otherwise); the scheduler adds the op's name (G6).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <utility>

namespace ember::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line);

#define EMBER_CUDA_CHECK(call)                                                  \
  do {                                                                          \
    const cudaError_t ember_cuda_error_ = (call);                               \
    if (ember_cuda_error_ != cudaSuccess) [[unlikely]] {                        \
      ::ember::cuda::throw_cuda_error(ember_cuda_error_, #call, __FILE__, __LINE__); \
    }                                                                           \
  } while (0)

/// The CUDA stream of the GPU task running on this thread; an internal error elsewhere.
/// Everything a task enqueues goes through it (so a task that never asked for it
/// enqueued nothing: see current_stream_uses).
cudaStream_t current_stream();
/// How many times this thread has asked for current_stream().
uint64_t current_stream_uses();
/// The device index of that stream.
int current_device();
/// Set by a GPU executor's launcher thread for its lifetime.
void set_current_stream(cudaStream_t stream, int device);
/// Whether this thread is running a GPU task.
bool has_current_stream();
/// Whether this thread's stream is capturing a graph (capture_graph): work must then be
/// enqueued on it or done at once, never enqueued elsewhere for later.
bool is_capturing();
void set_capturing(bool capturing);

/// An owned cudaStream_t (non-blocking: it never synchronises with the legacy stream).
class CudaStream {
 public:
  CudaStream() = default;
  explicit CudaStream(int device);
  ~CudaStream();
  CudaStream(CudaStream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  CudaStream& operator=(CudaStream&& other) noexcept {
    std::swap(stream_, other.stream_);
    return *this;
  }
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

/// EMBER_CUDA_PROFILE: whether GPU tasks' host paths are being timed, and the time one pass
/// through a named part of one took (the executor prints the totals at exit).
bool profiling();
void profile_phase(const char* name, double seconds);

/// Whether the user allows TF32 tensor cores for float32 matmul (EMBER_CUDA_TF32).
bool allow_tf32();

/// Whether kernels written to start before the kernel ahead of them finishes are launched
/// so (programmatic dependent launch, device/dependent_launch.cuh); EMBER_CUDA_PDL=0 turns
/// it off.
bool dependent_launch();

/// Launches `kernel` on the current stream as a dependent of the kernel ahead of it (when
/// dependent_launch()): it may start while that kernel runs, so it must call
/// device::wait_for_prerequisites() before touching anything earlier work reads or writes.
template <class... Params, class... Args>
void launch_as_dependent(void (*kernel)(Params...), dim3 grid, dim3 block, Args&&... args) {
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = 0;
  config.stream = current_stream();
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  config.attrs = &attribute;
  config.numAttrs = dependent_launch() ? 1 : 0;
  EMBER_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

}  // namespace ember::cuda
