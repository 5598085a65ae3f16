#include "ember/core/shape.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "ember/core/errors.h"

namespace ember {

size_t shape_size(const Shape& shape) {
  size_t size = 1;
  for (auto dim : shape) size *= static_cast<size_t>(dim);
  return size;
}

Strides row_major_strides(const Shape& shape) {
  Strides strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * std::max<int64_t>(shape[i + 1], 1);
  }
  return strides;
}

std::string shape_to_string(const Shape& shape) {
  std::ostringstream out;
  out << "(";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << ")";
  return out.str();
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t ndim = std::max(a.size(), b.size());
  Shape out(ndim);
  for (size_t i = 0; i < ndim; ++i) {
    const int32_t da = i < ndim - a.size() ? 1 : a[i - (ndim - a.size())];
    const int32_t db = i < ndim - b.size() ? 1 : b[i - (ndim - b.size())];
    EMBER_CHECK(da == db || da == 1 || db == 1, ValueError, "[", op, "] shapes ",
                shape_to_string(a), " and ", shape_to_string(b), " cannot be broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int normalize_axis(int axis, int ndim, const char* op) {
  EMBER_CHECK(axis >= -ndim && axis < ndim, IndexError, "[", op, "] axis ", axis,
              " is out of bounds for an array with ", ndim, " dimensions");
  return axis < 0 ? axis + ndim : axis;
}

Flags compute_flags(const Shape& shape, const Strides& strides) {
  Flags flags;
  int64_t expected = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (strides[i] != expected) flags.row_contiguous = false;
    expected *= shape[i];
  }
  expected = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (strides[i] != expected) flags.col_contiguous = false;
    expected *= shape[i];
  }
  if (shape_size(shape) == 0) {
    flags.row_contiguous = flags.col_contiguous = true;
  }
  if (flags.row_contiguous || flags.col_contiguous) {
    flags.contiguous = true;
  } else {
    // Dense in some permuted order: sorted by stride, each stride is the product of
    // the extents inside it.
    std::vector<int> order(shape.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int x, int y) { return std::abs(strides[x]) < std::abs(strides[y]); });
    int64_t dense = 1;
    flags.contiguous = true;
    for (int axis : order) {
      if (shape[axis] == 1) continue;
      if (strides[axis] != dense) flags.contiguous = false;
      dense *= shape[axis];
    }
  }
  return flags;
}

Span reachable_span(const Shape& shape, const Strides& strides) {
  Span span;
  if (shape_size(shape) == 0) return span;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t extent = static_cast<int64_t>(shape[i] - 1) * strides[i];
    if (extent > 0) span.high += extent; else span.low += extent;
  }
  return span;
}

}  // namespace ember
