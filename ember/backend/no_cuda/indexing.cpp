// eval_gpu of the shape-view, indexing and sorting primitives in a build without CUDA: each
// explains why it cannot run. (Unreachable in practice: no GPU stream exists without CUDA.)
#include "ember/core/errors.h"
#include "ember/core/primitives/indexing.h"
#include "ember/core/primitives/shape.h"
#include "ember/core/primitives/sort.h"

namespace ember {
namespace {
[[noreturn]] void no_gpu(const char* name) {
  throw NotImplementedError(detail::concat("[", name, "] ember was built without CUDA"));
}
}  // namespace

#define EMBER_NO_GPU(Primitive) \
  void Primitive::eval_gpu(const std::vector<array>&, array&) { no_gpu(name()); }
EMBER_NO_GPU(Squeeze)
EMBER_NO_GPU(ExpandDims)
EMBER_NO_GPU(AsStrided)
EMBER_NO_GPU(View)
EMBER_NO_GPU(Diagonal)
EMBER_NO_GPU(Gather)
EMBER_NO_GPU(Scatter)
EMBER_NO_GPU(GatherAxis)
EMBER_NO_GPU(ScatterAxis)
EMBER_NO_GPU(SliceUpdate)
EMBER_NO_GPU(DynamicSlice)
EMBER_NO_GPU(DynamicSliceUpdate)
EMBER_NO_GPU(SortAxis)
#undef EMBER_NO_GPU

}  // namespace ember
