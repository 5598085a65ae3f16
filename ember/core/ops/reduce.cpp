// Reductions: sum, max, mean over any axes, with keepdims.
#include <algorithm>
#include <numeric>

#include "ember/core/ops.h"
#include "ember/core/primitives/reduce.h"

namespace ember {
namespace {

std::vector<int> all_axes(const array& a) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

std::vector<int> normalize_axes(std::vector<int> axes, int ndim, const char* op) {
  for (auto& axis : axes) axis = normalize_axis(axis, ndim, op);
  std::sort(axes.begin(), axes.end());
  EMBER_CHECK(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), ValueError, "[", op,
              "] an axis is repeated");
  return axes;
}

array reduce(const array& a, std::vector<int> axes, bool keepdims, Reduce::Type type, Dtype dtype,
             const char* op, StreamOrDevice s) {
  axes = normalize_axes(std::move(axes), a.ndim(), op);
  const Stream stream = to_stream(s);
  Shape kept = a.shape();
  for (int axis : axes) kept[axis] = 1;
  array input = astype(a, dtype, stream);
  array out(kept, dtype, std::make_shared<Reduce>(stream, type, axes), {std::move(input)});
  if (keepdims) return out;
  Shape squeezed;
  for (int i = 0; i < a.ndim(); ++i) {
    if (!std::binary_search(axes.begin(), axes.end(), i)) squeezed.push_back(a.shape()[i]);
  }
  return reshape(out, squeezed, stream);
}

}  // namespace

array sum(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  const Dtype dtype = a.dtype() == bool_ ? int32 : a.dtype();
  return reduce(a, axes, keepdims, Reduce::Type::sum, dtype, "sum", s);
}
array sum(const array& a, bool keepdims, StreamOrDevice s) { return sum(a, all_axes(a), keepdims, s); }
array sum(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return sum(a, std::vector<int>{axis}, keepdims, s);
}

array max(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  EMBER_CHECK(a.size() > 0, ValueError, "[max] cannot reduce a zero-size array");
  return reduce(a, axes, keepdims, Reduce::Type::max, a.dtype(), "max", s);
}
array max(const array& a, bool keepdims, StreamOrDevice s) { return max(a, all_axes(a), keepdims, s); }
array max(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return max(a, std::vector<int>{axis}, keepdims, s);
}

array mean(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  const auto normalized = normalize_axes(axes, a.ndim(), "mean");
  double count = 1;
  for (int axis : normalized) count *= a.shape()[axis];
  const Dtype dtype = is_inexact(a.dtype()) ? a.dtype() : float32;
  const Stream stream = to_stream(s);
  array total = reduce(a, normalized, keepdims, Reduce::Type::sum, dtype, "mean", stream);
  return multiply(total, array(1.0 / count, dtype), stream);
}
array mean(const array& a, bool keepdims, StreamOrDevice s) { return mean(a, all_axes(a), keepdims, s); }
array mean(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return mean(a, std::vector<int>{axis}, keepdims, s);
}

}  // namespace ember
