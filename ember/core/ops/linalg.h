// Ops: linear algebra (ops/linalg.cpp). MLX's names, argument order and defaults.
#pragma once

#include <type_traits>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {


/// Matrix product with NumPy's rules: 1-d operands are promoted and squeezed back, batch
/// dimensions broadcast. Floating dtypes only, as in MLX.
array matmul(const array& a, const array& b, StreamOrDevice s = {});

}  // namespace ember
