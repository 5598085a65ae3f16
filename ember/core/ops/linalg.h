// Ops: linear algebra (ops/linalg.cpp). MLX's names, argument order and defaults: matmul in
// namespace ember, the rest in ember::linalg (mlx/linalg.h).
//
//   array a = random::normal({4, 4}, float32);
//   auto [q, r] = linalg::qr(a);              // a == matmul(q, r)
//   array x = linalg::solve(a, b);            // a x == b
//
// The factorizations run on the CPU only, as in MLX (a GPU stream is a ValueError), take
// float32 or float64 (other dtypes are a TypeError) and batch over the leading dimensions.
// Numerical failures (a singular matrix, one that is not positive definite) surface at eval
// as ValueError naming the primitive: "[Inverse] the matrix is singular ...".
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

/// Matrix product with NumPy's rules: 1-d operands are promoted and squeezed back, batch
/// dimensions broadcast. Floating dtypes only, as in MLX.
array matmul(const array& a, const array& b, StreamOrDevice s = {});

namespace linalg {

/// Vector or matrix norm, as numpy.linalg.norm:
/// - no ord, no axis: the 2-norm of the flattened array (the Frobenius norm of a matrix);
/// - ord without axis: `a` must be 1-d (vector norm) or 2-d (matrix norm);
/// - one axis: vector norm; ord inf/-inf (max/min |x|), 0 (count of non-zeros), 1, 2, any p;
/// - two axes: matrix norm; ord 1/-1 (max/min column sum of |x|), inf/-inf (max/min row
///   sum), 2/-2 (largest/smallest singular value), "fro", "nuc" (sum of singular values).
/// keepdims keeps the reduced axes with size 1. Integer inputs give float32.
array norm(const array& a, const double ord,
           const std::optional<std::vector<int>>& axis = std::nullopt, bool keepdims = false,
           StreamOrDevice s = {});
inline array norm(const array& a, const double ord, int axis, bool keepdims = false,
                  StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}
array norm(const array& a, const std::string& ord,
           const std::optional<std::vector<int>>& axis = std::nullopt, bool keepdims = false,
           StreamOrDevice s = {});
inline array norm(const array& a, const std::string& ord, int axis, bool keepdims = false,
                  StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}
array norm(const array& a, const std::optional<std::vector<int>>& axis = std::nullopt,
           bool keepdims = false, StreamOrDevice s = {});
inline array norm(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {}) {
  return norm(a, std::vector<int>{axis}, keepdims, s);
}
// Braced axes, norm(a, {0, 1}): without these, {0, 1} would convert to a std::string ord.
inline array norm(const array& a, std::initializer_list<int> axes, bool keepdims = false,
                  StreamOrDevice s = {}) {
  return norm(a, std::vector<int>(axes), keepdims, s);
}
inline array norm(const array& a, const double ord, std::initializer_list<int> axes,
                  bool keepdims = false, StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>(axes), keepdims, s);
}
inline array norm(const array& a, const std::string& ord, std::initializer_list<int> axes,
                  bool keepdims = false, StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>(axes), keepdims, s);
}

/// Reduced QR of (..., M, N): Q (..., M, K) with orthonormal columns and upper triangular
/// R (..., K, N), K = min(M, N).
std::pair<array, array> qr(const array& a, StreamOrDevice s = {});

/// Singular value decomposition of (..., M, N): {U (..., M, M), S (..., K), Vt (..., N, N)}
/// with a == U[:, :K] diag(S) Vt[:K], S descending; {S} alone when compute_uv is false.
std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s = {});
inline std::vector<array> svd(const array& a, StreamOrDevice s = {}) { return svd(a, true, s); }

/// Inverse of each square matrix; a singular one fails at eval.
array inv(const array& a, StreamOrDevice s = {});

/// Inverse of the lower (or upper) triangle of each square matrix; the other triangle of
/// `a` is ignored and zero in the result.
array tri_inv(const array& a, bool upper = false, StreamOrDevice s = {});

/// Cholesky factor of each symmetric positive definite matrix: L with a == L L^T, or U with
/// a == U^T U when upper. Reads only that triangle of `a`.
array cholesky(const array& a, bool upper = false, StreamOrDevice s = {});

/// Moore-Penrose pseudo-inverse through the SVD; singular values at or below
/// 10 * max(M, N) * eps * max(S) are treated as zero (MLX's cutoff).
array pinv(const array& a, StreamOrDevice s = {});

/// Inverse of a == L L^T (or U^T U when upper) from its Cholesky factor.
array cholesky_inv(const array& L, bool upper = false, StreamOrDevice s = {});

/// x with a x == b for square a (..., N, N). b is a vector (N,) when 1-d, else a batch of
/// matrices (..., N, K); batch dimensions broadcast.
array solve(const array& a, const array& b, StreamOrDevice s = {});

/// Cross product of 3-vectors along `axis` (size-2 vectors are taken with a zero third
/// component, as in MLX); other dimensions broadcast.
array cross(const array& a, const array& b, int axis = -1, StreamOrDevice s = {});

/// Eigenvalues (ascending) of each symmetric matrix, reading its lower ("L") or upper ("U")
/// triangle.
array eigvalsh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});

/// Eigenvalues (ascending) and eigenvectors (the columns of the second output) of each
/// symmetric matrix, reading its lower ("L") or upper ("U") triangle.
std::pair<array, array> eigh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});

}  // namespace linalg
}  // namespace ember
