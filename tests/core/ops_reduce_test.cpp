// Reductions and scans against float64 references computed here: every axis subset of a
// 3-d array, keepdims, non-contiguous inputs, dtypes, NaN handling, and build-time errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "ember/ember.h"

using namespace ember;

namespace {

std::vector<double> random_values(size_t n, unsigned seed, double lo = -2.0, double hi = 2.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Values of an evaluated array in row-major order, as doubles.
std::vector<double> values(array a) {
  a = contiguous(astype(a, float64));
  eval(a);
  const double* p = a.data<double>();
  return std::vector<double>(p, p + a.size());
}

// A reference reduction over `axes` of a row-major 3-d tensor, in float64.
std::vector<double> reference(const std::vector<double>& x, const Shape& shape,
                              const std::vector<int>& axes, double init,
                              const std::function<double(double, double)>& combine) {
  Shape out_shape = shape;
  for (int a : axes) out_shape[a] = 1;
  std::vector<double> out(shape_size(out_shape), init);
  const auto in_strides = row_major_strides(shape);
  const auto out_strides = row_major_strides(out_shape);
  for (size_t flat = 0; flat < x.size(); ++flat) {
    size_t rem = flat, o = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      const size_t idx = rem / in_strides[d];
      rem %= in_strides[d];
      if (out_shape[d] != 1) o += idx * out_strides[d];
    }
    out[o] = combine(out[o], x[flat]);
  }
  return out;
}

const std::vector<std::vector<int>> kAxisSets = {{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}};

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double rtol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], rtol * std::max(1.0, std::abs(want[i]))) << what << " at " << i;
  }
}

}  // namespace

TEST(Reduce, SumProdMaxMinOverEveryAxisSet) {
  const Shape shape = {3, 4, 5};
  const auto x = random_values(60, 1, 0.5, 1.5);  // positive: products stay well scaled
  array a(x.begin(), shape, float64);
  for (const auto& axes : kAxisSets) {
    for (bool keepdims : {false, true}) {
      const std::string what = "axes " + std::to_string(axes.size()) + (keepdims ? " keep" : "");
      expect_close(values(sum(a, axes, keepdims)),
                   reference(x, shape, axes, 0, std::plus<>()), 1e-12, "sum " + what);
      expect_close(values(prod(a, axes, keepdims)),
                   reference(x, shape, axes, 1, std::multiplies<>()), 1e-12, "prod " + what);
      expect_close(values(max(a, axes, keepdims)),
                   reference(x, shape, axes, -1e300, [](double p, double q) { return std::max(p, q); }),
                   0, "max " + what);
      expect_close(values(min(a, axes, keepdims)),
                   reference(x, shape, axes, 1e300, [](double p, double q) { return std::min(p, q); }),
                   0, "min " + what);
      const Shape got = sum(a, axes, keepdims).shape();
      EXPECT_EQ(got.size(), keepdims ? 3u : 3u - axes.size());
    }
  }
}

TEST(Reduce, NonContiguousInputsAndNegativeAxes) {
  const auto x = random_values(60, 2);
  array a = transpose(array(x.begin(), {3, 4, 5}, float32), {2, 0, 1});  // (5, 3, 4)
  std::vector<double> t(60);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) t[(i * 3 + j) * 4 + k] = static_cast<float>(x[(j * 4 + k) * 5 + i]);
  expect_close(values(sum(a, std::vector<int>{-1})), reference(t, {5, 3, 4}, {2}, 0, std::plus<>()),
               1e-6, "sum -1");
  expect_close(values(max(a, std::vector<int>{-3, -2})),
               reference(t, {5, 3, 4}, {0, 1}, -1e300, [](double p, double q) { return std::max(p, q); }),
               0, "max -3,-2");
}

TEST(Reduce, MeanVarStdMatchFloat64) {
  const Shape shape = {3, 4, 5};
  const auto x = random_values(60, 3);
  array a(x.begin(), shape, float32);
  std::vector<double> xf(x.size());
  for (size_t i = 0; i < x.size(); ++i) xf[i] = static_cast<float>(x[i]);
  for (const auto& axes : kAxisSets) {
    double n = 1;
    for (int ax : axes) n *= shape[ax];
    auto sums = reference(xf, shape, axes, 0, std::plus<>());
    std::vector<double> means(sums.size());
    for (size_t i = 0; i < sums.size(); ++i) means[i] = sums[i] / n;
    expect_close(values(mean(a, axes)), means, 1e-6, "mean");
    // Variance: sum of squared deviations from the reference mean.
    Shape out_shape = shape;
    for (int ax : axes) out_shape[ax] = 1;
    const auto in_strides = row_major_strides(shape);
    const auto out_strides = row_major_strides(out_shape);
    std::vector<double> squares(means.size(), 0);
    for (size_t flat = 0; flat < xf.size(); ++flat) {
      size_t rem = flat, o = 0;
      for (size_t d = 0; d < 3; ++d) {
        const size_t idx = rem / in_strides[d];
        rem %= in_strides[d];
        if (out_shape[d] != 1) o += idx * out_strides[d];
      }
      squares[o] += (xf[flat] - means[o]) * (xf[flat] - means[o]);
    }
    for (int ddof : {0, 1}) {
      std::vector<double> v(squares.size()), sd(squares.size());
      for (size_t i = 0; i < v.size(); ++i) {
        v[i] = squares[i] / (n - ddof);
        sd[i] = std::sqrt(v[i]);
      }
      expect_close(values(var(a, axes, false, ddof)), v, 1e-5, "var");
      expect_close(values(ember::std(a, axes, false, ddof)), sd, 1e-5, "std");
    }
  }
  EXPECT_EQ(mean(array({1, 2}, int32)).dtype(), float32);
  EXPECT_EQ(var(array({1, 2}, int32)).dtype(), float32);
}

TEST(Reduce, HalfPrecisionAccumulatesInFloat) {
  const auto x = random_values(4096, 4, 0.0, 1.0);
  for (Dtype dtype : {float16, bfloat16}) {
    array a = astype(array(x.begin(), {4096}, float32), dtype);
    const auto rounded = values(a);
    double total = 0;
    for (double v : rounded) total += v;
    // A naive 16-bit accumulator would be off by far more than 1%: 4096 terms near 2048.
    EXPECT_NEAR(values(sum(a))[0], total, dtype == float16 ? 2e-3 * total : 8e-3 * total);
    EXPECT_EQ(sum(a).dtype(), dtype);
  }
}

TEST(Reduce, AllAndAny) {
  array a({1, 0, 3, 4, 5, 6}, {2, 3}, int32);
  EXPECT_FALSE(all(a).item<bool>());
  EXPECT_TRUE(any(a).item<bool>());
  auto rows = values(all(a, 1));
  EXPECT_EQ(rows, (std::vector<double>{0, 1}));
  auto cols = values(any(array({0.0f, 0.0f, 0.5f, 0.0f}, {2, 2}), 0));
  EXPECT_EQ(cols, (std::vector<double>{1, 0}));
  EXPECT_EQ(all(a).dtype(), bool_);
  EXPECT_TRUE(all(zeros({0})).item<bool>());   // empty: all is true
  EXPECT_FALSE(any(zeros({0})).item<bool>());  // empty: any is false
  EXPECT_EQ(sum(array({true, true, false})).item<int32_t>(), 2);
}

TEST(Reduce, ArgmaxArgminFirstOccurrenceAndNaN) {
  const auto x = random_values(60, 5);
  array a(x.begin(), {3, 4, 5}, float32);
  const Shape shape = {3, 4, 5};
  const auto strides = row_major_strides(shape);
  for (int axis = 0; axis < 3; ++axis) {
    for (bool want_max : {true, false}) {
      array got = want_max ? argmax(a, axis) : argmin(a, axis);
      EXPECT_EQ(got.dtype(), uint32);
      const auto idx = values(got);
      // Walk each line along the axis and find its first extreme in float32.
      size_t line = 0;
      for (size_t flat = 0; flat < x.size(); ++flat) {
        if ((flat / strides[axis]) % shape[axis] != 0) continue;
        int best = 0;
        for (int k = 1; k < shape[axis]; ++k) {
          const float v = static_cast<float>(x[flat + k * strides[axis]]);
          const float b = static_cast<float>(x[flat + best * strides[axis]]);
          if (want_max ? v > b : v < b) best = k;
        }
        ASSERT_EQ(idx[line], best) << "axis " << axis << " line " << line;
        ++line;
      }
      EXPECT_EQ(line, idx.size());
    }
  }
  array ties({1.0f, 3.0f, 3.0f, 0.0f});
  EXPECT_EQ(argmax(ties).item<uint32_t>(), 1u);
  EXPECT_EQ(argmin(ties).item<uint32_t>(), 3u);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  array with_nan({1.0f, nan, 5.0f, nan});
  EXPECT_EQ(argmax(with_nan).item<uint32_t>(), 1u);
  EXPECT_EQ(argmin(with_nan).item<uint32_t>(), 1u);
  EXPECT_EQ(argmax(array({1, 2, 3, 4}, {2, 2}, int32), 1, true).shape(), (Shape{2, 1}));
  EXPECT_THROW(argmax(zeros({2, 0}), 1), ValueError);
}

// max and min propagate a NaN wherever it sits in the reduced run (MLX and NumPy do).
TEST(Reduce, MaxAndMinPropagateNaNFromAnyPosition) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto values = random_values(4 * 9, 11, -3, 3);
  for (int position = 0; position < 9; ++position) {
    std::vector<float> row(values.begin(), values.end());
    row[9 + position] = nan;  // row 1 only
    array a(row.begin(), {4, 9}, float32);
    for (bool use_min : {false, true}) {
      array r = use_min ? min(a, 1) : max(a, 1);
      array strided = use_min ? min(transpose(a), 0) : max(transpose(a), 0);
      for (const array& out : {r, strided}) {
        const float* p = out.data<float>();
        EXPECT_TRUE(std::isnan(p[1])) << (use_min ? "min" : "max") << " NaN at " << position;
        for (int i : {0, 2, 3}) EXPECT_FALSE(std::isnan(p[i]));
      }
    }
    EXPECT_TRUE(std::isnan(min(a).item<float>())) << position;
  }
}

TEST(Reduce, LogSumExpIsStableAndExact) {
  const auto x = random_values(60, 6, -50, 50);
  array a(x.begin(), {3, 4, 5}, float64);
  for (const auto& axes : kAxisSets) {
    auto maxes = reference(x, {3, 4, 5}, axes, -1e300, [](double p, double q) { return std::max(p, q); });
    Shape out_shape = {3, 4, 5};
    for (int ax : axes) out_shape[ax] = 1;
    std::vector<double> shifted(x.size());
    const auto in_strides = row_major_strides({3, 4, 5});
    const auto out_strides = row_major_strides(out_shape);
    std::vector<double> totals(maxes.size(), 0);
    for (size_t flat = 0; flat < x.size(); ++flat) {
      size_t rem = flat, o = 0;
      for (size_t d = 0; d < 3; ++d) {
        const size_t idx = rem / in_strides[d];
        rem %= in_strides[d];
        if (out_shape[d] != 1) o += idx * out_strides[d];
      }
      totals[o] += std::exp(x[flat] - maxes[o]);
    }
    for (size_t i = 0; i < totals.size(); ++i) totals[i] = maxes[i] + std::log(totals[i]);
    expect_close(values(logsumexp(a, axes)), totals, 1e-12, "logsumexp");
    EXPECT_EQ(logsumexp(a, axes, true).ndim(), 3);
  }
  // Large values: naive exp would overflow.
  array big({1000.0f, 1000.0f});
  EXPECT_NEAR(logsumexp(big).item<float>(), 1000.0f + std::log(2.0f), 1e-3);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(logsumexp(array({-inf, -inf})).item<float>(), -inf);
  EXPECT_EQ(logsumexp(array({inf, 1.0f})).item<float>(), inf);
}

TEST(Reduce, SoftmaxRowsSumToOneAndMatchReference) {
  const auto x = random_values(60, 7, -20, 20);
  array a(x.begin(), {3, 4, 5}, float32);
  for (int axis : {0, 1, 2, -1}) {
    array s = softmax(a, axis);
    EXPECT_EQ(s.shape(), a.shape());
    const int ax = axis < 0 ? axis + 3 : axis;
    auto sums = values(sum(s, ax));
    for (double v : sums) EXPECT_NEAR(v, 1.0, 1e-5);
    // Reference on element (1, 2, 3).
    const Shape shape = {3, 4, 5};
    int idx[3] = {1, 2, 3};
    double top = -1e300, total = 0;
    for (int k = 0; k < shape[ax]; ++k) {
      int j[3] = {idx[0], idx[1], idx[2]};
      j[ax] = k;
      top = std::max(top, double(static_cast<float>(x[(j[0] * 4 + j[1]) * 5 + j[2]])));
    }
    for (int k = 0; k < shape[ax]; ++k) {
      int j[3] = {idx[0], idx[1], idx[2]};
      j[ax] = k;
      total += std::exp(double(static_cast<float>(x[(j[0] * 4 + j[1]) * 5 + j[2]])) - top);
    }
    const double want = std::exp(double(static_cast<float>(x[(1 * 4 + 2) * 5 + 3])) - top) / total;
    EXPECT_NEAR(values(s)[(1 * 4 + 2) * 5 + 3], want, 1e-6);
  }
  // Multi-axis softmax equals exp(a - logsumexp(a, axes)).
  array multi = softmax(a, std::vector<int>{0, 2});
  array ref = exp(a - logsumexp(a, std::vector<int>{0, 2}, true));
  expect_close(values(multi), values(ref), 1e-5, "softmax over (0, 2)");
  // bfloat16 input: accumulates in float, result in bfloat16.
  array hb = softmax(astype(a, bfloat16), -1);
  EXPECT_EQ(hb.dtype(), bfloat16);
  for (double v : values(sum(astype(hb, float32), -1))) EXPECT_NEAR(v, 1.0, 2e-2);
}

TEST(Scan, CumulativeOpsAlongEachAxisBothDirections) {
  const auto x = random_values(24, 8, 0.5, 1.5);
  const Shape shape = {2, 3, 4};
  array a(x.begin(), shape, float64);
  const auto strides = row_major_strides(shape);
  using Combine = std::function<double(double, double)>;
  struct Case {
    const char* name;
    std::function<array(const array&, int, bool, bool)> op;
    double init;
    Combine combine;
  };
  const std::vector<Case> cases = {
      {"cumsum", [](const array& v, int ax, bool r, bool inc) { return cumsum(v, ax, r, inc); }, 0,
       std::plus<>()},
      {"cumprod", [](const array& v, int ax, bool r, bool inc) { return cumprod(v, ax, r, inc); }, 1,
       std::multiplies<>()},
      {"cummax", [](const array& v, int ax, bool r, bool inc) { return cummax(v, ax, r, inc); }, -INFINITY,
       [](double p, double q) { return std::max(p, q); }},
      {"cummin", [](const array& v, int ax, bool r, bool inc) { return cummin(v, ax, r, inc); }, INFINITY,
       [](double p, double q) { return std::min(p, q); }},
      {"logcumsumexp",
       [](const array& v, int ax, bool r, bool inc) { return logcumsumexp(v, ax, r, inc); }, -INFINITY,
       [](double p, double q) { return std::log(std::exp(p) + std::exp(q)); }},
  };
  for (const auto& c : cases) {
    for (int axis = 0; axis < 3; ++axis) {
      for (bool reverse : {false, true}) {
        for (bool inclusive : {true, false}) {
          std::vector<double> want(x.size());
          for (size_t flat = 0; flat < x.size(); ++flat) {
            const int pos = static_cast<int>(flat / strides[axis]) % shape[axis];
            const size_t base = flat - pos * strides[axis];
            double acc = c.init;
            for (int k = 0; k < shape[axis]; ++k) {
              const bool in_prefix = reverse ? (inclusive ? k >= pos : k > pos)
                                             : (inclusive ? k <= pos : k < pos);
              if (in_prefix) acc = c.combine(acc, x[base + k * strides[axis]]);
            }
            want[flat] = acc;
          }
          auto got = values(c.op(a, axis, reverse, inclusive));
          for (size_t i = 0; i < want.size(); ++i) {
            if (std::isinf(want[i])) {
              EXPECT_EQ(got[i], want[i]) << c.name;
            } else {
              EXPECT_NEAR(got[i], want[i], 1e-12 * std::max(1.0, std::abs(want[i])))
                  << c.name << " axis " << axis << " reverse " << reverse << " inclusive "
                  << inclusive << " at " << i;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(cumsum(array({true, true}), 0).dtype(), int32);
  EXPECT_EQ(values(cumsum(transpose(a), 0)).size(), 24u);
}

TEST(Reduce, ErrorsAtBuildTime) {
  array a = ones({2, 3});
  EXPECT_THROW(sum(a, 2), IndexError);
  EXPECT_THROW(sum(a, std::vector<int>{0, 0}), ValueError);
  EXPECT_THROW(min(zeros({0})), ValueError);
  EXPECT_THROW(cumsum(a, 3), IndexError);
  EXPECT_THROW(argmin(a, -3), IndexError);
  EXPECT_THROW(logsumexp(astype(a, complex64)), TypeError);
}
