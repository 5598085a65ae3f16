// Linear algebra ops: matmul, and the linalg namespace (MLX's mlx/linalg.h).
#include <algorithm>
#include <limits>

#include "ember/core/ops.h"
#include "ember/core/primitives/linalg.h"
#include "ember/core/primitives/matmul.h"

namespace ember {

array matmul(const array& a_in, const array& b_in, StreamOrDevice s) {
  EMBER_CHECK(a_in.ndim() >= 1 && b_in.ndim() >= 1, ValueError,
              "[matmul] inputs need at least one dimension; got shapes ",
              shape_to_string(a_in.shape()), " and ", shape_to_string(b_in.shape()));
  const Dtype dtype = promote_types(a_in.dtype(), b_in.dtype());
  EMBER_CHECK(is_inexact(dtype), TypeError, "[matmul] only floating and complex dtypes are ",
              "supported; ", a_in.dtype(), " and ", b_in.dtype(), " give ", dtype);
  const Stream stream = to_stream(s);
  array a = astype(a_in, dtype, stream);
  array b = astype(b_in, dtype, stream);
  if (a.ndim() == 1) a = reshape(a, {1, a.shape(0)}, stream);
  if (b.ndim() == 1) b = reshape(b, {b.shape(0), 1}, stream);
  EMBER_CHECK(a.shape(-1) == b.shape(-2), ValueError, "[matmul] last dimension of a ",
              shape_to_string(a_in.shape()), " must match the second to last of b ",
              shape_to_string(b_in.shape()));
  Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  Shape a_shape = batch, b_shape = batch, out_shape = batch;
  a_shape.insert(a_shape.end(), {a.shape(-2), a.shape(-1)});
  b_shape.insert(b_shape.end(), {b.shape(-2), b.shape(-1)});
  out_shape.insert(out_shape.end(), {a.shape(-2), b.shape(-1)});
  // A rank-2 operand is used as is for every batch element (primitives/matmul.h).
  if (a.ndim() != 2) a = broadcast_to(a, a_shape, stream);
  if (b.ndim() != 2) b = broadcast_to(b, b_shape, stream);
  array out(out_shape, dtype, std::make_shared<Matmul>(stream), {a, b});
  if (a_in.ndim() == 1 || b_in.ndim() == 1) {
    Shape squeezed = batch;
    if (a_in.ndim() != 1) squeezed.push_back(out_shape[out_shape.size() - 2]);
    if (b_in.ndim() != 1) squeezed.push_back(out_shape.back());
    out = reshape(out, squeezed, stream);
  }
  return out;
}

}  // namespace ember

// ---- linalg:: ----
// The factorizations are primitives (primitives/linalg.h, LAPACK on the CPU); norms, pinv,
// cholesky_inv and cross are composed from other ops.
namespace ember::linalg {
namespace {

Stream cpu_stream(StreamOrDevice s, const char* op) {
  Stream stream = to_stream(s);
  EMBER_CHECK(stream.device.type == Device::cpu, ValueError, "[", op,
              "] runs on the CPU only (as in MLX); pass a CPU stream or Device::cpu");
  return stream;
}

void check_float(Dtype dtype, const char* op) {
  EMBER_CHECK(dtype == float32 || dtype == float64, TypeError, "[", op,
              "] supports float32 and float64 only; got ", dtype);
}

void check_matrices(const array& a, const char* op, bool square) {
  EMBER_CHECK(a.ndim() >= 2, ValueError, "[", op,
              "] needs an array of at least 2 dimensions; got shape ", shape_to_string(a.shape()));
  EMBER_CHECK(!square || a.shape(-1) == a.shape(-2), ValueError, "[", op,
              "] needs square matrices in the last two dimensions; got shape ",
              shape_to_string(a.shape()));
}

// Stream, dtype and shape checks shared by the factorizations.
Stream check_factorization(const array& a, const char* op, bool square, StreamOrDevice s) {
  Stream stream = cpu_stream(s, op);
  check_float(a.dtype(), op);
  check_matrices(a, op, square);
  return stream;
}

char check_uplo(const std::string& uplo, const char* op) {
  EMBER_CHECK(uplo == "L" || uplo == "U", ValueError, "[", op,
              "] UPLO must be \"L\" or \"U\"; got \"", uplo, "\"");
  return uplo[0];
}

Dtype at_least_float(Dtype dtype) {
  return is_inexact(dtype) ? dtype : promote_types(dtype, float32);
}

// The norm's input as a real floating array: |a| for complex a (every norm depends only on
// the magnitudes), integers and bools cast to float32.
array norm_input(const array& a, const Stream& stream) {
  if (is_complex(a.dtype())) return abs(a, stream);
  return astype(a, at_least_float(a.dtype()), stream);
}

std::vector<int> norm_axes(const array& a, const std::optional<std::vector<int>>& axis) {
  std::vector<int> axes;
  if (!axis) {
    EMBER_CHECK(a.ndim() == 1 || a.ndim() == 2, ValueError,
                "[linalg::norm] with an ord and no axis, the array must be 1-d or 2-d; got shape ",
                shape_to_string(a.shape()));
    for (int d = 0; d < a.ndim(); ++d) axes.push_back(d);
    return axes;
  }
  EMBER_CHECK(axis->size() == 1 || axis->size() == 2, ValueError,
              "[linalg::norm] takes one axis (vector norm) or two (matrix norm); got ",
              axis->size());
  for (int ax : *axis) axes.push_back(normalize_axis(ax, a.ndim(), "linalg::norm"));
  EMBER_CHECK(axes.size() == 1 || axes[0] != axes[1], ValueError,
              "[linalg::norm] the two axes of a matrix norm must differ; got ", (*axis)[0], " and ",
              (*axis)[1]);
  return axes;
}

array l2_norm(const array& x, const std::vector<int>& axes, bool keepdims, const Stream& stream) {
  return sqrt(sum(square(x, stream), axes, keepdims, stream), stream);
}

array vector_norm(const array& x, double ord, int axis, bool keepdims, const Stream& stream) {
  const double inf = std::numeric_limits<double>::infinity();
  if (ord == 2.0) return l2_norm(x, {axis}, keepdims, stream);
  if (ord == inf) return max(abs(x, stream), axis, keepdims, stream);
  if (ord == -inf) return min(abs(x, stream), axis, keepdims, stream);
  if (ord == 1.0) return sum(abs(x, stream), axis, keepdims, stream);
  if (ord == 0.0) {
    return astype(sum(not_equal(x, array(0.0, x.dtype()), stream), axis, keepdims, stream),
                  x.dtype(), stream);
  }
  const array p(ord, x.dtype());
  return power(sum(power(abs(x, stream), p, stream), axis, keepdims, stream),
               array(1.0 / ord, x.dtype()), stream);
}

// Singular values of the matrices spanned by (row, col), the remaining axes leading.
array singular_values(const array& x, int row, int col, const Stream& stream, double ord) {
  EMBER_CHECK(x.dtype() == float32 || x.dtype() == float64, TypeError, "[linalg::norm] ord ", ord,
              " needs the singular values, which support float32 and float64 only; got ",
              x.dtype());
  std::vector<int> order;
  for (int d = 0; d < x.ndim(); ++d) {
    if (d != row && d != col) order.push_back(d);
  }
  order.push_back(row);
  order.push_back(col);
  return svd(transpose(x, order, stream), false, stream)[0];
}

// A reduction over the matrix axes computed with keepdims, squeezed back when asked.
array matrix_result(const array& kept, int row, int col, bool keepdims, const Stream& stream) {
  return keepdims ? kept : squeeze(kept, {row, col}, stream);
}

array matrix_norm(const array& x, double ord, int row, int col, bool keepdims,
                  const Stream& stream) {
  const double inf = std::numeric_limits<double>::infinity();
  if (ord == 1.0 || ord == -1.0 || ord == inf || ord == -inf) {
    // 1: largest column sum (sum over rows first); inf: largest row sum.
    const bool columns = ord == 1.0 || ord == -1.0;
    const array sums = sum(abs(x, stream), columns ? row : col, true, stream);
    const int other = columns ? col : row;
    const array kept = ord > 0 ? max(sums, other, true, stream) : min(sums, other, true, stream);
    return matrix_result(kept, row, col, keepdims, stream);
  }
  EMBER_CHECK(ord == 2.0 || ord == -2.0, ValueError, "[linalg::norm] invalid ord ", ord,
              " for a matrix norm (use 1, -1, 2, -2, inf, -inf, \"fro\" or \"nuc\")");
  const array values = singular_values(x, row, col, stream, ord);
  array out = ord > 0 ? max(values, -1, false, stream) : min(values, -1, false, stream);
  if (keepdims) out = expand_dims(out, {std::min(row, col), std::max(row, col)}, stream);
  return out;
}

}  // namespace

array norm(const array& a, const double ord, const std::optional<std::vector<int>>& axis,
           bool keepdims, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  const std::vector<int> axes = norm_axes(a, axis);
  const array x = norm_input(a, stream);
  if (axes.size() == 1) return vector_norm(x, ord, axes[0], keepdims, stream);
  return matrix_norm(x, ord, axes[0], axes[1], keepdims, stream);
}

array norm(const array& a, const std::string& ord, const std::optional<std::vector<int>>& axis,
           bool keepdims, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  const std::vector<int> axes = norm_axes(a, axis);
  EMBER_CHECK(axes.size() == 2, ValueError, "[linalg::norm] ord \"", ord,
              "\" is a matrix norm and needs two axes; got ", axes.size());
  const array x = norm_input(a, stream);
  if (ord == "fro" || ord == "f") return l2_norm(x, axes, keepdims, stream);
  EMBER_CHECK(ord == "nuc", ValueError, "[linalg::norm] invalid ord \"", ord,
              "\" for a matrix norm (use \"fro\" or \"nuc\")");
  const int row = axes[0], col = axes[1];
  array out = sum(singular_values(x, row, col, stream, 0.0), -1, false, stream);
  if (keepdims) out = expand_dims(out, {std::min(row, col), std::max(row, col)}, stream);
  return out;
}

array norm(const array& a, const std::optional<std::vector<int>>& axis, bool keepdims,
           StreamOrDevice s) {
  const Stream stream = to_stream(s);
  const array x = norm_input(a, stream);
  if (!axis) {
    array out = l2_norm(flatten(x, stream), {0}, false, stream);
    return keepdims ? reshape(out, Shape(a.ndim(), 1), stream) : out;
  }
  return l2_norm(x, norm_axes(a, axis), keepdims, stream);
}

std::pair<array, array> qr(const array& a, StreamOrDevice s) {
  const Stream stream = check_factorization(a, "linalg::qr", false, s);
  const int k = std::min(a.shape(-2), a.shape(-1));
  Shape q_shape = a.shape(), r_shape = a.shape();
  q_shape.back() = k;
  r_shape[r_shape.size() - 2] = k;
  auto outs = array::make_arrays({q_shape, r_shape}, {a.dtype(), a.dtype()},
                                 std::make_shared<QRF>(stream), {a});
  return {outs[0], outs[1]};
}

std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s) {
  const Stream stream = check_factorization(a, "linalg::svd", false, s);
  const int m = a.shape(-2), n = a.shape(-1);
  Shape s_shape(a.shape().begin(), a.shape().end() - 1);
  s_shape.back() = std::min(m, n);
  auto primitive = std::make_shared<SVD>(stream, compute_uv);
  if (!compute_uv) return {array(s_shape, a.dtype(), primitive, {a})};
  Shape u_shape = a.shape(), vt_shape = a.shape();
  u_shape.back() = m;
  vt_shape[vt_shape.size() - 2] = n;
  return array::make_arrays({u_shape, s_shape, vt_shape}, {a.dtype(), a.dtype(), a.dtype()},
                            primitive, {a});
}

array inv(const array& a, StreamOrDevice s) {
  const Stream stream = check_factorization(a, "linalg::inv", true, s);
  return array(a.shape(), a.dtype(), std::make_shared<Inverse>(stream, false, false), {a});
}

array tri_inv(const array& a, bool upper, StreamOrDevice s) {
  const Stream stream = check_factorization(a, "linalg::tri_inv", true, s);
  return array(a.shape(), a.dtype(), std::make_shared<Inverse>(stream, true, upper), {a});
}

array cholesky(const array& a, bool upper, StreamOrDevice s) {
  const Stream stream = check_factorization(a, "linalg::cholesky", true, s);
  return array(a.shape(), a.dtype(), std::make_shared<Cholesky>(stream, upper), {a});
}

array pinv(const array& a, StreamOrDevice s) {
  const Stream stream = check_factorization(a, "linalg::pinv", false, s);
  const int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  Shape out_shape = a.shape();
  out_shape[out_shape.size() - 2] = n;
  out_shape.back() = m;
  if (k == 0) return zeros(out_shape, a.dtype(), stream);
  const auto usv = svd(a, true, stream);
  Shape start(a.ndim(), 0), u_stop = usv[0].shape(), vt_stop = usv[2].shape();
  u_stop.back() = k;
  vt_stop[vt_stop.size() - 2] = k;
  const array u = slice(usv[0], start, u_stop, stream);    // (..., M, K)
  const array vt = slice(usv[2], start, vt_stop, stream);  // (..., K, N)
  const double eps = a.dtype() == float64 ? std::numeric_limits<double>::epsilon()
                                          : std::numeric_limits<float>::epsilon();
  const array& values = usv[1];
  const array cutoff = multiply(array(10.0 * std::max(m, n) * eps, a.dtype()),
                                max(values, -1, true, stream), stream);
  const array inverse_values = where(greater(values, cutoff, stream), reciprocal(values, stream),
                                     array(0.0, a.dtype()), stream);
  // V diag(1/S) U^T: scale the columns of V = vt^T, then multiply by U^T.
  const array v_scaled =
      multiply(swapaxes(vt, -1, -2, stream), expand_dims(inverse_values, -2, stream), stream);
  return matmul(v_scaled, swapaxes(u, -1, -2, stream), stream);
}

array cholesky_inv(const array& L, bool upper, StreamOrDevice s) {
  const Stream stream = check_factorization(L, "linalg::cholesky_inv", true, s);
  const array factor_inv = tri_inv(L, upper, stream);
  const array factor_inv_t = swapaxes(factor_inv, -1, -2, stream);
  // a = U^T U gives inv(a) = U^-1 U^-T; a = L L^T gives inv(a) = L^-T L^-1.
  return upper ? matmul(factor_inv, factor_inv_t, stream)
               : matmul(factor_inv_t, factor_inv, stream);
}

array solve(const array& a, const array& b, StreamOrDevice s) {
  const Stream stream = cpu_stream(s, "linalg::solve");
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  EMBER_CHECK(dtype == float32 || dtype == float64, TypeError,
              "[linalg::solve] supports float32 and float64 only; ", a.dtype(), " and ", b.dtype(),
              " give ", dtype);
  check_matrices(a, "linalg::solve", true);
  EMBER_CHECK(b.ndim() >= 1, ValueError, "[linalg::solve] b needs at least 1 dimension");
  const bool vector = b.ndim() == 1;
  array rhs = vector ? expand_dims(b, -1, stream) : b;
  EMBER_CHECK(rhs.shape(-2) == a.shape(-1), ValueError, "[linalg::solve] a of shape ",
              shape_to_string(a.shape()), " and b of shape ", shape_to_string(b.shape()),
              " do not match: b needs ", a.shape(-1), vector ? " elements" : " rows");
  Shape batch =
      broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                       Shape(rhs.shape().begin(), rhs.shape().end() - 2), "linalg::solve");
  Shape a_shape = batch, out_shape = batch;
  a_shape.insert(a_shape.end(), {a.shape(-2), a.shape(-1)});
  out_shape.insert(out_shape.end(), {rhs.shape(-2), rhs.shape(-1)});
  const array lhs = broadcast_to(astype(a, dtype, stream), a_shape, stream);
  rhs = broadcast_to(astype(rhs, dtype, stream), out_shape, stream);
  array out(out_shape, dtype, std::make_shared<Solve>(stream), {lhs, rhs});
  return vector ? squeeze(out, -1, stream) : out;
}

array cross(const array& a, const array& b, int axis, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  EMBER_CHECK(a.ndim() >= 1 && b.ndim() >= 1, ValueError,
              "[linalg::cross] inputs need at least one dimension; got shapes ",
              shape_to_string(a.shape()), " and ", shape_to_string(b.shape()));
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  // NumPy's recipe: move the vector axis last, broadcast the rest, put it back.
  auto vectors_last = [&](const array& x) {
    const int ax = normalize_axis(axis, x.ndim(), "linalg::cross");
    EMBER_CHECK(x.shape(ax) == 2 || x.shape(ax) == 3, ValueError,
                "[linalg::cross] the vectors along axis ", axis, " must have 2 or 3 elements; ",
                "got shape ", shape_to_string(x.shape()));
    array moved = moveaxis(astype(x, dtype, stream), ax, -1, stream);
    if (moved.shape(-1) == 2) {
      moved = pad(moved, {moved.ndim() - 1}, {0}, {1}, array(0, dtype), "constant", stream);
    }
    return moved;
  };
  const array x = vectors_last(a), y = vectors_last(b);
  auto component = [&](const array& v, int i) { return take(v, i, -1, stream); };
  auto term = [&](int i, int j) {
    return subtract(multiply(component(x, i), component(y, j), stream),
                    multiply(component(x, j), component(y, i), stream), stream);
  };
  const array out = stack({term(1, 2), term(2, 0), term(0, 1)}, -1, stream);
  return moveaxis(out, -1, normalize_axis(axis, out.ndim(), "linalg::cross"), stream);
}

array eigvalsh(const array& a, std::string UPLO, StreamOrDevice s) {
  const Stream stream = check_factorization(a, "linalg::eigvalsh", true, s);
  const char uplo = check_uplo(UPLO, "linalg::eigvalsh");
  return array(Shape(a.shape().begin(), a.shape().end() - 1), a.dtype(),
               std::make_shared<Eigh>(stream, uplo, false), {a});
}

std::pair<array, array> eigh(const array& a, std::string UPLO, StreamOrDevice s) {
  const Stream stream = check_factorization(a, "linalg::eigh", true, s);
  const char uplo = check_uplo(UPLO, "linalg::eigh");
  auto outs =
      array::make_arrays({Shape(a.shape().begin(), a.shape().end() - 1), a.shape()},
                         {a.dtype(), a.dtype()}, std::make_shared<Eigh>(stream, uplo, true), {a});
  return {outs[0], outs[1]};
}

}  // namespace ember::linalg
