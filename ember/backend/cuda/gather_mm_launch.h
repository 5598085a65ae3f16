// Launcher of GatherMM's kernel (gather_mm.cu), called by gather_mm.cpp's eval_gpu.
#pragma once

#include <cstdint>

#include "ember/backend/cuda/launch.h"
#include "ember/core/dtype.h"

namespace ember::cuda {

/// How to find matrix `i` of an operand's flattened batch, and its element strides.
struct MatrixBatch {
  int batch_ndim = 0;
  int32_t batch_shape[kMaxDims] = {};
  int64_t batch_strides[kMaxDims] = {};
  int64_t row_stride = 0, col_stride = 0;
};

/// c[i] (m x n, contiguous) = a[lhs[i]] @ b[rhs[i]] for i < count; float32/float16/bfloat16.
/// a_count / b_count: matrices in each operand's batch (an index outside gives NaNs).
void launch_gather_mm(Dtype dtype, const void* a, const void* b, void* c, const int32_t* lhs,
                      const int32_t* rhs, const MatrixBatch& a_desc, const MatrixBatch& b_desc,
                      int m, int n, int k, int64_t count, int64_t a_count, int64_t b_count);

}  // namespace ember::cuda
