// Indexing kernels: Gather, Scatter (plain or combining with atomics), GatherAxis,
// ScatterAxis and the dynamic-slice copies. One element per thread, grid-stride. Index
// arrays arrive as contiguous int64 (the host converts them); a bad index is recorded in
// an IndexFault and its element skipped, never dereferenced (see Note [GPU index errors]
// in indexing.cpp). Data moves as raw words of the item size; only combining scatters
// dispatch on the dtype. Plain scatters with repeated indices keep an arbitrary one of the
// updates (the CPU keeps the last). Host side: indexing.cpp.
#include <cmath>
#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/atomic.cuh"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/backend/cuda/indexing_launch.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ void report(IndexFault* fault, int array, int64_t value) {
  if (atomicCAS(&fault->flag, 0, 1) == 0) {
    fault->array = array;
    fault->value = value;
  }
}

// The wrapped start of a window at `index`, or -1 (and a report) if it does not fit.
__device__ __forceinline__ int64_t checked_start(int64_t index, int64_t n, int64_t window,
                                                 int array, IndexFault* fault) {
  const int64_t start = index < 0 ? index + n : index;
  if (start < 0 || start + window > n) {
    report(fault, array, index);
    return -1;
  }
  return start;
}

// The element offset of window i of the indexed axes, or -1 after a report.
__device__ __forceinline__ int64_t window_base(const int64_t* indices, const IndexedAxes& axes,
                                               int64_t i, IndexFault* fault) {
  int64_t base = 0;
  for (int j = 0; j < axes.num_arrays; ++j) {
    const int64_t start =
        checked_start(indices[j * axes.count + i], axes.axis_size[j], axes.window[j], j, fault);
    if (start < 0) return -1;
    base += start * axes.axis_stride[j];
  }
  return base;
}

template <class W>
__global__ void gather_kernel(const W* a, W* out, const int64_t* indices, IndexedAxes axes,
                              Layout<1> window_layout, int64_t window_size, IndexFault* fault) {
  const int64_t size = axes.count * window_size;
  for (int64_t u = device::thread_start(1); u < size; u += device::grid_stride(1)) {
    const int64_t base = window_base(indices, axes, u / window_size, fault);
    if (base < 0) continue;
    int64_t offset[1];
    device::strided_offsets<1>(window_layout, u % window_size, offset);
    out[u] = a[base + offset[0]];
  }
}

template <class T>
__device__ __forceinline__ bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return isnan(x);
  } else if constexpr (HalfFloat<T>) {
    return isnan(static_cast<float>(x));
  } else {
    return false;
  }
}

template <class T>
__device__ __forceinline__ bool greater(T x, T y) {
  if constexpr (HalfFloat<T>) {
    return static_cast<float>(x) > static_cast<float>(y);
  } else {
    return x > y;
  }
}

// The combining rules of core Scatter's CPU kernel; NaN wins max and min.
template <class T>
__device__ __forceinline__ void combine_into(int reduce, T* target, T update) {
  switch (reduce) {
    case 1: device::atomic_add(target, update); return;
    case 2:
      device::atomic_update(target, [update](T current) {
        if constexpr (std::is_same_v<T, bool>) return static_cast<bool>(current && update);
        else if constexpr (HalfFloat<T>)
          return static_cast<T>(static_cast<float>(current) * static_cast<float>(update));
        else return static_cast<T>(current * update);
      });
      return;
    case 3:
    case 4: {
      const bool take_max = reduce == 3;
      device::atomic_update(target, [update, take_max](T current) {
        if (is_nan(current)) return current;
        if (is_nan(update)) return update;
        const bool replace = take_max ? greater(update, current) : greater(current, update);
        return replace ? update : current;
      });
      return;
    }
    default: *target = update; return;
  }
}

template <class T>
__global__ void scatter_kernel(int reduce, const T* updates, Layout<1> update_layout,
                               int64_t update_size, T* out, const int64_t* indices,
                               IndexedAxes axes, Layout<1> window_layout, int64_t window_size,
                               IndexFault* fault) {
  for (int64_t u = device::thread_start(1); u < update_size; u += device::grid_stride(1)) {
    const int64_t base = window_base(indices, axes, u / window_size, fault);
    if (base < 0) continue;
    int64_t dst[1], src[1];
    device::strided_offsets<1>(window_layout, u % window_size, dst);
    device::strided_offsets<1>(update_layout, u, src);
    combine_into<T>(reduce, out + base + dst[0], updates[src[0]]);
  }
}

template <class W>
__global__ void gather_axis_kernel(const W* a, W* out, const int64_t* indices, Layout<1> walk,
                                   int64_t size, int64_t axis_size, int64_t step,
                                   IndexFault* fault) {
  for (int64_t u = device::thread_start(1); u < size; u += device::grid_stride(1)) {
    const int64_t start = checked_start(indices[u], axis_size, 1, 0, fault);
    if (start < 0) continue;
    int64_t offset[1];
    device::strided_offsets<1>(walk, u, offset);
    out[u] = a[offset[0] + start * step];
  }
}

template <class T>
__global__ void scatter_axis_kernel(bool sum, const T* updates, T* out, const int64_t* indices,
                                    Layout<2> layout, int64_t size, int64_t axis_size,
                                    int64_t step, IndexFault* fault) {
  for (int64_t u = device::thread_start(1); u < size; u += device::grid_stride(1)) {
    const int64_t start = checked_start(indices[u], axis_size, 1, 0, fault);
    if (start < 0) continue;
    int64_t o[2];
    device::strided_offsets<2>(layout, u, o);
    combine_into<T>(sum ? 1 : 0, out + o[0] + start * step, updates[o[1]]);
  }
}

template <class I>
__device__ int64_t dynamic_offset(const DynamicStart& start) {
  const I* values = static_cast<const I*>(start.start);
  int64_t offset = 0;
  for (int j = 0; j < start.num_axes; ++j) {
    const I raw = values[j * start.start_step];
    int64_t v;
    if constexpr (std::is_unsigned_v<I> && sizeof(I) == 8) {
      v = raw > static_cast<I>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(raw);
    } else {
      v = static_cast<int64_t>(raw);
    }
    const int64_t n = start.axis_size[j];
    if (v < 0) v += n;
    const int64_t high = n - start.window[j] > 0 ? n - start.window[j] : 0;
    v = v < 0 ? 0 : (v > high ? high : v);
    offset += v * start.axis_stride[j];
  }
  return offset;
}

template <class W, class I>
__global__ void dynamic_copy_kernel(const W* src, W* dst, Layout<2> layout, int64_t size,
                                    DynamicStart start, bool on_dst) {
  const int64_t shift = dynamic_offset<I>(start);
  const int64_t src_shift = on_dst ? 0 : shift;
  const int64_t dst_shift = on_dst ? shift : 0;
  for (int64_t u = device::thread_start(1); u < size; u += device::grid_stride(1)) {
    int64_t o[2];
    device::strided_offsets<2>(layout, u, o);
    dst[dst_shift + o[1]] = src[src_shift + o[0]];
  }
}

template <class F>
void dispatch_words(size_t itemsize, F&& f) {
  switch (itemsize) {
    case 1: return f(Tag<uint8_t>{});
    case 2: return f(Tag<uint16_t>{});
    case 4: return f(Tag<uint32_t>{});
    default: return f(Tag<uint64_t>{});
  }
}

}  // namespace

void launch_gather(size_t itemsize, const void* a, void* out, const int64_t* indices,
                   const IndexedAxes& axes, const Layout<1>& window_layout, int64_t window_size,
                   IndexFault* fault) {
  const int64_t size = axes.count * window_size;
  if (size == 0) return;
  dispatch_words(itemsize, [&](auto tag) {
    using W = typename decltype(tag)::type;
    gather_kernel<W><<<blocks_for(size, kThreads), kThreads, 0, current_stream()>>>(
        static_cast<const W*>(a), static_cast<W*>(out), indices, axes, window_layout,
        window_size, fault);
  });
  EMBER_CUDA_CHECK(cudaGetLastError());
}

void launch_scatter(Dtype dtype, int reduce, const void* updates, const Layout<1>& update_layout,
                    int64_t update_size, void* out, const int64_t* indices,
                    const IndexedAxes& axes, const Layout<1>& window_layout, int64_t window_size,
                    IndexFault* fault) {
  if (update_size == 0 || window_size == 0) return;
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    scatter_kernel<T><<<blocks_for(update_size, kThreads), kThreads, 0, current_stream()>>>(
        reduce, static_cast<const T*>(updates), update_layout, update_size, static_cast<T*>(out),
        indices, axes, window_layout, window_size, fault);
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "Scatter on the GPU with ", dtype);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

void launch_gather_axis(size_t itemsize, const void* a, void* out, const int64_t* indices,
                        const Layout<1>& walk, int64_t size, int64_t axis_size, int64_t step,
                        IndexFault* fault) {
  if (size == 0) return;
  dispatch_words(itemsize, [&](auto tag) {
    using W = typename decltype(tag)::type;
    gather_axis_kernel<W><<<blocks_for(size, kThreads), kThreads, 0, current_stream()>>>(
        static_cast<const W*>(a), static_cast<W*>(out), indices, walk, size, axis_size, step,
        fault);
  });
  EMBER_CUDA_CHECK(cudaGetLastError());
}

void launch_scatter_axis(Dtype dtype, bool sum, const void* updates, void* out,
                         const int64_t* indices, const Layout<2>& layout, int64_t size,
                         int64_t axis_size, int64_t step, IndexFault* fault) {
  if (size == 0) return;
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    scatter_axis_kernel<T><<<blocks_for(size, kThreads), kThreads, 0, current_stream()>>>(
        sum, static_cast<const T*>(updates), static_cast<T*>(out), indices, layout, size,
        axis_size, step, fault);
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "ScatterAxis on the GPU with ", dtype);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

void launch_dynamic_copy(size_t itemsize, const void* src, void* dst, const Layout<2>& layout,
                         int64_t size, const DynamicStart& start, bool on_dst) {
  if (size == 0) return;
  const bool launched = dispatch_gpu_type(start.start_dtype, [&](auto index_tag) {
    using I = typename decltype(index_tag)::type;
    if constexpr (std::is_integral_v<I> && !std::is_same_v<I, bool>) {
      dispatch_words(itemsize, [&](auto tag) {
        using W = typename decltype(tag)::type;
        dynamic_copy_kernel<W, I><<<blocks_for(size, kThreads), kThreads, 0, current_stream()>>>(
            static_cast<const W*>(src), static_cast<W*>(dst), layout, size, start, on_dst);
      });
      return true;
    } else {
      return false;
    }
  });
  EMBER_INTERNAL_ASSERT(launched, "dynamic slice start of dtype ", start.start_dtype);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ember::cuda
