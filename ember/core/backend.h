// What each backend provides to the core (internal). backend/cpu, backend/cuda and
// backend/no_cuda implement these; the core never includes a backend header.
#pragma once

#include <cstddef>
#include <memory>

#include "ember/core/executor.h"

namespace ember::backend {

/// A worker-thread executor for a CPU stream (backend/cpu).
std::unique_ptr<detail::StreamExecutor> make_cpu_executor(int stream_index);

/// Number of CUDA devices present (0 in a build without CUDA).
int gpu_device_count();
/// An executor for a GPU stream; throws in a build without CUDA.
std::unique_ptr<detail::StreamExecutor> make_gpu_executor(const Stream& stream);

}  // namespace ember::backend

namespace ember::allocator {
class Allocator;
}

namespace ember::backend {
/// The CPU's caching allocator (backend/cpu).
allocator::Allocator& cpu_allocator();
/// GPU `index`'s caching allocator; throws in a build without CUDA.
allocator::Allocator& gpu_allocator(int index);
}  // namespace ember::backend
