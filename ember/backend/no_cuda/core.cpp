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

template class Unary<functors::Abs>;
template class Unary<functors::Negative>;
template class Unary<functors::Sign>;
template class Unary<functors::Square>;
template class Unary<functors::Floor>;
template class Unary<functors::Ceil>;
template class Unary<functors::Round>;
template class Unary<functors::Exp>;
template class Unary<functors::Expm1>;
template class Unary<functors::Log>;
template class Unary<functors::Log2>;
template class Unary<functors::Log10>;
template class Unary<functors::Log1p>;
template class Unary<functors::Sqrt>;
template class Unary<functors::Rsqrt>;
template class Unary<functors::Sigmoid>;
template class Unary<functors::Sin>;
template class Unary<functors::Cos>;
template class Unary<functors::Tan>;
template class Unary<functors::ArcSin>;
template class Unary<functors::ArcCos>;
template class Unary<functors::ArcTan>;
template class Unary<functors::Sinh>;
template class Unary<functors::Cosh>;
template class Unary<functors::Tanh>;
template class Unary<functors::ArcSinh>;
template class Unary<functors::ArcCosh>;
template class Unary<functors::ArcTanh>;
template class Unary<functors::Erf>;
template class Unary<functors::ErfInv>;
template class Unary<functors::LogicalNot>;
template class Unary<functors::BitwiseInvert>;
template class Unary<functors::Conjugate>;
template class Unary<functors::Real>;
template class Unary<functors::Imag>;
template class Unary<functors::IsNan>;
template class Unary<functors::IsInf>;
template class Unary<functors::IsPosInf>;
template class Unary<functors::IsNegInf>;
template class Unary<functors::IsFinite>;
template class Binary<functors::Add>;
template class Binary<functors::Subtract>;
template class Binary<functors::Multiply>;
template class Binary<functors::Divide>;
template class Binary<functors::Maximum>;
template class Binary<functors::Minimum>;
template class Binary<functors::FloorDivide>;
template class Binary<functors::Remainder>;
template class Binary<functors::Power>;
template class Binary<functors::ArcTan2>;
template class Binary<functors::LogAddExp>;
template class Binary<functors::LogicalAnd>;
template class Binary<functors::LogicalOr>;
template class Binary<functors::BitwiseAnd>;
template class Binary<functors::BitwiseOr>;
template class Binary<functors::BitwiseXor>;
template class Binary<functors::LeftShift>;
template class Binary<functors::RightShift>;
template class Binary<functors::Equal>;
template class Binary<functors::NaNEqual>;
template class Binary<functors::NotEqual>;
template class Binary<functors::Less>;
template class Binary<functors::LessEqual>;
template class Binary<functors::Greater>;
template class Binary<functors::GreaterEqual>;
template class Ternary<functors::Select>;

}  // namespace ember
