// The gated delta rule in chunks (fast/fast.h's recurrence, rewritten): internal to fast::.
#pragma once

#include <utility>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember::fast::detail {

/// fast::gated_delta_rule's result computed chunk by chunk, in float32, from plain ops
/// (Note [Chunked delta rule] in delta_chunked.cpp): the same function as the step-by-step
/// recurrence up to rounding. Long sequences on the GPU take this form: its matrix products
/// run in parallel over the chunks and the heads, where the recurrence takes the steps one
/// after another. Arguments as gated_delta_rule's, assumed checked; `chunk` > 0 is the
/// chunk length (config::delta_rule_chunk(), 128 by default, on the GPU).
std::pair<array, array> gated_delta_chunked(const array& q, const array& k, const array& v,
                                            const array& g, const array& beta, const array& state,
                                            int chunk, StreamOrDevice s = {});

}  // namespace ember::fast::detail
