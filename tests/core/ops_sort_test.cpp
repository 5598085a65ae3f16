// Sorting ops (ops/sort.h): sort and argsort against std::stable_sort on the row's values;
// partition, argpartition and topk by their defining properties (a permutation of the row,
// the kth element in place, nothing larger before it, nothing smaller after it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ember/core/dispatch.h"
#include "ember/ember.h"

#include "tests/core/shape_test_util.h"

namespace {

using namespace ember;

// NumPy's order: NaN after every number.
bool nan_last_less(double x, double y) {
  if (std::isnan(y)) return !std::isnan(x);
  if (std::isnan(x)) return false;
  return x < y;
}
bool same_value(double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); }

// The rows of `r` along `axis`, each as the row-major flat positions of its elements.
std::vector<std::vector<size_t>> rows_of(const Shape& shape, int axis) {
  std::vector<std::vector<size_t>> rows;
  Shape outer = shape;
  outer[axis] = 1;
  for (size_t o = 0; o < numel(outer); ++o) {
    auto idx = unravel(o, outer);
    std::vector<size_t> row;
    for (int j = 0; j < shape[axis]; ++j) {
      idx[axis] = j;
      row.push_back(ravel(idx, shape));
    }
    rows.push_back(row);
  }
  return rows;
}

// Inputs with many ties (stability shows) and, for floats, NaNs and infinities.
Input tie_input(std::mt19937& g, const Shape& s, Dtype dt, int layout) {
  Input in = any_input(g, s, dt, layout);
  Vec v(in.ref.v.size());
  std::uniform_int_distribution<int> u(-4, 4);
  for (auto& x : v) {
    x = is_unsigned(dt) ? std::abs(u(g)) : u(g);
    if (x == 0) x = 5;  // never zero
    if (is_floating_point(dt)) {
      const int r = static_cast<int>(g() % 12);
      if (r == 0) x = NAN;
      if (r == 1) x = -INFINITY;
      if (r == 2) x = x * 0.25;
    }
  }
  // Same layout, new values: rebuild through the same path.
  array base = make(v, s, dt);
  if (layout == 1 && s.size() >= 2) {
    std::vector<int> rev(s.size());
    std::iota(rev.rbegin(), rev.rend(), 0);
    Shape rs(s.rbegin(), s.rend());
    Ref r = ref_transpose({s, to_vec(base)}, rev);  // values laid out reversed
    return {transpose(make(r.v, rs, dt)), {s, to_vec(base)}};
  }
  return {base, {s, to_vec(base)}};
}

TEST(OpsSort, SortAndArgsortAreStable) {
  std::mt19937 g(31);
  for (Dtype dt : {float32, int32, float16, bfloat16, uint8, int64, float64, int8}) {
    for (int layout = 0; layout < 2; ++layout) {
      const auto in = tie_input(g, {4, 7, 5}, dt, layout);
      for (int axis : {0, 1, 2, -1, -3}) {
        const int ax = axis < 0 ? axis + 3 : axis;
        Ref want_sorted = in.ref, want_idx = in.ref;
        for (const auto& row : rows_of(in.ref.shape, ax)) {
          std::vector<int> order(row.size());
          std::iota(order.begin(), order.end(), 0);
          std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
            return nan_last_less(in.ref.v[row[x]], in.ref.v[row[y]]);
          });
          for (size_t j = 0; j < row.size(); ++j) {
            want_sorted.v[row[j]] = in.ref.v[row[order[j]]];
            want_idx.v[row[j]] = order[j];
          }
        }
        const std::string what = std::string(dtype_name(dt)) + " axis " + std::to_string(axis);
        array sorted = sort(in.arr, axis);
        EXPECT_EQ(sorted.dtype(), dt);
        expect_same(sorted, want_sorted, what);
        array idx = argsort(in.arr, axis);
        EXPECT_EQ(idx.dtype(), uint32);
        expect_same(idx, want_idx, what);
        expect_same(take_along_axis(in.arr, idx, axis), want_sorted, what);
      }
      // Flattened forms.
      Ref flat{{140}, in.ref.v};
      std::vector<int> order(140);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](int x, int y) { return nan_last_less(flat.v[x], flat.v[y]); });
      Ref fs{{140}, Vec(140)}, fi{{140}, Vec(140)};
      for (int j = 0; j < 140; ++j) {
        fs.v[j] = flat.v[order[j]];
        fi.v[j] = order[j];
      }
      expect_same(sort(in.arr), fs);
      expect_same(argsort(in.arr), fi);
    }
  }
  expect_same(sort(array(3.0f)), {{1}, {3}});
  expect_same(sort(array({true, false, true, false})), {{4}, {0, 0, 1, 1}});
  expect_same(sort(make({NAN, 2, -INFINITY, NAN, 1}, {5}, float32)), {{5}, {-INFINITY, 1, 2, NAN, NAN}});
  expect_same(argsort(make({NAN, 2, -INFINITY, NAN, 1}, {5}, float32)), {{5}, {2, 4, 1, 0, 3}});
  EXPECT_EQ(sort(zeros({3, 0}), 1).shape(), Shape({3, 0}));
  EXPECT_EQ(argsort(zeros({0, 4}), 1).shape(), Shape({0, 4}));
  // complex: by real part, then imaginary part.
  array c = array({complex64_t(1, 2), complex64_t(-1, 5), complex64_t(1, -3), complex64_t(0, 0.5f)});
  expect_same(argsort(c), {{4}, {1, 3, 2, 0}});
  EXPECT_THROW(sort(array(1.0f), 0), ValueError);
  EXPECT_THROW(sort(ones({2, 3}), 2), IndexError);
  EXPECT_THROW(argsort(ones({2, 3}), -3), IndexError);
  EXPECT_NE(error_of<IndexError>([] { sort(ones({2}), 1); }).find("[sort]"), std::string::npos);
}

// Checks the partition property of each row: out is a permutation of the input row and
// out[kth] is the value a full sort puts there, with nothing larger before it and nothing
// smaller after it. `indices` are the positions the values came from, when given.
void check_partition(const Ref& in, const Ref& values, const Ref* indices, int axis, int kth,
                     const std::string& what) {
  ASSERT_EQ(values.shape, in.shape) << what;
  for (const auto& row : rows_of(in.shape, axis)) {
    Vec original, got;
    for (size_t p : row) {
      original.push_back(in.v[p]);
      got.push_back(values.v[p]);
    }
    if (indices) {
      std::vector<int> seen(row.size(), 0);
      for (size_t j = 0; j < row.size(); ++j) {
        const int k = static_cast<int>(indices->v[row[j]]);
        ASSERT_TRUE(k >= 0 && k < static_cast<int>(row.size())) << what;
        EXPECT_TRUE(same_value(got[j], original[k])) << what;
        ++seen[k];
      }
      for (int n : seen) EXPECT_EQ(n, 1) << what << ": not a permutation";
    }
    Vec a = original, b = got;
    std::sort(a.begin(), a.end(), nan_last_less);
    std::sort(b.begin(), b.end(), nan_last_less);
    for (size_t j = 0; j < a.size(); ++j) EXPECT_TRUE(same_value(a[j], b[j])) << what;
    EXPECT_TRUE(same_value(got[kth], a[kth])) << what << " kth " << kth;
    for (int j = 0; j < kth; ++j) EXPECT_FALSE(nan_last_less(got[kth], got[j])) << what;
    for (size_t j = kth + 1; j < got.size(); ++j) EXPECT_FALSE(nan_last_less(got[j], got[kth])) << what;
  }
}

TEST(OpsSort, PartitionAndArgpartition) {
  std::mt19937 g(32);
  for (Dtype dt : {float32, int32, float16, uint16}) {
    for (int layout = 0; layout < 2; ++layout) {
      const auto in = tie_input(g, {5, 9}, dt, layout);
      for (int axis : {0, 1, -1}) {
        const int ax = axis < 0 ? axis + 2 : axis;
        const int n = in.ref.shape[ax];
        for (int kth : {0, 1, n / 2, n - 1, -1, -n}) {
          const int k = kth < 0 ? kth + n : kth;
          const std::string what = std::string(dtype_name(dt)) + " axis " +
                                   std::to_string(axis) + " kth " + std::to_string(kth);
          array p = partition(in.arr, kth, axis);
          EXPECT_EQ(p.dtype(), dt);
          Ref pv{p.shape(), to_vec(p)};
          check_partition(in.ref, pv, nullptr, ax, k, what);
          array ip = argpartition(in.arr, kth, axis);
          EXPECT_EQ(ip.dtype(), uint32);
          Ref iv{ip.shape(), to_vec(ip)};
          Ref gathered{ip.shape(), to_vec(take_along_axis(in.arr, ip, axis))};
          check_partition(in.ref, gathered, &iv, ax, k, what);
        }
      }
      Ref flat{{45}, in.ref.v};
      check_partition(flat, {{45}, to_vec(partition(in.arr, 20))}, nullptr, 0, 20, "flat");
      Ref fi{{45}, to_vec(argpartition(in.arr, -3))};
      Ref fg{{45}, to_vec(take(in.arr, argpartition(in.arr, -3)))};
      check_partition(flat, fg, &fi, 0, 42, "flat arg");
    }
  }
  EXPECT_THROW(partition(ones({2, 3}), 3, 1), ValueError);
  EXPECT_THROW(partition(ones({2, 3}), -4, 1), ValueError);
  EXPECT_THROW(argpartition(ones({2, 3}), 0, 2), IndexError);
  EXPECT_THROW(partition(zeros({0}), 0), ValueError);
}

TEST(OpsSort, Topk) {
  std::mt19937 g(33);
  for (Dtype dt : {float32, int32, bfloat16, int64}) {
    for (int layout = 0; layout < 2; ++layout) {
      const auto in = tie_input(g, {4, 6}, dt, layout);
      for (int axis : {0, 1, -1}) {
        const int ax = axis < 0 ? axis + 2 : axis;
        const int n = in.ref.shape[ax];
        for (int k = 0; k <= n; ++k) {
          array top = topk(in.arr, k, axis);
          Shape shape = in.ref.shape;
          shape[ax] = k;
          ASSERT_EQ(top.shape(), shape);
          EXPECT_EQ(top.dtype(), dt);
          const Vec got = to_vec(top);
          const auto in_rows = rows_of(in.ref.shape, ax), out_rows = rows_of(shape, ax);
          for (size_t r = 0; r < in_rows.size(); ++r) {
            Vec all, mine;
            for (size_t p : in_rows[r]) all.push_back(in.ref.v[p]);
            for (size_t p : out_rows[r]) mine.push_back(got[p]);
            std::sort(all.begin(), all.end(), nan_last_less);
            std::sort(mine.begin(), mine.end(), nan_last_less);
            for (int j = 0; j < k; ++j) {
              EXPECT_TRUE(same_value(mine[j], all[n - k + j]))
                  << dtype_name(dt) << " axis " << axis << " k " << k;
            }
          }
        }
      }
      Vec all = in.ref.v;
      std::sort(all.begin(), all.end(), nan_last_less);
      Vec mine = to_vec(topk(in.arr, 5));
      std::sort(mine.begin(), mine.end(), nan_last_less);
      for (int j = 0; j < 5; ++j) EXPECT_TRUE(same_value(mine[j], all[19 + j]));
    }
  }
  EXPECT_THROW(topk(ones({2, 3}), 4, 1), ValueError);
  EXPECT_THROW(topk(ones({2, 3}), -1), ValueError);
  EXPECT_THROW(topk(ones({2, 3}), 1, 2), IndexError);
  EXPECT_THROW(topk(array(1.0f), 1, 0), ValueError);
}

}  // namespace
