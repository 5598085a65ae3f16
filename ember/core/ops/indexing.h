// Ops: indexing and data movement beyond views (ops/indexing.cpp): take, gather, scatter,
// slice_update, ... MLX's names, argument order and defaults.
#pragma once

#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {
}  // namespace ember
