// The random primitives in a build without CUDA: eval_gpu explains why it cannot run.
#include "ember/core/primitives/random.h"

#include "ember/core/errors.h"

namespace ember {

void RandomBits::eval_gpu(const std::vector<array>&, array&) {
  throw NotImplementedError("[RandomBits] ember was built without CUDA");
}

void RandomTransform::eval_gpu(const std::vector<array>&, array&) {
  throw NotImplementedError("[RandomTransform] ember was built without CUDA");
}

}  // namespace ember
