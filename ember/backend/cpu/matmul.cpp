// Matmul and AddMM through the BLAS (OpenBLAS): sgemm, dgemm and cgemm per batch element;
// 16-bit floats go through float32 buffers. Matrices whose last two dims are neither row- nor
// column-contiguous are copied first; broadcast batch dims use stride 0 and cost nothing.
#include "ember/core/primitives/matmul.h"

#include <cblas.h>

#include <cstring>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"

namespace ember {
namespace {

// A matrix operand as BLAS sees it: leading dimension and whether it is transposed.
struct Operand {
  array source;
  CBLAS_TRANSPOSE transpose = CblasNoTrans;
  int64_t leading = 0;
};

Operand blas_operand(const array& a, array& scratch_holder) {
  const int nd = a.ndim();
  const int64_t rows = a.shape(-2), cols = a.shape(-1);
  const int64_t row_stride = a.strides()[nd - 2], col_stride = a.strides()[nd - 1];
  if (col_stride == 1 && (row_stride >= std::max<int64_t>(cols, 1) || rows == 1)) {
    return {a, CblasNoTrans, std::max<int64_t>(rows == 1 ? cols : row_stride, 1)};
  }
  if (row_stride == 1 && (col_stride >= std::max<int64_t>(rows, 1) || cols == 1)) {
    return {a, CblasTrans, std::max<int64_t>(cols == 1 ? rows : col_stride, 1)};
  }
  // Neither layout: make a row-contiguous copy whose batch strides follow its own shape.
  scratch_holder = array(Shape(a.shape()), a.dtype(), nullptr, {});
  cpu::copy_to_new(a, scratch_holder);
  return {scratch_holder, CblasNoTrans, std::max<int64_t>(cols, 1)};
}

// C = alpha A B + beta C (C is not read when beta is 0).
template <class T>
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const T* a, int lda,
          const T* b, int ldb, T* c, int ldc, float alpha = 1.0f, float beta = 0.0f) {
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else if constexpr (std::is_same_v<T, double>) {
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    const complex64_t scale(alpha, 0.0f), keep(beta, 0.0f);
    cblas_cgemm(CblasRowMajor, ta, tb, m, n, k, &scale, a, lda, b, ldb, &keep, c, ldc);
  }
}

// 16-bit floats: widen one operand to a dense float32 buffer in its own memory order (so
// the reads are sequential), returning the leading dimension to pass with its transpose.
template <class T>
int widen(const T* src, int rows, int cols, int64_t ld, CBLAS_TRANSPOSE t, float* dst) {
  const int outer = t == CblasNoTrans ? rows : cols, inner = t == CblasNoTrans ? cols : rows;
  for (int i = 0; i < outer; ++i) {
    const T* line = src + i * ld;
    float* out = dst + int64_t(i) * inner;
    for (int j = 0; j < inner; ++j) out[j] = static_cast<float>(line[j]);
  }
  return std::max(inner, 1);
}

}  // namespace

namespace {

// alpha * product + beta * what c holds (not read when beta is 0), rounded once to T.
// float64 outputs combine in float64, the rest in float32.
template <class T>
T combine(float product, float alpha, float beta, T held) {
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const Acc scaled = static_cast<Acc>(alpha) * static_cast<Acc>(product);
  return static_cast<T>(beta == 0.0f ? scaled
                                     : scaled + static_cast<Acc>(beta) * static_cast<Acc>(held));
}

// One product C = alpha A B + beta C of matrices at the given element offsets, for any float
// dtype (Matmul passes alpha 1, beta 0: C is then only written).
template <class T>
void product(const Operand& a, const Operand& b, int64_t a_offset, int64_t b_offset, T* c, int m,
             int n, int k, std::vector<float>& wa, std::vector<float>& wb, std::vector<float>& wc,
             float alpha = 1.0f, float beta = 0.0f) {
  const T* pa = static_cast<const T*>(a.source.raw_data()) + a_offset;
  const T* pb = static_cast<const T*>(b.source.raw_data()) + b_offset;
  if (k == 0) {
    for (int64_t i = 0; i < int64_t(m) * n; ++i) {
      if constexpr (is_complex(storage_dtype_of<T>())) {
        c[i] = T(0);
      } else {
        c[i] = combine<T>(0.0f, alpha, beta, c[i]);
      }
    }
    return;
  }
  if constexpr (HalfFloat<T>) {
    if (m <= 4 && b.transpose == CblasTrans) {
      // Decode-shaped products (a few rows times a weight stored [n, k]): dot products that
      // read the 16-bit weights once, instead of widening the whole weight matrix first.
      wa.resize(size_t(k));
      for (int i = 0; i < m; ++i) {
        const T* row = a.transpose == CblasNoTrans ? pa + i * a.leading : nullptr;
        for (int p = 0; p < k; ++p) {
          wa[p] = static_cast<float>(row ? row[p] : pa[p * a.leading + i]);
        }
        for (int j = 0; j < n; ++j) {
          const T* col = pb + j * b.leading;
          float acc = 0.0f;
          for (int p = 0; p < k; ++p) acc += wa[p] * static_cast<float>(col[p]);
          T& held = c[int64_t(i) * n + j];
          held = combine<T>(acc, alpha, beta, held);
        }
      }
      return;
    }
    wa.resize(size_t(m) * k);
    wb.resize(size_t(k) * n);
    wc.resize(size_t(m) * n);
    const int lda = widen(pa, m, k, a.leading, a.transpose, wa.data());
    const int ldb = widen(pb, k, n, b.leading, b.transpose, wb.data());
    gemm<float>(a.transpose, b.transpose, m, n, k, wa.data(), lda, wb.data(), ldb, wc.data(), n);
    for (size_t i = 0; i < wc.size(); ++i) c[i] = combine<T>(wc[i], alpha, beta, c[i]);
  } else {
    gemm<T>(a.transpose, b.transpose, m, n, k, pa, static_cast<int>(a.leading), pb,
            static_cast<int>(b.leading), c, n, alpha, beta);
  }
}

// Element offset of batch element `flat` (row-major over `shape`) given the batch strides.
int64_t batch_offset(int64_t flat, const array& x) {
  int64_t offset = 0;
  for (int d = x.ndim() - 3; d >= 0; --d) {
    const int64_t extent = x.shape(d);
    offset += (flat % extent) * x.strides()[d];
    flat /= extent;
  }
  return offset;
}

}  // namespace

namespace {

// The batched product of Matmul and AddMM into `out`, which AddMM has filled with c.
void batched_product(const std::vector<array>& inputs, array& out, float alpha, float beta) {
  array a_scratch = inputs[0], b_scratch = inputs[1];
  const Operand a = blas_operand(inputs[0], a_scratch);
  const Operand b = blas_operand(inputs[1], b_scratch);
  const int m = out.shape(-2), n = out.shape(-1), k = inputs[0].shape(-1);
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  Strides a_batch = matmul_batch_strides(a.source, batch.size());
  Strides b_batch = matmul_batch_strides(b.source, batch.size());
  Strides out_batch(out.strides().begin(), out.strides().end() - 2);
  if (m == 0 || n == 0) return;
  dispatch_all_types(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!is_inexact(storage_dtype_of<T>())) {
      throw RuntimeError(detail::concat("internal error: matmul on ", out.dtype()));
    } else {
      T* c_data = static_cast<T*>(out.raw_data());
      std::vector<float> wa, wb, wc;
      auto one = [&](const std::array<int64_t, 3>& o) {
        product<T>(a, b, o[0], o[1], c_data + o[2], m, n, k, wa, wb, wc, alpha, beta);
      };
      if (batch.empty()) {
        one({0, 0, 0});
      } else {
        cpu::for_each_strided<3>(batch, {a_batch, b_batch, out_batch}, one);
      }
    }
  });
}

}  // namespace

void Matmul::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  batched_product(inputs, out, 1.0f, 0.0f);
}

void AddMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_to_new(inputs[2], out);  // c, then the product accumulates onto it
  batched_product(inputs, out, alpha(), beta());
}

void GatherMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  array a_scratch = inputs[0], b_scratch = inputs[1];
  const Operand a = blas_operand(inputs[0], a_scratch);
  const Operand b = blas_operand(inputs[1], b_scratch);
  const int m = out.shape(-2), n = out.shape(-1), k = inputs[0].shape(-1);
  const int32_t* lhs = static_cast<const int32_t*>(inputs[2].raw_data());
  const int32_t* rhs = static_cast<const int32_t*>(inputs[3].raw_data());
  const int64_t count = static_cast<int64_t>(inputs[2].size());
  const int64_t a_count =
      static_cast<int64_t>(inputs[0].size()) / std::max<int64_t>(int64_t(m) * k, 1);
  const int64_t b_count =
      static_cast<int64_t>(inputs[1].size()) / std::max<int64_t>(int64_t(k) * n, 1);
  for (int64_t i = 0; i < count; ++i) {
    EMBER_CHECK(lhs[i] >= 0 && lhs[i] < a_count && rhs[i] >= 0 && rhs[i] < b_count, IndexError,
                "[GatherMM] index pair (", lhs[i], ", ", rhs[i], ") out of range for ", a_count,
                " and ", b_count, " matrices");
  }
  if (m == 0 || n == 0) return;
  dispatch_float_types(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* c_data = static_cast<T*>(out.raw_data());
    std::vector<float> wa, wb, wc;
    for (int64_t i = 0; i < count; ++i) {
      product<T>(a, b, batch_offset(lhs[i], a.source), batch_offset(rhs[i], b.source),
                 c_data + i * int64_t(m) * n, m, n, k, wa, wb, wc);
    }
  });
}

}  // namespace ember
