// Reference helpers for the shape, indexing and sort op tests: random inputs, index arithmetic, comparisons.
// Shared by several tests/core/ops_*_test.cpp files: helpers only, no tests.
#pragma once

#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>
#include "ember/core/dispatch.h"
#include "ember/ember.h"

namespace {

using namespace ember;

// ---- helpers (each test file of this family carries its own copy) ----

using Vec = std::vector<double>;

[[maybe_unused]] size_t numel(const Shape& s) {
  size_t n = 1;
  for (auto d : s) n *= static_cast<size_t>(d);
  return n;
}
[[maybe_unused]] std::vector<int> unravel(size_t flat, const Shape& s) {
  std::vector<int> idx(s.size());
  for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
    idx[d] = static_cast<int>(flat % s[d]);
    flat /= s[d];
  }
  return idx;
}
[[maybe_unused]] size_t ravel(const std::vector<int>& idx, const Shape& s) {
  size_t flat = 0;
  for (size_t d = 0; d < s.size(); ++d) flat = flat * s[d] + idx[d];
  return flat;
}

// The logical (row-major) values of `a` as doubles, read through its strides.
[[maybe_unused]] Vec to_vec(array a) {
  a.eval();
  Vec out(a.size());
  dispatch_all_types(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = a.data<T>();
    for (size_t i = 0; i < out.size(); ++i) {
      const auto idx = unravel(i, a.shape());
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * a.strides()[d];
      if constexpr (std::is_same_v<T, complex64_t>) {
        out[i] = p[off].real();
      } else {
        out[i] = static_cast<double>(static_cast<std::conditional_t<HalfFloat<T>, float, T>>(p[off]));
      }
    }
  });
  return out;
}

struct Ref {
  Shape shape;
  Vec v;
};
struct Input {
  array arr;
  Ref ref;
};

[[maybe_unused]] array make(const Vec& v, const Shape& s, Dtype dt) { return array(v.begin(), s, dt); }

// Random non-zero values: integers in [1, int_hi] or reals of magnitude [0.1, 2], random sign
// unless unsigned or bool (bool is all true).
[[maybe_unused]] Input rand_input(std::mt19937& g, const Shape& s, Dtype dt, int int_hi = 50) {
  std::uniform_real_distribution<double> mag(0.1, 2.0);
  std::uniform_int_distribution<int> imag(1, int_hi);
  Vec v(numel(s));
  for (auto& x : v) {
    x = dt == bool_ ? 1.0 : is_integral(dt) ? imag(g) : mag(g);
    if (dt != bool_ && !is_unsigned(dt) && (g() & 1)) x = -x;
  }
  array a = make(v, s, dt);
  return {a, {s, to_vec(a)}};
}

template <class F>
[[maybe_unused]] Ref gather_ref(const Ref& a, const Shape& shape, F in_index) {
  Ref out{shape, Vec(numel(shape))};
  for (size_t i = 0; i < out.v.size(); ++i)
    out.v[i] = a.v[ravel(in_index(unravel(i, shape)), a.shape)];
  return out;
}
[[maybe_unused]] Ref ref_transpose(const Ref& a, const std::vector<int>& axes) {
  Shape shape;
  for (int ax : axes) shape.push_back(a.shape[ax]);
  return gather_ref(a, shape, [&](const std::vector<int>& o) {
    std::vector<int> idx(axes.size());
    for (size_t d = 0; d < axes.size(); ++d) idx[axes[d]] = o[d];
    return idx;
  });
}
// A transposed view (values of shape s).
[[maybe_unused]] Input transposed_input(std::mt19937& g, const Shape& s, Dtype dt) {
  Shape base_shape(s.rbegin(), s.rend());
  auto base = rand_input(g, base_shape, dt);
  std::vector<int> rev(s.size());
  for (size_t i = 0; i < rev.size(); ++i) rev[i] = static_cast<int>(rev.size() - 1 - i);
  return {transpose(base.arr), ref_transpose(base.ref, rev)};
}
// Every other element of a larger array along each axis, starting at 1.
[[maybe_unused]] Input strided_input(std::mt19937& g, const Shape& s, Dtype dt) {
  Shape big, start, stop, step;
  for (auto d : s) {
    big.push_back(2 * d + 1);
    start.push_back(1);
    stop.push_back(2 * d + 1);
    step.push_back(2);
  }
  auto base = rand_input(g, big, dt);
  return {slice(base.arr, start, stop, step), gather_ref(base.ref, s, [](std::vector<int> idx) {
            for (auto& i : idx) i = 2 * i + 1;
            return idx;
          })};
}
// The three layouts every op sees: contiguous, transposed, strided slice.
[[maybe_unused]] Input any_input(std::mt19937& g, const Shape& s, Dtype dt, int layout) {
  if (layout == 1 && s.size() >= 2) return transposed_input(g, s, dt);
  if (layout == 2) return strided_input(g, s, dt);
  return rand_input(g, s, dt);
}

// Exact comparison (data movement ops): shape and every value; NaN matches NaN.
[[maybe_unused]] void expect_same(const array& got, const Ref& want, const std::string& what = "") {
  ASSERT_EQ(got.shape(), want.shape) << what;
  const Vec g = to_vec(got);
  ASSERT_EQ(g.size(), want.v.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(want.v[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << what << " at " << i;
    } else {
      EXPECT_EQ(g[i], want.v[i]) << what << " at " << i;
    }
  }
}
[[maybe_unused]] void expect_close(const array& got, const Ref& want, double rtol, const Vec& scale,
                  const std::string& what = "") {
  ASSERT_EQ(got.shape(), want.shape) << what;
  const Vec g = to_vec(got);
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_LE(std::fabs(g[i] - want.v[i]), rtol * std::max(scale[i], std::fabs(want.v[i])))
        << what << " at " << i << ": got " << g[i] << " want " << want.v[i];
  }
}

[[maybe_unused]] bool shares_storage(array a, array b) {
  a.eval();
  b.eval();
  return a.storage() == b.storage();
}

// The error's message, for checks that it names the op.
template <class E, class F>
[[maybe_unused]] std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace
