// Unary and binary elementwise kernels. Contiguous inputs take a flat loop the compiler
// vectorises; broadcast scalars take a scalar-vector loop; anything else walks strides.
// An input that nothing else refers to donates its buffer to the output (in place).
#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/elementwise.h"

namespace ember {
namespace {

bool is_scalar_broadcast(const array& a) {
  for (auto s : a.strides()) {
    if (s != 0) return false;
  }
  return true;
}

template <class Op, class T>
void unary_kernel(const array& in, const void* in_data, array& out) {
  Op op;
  const T* src = static_cast<const T*>(in_data);
  T* dst = static_cast<T*>(out.raw_data());
  if (in.flags().row_contiguous) {
    const size_t n = in.size();
    for (size_t i = 0; i < n; ++i) dst[i] = op(src[i]);
    return;
  }
  cpu::for_each_strided<2>(in.shape(), {in.strides(), out.strides()},
                           [&](const std::array<int64_t, 2>& o) { dst[o[1]] = op(src[o[0]]); });
}

template <class Op, class T>
void binary_kernel(const array& a, const void* a_data, const array& b, const void* b_data,
                   array& out) {
  Op op;
  const T* x = static_cast<const T*>(a_data);
  const T* y = static_cast<const T*>(b_data);
  T* dst = static_cast<T*>(out.raw_data());
  const size_t n = out.size();
  const bool a_flat = a.flags().row_contiguous;
  const bool b_flat = b.flags().row_contiguous;
  if (a_flat && b_flat) {
    for (size_t i = 0; i < n; ++i) dst[i] = op(x[i], y[i]);
  } else if (a_flat && is_scalar_broadcast(b)) {
    const T scalar = y[0];
    for (size_t i = 0; i < n; ++i) dst[i] = op(x[i], scalar);
  } else if (is_scalar_broadcast(a) && b_flat) {
    const T scalar = x[0];
    for (size_t i = 0; i < n; ++i) dst[i] = op(scalar, y[i]);
  } else {
    cpu::for_each_strided<3>(out.shape(), {a.strides(), b.strides(), out.strides()},
                             [&](const std::array<int64_t, 3>& o) {
                               dst[o[2]] = op(x[o[0]], y[o[1]]);
                             });
  }
}

// Reuses a single-owner input's buffer for the output, else allocates. Read the inputs'
// data pointers before: a donated input no longer has its storage.
void prepare_output(const std::vector<array>& inputs, array& out) {
  for (const auto& in : inputs) {
    if (in.dtype() == out.dtype() && out.is_donatable(in)) {
      out.move_shared_buffer(in);
      return;
    }
  }
  cpu::allocate_output(out);
}

template <class Op>
constexpr bool kFloatOnly = std::is_same_v<Op, functors::Exp> || std::is_same_v<Op, functors::Log>;

}  // namespace

template <class Op>
void Unary<Op>::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  const void* in_data = in.raw_data();
  prepare_output(inputs, out);
  dispatch_all_types(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kFloatOnly<Op> && !(is_inexact(storage_dtype_of<T>()))) {
      throw RuntimeError(detail::concat("internal error: ", name(), " on ", out.dtype()));
    } else {
      unary_kernel<Op, T>(in, in_data, out);
    }
  });
}

template <class Op>
void Binary<Op>::eval_cpu(const std::vector<array>& inputs, array& out) {
  const void* a_data = inputs[0].raw_data();
  const void* b_data = inputs[1].raw_data();
  prepare_output(inputs, out);
  dispatch_all_types(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    binary_kernel<Op, T>(inputs[0], a_data, inputs[1], b_data, out);
  });
}

template class Unary<functors::Exp>;
template class Unary<functors::Log>;
template class Unary<functors::Negative>;
template class Unary<functors::Abs>;
template class Binary<functors::Add>;
template class Binary<functors::Subtract>;
template class Binary<functors::Multiply>;
template class Binary<functors::Divide>;
template class Binary<functors::Maximum>;

}  // namespace ember
