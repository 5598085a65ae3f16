// Host helpers for eval_gpu: output allocation on the task's device, temporaries kept
// alive until the task completes (G1), dtype checks and layout collapsing for launchers.
#pragma once

#include <vector>

#include "ember/backend/cuda/launch.h"
#include "ember/core/array.h"
#include "ember/core/storage.h"

namespace ember::cuda {

/// The device of the GPU task running on this thread.
Device task_device();
/// Fresh storage of `bytes` on the task's device, held until the task completes.
detail::StoragePtr allocate(size_t bytes);
/// Gives `out` fresh row-contiguous storage on the task's device.
void allocate_output(array& out);
/// Reuses the buffer of a donatable input of out's dtype, else allocates (as on the CPU).
/// Read the inputs' data pointers first: a donated input loses its storage.
void donate_or_allocate(const std::vector<array>& inputs, array& out);
/// Device scratch memory for one task (workspaces), held until the task completes.
void* temporary(size_t bytes);

/// Throws NotImplementedError naming `op` if `dtype` has no CUDA kernels (float64 and
/// complex64 are CPU-only).
void check_gpu_dtype(const char* op, Dtype dtype);
/// Whether every stride of `a` is 0 (one element broadcast).
bool is_scalar_broadcast(const array& a);
/// The layout of `shape` as seen through N stride vectors, size-1 dims dropped and dims
/// contiguous in every operand merged. Throws NotImplementedError past kMaxDims.
template <int N>
Layout<N> collapse(const char* op, const Shape& shape, const std::array<Strides, N>& strides);

/// Copies `in` (any layout) into `dst`, laid out with `dst_strides`, converting to
/// `dst_dtype`; enqueued on the task's stream.
void copy_strided(const array& in, void* dst, Dtype dst_dtype, const Strides& dst_strides);
/// A row-contiguous device copy of `in` (itself if already row-contiguous).
array contiguous_copy(const array& in);
/// A row-contiguous device copy of `in` in a buffer of its own, at offset 0 (always copies).
array fresh_copy(const array& in);

}  // namespace ember::cuda
