// Ops: shape and copies (ops/shape.cpp). MLX's names, argument order and defaults.
#pragma once

#include <type_traits>
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
array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s = {});
/// Concatenates the flattened arrays.
array concatenate(std::vector<array> arrays, StreamOrDevice s = {});
/// A copy that owns its data.
array copy(array a, StreamOrDevice s = {});
/// A row-contiguous array that owns exactly its bytes (a copy unless `a` already is one).
/// With allow_col_major, a column-major array that owns exactly its bytes is kept as is.
array contiguous(const array& a, bool allow_col_major = false, StreamOrDevice s = {});

}  // namespace ember
