// gather_mm: shape and dtype rules; the kernels index into the operands' batch dims.
#include "ember/core/ops/gather_mm.h"

#include "ember/core/errors.h"
#include "ember/core/ops.h"
#include "ember/core/primitives/matmul.h"

namespace ember {

array gather_mm(array a, array b, std::optional<array> lhs_indices,
                std::optional<array> rhs_indices, bool sorted_indices, StreamOrDevice s) {
  (void)sorted_indices;
  EMBER_CHECK(a.ndim() >= 2 && b.ndim() >= 2, ValueError,
              "[gather_mm] operands need at least 2 dimensions; got ", shape_to_string(a.shape()),
              " and ", shape_to_string(b.shape()));
  EMBER_CHECK(a.shape(-1) == b.shape(-2), ValueError, "[gather_mm] last dimension of a ",
              shape_to_string(a.shape()), " must match the second to last of b ",
              shape_to_string(b.shape()));
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  EMBER_CHECK(is_floating_point(dtype), TypeError,
              "[gather_mm] only floating dtypes are supported, got ", dtype);
  const Stream stream = to_stream(s);
  auto batch_of = [](const array& x) { return Shape(x.shape().begin(), x.shape().end() - 2); };
  auto default_indices = [&](const array& x) {
    Shape batch = batch_of(x);
    return reshape(arange(0, static_cast<int>(shape_size(batch)), stream), batch, stream);
  };
  for (const auto* idx : {&lhs_indices, &rhs_indices}) {
    if (*idx) {
      EMBER_CHECK(is_integral((*idx)->dtype()), TypeError,
                  "[gather_mm] indices must have an integer dtype, got ", (*idx)->dtype());
    }
  }
  array lhs = lhs_indices ? *lhs_indices : default_indices(a);
  array rhs = rhs_indices ? *rhs_indices : default_indices(b);
  Shape batch = broadcast_shapes(lhs.shape(), rhs.shape(), "gather_mm");
  lhs = contiguous(broadcast_to(astype(lhs, int32, stream), batch, stream), false, stream);
  rhs = contiguous(broadcast_to(astype(rhs, int32, stream), batch, stream), false, stream);
  Shape out_shape = batch;
  out_shape.insert(out_shape.end(), {a.shape(-2), b.shape(-1)});
  return array(std::move(out_shape), dtype, std::make_shared<GatherMM>(stream),
               {astype(a, dtype, stream), astype(b, dtype, stream), lhs, rhs});
}

}  // namespace ember
