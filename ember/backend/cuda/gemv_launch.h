// Matrix-vector products for Matmul with at most kGemvMaxRows rows (LLM decode): one
// kernel launch, no cuBLASLt plan or workspace. cuBLASLt costs 26-28 us of host time per
// call against ~12 us for a plain kernel task, and decode runs ~200 of them per token
// (benchmarks/lm/NOTES.md). Called by matmul.cpp's eval_gpu.
#pragma once

#include <cstdint>

#include "ember/core/dtype.h"

namespace ember::cuda {

inline constexpr int kGemvMaxRows = 8;

/// y[r, c] = sum_i x[r, i] * w[c, i] for r < rows, c < cols, i < depth, accumulated in
/// float32: x rows `x_stride` elements apart, w rows `w_stride` apart, y row-contiguous
/// [rows, cols]. rows <= kGemvMaxRows. False if `dtype` is not float32, float16 or
/// bfloat16.
bool launch_gemv(Dtype dtype, const void* x, int64_t x_stride, const void* w, int64_t w_stride,
                 void* y, int rows, int64_t cols, int64_t depth);

}  // namespace ember::cuda
