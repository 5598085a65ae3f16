// Creation ops built from other ops: linspace, eye, identity, tri, tril, triu, meshgrid.
#include "ember/core/ops.h"

namespace ember {

array linspace(double start, double stop, int num, Dtype dtype, StreamOrDevice s) {
  EMBER_CHECK(num >= 0, ValueError, "[linspace] num must be non-negative, got ", num);
  EMBER_CHECK(dtype != bool_, TypeError, "[linspace] cannot make a bool range");
  if (num == 1) return astype(array({start}, float64), dtype, s);
  const Stream stream = to_stream(s);
  // Computed in float64 and converted once; the last value is `stop` exactly.
  const double step = num > 1 ? (stop - start) / (num - 1) : 0.0;
  array steps = arange(0.0, static_cast<double>(num), 1.0, float64, stream);
  array values = add(multiply(steps, array(step, float64), stream), array(start, float64), stream);
  if (num > 1) {
    values = where(equal(steps, array(double(num - 1), float64), stream), array(stop, float64),
                   values, stream);
  }
  return astype(values, dtype, stream);
}

array tri(int n, int m, int k, Dtype type, StreamOrDevice s) {
  EMBER_CHECK(n >= 0 && m >= 0, ValueError, "[tri] dimensions must be non-negative, got (", n,
              ", ", m, ")");
  const Stream stream = to_stream(s);
  array rows = expand_dims(arange(0, n, stream), 1, stream);
  array cols = expand_dims(arange(0, m, stream), 0, stream);
  return astype(greater_equal(add(rows, array(k), stream), cols, stream), type, stream);
}

array eye(int n, int m, int k, Dtype dtype, StreamOrDevice s) {
  EMBER_CHECK(n >= 0 && m >= 0, ValueError, "[eye] dimensions must be non-negative, got (", n,
              ", ", m, ")");
  const Stream stream = to_stream(s);
  array rows = expand_dims(arange(0, n, stream), 1, stream);
  array cols = expand_dims(arange(0, m, stream), 0, stream);
  return astype(equal(add(rows, array(k), stream), cols, stream), dtype, stream);
}
array eye(int n, Dtype dtype, StreamOrDevice s) { return eye(n, n, 0, dtype, s); }
array eye(int n, int m, StreamOrDevice s) { return eye(n, m, 0, float32, s); }
array eye(int n, int m, int k, StreamOrDevice s) { return eye(n, m, k, float32, s); }
array eye(int n, StreamOrDevice s) { return eye(n, n, 0, float32, s); }

array identity(int n, Dtype dtype, StreamOrDevice s) { return eye(n, n, 0, dtype, s); }
array identity(int n, StreamOrDevice s) { return eye(n, n, 0, float32, s); }

namespace {
array keep_triangle(const array& x, int k, bool lower, const char* op, StreamOrDevice s) {
  EMBER_CHECK(x.ndim() >= 2, ValueError, "[", op, "] needs an array with at least 2 dimensions, got ",
              x.ndim());
  const Stream stream = to_stream(s);
  // Lower keeps column <= row + k; upper keeps column >= row + k (the complement of k - 1).
  array mask = tri(x.shape(-2), x.shape(-1), lower ? k : k - 1, bool_, stream);
  if (!lower) mask = logical_not(mask, stream);
  return where(mask, x, zeros_like(x, stream), stream);
}
}  // namespace

array tril(array x, int k, StreamOrDevice s) { return keep_triangle(x, k, true, "tril", s); }
array triu(array x, int k, StreamOrDevice s) { return keep_triangle(x, k, false, "triu", s); }

std::vector<array> meshgrid(const std::vector<array>& arrays, bool sparse,
                            const std::string& indexing, StreamOrDevice s) {
  EMBER_CHECK(indexing == "xy" || indexing == "ij", ValueError,
              "[meshgrid] indexing must be \"xy\" or \"ij\", got \"", indexing, "\"");
  const Stream stream = to_stream(s);
  const int n = static_cast<int>(arrays.size());
  std::vector<array> outputs;
  for (int i = 0; i < n; ++i) {
    EMBER_CHECK(arrays[i].ndim() == 1, ValueError, "[meshgrid] input ", i,
                " must be 1-d, got shape ", shape_to_string(arrays[i].shape()));
    // With "xy" the first two axes swap places (Cartesian indexing).
    int position = i;
    if (indexing == "xy" && n >= 2 && i < 2) position = 1 - i;
    Shape shape(n, 1);
    shape[position] = arrays[i].shape(0);
    outputs.push_back(reshape(arrays[i], shape, stream));
  }
  if (sparse) return outputs;
  return broadcast_arrays(outputs, stream);
}

}  // namespace ember
