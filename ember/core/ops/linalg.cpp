// Linear algebra ops: matmul.
#include "ember/core/ops.h"
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
  a = broadcast_to(a, a_shape, stream);
  b = broadcast_to(b, b_shape, stream);
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
