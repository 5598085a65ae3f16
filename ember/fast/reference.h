// The compositions of core ops that define fast::rms_norm, layer_norm and rope (fast/fast.h).
// The fast:: functions check their arguments and build one primitive node; where no kernel
// applies (other dtypes, broadcast weights) they return these instead. Tests compare the
// primitives with them. Internal: arguments are assumed checked.
#pragma once

#include <optional>

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

}  // namespace ember::fast::reference
