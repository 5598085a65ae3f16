// Shape ops built on the view primitives and on each other: flatten, unflatten, squeeze,
// expand_dims, swapaxes, moveaxis, broadcast_arrays, stack, split, pad, tile, repeat, roll,
// diagonal, diag, trace, as_strided, view. MLX's names, argument order and semantics.
#include <algorithm>
#include <numeric>
#include <set>

#include "ember/core/ops.h"
#include "ember/core/primitives/shape.h"

namespace ember {
namespace {

// Normalised axes (sorted, unique) for `op`; IndexError when out of range, ValueError when
// repeated.
std::vector<int> unique_axes(const std::vector<int>& axes, int ndim, const char* op) {
  std::vector<int> out;
  for (int axis : axes) out.push_back(normalize_axis(axis, ndim, op));
  std::sort(out.begin(), out.end());
  EMBER_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), ValueError, "[", op,
              "] an axis is repeated");
  return out;
}

// Replaces a single -1 in `shape` so that it holds `size` elements; ValueError naming `op`.
void infer_shape(Shape& shape, size_t size, const char* op) {
  int infer = -1;
  size_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      EMBER_CHECK(infer < 0, ValueError, "[", op, "] at most one dimension can be -1");
      infer = static_cast<int>(i);
    } else {
      EMBER_CHECK(shape[i] >= 0, ValueError, "[", op, "] negative dimension in ",
                  shape_to_string(shape));
      known *= static_cast<size_t>(shape[i]);
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known > 0 && size % known == 0, ValueError, "[", op, "] cannot fit ", size,
                " elements into ", shape_to_string(shape));
    shape[infer] = static_cast<int32_t>(size / known);
    known *= static_cast<size_t>(shape[infer]);
  }
  EMBER_CHECK(known == size, ValueError, "[", op, "] cannot fit ", size, " elements into ",
              shape_to_string(shape));
}

}  // namespace

array flatten(const array& a, int start_axis, int end_axis, StreamOrDevice s) {
  const int ndim = a.ndim();
  if (ndim == 0) return reshape(a, {1}, s);
  int start = start_axis < 0 ? start_axis + ndim : start_axis;
  int end = end_axis < 0 ? end_axis + ndim : end_axis;
  start = std::max(start, 0);
  end = std::min(end, ndim - 1);
  EMBER_CHECK(start < ndim, IndexError, "[flatten] start_axis ", start_axis,
              " is out of bounds for an array with ", ndim, " dimensions");
  EMBER_CHECK(end >= 0, IndexError, "[flatten] end_axis ", end_axis,
              " is out of bounds for an array with ", ndim, " dimensions");
  EMBER_CHECK(start <= end, ValueError, "[flatten] start_axis (", start_axis,
              ") must not come after end_axis (", end_axis, ")");
  if (start == end) return a;
  Shape shape(a.shape().begin(), a.shape().begin() + start);
  int32_t merged = 1;
  for (int d = start; d <= end; ++d) merged *= a.shape()[d];
  shape.push_back(merged);
  shape.insert(shape.end(), a.shape().begin() + end + 1, a.shape().end());
  return reshape(a, std::move(shape), s);
}

array flatten(const array& a, StreamOrDevice s) { return flatten(a, 0, -1, s); }

array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s) {
  EMBER_CHECK(!shape.empty(), ValueError, "[unflatten] the shape to unflatten to is empty");
  EMBER_CHECK(a.ndim() > 0, ValueError, "[unflatten] cannot unflatten a 0-d array");
  axis = normalize_axis(axis, a.ndim(), "unflatten");
  infer_shape(shape, static_cast<size_t>(a.shape()[axis]), "unflatten");
  Shape out(a.shape().begin(), a.shape().begin() + axis);
  out.insert(out.end(), shape.begin(), shape.end());
  out.insert(out.end(), a.shape().begin() + axis + 1, a.shape().end());
  return reshape(a, std::move(out), s);
}

array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  std::vector<int> sorted = unique_axes(axes, a.ndim(), "squeeze");
  if (sorted.empty()) return a;
  Shape shape;
  for (int d = 0, next = 0; d < a.ndim(); ++d) {
    if (next < static_cast<int>(sorted.size()) && sorted[next] == d) {
      EMBER_CHECK(a.shape()[d] == 1, ValueError, "[squeeze] cannot squeeze axis ", d,
                  " of size ", a.shape()[d]);
      ++next;
    } else {
      shape.push_back(a.shape()[d]);
    }
  }
  return array(std::move(shape), a.dtype(),
               std::make_shared<Squeeze>(to_stream(s), std::move(sorted)), {a});
}

array squeeze(const array& a, int axis, StreamOrDevice s) {
  return squeeze(a, std::vector<int>{axis}, s);
}

array squeeze(const array& a, StreamOrDevice s) {
  std::vector<int> axes;
  for (int d = 0; d < a.ndim(); ++d) {
    if (a.shape()[d] == 1) axes.push_back(d);
  }
  return squeeze(a, axes, s);
}

array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  if (axes.empty()) return a;
  const int out_ndim = a.ndim() + static_cast<int>(axes.size());
  std::vector<int> sorted = unique_axes(axes, out_ndim, "expand_dims");
  Shape shape(out_ndim);
  for (int d = 0, next = 0, source = 0; d < out_ndim; ++d) {
    if (next < static_cast<int>(sorted.size()) && sorted[next] == d) {
      shape[d] = 1;
      ++next;
    } else {
      shape[d] = a.shape()[source++];
    }
  }
  return array(std::move(shape), a.dtype(),
               std::make_shared<ExpandDims>(to_stream(s), std::move(sorted)), {a});
}

array expand_dims(const array& a, int axis, StreamOrDevice s) {
  return expand_dims(a, std::vector<int>{axis}, s);
}

array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s) {
  axis1 = normalize_axis(axis1, a.ndim(), "swapaxes");
  axis2 = normalize_axis(axis2, a.ndim(), "swapaxes");
  std::vector<int> order(a.ndim());
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[axis1], order[axis2]);
  return transpose(a, std::move(order), s);
}

array moveaxis(const array& a, int source, int destination, StreamOrDevice s) {
  source = normalize_axis(source, a.ndim(), "moveaxis");
  destination = normalize_axis(destination, a.ndim(), "moveaxis");
  std::vector<int> order(a.ndim());
  std::iota(order.begin(), order.end(), 0);
  order.erase(order.begin() + source);
  order.insert(order.begin() + destination, source);
  return transpose(a, std::move(order), s);
}

std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s) {
  if (inputs.size() <= 1) return inputs;
  Shape shape = inputs[0].shape();
  for (const auto& in : inputs) shape = broadcast_shapes(shape, in.shape(), "broadcast_arrays");
  std::vector<array> out;
  for (const auto& in : inputs) out.push_back(broadcast_to(in, shape, s));
  return out;
}

array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s) {
  EMBER_CHECK(!arrays.empty(), ValueError, "[stack] no arrays to stack");
  for (const auto& a : arrays) {
    EMBER_CHECK(a.shape() == arrays[0].shape(), ValueError,
                "[stack] all arrays need one shape; got ", shape_to_string(arrays[0].shape()),
                " and ", shape_to_string(a.shape()));
  }
  axis = normalize_axis(axis, arrays[0].ndim() + 1, "stack");
  std::vector<array> expanded;
  for (const auto& a : arrays) expanded.push_back(expand_dims(a, axis, s));
  return concatenate(std::move(expanded), axis, s);
}

array stack(const std::vector<array>& arrays, StreamOrDevice s) { return stack(arrays, 0, s); }

std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() > 0, ValueError, "[split] cannot split a 0-d array");
  axis = normalize_axis(axis, a.ndim(), "split");
  std::vector<array> parts;
  Shape start(a.ndim(), 0), stop = a.shape();
  for (size_t i = 0; i <= indices.size(); ++i) {
    stop[axis] = i < indices.size() ? indices[i] : a.shape()[axis];
    parts.push_back(slice(a, start, stop, s));
    start[axis] = stop[axis];
  }
  return parts;
}

std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s) {
  return split(a, indices, 0, s);
}

std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() > 0, ValueError, "[split] cannot split a 0-d array");
  axis = normalize_axis(axis, a.ndim(), "split");
  EMBER_CHECK(num_splits > 0, ValueError, "[split] num_splits must be positive, got ",
              num_splits);
  const int32_t n = a.shape()[axis];
  EMBER_CHECK(n % num_splits == 0, ValueError, "[split] axis ", axis, " of size ", n,
              " does not split into ", num_splits, " equal parts");
  Shape indices;
  for (int i = 1; i < num_splits; ++i) indices.push_back(i * (n / num_splits));
  return split(a, indices, axis, s);
}

std::vector<array> split(const array& a, int num_splits, StreamOrDevice s) {
  return split(a, num_splits, 0, s);
}

namespace {

array edge_pad(const array& a, const std::vector<int>& axes, const Shape& low, const Shape& high,
               StreamOrDevice s) {
  array out = a;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int axis = axes[i];
    if (low[i] == 0 && high[i] == 0) continue;
    EMBER_CHECK(a.shape()[axis] > 0, ValueError, "[pad] edge mode cannot pad empty axis ",
                axis);
    std::vector<array> parts;
    Shape start(out.ndim(), 0), stop = out.shape(), shape = out.shape();
    if (low[i] > 0) {
      stop[axis] = 1;
      shape[axis] = low[i];
      parts.push_back(broadcast_to(slice(out, start, stop, s), shape, s));
    }
    parts.push_back(out);
    if (high[i] > 0) {
      start[axis] = out.shape()[axis] - 1;
      stop[axis] = out.shape()[axis];
      shape[axis] = high[i];
      parts.push_back(broadcast_to(slice(out, start, stop, s), shape, s));
    }
    out = concatenate(std::move(parts), axis, s);
  }
  return out;
}

}  // namespace

array pad(const array& a, const std::vector<int>& axes, const Shape& low_pad_size,
          const Shape& high_pad_size, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  EMBER_CHECK(axes.size() == low_pad_size.size() && axes.size() == high_pad_size.size(),
              ValueError, "[pad] got ", axes.size(), " axes, ", low_pad_size.size(),
              " low and ", high_pad_size.size(), " high padding sizes");
  EMBER_CHECK(mode == "constant" || mode == "edge", ValueError, "[pad] unknown mode \"", mode,
              "\" (expected \"constant\" or \"edge\")");
  std::vector<int> normalized;
  for (int axis : axes) normalized.push_back(normalize_axis(axis, a.ndim(), "pad"));
  Shape out_shape = a.shape(), start(a.ndim(), 0);
  for (size_t i = 0; i < normalized.size(); ++i) {
    EMBER_CHECK(low_pad_size[i] >= 0 && high_pad_size[i] >= 0, ValueError,
                "[pad] padding sizes must be non-negative; got (", low_pad_size[i], ", ",
                high_pad_size[i], ") for axis ", axes[i]);
    out_shape[normalized[i]] += low_pad_size[i] + high_pad_size[i];
    start[normalized[i]] += low_pad_size[i];
  }
  if (mode == "edge") return edge_pad(a, normalized, low_pad_size, high_pad_size, s);
  EMBER_CHECK(pad_value.ndim() == 0, ValueError, "[pad] the pad value must be a scalar; got shape ",
              shape_to_string(pad_value.shape()));
  if (out_shape == a.shape()) return a;
  Shape stop = start;
  for (int d = 0; d < a.ndim(); ++d) stop[d] += a.shape()[d];
  const Stream stream = to_stream(s);
  array filled = full(out_shape, astype(pad_value, a.dtype(), stream), stream);
  return slice_update(filled, a, std::move(start), std::move(stop), stream);
}

array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width,
          const array& pad_value, const std::string& mode, StreamOrDevice s) {
  EMBER_CHECK(pad_width.size() == 1 || static_cast<int>(pad_width.size()) == a.ndim(), ValueError,
              "[pad] got ", pad_width.size(), " padding pairs for an array with ", a.ndim(),
              " dimensions");
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  Shape low, high;
  for (int d = 0; d < a.ndim(); ++d) {
    const auto& p = pad_width.size() == 1 ? pad_width[0] : pad_width[d];
    low.push_back(p.first);
    high.push_back(p.second);
  }
  return pad(a, axes, low, high, pad_value, mode, s);
}

array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  return pad(a, std::vector<std::pair<int, int>>(a.ndim(), pad_width), pad_value, mode, s);
}

array pad(const array& a, int pad_width, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  return pad(a, std::pair<int, int>{pad_width, pad_width}, pad_value, mode, s);
}

array tile(const array& a, std::vector<int> reps, StreamOrDevice s) {
  for (int r : reps) {
    EMBER_CHECK(r >= 0, ValueError, "[tile] repetitions must be non-negative; got ", r);
  }
  Shape shape = a.shape();
  if (reps.size() < shape.size()) reps.insert(reps.begin(), shape.size() - reps.size(), 1);
  if (shape.size() < reps.size()) shape.insert(shape.begin(), reps.size() - shape.size(), 1);
  Shape expanded, broadcast, final_shape;
  for (size_t d = 0; d < shape.size(); ++d) {
    expanded.insert(expanded.end(), {1, shape[d]});
    broadcast.insert(broadcast.end(), {reps[d], shape[d]});
    final_shape.push_back(reps[d] * shape[d]);
  }
  array x = broadcast_to(reshape(a, std::move(expanded), s), broadcast, s);
  return reshape(x, std::move(final_shape), s);
}

array repeat(const array& a, int repeats, int axis, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() > 0, ValueError, "[repeat] a 0-d array has no axis ", axis);
  axis = normalize_axis(axis, a.ndim(), "repeat");
  EMBER_CHECK(repeats >= 0, ValueError, "[repeat] repeats must be non-negative; got ", repeats);
  if (repeats == 1) return a;
  Shape shape = a.shape();
  shape.insert(shape.begin() + axis + 1, repeats);
  array x = broadcast_to(expand_dims(a, axis + 1, s), shape, s);
  shape.erase(shape.begin() + axis + 1);
  shape[axis] *= repeats;
  return reshape(x, std::move(shape), s);
}

array repeat(const array& a, int repeats, StreamOrDevice s) {
  return repeat(flatten(a, s), repeats, 0, s);
}

array roll(const array& a, const Shape& shift, const std::vector<int>& axes, StreamOrDevice s) {
  EMBER_CHECK(shift.size() == axes.size(), ValueError, "[roll] got ", shift.size(),
              " shifts for ", axes.size(), " axes");
  array out = a;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int axis = normalize_axis(axes[i], a.ndim(), "roll");
    const int32_t n = a.shape()[axis];
    if (n == 0) continue;
    const int32_t split_at = ((n - shift[i] % n) % n + n) % n;
    if (split_at == 0) continue;
    auto parts = split(out, Shape{split_at}, axis, s);
    out = concatenate({parts[1], parts[0]}, axis, s);
  }
  return out;
}

array roll(const array& a, int shift, StreamOrDevice s) {
  return reshape(roll(flatten(a, s), Shape{shift}, std::vector<int>{0}, s), a.shape(), s);
}

array roll(const array& a, const Shape& shift, StreamOrDevice s) {
  return roll(a, std::accumulate(shift.begin(), shift.end(), 0), s);
}

array roll(const array& a, int shift, int axis, StreamOrDevice s) {
  return roll(a, Shape{shift}, std::vector<int>{axis}, s);
}

array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s) {
  return roll(a, Shape(axes.size(), shift), axes, s);
}

array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s) {
  return roll(a, Shape{std::accumulate(shift.begin(), shift.end(), 0)}, std::vector<int>{axis},
              s);
}

array diagonal(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() >= 2, ValueError, "[diagonal] the array needs at least 2 dimensions; got ",
              a.ndim());
  axis1 = normalize_axis(axis1, a.ndim(), "diagonal");
  axis2 = normalize_axis(axis2, a.ndim(), "diagonal");
  EMBER_CHECK(axis1 != axis2, ValueError, "[diagonal] axis1 and axis2 are the same axis (",
              axis1, ")");
  const int64_t off1 = std::max(-static_cast<int64_t>(offset), int64_t{0});
  const int64_t off2 = std::max(static_cast<int64_t>(offset), int64_t{0});
  const int64_t size =
      std::max<int64_t>(std::min(a.shape()[axis1] - off1, a.shape()[axis2] - off2), 0);
  Shape shape;
  for (int d = 0; d < a.ndim(); ++d) {
    if (d != axis1 && d != axis2) shape.push_back(a.shape()[d]);
  }
  shape.push_back(static_cast<int32_t>(size));
  return array(std::move(shape), a.dtype(),
               std::make_shared<Diagonal>(to_stream(s), size == 0 ? 0 : offset, axis1, axis2),
               {a});
}

array diag(const array& a, int k, StreamOrDevice s) {
  if (a.ndim() == 2) return diagonal(a, k, 0, 1, s);
  EMBER_CHECK(a.ndim() == 1, ValueError, "[diag] the array must be 1-d or 2-d; got ", a.ndim(),
              " dimensions");
  const int32_t size = a.shape()[0];
  const int32_t n = size + std::abs(k);
  // The diagonal of an n x n matrix is every (n + 1)-th element of its flat storage.
  const int32_t first = k >= 0 ? k : -k * n;
  const Stream stream = to_stream(s);
  array flat = zeros({n * n}, a.dtype(), stream);
  flat = slice_update(flat, a, Shape{first}, Shape{first + size * (n + 1)}, Shape{n + 1}, stream);
  return reshape(flat, {n, n}, stream);
}

array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() >= 2, ValueError, "[trace] the array needs at least 2 dimensions; got ",
              a.ndim());
  const Stream stream = to_stream(s);
  return sum(astype(diagonal(a, offset, axis1, axis2, stream), dtype, stream), -1, false, stream);
}

array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  return trace(a, offset, axis1, axis2, a.dtype(), s);
}

array trace(const array& a, StreamOrDevice s) { return trace(a, 0, 0, 1, a.dtype(), s); }

array as_strided(const array& a, Shape shape, Strides strides, size_t offset, StreamOrDevice s) {
  EMBER_CHECK(shape.size() == strides.size(), ValueError, "[as_strided] got ", shape.size(),
              " dimensions but ", strides.size(), " strides");
  for (auto d : shape) {
    EMBER_CHECK(d >= 0, ValueError, "[as_strided] negative dimension in ", shape_to_string(shape));
  }
  if (shape_size(shape) > 0) {
    const Span span = reachable_span(shape, strides);
    const int64_t first = static_cast<int64_t>(offset);
    EMBER_CHECK(first + span.low >= 0 && first + span.high < static_cast<int64_t>(a.size()),
                ValueError, "[as_strided] shape ", shape_to_string(shape),
                " with these strides and offset ", offset, " reaches elements [", first + span.low,
                ", ", first + span.high, "] outside an array of ", a.size(), " elements");
  }
  const Stream stream = to_stream(s);
  Shape out_shape = shape;
  return array(std::move(out_shape), a.dtype(),
               std::make_shared<AsStrided>(stream, std::move(shape), std::move(strides),
                                           static_cast<int64_t>(offset)),
               {reshape(a, {-1}, stream)});
}

array view(const array& a, const Dtype& dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) return a;
  const int in_bytes = static_cast<int>(a.itemsize());
  const int out_bytes = static_cast<int>(size_of(dtype));
  Shape shape = a.shape();
  if (in_bytes != out_bytes) {
    EMBER_CHECK(a.ndim() > 0, ValueError, "[view] a 0-d array can only be viewed as a dtype of ",
                "the same size (", a.dtype(), " is ", in_bytes, " bytes, ", dtype, " is ",
                out_bytes, ")");
    if (out_bytes > in_bytes) {
      EMBER_CHECK(shape.back() % (out_bytes / in_bytes) == 0, ValueError,
                  "[view] viewing ", a.dtype(), " as ", dtype, " needs a last axis whose size ",
                  "in bytes is a multiple of ", out_bytes, "; got shape ", shape_to_string(shape));
      shape.back() /= out_bytes / in_bytes;
    } else {
      shape.back() *= in_bytes / out_bytes;
    }
  }
  return array(std::move(shape), dtype, std::make_shared<View>(to_stream(s), dtype), {a});
}

}  // namespace ember
