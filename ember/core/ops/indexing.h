// Ops: indexing and data movement beyond views (ops/indexing.cpp): take, gather, scatter,
// slice_update, ... MLX's names, argument order and defaults.
#pragma once

#include <initializer_list>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

// Index rules (all ops here): indices must have an integer dtype (TypeError). An index i
// into an axis of size n is valid in [-n, n); negatives wrap to i + n, as in MLX. Unlike
// MLX (which does not check and may read or write out of bounds), an index outside that
// range makes evaluation fail with IndexError naming the primitive ("[Gather] ...").
// Dynamic slice starts are the exception: they wrap, then clamp into range (as
// jax.lax.dynamic_slice), so a dynamic slice never fails at eval.

/// A slice of size slice_size (one entry per axis) whose start on `axes` is read from the
/// integer array `start` (0-d or 1-d, one value per axis) at eval; other axes start at 0.
array slice(const array& a, const array& start, std::vector<int> axes, Shape slice_size,
            StreamOrDevice s = {});
/// A copy of src with src[start:stop:strides] replaced by update (broadcast, cast to
/// src's dtype).
array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s = {});
array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s = {});
array slice_update(const array& src, const array& update, std::initializer_list<int> start,
                   Shape stop, StreamOrDevice s = {});
array slice_update(const array& src, const array& update, std::initializer_list<int> start,
                   Shape stop, Shape strides, StreamOrDevice s = {});
/// A copy of src with update written at a start read from `start` at eval (one value per
/// axis in `axes`; other axes start at 0). update's missing leading axes broadcast.
array slice_update(const array& src, const array& update, const array& start,
                   std::vector<int> axes, StreamOrDevice s = {});

/// Slices of a at `indices` along `axis`: the output has a's shape with `axis` replaced by
/// the indices' shape.
array take(const array& a, const array& indices, int axis, StreamOrDevice s = {});
array take(const array& a, int index, int axis, StreamOrDevice s = {});
/// Elements of the flattened array.
array take(const array& a, const array& indices, StreamOrDevice s = {});
array take(const array& a, int index, StreamOrDevice s = {});
/// out[..., i, ...] = a[..., indices[..., i, ...], ...] along `axis`; indices and a
/// broadcast on the other axes.
array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s = {});
/// A copy of a with values (broadcast to the indices) written at indices along `axis`.
/// Repeated indices: the last value in row-major order wins.
array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s = {});
/// Like put_along_axis, adding the values (repeated indices accumulate).
array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s = {});

/// Slices of shape slice_sizes starting at the indexed positions: indices[k] gives the
/// start on axes[k] (other axes start at 0); the index arrays broadcast to a shape I and
/// the output has shape I + slice_sizes.
array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes, StreamOrDevice s = {});
array gather(const array& a, const array& indices, int axis, const Shape& slice_sizes,
             StreamOrDevice s = {});

/// A copy of a with `updates` (shape I + window, window[d] <= a.shape(d)) written at the
/// windows that start at the indexed positions. Repeated positions: for scatter the last
/// update in row-major order wins; the others combine every update.
array scatter(const array& a, const std::vector<array>& indices, const array& updates,
              const std::vector<int>& axes, StreamOrDevice s = {});
array scatter(const array& a, const array& indices, const array& updates, int axis,
              StreamOrDevice s = {});
array scatter_add(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_add(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});
array scatter_prod(const array& a, const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_prod(const array& a, const array& indices, const array& updates, int axis,
                   StreamOrDevice s = {});
array scatter_max(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_max(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});
array scatter_min(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_min(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});

}  // namespace ember
