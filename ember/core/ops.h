// The op library: MLX's names, argument order, defaults and semantics (mlx/ops.h).
// Every op checks its arguments, promotes dtypes, infers the output shape and returns a
// lazy array; nothing is computed until eval. Errors name the op: "[matmul] ...".
#pragma once

#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

// ---- creation (ops/creation.cpp) ----

array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s = {});
array arange(double start, double stop, double step, StreamOrDevice s = {});
array arange(double start, double stop, Dtype dtype, StreamOrDevice s = {});
array arange(double start, double stop, StreamOrDevice s = {});
array arange(double stop, Dtype dtype, StreamOrDevice s = {});
array arange(double stop, StreamOrDevice s = {});
array arange(int start, int stop, int step, StreamOrDevice s = {});
array arange(int start, int stop, StreamOrDevice s = {});
array arange(int stop, StreamOrDevice s = {});

/// `a` converted to `dtype`.
array astype(array a, Dtype dtype, StreamOrDevice s = {});

/// `vals` broadcast to `shape` and converted to `dtype`.
array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s = {});
array full(Shape shape, array vals, StreamOrDevice s = {});
template <class T>
array full(Shape shape, T val, Dtype dtype, StreamOrDevice s = {}) {
  return full(std::move(shape), array(val, dtype), s);
}
template <class T>
array full(Shape shape, T val, StreamOrDevice s = {}) {
  return full(std::move(shape), array(val), s);
}
array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s = {});
inline array zeros(const Shape& shape, StreamOrDevice s = {}) { return zeros(shape, float32, s); }
array zeros_like(const array& a, StreamOrDevice s = {});
array ones(const Shape& shape, Dtype dtype, StreamOrDevice s = {});
inline array ones(const Shape& shape, StreamOrDevice s = {}) { return ones(shape, float32, s); }
array ones_like(const array& a, StreamOrDevice s = {});

// ---- shape and copies (ops/shape.cpp) ----

/// Same data in a new shape; one dimension may be -1.
array reshape(const array& a, Shape shape, StreamOrDevice s = {});
array transpose(const array& a, std::vector<int> axes, StreamOrDevice s = {});
/// Reverses the axes.
array transpose(const array& a, StreamOrDevice s = {});
array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s = {});
/// a[start:stop:strides] per axis, NumPy rules for negative and out-of-range bounds.
array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s = {});
array slice(const array& a, Shape start, Shape stop, StreamOrDevice s = {});
array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s = {});
/// Concatenates the flattened arrays.
array concatenate(std::vector<array> arrays, StreamOrDevice s = {});
/// A copy that owns its data.
array copy(array a, StreamOrDevice s = {});
/// A row-contiguous array that owns exactly its bytes (a copy unless `a` already is one).
/// With allow_col_major, a column-major array that owns exactly its bytes is kept as is.
array contiguous(const array& a, bool allow_col_major = false, StreamOrDevice s = {});

// ---- elementwise (ops/elementwise.cpp) ----

array abs(const array& a, StreamOrDevice s = {});
array negative(const array& a, StreamOrDevice s = {});
array operator-(const array& a);
array exp(const array& a, StreamOrDevice s = {});
array log(const array& a, StreamOrDevice s = {});

array add(const array& a, const array& b, StreamOrDevice s = {});
array subtract(const array& a, const array& b, StreamOrDevice s = {});
array multiply(const array& a, const array& b, StreamOrDevice s = {});
/// True division: integer inputs give a floating result.
array divide(const array& a, const array& b, StreamOrDevice s = {});
array maximum(const array& a, const array& b, StreamOrDevice s = {});

array operator+(const array& a, const array& b);
array operator-(const array& a, const array& b);
array operator*(const array& a, const array& b);
array operator/(const array& a, const array& b);
template <class T>
  requires std::is_arithmetic_v<T>
array operator+(const array& a, T b) { return add(a, array(b)); }
template <class T>
  requires std::is_arithmetic_v<T>
array operator+(T a, const array& b) { return add(array(a), b); }
template <class T>
  requires std::is_arithmetic_v<T>
array operator-(const array& a, T b) { return subtract(a, array(b)); }
template <class T>
  requires std::is_arithmetic_v<T>
array operator-(T a, const array& b) { return subtract(array(a), b); }
template <class T>
  requires std::is_arithmetic_v<T>
array operator*(const array& a, T b) { return multiply(a, array(b)); }
template <class T>
  requires std::is_arithmetic_v<T>
array operator*(T a, const array& b) { return multiply(array(a), b); }
template <class T>
  requires std::is_arithmetic_v<T>
array operator/(const array& a, T b) { return divide(a, array(b)); }
template <class T>
  requires std::is_arithmetic_v<T>
array operator/(T a, const array& b) { return divide(array(a), b); }

// ---- reductions (ops/reduce.cpp) ----

array sum(const array& a, bool keepdims, StreamOrDevice s = {});
inline array sum(const array& a, StreamOrDevice s = {}) { return sum(a, false, s); }
array sum(const array& a, const std::vector<int>& axes, bool keepdims = false, StreamOrDevice s = {});
array sum(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});
array max(const array& a, bool keepdims, StreamOrDevice s = {});
inline array max(const array& a, StreamOrDevice s = {}) { return max(a, false, s); }
array max(const array& a, const std::vector<int>& axes, bool keepdims = false, StreamOrDevice s = {});
array max(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});
array mean(const array& a, bool keepdims, StreamOrDevice s = {});
inline array mean(const array& a, StreamOrDevice s = {}) { return mean(a, false, s); }
array mean(const array& a, const std::vector<int>& axes, bool keepdims = false, StreamOrDevice s = {});
array mean(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

// ---- linear algebra (ops/linalg.cpp) ----

/// Matrix product with NumPy's rules: 1-d operands are promoted and squeezed back, batch
/// dimensions broadcast. Floating dtypes only, as in MLX.
array matmul(const array& a, const array& b, StreamOrDevice s = {});

}  // namespace ember
