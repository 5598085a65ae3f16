// The GPU side of a build without CUDA: no devices. (Not linked in a CUDA build.)
#include "ember/core/allocator.h"
#include "ember/core/backend.h"
#include "ember/core/errors.h"

namespace ember::backend {

int gpu_device_count() { return 0; }

std::unique_ptr<detail::StreamExecutor> make_gpu_executor(const Stream& stream) {
  throw ValueError(detail::concat("[new_stream] ", stream.device,
                                  " is not available: ember was built without CUDA"));
}

allocator::Allocator& gpu_allocator(int index) {
  throw ValueError(detail::concat("[allocator] gpu:", index,
                                  " is not available: ember was built without CUDA"));
}

}  // namespace ember::backend
