// eval_gpu of the reduction family without a CUDA kernel.
#include "ember/backend/no_cuda/no_gpu.h"
#include "ember/core/primitives/reduce.h"

namespace ember {

EMBER_NO_GPU(Reduce)
EMBER_NO_GPU(ArgReduce)
EMBER_NO_GPU(LogSumExp)
EMBER_NO_GPU(Softmax)
EMBER_NO_GPU(Scan)

}  // namespace ember
