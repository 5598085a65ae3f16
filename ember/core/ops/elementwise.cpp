// Elementwise ops: unary math and broadcasting binary arithmetic.
#include "ember/core/ops.h"
#include "ember/core/primitives/elementwise.h"

namespace ember {
namespace {

Dtype at_least_float(Dtype dtype) { return is_inexact(dtype) ? dtype : float32; }

template <class Primitive>
array unary(const array& a, Dtype dtype, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  array input = astype(a, dtype, stream);
  Shape shape = input.shape();
  return array(std::move(shape), dtype, std::make_shared<Primitive>(stream), {std::move(input)});
}

template <class Primitive>
array binary(const array& a, const array& b, Dtype dtype, const char* op, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  array lhs = broadcast_to(astype(a, dtype, stream), shape, stream);
  array rhs = broadcast_to(astype(b, dtype, stream), shape, stream);
  Shape out_shape = shape;
  return array(std::move(out_shape), dtype, std::make_shared<Primitive>(stream),
               {std::move(lhs), std::move(rhs)});
}

}  // namespace

array abs(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_ || is_unsigned(a.dtype())) return a;
  if (a.dtype() == complex64) return astype(unary<Abs>(a, complex64, s), float32, s);
  return unary<Abs>(a, a.dtype(), s);
}

array negative(const array& a, StreamOrDevice s) {
  EMBER_CHECK(a.dtype() != bool_, TypeError,
              "[negative] not supported for bool; use logical_not instead");
  return unary<Negative>(a, a.dtype(), s);
}
array operator-(const array& a) { return negative(a); }

array exp(const array& a, StreamOrDevice s) { return unary<Exp>(a, at_least_float(a.dtype()), s); }
array log(const array& a, StreamOrDevice s) { return unary<Log>(a, at_least_float(a.dtype()), s); }

array add(const array& a, const array& b, StreamOrDevice s) {
  return binary<Add>(a, b, promote_types(a.dtype(), b.dtype()), "add", s);
}
array subtract(const array& a, const array& b, StreamOrDevice s) {
  return binary<Subtract>(a, b, promote_types(a.dtype(), b.dtype()), "subtract", s);
}
array multiply(const array& a, const array& b, StreamOrDevice s) {
  return binary<Multiply>(a, b, promote_types(a.dtype(), b.dtype()), "multiply", s);
}
array divide(const array& a, const array& b, StreamOrDevice s) {
  return binary<Divide>(a, b, at_least_float(promote_types(a.dtype(), b.dtype())), "divide", s);
}
array maximum(const array& a, const array& b, StreamOrDevice s) {
  return binary<Maximum>(a, b, promote_types(a.dtype(), b.dtype()), "maximum", s);
}

array operator+(const array& a, const array& b) { return add(a, b); }
array operator-(const array& a, const array& b) { return subtract(a, b); }
array operator*(const array& a, const array& b) { return multiply(a, b); }
array operator/(const array& a, const array& b) { return divide(a, b); }

}  // namespace ember
