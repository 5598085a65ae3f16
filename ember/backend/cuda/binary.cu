// Binary elementwise kernels: one flat and one strided kernel per functor of
// EMBER_BINARY_OPS and GPU dtype (device/elementwise.cuh). Host side: elementwise.cpp.
#include "ember/backend/cuda/elementwise_launch.cuh"
#include "ember/core/primitives/elementwise.h"

namespace ember::cuda {
#define EMBER_INSTANTIATE(Op) \
  template bool launch_binary<functors::Op>(Dtype, const FlatArgs<2>*, const StridedArgs<2>*);
EMBER_BINARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE
#define EMBER_INSTANTIATE(Op) \
  template bool launch_ternary<functors::Op>(Dtype, const FlatArgs<3>*, const StridedArgs<3>*);
EMBER_TERNARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE
}  // namespace ember::cuda
