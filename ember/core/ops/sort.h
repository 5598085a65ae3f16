// Ops: sorting and selection (ops/sort.cpp): sort, argsort, partition, topk.
#pragma once

#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {
}  // namespace ember
