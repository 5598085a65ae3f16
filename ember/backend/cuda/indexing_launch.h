// Launchers of the indexing, sort and scan kernels (indexing.cu, sort.cu, scan.cu), called
// by their host sides (indexing.cpp, sort.cpp, scan.cpp). Like launch.h: raw pointers and
// collapsed layouts, enqueued on cuda::current_stream(), never throwing for bad data.
#pragma once

#include <cstdint>

#include "ember/backend/cuda/launch.h"

namespace ember::cuda {

/// Most index arrays a Gather or Scatter takes on the GPU (one per indexed axis).
inline constexpr int kMaxIndexArrays = kMaxDims;

/// Written by a kernel that meets an index outside its axis (see Note [GPU index errors] in
/// indexing.cpp): the first offender wins `flag`, then records which array and value.
struct IndexFault {
  int32_t flag;
  int32_t array;  // which index array (its position among the index inputs)
  int64_t value;  // the offending index as given (before wrapping)
};

/// The indexed axes of a Gather or Scatter: index array j holds `count` int64 values,
/// contiguous at indices + j * count, and selects a window of `window[j]` elements that
/// must fit an axis of `axis_size[j]` elements spaced `axis_stride[j]` apart.
struct IndexedAxes {
  int num_arrays = 0;
  int64_t count = 1;
  int64_t axis_size[kMaxIndexArrays] = {};
  int64_t window[kMaxIndexArrays] = {};
  int64_t axis_stride[kMaxIndexArrays] = {};
};

/// out[i * window_size + e] = a[base(i) + window_layout(e)], for i < axes.count.
void launch_gather(size_t itemsize, const void* a, void* out, const int64_t* indices,
                   const IndexedAxes& axes, const Layout<1>& window_layout, int64_t window_size,
                   IndexFault* fault);

/// For each element u of updates (layout over its full shape, i = u / window_size,
/// e = u % window_size): out[base(i) + window_layout(e)] op= updates[u].
/// reduce: 0 none, 1 sum, 2 prod, 3 max, 4 min (Scatter::ReduceType's order).
void launch_scatter(Dtype dtype, int reduce, const void* updates, const Layout<1>& update_layout,
                    int64_t update_size, void* out, const int64_t* indices,
                    const IndexedAxes& axes, const Layout<1>& window_layout, int64_t window_size,
                    IndexFault* fault);

/// take_along_axis: out[u] = a[walk(u) + wrap(indices[u]) * step], layout over out's shape
/// with a's walk strides (0 on the axis and on broadcast dims).
void launch_gather_axis(size_t itemsize, const void* a, void* out, const int64_t* indices,
                        const Layout<1>& walk, int64_t size, int64_t axis_size, int64_t step,
                        IndexFault* fault);

/// put_along_axis (sum = false) / scatter_add_axis (sum = true): for each element u of the
/// updates' shape, out[walk(u) + wrap(indices[u]) * step] (op)= updates[upd(u)].
void launch_scatter_axis(Dtype dtype, bool sum, const void* updates, void* out,
                         const int64_t* indices, const Layout<2>& layout, int64_t size,
                         int64_t axis_size, int64_t step, IndexFault* fault);

/// Start positions of a dynamic slice read on the device: value j of `start` (dtype
/// start_dtype, `start_step` elements apart) is wrapped and clamped into [0, axis_size[j] -
/// window[j]] and moves the window by axis_stride[j].
struct DynamicStart {
  const void* start = nullptr;
  Dtype start_dtype = int32;
  int64_t start_step = 0;
  int num_axes = 0;
  int64_t axis_size[kMaxDims] = {};
  int64_t window[kMaxDims] = {};
  int64_t axis_stride[kMaxDims] = {};
};

/// dst[layout_1(i) (+ start offset if on_dst)] = src[layout_0(i) (+ start offset if !on_dst)]
/// over `size` elements of `itemsize` bytes.
void launch_dynamic_copy(size_t itemsize, const void* src, void* dst, const Layout<2>& layout,
                         int64_t size, const DynamicStart& start, bool on_dst);

// ---- sort (sort.cu) ----
/// Sorts `rows` rows of `length` elements (row r, element j at in[row_layout_0(r) + j *
/// in_step]) stably, NaNs last; writes the values (indices = false) or uint32 indices to
/// out[row_layout_1(r) + j * out_step]. Needs rows * length < 2^31. `scratch` gives device
/// memory held until the task completes (cuda::temporary).
void launch_sort_rows(Dtype dtype, bool indices, const void* in, void* out,
                      const Layout<2>& row_layout, int64_t rows, int64_t length, int64_t in_step,
                      int64_t out_step, void* (*scratch)(size_t bytes));

// ---- scan (scan.cu) ----
/// Cumulative `type` (Scan::Type's order: sum, prod, max, min, logaddexp) along lines of
/// `length` elements: line r at in[line_layout_0(r) + k * in_step], out likewise.
void launch_scan(Dtype dtype, int type, bool reverse, bool inclusive, const void* in, void* out,
                 const Layout<2>& line_layout, int64_t lines, int64_t length, int64_t in_step,
                 int64_t out_step);

}  // namespace ember::cuda
