// Reduction kernels. Rows (a contiguous last axis): one warp per row for short rows, one
// block per row for long ones, 16-byte loads; few long rows are split across blocks and
// the partials (in the accumulator type) reduced by a second launch. Strided (any other
// layout): one thread per output walks its reduced elements, consecutive threads on
// consecutive outputs (coalesced for leading-axis reductions), split the same way when
// there are few outputs. 16-bit floats accumulate in float. Host side: reduce.cpp.
#include <cmath>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/device/reduce.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {

constexpr int kRowsPerWarpBlock = 8;  // block (32, 8): a warp per row
constexpr int kBlockRowThreads = 256;  // block (256, 1): a block per row
constexpr int64_t kWarpRowMax = 1024;  // longest row a warp takes

dim3 row_block(int64_t length) {
  return length <= kWarpRowMax ? dim3(32, kRowsPerWarpBlock) : dim3(kBlockRowThreads, 1);
}
unsigned int row_grid(int64_t rows, dim3 block) { return blocks_for(rows, block.y); }

// Segment g of rows x splits: reduces in[row][segment] into out[g].
template <class R, class In, class Out>
__global__ void reduce_rows_kernel(const In* in, Out* out, int64_t groups, int64_t length,
                                   int64_t splits, int64_t segment) {
  using Acc = typename R::Acc;
  __shared__ Acc shared[32];
  for (int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; g < groups;
       g += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t row = g / splits, begin = (g % splits) * segment;
    const int64_t end = begin + segment < length ? begin + segment : length;
    Acc acc = R::init();
    if (begin < end) {
      device::for_each_in_row(in + row * length + begin, end - begin, threadIdx.x, blockDim.x,
                              [&](In x, int64_t) { acc = R::combine(acc, device::convert<Acc>(x)); });
    }
    acc = device::row_reduce(acc, [](Acc a, Acc b) { return R::combine(a, b); }, shared);
    if (threadIdx.x == 0) out[g] = device::convert<Out>(acc);
  }
}

// Thread (split s, output o): reduces the reduced elements [s * segment, ...) of output o
// into out[s * out_size + o].
template <class R, class In, class Out>
__global__ void reduce_strided_kernel(const In* in, Out* out, int64_t out_size,
                                      Layout<1> out_layout, int64_t reduce_size,
                                      Layout<1> reduce_layout, int64_t splits, int64_t segment) {
  using Acc = typename R::Acc;
  for (int64_t i = device::thread_start(1); i < out_size * splits; i += device::grid_stride(1)) {
    const int64_t o = i % out_size, begin = (i / out_size) * segment;
    const int64_t end = begin + segment < reduce_size ? begin + segment : reduce_size;
    int64_t base[1];
    device::strided_offsets<1>(out_layout, o, base);
    Acc acc = R::init();
    for (int64_t r = begin; r < end; ++r) {
      int64_t offset[1];
      device::strided_offsets<1>(reduce_layout, r, offset);
      acc = R::combine(acc, device::convert<Acc>(in[base[0] + offset[0]]));
    }
    out[i] = device::convert<Out>(acc);
  }
}

template <class R, class In, class Out>
void rows_pass(const In* in, Out* out, int64_t groups, int64_t length, int64_t splits,
               int64_t segment) {
  const dim3 block = row_block(segment);
  reduce_rows_kernel<R, In, Out><<<row_grid(groups, block), block, 0, current_stream()>>>(
      in, out, groups, length, splits, segment);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

template <class R, class In, class Out>
void strided_pass(const In* in, Out* out, int64_t out_size, const Layout<1>& out_layout,
                  int64_t reduce_size, const Layout<1>& reduce_layout, int64_t splits,
                  int64_t segment) {
  constexpr int kThreads = 256;
  reduce_strided_kernel<R, In, Out>
      <<<blocks_for(out_size * splits, kThreads), kThreads, 0, current_stream()>>>(
          in, out, out_size, out_layout, reduce_size, reduce_layout, splits, segment);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

template <class R, class T>
void reduce_rows(const T* in, T* out, int64_t rows, int64_t length, void* scratch,
                 int64_t splits) {
  using Acc = typename R::Acc;
  if (splits <= 1) return rows_pass<R, T, T>(in, out, rows, length, 1, length);
  const int64_t segment = (length + splits - 1) / splits;
  Acc* partial = static_cast<Acc*>(scratch);
  rows_pass<R, T, Acc>(in, partial, rows * splits, length, splits, segment);
  rows_pass<R, Acc, T>(partial, out, rows, splits, 1, splits);
}

template <class R, class T>
void reduce_strided(const T* in, T* out, int64_t out_size, const Layout<1>& out_layout,
                    int64_t reduce_size, const Layout<1>& reduce_layout, void* scratch,
                    int64_t splits) {
  using Acc = typename R::Acc;
  if (splits <= 1) {
    return strided_pass<R, T, T>(in, out, out_size, out_layout, reduce_size, reduce_layout, 1,
                                 reduce_size);
  }
  const int64_t segment = (reduce_size + splits - 1) / splits;
  Acc* partial = static_cast<Acc*>(scratch);
  strided_pass<R, T, Acc>(in, partial, out_size, out_layout, reduce_size, reduce_layout, splits,
                          segment);
  // Partials are a (splits, out_size) matrix: reduce its columns.
  Layout<1> columns;
  columns.ndim = 1;
  columns.shape[0] = static_cast<int32_t>(out_size);
  columns.strides[0][0] = 1;
  Layout<1> down;
  down.ndim = 1;
  down.shape[0] = static_cast<int32_t>(splits);
  down.strides[0][0] = out_size;
  strided_pass<R, Acc, T>(partial, out, out_size, columns, splits, down, 1, splits);
}

// Calls f(Reducer tag) for op on T; false where the op does not apply (all/any: bool only).
template <class T, class F>
bool dispatch_reducer(ReduceOp op, F&& f) {
  switch (op) {
    case ReduceOp::sum: f(Tag<device::SumReducer<T>>{}); return true;
    case ReduceOp::prod: f(Tag<device::ProdReducer<T>>{}); return true;
    case ReduceOp::max: f(Tag<device::MaxReducer<T>>{}); return true;
    case ReduceOp::min: f(Tag<device::MinReducer<T>>{}); return true;
    case ReduceOp::all:
    case ReduceOp::any:
      if constexpr (std::is_same_v<T, bool>) {
        if (op == ReduceOp::all) {
          f(Tag<device::AllReducer>{});
        } else {
          f(Tag<device::AnyReducer>{});
        }
        return true;
      }
      return false;
  }
  return false;
}

}  // namespace

void launch_reduce_rows(ReduceOp op, Dtype dtype, const void* in, void* out, int64_t rows,
                        int64_t length, void* scratch, int64_t splits) {
  if (rows == 0) return;
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return dispatch_reducer<T>(op, [&](auto reducer) {
      using R = typename decltype(reducer)::type;
      reduce_rows<R, T>(static_cast<const T*>(in), static_cast<T*>(out), rows, length, scratch,
                        splits);
    });
  });
  EMBER_INTERNAL_ASSERT(launched, "reduction ", static_cast<int>(op), " on ", dtype);
}

void launch_reduce_strided(ReduceOp op, Dtype dtype, const void* in, void* out, int64_t out_size,
                           const Layout<1>& out_layout, int64_t reduce_size,
                           const Layout<1>& reduce_layout, void* scratch, int64_t splits) {
  if (out_size == 0) return;
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return dispatch_reducer<T>(op, [&](auto reducer) {
      using R = typename decltype(reducer)::type;
      reduce_strided<R, T>(static_cast<const T*>(in), static_cast<T*>(out), out_size, out_layout,
                           reduce_size, reduce_layout, scratch, splits);
    });
  });
  EMBER_INTERNAL_ASSERT(launched, "reduction ", static_cast<int>(op), " on ", dtype);
}

}  // namespace ember::cuda
