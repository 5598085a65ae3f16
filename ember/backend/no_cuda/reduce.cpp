// eval_gpu of the reduction family in a build without CUDA.
#include "ember/core/errors.h"
#include "ember/core/primitives/reduce.h"

namespace ember {

#define EMBER_NO_GPU(Primitive)                                                \
  void Primitive::eval_gpu(const std::vector<array>&, array&) {                \
    throw NotImplementedError(detail::concat("[", name(), "] ember was built without CUDA")); \
  }
EMBER_NO_GPU(ArgReduce)
EMBER_NO_GPU(LogSumExp)
EMBER_NO_GPU(Softmax)
EMBER_NO_GPU(Scan)
#undef EMBER_NO_GPU

}  // namespace ember
