// Shapes and strides (in elements), and the small helpers every op needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ember {

using Shape = std::vector<int32_t>;
using Strides = std::vector<int64_t>;

/// Number of elements of `shape` (1 for a 0-d shape).
size_t shape_size(const Shape& shape);
/// Row-major (C order) strides of `shape`.
Strides row_major_strides(const Shape& shape);
/// NumPy broadcasting of two shapes; throws ValueError naming `op` if they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast_shapes");
/// Maps a possibly negative axis into [0, ndim); throws IndexError naming `op` if out of range.
int normalize_axis(int axis, int ndim, const char* op);
/// "(2,3,4)" for messages.
std::string shape_to_string(const Shape& shape);

/// Layout facts about a strided view, derived from its shape and strides.
struct Flags {
  bool row_contiguous = true;  ///< strides are row-major (dims of size 1 ignored)
  bool col_contiguous = true;  ///< strides are column-major (dims of size 1 ignored)
  bool contiguous = true;      ///< the elements fill a dense block with no gaps or repeats
};
Flags compute_flags(const Shape& shape, const Strides& strides);

/// Element offsets, relative to the view's first element, of the lowest and highest
/// element the view can reach. Both are 0 for an empty or 0-d view.
struct Span {
  int64_t low = 0;
  int64_t high = 0;
};
Span reachable_span(const Shape& shape, const Strides& strides);

}  // namespace ember
