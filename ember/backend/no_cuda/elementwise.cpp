// eval_gpu of the elementwise, copy and creation primitives without CUDA.
// (Unreachable in practice: a GPU stream cannot be created when no GPU exists.)
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/creation.h"
#include "ember/core/primitives/elementwise.h"
#include "ember/core/primitives/shape.h"

namespace ember {

template <class Op>
void Unary<Op>::eval_gpu(const std::vector<array>&, array&) { detail::no_gpu_kernel(name()); }
template <class Op>
void Binary<Op>::eval_gpu(const std::vector<array>&, array&) { detail::no_gpu_kernel(name()); }
template <class Op>
void Ternary<Op>::eval_gpu(const std::vector<array>&, array&) { detail::no_gpu_kernel(name()); }

EMBER_NO_GPU(AsType)
EMBER_NO_GPU(StopGradient)
EMBER_NO_GPU(Arange)
EMBER_NO_GPU(Copy)
EMBER_NO_GPU(Concatenate)

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
