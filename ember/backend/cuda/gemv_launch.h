// Matrix-vector products for Matmul with at most kGemvMaxRows rows (LLM decode): one
// kernel launch, no cuBLASLt plan or workspace. cuBLASLt costs 26-28 us of host time per
// call against ~12 us for a plain kernel task, and decode runs ~200 of them per token
// (benchmarks/lm/NOTES.md). Called by matmul.cpp's eval_gpu.
#pragma once

#include <cstdint>

#include "ember/core/dtype.h"

namespace ember::cuda {

inline constexpr int kGemvMaxRows = 8;

/// The addend of an AddMM: y = alpha * (x w^T) + beta * addend, addend[r, c] at
/// data + r * row_stride + c (row_stride 0: one row for all). data null: y = x w^T.
struct GemvAddend {
  const void* data = nullptr;
  int64_t row_stride = 0;
  float alpha = 1.0f, beta = 0.0f;
};

/// y[r, c] = sum_i x[r, i] * w[c, i] for r < rows, c < cols, i < depth, accumulated in
/// float32 (then scaled and added to `addend` when it has data, rounding once): x rows
/// `x_stride` elements apart, w rows `w_stride` apart, y row-contiguous [rows, cols].
/// rows <= kGemvMaxRows. False if `dtype` is not float32, float16 or bfloat16.
bool launch_gemv(Dtype dtype, const void* x, int64_t x_stride, const void* w, int64_t w_stride,
                 void* y, int rows, int64_t cols, int64_t depth, const GemvAddend& addend = {});

/// y[r, c] = swiglu(g, u) (functors::SwiGlu) for c < cols, with g and u the products of x's
/// row r with w's rows c and c + cols, each rounded to dtype first: fast::matmul_swiglu of
/// a [gate | up] weight, w's 2 * cols rows `w_stride` apart. Otherwise as launch_gemv.
bool launch_gemv_swiglu(Dtype dtype, const void* x, int64_t x_stride, const void* w,
                        int64_t w_stride, void* y, int rows, int64_t cols, int64_t depth);

}  // namespace ember::cuda
