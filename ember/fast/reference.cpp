// Reference compositions of rms_norm, layer_norm and rope (fast/reference.h). They compute
// in float32 and cast back; the fused kernels must produce the same values.
#include "ember/fast/reference.h"

#include <cmath>

#include "ember/core/ops.h"
#include "ember/fast/fast.h"

namespace ember::fast::reference {

array rms_norm(const array& x, const std::optional<array>& weight, float eps, StreamOrDevice s) {
  const Dtype out_dtype = weight ? promote_types(x.dtype(), weight->dtype()) : x.dtype();
  array x32 = astype(x, float32, s);
  array normed = x32 * rsqrt(mean(square(x32, s), -1, true, s) + array(eps), s);
  normed = astype(normed, x.dtype(), s);
  if (!weight) return normed;
  return multiply(astype(*weight, out_dtype, s), astype(normed, out_dtype, s), s);
}

array rms_norm_float32(const array& x, const std::optional<array>& weight, float eps, Dtype dtype,
                       StreamOrDevice s) {
  std::optional<array> weight32;
  if (weight) weight32 = astype(*weight, float32, s);
  return astype(rms_norm(astype(x, float32, s), weight32, eps, s), dtype, s);
}

array rms_norm_gated(const array& x, const array& gate, const std::optional<array>& weight,
                     float eps, StreamOrDevice s) {
  array normed = rms_norm(x, weight, eps, s);
  array gate32 = astype(gate, float32, s);
  array silu = gate32 * sigmoid(gate32, s);
  return astype(silu * astype(normed, float32, s), normed.dtype(), s);
}

array matmul_swiglu(const array& x, const array& w, StreamOrDevice s) {
  const auto halves = split(matmul(x, w, s), 2, -1, s);
  return swiglu(halves[0], halves[1], s);
}

array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s) {
  array x32 = astype(x, float32, s);
  array centred = x32 - mean(x32, -1, true, s);
  array normed = centred * rsqrt(mean(square(centred, s), -1, true, s) + array(eps), s);
  array out = astype(normed, x.dtype(), s);
  if (weight) out = multiply(out, astype(*weight, x.dtype(), s), s);
  if (bias) out = add(out, astype(*bias, x.dtype(), s), s);
  return out;
}

namespace {

// rope at the positions ([L], int32) of x's second-to-last axis.
array rope_at(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
              const array& positions, const std::optional<array>& freqs, StreamOrDevice s) {
  const int features = x.shape(-1);
  const int half = dims / 2;
  array inv_freq = freqs ? reciprocal(astype(*freqs, float32, s), s)
                         : exp(arange(0, half, s) * array(-2.0f * std::log(*base) / dims), s);
  array scaled_positions = astype(positions, float32, s) * array(scale);
  array theta = outer(scaled_positions, astype(inv_freq, float32, s), s);  // [L, half]
  array cos_t = cos(theta, s), sin_t = sin(theta, s);
  array x32 = astype(x, float32, s);
  const int nd = x.ndim();
  Shape start(nd, 0), stop(x.shape());
  auto features_slice = [&](int from, int to, int step) {
    Shape lo = start, hi = stop, strides(nd, 1);
    lo[nd - 1] = from;
    hi[nd - 1] = to;
    strides[nd - 1] = step;
    return slice(x32, lo, hi, strides, s);
  };
  array x1 = traditional ? features_slice(0, dims, 2) : features_slice(0, half, 1);
  array x2 = traditional ? features_slice(1, dims, 2) : features_slice(half, dims, 1);
  array out1 = x1 * cos_t - x2 * sin_t;
  array out2 = x2 * cos_t + x1 * sin_t;
  array rotated = traditional ? reshape(
                                    stack({out1, out2}, -1, s),
                                    [&] {
                                      Shape sh(x.shape());
                                      sh[nd - 1] = dims;
                                      return sh;
                                    }(),
                                    s)
                              : concatenate({out1, out2}, -1, s);
  if (dims < features) rotated = concatenate({rotated, features_slice(dims, features, 1)}, -1, s);
  return astype(rotated, x.dtype(), s);
}

}  // namespace

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs, StreamOrDevice s) {
  const int length = x.shape(-2);
  return rope_at(x, dims, traditional, base, scale, arange(offset, offset + length, s), freqs, s);
}

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs, StreamOrDevice s) {
  const array positions = add(arange(0, x.shape(-2), s), astype(offset, int32, s), s);
  return rope_at(x, dims, traditional, base, scale, positions, freqs, s);
}

}  // namespace ember::fast::reference
