#include "ember/backend/cuda/kernels.h"

#include <chrono>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/core/executor.h"
#include "ember/core/node.h"

namespace ember::cuda {

Device task_device() { return Device(Device::gpu, current_device()); }

detail::StoragePtr allocate(size_t bytes) {
  const bool timed = profiling();
  const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  auto storage = detail::Storage::allocate(bytes, task_device());
  detail::keep_until_complete(storage);
  if (timed) {
    profile_phase("allocate",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return storage;
}

void allocate_output(array& out) { out.set_data(allocate(out.nbytes())); }

void donate_or_allocate(const std::vector<array>& inputs, array& out) {
  for (const auto& in : inputs) {
    const auto storage = in.storage();
    if (in.dtype() == out.dtype() && storage && storage->device() == task_device() &&
        out.is_donatable(in)) {
      out.move_shared_buffer(in);
      return;
    }
  }
  allocate_output(out);
}

void* temporary(size_t bytes) { return allocate(bytes)->data(); }

void check_gpu_dtype(const char* op, Dtype dtype) {
  EMBER_CHECK(dtype != float64 && dtype != complex64, NotImplementedError, "[", op, "] ", dtype,
              " has no CUDA kernels (float64 and complex64 are CPU-only); use the CPU stream");
}

bool is_scalar_broadcast(const array& a) {
  for (auto s : a.strides()) {
    if (s != 0) return false;
  }
  return true;
}

template <int N>
Layout<N> collapse(const char* op, const Shape& shape, const std::array<Strides, N>& strides) {
  Layout<N> layout;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    const int last = layout.ndim - 1;
    bool merge = last >= 0;
    for (int k = 0; merge && k < N; ++k) {
      merge = layout.strides[k][last] == strides[k][d] * shape[d];
    }
    if (merge) {
      layout.shape[last] *= shape[d];
      for (int k = 0; k < N; ++k) layout.strides[k][last] = strides[k][d];
      continue;
    }
    EMBER_CHECK(layout.ndim < kMaxDims, NotImplementedError, "[", op, "] layouts of more than ",
                kMaxDims, " non-mergeable dims have no CUDA kernel yet");
    layout.shape[layout.ndim] = shape[d];
    for (int k = 0; k < N; ++k) layout.strides[k][layout.ndim] = strides[k][d];
    ++layout.ndim;
  }
  return layout;
}
template Layout<1> collapse<1>(const char*, const Shape&, const std::array<Strides, 1>&);
template Layout<2> collapse<2>(const char*, const Shape&, const std::array<Strides, 2>&);
template Layout<3> collapse<3>(const char*, const Shape&, const std::array<Strides, 3>&);
template Layout<4> collapse<4>(const char*, const Shape&, const std::array<Strides, 4>&);

void copy_strided(const array& in, void* dst, Dtype dst_dtype, const Strides& dst_strides) {
  check_gpu_dtype("copy", in.dtype());
  check_gpu_dtype("copy", dst_dtype);
  const int64_t size = static_cast<int64_t>(in.size());
  if (size == 0) return;
  const bool dense = dst_strides == row_major_strides(in.shape());
  if (dense && in.flags().row_contiguous) {
    if (in.dtype() == dst_dtype) {
      launch_copy_contiguous(in.raw_data(), dst, static_cast<int64_t>(in.nbytes()));
    } else {
      launch_convert_contiguous(in.dtype(), in.raw_data(), dst_dtype, dst, size);
    }
    return;
  }
  const Layout<2> layout = collapse<2>("copy", in.shape(), {in.strides(), dst_strides});
  launch_copy(in.dtype(), in.raw_data(), dst_dtype, dst, layout, size);
}

array contiguous_copy(const array& in) {
  return in.flags().row_contiguous ? in : fresh_copy(in);
}

array fresh_copy(const array& in) {
  array copy(Shape(in.shape()), in.dtype(), nullptr, {});
  allocate_output(copy);
  copy_strided(in, copy.raw_data(), copy.dtype(), copy.strides());
  copy.node()->status.store(detail::Status::available, std::memory_order_release);
  return copy;
}

}  // namespace ember::cuda
