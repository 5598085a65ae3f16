// The GPU side of a build without CUDA: no devices, and every eval_gpu explains why.
// (Unreachable in practice: a GPU stream cannot be created when no GPU exists.)
#include "ember/core/allocator.h"
#include "ember/core/backend.h"
#include "ember/core/errors.h"
#include "ember/core/primitives/creation.h"
#include "ember/core/primitives/elementwise.h"
#include "ember/core/primitives/matmul.h"
#include "ember/core/primitives/reduce.h"
#include "ember/core/primitives/shape.h"

namespace ember {
namespace backend {

int gpu_device_count() { return 0; }

std::unique_ptr<detail::StreamExecutor> make_gpu_executor(const Stream& stream) {
  throw ValueError(detail::concat("[new_stream] ", stream.device,
                                  " is not available: ember was built without CUDA"));
}

allocator::Allocator& gpu_allocator(int index) {
  throw ValueError(detail::concat("[allocator] gpu:", index,
                                  " is not available: ember was built without CUDA"));
}

}  // namespace backend

namespace {
[[noreturn]] void no_gpu(const char* name) {
  throw NotImplementedError(detail::concat("[", name, "] ember was built without CUDA"));
}
}  // namespace

template <class Op>
void Unary<Op>::eval_gpu(const std::vector<array>&, array&) { no_gpu(name()); }
template <class Op>
void Binary<Op>::eval_gpu(const std::vector<array>&, array&) { no_gpu(name()); }
template <class Op>
void Ternary<Op>::eval_gpu(const std::vector<array>&, array&) { no_gpu(name()); }

#define EMBER_NO_GPU(Primitive) \
  void Primitive::eval_gpu(const std::vector<array>&, array&) { no_gpu(name()); }
EMBER_NO_GPU(AsType)
EMBER_NO_GPU(StopGradient)
EMBER_NO_GPU(Arange)
EMBER_NO_GPU(Reduce)
EMBER_NO_GPU(Matmul)
EMBER_NO_GPU(Reshape)
EMBER_NO_GPU(Transpose)
EMBER_NO_GPU(Broadcast)
EMBER_NO_GPU(Slice)
EMBER_NO_GPU(Concatenate)
EMBER_NO_GPU(Copy)
#undef EMBER_NO_GPU

#define EMBER_INSTANTIATE(Op) template class Unary<functors::Op>;
EMBER_UNARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE
#define EMBER_INSTANTIATE(Op) template class Binary<functors::Op>;
EMBER_BINARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE
#define EMBER_INSTANTIATE(Op) template class Ternary<functors::Op>;
EMBER_TERNARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE

}  // namespace ember
