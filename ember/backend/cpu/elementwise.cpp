// Unary elementwise kernels (Unary<Op>) and StopGradient. A contiguous input takes a flat
// loop the compiler vectorises, a broadcast scalar is computed once, anything else walks
// strides. An input that nothing else refers to donates its buffer to the output (in place)
// when the dtypes match. Binary and ternary kernels: elementwise_binary.cpp.
#include <algorithm>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/elementwise.h"

namespace ember {
namespace {

template <class Op, class T, class Out>
void unary_kernel(const array& in, const void* in_data, array& out) {
  const Op op;
  const T* src = static_cast<const T*>(in_data);
  Out* dst = static_cast<Out*>(out.raw_data());
  const size_t n = out.size();
  if (in.flags().row_contiguous) {
    for (size_t i = 0; i < n; ++i) dst[i] = op(src[i]);
  } else if (cpu::is_scalar_broadcast(in)) {
    std::fill(dst, dst + n, op(src[0]));
  } else {
    cpu::for_each_strided<2>(in.shape(), {in.strides(), out.strides()},
                             [&](const std::array<int64_t, 2>& o) { dst[o[1]] = op(src[o[0]]); });
  }
}

}  // namespace

template <class Op>
void Unary<Op>::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  const void* in_data = in.raw_data();
  cpu::donate_or_allocate(inputs, out);
  dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_invocable_v<const Op&, T>) {
      using Out = std::invoke_result_t<const Op&, T>;
      EMBER_INTERNAL_ASSERT(out.dtype() == storage_dtype_of<Out>(), name(), " of ", in.dtype(),
                            " gives ", storage_dtype_of<Out>(), ", not ", out.dtype());
      unary_kernel<Op, T, Out>(in, in_data, out);
    } else {
      EMBER_INTERNAL_ASSERT(false, name(), " does not support ", in.dtype());
    }
  });
}

void StopGradient::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  out.copy_shared_buffer(in, in.strides(), 0);
}

#define EMBER_INSTANTIATE(Op) template class Unary<functors::Op>;
EMBER_UNARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE

}  // namespace ember
