// Fused ops with a reference fallback (MLX's mlx/fast.h): normalisation, rotary embeddings,
// attention and the gated delta rule. Each op's result equals the composition of plain ops
// it documents; backends may replace that composition with a fused kernel.
//
//   array y = fast::rms_norm(x, weight, 1e-6f);
//   array q2 = fast::rope(q, 64, /*traditional=*/false, 10000.0f, 1.0f, offset);
//   array o = fast::scaled_dot_product_attention(q2, k, v, 1.0f / std::sqrt(64.0f), "causal");
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember::fast {

/// x * rsqrt(mean(x^2, -1) + eps), computed in float32, cast back to x's dtype and scaled by
/// `weight` (shape [x.shape(-1)]) when given. The output dtype is x's promoted with weight's.
array rms_norm(const array& x, const std::optional<array>& weight, float eps,
               StreamOrDevice s = {});

/// (x - mean) * rsqrt(var + eps) over the last axis in float32, then * weight + bias.
array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s = {});

/// Rotary position embedding of the first `dims` features of x ([..., L, D]); position l of
/// the second-to-last axis is offset + l, and its angle for pair i is position * scale *
/// inv_freq[i] with inv_freq[i] = base^(-2i/dims), or 1 / freqs[i] when `freqs` (dims/2
/// periods) is given (then base must be nullopt). traditional pairs adjacent features
/// (2i, 2i+1); otherwise feature i pairs with i + dims/2 (the rotate-half layout of HF).
/// Features past `dims` pass through unchanged.
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs = std::nullopt, StreamOrDevice s = {});

/// softmax(q k^T * scale + mask) v for q [B, Hq, L, D], k [B, Hkv, S, D], v [B, Hkv, S, Dv]
/// with Hq a multiple of Hkv (grouped-query attention). mask_mode "causal" lets query l
/// attend to keys up to S - L + l; "array" uses mask_arr, broadcastable to [B, Hq, L, S]:
/// boolean (true keeps) or additive. Scores and softmax are float32.
array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   float scale, const std::string& mask_mode = "",
                                   const std::optional<array>& mask_arr = std::nullopt,
                                   StreamOrDevice s = {});

/// The gated delta rule (Yang et al., "Gated Delta Networks", 2024) over a sequence, as a
/// recurrence with a float32 state per head: for each step t and value head h,
///   S = S * exp(g[t]);  S += k[t] (beta[t] * (v[t] - S^T k[t]))^T;  y[t] = S^T q[t].
/// q, k: [B, T, Hk, Dk]; v: [B, T, Hv, Dv] with Hv a multiple of Hk (value head h reads key
/// head h / (Hv / Hk)); g (log decay), beta: [B, T, Hv]; state: [B, Hv, Dk, Dv] float32.
/// q and k are used as given (normalise and scale them first). Returns {y [B, T, Hv, Dv]
/// in v's dtype, the final state (float32)}.
std::pair<array, array> gated_delta_rule(const array& q, const array& k, const array& v,
                                         const array& g, const array& beta, const array& state,
                                         StreamOrDevice s = {});

}  // namespace ember::fast
