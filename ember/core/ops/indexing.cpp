// Indexing ops: dynamic slice and slice_update, take, take_along_axis, put_along_axis,
// scatter_add_axis, gather, scatter (and its add/prod/max/min forms). The static
// slice_update lives in shape.cpp next to slice. Index rules: see ops/indexing.h.
#include <algorithm>
#include <numeric>

#include "ember/core/ops.h"
#include "ember/core/primitives/indexing.h"

namespace ember {
namespace {

void check_index_dtype(const array& indices, const char* op) {
  EMBER_CHECK(is_integral(indices.dtype()), TypeError, "[", op,
              "] indices must have an integer dtype; got ", indices.dtype());
}

// Normalises the axes of a dynamic slice and checks `start`.
void check_dynamic_start(const array& a, const array& start, std::vector<int>& axes,
                         const char* op) {
  EMBER_CHECK(start.ndim() <= 1, ValueError, "[", op, "] start must be 0-d or 1-d; got shape ",
              shape_to_string(start.shape()));
  EMBER_CHECK(start.size() == axes.size(), ValueError, "[", op, "] got ", start.size(),
              " start values for ", axes.size(), " axes");
  check_index_dtype(start, op);
  std::vector<bool> seen(a.ndim(), false);
  for (auto& axis : axes) {
    axis = normalize_axis(axis, a.ndim(), op);
    EMBER_CHECK(!seen[axis], ValueError, "[", op, "] axis ", axis, " is repeated");
    seen[axis] = true;
  }
}

// Checks the index arrays and axes of gather/scatter; returns the indices broadcast to one
// shape, with one integer dtype.
std::vector<array> prepare_indices(const array& a, const std::vector<array>& indices,
                                   std::vector<int>& axes, const char* op, const Stream& stream) {
  EMBER_CHECK(indices.size() == axes.size(), ValueError, "[", op, "] got ", indices.size(),
              " index arrays for ", axes.size(), " axes");
  std::vector<bool> seen(a.ndim(), false);
  for (auto& axis : axes) {
    axis = normalize_axis(axis, a.ndim(), op);
    EMBER_CHECK(!seen[axis], ValueError, "[", op, "] axis ", axis, " is repeated");
    seen[axis] = true;
  }
  if (indices.empty()) return {};
  Dtype dtype = indices[0].dtype();
  for (const auto& idx : indices) {
    check_index_dtype(idx, op);
    dtype = promote_types(dtype, idx.dtype());
  }
  std::vector<array> out = broadcast_arrays(indices, stream);
  for (auto& idx : out) idx = astype(idx, dtype, stream);
  return out;
}

array scatter_impl(const array& a, const std::vector<array>& indices, const array& updates,
                   std::vector<int> axes, Scatter::ReduceType reduce, const char* op,
                   StreamOrDevice s) {
  const Stream stream = to_stream(s);
  std::vector<array> inputs = prepare_indices(a, indices, axes, op, stream);
  const Shape index_shape = inputs.empty() ? Shape{} : inputs[0].shape();
  EMBER_CHECK(updates.ndim() == static_cast<int>(index_shape.size()) + a.ndim(), ValueError,
              "[", op, "] updates of shape ", shape_to_string(updates.shape()),
              " need the index shape ", shape_to_string(index_shape), " followed by ", a.ndim(),
              " window dimensions");
  for (size_t d = 0; d < index_shape.size(); ++d) {
    EMBER_CHECK(updates.shape()[d] == index_shape[d], ValueError, "[", op, "] updates of shape ",
                shape_to_string(updates.shape()), " do not start with the index shape ",
                shape_to_string(index_shape));
  }
  for (int d = 0; d < a.ndim(); ++d) {
    EMBER_CHECK(updates.shape()[index_shape.size() + d] <= a.shape()[d], ValueError, "[", op,
                "] updates of shape ", shape_to_string(updates.shape()),
                " have a window larger than the array of shape ", shape_to_string(a.shape()));
  }
  inputs.insert(inputs.begin(), a);
  inputs.push_back(astype(updates, a.dtype(), stream));
  return array(a.shape(), a.dtype(), std::make_shared<Scatter>(stream, reduce, std::move(axes)),
               std::move(inputs));
}

// For take_along_axis and its scatter forms: checks and returns the broadcast index shape.
Shape along_axis_shape(const array& a, const array& indices, int& axis, const char* op) {
  EMBER_CHECK(a.ndim() > 0, ValueError, "[", op, "] a 0-d array has no axis ", axis);
  axis = normalize_axis(axis, a.ndim(), op);
  check_index_dtype(indices, op);
  EMBER_CHECK(indices.ndim() == a.ndim(), ValueError, "[", op, "] indices of shape ",
              shape_to_string(indices.shape()), " need as many dimensions as a ",
              shape_to_string(a.shape()));
  Shape shape = indices.shape();
  for (int d = 0; d < a.ndim(); ++d) {
    if (d == axis) continue;
    const int32_t ad = a.shape()[d], id = indices.shape()[d];
    EMBER_CHECK(ad == id || ad == 1 || id == 1, ValueError, "[", op, "] indices of shape ",
                shape_to_string(indices.shape()), " do not broadcast against a of shape ",
                shape_to_string(a.shape()), " outside axis ", axis);
    shape[d] = ad == 1 ? id : ad;
  }
  return shape;
}

array scatter_axis_impl(const array& a, const array& indices, const array& values, int axis,
                        ScatterAxis::ReduceType reduce, const char* op, StreamOrDevice s) {
  Shape shape = along_axis_shape(a, indices, axis, op);
  EMBER_CHECK(indices.size() == 0 || a.shape()[axis] > 0, IndexError, "[", op,
              "] cannot index the empty axis ", axis);
  const Stream stream = to_stream(s);
  array idx = broadcast_to(indices, shape, stream);
  array upd = broadcast_to(astype(values, a.dtype(), stream), shape, stream);
  return array(a.shape(), a.dtype(), std::make_shared<ScatterAxis>(stream, reduce, axis),
               {a, idx, upd});
}

}  // namespace

array slice(const array& a, const array& start, std::vector<int> axes, Shape slice_size,
            StreamOrDevice s) {
  check_dynamic_start(a, start, axes, "slice");
  EMBER_CHECK(static_cast<int>(slice_size.size()) == a.ndim(), ValueError, "[slice] got ",
              slice_size.size(), " slice sizes for an array with ", a.ndim(), " dimensions");
  for (int d = 0; d < a.ndim(); ++d) {
    EMBER_CHECK(slice_size[d] >= 0 && slice_size[d] <= a.shape()[d], ValueError,
                "[slice] slice size ", shape_to_string(slice_size),
                " does not fit in an array of shape ", shape_to_string(a.shape()));
  }
  Shape out_shape = slice_size;
  return array(std::move(out_shape), a.dtype(),
               std::make_shared<DynamicSlice>(to_stream(s), std::move(axes), std::move(slice_size)),
               {a, start});
}

array slice_update(const array& src, const array& update, const array& start,
                   std::vector<int> axes, StreamOrDevice s) {
  check_dynamic_start(src, start, axes, "slice_update");
  EMBER_CHECK(update.ndim() <= src.ndim(), ValueError, "[slice_update] an update of shape ",
              shape_to_string(update.shape()), " has more dimensions than src ",
              shape_to_string(src.shape()));
  // Missing leading axes of the update take src's extent (size 1 on the sliced axes).
  const int lead = src.ndim() - update.ndim();
  Shape shape(src.shape().begin(), src.shape().begin() + lead);
  shape.insert(shape.end(), update.shape().begin(), update.shape().end());
  for (int axis : axes) {
    if (axis < lead) shape[axis] = 1;
  }
  for (int d = lead; d < src.ndim(); ++d) {
    EMBER_CHECK(shape[d] <= src.shape()[d], ValueError, "[slice_update] an update of shape ",
                shape_to_string(update.shape()), " does not fit in src of shape ",
                shape_to_string(src.shape()));
  }
  const Stream stream = to_stream(s);
  array upd = broadcast_to(astype(update, src.dtype(), stream), shape, stream);
  return array(src.shape(), src.dtype(),
               std::make_shared<DynamicSliceUpdate>(stream, std::move(axes)), {src, upd, start});
}

array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  std::vector<int> normalized = axes;
  std::vector<array> inputs = prepare_indices(a, indices, normalized, "gather", stream);
  EMBER_CHECK(static_cast<int>(slice_sizes.size()) == a.ndim(), ValueError, "[gather] got ",
              slice_sizes.size(), " slice sizes for an array with ", a.ndim(), " dimensions");
  for (int d = 0; d < a.ndim(); ++d) {
    EMBER_CHECK(slice_sizes[d] >= 0 && slice_sizes[d] <= a.shape()[d], ValueError,
                "[gather] slice sizes ", shape_to_string(slice_sizes),
                " do not fit in an array of shape ", shape_to_string(a.shape()));
  }
  Shape out_shape = inputs.empty() ? Shape{} : inputs[0].shape();
  out_shape.insert(out_shape.end(), slice_sizes.begin(), slice_sizes.end());
  inputs.insert(inputs.begin(), a);
  return array(std::move(out_shape), a.dtype(),
               std::make_shared<Gather>(stream, std::move(normalized), slice_sizes),
               std::move(inputs));
}

array gather(const array& a, const array& indices, int axis, const Shape& slice_sizes,
             StreamOrDevice s) {
  return gather(a, std::vector<array>{indices}, std::vector<int>{axis}, slice_sizes, s);
}

array take(const array& a, const array& indices, int axis, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() > 0, ValueError, "[take] a 0-d array has no axis ", axis);
  axis = normalize_axis(axis, a.ndim(), "take");
  check_index_dtype(indices, "take");
  EMBER_CHECK(indices.size() == 0 || a.shape()[axis] > 0, IndexError,
              "[take] cannot take from the empty axis ", axis);
  const Stream stream = to_stream(s);
  Shape slice_sizes = a.shape();
  slice_sizes[axis] = 1;
  array out = gather(a, indices, axis, slice_sizes, stream);
  // out has shape (indices..., a[:axis], 1, a[axis+1:]): drop the 1 and move the index
  // dimensions into place of the axis.
  const int ni = indices.ndim();
  out = squeeze(out, ni + axis, stream);
  std::vector<int> order;
  for (int d = 0; d < axis; ++d) order.push_back(ni + d);
  for (int d = 0; d < ni; ++d) order.push_back(d);
  for (int d = axis; d < a.ndim() - 1; ++d) order.push_back(ni + d);
  return transpose(out, std::move(order), stream);
}

array take(const array& a, int index, int axis, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() > 0, ValueError, "[take] a 0-d array has no axis ", axis);
  axis = normalize_axis(axis, a.ndim(), "take");
  const int32_t n = a.shape()[axis];
  EMBER_CHECK(index >= -n && index < n, IndexError, "[take] index ", index,
              " is out of bounds for axis ", axis, " of size ", n);
  if (index < 0) index += n;
  Shape start(a.ndim(), 0), stop = a.shape();
  start[axis] = index;
  stop[axis] = index + 1;
  return squeeze(slice(a, std::move(start), std::move(stop), s), axis, s);
}

array take(const array& a, const array& indices, StreamOrDevice s) {
  return take(flatten(a, s), indices, 0, s);
}

array take(const array& a, int index, StreamOrDevice s) {
  return take(flatten(a, s), index, 0, s);
}

array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s) {
  Shape shape = along_axis_shape(a, indices, axis, "take_along_axis");
  EMBER_CHECK(indices.size() == 0 || a.shape()[axis] > 0, IndexError,
              "[take_along_axis] cannot take from the empty axis ", axis);
  const Stream stream = to_stream(s);
  array idx = broadcast_to(indices, shape, stream);
  return array(std::move(shape), a.dtype(), std::make_shared<GatherAxis>(stream, axis), {a, idx});
}

array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s) {
  return scatter_axis_impl(a, indices, values, axis, ScatterAxis::ReduceType::none,
                           "put_along_axis", s);
}

array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s) {
  return scatter_axis_impl(a, indices, values, axis, ScatterAxis::ReduceType::sum,
                           "scatter_add_axis", s);
}

array scatter(const array& a, const std::vector<array>& indices, const array& updates,
              const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl(a, indices, updates, axes, Scatter::ReduceType::none, "scatter", s);
}
array scatter(const array& a, const array& indices, const array& updates, int axis,
              StreamOrDevice s) {
  return scatter(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}
array scatter_add(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl(a, indices, updates, axes, Scatter::ReduceType::sum, "scatter_add", s);
}
array scatter_add(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s) {
  return scatter_add(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}
array scatter_prod(const array& a, const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl(a, indices, updates, axes, Scatter::ReduceType::prod, "scatter_prod", s);
}
array scatter_prod(const array& a, const array& indices, const array& updates, int axis,
                   StreamOrDevice s) {
  return scatter_prod(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}
array scatter_max(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl(a, indices, updates, axes, Scatter::ReduceType::max, "scatter_max", s);
}
array scatter_max(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s) {
  return scatter_max(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}
array scatter_min(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl(a, indices, updates, axes, Scatter::ReduceType::min, "scatter_min", s);
}
array scatter_min(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s) {
  return scatter_min(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}

}  // namespace ember
