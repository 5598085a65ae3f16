// Ops: shape and copies (ops/shape.cpp). MLX's names, argument order and defaults.
#pragma once

#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {


/// Same data in a new shape; one dimension may be -1.
array reshape(const array& a, Shape shape, StreamOrDevice s = {});
array transpose(const array& a, std::vector<int> axes, StreamOrDevice s = {});
/// Reverses the axes.
array transpose(const array& a, StreamOrDevice s = {});
array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s = {});
/// a[start:stop:strides] per axis, NumPy rules for negative and out-of-range bounds.
array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s = {});
array slice(const array& a, Shape start, Shape stop, StreamOrDevice s = {});
/// Picks this overload for braced starts, which would also match the dynamic slice's array.
array slice(const array& a, std::initializer_list<int> start, Shape stop, Shape strides,
            StreamOrDevice s = {});
array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s = {});
/// Concatenates the flattened arrays.
array concatenate(std::vector<array> arrays, StreamOrDevice s = {});
/// A copy that owns its data.
array copy(array a, StreamOrDevice s = {});
/// A row-contiguous array that owns exactly its bytes (a copy unless `a` already is one).
/// With allow_col_major, a column-major array that owns exactly its bytes is kept as is.
array contiguous(const array& a, bool allow_col_major = false, StreamOrDevice s = {});

// ---- views and rearrangements (ops/shape_ops.cpp) ----
// Views (no copy; the result shares `a`'s storage, G2): flatten/unflatten/reshape when
// strides allow, squeeze, expand_dims, swapaxes, moveaxis, broadcast_arrays, split,
// diagonal, as_strided, view. The rest write new storage.

/// Merges axes start_axis..end_axis (inclusive, clamped to the array) into one; a 0-d
/// array becomes 1-d.
array flatten(const array& a, int start_axis, int end_axis = -1, StreamOrDevice s = {});
array flatten(const array& a, StreamOrDevice s = {});
/// Splits `axis` into `shape` (one entry may be -1).
array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s = {});
/// Removes the given size-1 axes (ValueError if one is not size 1).
array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array squeeze(const array& a, int axis, StreamOrDevice s = {});
/// Removes every size-1 axis.
array squeeze(const array& a, StreamOrDevice s = {});
/// Inserts size-1 axes; `axes` index the output (negative counts from its end).
array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array expand_dims(const array& a, int axis, StreamOrDevice s = {});
array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s = {});
array moveaxis(const array& a, int source, int destination, StreamOrDevice s = {});
/// Broadcasts the arrays against one another (views).
std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s = {});
/// Joins arrays of one shape along a new axis.
array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s = {});
array stack(const std::vector<array>& arrays, StreamOrDevice s = {});
/// num_splits equal parts along `axis` (ValueError if the size does not divide).
std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, int num_splits, StreamOrDevice s = {});
/// Parts a[:i0], a[i0:i1], ..., a[ik:] along `axis` (Python slice rules for the indices).
std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s = {});
/// Pads `axes` by low/high sizes. mode "constant" fills with pad_value (a scalar, cast to
/// a's dtype); "edge" repeats the edge values.
array pad(const array& a, const std::vector<int>& axes, const Shape& low_pad_size,
          const Shape& high_pad_size, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
/// One (low, high) pair per axis, or a single pair for every axis.
array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width,
          const array& pad_value = array(0), const std::string& mode = "constant",
          StreamOrDevice s = {});
array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
array pad(const array& a, int pad_width, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
/// NumPy's tile: reps and a's shape are aligned from the right, padded with 1s.
array tile(const array& a, std::vector<int> reps, StreamOrDevice s = {});
/// Repeats each element `repeats` times along `axis` (of the flattened array if none).
array repeat(const array& a, int repeats, int axis, StreamOrDevice s = {});
array repeat(const array& a, int repeats, StreamOrDevice s = {});
/// Rolls elements along axes (the flattened array when no axis is given; several shifts
/// without axes add up, as in MLX).
array roll(const array& a, int shift, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, StreamOrDevice s = {});
array roll(const array& a, int shift, int axis, StreamOrDevice s = {});
array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, const std::vector<int>& axes,
           StreamOrDevice s = {});
/// The diagonal of axes (axis1, axis2) at `offset`, as the last axis (a view).
array diagonal(const array& a, int offset = 0, int axis1 = 0, int axis2 = 1, StreamOrDevice s = {});
/// 1-d input: a square matrix with `a` on diagonal k; 2-d input: its diagonal k.
array diag(const array& a, int k = 0, StreamOrDevice s = {});
/// Sum of the diagonal, in `dtype` (a's dtype by default).
array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s = {});
array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s = {});
array trace(const array& a, StreamOrDevice s = {});
/// A view of the flattened (row-contiguous) `a` with the given shape, strides and offset,
/// all in elements. Unlike MLX, a view reaching outside `a` is a ValueError.
array as_strided(const array& a, Shape shape, Strides strides, size_t offset, StreamOrDevice s = {});
/// a's bytes reinterpreted as `dtype`; the last axis scales by the ratio of item sizes.
array view(const array& a, const Dtype& dtype, StreamOrDevice s = {});

// ---- products (ops/contract.cpp) ----

/// Einstein summation over `subscripts` ("ij,jk->ik"; implicit output when no "->";
/// "..." broadcasts leading axes).
array einsum(const std::string& subscripts, const std::vector<array>& operands,
             StreamOrDevice s = {});
/// Contracts the last `axis` axes of a with the first `axis` axes of b.
array tensordot(const array& a, const array& b, int axis = 2, StreamOrDevice s = {});
array tensordot(const array& a, const array& b, const std::vector<int>& axes_a,
                const std::vector<int>& axes_b, StreamOrDevice s = {});
/// Contracts the last axes (a product when either is 0-d).
array inner(const array& a, const array& b, StreamOrDevice s = {});
/// The outer product of the flattened arrays.
array outer(const array& a, const array& b, StreamOrDevice s = {});
/// The Kronecker product.
array kron(const array& a, const array& b, StreamOrDevice s = {});
/// beta * c + alpha * (a @ b), c broadcast to the product's shape.
array addmm(array c, array a, array b, const float& alpha = 1.f, const float& beta = 1.f,
            StreamOrDevice s = {});

}  // namespace ember
