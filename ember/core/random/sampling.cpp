// random::categorical and random::permutation, composed as in MLX: the Gumbel-max trick
// (argmax of logits + Gumbel noise) and argsort of random bits, then take.
#include <algorithm>

#include "ember/core/errors.h"
#include "ember/core/ops/elementwise.h"
#include "ember/core/ops/indexing.h"
#include "ember/core/ops/reduce.h"
#include "ember/core/ops/shape.h"
#include "ember/core/ops/sort.h"
#include "ember/core/random.h"

namespace ember::random {

namespace {

int valid_axis(int axis, int ndim) {
  const int normalized = axis < 0 ? axis + ndim : axis;
  EMBER_CHECK(normalized >= 0 && normalized < ndim, ValueError, "[categorical] axis ", axis,
              " is out of range for logits with ", ndim, " dimensions");
  return normalized;
}

array categorical_impl(const array& logits, int axis, const Shape& shape,
                       const std::optional<array>& key, StreamOrDevice s) {
  Shape gumbel_shape = shape;
  const int offset = axis + static_cast<int>(shape.size()) - logits.ndim() + 1;
  gumbel_shape.insert(gumbel_shape.begin() + offset, logits.shape(axis));
  array noise = random::gumbel(gumbel_shape, float32, key, s);
  return argmax(add(noise, logits, s), offset, false, s);
}

}  // namespace

array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key, StreamOrDevice s) {
  axis = valid_axis(axis, logits.ndim());
  Shape reduced = logits.shape();
  reduced.erase(reduced.begin() + axis);
  EMBER_CHECK(broadcast_shapes(shape, reduced, "categorical") == shape, ValueError,
              "[categorical] the requested shape ", shape_to_string(shape),
              " does not broadcast with the logits' shape without the axis ",
              shape_to_string(reduced));
  return categorical_impl(logits, axis, shape, key, s);
}

array categorical(const array& logits, int axis, int num_samples, const std::optional<array>& key,
                  StreamOrDevice s) {
  axis = valid_axis(axis, logits.ndim());
  EMBER_CHECK(num_samples >= 0, ValueError, "[categorical] num_samples must be >= 0, not ",
              num_samples);
  array expanded = expand_dims(logits, -1, s);
  Shape shape = expanded.shape();
  shape.erase(shape.begin() + axis);
  shape.back() = num_samples;
  return categorical_impl(expanded, axis, shape, key, s);
}

array categorical(const array& logits, int axis, const std::optional<array>& key,
                  StreamOrDevice s) {
  axis = valid_axis(axis, logits.ndim());
  Shape shape = logits.shape();
  shape.erase(shape.begin() + axis);
  return categorical_impl(logits, axis, shape, key, s);
}

array permutation(int x, const std::optional<array>& key, StreamOrDevice s) {
  EMBER_CHECK(x >= 0, ValueError, "[permutation] cannot permute ", x, " elements");
  return argsort(random::bits({x}, key, s), s);
}

array permutation(const array& x, int axis, const std::optional<array>& key, StreamOrDevice s) {
  EMBER_CHECK(x.ndim() > 0, ValueError, "[permutation] cannot permute a 0-d array");
  const int normalized = normalize_axis(axis, x.ndim(), "permutation");
  return take(x, random::permutation(x.shape(normalized), key, s), normalized, s);
}

}  // namespace ember::random
