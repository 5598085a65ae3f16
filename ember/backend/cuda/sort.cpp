// eval_gpu of SortAxis (sort, argsort, partition, argpartition; topk is a partition and a
// slice): rows along the axis, any layout, sorted by sort.cu with CUB's segmented radix
// sort. Stable, NaNs last, uint32 indices, as on the CPU.
#include <limits>

#include "ember/backend/cuda/indexing_launch.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/primitives/sort.h"

namespace ember {

void SortAxis::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  cuda::check_gpu_dtype(name(), in.dtype());
  cuda::allocate_output(out);
  const int64_t length = in.shape()[axis_];
  if (length == 0 || in.size() == 0) return;
  EMBER_CHECK(in.size() < static_cast<size_t>(std::numeric_limits<int>::max()),
              NotImplementedError, "sorts of 2^31 or more elements have no CUDA kernel yet");
  Shape outer_shape;
  Strides in_outer, out_outer;
  for (int d = 0; d < in.ndim(); ++d) {
    if (d == axis_) continue;
    outer_shape.push_back(in.shape()[d]);
    in_outer.push_back(in.strides()[d]);
    out_outer.push_back(out.strides()[d]);
  }
  const auto row_layout = cuda::collapse<2>(name(), outer_shape, {in_outer, out_outer});
  const bool indices = kind_ == SortKind::argsort || kind_ == SortKind::argpartition;
  cuda::launch_sort_rows(in.dtype(), indices, in.raw_data(), out.raw_data(), row_layout,
                         static_cast<int64_t>(in.size()) / length, length, in.strides()[axis_],
                         out.strides()[axis_], &cuda::temporary);
}

}  // namespace ember
