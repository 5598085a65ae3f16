// eval_gpu of the indexing family: Gather, Scatter, GatherAxis, ScatterAxis, SliceUpdate,
// DynamicSlice and DynamicSliceUpdate. Index arrays (any integer dtype, any layout) are
// first converted to contiguous int64 temporaries; updates start from src's buffer when it
// can be donated, else from a row-major copy. Kernels: indexing.cu.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/indexing_launch.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/executor.h"
#include "ember/core/primitives/capture.h"
#include "ember/core/primitives/indexing.h"

namespace ember {
namespace {

// Note [GPU index errors]
// The CPU kernels throw IndexError for an index outside its axis; GPU kernels cannot
// throw. Each kernel that reads indices gets an IndexFault in device memory (zeroed
// first), skips any element whose index is bad and records the first offender. After the
// kernel the fault is copied into a pinned host slot, and eval_gpu registers a completion
// check on the task's Submission (with what the message needs: op name, axes, sizes,
// windows) and returns without waiting. The stream's completion worker runs the check
// after the task's event: a set flag fails the node with the same IndexError as the CPU's
// ("[Gather] index 7 is out of bounds for axis 0 of size 4"), recorded on the stream and
// rethrown at the next wait or read (G6). Work already enqueued on the failed node's
// output (its skipped elements are left unwritten, never out of bounds) fails with it: the
// worker passes an input's failure on (executor.cpp, run_checks). Dynamic* slices clamp and
// need no check.
class PinnedFaults {
 public:
  // A zeroed host slot that lives until the returned pointer is dropped.
  std::shared_ptr<cuda::IndexFault> take() {
    cuda::IndexFault* slot = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (free_.empty()) grow_locked();
      slot = free_.back();
      free_.pop_back();
    }
    *slot = cuda::IndexFault{};
    return std::shared_ptr<cuda::IndexFault>(slot, [this](cuda::IndexFault* used) {
      std::lock_guard lock(mutex_);
      free_.push_back(used);
    });
  }

  static PinnedFaults& instance() {
    static auto* pool = new PinnedFaults;  // never destroyed: slots may outlive statics
    return *pool;
  }

 private:
  void grow_locked() {
    constexpr int kSlots = 256;
    void* block = nullptr;
    EMBER_CUDA_CHECK(
        cudaHostAlloc(&block, kSlots * sizeof(cuda::IndexFault), cudaHostAllocPortable));
    auto* slots = static_cast<cuda::IndexFault*>(block);
    for (int i = 0; i < kSlots; ++i) free_.push_back(slots + i);
  }

  std::mutex mutex_;
  std::vector<cuda::IndexFault*> free_;
};

// What an IndexError message needs to know about each index array: the axis it indexes,
// that axis's size and the window it selects there (1 for single elements).
struct FaultContext {
  int num_arrays = 1;
  int axis[cuda::kMaxIndexArrays] = {};
  int64_t axis_size[cuda::kMaxIndexArrays] = {};
  int64_t window[cuda::kMaxIndexArrays] = {};
};

class FaultCheck {
 public:
  FaultCheck() : fault_(static_cast<cuda::IndexFault*>(cuda::temporary(sizeof(cuda::IndexFault)))) {
    EMBER_CUDA_CHECK(
        cudaMemsetAsync(fault_, 0, sizeof(cuda::IndexFault), cuda::current_stream()));
  }
  cuda::IndexFault* get() const { return fault_; }

  // Enqueues the fault's copy to the host after the kernels so far and registers the check
  // the completion worker runs once they are done; never waits.
  void check_on_completion(const char* op, const FaultContext& context) const {
    detail::Submission* submission = detail::current_submission();
    EMBER_INTERNAL_ASSERT(submission != nullptr, "an index check outside a GPU task");
    auto host = PinnedFaults::instance().take();
    EMBER_CUDA_CHECK(cudaMemcpyAsync(host.get(), fault_, sizeof(cuda::IndexFault),
                                     cudaMemcpyDeviceToHost, cuda::current_stream()));
    submission->completion_checks.push_back(
        [host = std::move(host), op = std::string(op), context]() -> std::exception_ptr {
          const cuda::IndexFault fault = *host;
          if (fault.flag == 0) return nullptr;
          const int j = fault.array >= 0 && fault.array < context.num_arrays ? fault.array : 0;
          const std::string prefix = detail::concat("[", op, "] ");
          if (context.window[j] == 1) {
            return std::make_exception_ptr(
                IndexError(detail::concat(prefix, "index ", fault.value, " is out of bounds for axis ",
                                          context.axis[j], " of size ", context.axis_size[j])));
          }
          return std::make_exception_ptr(IndexError(detail::concat(
              prefix, "a window of ", context.window[j], " elements at index ", fault.value,
              " does not fit axis ", context.axis[j], " of size ", context.axis_size[j])));
        });
  }

 private:
  cuda::IndexFault* fault_;
};

// The fault context of a Gather or Scatter over `axes`.
FaultContext indexed_context(const std::vector<int>& axes, const cuda::IndexedAxes& indexed) {
  FaultContext context;
  context.num_arrays = indexed.num_arrays;
  for (int j = 0; j < indexed.num_arrays; ++j) {
    context.axis[j] = axes[j];
    context.axis_size[j] = indexed.axis_size[j];
    context.window[j] = indexed.window[j];
  }
  return context;
}

// The fault context of take_along_axis and put_along_axis: one array, single elements.
FaultContext axis_context(int axis, int64_t axis_size) {
  FaultContext context;
  context.axis[0] = axis;
  context.axis_size[0] = axis_size;
  context.window[0] = 1;
  return context;
}

// Gives `out` a row-major copy of `src` on this GPU (or src's buffer, when donatable).
void init_from(const array& src, array& out) {
  const auto storage = src.storage();
  if (src.dtype() == out.dtype() && storage && storage->device() == cuda::task_device() &&
      out.is_donatable(src)) {
    out.move_shared_buffer(src);
    return;
  }
  cuda::allocate_output(out);
  cuda::copy_strided(src, out.raw_data(), out.dtype(), out.strides());
}

// The index arrays (each of `count` elements) as one contiguous int64 temporary, array j
// at j * count. uint64 values above INT64_MAX wrap negative (the CPU saturates them): both
// are out of bounds for any axis except through wrapping, a difference only at 2^63.
const int64_t* int64_indices(const std::vector<array>& arrays, int64_t count) {
  if (arrays.empty() || count == 0) return nullptr;
  auto* buffer = static_cast<int64_t*>(cuda::temporary(arrays.size() * count * sizeof(int64_t)));
  for (size_t j = 0; j < arrays.size(); ++j) {
    cuda::copy_strided(arrays[j], buffer + j * count, int64, row_major_strides(arrays[j].shape()));
  }
  return buffer;
}

}  // namespace

void Gather::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  cuda::allocate_output(out);
  const std::vector<array> index_arrays(inputs.begin() + 1, inputs.end());
  EMBER_CHECK(index_arrays.size() <= static_cast<size_t>(cuda::kMaxIndexArrays),
              NotImplementedError, "more than ", cuda::kMaxIndexArrays,
              " index arrays have no CUDA kernel");
  const int64_t count = index_arrays.empty() ? 1 : static_cast<int64_t>(index_arrays[0].size());
  const int64_t window_size = static_cast<int64_t>(shape_size(slice_sizes_));
  if (count == 0 || window_size == 0) return;
  cuda::IndexedAxes indexed;
  indexed.num_arrays = static_cast<int>(index_arrays.size());
  indexed.count = count;
  for (int j = 0; j < indexed.num_arrays; ++j) {
    indexed.axis_size[j] = a.shape()[axes_[j]];
    indexed.window[j] = slice_sizes_[axes_[j]];
    indexed.axis_stride[j] = a.strides()[axes_[j]];
  }
  const auto window_layout = cuda::collapse<1>(name(), slice_sizes_, {a.strides()});
  const int64_t* indices = int64_indices(index_arrays, count);
  FaultCheck fault;
  cuda::launch_gather(a.itemsize(), a.raw_data(), out.raw_data(), indices, indexed, window_layout,
                      window_size, fault.get());
  fault.check_on_completion(name(), indexed_context(axes_, indexed));
}

void Scatter::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& updates = inputs.back();
  cuda::check_gpu_dtype(name(), a.dtype());
  const Shape a_shape = a.shape();
  init_from(a, out);
  const std::vector<array> index_arrays(inputs.begin() + 1, inputs.end() - 1);
  EMBER_CHECK(index_arrays.size() <= static_cast<size_t>(cuda::kMaxIndexArrays),
              NotImplementedError, "more than ", cuda::kMaxIndexArrays,
              " index arrays have no CUDA kernel");
  const int index_ndim = updates.ndim() - static_cast<int>(a_shape.size());
  const Shape index_shape(updates.shape().begin(), updates.shape().begin() + index_ndim);
  const Shape window_shape(updates.shape().begin() + index_ndim, updates.shape().end());
  const int64_t count = static_cast<int64_t>(shape_size(index_shape));
  const int64_t window_size = static_cast<int64_t>(shape_size(window_shape));
  if (count == 0 || window_size == 0) return;
  cuda::IndexedAxes indexed;
  indexed.num_arrays = static_cast<int>(index_arrays.size());
  indexed.count = count;
  for (int j = 0; j < indexed.num_arrays; ++j) {
    indexed.axis_size[j] = a_shape[axes_[j]];
    indexed.window[j] = window_shape[axes_[j]];
    indexed.axis_stride[j] = out.strides()[axes_[j]];
  }
  const auto window_layout = cuda::collapse<1>(name(), window_shape, {out.strides()});
  const auto update_layout = cuda::collapse<1>(name(), updates.shape(), {updates.strides()});
  const int64_t* indices = int64_indices(index_arrays, count);
  FaultCheck fault;
  cuda::launch_scatter(out.dtype(), static_cast<int>(reduce_), updates.raw_data(), update_layout,
                       static_cast<int64_t>(updates.size()), out.raw_data(), indices, indexed,
                       window_layout, window_size, fault.get());
  fault.check_on_completion(name(), indexed_context(axes_, indexed));
}

void GatherAxis::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  cuda::allocate_output(out);
  const int64_t size = static_cast<int64_t>(out.size());
  if (size == 0) return;
  Strides walk(a.ndim());
  for (int d = 0; d < a.ndim(); ++d) {
    walk[d] = d == axis_ || a.shape()[d] == 1 ? 0 : a.strides()[d];
  }
  const int64_t n = a.shape()[axis_];
  const auto layout = cuda::collapse<1>(name(), out.shape(), {walk});
  const int64_t* indices = int64_indices({inputs[1]}, size);
  FaultCheck fault;
  cuda::launch_gather_axis(a.itemsize(), a.raw_data(), out.raw_data(), indices, layout, size, n,
                           a.strides()[axis_], fault.get());
  fault.check_on_completion(name(), axis_context(axis_, n));
}

void ScatterAxis::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  const array& updates = inputs[2];
  cuda::check_gpu_dtype(name(), a.dtype());
  const Shape a_shape = a.shape();
  init_from(a, out);
  const int64_t size = static_cast<int64_t>(updates.size());
  if (size == 0) return;
  const Strides& out_strides = out.strides();
  Strides walk(a_shape.size());
  for (size_t d = 0; d < a_shape.size(); ++d) {
    walk[d] = static_cast<int>(d) == axis_ || a_shape[d] == 1 ? 0 : out_strides[d];
  }
  const int64_t n = a_shape[axis_];
  const auto layout = cuda::collapse<2>(name(), updates.shape(), {walk, updates.strides()});
  const int64_t* indices = int64_indices({inputs[1]}, size);
  FaultCheck fault;
  cuda::launch_scatter_axis(out.dtype(), reduce_ == ReduceType::sum, updates.raw_data(),
                            out.raw_data(), indices, layout, size, n, out_strides[axis_],
                            fault.get());
  fault.check_on_completion(name(), axis_context(axis_, n));
}

void SliceUpdate::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& update = inputs[1];
  init_from(inputs[0], out);
  if (update.size() == 0) return;
  const Strides& strides = out.strides();
  Strides dst_strides(strides.size());
  int64_t offset = 0;
  for (size_t d = 0; d < strides.size(); ++d) {
    offset += static_cast<int64_t>(start_[d]) * strides[d];
    dst_strides[d] = strides[d] * strides_[d];
  }
  char* base = static_cast<char*>(out.raw_data()) + offset * static_cast<int64_t>(out.itemsize());
  cuda::copy_strided(update, base, out.dtype(), dst_strides);
}

namespace {

// The device-side start of a dynamic slice: `start` holds one value per axis of `axes`.
cuda::DynamicStart dynamic_start(const array& start, const std::vector<int>& axes,
                                 const Shape& shape, const Shape& window,
                                 const Strides& strides) {
  cuda::DynamicStart result;
  result.start = start.raw_data();
  result.start_dtype = start.dtype();
  result.start_step = start.ndim() == 1 ? start.strides()[0] : 0;
  result.num_axes = static_cast<int>(axes.size());
  for (size_t j = 0; j < axes.size(); ++j) {
    result.axis_size[j] = shape[axes[j]];
    result.window[j] = window[axes[j]];
    result.axis_stride[j] = strides[axes[j]];
  }
  return result;
}

}  // namespace

void DynamicSlice::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  cuda::check_gpu_dtype(name(), inputs[1].dtype());
  cuda::allocate_output(out);
  const int64_t size = static_cast<int64_t>(out.size());
  if (size == 0) return;
  const auto start = dynamic_start(inputs[1], axes_, a.shape(), slice_size_, a.strides());
  const auto layout = cuda::collapse<2>(name(), out.shape(), {a.strides(), out.strides()});
  cuda::launch_dynamic_copy(a.itemsize(), a.raw_data(), out.raw_data(), layout, size, start,
                            /*on_dst=*/false);
}

namespace {

// Writes inputs[1] (the update) into `out`, which already holds the data of inputs[0], at
// the start read from inputs[2] along `axes`.
void write_update_at_start(const char* op, const std::vector<array>& inputs,
                           const std::vector<int>& axes, array& out) {
  const array& update = inputs[1];
  const int64_t size = static_cast<int64_t>(update.size());
  if (size == 0) return;
  const auto start = dynamic_start(inputs[2], axes, out.shape(), update.shape(), out.strides());
  const auto layout = cuda::collapse<2>(op, update.shape(), {update.strides(), out.strides()});
  cuda::launch_dynamic_copy(out.itemsize(), update.raw_data(), out.raw_data(), layout, size,
                            start, /*on_dst=*/true);
}

}  // namespace

void DynamicSliceUpdate::eval_gpu(const std::vector<array>& inputs, array& out) {
  cuda::check_gpu_dtype(name(), inputs[2].dtype());
  init_from(inputs[0], out);
  write_update_at_start(name(), inputs, axes_, out);
}

void StateUpdate::eval_gpu(const std::vector<array>& inputs, array& out) {
  // The state's own buffer (row-contiguous, all of it), written in place: the state is a
  // captured graph's, which nothing outside the graph reads (capture.h).
  cuda::check_gpu_dtype(name(), inputs[2].dtype());
  out.copy_shared_buffer(inputs[0], inputs[0].strides(), 0);
  write_update_at_start(name(), inputs, axes_, out);
}

}  // namespace ember
