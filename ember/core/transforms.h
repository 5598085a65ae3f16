// MLX's transforms.h: eval and async_eval (eval.h). Gradient transforms come with the
// transforms issue.
#pragma once

#include "ember/core/eval.h"
