// Reference compositions of rms_norm, layer_norm, rope, the gated delta rule and the causal
// conv step (fast/reference.h). They compute in float32 and cast back; the fused kernels
// must produce the same values.
#include "ember/fast/reference.h"

#include <cmath>

#include "ember/core/ops.h"
#include "ember/fast/delta_gates.h"
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

std::pair<array, array> gated_delta_rule(const array& q, const array& k, const array& v,
                                         const array& g, const array& beta, const array& state,
                                         StreamOrDevice s) {
  const int batch = q.shape(0), steps = q.shape(1), key_heads = q.shape(2), key_dim = q.shape(3);
  const int value_heads = v.shape(2), group = value_heads / key_heads;
  // Step t of x [B, T, ...] as float32 [B, ...]; key heads repeated to the value heads.
  auto step = [&](const array& x, int t) {
    Shape start(x.ndim(), 0), stop(x.shape());
    start[1] = t;
    stop[1] = t + 1;
    return squeeze(astype(slice(x, start, stop, s), float32, s), 1, s);
  };
  auto key_step = [&](const array& x, int t) {
    return reshape(
        broadcast_to(expand_dims(step(x, t), 2, s), {batch, key_heads, group, key_dim}, s),
        {batch, value_heads, key_dim}, s);
  };
  array S = astype(state, float32, s);  // [B, Hv, Dk, Dv]
  std::vector<array> ys;
  for (int t = 0; t < steps; ++t) {
    const array qt = expand_dims(key_step(q, t), -1, s);  // [B, Hv, Dk, 1]
    const array kt = expand_dims(key_step(k, t), -1, s);
    const array vt = step(v, t);  // [B, Hv, Dv]
    const array decay = reshape(exp(step(g, t), s), {batch, value_heads, 1, 1}, s);
    const array bt = expand_dims(step(beta, t), -1, s);  // [B, Hv, 1]
    S = multiply(S, decay, s);
    const array memory = sum(multiply(S, kt, s), -2, false, s);  // S^T k: [B, Hv, Dv]
    const array delta = multiply(subtract(vt, memory, s), bt, s);
    S = add(S, multiply(kt, expand_dims(delta, -2, s), s), s);
    ys.push_back(sum(multiply(S, qt, s), -2, false, s));
  }
  array y = steps == 0 ? zeros(v.shape(), float32, s) : stack(ys, 1, s);
  return {astype(y, v.dtype(), s), S};
}

std::pair<array, array> gated_delta_update(const array& q, const array& k, const array& v,
                                           const array& a, const array& b, const array& a_log,
                                           const array& dt_bias, const array& state,
                                           bool normalize_qk, StreamOrDevice s) {
  const array beta = sigmoid(b, s);
  const array x = add(astype(a, float32, s), astype(dt_bias, float32, s), s);
  const array softplus = where(greater(x, array(20.0f), s), x, log1p(exp(x, s), s), s);
  const array g = multiply(negative(exp(astype(a_log, float32, s), s), s), softplus, s);
  if (!normalize_qk) return fast::gated_delta_rule(q, k, v, g, beta, state, s);
  const int key_dim = q.shape(3);
  const QkNorm norm = qk_norm_constants(key_dim);
  const array qn =
      rms_norm(astype(q, float32, s), full({key_dim}, norm.q_weight, float32, s), norm.eps, s);
  const array kn =
      rms_norm(astype(k, float32, s), full({key_dim}, norm.k_weight, float32, s), norm.eps, s);
  return fast::gated_delta_rule(qn, kn, v, g, beta, state, s);
}

std::pair<array, array> causal_conv1d_update(const array& x, const array& state,
                                             const array& weight, const std::optional<array>& bias,
                                             bool silu, StreamOrDevice s) {
  const int batch = x.shape(0), length = x.shape(1), channels = x.shape(2);
  const int taps = weight.shape(0);
  const array padded = concatenate({astype(state, x.dtype(), s), x}, 1, s);  // [B, K-1+T, C]
  // Input t - (K-1) + i times tap i, added in the order of i; products of 16-bit values are
  // exact in float32.
  const array weight32 = astype(weight, float32, s);
  array conv = zeros({batch, length, channels}, float32, s);
  for (int i = 0; i < taps; ++i) {
    const array window = slice(padded, {0, i, 0}, {batch, i + length, channels}, s);
    const array tap = slice(weight32, {i, 0}, {i + 1, channels}, s);
    conv = add(conv, multiply(astype(window, float32, s), tap, s), s);
  }
  if (bias) conv = add(conv, astype(*bias, float32, s), s);
  array out = astype(conv, x.dtype(), s);
  if (silu) {
    const array out32 = astype(out, float32, s);
    out = astype(multiply(out32, sigmoid(out32, s), s), x.dtype(), s);
  }
  const int total = taps - 1 + length;
  return {out, slice(padded, {0, length, 0}, {batch, total, channels}, s)};
}

}  // namespace ember::fast::reference
