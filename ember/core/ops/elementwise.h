// Ops: elementwise (ops/elementwise.cpp). MLX's names, argument order and defaults.
#pragma once

#include <type_traits>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {


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

}  // namespace ember
