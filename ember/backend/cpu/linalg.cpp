// Linear algebra on the CPU through LAPACK (Debian's OpenBLAS build): getrf/getri (inverse),
// trtri (triangular inverse), potrf (Cholesky), gesv (solve), geqrf/orgqr (QR), gesdd (SVD)
// and syevd (symmetric eigensolver). Each matrix of the batch is copied into a column-major
// scratch buffer (any input strides, broadcast batches included), factored there, and written
// to row-contiguous outputs. float32 and float64 only; LAPACK's 32-bit integer sizes.
#include "ember/core/primitives/linalg.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "ember/backend/cpu/strided.h"

// LAPACK's Fortran interface (the installed packages ship no LAPACKE). Character arguments
// take a hidden length after the others (gfortran's convention); routines that OpenBLAS
// reimplements in C ignore it.
extern "C" {
void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgetri_(const int* n, float* a, const int* lda, const int* ipiv, float* work, const int* lwork,
             int* info);
void dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work,
             const int* lwork, int* info);
void strtri_(const char* uplo, const char* diag, const int* n, float* a, const int* lda, int* info,
             size_t uplo_len, size_t diag_len);
void dtrtri_(const char* uplo, const char* diag, const int* n, double* a, const int* lda, int* info,
             size_t uplo_len, size_t diag_len);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t uplo_len);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uplo_len);
void sgesv_(const int* n, const int* nrhs, float* a, const int* lda, int* ipiv, float* b,
            const int* ldb, int* info);
void dgesv_(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b,
            const int* ldb, int* info);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork,
             int* iwork, int* info, size_t jobz_len);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
             int* iwork, int* info, size_t jobz_len);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info,
             size_t jobz_len, size_t uplo_len);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info,
             size_t jobz_len, size_t uplo_len);
}

namespace ember {
namespace {

// ---- one overload per routine and precision ----
namespace lapack {
void getrf(int n, float* a, int lda, int* ipiv, int& info) {
  sgetrf_(&n, &n, a, &lda, ipiv, &info);
}
void getrf(int n, double* a, int lda, int* ipiv, int& info) {
  dgetrf_(&n, &n, a, &lda, ipiv, &info);
}
void getri(int n, float* a, int lda, const int* ipiv, float* work, int lwork, int& info) {
  sgetri_(&n, a, &lda, ipiv, work, &lwork, &info);
}
void getri(int n, double* a, int lda, const int* ipiv, double* work, int lwork, int& info) {
  dgetri_(&n, a, &lda, ipiv, work, &lwork, &info);
}
void trtri(char uplo, int n, float* a, int lda, int& info) {
  strtri_(&uplo, "N", &n, a, &lda, &info, 1, 1);
}
void trtri(char uplo, int n, double* a, int lda, int& info) {
  dtrtri_(&uplo, "N", &n, a, &lda, &info, 1, 1);
}
void potrf(char uplo, int n, float* a, int lda, int& info) {
  spotrf_(&uplo, &n, a, &lda, &info, 1);
}
void potrf(char uplo, int n, double* a, int lda, int& info) {
  dpotrf_(&uplo, &n, a, &lda, &info, 1);
}
void gesv(int n, int nrhs, float* a, int lda, int* ipiv, float* b, int ldb, int& info) {
  sgesv_(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);
}
void gesv(int n, int nrhs, double* a, int lda, int* ipiv, double* b, int ldb, int& info) {
  dgesv_(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);
}
void geqrf(int m, int n, float* a, int lda, float* tau, float* work, int lwork, int& info) {
  sgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
}
void geqrf(int m, int n, double* a, int lda, double* tau, double* work, int lwork, int& info) {
  dgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
}
void orgqr(int m, int n, int k, float* a, int lda, const float* tau, float* work, int lwork,
           int& info) {
  sorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);
}
void orgqr(int m, int n, int k, double* a, int lda, const double* tau, double* work, int lwork,
           int& info) {
  dorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);
}
void gesdd(char jobz, int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt,
           int ldvt, float* work, int lwork, int* iwork, int& info) {
  sgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info, 1);
}
void gesdd(char jobz, int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt,
           int ldvt, double* work, int lwork, int* iwork, int& info) {
  dgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info, 1);
}
void syevd(char jobz, char uplo, int n, float* a, int lda, float* w, float* work, int lwork,
           int* iwork, int liwork, int& info) {
  ssyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
}
void syevd(char jobz, char uplo, int n, double* a, int lda, double* w, double* work, int lwork,
           int* iwork, int liwork, int& info) {
  dsyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
}
}  // namespace lapack

// Runs f(T{}) for the two dtypes LAPACK handles; the ops reject every other dtype.
template <class F>
void dispatch_lapack(Dtype dtype, const char* name, F&& f) {
  if (dtype == float32) {
    f(float{});
  } else if (dtype == float64) {
    f(double{});
  } else {
    throw RuntimeError(detail::concat("internal error: ", name, " on ", dtype));
  }
}

// The size a workspace query (lwork = -1) returned in work[0], rounded up.
template <class T>
int workspace_size(T query) {
  return std::max(1, static_cast<int>(query) + 1);
}

void check_info(int info, const char* routine) {
  if (info < 0) {
    throw RuntimeError(
        detail::concat("internal error: argument ", -info, " of ", routine, " is invalid"));
  }
}

// Leading dimension LAPACK accepts for a matrix with `rows` rows.
int leading(int rows) { return std::max(1, rows); }

// Calls f(offsets, index) for each matrix of the batch (all but the last two dims), in
// row-major batch order; offsets are the element offsets of that matrix in each input.
template <size_t N, class F>
void for_each_matrix(const std::array<const array*, N>& inputs, F&& f) {
  const array& first = *inputs[0];
  Shape batch(first.shape().begin(), first.shape().end() - 2);
  std::array<Strides, N> strides;
  for (size_t k = 0; k < N; ++k) {
    strides[k] = Strides(inputs[k]->strides().begin(), inputs[k]->strides().end() - 2);
  }
  int64_t index = 0;
  cpu::for_each_strided<N>(batch, strides,
                           [&](const std::array<int64_t, N>& offsets) { f(offsets, index++); });
}

// Copies the rows x cols matrix of `a` at element `offset` into column-major `dst`.
template <class T>
void load_column_major(const array& a, int64_t offset, int rows, int cols, T* dst, int ld) {
  const T* src = static_cast<const T*>(a.raw_data()) + offset;
  const int64_t row_stride = a.strides()[a.ndim() - 2];
  const int64_t col_stride = a.strides()[a.ndim() - 1];
  for (int j = 0; j < cols; ++j) {
    for (int i = 0; i < rows; ++i) dst[i + int64_t(j) * ld] = src[i * row_stride + j * col_stride];
  }
}

// Writes the column-major rows x cols matrix `src` to row-contiguous `dst`.
template <class T>
void store_row_major(const T* src, int ld, int rows, int cols, T* dst) {
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) dst[int64_t(i) * cols + j] = src[i + int64_t(j) * ld];
  }
}

// Zeroes the strictly lower (keep_upper) or strictly upper triangle of a column-major matrix.
template <class T>
void zero_other_triangle(T* a, int n, int ld, bool keep_upper) {
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      if (keep_upper ? i > j : i < j) a[i + int64_t(j) * ld] = T(0);
    }
  }
}

// "" for an unbatched input, else " (matrix 3 of the batch)".
std::string which_matrix(const array& a, int64_t index) {
  if (a.ndim() == 2) return "";
  return detail::concat(" (matrix ", index, " of the batch)");
}

template <class T>
void inverse(const array& a, array& out, bool triangular, bool upper) {
  const int n = a.shape(-1), ld = leading(n);
  std::vector<T> m(size_t(ld) * n);
  std::vector<int> pivots(n);
  int lwork = 1, info = 0;
  if (!triangular) {
    T query{};
    lapack::getri(n, m.data(), ld, pivots.data(), &query, -1, info);
    check_info(info, "getri");
    lwork = workspace_size(query);
  }
  std::vector<T> work(lwork);
  T* dst = static_cast<T*>(out.raw_data());
  for_each_matrix<1>({&a}, [&](const std::array<int64_t, 1>& offsets, int64_t index) {
    load_column_major(a, offsets[0], n, n, m.data(), ld);
    if (triangular) {
      lapack::trtri(upper ? 'U' : 'L', n, m.data(), ld, info);
      zero_other_triangle(m.data(), n, ld, upper);
    } else {
      lapack::getrf(n, m.data(), ld, pivots.data(), info);
      if (info == 0) lapack::getri(n, m.data(), ld, pivots.data(), work.data(), lwork, info);
    }
    check_info(info, triangular ? "trtri" : "getrf/getri");
    if (info > 0) {
      throw ValueError(detail::concat("the matrix is singular", which_matrix(a, index),
                                      ": diagonal element ", info, " of its ",
                                      triangular ? "triangle" : "LU factor U", " is zero"));
    }
    store_row_major(m.data(), ld, n, n, dst + index * int64_t(n) * n);
  });
}

template <class T>
void cholesky(const array& a, array& out, bool upper) {
  const int n = a.shape(-1), ld = leading(n);
  std::vector<T> m(size_t(ld) * n);
  T* dst = static_cast<T*>(out.raw_data());
  for_each_matrix<1>({&a}, [&](const std::array<int64_t, 1>& offsets, int64_t index) {
    load_column_major(a, offsets[0], n, n, m.data(), ld);
    int info = 0;
    lapack::potrf(upper ? 'U' : 'L', n, m.data(), ld, info);
    check_info(info, "potrf");
    if (info > 0) {
      throw ValueError(detail::concat("the matrix is not positive definite", which_matrix(a, index),
                                      ": its leading minor of order ", info, " is not"));
    }
    zero_other_triangle(m.data(), n, ld, upper);
    store_row_major(m.data(), ld, n, n, dst + index * int64_t(n) * n);
  });
}

template <class T>
void solve(const array& a, const array& b, array& out) {
  const int n = a.shape(-1), k = b.shape(-1), ld = leading(n);
  std::vector<T> m(size_t(ld) * n), x(size_t(ld) * k);
  std::vector<int> pivots(n);
  T* dst = static_cast<T*>(out.raw_data());
  for_each_matrix<2>({&a, &b}, [&](const std::array<int64_t, 2>& offsets, int64_t index) {
    load_column_major(a, offsets[0], n, n, m.data(), ld);
    load_column_major(b, offsets[1], n, k, x.data(), ld);
    int info = 0;
    lapack::gesv(n, k, m.data(), ld, pivots.data(), x.data(), ld, info);
    check_info(info, "gesv");
    if (info > 0) {
      throw ValueError(detail::concat("the matrix is singular", which_matrix(a, index),
                                      ": diagonal element ", info, " of its LU factor U is zero"));
    }
    store_row_major(x.data(), ld, n, k, dst + index * int64_t(n) * k);
  });
}

template <class T>
void qr(const array& a, array& q_out, array& r_out) {
  const int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n), ld = leading(m);
  if (k == 0) return;  // Q or R is empty and the other too: nothing to write.
  std::vector<T> buffer(size_t(ld) * n), tau(k);
  int info = 0;
  T query_qr{}, query_q{};
  lapack::geqrf(m, n, buffer.data(), ld, tau.data(), &query_qr, -1, info);
  check_info(info, "geqrf");
  lapack::orgqr(m, k, k, buffer.data(), ld, tau.data(), &query_q, -1, info);
  check_info(info, "orgqr");
  const int lwork = std::max(workspace_size(query_qr), workspace_size(query_q));
  std::vector<T> work(lwork);
  T* q = static_cast<T*>(q_out.raw_data());
  T* r = static_cast<T*>(r_out.raw_data());
  for_each_matrix<1>({&a}, [&](const std::array<int64_t, 1>& offsets, int64_t index) {
    load_column_major(a, offsets[0], m, n, buffer.data(), ld);
    lapack::geqrf(m, n, buffer.data(), ld, tau.data(), work.data(), lwork, info);
    check_info(info, "geqrf");
    T* r_matrix = r + index * int64_t(k) * n;
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < n; ++j)
        r_matrix[int64_t(i) * n + j] = i <= j ? buffer[i + int64_t(j) * ld] : T(0);
    }
    lapack::orgqr(m, k, k, buffer.data(), ld, tau.data(), work.data(), lwork, info);
    check_info(info, "orgqr");
    store_row_major(buffer.data(), ld, m, k, q + index * int64_t(m) * k);
  });
}

template <class T>
void set_identity(T* a, int n) {
  std::fill(a, a + int64_t(n) * n, T(0));
  for (int i = 0; i < n; ++i) a[int64_t(i) * n + i] = T(1);
}

template <class T>
void svd(const array& a, std::vector<array>& outputs, bool compute_uv) {
  const int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  const int ld = leading(m), ldu = leading(m), ldvt = leading(n);
  array& s_out = outputs[compute_uv ? 1 : 0];
  T* s = static_cast<T*>(s_out.raw_data());
  T* u = compute_uv ? static_cast<T*>(outputs[0].raw_data()) : nullptr;
  T* vt = compute_uv ? static_cast<T*>(outputs[2].raw_data()) : nullptr;
  const char jobz = compute_uv ? 'A' : 'N';
  std::vector<T> buffer(size_t(ld) * n), u_buffer(compute_uv ? size_t(ldu) * m : 1),
      vt_buffer(compute_uv ? size_t(ldvt) * n : 1);
  std::vector<int> iwork(8 * std::max(k, 1));
  int info = 0, lwork = 1;
  if (k > 0) {
    T query{};
    lapack::gesdd(jobz, m, n, buffer.data(), ld, s, u_buffer.data(), ldu, vt_buffer.data(), ldvt,
                  &query, -1, iwork.data(), info);
    check_info(info, "gesdd");
    lwork = workspace_size(query);
  }
  std::vector<T> work(lwork);
  for_each_matrix<1>({&a}, [&](const std::array<int64_t, 1>& offsets, int64_t index) {
    if (k == 0) {  // no singular values; U and V^T are identities of their sizes
      if (compute_uv) {
        set_identity(u + index * int64_t(m) * m, m);
        set_identity(vt + index * int64_t(n) * n, n);
      }
      return;
    }
    load_column_major(a, offsets[0], m, n, buffer.data(), ld);
    lapack::gesdd(jobz, m, n, buffer.data(), ld, s + index * k, u_buffer.data(), ldu,
                  vt_buffer.data(), ldvt, work.data(), lwork, iwork.data(), info);
    check_info(info, "gesdd");
    if (info > 0) {
      throw ValueError(detail::concat("the singular value decomposition did not converge",
                                      which_matrix(a, index)));
    }
    if (compute_uv) {
      store_row_major(u_buffer.data(), ldu, m, m, u + index * int64_t(m) * m);
      store_row_major(vt_buffer.data(), ldvt, n, n, vt + index * int64_t(n) * n);
    }
  });
}

template <class T>
void eigh(const array& a, std::vector<array>& outputs, char uplo, bool vectors) {
  const int n = a.shape(-1), ld = leading(n);
  if (n == 0) return;
  const char jobz = vectors ? 'V' : 'N';
  std::vector<T> buffer(size_t(ld) * n);
  T* w = static_cast<T*>(outputs[0].raw_data());
  T* v = vectors ? static_cast<T*>(outputs[1].raw_data()) : nullptr;
  T query{};
  int iquery = 0, info = 0;
  lapack::syevd(jobz, uplo, n, buffer.data(), ld, w, &query, -1, &iquery, -1, info);
  check_info(info, "syevd");
  const int lwork = workspace_size(query), liwork = std::max(1, iquery);
  std::vector<T> work(lwork);
  std::vector<int> iwork(liwork);
  for_each_matrix<1>({&a}, [&](const std::array<int64_t, 1>& offsets, int64_t index) {
    load_column_major(a, offsets[0], n, n, buffer.data(), ld);
    lapack::syevd(jobz, uplo, n, buffer.data(), ld, w + index * n, work.data(), lwork, iwork.data(),
                  liwork, info);
    check_info(info, "syevd");
    if (info > 0) {
      throw ValueError(detail::concat("the eigensolver did not converge", which_matrix(a, index)));
    }
    if (vectors) store_row_major(buffer.data(), ld, n, n, v + index * int64_t(n) * n);
  });
}

}  // namespace

void Inverse::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  if (out.size() == 0) return;
  dispatch_lapack(out.dtype(), name(),
                  [&](auto tag) { inverse<decltype(tag)>(inputs[0], out, triangular_, upper_); });
}

void Cholesky::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  if (out.size() == 0) return;
  dispatch_lapack(out.dtype(), name(),
                  [&](auto tag) { cholesky<decltype(tag)>(inputs[0], out, upper_); });
}

void Solve::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  if (out.size() == 0) return;
  dispatch_lapack(out.dtype(), name(),
                  [&](auto tag) { solve<decltype(tag)>(inputs[0], inputs[1], out); });
}

void QRF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (auto& out : outputs) cpu::allocate_output(out);
  if (inputs[0].size() == 0) return;
  dispatch_lapack(inputs[0].dtype(), name(),
                  [&](auto tag) { qr<decltype(tag)>(inputs[0], outputs[0], outputs[1]); });
}

void SVD::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (auto& out : outputs) cpu::allocate_output(out);
  dispatch_lapack(inputs[0].dtype(), name(),
                  [&](auto tag) { svd<decltype(tag)>(inputs[0], outputs, compute_uv_); });
}

void Eigh::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (auto& out : outputs) cpu::allocate_output(out);
  if (inputs[0].size() == 0) return;
  dispatch_lapack(inputs[0].dtype(), name(), [&](auto tag) {
    eigh<decltype(tag)>(inputs[0], outputs, uplo_, compute_eigenvectors_);
  });
}

}  // namespace ember
