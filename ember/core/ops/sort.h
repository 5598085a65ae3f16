// Ops: sorting and selection (ops/sort.cpp): sort, argsort, partition, topk.
#pragma once

#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

// Sorts are stable. NaNs order after every number (NumPy's rule); complex values order by
// real part, then imaginary part. Index outputs are uint32, as in MLX.

/// The flattened array, sorted.
array sort(const array& a, StreamOrDevice s = {});
/// Sorted along `axis`.
array sort(const array& a, int axis, StreamOrDevice s = {});
/// Indices that sort the flattened array.
array argsort(const array& a, StreamOrDevice s = {});
/// Indices that sort along `axis`.
array argsort(const array& a, int axis, StreamOrDevice s = {});
/// A copy where the element at position kth (negative counts from the end) is where a full
/// sort would put it, with no larger element before it and no smaller one after it; the
/// order within each side is unspecified.
array partition(const array& a, int kth, StreamOrDevice s = {});
array partition(const array& a, int kth, int axis, StreamOrDevice s = {});
/// Indices that partition, as for partition.
array argpartition(const array& a, int kth, StreamOrDevice s = {});
array argpartition(const array& a, int kth, int axis, StreamOrDevice s = {});
/// The k largest elements along `axis` (in unspecified order, as in MLX).
array topk(const array& a, int k, StreamOrDevice s = {});
array topk(const array& a, int k, int axis, StreamOrDevice s = {});

}  // namespace ember
