// eval_gpu of Scan along any axis and layout; kernels in scan.cu. Compiled only once the
// reduce family's CUDA port drops no_cuda/reduce.cpp (which also stubs Scan) from the CUDA
// link: see backend/cuda/CMakeLists.txt.
#include "ember/backend/cuda/indexing_launch.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/primitives/reduce.h"

namespace ember {

void Scan::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  cuda::check_gpu_dtype(name(), in.dtype());
  cuda::allocate_output(out);
  if (in.size() == 0) return;
  const int64_t length = in.shape()[axis_];
  Shape outer_shape = in.shape();
  outer_shape[axis_] = 1;
  const auto line_layout = cuda::collapse<2>(name(), outer_shape, {in.strides(), out.strides()});
  cuda::launch_scan(in.dtype(), static_cast<int>(type_), reverse_, inclusive_, in.raw_data(),
                    out.raw_data(), line_layout, static_cast<int64_t>(in.size()) / length, length,
                    in.strides()[axis_], out.strides()[axis_]);
}

}  // namespace ember
