// Indexing ops (ops/indexing.h): take, take_along_axis, put_along_axis, scatter_add_axis,
// slice_update (static and dynamic), dynamic slice, gather and the scatters, against index
// arithmetic over std::vector data; out-of-range indices fail at eval with IndexError.
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

// Random indices in [-n, n) (negatives wrap) as `dt`, with their wrapped values.
std::pair<array, std::vector<int>> rand_indices(std::mt19937& g, const Shape& s, int n, Dtype dt,
                                                bool negatives = true) {
  std::uniform_int_distribution<int> u(negatives && !is_unsigned(dt) ? -n : 0, n - 1);
  Vec v(numel(s));
  std::vector<int> wrapped(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const int x = u(g);
    v[i] = x;
    wrapped[i] = x < 0 ? x + n : x;
  }
  return {make(v, s, dt), wrapped};
}

TEST(OpsIndexing, TakeAlongAnAxis) {
  std::mt19937 g(21);
  for (Dtype dt : {float32, int32, float16, int8, bool_, complex64}) {
    for (int layout = 0; layout < 3; ++layout) {
      const auto in = any_input(g, {3, 4, 5}, dt, layout);
      for (int axis : {0, 1, 2, -1}) {
        const int ax = axis < 0 ? axis + 3 : axis;
        for (const Shape& is : {Shape{}, Shape{2}, Shape{2, 3}}) {
          for (Dtype it : {int32, int64, uint8, int16}) {
            auto [idx, wrapped] = rand_indices(g, is, in.ref.shape[ax], it);
            Shape shape(in.ref.shape.begin(), in.ref.shape.begin() + ax);
            shape.insert(shape.end(), is.begin(), is.end());
            shape.insert(shape.end(), in.ref.shape.begin() + ax + 1, in.ref.shape.end());
            const Ref want = gather_ref(in.ref, shape, [&](const std::vector<int>& o) {
              std::vector<int> at(o.begin(), o.begin() + ax);
              std::vector<int> iat(o.begin() + ax, o.begin() + ax + is.size());
              at.push_back(wrapped[is.empty() ? 0 : ravel(iat, is)]);
              at.insert(at.end(), o.begin() + ax + is.size(), o.end());
              return at;
            });
            array out = take(in.arr, idx, axis);
            EXPECT_EQ(out.dtype(), dt);
            expect_same(out, want, std::string(dtype_name(dt)) + " axis " + std::to_string(axis));
          }
        }
        // An int index drops the axis.
        const int i = -1;
        Shape shape = in.ref.shape;
        shape.erase(shape.begin() + ax);
        expect_same(take(in.arr, i, axis), gather_ref(in.ref, shape, [&](std::vector<int> o) {
                      o.insert(o.begin() + ax, in.ref.shape[ax] - 1);
                      return o;
                    }));
      }
      // Flattened forms.
      auto [idx, wrapped] = rand_indices(g, {2, 2}, 60, int32);
      Ref flat{{60}, in.ref.v};
      expect_same(take(in.arr, idx), gather_ref(flat, {2, 2}, [&](const std::vector<int>& o) {
                    return std::vector<int>{wrapped[o[0] * 2 + o[1]]};
                  }));
      expect_same(take(in.arr, 7), {{}, {in.ref.v[7]}});
    }
  }
  EXPECT_EQ(take(zeros({3, 0}), array({1, 2}), 0).shape(), Shape({2, 0}));
  EXPECT_EQ(take(ones({3}), array(std::vector<int>{}.begin(), {0}, int32), 0).shape(), Shape({0}));
  EXPECT_THROW(take(ones({3}), array({0.5f}), 0), TypeError);
  EXPECT_THROW(take(ones({3}), array({true}), 0), TypeError);
  EXPECT_THROW(take(ones({3}), array({1}), 1), IndexError);
  EXPECT_THROW(take(ones({3}), 3, 0), IndexError);
  EXPECT_THROW(take(zeros({0}), array({0}), 0), IndexError);
  EXPECT_THROW(take(array(1.0f), array({0}), 0), ValueError);
}

// Out-of-range indices are caught by the kernel: eval fails with IndexError naming the
// primitive, and nothing is read out of bounds.
TEST(OpsIndexing, OutOfRangeIndicesFailAtEval) {
  auto expect_index_error = [](array out, const char* primitive) {
    const std::string message = error_of<IndexError>([&] { out.eval(); });
    EXPECT_NE(message.find(primitive), std::string::npos) << message;
    EXPECT_NE(message.find("out of bounds"), std::string::npos) << message;
  };
  array a = ones({3, 4});
  expect_index_error(take(a, array({0, 3}), 0), "[Gather]");
  expect_index_error(take(a, array({-5}), 1), "[Gather]");
  expect_index_error(take(a, array({12}, uint64)), "[Gather]");
  expect_index_error(take_along_axis(a, array({4}, {1, 1}), 1), "[GatherAxis]");
  expect_index_error(put_along_axis(a, array({-4}, {1, 1}), array(2.0f), 0), "[ScatterAxis]");
  expect_index_error(scatter(a, array({3}), ones({1, 1, 4}), 0), "[Scatter]");
  expect_index_error(scatter_add(a, {array({0}), array({-9})}, ones({1, 1, 1}), {0, 1}), "[Scatter]");
  // A window must fit: a slice of 2 rows cannot start at row 2 of 3.
  const std::string m = error_of<IndexError>([&] { gather(a, array({2}), 0, {2, 4}).eval(); });
  EXPECT_NE(m.find("[Gather]"), std::string::npos) << m;
}

TEST(OpsIndexing, TakeAlongAxisAndPutAlongAxis) {
  std::mt19937 g(22);
  for (Dtype dt : {float32, int64, bfloat16, uint8}) {
    for (int layout = 0; layout < 3; ++layout) {
      const auto in = any_input(g, {3, 4, 5}, dt, layout);
      for (int axis : {0, 1, 2, -2}) {
        const int ax = axis < 0 ? axis + 3 : axis;
        for (const Shape& is : {Shape{3, 4, 5}, Shape{1, 4, 1}, Shape{3, 1, 1}, Shape{1, 1, 5}}) {
          Shape ishape = is;
          ishape[ax] = ax == 0 ? 2 : is[ax] + 1;
          auto [idx, wrapped] = rand_indices(g, ishape, in.ref.shape[ax], int32);
          Shape shape = ishape;
          for (int d = 0; d < 3; ++d) {
            if (d != ax) shape[d] = std::max(ishape[d], in.ref.shape[d]);
          }
          const Ref want = gather_ref(in.ref, shape, [&](std::vector<int> o) {
            std::vector<int> io = o;
            for (int d = 0; d < 3; ++d) io[d] = ishape[d] == 1 ? 0 : o[d];
            o[ax] = wrapped[ravel(io, ishape)];
            return o;
          });
          expect_same(take_along_axis(in.arr, idx, axis), want,
                      "axis " + std::to_string(axis) + " " + shape_to_string(ishape));
        }
        // put_along_axis with distinct indices per row (a permutation prefix), values broadcast.
        Shape ishape = in.ref.shape;
        ishape[ax] = 2;
        std::vector<int> pos(numel(ishape));
        Vec idx_v(pos.size());
        for (size_t i = 0; i < pos.size(); ++i) {
          const auto o = unravel(i, ishape);
          pos[i] = (o[ax] * 2 + 1 + (o[(ax + 1) % 3] % 2)) % in.ref.shape[ax];
          idx_v[i] = pos[i] - (i % 3 == 0 ? in.ref.shape[ax] : 0);  // some negative
        }
        array idx = make(idx_v, ishape, int64);
        auto vals = rand_input(g, ishape, dt, 9);
        Ref put = in.ref, added = in.ref;
        for (size_t i = 0; i < pos.size(); ++i) {
          auto o = unravel(i, ishape);
          o[ax] = pos[i];
          put.v[ravel(o, in.ref.shape)] = vals.ref.v[i];
          added.v[ravel(o, in.ref.shape)] += vals.ref.v[i];
        }
        expect_same(put_along_axis(in.arr, idx, vals.arr, axis), put);
        if (dt != uint8) {
          // Magnitudes are at most 2 (floats): one rounding of a sum of two of them.
          expect_close(scatter_add_axis(in.arr, idx, vals.arr, axis), added,
                       dt == bfloat16 ? 1e-2 : dt == float32 ? 1e-7 : 0, Vec(added.v.size(), 4.0));
        }
      }
    }
  }
  // Repeated indices: scatter_add_axis accumulates every value.
  array acc = scatter_add_axis(zeros({2, 3}, int32), array({0, 0, 2, 0}, {1, 4}),
                               array({1, 2, 3, 4}, {1, 4}), 1);
  expect_same(acc, {{2, 3}, {7, 0, 3, 7, 0, 3}});
  EXPECT_THROW(take_along_axis(ones({3, 4}), array({0}), 0), ValueError);
  EXPECT_THROW(take_along_axis(ones({3, 4}), array({0.0f}, {1, 1}), 0), TypeError);
  EXPECT_THROW(take_along_axis(ones({3, 4}), array({0, 1}, {2, 1}), 2), IndexError);
  EXPECT_THROW(take_along_axis(ones({3, 4}), array({0, 1, 2, 0, 1, 2}, {2, 3}), 0), ValueError);
  EXPECT_THROW(put_along_axis(ones({3, 4}), array({0}, {1, 1}), ones({2}), 0), ValueError);
}

TEST(OpsIndexing, SliceUpdateStatic) {
  std::mt19937 g(23);
  for (Dtype dt : {float32, int32, float16, complex64}) {
    for (int layout = 0; layout < 3; ++layout) {
      const auto src = any_input(g, {5, 6}, dt, layout);
      struct Case {
        Shape start, stop, step;
      };
      for (const Case& c : {Case{{1, 0}, {4, 6}, {1, 1}}, Case{{0, 1}, {5, 6}, {2, 2}},
                            Case{{-1, 5}, {-6, 0}, {-2, -1}}, Case{{4, -2}, {10, 10}, {1, 1}},
                            Case{{2, 2}, {2, 5}, {1, 1}}}) {
        std::vector<std::vector<int>> picks;
        Shape shape;
        for (int d = 0; d < 2; ++d) {
          std::vector<int> p;
          const int n = src.ref.shape[d];
          int lo = c.start[d] < 0 ? c.start[d] + n : c.start[d];
          int hi = c.stop[d] < 0 ? c.stop[d] + n : c.stop[d];
          if (c.step[d] > 0) {
            lo = std::clamp(lo, 0, n);
            hi = std::clamp(hi, 0, n);
            for (int i = lo; i < hi; i += c.step[d]) p.push_back(i);
          } else {
            lo = std::clamp(lo, -1, n - 1);
            hi = std::clamp(hi, -1, n - 1);
            for (int i = lo; i > hi; i += c.step[d]) p.push_back(i);
          }
          shape.push_back(static_cast<int>(p.size()));
          picks.push_back(p);
        }
        for (const Shape& us : {shape, Shape{shape[1]}, Shape{}}) {
          auto upd = rand_input(g, us, int32, 9);
          Ref want = src.ref;
          for (size_t i = 0; i < numel(shape); ++i) {
            const auto o = unravel(i, shape);
            const double u = us.size() == 2 ? upd.ref.v[i] : us.size() == 1 ? upd.ref.v[o[1]] : upd.ref.v[0];
            want.v[picks[0][o[0]] * 6 + picks[1][o[1]]] = u;
          }
          array out = slice_update(src.arr, upd.arr, c.start, c.stop, c.step);
          EXPECT_EQ(out.dtype(), dt);
          expect_same(out, want, shape_to_string(c.start) + shape_to_string(c.stop));
        }
      }
      expect_same(src.arr, src.ref);  // the source is unchanged
    }
  }
  // Braced starts pick the static overload; a whole-array update is the update itself.
  expect_same(slice_update(zeros({2, 3}, int32), array({7, 8, 9}), {1, 0}, {2, 3}),
              {{2, 3}, {0, 0, 0, 7, 8, 9}});
  expect_same(slice_update(zeros({2}), array(3.5f), {0}, {2}), {{2}, {3.5, 3.5}});
  EXPECT_THROW(slice_update(zeros({4}), ones({3}), {0}, {2}), ValueError);
  EXPECT_THROW(slice_update(zeros({4}), ones({2}), {0, 0}, {2, 2}), ValueError);
  EXPECT_THROW(slice_update(zeros({4}), ones({2}), {0}, {2}, {0}), ValueError);
}

TEST(OpsIndexing, DynamicSliceAndUpdate) {
  std::mt19937 g(24);
  for (int layout = 0; layout < 3; ++layout) {
    const auto a = any_input(g, {6, 5}, float32, layout);
    // (start values, expected clamped starts): negatives wrap, too-large starts clamp.
    for (auto [s0, s1, e0, e1] : std::vector<std::array<int, 4>>{
             {1, 2, 1, 2}, {-2, 0, 3, 0}, {5, 4, 3, 2}, {-100, 100, 0, 2}, {0, -1, 0, 2}}) {
      const Ref want = gather_ref(a.ref, {3, 3}, [&](std::vector<int> o) {
        o[0] += e0;
        o[1] += e1;
        return o;
      });
      for (Dtype it : {int32, int64}) {
        expect_same(slice(a.arr, make({double(s0), double(s1)}, {2}, it), {0, 1}, {3, 3}), want);
      }
      expect_same(slice(a.arr, array(s1, int32), {-1}, {6, 3}),
                  gather_ref(a.ref, {6, 3}, [&](std::vector<int> o) {
                    o[1] += e1;
                    return o;
                  }),
                  "0-d start " + std::to_string(s1) + " layout " + std::to_string(layout));
      auto upd = rand_input(g, {3, 3}, float32);
      Ref up = a.ref;
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) up.v[(i + e0) * 5 + j + e1] = upd.ref.v[i * 3 + j];
      expect_same(slice_update(a.arr, upd.arr, array({s1, s0}, int32),
                               std::vector<int>{1, 0}),
                  up);
      // A 1-d update broadcasts over the missing leading axis... of size 1 on a sliced axis.
      auto row = rand_input(g, {3}, float32);
      Ref rowed = a.ref;
      const int r0 = std::clamp(s0 < 0 ? s0 + 6 : s0, 0, 5);  // a window of one row
      for (int j = 0; j < 3; ++j) rowed.v[r0 * 5 + j + e1] = row.ref.v[j];
      expect_same(slice_update(a.arr, row.arr, array({s0, s1}), std::vector<int>{0, 1}), rowed);
    }
  }
  EXPECT_THROW(slice(ones({4}), array({0.0f}), {0}, {2}), TypeError);
  EXPECT_THROW(slice(ones({4}), array({0, 1}), {0}, {2}), ValueError);
  EXPECT_THROW(slice(ones({4}), array({0}), {0}, {5}), ValueError);
  EXPECT_THROW(slice(ones({4, 4}), array({0, 0}), {0, -2}, {2, 2}), ValueError);
  EXPECT_THROW(slice(ones({4}), array({0}), {1}, {2}), IndexError);
  EXPECT_THROW(slice_update(ones({4}), ones({5}), array({0}), {0}), ValueError);
}

TEST(OpsIndexing, GatherSlices) {
  std::mt19937 g(25);
  for (int layout = 0; layout < 3; ++layout) {
    const auto a = any_input(g, {5, 6, 4}, int32, layout);
    // Two index arrays broadcast to (2, 3); windows of (1, 2, 3) starting at them.
    auto [i0, w0] = rand_indices(g, {2, 1}, 5, int32);
    std::uniform_int_distribution<int> u(0, 4);
    Vec v1(3);
    std::vector<int> w1(3);
    for (int k = 0; k < 3; ++k) {
      w1[k] = u(g);
      v1[k] = w1[k] - (k == 1 ? 6 : 0);  // one negative start
    }
    array i1 = make(v1, {3}, int16);
    const Shape sizes = {1, 2, 3};
    array out = gather(a.arr, {i0, i1}, {0, -2}, sizes);
    const Ref want = gather_ref(a.ref, {2, 3, 1, 2, 3}, [&](const std::vector<int>& o) {
      return std::vector<int>{w0[o[0]] + o[2], w1[o[1]] + o[3], o[4]};
    });
    expect_same(out, want);
    // One index array, the default start 0 on the others; no index arrays at all.
    auto [i2, w2] = rand_indices(g, {4}, 4, uint32, false);
    expect_same(gather(a.arr, i2, 2, {2, 2, 1}),
                gather_ref(a.ref, {4, 2, 2, 1}, [&](const std::vector<int>& o) {
                  return std::vector<int>{o[1], o[2], w2[o[0]]};
                }));
    expect_same(gather(a.arr, std::vector<array>{}, std::vector<int>{}, {2, 1, 2}),
                gather_ref(a.ref, {2, 1, 2}, [](const std::vector<int>& o) { return o; }));
  }
  EXPECT_THROW(gather(ones({3, 3}), {array({0})}, {0, 1}, {1, 1}), ValueError);
  EXPECT_THROW(gather(ones({3, 3}), {array({0}), array({0})}, {0, 0}, {1, 1}), ValueError);
  EXPECT_THROW(gather(ones({3, 3}), {array({0})}, {0}, {1, 4}), ValueError);
  EXPECT_THROW(gather(ones({3, 3}), {array({0})}, {0}, {1}), ValueError);
  EXPECT_EQ(gather(ones({3, 3}), {array({0}), array({0, 1, 2})}, {0, 1}, {1, 1}).shape(),
            Shape({3, 1, 1}));
}

TEST(OpsIndexing, ScatterFamily) {
  std::mt19937 g(26);
  for (Dtype dt : {float32, int32, float64, int16}) {
    for (int layout = 0; layout < 3; ++layout) {
      const auto a = any_input(g, {5, 4}, dt, layout);
      // Rows, with repeats, windows of (1, 3) at column 1 (via a second index array).
      const std::vector<int> rows = {2, -1, 2, 0, 4, 2};
      Vec rv(rows.begin(), rows.end());
      array ri = make(rv, {6}, int32);
      array ci = array(1, int64);
      auto upd = rand_input(g, {6, 1, 3}, dt, 5);
      for (int mode = 0; mode < 5; ++mode) {
        Ref want = a.ref;
        for (int k = 0; k < 6; ++k) {
          const int r = rows[k] < 0 ? rows[k] + 5 : rows[k];
          for (int j = 0; j < 3; ++j) {
            double& t = want.v[r * 4 + 1 + j];
            const double u = upd.ref.v[k * 3 + j];
            t = mode == 0 ? u : mode == 1 ? t + u : mode == 2 ? t * u : mode == 3 ? std::max(t, u) : std::min(t, u);
          }
        }
        const std::vector<array> idx = {ri, ci};
        const std::vector<int> axes = {0, 1};
        array out = mode == 0   ? scatter(a.arr, idx, upd.arr, axes)
                    : mode == 1 ? scatter_add(a.arr, idx, upd.arr, axes)
                    : mode == 2 ? scatter_prod(a.arr, idx, upd.arr, axes)
                    : mode == 3 ? scatter_max(a.arr, idx, upd.arr, axes)
                                : scatter_min(a.arr, idx, upd.arr, axes);
        EXPECT_EQ(out.dtype(), dt);
        // Assignment with repeats: the last update in row-major order wins (CPU order).
        expect_close(out, want, dt == float32 ? 1e-6 : dt == float64 ? 1e-14 : 0,
                     Vec(want.v.size(), 0.0),
                     std::string(dtype_name(dt)) + " mode " + std::to_string(mode));
      }
      expect_same(a.arr, a.ref);  // the input is unchanged
    }
  }
  // Single-axis overloads and a broadcast update, as in MLX's docs.
  array in = zeros({4, 4});
  expect_same(scatter(in, array({2, 0}), reshape(arange(1.0, 5.0), {2, 1, 2}), 0),
              {{4, 4}, {3, 4, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0}});
  expect_same(scatter(in, {array({2, 0}), array({1, 2})}, reshape(arange(1.0, 5.0), {2, 1, 2}), {0, 1}),
              {{4, 4}, {0, 0, 3, 4, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0}});
  expect_same(scatter_add(zeros({3}, int32), array({1, 1, 1}), ones({3, 1}, int32), 0),
              {{3}, {0, 3, 0}});
  expect_same(scatter_max(array({NAN, 1.0f, 2.0f}), array({0, 1}), array({5.0f, NAN}, {2, 1}), 0),
              {{3}, {NAN, NAN, 2}});
  EXPECT_THROW(scatter(zeros({4}), array({0}), ones({1}), 0), ValueError);       // rank
  EXPECT_THROW(scatter(zeros({4}), array({0}), ones({2, 1}), 0), ValueError);    // index shape
  EXPECT_THROW(scatter(zeros({4}), array({0}), ones({1, 5}), 0), ValueError);    // window
  EXPECT_THROW(scatter(zeros({4}), array({0.5f}), ones({1, 1}), 0), TypeError);
  EXPECT_THROW(scatter(zeros({4}), array({0}), ones({1, 1}), 1), IndexError);
  EXPECT_NE(error_of<ValueError>([] { scatter_add(zeros({4}), array({0}), ones({1}), 0); })
                .find("[scatter_add]"),
            std::string::npos);
}

}  // namespace
