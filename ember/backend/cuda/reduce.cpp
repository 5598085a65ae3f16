// eval_gpu of the reduction family: Reduce (row kernel for trailing axes of row-contiguous
// input, strided kernel otherwise, both split into two passes when a few outputs each
// cover many elements), ArgReduce, LogSumExp and Softmax (row kernels over the last axis).
// Kernels: reduce.cu, reduce_rows.cu; Scan lives in scan.cpp.
#include <algorithm>

#include "ember/backend/cuda/kernels.h"
#include "ember/core/primitives/reduce.h"

namespace ember {
namespace {

// Blocks or threads that keep an H100 busy; splitting stops there.
constexpr int64_t kTargetRowGroups = 528;
constexpr int64_t kTargetThreads = 65536;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

cuda::ReduceOp reduce_op(Reduce::Type type) {
  switch (type) {
    case Reduce::Type::sum: return cuda::ReduceOp::sum;
    case Reduce::Type::prod: return cuda::ReduceOp::prod;
    case Reduce::Type::max: return cuda::ReduceOp::max;
    case Reduce::Type::min: return cuda::ReduceOp::min;
    case Reduce::Type::all: return cuda::ReduceOp::all;
    case Reduce::Type::any: return cuda::ReduceOp::any;
  }
  return cuda::ReduceOp::sum;
}

void* scratch_for(int64_t partials, int64_t splits) {
  return splits > 1 ? cuda::temporary(partials * splits * cuda::kReducePartialBytes) : nullptr;
}

// The rows of a row-contiguous (..., n) input: (count, n).
std::pair<int64_t, int64_t> rows_of(const array& in) {
  const int64_t length = in.ndim() == 0 ? 1 : in.shape(-1);
  return {length == 0 ? 0 : static_cast<int64_t>(in.size()) / length, length};
}

}  // namespace

void Reduce::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  cuda::check_gpu_dtype(name(), in.dtype());
  cuda::allocate_output(out);
  const int64_t out_size = static_cast<int64_t>(out.size());
  if (out_size == 0) return;
  const cuda::ReduceOp op = reduce_op(type_);
  const int ndim = in.ndim();
  const bool trailing = !axes_.empty() && axes_.back() == ndim - 1 &&
                        axes_.front() == ndim - static_cast<int>(axes_.size());
  if (in.flags().row_contiguous && (trailing || axes_.empty())) {
    const int64_t length = static_cast<int64_t>(in.size()) / out_size;
    int64_t splits = 1;
    if (length >= 16384 && out_size < kTargetRowGroups) {
      splits = std::min(ceil_div(length, 8192), ceil_div(kTargetRowGroups, out_size));
    }
    cuda::launch_reduce_rows(op, in.dtype(), in.raw_data(), out.raw_data(), out_size, length,
                             scratch_for(out_size, splits), splits);
    return;
  }
  // Split the input's dims into kept (the output's order) and reduced ones.
  Shape kept_shape, reduced_shape;
  Strides kept_strides, reduced_strides;
  int64_t reduce_size = 1;
  for (int d = 0; d < ndim; ++d) {
    const bool reduced = std::binary_search(axes_.begin(), axes_.end(), d);
    (reduced ? reduced_shape : kept_shape).push_back(in.shape(d));
    (reduced ? reduced_strides : kept_strides).push_back(in.strides()[d]);
    if (reduced) reduce_size *= in.shape(d);
  }
  const auto out_layout = cuda::collapse<1>(name(), kept_shape, {kept_strides});
  const auto reduce_layout = cuda::collapse<1>(name(), reduced_shape, {reduced_strides});
  int64_t splits = 1;
  if (out_size < kTargetThreads && reduce_size >= 256) {
    splits = std::min(ceil_div(kTargetThreads, out_size), ceil_div(reduce_size, 128));
  }
  cuda::launch_reduce_strided(op, in.dtype(), in.raw_data(), out.raw_data(), out_size, out_layout,
                              reduce_size, reduce_layout, scratch_for(out_size, splits), splits);
}

void ArgReduce::eval_gpu(const std::vector<array>& inputs, array& out) {
  cuda::check_gpu_dtype(name(), inputs[0].dtype());
  const array in = cuda::contiguous_copy(inputs[0]);
  cuda::allocate_output(out);
  const auto [rows, length] = rows_of(in);
  cuda::launch_arg_reduce(type_ == Type::argmax, in.dtype(), in.raw_data(),
                          static_cast<uint32_t*>(out.raw_data()), rows, length);
}

void LogSumExp::eval_gpu(const std::vector<array>& inputs, array& out) {
  cuda::check_gpu_dtype(name(), inputs[0].dtype());
  const array in = cuda::contiguous_copy(inputs[0]);
  cuda::allocate_output(out);
  const auto [rows, length] = rows_of(in);
  cuda::launch_logsumexp(in.dtype(), in.raw_data(), out.raw_data(), rows, length);
}

void Softmax::eval_gpu(const std::vector<array>& inputs, array& out) {
  cuda::check_gpu_dtype(name(), inputs[0].dtype());
  const array in = cuda::contiguous_copy(inputs[0]);
  cuda::allocate_output(out);
  const auto [rows, length] = rows_of(in);
  cuda::launch_softmax(in.dtype(), in.raw_data(), out.raw_data(), rows, length);
}

}  // namespace ember
