// Sorting and selection ops: sort, argsort, partition, argpartition, topk. One primitive,
// SortAxis, computes the first four; topk is a partition and a slice, as in MLX.
#include "ember/core/ops.h"
#include "ember/core/primitives/sort.h"

namespace ember {
namespace {

array sort_along(const array& a, int axis, SortKind kind, int kth, const char* op,
                 StreamOrDevice s) {
  EMBER_CHECK(a.ndim() > 0, ValueError, "[", op, "] a 0-d array has no axis ", axis,
              " (use the overload without an axis to work on the flattened array)");
  axis = normalize_axis(axis, a.ndim(), op);
  const bool partition = kind == SortKind::partition || kind == SortKind::argpartition;
  if (partition) {
    const int32_t n = a.shape()[axis];
    EMBER_CHECK(kth >= -n && kth < n, ValueError, "[", op, "] kth ", kth,
                " is out of range for axis ", axis, " of size ", n);
    if (kth < 0) kth += n;
  }
  const bool indices = kind == SortKind::argsort || kind == SortKind::argpartition;
  return array(a.shape(), indices ? uint32 : a.dtype(),
               std::make_shared<SortAxis>(to_stream(s), kind, axis, partition ? kth : 0), {a});
}

}  // namespace

array sort(const array& a, int axis, StreamOrDevice s) {
  return sort_along(a, axis, SortKind::sort, 0, "sort", s);
}
array sort(const array& a, StreamOrDevice s) { return sort(flatten(a, s), 0, s); }

array argsort(const array& a, int axis, StreamOrDevice s) {
  return sort_along(a, axis, SortKind::argsort, 0, "argsort", s);
}
array argsort(const array& a, StreamOrDevice s) { return argsort(flatten(a, s), 0, s); }

array partition(const array& a, int kth, int axis, StreamOrDevice s) {
  return sort_along(a, axis, SortKind::partition, kth, "partition", s);
}
array partition(const array& a, int kth, StreamOrDevice s) {
  return partition(flatten(a, s), kth, 0, s);
}

array argpartition(const array& a, int kth, int axis, StreamOrDevice s) {
  return sort_along(a, axis, SortKind::argpartition, kth, "argpartition", s);
}
array argpartition(const array& a, int kth, StreamOrDevice s) {
  return argpartition(flatten(a, s), kth, 0, s);
}

array topk(const array& a, int k, int axis, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() > 0, ValueError, "[topk] a 0-d array has no axis ", axis);
  axis = normalize_axis(axis, a.ndim(), "topk");
  const int32_t n = a.shape()[axis];
  EMBER_CHECK(k >= 0 && k <= n, ValueError, "[topk] k = ", k, " is out of range for axis ", axis,
              " of size ", n);
  if (k == n) return a;
  Shape start(a.ndim(), 0), stop = a.shape();
  start[axis] = n - k;
  if (k == 0) return slice(a, start, stop, s);
  return slice(partition(a, -k, axis, s), std::move(start), std::move(stop), s);
}
array topk(const array& a, int k, StreamOrDevice s) { return topk(flatten(a, s), k, 0, s); }

}  // namespace ember
