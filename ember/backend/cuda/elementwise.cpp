// eval_gpu of the elementwise family (Unary<Op>, Binary<Op>, Ternary<Op>, StopGradient,
// AsType), copies (Copy, Concatenate) and Arange. Inputs arrive on this GPU (the scheduler
// stages others). Every input contiguous or a broadcast scalar: the flat kernel, with
// 16-byte accesses when aligned; otherwise the strided kernel. A single-owner input of the
// output's dtype donates its buffer, as on the CPU.
#include <cstdint>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/primitives/creation.h"
#include "ember/core/primitives/elementwise.h"
#include "ember/core/primitives/shape.h"

namespace ember {
namespace {

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Launches `Op` over inputs already broadcast to out's shape.
template <int N, class Launch>
void run_elementwise(const char* name, const std::vector<array>& inputs,
                     const std::array<const void*, N>& data, Dtype dtype, array& out,
                     Launch launch) {
  const int64_t size = static_cast<int64_t>(out.size());
  cuda::FlatArgs<N> flat{data, {}, out.raw_data(), size, aligned16(out.raw_data())};
  bool is_flat = true;
  for (int k = 0; k < N; ++k) {
    if (inputs[k].flags().row_contiguous) {
      flat.step[k] = 1;
      flat.vectorize = flat.vectorize && aligned16(data[k]);
    } else if (cuda::is_scalar_broadcast(inputs[k])) {
      flat.step[k] = 0;
    } else {
      is_flat = false;
    }
  }
  bool supported;
  if (is_flat) {
    supported = launch(&flat, static_cast<const cuda::StridedArgs<N>*>(nullptr));
  } else {
    std::array<Strides, N> strides;
    for (int k = 0; k < N; ++k) strides[k] = inputs[k].strides();
    cuda::StridedArgs<N> strided{data, out.raw_data(), size,
                                 cuda::collapse<N>(name, out.shape(), strides)};
    supported = launch(static_cast<const cuda::FlatArgs<N>*>(nullptr), &strided);
  }
  EMBER_INTERNAL_ASSERT(supported, name, " does not support ", dtype);
}

}  // namespace

template <class Op>
void Unary<Op>::eval_gpu(const std::vector<array>& inputs, array& out) {
  const Dtype dtype = inputs[0].dtype();
  cuda::check_gpu_dtype(name(), dtype);
  cuda::check_gpu_dtype(name(), out.dtype());
  const std::array<const void*, 1> data{inputs[0].raw_data()};
  cuda::donate_or_allocate(inputs, out);
  run_elementwise<1>(name(), inputs, data, dtype, out,
                     [&](const cuda::FlatArgs<1>* flat, const cuda::StridedArgs<1>* strided) {
    return cuda::launch_unary<Op>(dtype, flat, strided);
  });
}

template <class Op>
void Binary<Op>::eval_gpu(const std::vector<array>& inputs, array& out) {
  const Dtype dtype = inputs[0].dtype();
  cuda::check_gpu_dtype(name(), dtype);
  const std::array<const void*, 2> data{inputs[0].raw_data(), inputs[1].raw_data()};
  cuda::donate_or_allocate(inputs, out);
  run_elementwise<2>(name(), inputs, data, dtype, out,
                     [&](const cuda::FlatArgs<2>* flat, const cuda::StridedArgs<2>* strided) {
    return cuda::launch_binary<Op>(dtype, flat, strided);
  });
}

template <class Op>
void Ternary<Op>::eval_gpu(const std::vector<array>& inputs, array& out) {
  EMBER_INTERNAL_ASSERT(inputs[0].dtype() == bool_, name(), " needs a bool mask, got ",
                        inputs[0].dtype());
  const Dtype dtype = inputs[1].dtype();
  cuda::check_gpu_dtype(name(), dtype);
  const std::array<const void*, 3> data{inputs[0].raw_data(), inputs[1].raw_data(),
                                        inputs[2].raw_data()};
  cuda::donate_or_allocate(inputs, out);
  run_elementwise<3>(name(), inputs, data, dtype, out,
                     [&](const cuda::FlatArgs<3>* flat, const cuda::StridedArgs<3>* strided) {
    return cuda::launch_ternary<Op>(dtype, flat, strided);
  });
}

void StopGradient::eval_gpu(const std::vector<array>& inputs, array& out) {
  eval_cpu(inputs, out);  // a view: device-independent
}

void AsType::eval_gpu(const std::vector<array>& inputs, array& out) {
  cuda::allocate_output(out);
  cuda::copy_strided(inputs[0], out.raw_data(), out.dtype(), out.strides());
}

void Copy::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  const auto storage = in.storage();
  if (storage && storage->device() == cuda::task_device() && out.is_donatable(in)) {
    out.move_shared_buffer(in);
    return;
  }
  cuda::allocate_output(out);
  cuda::copy_strided(in, out.raw_data(), out.dtype(), out.strides());
}

void Concatenate::eval_gpu(const std::vector<array>& inputs, array& out) {
  cuda::allocate_output(out);
  const Strides& strides = out.strides();
  char* base = static_cast<char*>(out.raw_data());
  int64_t position = 0;
  for (const auto& in : inputs) {
    cuda::copy_strided(in,
                       base + position * strides[axis_] * static_cast<int64_t>(out.itemsize()),
                       out.dtype(), strides);
    position += in.shape(axis_);
  }
}

void Arange::eval_gpu(const std::vector<array>&, array& out) {
  cuda::check_gpu_dtype(name(), out.dtype());
  cuda::allocate_output(out);
  cuda::launch_arange(out.dtype(), out.raw_data(), static_cast<int64_t>(out.size()), start_,
                      step_);
}

#define EMBER_INSTANTIATE(Op) template class Unary<functors::Op>;
EMBER_UNARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE
#define EMBER_INSTANTIATE(Op) template class Binary<functors::Op>;
EMBER_BINARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE
#define EMBER_INSTANTIATE(Op) template class Ternary<functors::Op>;
EMBER_TERNARY_OPS(EMBER_INSTANTIATE)
#undef EMBER_INSTANTIATE

}  // namespace ember
