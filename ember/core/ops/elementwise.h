// Ops: elementwise (ops/elementwise_unary.cpp, ops/elementwise.cpp). MLX's names, argument
// order, defaults and dtype rules: transcendental functions promote integers and bool to
// float32, comparisons and predicates give bool, bitwise ops and shifts take only integers
// and bool. Binary ops promote their inputs to a common dtype and broadcast (NumPy rules).
#pragma once

#include <optional>
#include <type_traits>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

// ---- unary ----

/// |a|; complex gives the float32 magnitude.
array abs(const array& a, StreamOrDevice s = {});
array negative(const array& a, StreamOrDevice s = {});
array operator-(const array& a);
/// -1, 0 or 1 (NaN stays NaN); a / |a| for complex; 0 or 1 for unsigned and bool.
array sign(const array& a, StreamOrDevice s = {});
array floor(const array& a, StreamOrDevice s = {});
array ceil(const array& a, StreamOrDevice s = {});
/// Rounds half to even to `decimals` places (negative: to tens, hundreds, ...); same dtype.
array round(const array& a, int decimals, StreamOrDevice s = {});
inline array round(const array& a, StreamOrDevice s = {}) { return round(a, 0, s); }
array square(const array& a, StreamOrDevice s = {});
array sqrt(const array& a, StreamOrDevice s = {});
array rsqrt(const array& a, StreamOrDevice s = {});
/// 1 / a, floating.
array reciprocal(const array& a, StreamOrDevice s = {});
array exp(const array& a, StreamOrDevice s = {});
array expm1(const array& a, StreamOrDevice s = {});
array log(const array& a, StreamOrDevice s = {});
array log1p(const array& a, StreamOrDevice s = {});
array log2(const array& a, StreamOrDevice s = {});
array log10(const array& a, StreamOrDevice s = {});
array sin(const array& a, StreamOrDevice s = {});
array cos(const array& a, StreamOrDevice s = {});
array tan(const array& a, StreamOrDevice s = {});
array arcsin(const array& a, StreamOrDevice s = {});
array arccos(const array& a, StreamOrDevice s = {});
array arctan(const array& a, StreamOrDevice s = {});
array sinh(const array& a, StreamOrDevice s = {});
array cosh(const array& a, StreamOrDevice s = {});
array tanh(const array& a, StreamOrDevice s = {});
array arcsinh(const array& a, StreamOrDevice s = {});
array arccosh(const array& a, StreamOrDevice s = {});
array arctanh(const array& a, StreamOrDevice s = {});
/// Radians to degrees.
array degrees(const array& a, StreamOrDevice s = {});
/// Degrees to radians.
array radians(const array& a, StreamOrDevice s = {});
/// 1 / (1 + exp(-a)).
array sigmoid(const array& a, StreamOrDevice s = {});
array erf(const array& a, StreamOrDevice s = {});
/// The inverse of erf: +-inf at +-1, NaN outside [-1, 1].
array erfinv(const array& a, StreamOrDevice s = {});
/// Logical not of `a` as bool (nonzero is true).
array logical_not(const array& a, StreamOrDevice s = {});
/// ~a for integers; logical_not for bool.
array bitwise_invert(const array& a, StreamOrDevice s = {});
array operator~(const array& a);

/// Bool predicates; false (true for isfinite) for integer and bool inputs.
array isnan(const array& a, StreamOrDevice s = {});
array isinf(const array& a, StreamOrDevice s = {});
array isfinite(const array& a, StreamOrDevice s = {});
array isposinf(const array& a, StreamOrDevice s = {});
array isneginf(const array& a, StreamOrDevice s = {});
/// NaN -> `nan`, +inf -> `posinf` (default: the dtype's max), -inf -> `neginf` (default: the
/// dtype's lowest). Integer and bool inputs are returned unchanged.
array nan_to_num(const array& a, float nan = 0.0f, std::optional<float> posinf = std::nullopt,
                 std::optional<float> neginf = std::nullopt, StreamOrDevice s = {});

/// The complex conjugate; other dtypes are returned unchanged.
array conjugate(const array& a, StreamOrDevice s = {});
/// The real part (float32) of a complex; other dtypes are returned unchanged.
array real(const array& a, StreamOrDevice s = {});
/// The imaginary part (float32) of a complex; zeros of a's dtype otherwise.
array imag(const array& a, StreamOrDevice s = {});
/// The identity; gradients do not flow through it.
array stop_gradient(const array& a, StreamOrDevice s = {});

// ---- binary ----

array add(const array& a, const array& b, StreamOrDevice s = {});
array subtract(const array& a, const array& b, StreamOrDevice s = {});
array multiply(const array& a, const array& b, StreamOrDevice s = {});
/// True division: integer inputs give a floating result.
array divide(const array& a, const array& b, StreamOrDevice s = {});
/// Python's a // b: rounds toward -inf. Integer x // 0 is 0.
array floor_divide(const array& a, const array& b, StreamOrDevice s = {});
/// Python's a % b: the sign of b. Integer x % 0 is 0; float x % 0 is NaN.
array remainder(const array& a, const array& b, StreamOrDevice s = {});
/// a ** b in the promoted dtype. Integers: a negative exponent gives the truncated result
/// (0 unless |a| == 1).
array power(const array& a, const array& b, StreamOrDevice s = {});
/// Elementwise maximum / minimum; NaN propagates.
array maximum(const array& a, const array& b, StreamOrDevice s = {});
array minimum(const array& a, const array& b, StreamOrDevice s = {});
array arctan2(const array& a, const array& b, StreamOrDevice s = {});
/// log(exp(a) + exp(b)), computed stably.
array logaddexp(const array& a, const array& b, StreamOrDevice s = {});

array equal(const array& a, const array& b, StreamOrDevice s = {});
array not_equal(const array& a, const array& b, StreamOrDevice s = {});
array less(const array& a, const array& b, StreamOrDevice s = {});
array less_equal(const array& a, const array& b, StreamOrDevice s = {});
array greater(const array& a, const array& b, StreamOrDevice s = {});
array greater_equal(const array& a, const array& b, StreamOrDevice s = {});

array logical_and(const array& a, const array& b, StreamOrDevice s = {});
array logical_or(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_and(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_or(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_xor(const array& a, const array& b, StreamOrDevice s = {});
/// a << b; bool inputs give uint8. Shifts by the bit width or more (or negative) give 0.
array left_shift(const array& a, const array& b, StreamOrDevice s = {});
/// a >> b (arithmetic for signed); bool inputs give uint8. Shifts by the bit width or more
/// (or negative) give 0, or -1 for negative a.
array right_shift(const array& a, const array& b, StreamOrDevice s = {});

/// x where condition is true, y elsewhere; condition is cast to bool, all three broadcast.
array where(const array& condition, const array& x, const array& y, StreamOrDevice s = {});
/// maximum(a, a_min) then minimum(., a_max); at least one bound must be given.
array clip(const array& a, const std::optional<array>& a_min = std::nullopt,
           const std::optional<array>& a_max = std::nullopt, StreamOrDevice s = {});
/// |a - b| <= atol + rtol * |b| elementwise; infinities are close only to themselves, NaN
/// only to NaN and only with equal_nan.
array isclose(const array& a, const array& b, double rtol = 1e-5, double atol = 1e-8,
              bool equal_nan = false, StreamOrDevice s = {});
/// all(isclose(a, b, ...)): a 0-d bool.
array allclose(const array& a, const array& b, double rtol = 1e-5, double atol = 1e-8,
               bool equal_nan = false, StreamOrDevice s = {});
/// Whether a and b have the same shape and elements (NaN == NaN with equal_nan): a 0-d bool.
array array_equal(const array& a, const array& b, bool equal_nan, StreamOrDevice s = {});
inline array array_equal(const array& a, const array& b, StreamOrDevice s = {}) {
  return array_equal(a, b, false, s);
}

// ---- operators (C++ scalars are typed, as in MLX's C++ API) ----

array operator+(const array& a, const array& b);
array operator-(const array& a, const array& b);
array operator*(const array& a, const array& b);
array operator/(const array& a, const array& b);
array operator%(const array& a, const array& b);
array operator==(const array& a, const array& b);
array operator!=(const array& a, const array& b);
array operator<(const array& a, const array& b);
array operator<=(const array& a, const array& b);
array operator>(const array& a, const array& b);
array operator>=(const array& a, const array& b);
array operator&&(const array& a, const array& b);
array operator||(const array& a, const array& b);
array operator&(const array& a, const array& b);
array operator|(const array& a, const array& b);
array operator^(const array& a, const array& b);
array operator<<(const array& a, const array& b);
array operator>>(const array& a, const array& b);

namespace detail {
template <class T>
concept OperatorScalar = std::is_arithmetic_v<T>;
}  // namespace detail

// clang-format off
template <detail::OperatorScalar T> array operator+(const array& a, T b) { return add(a, array(b)); }
template <detail::OperatorScalar T> array operator+(T a, const array& b) { return add(array(a), b); }
template <detail::OperatorScalar T> array operator-(const array& a, T b) { return subtract(a, array(b)); }
template <detail::OperatorScalar T> array operator-(T a, const array& b) { return subtract(array(a), b); }
template <detail::OperatorScalar T> array operator*(const array& a, T b) { return multiply(a, array(b)); }
template <detail::OperatorScalar T> array operator*(T a, const array& b) { return multiply(array(a), b); }
template <detail::OperatorScalar T> array operator/(const array& a, T b) { return divide(a, array(b)); }
template <detail::OperatorScalar T> array operator/(T a, const array& b) { return divide(array(a), b); }
template <detail::OperatorScalar T> array operator%(const array& a, T b) { return remainder(a, array(b)); }
template <detail::OperatorScalar T> array operator%(T a, const array& b) { return remainder(array(a), b); }
template <detail::OperatorScalar T> array operator==(const array& a, T b) { return equal(a, array(b)); }
template <detail::OperatorScalar T> array operator==(T a, const array& b) { return equal(array(a), b); }
template <detail::OperatorScalar T> array operator!=(const array& a, T b) { return not_equal(a, array(b)); }
template <detail::OperatorScalar T> array operator!=(T a, const array& b) { return not_equal(array(a), b); }
template <detail::OperatorScalar T> array operator<(const array& a, T b) { return less(a, array(b)); }
template <detail::OperatorScalar T> array operator<(T a, const array& b) { return less(array(a), b); }
template <detail::OperatorScalar T> array operator<=(const array& a, T b) { return less_equal(a, array(b)); }
template <detail::OperatorScalar T> array operator<=(T a, const array& b) { return less_equal(array(a), b); }
template <detail::OperatorScalar T> array operator>(const array& a, T b) { return greater(a, array(b)); }
template <detail::OperatorScalar T> array operator>(T a, const array& b) { return greater(array(a), b); }
template <detail::OperatorScalar T> array operator>=(const array& a, T b) { return greater_equal(a, array(b)); }
template <detail::OperatorScalar T> array operator>=(T a, const array& b) { return greater_equal(array(a), b); }
template <detail::OperatorScalar T> array operator&&(const array& a, T b) { return logical_and(a, array(b)); }
template <detail::OperatorScalar T> array operator&&(T a, const array& b) { return logical_and(array(a), b); }
template <detail::OperatorScalar T> array operator||(const array& a, T b) { return logical_or(a, array(b)); }
template <detail::OperatorScalar T> array operator||(T a, const array& b) { return logical_or(array(a), b); }
template <detail::OperatorScalar T> array operator&(const array& a, T b) { return bitwise_and(a, array(b)); }
template <detail::OperatorScalar T> array operator&(T a, const array& b) { return bitwise_and(array(a), b); }
template <detail::OperatorScalar T> array operator|(const array& a, T b) { return bitwise_or(a, array(b)); }
template <detail::OperatorScalar T> array operator|(T a, const array& b) { return bitwise_or(array(a), b); }
template <detail::OperatorScalar T> array operator^(const array& a, T b) { return bitwise_xor(a, array(b)); }
template <detail::OperatorScalar T> array operator^(T a, const array& b) { return bitwise_xor(array(a), b); }
template <detail::OperatorScalar T> array operator<<(const array& a, T b) { return left_shift(a, array(b)); }
template <detail::OperatorScalar T> array operator<<(T a, const array& b) { return left_shift(array(a), b); }
template <detail::OperatorScalar T> array operator>>(const array& a, T b) { return right_shift(a, array(b)); }
template <detail::OperatorScalar T> array operator>>(T a, const array& b) { return right_shift(array(a), b); }
// clang-format on

}  // namespace ember
