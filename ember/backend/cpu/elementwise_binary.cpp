// Binary (Binary<Op>) and ternary (Ternary<Op>, i.e. Select) elementwise kernels. Inputs
// arrive broadcast to the output's shape. All row-contiguous inputs take a flat loop; a
// row-contiguous input against broadcast scalars takes a scalar-vector loop; anything else
// walks strides. A single-owner input of the output's dtype donates its buffer.
#include <algorithm>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/elementwise.h"

namespace ember {
namespace {

template <class Op, class T, class Out>
void binary_kernel(const array& a, const void* a_data, const array& b, const void* b_data,
                   array& out) {
  const Op op;
  const T* x = static_cast<const T*>(a_data);
  const T* y = static_cast<const T*>(b_data);
  Out* dst = static_cast<Out*>(out.raw_data());
  const size_t n = out.size();
  const bool a_flat = a.flags().row_contiguous;
  const bool b_flat = b.flags().row_contiguous;
  if (a_flat && b_flat) {
    for (size_t i = 0; i < n; ++i) dst[i] = op(x[i], y[i]);
  } else if (a_flat && cpu::is_scalar_broadcast(b)) {
    const T scalar = y[0];
    for (size_t i = 0; i < n; ++i) dst[i] = op(x[i], scalar);
  } else if (cpu::is_scalar_broadcast(a) && b_flat) {
    const T scalar = x[0];
    for (size_t i = 0; i < n; ++i) dst[i] = op(scalar, y[i]);
  } else {
    cpu::for_each_strided<3>(out.shape(), {a.strides(), b.strides(), out.strides()},
                             [&](const std::array<int64_t, 3>& o) {
                               dst[o[2]] = op(x[o[0]], y[o[1]]);
                             });
  }
}

template <class Op, class A, class T, class Out>
void ternary_kernel(const std::vector<array>& in, const std::array<const void*, 3>& data,
                    array& out) {
  const Op op;
  const A* a = static_cast<const A*>(data[0]);
  const T* b = static_cast<const T*>(data[1]);
  const T* c = static_cast<const T*>(data[2]);
  Out* dst = static_cast<Out*>(out.raw_data());
  const size_t n = out.size();
  // Each input row-contiguous (step 1) or a broadcast scalar (step 0): one flat loop.
  std::array<size_t, 3> step{};
  bool flat = true;
  for (size_t k = 0; k < 3 && flat; ++k) {
    step[k] = in[k].flags().row_contiguous ? 1 : 0;
    flat = step[k] == 1 || cpu::is_scalar_broadcast(in[k]);
  }
  if (flat && step == std::array<size_t, 3>{1, 1, 1}) {
    for (size_t i = 0; i < n; ++i) dst[i] = op(a[i], b[i], c[i]);
  } else if (flat) {
    for (size_t i = 0; i < n; ++i) dst[i] = op(a[i * step[0]], b[i * step[1]], c[i * step[2]]);
  } else {
    cpu::for_each_strided<4>(out.shape(),
                             {in[0].strides(), in[1].strides(), in[2].strides(), out.strides()},
                             [&](const std::array<int64_t, 4>& o) {
                               dst[o[3]] = op(a[o[0]], b[o[1]], c[o[2]]);
                             });
  }
}

}  // namespace

template <class Op>
void Binary<Op>::eval_cpu(const std::vector<array>& inputs, array& out) {
  const void* a_data = inputs[0].raw_data();
  const void* b_data = inputs[1].raw_data();
  cpu::donate_or_allocate(inputs, out);
  dispatch_all_types(inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_invocable_v<const Op&, T, T>) {
      using Out = std::invoke_result_t<const Op&, T, T>;
      EMBER_INTERNAL_ASSERT(out.dtype() == storage_dtype_of<Out>(), name(), " of ",
                            inputs[0].dtype(), " gives ", storage_dtype_of<Out>(), ", not ",
                            out.dtype());
      binary_kernel<Op, T, Out>(inputs[0], a_data, inputs[1], b_data, out);
    } else {
      EMBER_INTERNAL_ASSERT(false, name(), " does not support ", inputs[0].dtype());
    }
  });
}

template <class Op>
void Ternary<Op>::eval_cpu(const std::vector<array>& inputs, array& out) {
  const std::array<const void*, 3> data = {inputs[0].raw_data(), inputs[1].raw_data(),
                                           inputs[2].raw_data()};
  EMBER_INTERNAL_ASSERT(inputs[0].dtype() == bool_, name(), " needs a bool mask, got ",
                        inputs[0].dtype());
  cpu::donate_or_allocate(inputs, out);
  dispatch_all_types(inputs[1].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_invocable_v<const Op&, bool, T, T>) {
      using Out = std::invoke_result_t<const Op&, bool, T, T>;
      EMBER_INTERNAL_ASSERT(out.dtype() == storage_dtype_of<Out>(), name(), " gives ",
                            storage_dtype_of<Out>(), ", not ", out.dtype());
      ternary_kernel<Op, bool, T, Out>(inputs, data, out);
    } else {
      EMBER_INTERNAL_ASSERT(false, name(), " does not support ", inputs[1].dtype());
    }
  });
}

#define EMBER_INSTANTIATE(Op) template class Binary<functors::Op>;
EMBER_BINARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE
#define EMBER_INSTANTIATE(Op) template class Ternary<functors::Op>;
EMBER_TERNARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE

}  // namespace ember
