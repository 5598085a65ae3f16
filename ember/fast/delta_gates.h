// What fast::gated_delta_update computes besides the recurrence (fast/fast.h): Gated
// DeltaNet's log decay and the constants of its q/k l2 norms, shared by the reference
// composition and every backend's kernel so that all compute the same float32 function (as
// core/primitives/functors.h does for elementwise ops). Follows fla's
// fused_recurrent_gated_delta_rule and transformers' Qwen3NextGatedDeltaNet.
#pragma once

#include <cmath>

#include "ember/core/primitives/functors.h"

namespace ember::fast {

/// softplus as the model writes it: x > 20 ? x : log1p(exp(x)), in float32.
EMBER_HOST_DEVICE inline float delta_softplus(float x) {
  return x > 20.0f ? x : std::log1p(std::exp(x));
}

/// The log decay g = -exp(a_log) * softplus(a + dt_bias) of one gate, in float32.
EMBER_HOST_DEVICE inline float delta_log_decay(float a, float a_log, float dt_bias) {
  return -std::exp(a_log) * delta_softplus(a + dt_bias);
}

/// fla's l2norm x * rsqrt(sum(x^2) + 1e-6) written as an rms_norm over Dk features,
/// x * rsqrt(mean(x^2) + eps) * weight: eps = 1e-6 / Dk, k's weight 1 / sqrt(Dk) and q's
/// 1 / Dk (q is also scaled by Dk^-1/2).
struct QkNorm {
  float eps, q_weight, k_weight;
};

EMBER_HOST_DEVICE inline QkNorm qk_norm_constants(int key_dim) {
  const float dk = static_cast<float>(key_dim);
  return {1e-6f / dk, 1.0f / dk, 1.0f / std::sqrt(dk)};
}

}  // namespace ember::fast
