// The compositions of core ops that define fast::rms_norm, layer_norm, rope, the gated delta
// rule and causal_conv1d_update (fast/fast.h).
// The fast:: functions check their arguments and build one primitive node; where no kernel
// applies (other dtypes, broadcast weights) they return these instead. Tests compare the
// primitives with them. Internal: arguments are assumed checked.
#pragma once

#include <optional>
#include <utility>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember::fast::reference {

array rms_norm(const array& x, const std::optional<array>& weight, float eps,
               StreamOrDevice s = {});

array rms_norm_float32(const array& x, const std::optional<array>& weight, float eps, Dtype dtype,
                       StreamOrDevice s = {});

array rms_norm_gated(const array& x, const array& gate, const std::optional<array>& weight,
                     float eps, StreamOrDevice s = {});

array matmul_swiglu(const array& x, const array& w, StreamOrDevice s = {});

array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s = {});

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs = std::nullopt, StreamOrDevice s = {});

/// rope at an integer scalar (or [1]) offset array: positions arange(L) + offset in int32.
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs = std::nullopt,
           StreamOrDevice s = {});

/// The delta-rule recurrence as a loop over the steps of plain ops on float32 (mlx-lm's
/// gated_delta_ops): {y in v's dtype, the final state}.
std::pair<array, array> gated_delta_rule(const array& q, const array& k, const array& v,
                                         const array& g, const array& beta, const array& state,
                                         StreamOrDevice s = {});

/// The gates and the q/k norms of gated_delta_update as plain ops, then fast::gated_delta_rule
/// (the recurrence, which the one above checks).
std::pair<array, array> gated_delta_update(const array& q, const array& k, const array& v,
                                           const array& a, const array& b, const array& a_log,
                                           const array& dt_bias, const array& state,
                                           bool normalize_qk, StreamOrDevice s = {});

/// The conv as K shifted float32 products of concatenate({state, x}) and the taps.
std::pair<array, array> causal_conv1d_update(const array& x, const array& state,
                                             const array& weight, const std::optional<array>& bias,
                                             bool silu, StreamOrDevice s = {});

}  // namespace ember::fast::reference
