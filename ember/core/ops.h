// The op library: MLX's names, argument order, defaults and semantics (mlx/ops.h).
// Every op checks its arguments, promotes dtypes, infers the output shape and returns a
// lazy array; nothing is computed until eval. Errors name the op: "[matmul] ...".
// One header per family under ops/, each implemented by the .cpp of the same name.
#pragma once

#include "ember/core/ops/creation.h"
#include "ember/core/ops/elementwise.h"
#include "ember/core/ops/gather_mm.h"
#include "ember/core/ops/indexing.h"
#include "ember/core/ops/linalg.h"
#include "ember/core/ops/reduce.h"
#include "ember/core/ops/shape.h"
#include "ember/core/ops/sort.h"
