// Shape ops: reshape, transpose, broadcast_to, slice (and slice_update), concatenate, copy,
// contiguous. The derived shape ops live in shape_ops.cpp, the products in contract.cpp.
#include <algorithm>
#include <numeric>

#include "ember/core/ops.h"
#include "ember/core/primitives/indexing.h"
#include "ember/core/primitives/shape.h"
#include "ember/core/storage.h"

namespace ember {

array reshape(const array& a, Shape shape, StreamOrDevice s) {
  int infer = -1;
  size_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      EMBER_CHECK(infer < 0, ValueError, "[reshape] at most one dimension can be -1, got ",
                  shape_to_string(shape));
      infer = static_cast<int>(i);
    } else {
      EMBER_CHECK(shape[i] >= 0, ValueError, "[reshape] negative dimension in shape ",
                  shape_to_string(shape));
      known *= static_cast<size_t>(shape[i]);
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known > 0 && a.size() % known == 0, ValueError, "[reshape] cannot reshape an array of size ",
                a.size(), " into shape ", shape_to_string(shape));
    shape[infer] = static_cast<int32_t>(a.size() / known);
    known *= static_cast<size_t>(shape[infer]);
  }
  EMBER_CHECK(known == a.size(), ValueError, "[reshape] cannot reshape an array of size ",
              a.size(), " into shape ", shape_to_string(shape));
  if (shape == a.shape()) return a;
  const Stream stream = to_stream(s);
  Shape out_shape = shape;
  return array(std::move(out_shape), a.dtype(), std::make_shared<Reshape>(stream, std::move(shape)),
               {a});
}

array transpose(const array& a, std::vector<int> axes, StreamOrDevice s) {
  EMBER_CHECK(static_cast<int>(axes.size()) == a.ndim(), ValueError, "[transpose] got ",
              axes.size(), " axes for an array with ", a.ndim(), " dimensions");
  std::vector<bool> seen(axes.size(), false);
  Shape shape(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    axes[i] = normalize_axis(axes[i], a.ndim(), "transpose");
    EMBER_CHECK(!seen[axes[i]], ValueError, "[transpose] axis ", axes[i], " repeated");
    seen[axes[i]] = true;
    shape[i] = a.shape()[axes[i]];
  }
  bool identity = true;
  for (size_t i = 0; i < axes.size(); ++i) identity &= axes[i] == static_cast<int>(i);
  if (identity) return a;
  const Stream stream = to_stream(s);
  return array(std::move(shape), a.dtype(), std::make_shared<Transpose>(stream, std::move(axes)),
               {a});
}

array transpose(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.rbegin(), axes.rend(), 0);
  return transpose(a, std::move(axes), s);
}

array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s) {
  if (a.shape() == shape) return a;
  bool ok = shape.size() >= a.shape().size();
  for (size_t i = 0; ok && i < a.shape().size(); ++i) {
    const int32_t from = a.shape()[a.shape().size() - 1 - i];
    const int32_t to = shape[shape.size() - 1 - i];
    ok = from == to || from == 1;
  }
  for (auto dim : shape) ok = ok && dim >= 0;
  EMBER_CHECK(ok, ValueError, "[broadcast_to] cannot broadcast an array of shape ",
              shape_to_string(a.shape()), " to shape ", shape_to_string(shape));
  const Stream stream = to_stream(s);
  Shape out_shape = shape;
  return array(std::move(out_shape), a.dtype(), std::make_shared<Broadcast>(stream, shape), {a});
}

namespace {

// NumPy's rules for start:stop:step on each axis: fills `start` (in range, or 0 for an
// empty axis) and returns the slice's shape. Throws naming `op`.
Shape normalize_slice(const Shape& in_shape, Shape& start, Shape& stop, const Shape& strides,
                      const char* op) {
  const int ndim = static_cast<int>(in_shape.size());
  EMBER_CHECK(static_cast<int>(start.size()) == ndim && static_cast<int>(stop.size()) == ndim &&
                  static_cast<int>(strides.size()) == ndim,
              ValueError, "[", op, "] start, stop and strides must each have ", ndim,
              " entries for an array of shape ", shape_to_string(in_shape));
  Shape shape(ndim);
  for (int i = 0; i < ndim; ++i) {
    const int64_t n = in_shape[i];
    const int64_t step = strides[i];
    EMBER_CHECK(step != 0, ValueError, "[", op, "] step of axis ", i, " is zero");
    int64_t lo = start[i] < 0 ? start[i] + n : start[i];
    int64_t hi = stop[i] < 0 ? stop[i] + n : stop[i];
    int64_t size = 0;
    if (step > 0) {
      lo = std::clamp<int64_t>(lo, 0, n);
      hi = std::clamp<int64_t>(hi, 0, n);
      size = hi > lo ? (hi - lo + step - 1) / step : 0;
    } else {
      lo = std::clamp<int64_t>(lo, -1, n - 1);
      hi = std::clamp<int64_t>(hi, -1, n - 1);
      size = lo > hi ? (lo - hi - step - 1) / -step : 0;
    }
    if (size == 0) lo = 0;  // the offset of an empty axis does not matter; keep it in range
    start[i] = static_cast<int32_t>(lo);
    stop[i] = static_cast<int32_t>(hi);
    shape[i] = static_cast<int32_t>(size);
  }
  return shape;
}

bool is_whole(const array& a, const Shape& shape, const Shape& strides) {
  for (int i = 0; i < a.ndim(); ++i) {
    if (strides[i] != 1 || shape[i] != a.shape()[i]) return false;
  }
  return true;
}

}  // namespace

array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s) {
  Shape shape = normalize_slice(a.shape(), start, stop, strides, "slice");
  if (is_whole(a, shape, strides)) return a;
  const Stream stream = to_stream(s);
  return array(std::move(shape), a.dtype(),
               std::make_shared<Slice>(stream, std::move(start), std::move(stop), std::move(strides)),
               {a});
}

array slice(const array& a, std::initializer_list<int> start, Shape stop, Shape strides,
            StreamOrDevice s) {
  return slice(a, Shape(start), std::move(stop), std::move(strides), s);
}

array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s) {
  Shape shape = normalize_slice(src.shape(), start, stop, strides, "slice_update");
  const Stream stream = to_stream(s);
  EMBER_CHECK(update.ndim() <= src.ndim(), ValueError, "[slice_update] an update of shape ",
              shape_to_string(update.shape()), " cannot fill a slice of shape ",
              shape_to_string(shape));
  array upd = astype(update, src.dtype(), stream);
  Shape b = broadcast_shapes(update.shape(), shape, "slice_update");
  EMBER_CHECK(b == shape, ValueError, "[slice_update] an update of shape ",
              shape_to_string(update.shape()), " cannot fill a slice of shape ",
              shape_to_string(shape));
  upd = broadcast_to(upd, shape, stream);
  if (is_whole(src, shape, strides)) return upd;
  return array(src.shape(), src.dtype(),
               std::make_shared<SliceUpdate>(stream, std::move(start), std::move(stop),
                                             std::move(strides)),
               {src, upd});
}

array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s) {
  return slice_update(src, update, std::move(start), std::move(stop), Shape(src.ndim(), 1), s);
}

array slice_update(const array& src, const array& update, std::initializer_list<int> start,
                   Shape stop, StreamOrDevice s) {
  return slice_update(src, update, Shape(start), std::move(stop), s);
}

array slice_update(const array& src, const array& update, std::initializer_list<int> start,
                   Shape stop, Shape strides, StreamOrDevice s) {
  return slice_update(src, update, Shape(start), std::move(stop), std::move(strides), s);
}

array slice(const array& a, Shape start, Shape stop, StreamOrDevice s) {
  return slice(a, std::move(start), std::move(stop), Shape(a.ndim(), 1), s);
}

array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s) {
  EMBER_CHECK(!arrays.empty(), ValueError, "[concatenate] no arrays to concatenate");
  const int ndim = arrays[0].ndim();
  EMBER_CHECK(ndim > 0, ValueError, "[concatenate] 0-d arrays cannot be concatenated");
  axis = normalize_axis(axis, ndim, "concatenate");
  Dtype dtype = arrays[0].dtype();
  Shape shape = arrays[0].shape();
  shape[axis] = 0;
  for (const auto& a : arrays) {
    EMBER_CHECK(a.ndim() == ndim, ValueError, "[concatenate] all arrays need ", ndim,
                " dimensions; got shapes ", shape_to_string(arrays[0].shape()), " and ",
                shape_to_string(a.shape()));
    for (int i = 0; i < ndim; ++i) {
      EMBER_CHECK(i == axis || a.shape()[i] == arrays[0].shape()[i], ValueError,
                  "[concatenate] shapes ", shape_to_string(arrays[0].shape()), " and ",
                  shape_to_string(a.shape()), " differ outside axis ", axis);
    }
    shape[axis] += a.shape()[axis];
    dtype = promote_types(dtype, a.dtype());
  }
  const Stream stream = to_stream(s);
  for (auto& a : arrays) a = astype(a, dtype, stream);
  if (arrays.size() == 1) return arrays[0];
  return array(std::move(shape), dtype, std::make_shared<Concatenate>(stream, axis),
               std::move(arrays));
}

array concatenate(std::vector<array> arrays, StreamOrDevice s) {
  for (auto& a : arrays) a = reshape(a, {-1}, s);
  return concatenate(std::move(arrays), 0, s);
}

array copy(array a, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  Shape shape = a.shape();
  const Dtype dtype = a.dtype();
  return array(std::move(shape), dtype, std::make_shared<Copy>(stream), {std::move(a)});
}

array contiguous(const array& a, bool allow_col_major, StreamOrDevice s) {
  // An evaluated array that already owns exactly its bytes in the wanted layout is kept.
  if (a.is_available()) {
    const auto storage = a.storage();
    const Flags flags = a.flags();
    if (storage && a.offset() == 0 && storage->size() == a.nbytes() &&
        (flags.row_contiguous || (allow_col_major && flags.col_contiguous))) {
      return a;
    }
  }
  return copy(a, s);
}

}  // namespace ember
