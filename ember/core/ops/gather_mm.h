// Ops: matrix products of gathered operands (ops/gather_mm.cpp), MLX's gather_mm: the
// building block of mixture-of-experts layers.
#pragma once

#include <optional>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

/// out[i] = a[lhs_indices[i]] @ b[rhs_indices[i]] where a is [..., M, K] and b is
/// [..., K, N] and the indices pick matrices of their flattened batch dims. A missing
/// index array means "every batch element in order" (a's or b's batch shape); the two
/// index arrays broadcast, and the output has shape broadcast(indices) + [M, N].
/// sorted_indices is a hint (indices grouped by value) and does not change the result.
array gather_mm(array a, array b, std::optional<array> lhs_indices = std::nullopt,
                std::optional<array> rhs_indices = std::nullopt, bool sorted_indices = false,
                StreamOrDevice s = {});

}  // namespace ember
