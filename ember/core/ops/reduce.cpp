// Reductions and scans: sum, prod, max, min, mean, var, std, all, any, argmax, argmin,
// logsumexp, softmax, cumsum, cumprod, cummax, cummin, logcumsumexp.
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

Shape squeezed_shape(const Shape& shape, const std::vector<int>& axes) {
  Shape out;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (!std::binary_search(axes.begin(), axes.end(), i)) out.push_back(shape[i]);
  }
  return out;
}

array reduce(const array& a, std::vector<int> axes, bool keepdims, Reduce::Type type, Dtype dtype,
             const char* op, StreamOrDevice s) {
  axes = normalize_axes(std::move(axes), a.ndim(), op);
  const Stream stream = to_stream(s);
  Shape kept = a.shape();
  for (int axis : axes) kept[axis] = 1;
  array input = astype(a, dtype, stream);
  const Dtype out_dtype = (type == Reduce::Type::all || type == Reduce::Type::any) ? bool_ : dtype;
  array out(kept, out_dtype, std::make_shared<Reduce>(stream, type, axes), {std::move(input)});
  if (keepdims) return out;
  return reshape(out, squeezed_shape(a.shape(), axes), stream);
}

Dtype sum_dtype(Dtype dtype) { return dtype == bool_ ? int32 : dtype; }
Dtype at_least_float(Dtype dtype) { return is_inexact(dtype) ? dtype : float32; }

// Moves `axes` to the end and flattens them: a row-contiguous (rest..., reduced) matrix.
// Returns the matrix and the shape of the rest.
std::pair<array, Shape> rows_over(const array& a, const std::vector<int>& axes, const Stream& s) {
  std::vector<int> order;
  Shape rest;
  for (int i = 0; i < a.ndim(); ++i) {
    if (!std::binary_search(axes.begin(), axes.end(), i)) {
      order.push_back(i);
      rest.push_back(a.shape()[i]);
    }
  }
  int32_t inner = 1;
  for (int axis : axes) {
    order.push_back(axis);
    inner *= a.shape()[axis];
  }
  array moved = contiguous(transpose(a, order, s), false, s);
  Shape matrix = rest;
  matrix.push_back(inner);
  return {reshape(moved, matrix, s), rest};
}

// Restores reduced axes as size-1 dims when keepdims is set.
array finish_keepdims(const array& out, const array& a, const std::vector<int>& axes,
                      bool keepdims, const Stream& s) {
  if (!keepdims) return out;
  Shape kept = a.shape();
  for (int axis : axes) kept[axis] = 1;
  return reshape(out, kept, s);
}

array arg_reduce(const array& a, int axis, bool keepdims, ArgReduce::Type type, const char* op,
                 StreamOrDevice s) {
  axis = normalize_axis(axis, a.ndim(), op);
  EMBER_CHECK(a.shape()[axis] > 0, ValueError, "[", op, "] cannot reduce an empty axis");
  const Stream stream = to_stream(s);
  auto [matrix, rest] = rows_over(a, {axis}, stream);
  Shape out_shape = rest;
  out_shape.push_back(1);
  array out(out_shape, uint32, std::make_shared<ArgReduce>(stream, type), {matrix});
  out = reshape(out, rest, stream);
  return finish_keepdims(out, a, {axis}, keepdims, stream);
}

array scan(const array& a, int axis, bool reverse, bool inclusive, Scan::Type type, Dtype dtype,
           const char* op, StreamOrDevice s) {
  axis = normalize_axis(axis, a.ndim(), op);
  const Stream stream = to_stream(s);
  array input = astype(a, dtype, stream);
  Shape shape = input.shape();
  return array(std::move(shape), dtype,
               std::make_shared<Scan>(stream, type, axis, reverse, inclusive), {std::move(input)});
}

}  // namespace

// ---- sum, prod, max, min, all, any ----

array sum(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(a, axes, keepdims, Reduce::Type::sum, sum_dtype(a.dtype()), "sum", s);
}
array sum(const array& a, bool keepdims, StreamOrDevice s) { return sum(a, all_axes(a), keepdims, s); }
array sum(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return sum(a, std::vector<int>{axis}, keepdims, s);
}

array prod(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(a, axes, keepdims, Reduce::Type::prod, sum_dtype(a.dtype()), "prod", s);
}
array prod(const array& a, bool keepdims, StreamOrDevice s) {
  return prod(a, all_axes(a), keepdims, s);
}
array prod(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return prod(a, std::vector<int>{axis}, keepdims, s);
}

array max(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  EMBER_CHECK(a.size() > 0, ValueError, "[max] cannot reduce a zero-size array");
  return reduce(a, axes, keepdims, Reduce::Type::max, a.dtype(), "max", s);
}
array max(const array& a, bool keepdims, StreamOrDevice s) { return max(a, all_axes(a), keepdims, s); }
array max(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return max(a, std::vector<int>{axis}, keepdims, s);
}

array min(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  EMBER_CHECK(a.size() > 0, ValueError, "[min] cannot reduce a zero-size array");
  return reduce(a, axes, keepdims, Reduce::Type::min, a.dtype(), "min", s);
}
array min(const array& a, bool keepdims, StreamOrDevice s) { return min(a, all_axes(a), keepdims, s); }
array min(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return min(a, std::vector<int>{axis}, keepdims, s);
}

array all(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(a, axes, keepdims, Reduce::Type::all, bool_, "all", s);
}
array all(const array& a, bool keepdims, StreamOrDevice s) { return all(a, all_axes(a), keepdims, s); }
array all(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return all(a, std::vector<int>{axis}, keepdims, s);
}

array any(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(a, axes, keepdims, Reduce::Type::any, bool_, "any", s);
}
array any(const array& a, bool keepdims, StreamOrDevice s) { return any(a, all_axes(a), keepdims, s); }
array any(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return any(a, std::vector<int>{axis}, keepdims, s);
}

// ---- mean, var, std ----

array mean(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  const auto normalized = normalize_axes(axes, a.ndim(), "mean");
  double count = 1;
  for (int axis : normalized) count *= a.shape()[axis];
  const Dtype dtype = at_least_float(a.dtype());
  const Stream stream = to_stream(s);
  array total = reduce(a, normalized, keepdims, Reduce::Type::sum, dtype, "mean", stream);
  return multiply(total, array(1.0 / count, dtype), stream);
}
array mean(const array& a, bool keepdims, StreamOrDevice s) { return mean(a, all_axes(a), keepdims, s); }
array mean(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return mean(a, std::vector<int>{axis}, keepdims, s);
}

array var(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  const auto normalized = normalize_axes(axes, a.ndim(), "var");
  double count = 1;
  for (int axis : normalized) count *= a.shape()[axis];
  const Dtype dtype = at_least_float(a.dtype());
  const Stream stream = to_stream(s);
  array x = astype(a, dtype, stream);
  array centred = subtract(x, mean(x, normalized, true, stream), stream);
  array squares = sum(multiply(centred, centred, stream), normalized, keepdims, stream);
  // n - ddof <= 0 gives inf or NaN, as NumPy and MLX.
  return multiply(squares, array(1.0 / std::max(count - ddof, 0.0), dtype), stream);
}
array var(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, all_axes(a), keepdims, ddof, s);
}
array var(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, std::vector<int>{axis}, keepdims, ddof, s);
}

array std(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  array v = var(a, axes, keepdims, ddof, stream);
  return sqrt(v, stream);
}
array std(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, all_axes(a), keepdims, ddof, s);
}
array std(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, std::vector<int>{axis}, keepdims, ddof, s);
}

// ---- argmax, argmin ----

array argmax(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce(a, axis, keepdims, ArgReduce::Type::argmax, "argmax", s);
}
array argmax(const array& a, bool keepdims, StreamOrDevice s) {
  array out = argmax(reshape(a, {-1}, s), 0, false, s);
  return keepdims ? reshape(out, Shape(a.ndim(), 1), s) : out;
}
array argmin(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce(a, axis, keepdims, ArgReduce::Type::argmin, "argmin", s);
}
array argmin(const array& a, bool keepdims, StreamOrDevice s) {
  array out = argmin(reshape(a, {-1}, s), 0, false, s);
  return keepdims ? reshape(out, Shape(a.ndim(), 1), s) : out;
}

// ---- logsumexp, softmax ----

array logsumexp(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  const auto normalized = normalize_axes(axes, a.ndim(), "logsumexp");
  const Stream stream = to_stream(s);
  const Dtype dtype = at_least_float(a.dtype());
  EMBER_CHECK(dtype != complex64, TypeError, "[logsumexp] complex inputs are not supported");
  auto [matrix, rest] = rows_over(astype(a, dtype, stream), normalized, stream);
  Shape out_shape = rest;
  out_shape.push_back(1);
  array out(out_shape, dtype, std::make_shared<LogSumExp>(stream), {matrix});
  out = reshape(out, rest, stream);
  return finish_keepdims(out, a, normalized, keepdims, stream);
}
array logsumexp(const array& a, bool keepdims, StreamOrDevice s) {
  return logsumexp(a, all_axes(a), keepdims, s);
}
array logsumexp(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return logsumexp(a, std::vector<int>{axis}, keepdims, s);
}

array softmax(const array& a, const std::vector<int>& axes, bool precise, StreamOrDevice s) {
  const auto normalized = normalize_axes(axes, a.ndim(), "softmax");
  const Stream stream = to_stream(s);
  const Dtype dtype = at_least_float(a.dtype());
  EMBER_CHECK(dtype != complex64, TypeError, "[softmax] complex inputs are not supported");
  array x = astype(a, dtype, stream);
  if (normalized.empty()) return x;
  // Move the axes last, run the kernel over rows, and move them back.
  auto [matrix, rest] = rows_over(x, normalized, stream);
  Shape matrix_shape = matrix.shape();
  array rows(matrix_shape, dtype, std::make_shared<Softmax>(stream, precise), {matrix});
  std::vector<int> order;
  Shape moved_shape = rest;
  for (int i = 0; i < a.ndim(); ++i) {
    if (!std::binary_search(normalized.begin(), normalized.end(), i)) order.push_back(i);
  }
  for (int axis : normalized) {
    order.push_back(axis);
    moved_shape.push_back(a.shape()[axis]);
  }
  array moved = reshape(rows, moved_shape, stream);
  std::vector<int> inverse(order.size());
  for (size_t i = 0; i < order.size(); ++i) inverse[order[i]] = static_cast<int>(i);
  return transpose(moved, inverse, stream);
}
array softmax(const array& a, bool precise, StreamOrDevice s) {
  return softmax(a, all_axes(a), precise, s);
}
array softmax(const array& a, int axis, bool precise, StreamOrDevice s) {
  return softmax(a, std::vector<int>{axis}, precise, s);
}

// ---- scans ----

array cumsum(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(a, axis, reverse, inclusive, Scan::Type::sum, sum_dtype(a.dtype()), "cumsum", s);
}
array cumprod(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(a, axis, reverse, inclusive, Scan::Type::prod, sum_dtype(a.dtype()), "cumprod", s);
}
array cummax(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(a, axis, reverse, inclusive, Scan::Type::max, a.dtype(), "cummax", s);
}
array cummin(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(a, axis, reverse, inclusive, Scan::Type::min, a.dtype(), "cummin", s);
}
array logcumsumexp(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  const Dtype dtype = at_least_float(a.dtype());
  EMBER_CHECK(dtype != complex64, TypeError, "[logcumsumexp] complex inputs are not supported");
  return scan(a, axis, reverse, inclusive, Scan::Type::logaddexp, dtype, "logcumsumexp", s);
}

}  // namespace ember
