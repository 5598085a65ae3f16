// Binary and ternary elementwise ops: arithmetic, comparisons, logical and bitwise ops,
// where, clip and the closeness tests, with the C++ operators. Inputs are promoted to a
// common dtype and broadcast; each builds one Binary<Op>/Ternary<Op> node (see
// primitives/elementwise.h) or composes existing ops. Dtype rules follow MLX (mlx/ops.cpp).
#include "ember/core/ops.h"
#include "ember/core/primitives/elementwise.h"

namespace ember {
namespace {

Dtype at_least_float(Dtype dtype) { return is_inexact(dtype) ? dtype : float32; }

/// The node `Primitive(a, b)` on inputs converted to `in_dtype` and broadcast together,
/// with output dtype `out_dtype`.
template <class Primitive>
array binary(const array& a, const array& b, Dtype in_dtype, Dtype out_dtype, const char* op,
             StreamOrDevice s) {
  const Stream stream = to_stream(s);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  array lhs = broadcast_to(astype(a, in_dtype, stream), shape, stream);
  array rhs = broadcast_to(astype(b, in_dtype, stream), shape, stream);
  Shape out_shape = shape;
  return array(std::move(out_shape), out_dtype, std::make_shared<Primitive>(stream),
               {std::move(lhs), std::move(rhs)});
}
template <class Primitive>
array binary(const array& a, const array& b, Dtype dtype, const char* op, StreamOrDevice s) {
  return binary<Primitive>(a, b, dtype, dtype, op, s);
}
/// A comparison: inputs in their promoted dtype, bool output.
template <class Primitive>
array compare(const array& a, const array& b, const char* op, StreamOrDevice s) {
  return binary<Primitive>(a, b, promote_types(a.dtype(), b.dtype()), bool_, op, s);
}

void check_not_complex(Dtype dtype, const array& a, const array& b, const char* op) {
  EMBER_CHECK(!is_complex(dtype), TypeError, "[", op, "] not supported for complex inputs (got ",
              a.dtype(), " and ", b.dtype(), ")");
}

/// A bitwise op or shift: the inputs must promote to an integer or bool dtype.
template <class Primitive>
array bitwise(const array& a, const array& b, Dtype dtype, const char* op, StreamOrDevice s) {
  EMBER_CHECK(!is_inexact(dtype), TypeError, "[", op,
              "] only integer and bool types are supported, got ", a.dtype(), " and ", b.dtype());
  return binary<Primitive>(a, b, dtype, op, s);
}

}  // namespace

// ---- arithmetic ----

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
array floor_divide(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  check_not_complex(dtype, a, b, "floor_divide");
  return binary<FloorDivide>(a, b, dtype, "floor_divide", s);
}
array remainder(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  check_not_complex(dtype, a, b, "remainder");
  return binary<Remainder>(a, b, dtype, "remainder", s);
}
array power(const array& a, const array& b, StreamOrDevice s) {
  return binary<Power>(a, b, promote_types(a.dtype(), b.dtype()), "power", s);
}
array maximum(const array& a, const array& b, StreamOrDevice s) {
  return binary<Maximum>(a, b, promote_types(a.dtype(), b.dtype()), "maximum", s);
}
array minimum(const array& a, const array& b, StreamOrDevice s) {
  return binary<Minimum>(a, b, promote_types(a.dtype(), b.dtype()), "minimum", s);
}
array arctan2(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = at_least_float(promote_types(a.dtype(), b.dtype()));
  check_not_complex(dtype, a, b, "arctan2");
  return binary<ArcTan2>(a, b, dtype, "arctan2", s);
}
array logaddexp(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = at_least_float(promote_types(a.dtype(), b.dtype()));
  check_not_complex(dtype, a, b, "logaddexp");
  return binary<LogAddExp>(a, b, dtype, "logaddexp", s);
}

// ---- comparisons ----

array equal(const array& a, const array& b, StreamOrDevice s) {
  return compare<Equal>(a, b, "equal", s);
}
array not_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare<NotEqual>(a, b, "not_equal", s);
}
array less(const array& a, const array& b, StreamOrDevice s) {
  return compare<Less>(a, b, "less", s);
}
array less_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare<LessEqual>(a, b, "less_equal", s);
}
array greater(const array& a, const array& b, StreamOrDevice s) {
  return compare<Greater>(a, b, "greater", s);
}
array greater_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare<GreaterEqual>(a, b, "greater_equal", s);
}

// ---- logical and bitwise ----

array logical_and(const array& a, const array& b, StreamOrDevice s) {
  return binary<LogicalAnd>(a, b, bool_, "logical_and", s);
}
array logical_or(const array& a, const array& b, StreamOrDevice s) {
  return binary<LogicalOr>(a, b, bool_, "logical_or", s);
}
array bitwise_and(const array& a, const array& b, StreamOrDevice s) {
  return bitwise<BitwiseAnd>(a, b, promote_types(a.dtype(), b.dtype()), "bitwise_and", s);
}
array bitwise_or(const array& a, const array& b, StreamOrDevice s) {
  return bitwise<BitwiseOr>(a, b, promote_types(a.dtype(), b.dtype()), "bitwise_or", s);
}
array bitwise_xor(const array& a, const array& b, StreamOrDevice s) {
  return bitwise<BitwiseXor>(a, b, promote_types(a.dtype(), b.dtype()), "bitwise_xor", s);
}
array left_shift(const array& a, const array& b, StreamOrDevice s) {
  Dtype dtype = promote_types(a.dtype(), b.dtype());
  if (dtype == bool_) dtype = uint8;
  return bitwise<LeftShift>(a, b, dtype, "left_shift", s);
}
array right_shift(const array& a, const array& b, StreamOrDevice s) {
  Dtype dtype = promote_types(a.dtype(), b.dtype());
  if (dtype == bool_) dtype = uint8;
  return bitwise<RightShift>(a, b, dtype, "right_shift", s);
}

// ---- selection and closeness ----

array where(const array& condition, const array& x, const array& y, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  const Dtype dtype = promote_types(x.dtype(), y.dtype());
  const Shape shape =
      broadcast_shapes(broadcast_shapes(condition.shape(), x.shape(), "where"), y.shape(), "where");
  std::vector<array> inputs = {broadcast_to(astype(condition, bool_, stream), shape, stream),
                               broadcast_to(astype(x, dtype, stream), shape, stream),
                               broadcast_to(astype(y, dtype, stream), shape, stream)};
  Shape out_shape = shape;
  return array(std::move(out_shape), dtype, std::make_shared<Select>(stream), std::move(inputs));
}

array clip(const array& a, const std::optional<array>& a_min, const std::optional<array>& a_max,
           StreamOrDevice s) {
  EMBER_CHECK(a_min.has_value() || a_max.has_value(), ValueError,
              "[clip] at least one of a_min and a_max must be given");
  array out = a;
  if (a_min) out = maximum(out, *a_min, s);
  if (a_max) out = minimum(out, *a_max, s);
  return out;
}

array isclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
              StreamOrDevice s) {
  // As MLX: |a - b| <= atol + rtol * |b| with float32 tolerances, then fix up infinities
  // (close only to the same infinity) and NaN. Integers are compared as floats, so that
  // a - b cannot wrap.
  const Dtype dtype = at_least_float(promote_types(a.dtype(), b.dtype()));
  check_not_complex(dtype, a, b, "isclose");
  const array x = astype(a, dtype, s), y = astype(b, dtype, s);
  const array tolerance =
      add(array(static_cast<float>(atol)), multiply(array(static_cast<float>(rtol)), abs(y, s), s), s);
  array out = less_equal(abs(subtract(x, y, s), s), tolerance, s);
  if (!is_inexact(a.dtype()) && !is_inexact(b.dtype())) return out;
  const array any_inf = logical_or(isinf(x, s), isinf(y, s), s);
  const array same_inf = logical_and(isinf(x, s), equal(x, y, s), s);
  out = logical_or(logical_and(out, logical_not(any_inf, s), s), same_inf, s);
  if (equal_nan) out = logical_or(out, logical_and(isnan(x, s), isnan(y, s), s), s);
  return out;
}

array allclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
               StreamOrDevice s) {
  return all(isclose(a, b, rtol, atol, equal_nan, s), s);
}

array array_equal(const array& a, const array& b, bool equal_nan, StreamOrDevice s) {
  if (a.shape() != b.shape()) return array(false);
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  const array eq = equal_nan && is_inexact(dtype)
                       ? binary<NaNEqual>(a, b, dtype, bool_, "array_equal", s)
                       : binary<Equal>(a, b, dtype, bool_, "array_equal", s);
  return all(eq, s);
}

// ---- operators ----

array operator+(const array& a, const array& b) { return add(a, b); }
array operator-(const array& a, const array& b) { return subtract(a, b); }
array operator*(const array& a, const array& b) { return multiply(a, b); }
array operator/(const array& a, const array& b) { return divide(a, b); }
array operator%(const array& a, const array& b) { return remainder(a, b); }
array operator==(const array& a, const array& b) { return equal(a, b); }
array operator!=(const array& a, const array& b) { return not_equal(a, b); }
array operator<(const array& a, const array& b) { return less(a, b); }
array operator<=(const array& a, const array& b) { return less_equal(a, b); }
array operator>(const array& a, const array& b) { return greater(a, b); }
array operator>=(const array& a, const array& b) { return greater_equal(a, b); }
array operator&&(const array& a, const array& b) { return logical_and(a, b); }
array operator||(const array& a, const array& b) { return logical_or(a, b); }
array operator&(const array& a, const array& b) { return bitwise_and(a, b); }
array operator|(const array& a, const array& b) { return bitwise_or(a, b); }
array operator^(const array& a, const array& b) { return bitwise_xor(a, b); }
array operator<<(const array& a, const array& b) { return left_shift(a, b); }
array operator>>(const array& a, const array& b) { return right_shift(a, b); }

}  // namespace ember
