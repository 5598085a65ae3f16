// Unary elementwise kernels: one flat and one strided kernel per functor of
// EMBER_UNARY_OPS and GPU dtype (device/elementwise.cuh). Host side: elementwise.cpp.
#include "ember/backend/cuda/elementwise_launch.cuh"
#include "ember/core/primitives/elementwise.h"

namespace ember::cuda {
#define EMBER_INSTANTIATE(Op) \
  template bool launch_unary<functors::Op>(Dtype, const FlatArgs<1>*, const StridedArgs<1>*);
EMBER_UNARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE
}  // namespace ember::cuda
