// Creation ops: arange, astype, full, zeros, ones.
#include <cmath>

#include "ember/core/ops.h"
#include "ember/core/primitives/creation.h"
#include "ember/core/primitives/elementwise.h"

namespace ember {

array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s) {
  EMBER_CHECK(dtype != bool_, TypeError, "[arange] cannot make a bool range");
  EMBER_CHECK(step != 0.0, ValueError, "[arange] step must not be zero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(stop) && std::isfinite(step), ValueError,
              "[arange] start, stop and step must be finite (got ", start, ", ", stop, ", ",
              step, ")");
  const double length = std::ceil((stop - start) / step);
  EMBER_CHECK(length <= static_cast<double>(INT32_MAX), ValueError, "[arange] ", length,
              " elements is more than an array dimension can hold");
  const int32_t size = length > 0 ? static_cast<int32_t>(length) : 0;
  const Stream stream = to_stream(s);
  return array({size}, dtype, std::make_shared<Arange>(stream, start, step), {});
}
array arange(double start, double stop, double step, StreamOrDevice s) {
  return arange(start, stop, step, float32, s);
}
array arange(double start, double stop, Dtype dtype, StreamOrDevice s) {
  return arange(start, stop, 1.0, dtype, s);
}
array arange(double start, double stop, StreamOrDevice s) {
  return arange(start, stop, 1.0, float32, s);
}
array arange(double stop, Dtype dtype, StreamOrDevice s) { return arange(0.0, stop, 1.0, dtype, s); }
array arange(double stop, StreamOrDevice s) { return arange(0.0, stop, 1.0, float32, s); }
array arange(int start, int stop, int step, StreamOrDevice s) {
  return arange(static_cast<double>(start), static_cast<double>(stop), static_cast<double>(step),
                int32, s);
}
array arange(int start, int stop, StreamOrDevice s) { return arange(start, stop, 1, s); }
array arange(int stop, StreamOrDevice s) { return arange(0, stop, 1, s); }

array astype(array a, Dtype dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) return a;
  const Stream stream = to_stream(s);
  Shape shape = a.shape();
  return array(std::move(shape), dtype, std::make_shared<AsType>(stream, dtype), {std::move(a)});
}

array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s) {
  for (auto dim : shape) {
    EMBER_CHECK(dim >= 0, ValueError, "[full] negative dimension in shape ",
                shape_to_string(shape));
  }
  return broadcast_to(astype(std::move(vals), dtype, s), shape, s);
}
array full(Shape shape, array vals, StreamOrDevice s) {
  const Dtype dtype = vals.dtype();
  return full(std::move(shape), std::move(vals), dtype, s);
}

array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(0, dtype), s);
}
array zeros_like(const array& a, StreamOrDevice s) { return zeros(a.shape(), a.dtype(), s); }
array ones(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(1, dtype), s);
}
array ones_like(const array& a, StreamOrDevice s) { return ones(a.shape(), a.dtype(), s); }

}  // namespace ember
