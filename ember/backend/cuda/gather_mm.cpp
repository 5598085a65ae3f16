// eval_gpu of GatherMM (gather_mm.cu). Index bounds: the CPU kernel reports an IndexError;
// the GPU kernel never reads outside the operands and writes NaN for an out-of-range pair.
#include "ember/backend/cuda/gather_mm_launch.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/errors.h"
#include "ember/core/primitives/matmul.h"

namespace ember {
namespace {

cuda::MatrixBatch describe(const array& x) {
  cuda::MatrixBatch d;
  d.batch_ndim = x.ndim() - 2;
  EMBER_CHECK(d.batch_ndim <= cuda::kMaxDims, NotImplementedError, "[GatherMM] more than ",
              cuda::kMaxDims, " batch dimensions");
  for (int i = 0; i < d.batch_ndim; ++i) {
    d.batch_shape[i] = x.shape(i);
    d.batch_strides[i] = x.strides()[i];
  }
  d.row_stride = x.strides()[x.ndim() - 2];
  d.col_stride = x.strides()[x.ndim() - 1];
  return d;
}

int64_t count_of(const array& x) {
  int64_t count = 1;
  for (int i = 0; i < x.ndim() - 2; ++i) count *= x.shape(i);
  return count;
}

}  // namespace

void GatherMM::eval_gpu(const std::vector<array>& inputs, array& out) {
  const Dtype dtype = out.dtype();
  EMBER_CHECK(dtype == float32 || dtype == float16 || dtype == bfloat16, NotImplementedError,
              "[GatherMM] ", dtype, " has no CUDA kernel (float32, float16 and bfloat16 do)");
  cuda::allocate_output(out);
  const array lhs = cuda::contiguous_copy(inputs[2]);
  const array rhs = cuda::contiguous_copy(inputs[3]);
  const int m = out.shape(-2), n = out.shape(-1), k = inputs[0].shape(-1);
  cuda::launch_gather_mm(dtype, inputs[0].raw_data(), inputs[1].raw_data(), out.raw_data(),
                         static_cast<const int32_t*>(lhs.raw_data()),
                         static_cast<const int32_t*>(rhs.raw_data()), describe(inputs[0]),
                         describe(inputs[1]), m, n, k, static_cast<int64_t>(lhs.size()),
                         count_of(inputs[0]), count_of(inputs[1]));
}

}  // namespace ember
