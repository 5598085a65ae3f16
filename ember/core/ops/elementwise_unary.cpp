// Unary elementwise ops: arithmetic, rounding, transcendental functions, predicates and
// complex parts. Each builds one Unary<Op> node (see primitives/elementwise.h) or composes
// existing ops; dtype rules follow MLX (mlx/ops.cpp).
#include <cmath>
#include <limits>
#include <numbers>

#include "ember/core/ops.h"
#include "ember/core/primitives/elementwise.h"

namespace ember {
namespace {

Dtype at_least_float(Dtype dtype) { return is_inexact(dtype) ? dtype : float32; }

/// The node `Primitive(astype(a, in_dtype))` with output dtype `out_dtype`.
template <class Primitive>
array unary(const array& a, Dtype in_dtype, Dtype out_dtype, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  array input = astype(a, in_dtype, stream);
  Shape shape = input.shape();
  return array(std::move(shape), out_dtype, std::make_shared<Primitive>(stream),
               {std::move(input)});
}
template <class Primitive>
array unary(const array& a, Dtype dtype, StreamOrDevice s) {
  return unary<Primitive>(a, dtype, dtype, s);
}
/// A transcendental function: integers and bool compute in float32.
template <class Primitive>
array unary_float(const array& a, StreamOrDevice s) {
  return unary<Primitive>(a, at_least_float(a.dtype()), s);
}

void check_not_complex(const array& a, const char* op) {
  EMBER_CHECK(!is_complex(a.dtype()), TypeError, "[", op, "] not supported for ", a.dtype());
}

}  // namespace

array abs(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_ || is_unsigned(a.dtype())) return a;
  return unary<Abs>(a, a.dtype(), is_complex(a.dtype()) ? float32 : a.dtype(), s);
}

array negative(const array& a, StreamOrDevice s) {
  EMBER_CHECK(a.dtype() != bool_, TypeError,
              "[negative] not supported for bool; use logical_not instead");
  return unary<Negative>(a, a.dtype(), s);
}
array operator-(const array& a) { return negative(a); }

array sign(const array& a, StreamOrDevice s) { return unary<Sign>(a, a.dtype(), s); }

array floor(const array& a, StreamOrDevice s) {
  check_not_complex(a, "floor");
  return unary<Floor>(a, a.dtype(), s);
}
array ceil(const array& a, StreamOrDevice s) {
  check_not_complex(a, "ceil");
  return unary<Ceil>(a, a.dtype(), s);
}

array round(const array& a, int decimals, StreamOrDevice s) {
  if (decimals == 0) return unary<Round>(a, a.dtype(), s);
  // Scale by a power of ten (exact in every float dtype for the decimals that matter), round
  // half to even, undo the scale with the inverse operation, and return to a's dtype.
  const Dtype dtype = at_least_float(a.dtype());
  const array scale(std::pow(10.0, std::abs(decimals)), dtype);
  if (decimals > 0) {
    array rounded = unary<Round>(multiply(a, scale, s), dtype, s);
    return astype(divide(rounded, scale, s), a.dtype(), s);
  }
  array rounded = unary<Round>(divide(a, scale, s), dtype, s);
  return astype(multiply(rounded, scale, s), a.dtype(), s);
}

array square(const array& a, StreamOrDevice s) { return unary<Square>(a, a.dtype(), s); }
array sqrt(const array& a, StreamOrDevice s) { return unary_float<Sqrt>(a, s); }
array rsqrt(const array& a, StreamOrDevice s) { return unary_float<Rsqrt>(a, s); }
array reciprocal(const array& a, StreamOrDevice s) {
  return divide(array(1.0f, at_least_float(a.dtype())), a, s);
}

array exp(const array& a, StreamOrDevice s) { return unary_float<Exp>(a, s); }
array expm1(const array& a, StreamOrDevice s) { return unary_float<Expm1>(a, s); }
array log(const array& a, StreamOrDevice s) { return unary_float<Log>(a, s); }
array log1p(const array& a, StreamOrDevice s) { return unary_float<Log1p>(a, s); }
array log2(const array& a, StreamOrDevice s) { return unary_float<Log2>(a, s); }
array log10(const array& a, StreamOrDevice s) { return unary_float<Log10>(a, s); }
array sin(const array& a, StreamOrDevice s) { return unary_float<Sin>(a, s); }
array cos(const array& a, StreamOrDevice s) { return unary_float<Cos>(a, s); }
array tan(const array& a, StreamOrDevice s) { return unary_float<Tan>(a, s); }
array arcsin(const array& a, StreamOrDevice s) { return unary_float<ArcSin>(a, s); }
array arccos(const array& a, StreamOrDevice s) { return unary_float<ArcCos>(a, s); }
array arctan(const array& a, StreamOrDevice s) { return unary_float<ArcTan>(a, s); }
array sinh(const array& a, StreamOrDevice s) { return unary_float<Sinh>(a, s); }
array cosh(const array& a, StreamOrDevice s) { return unary_float<Cosh>(a, s); }
array tanh(const array& a, StreamOrDevice s) { return unary_float<Tanh>(a, s); }
array arcsinh(const array& a, StreamOrDevice s) { return unary_float<ArcSinh>(a, s); }
array arccosh(const array& a, StreamOrDevice s) { return unary_float<ArcCosh>(a, s); }
array arctanh(const array& a, StreamOrDevice s) { return unary_float<ArcTanh>(a, s); }
array sigmoid(const array& a, StreamOrDevice s) { return unary_float<Sigmoid>(a, s); }

array degrees(const array& a, StreamOrDevice s) {
  return multiply(a, array(180.0 / std::numbers::pi, at_least_float(a.dtype())), s);
}
array radians(const array& a, StreamOrDevice s) {
  return multiply(a, array(std::numbers::pi / 180.0, at_least_float(a.dtype())), s);
}

array erf(const array& a, StreamOrDevice s) {
  check_not_complex(a, "erf");
  return unary_float<Erf>(a, s);
}
array erfinv(const array& a, StreamOrDevice s) {
  check_not_complex(a, "erfinv");
  return unary_float<ErfInv>(a, s);
}

array logical_not(const array& a, StreamOrDevice s) { return unary<LogicalNot>(a, bool_, s); }

array bitwise_invert(const array& a, StreamOrDevice s) {
  EMBER_CHECK(!is_inexact(a.dtype()), TypeError,
              "[bitwise_invert] only integer and bool types are supported, got ", a.dtype());
  if (a.dtype() == bool_) return logical_not(a, s);
  return unary<BitwiseInvert>(a, a.dtype(), s);
}
array operator~(const array& a) { return bitwise_invert(a); }

array isnan(const array& a, StreamOrDevice s) {
  if (!is_inexact(a.dtype())) return full(a.shape(), false, bool_, s);
  return unary<IsNan>(a, a.dtype(), bool_, s);
}
array isinf(const array& a, StreamOrDevice s) {
  if (!is_inexact(a.dtype())) return full(a.shape(), false, bool_, s);
  return unary<IsInf>(a, a.dtype(), bool_, s);
}
array isfinite(const array& a, StreamOrDevice s) {
  if (!is_inexact(a.dtype())) return full(a.shape(), true, bool_, s);
  return unary<IsFinite>(a, a.dtype(), bool_, s);
}
array isposinf(const array& a, StreamOrDevice s) {
  check_not_complex(a, "isposinf");
  if (!is_inexact(a.dtype())) return full(a.shape(), false, bool_, s);
  return unary<IsPosInf>(a, a.dtype(), bool_, s);
}
array isneginf(const array& a, StreamOrDevice s) {
  check_not_complex(a, "isneginf");
  if (!is_inexact(a.dtype())) return full(a.shape(), false, bool_, s);
  return unary<IsNegInf>(a, a.dtype(), bool_, s);
}

array nan_to_num(const array& a, float nan, std::optional<float> posinf,
                 std::optional<float> neginf, StreamOrDevice s) {
  const Dtype dtype = a.dtype();
  if (!is_inexact(dtype)) return a;
  if (is_complex(dtype)) {
    // Each part on its own (NumPy): re' + i im'.
    const array re = nan_to_num(real(a, s), nan, posinf, neginf, s);
    const array im = nan_to_num(imag(a, s), nan, posinf, neginf, s);
    return add(re, multiply(im, array(complex64_t(0.0f, 1.0f)), s), s);
  }
  double max_value = std::numeric_limits<float>::max();
  if (dtype == float16) max_value = 65504.0;
  if (dtype == bfloat16) max_value = static_cast<float>(bfloat16_t::from_bits(0x7f7f));
  if (dtype == float64) max_value = std::numeric_limits<double>::max();
  const array nan_value(static_cast<double>(nan), dtype);
  const array posinf_value(posinf ? static_cast<double>(*posinf) : max_value, dtype);
  const array neginf_value(neginf ? static_cast<double>(*neginf) : -max_value, dtype);
  array out = where(isnan(a, s), nan_value, a, s);
  out = where(isposinf(a, s), posinf_value, out, s);
  return where(isneginf(a, s), neginf_value, out, s);
}

array conjugate(const array& a, StreamOrDevice s) {
  if (!is_complex(a.dtype())) return a;
  return unary<Conjugate>(a, a.dtype(), s);
}
array real(const array& a, StreamOrDevice s) {
  if (!is_complex(a.dtype())) return a;
  return unary<Real>(a, a.dtype(), float32, s);
}
array imag(const array& a, StreamOrDevice s) {
  if (!is_complex(a.dtype())) return zeros_like(a, s);
  return unary<Imag>(a, a.dtype(), float32, s);
}

array stop_gradient(const array& a, StreamOrDevice s) {
  return unary<StopGradient>(a, a.dtype(), s);
}

}  // namespace ember
