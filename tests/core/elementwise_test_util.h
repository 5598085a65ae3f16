// Reference helpers for the elementwise op tests: reading arrays, long double references, comparisons.
// Shared by several tests/core/ops_*_test.cpp files: helpers only, no tests.
#pragma once

#include <gtest/gtest.h>
#include <cmath>
#include <complex>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>
#include "ember/core/dispatch.h"
#include "ember/core/primitive.h"
#include "ember/ember.h"

namespace {

using namespace ember;
using Vec = std::vector<double>;
using LD = long double;
using CLD = std::complex<long double>;

// ---- reading arrays and references ----

std::vector<int> unravel(size_t flat, const Shape& s) {
  std::vector<int> idx(s.size());
  for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
    idx[d] = static_cast<int>(flat % s[d]);
    flat /= s[d];
  }
  return idx;
}
size_t ravel(const std::vector<int>& idx, const Shape& s) {
  size_t flat = 0;
  for (size_t d = 0; d < s.size(); ++d) flat = flat * s[d] + idx[d];
  return flat;
}

// The logical (row-major) elements of `a` read through its strides, converted by `conv`.
template <class T, class Out, class Conv>
std::vector<Out> read_as(array& a, Conv conv) {
  const T* p = a.data<T>();
  std::vector<Out> out(a.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const auto idx = unravel(i, a.shape());
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * a.strides()[d];
    out[i] = conv(p[off]);
  }
  return out;
}

Vec to_vec(array a) {
  a.eval();
  Vec out;
  dispatch_all_types(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, complex64_t>) {
      out = read_as<T, double>(a, [](T v) { return static_cast<double>(v.real()); });
    } else if constexpr (HalfFloat<T>) {
      out = read_as<T, double>(a, [](T v) { return static_cast<double>(static_cast<float>(v)); });
    } else {
      out = read_as<T, double>(a, [](T v) { return static_cast<double>(v); });
    }
  });
  return out;
}
std::vector<std::complex<double>> to_cvec(array a) {
  a.eval();
  return read_as<complex64_t, std::complex<double>>(
      a, [](complex64_t v) { return std::complex<double>(v.real(), v.imag()); });
}

struct Ref {
  Shape shape;
  Vec v;
};
struct Input {
  array arr;
  Ref ref;
};

array make(const Vec& v, const Shape& s, Dtype dt) { return array(v.begin(), s, dt); }

struct Domain {
  double lo = 0.1, hi = 3.0;   // magnitudes
  bool negative = true;        // random signs
  const Vec* pool = nullptr;   // if set, values are drawn from it instead
};

// Random values (integers 1..9 for integer dtypes, 0/1 for bool); the reference holds the
// values as stored.
Input rand_input(std::mt19937& g, const Shape& s, Dtype dt, Domain dom = {}) {
  std::uniform_real_distribution<double> mag(dom.lo, dom.hi);
  std::uniform_int_distribution<int> imag(1, 9);
  Vec v(shape_size(s));
  for (auto& x : v) {
    if (dom.pool) {
      x = (*dom.pool)[g() % dom.pool->size()];
      continue;
    }
    x = dt == bool_ ? static_cast<double>(g() & 1) : is_integral(dt) ? imag(g) : mag(g);
    if (dom.negative && !is_unsigned(dt) && dt != bool_ && (g() & 1)) x = -x;
  }
  array a = make(v, s, dt);
  return {a, {s, to_vec(a)}};
}

template <class F>
Ref gather(const Ref& a, const Shape& shape, F in_index) {
  Ref out{shape, Vec(shape_size(shape))};
  for (size_t i = 0; i < out.v.size(); ++i)
    out.v[i] = a.v[ravel(in_index(unravel(i, shape)), a.shape)];
  return out;
}

enum class Layout { contiguous, transposed, strided, broadcast, scalar };
const Layout kLayouts[] = {Layout::contiguous, Layout::transposed, Layout::strided,
                           Layout::broadcast, Layout::scalar};

// A random input of `shape` laid out as asked: a transposed view, every other element of
// a larger array, a size-1 leading axis broadcast to the shape, or a broadcast 0-d array.
Input layout_input(std::mt19937& g, const Shape& s, Dtype dt, Layout layout, Domain dom = {}) {
  if (s.empty() || layout == Layout::contiguous) return rand_input(g, s, dt, dom);
  if (layout == Layout::scalar) {
    const Input base = rand_input(g, {}, dt, dom);
    return {broadcast_to(base.arr, s), {s, Vec(shape_size(s), base.ref.v[0])}};
  }
  if (layout == Layout::transposed) {
    const Input base = rand_input(g, Shape(s.rbegin(), s.rend()), dt, dom);
    const Ref ref = gather(base.ref, s, [&](std::vector<int> idx) {
      return std::vector<int>(idx.rbegin(), idx.rend());
    });
    return {transpose(base.arr), ref};
  }
  if (layout == Layout::strided) {
    Shape big, start, stop, step;
    for (auto d : s) {
      big.push_back(2 * d + 1);
      start.push_back(1);
      stop.push_back(2 * d + 1);
      step.push_back(2);
    }
    const Input base = rand_input(g, big, dt, dom);
    const Ref ref = gather(base.ref, s, [](std::vector<int> idx) {
      for (auto& i : idx) i = 2 * i + 1;
      return idx;
    });
    return {slice(base.arr, start, stop, step), ref};
  }
  Shape one = s;
  one[0] = 1;
  const Input base = rand_input(g, one, dt, dom);
  const Ref ref = gather(base.ref, s, [](std::vector<int> idx) {
    idx[0] = 0;
    return idx;
  });
  return {broadcast_to(base.arr, s), ref};
}

double rtol_of(Dtype dt) {
  if (dt == float16) return 1e-3;
  if (dt == bfloat16) return 1e-2;
  if (dt == float64) return 1e-12;
  if (dt == float32 || dt == complex64) return 2e-6;
  return 0.0;
}

// |got - want| <= rtol * max(|want|, scale) per element; NaN must match NaN, and exact
// matches (infinities, signed zeros aside) pass.
void expect_close(const array& got, const Ref& want, double rtol, const std::string& what,
                  double scale = 0.0) {
  ASSERT_EQ(got.shape(), want.shape) << what;
  const Vec g = to_vec(got);
  ASSERT_EQ(g.size(), want.v.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    const double w = want.v[i];
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(g[i])) << what << " at " << i << ": got " << g[i];
      continue;
    }
    if (g[i] == w) continue;
    EXPECT_LE(std::fabs(g[i] - w), rtol * std::max(std::fabs(w), scale))
        << what << " at " << i << ": got " << g[i] << " want " << w;
  }
}

std::string str(Dtype dt) { return std::string(dtype_name(dt)); }

}  // namespace
