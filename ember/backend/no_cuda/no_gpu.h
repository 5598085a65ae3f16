// The error an eval_gpu without a CUDA kernel throws. A CPU-only build links every file
// here; a CUDA build links only the families backend/cuda has not ported yet (see
// backend/cuda/CMakeLists.txt), so its message says which it is.
#pragma once

#include "ember/core/errors.h"

namespace ember::detail {

[[noreturn]] inline void no_gpu_kernel(const char* name) {
#if defined(EMBER_HAS_CUDA)
  throw NotImplementedError(concat("[", name, "] has no CUDA kernel yet"));
#else
  throw NotImplementedError(concat("[", name, "] ember was built without CUDA"));
#endif
}

}  // namespace ember::detail

/// Defines Primitive::eval_gpu (a UnaryPrimitive) as that error.
#define EMBER_NO_GPU(Primitive) \
  void Primitive::eval_gpu(const std::vector<array>&, array&) { detail::no_gpu_kernel(name()); }
