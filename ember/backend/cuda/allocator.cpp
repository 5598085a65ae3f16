// The GPU allocator: the core's caching pool (size classes, exact counters, hard limit,
// poison-on-free) over plain cudaMalloc/cudaFree, never managed memory.
//
// Stream-ordered reuse (G1): a block returns to the pool only when its Storage dies, and
// every device submission that touches a buffer holds its Storage until the submission's
// completion event has fired (Note [GPU completion]). So a cached block is idle on every
// stream, and any stream may take it at once.
#include <memory>
#include <mutex>
#include <vector>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/core/allocator.h"
#include "ember/core/backend.h"
#include "ember/core/errors.h"

namespace ember::backend {
namespace {

class GpuAllocator final : public allocator::Allocator {
 public:
  explicit GpuAllocator(int device) : device_(device) {}

  void copy(void* dst, const void* src, size_t size) override {
    copy_and_wait(dst, src, size, cudaMemcpyDeviceToDevice);
  }
  void copy_to_host(void* host_dst, const void* src, size_t size) override {
    copy_and_wait(host_dst, src, size, cudaMemcpyDeviceToHost);
  }
  void copy_from_host(void* dst, const void* host_src, size_t size) override {
    // While a graph is captured the copy is done now instead (a constant the graph reads
    // on every run, from a buffer it holds).
    if (cuda::has_current_stream() && cuda::current_device() == device_ && !cuda::is_capturing()) {
      // Ordered before the task's kernels; the task keeps the host source alive.
      EMBER_CUDA_CHECK(
          cudaMemcpyAsync(dst, host_src, size, cudaMemcpyHostToDevice, cuda::current_stream()));
      return;
    }
    copy_and_wait(dst, host_src, size, cudaMemcpyHostToDevice);
  }

 protected:
  void* raw_malloc(size_t size) override {
    void* ptr = nullptr;
    if (cudaSetDevice(device_) != cudaSuccess || cudaMalloc(&ptr, size) != cudaSuccess) {
      cudaGetLastError();  // out of memory is not sticky: clear it
      return nullptr;
    }
    return ptr;
  }
  void raw_free(void* ptr, size_t) override {
    cudaSetDevice(device_);
    if (cudaFree(ptr) != cudaSuccess) cudaGetLastError();  // at exit the driver may be gone
  }
  void fill(void* ptr, size_t size, unsigned char value) override {
    // Debug mode only (EMBER_POISON_FREED): done and waited for before the block can be
    // handed out again.
    cudaStream_t stream = private_stream();
    if (cudaMemsetAsync(ptr, value, size, stream) != cudaSuccess ||
        cudaStreamSynchronize(stream) != cudaSuccess) {
      cudaGetLastError();
    }
  }
  size_t device_memory() const override {
    size_t free_bytes = 0, total_bytes = 0;
    cudaSetDevice(device_);
    if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return total_bytes;
  }

 private:
  // Blocking copies go through a private stream (never the legacy one, which would not
  // order against ember's non-blocking streams anyway) and wait for it.
  void copy_and_wait(void* dst, const void* src, size_t size, cudaMemcpyKind kind) {
    cudaStream_t stream = private_stream();
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, size, kind, stream));
    EMBER_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  cudaStream_t private_stream() {
    // One per thread: copies from several threads must not wait for each other.
    thread_local std::vector<std::unique_ptr<cuda::CudaStream>> streams;
    if (streams.size() <= static_cast<size_t>(device_)) streams.resize(device_ + 1);
    if (!streams[device_]) streams[device_] = std::make_unique<cuda::CudaStream>(device_);
    EMBER_CUDA_CHECK(cudaSetDevice(device_));
    return streams[device_]->get();
  }

  const int device_;
};

}  // namespace

allocator::Allocator& gpu_allocator(int index) {
  static std::vector<GpuAllocator*>* allocators = [] {
    // Never destroyed: storages may outlive main.
    auto* list = new std::vector<GpuAllocator*>();
    for (int i = 0; i < gpu_device_count(); ++i) list->push_back(new GpuAllocator(i));
    return list;
  }();
  EMBER_CHECK(index >= 0 && index < static_cast<int>(allocators->size()), ValueError,
              "[allocator] gpu:", index, " is not available: this machine has ",
              allocators->size(), " GPU(s)");
  return *(*allocators)[index];
}

}  // namespace ember::backend
