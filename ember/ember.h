// ember: MLX's programming model for Linux. One header for the whole public C++ API.
//
//   #include <ember/ember.h>
//   using namespace ember;
//   array x = reshape(arange(6.0), {2, 3});
//   array y = sum(exp(x), 1);
//   eval(y);
#pragma once

#include "ember/core/array.h"
#include "ember/core/capture.h"
#include "ember/core/device.h"
#include "ember/core/dtype.h"
#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/io.h"
#include "ember/core/memory.h"
#include "ember/core/ops.h"
#include "ember/core/random.h"
#include "ember/core/stream.h"
#include "ember/core/transforms.h"
#include "ember/fast/fast.h"
#include "ember/version.h"
