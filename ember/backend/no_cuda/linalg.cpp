// eval_gpu of the linear algebra primitives in a build without CUDA. As in MLX, these run on
// the CPU only (through LAPACK); the linalg ops already refuse a GPU stream when built.
#include "ember/core/primitives/linalg.h"

#include "ember/core/errors.h"

namespace ember {
namespace {
[[noreturn]] void no_gpu(const char* name) {
  throw NotImplementedError(detail::concat(
      "[", name, "] runs on the CPU only (as in MLX); ember was built without CUDA"));
}
}  // namespace

#define EMBER_NO_GPU(Primitive) \
  void Primitive::eval_gpu(const std::vector<array>&, array&) { no_gpu(name()); }
EMBER_NO_GPU(Inverse)
EMBER_NO_GPU(Cholesky)
EMBER_NO_GPU(Solve)
#undef EMBER_NO_GPU

#define EMBER_NO_GPU_MULTI(Primitive) \
  void Primitive::eval_gpu(const std::vector<array>&, std::vector<array>&) { no_gpu(name()); }
EMBER_NO_GPU_MULTI(QRF)
EMBER_NO_GPU_MULTI(SVD)
EMBER_NO_GPU_MULTI(Eigh)
#undef EMBER_NO_GPU_MULTI

}  // namespace ember
