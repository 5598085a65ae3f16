// Shape ops (ops/shape.h): values against index arithmetic over std::vector data, on
// contiguous, transposed and strided inputs, several dtypes, negative axes, 0-d and empty
// shapes; views must share storage; bad arguments throw typed errors naming the op.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ember/core/dispatch.h"
#include "ember/core/primitive.h"
#include "ember/ember.h"

#include "tests/core/shape_test_util.h"

namespace {

using namespace ember;


TEST(OpsShape, FlattenAndUnflatten) {
  std::mt19937 g(1);
  for (int layout = 0; layout < 3; ++layout) {
    for (Dtype dt : {float32, int16, bfloat16}) {
      const auto in = any_input(g, {2, 3, 4}, dt, layout);
      expect_same(flatten(in.arr), {{24}, in.ref.v});
      expect_same(flatten(in.arr, 1), {{2, 12}, in.ref.v});
      expect_same(flatten(in.arr, 0, -2), {{6, 4}, in.ref.v});
      expect_same(flatten(in.arr, -2, -1), {{2, 12}, in.ref.v});
      expect_same(flatten(in.arr, -10, 10), {{24}, in.ref.v});  // clamped, as MLX
      expect_same(flatten(in.arr, 1, 1), in.ref);
      expect_same(unflatten(in.arr, 2, {2, 2}), {{2, 3, 2, 2}, in.ref.v});
      expect_same(unflatten(in.arr, -2, {1, -1}), {{2, 1, 3, 4}, in.ref.v});
      expect_same(unflatten(flatten(in.arr), 0, {2, -1, 4}), in.ref);
    }
  }
  expect_same(flatten(array(2.5f)), {{1}, {2.5}});
  EXPECT_EQ(flatten(zeros({2, 0, 3})).shape(), Shape({0}));
  EXPECT_EQ(unflatten(zeros({0, 3}), 0, {0, 5}).shape(), Shape({0, 5, 3}));
  EXPECT_THROW(flatten(ones({2, 3}), 1, 0), ValueError);
  EXPECT_THROW(flatten(ones({2, 3}), 2), IndexError);
  EXPECT_THROW(unflatten(ones({2, 6}), 1, {}), ValueError);
  EXPECT_THROW(unflatten(ones({2, 6}), 1, {4, -1}), ValueError);
  EXPECT_THROW(unflatten(ones({2, 6}), 1, {-1, -1}), ValueError);
  EXPECT_THROW(unflatten(array(1.0f), 0, {1}), ValueError);
  EXPECT_THROW(unflatten(ones({2, 6}), 2, {2, 3}), IndexError);
  EXPECT_NE(error_of<ValueError>([] { flatten(ones({2, 3}), 1, 0); }).find("[flatten]"),
            std::string::npos);
}

// MLX reshapes without a copy whenever strides can express the result (G2 then tracks
// the view); only a truly scattered layout is copied.
TEST(OpsShape, FlattenIsAViewWhenStridesAllow) {
  std::mt19937 g(2);
  auto base = rand_input(g, {3, 4, 5}, float32);
  array part = slice(base.arr, {0, 0, 1}, {3, 4, 3});  // strides (20, 5, 1), shape (3, 4, 2)
  array merged = flatten(part, 0, 1);
  const Ref want = gather_ref(base.ref, {12, 2}, [](const std::vector<int>& o) {
    return std::vector<int>{o[0] / 4, o[0] % 4, o[1] + 1};
  });
  expect_same(merged, want);
  EXPECT_TRUE(shares_storage(merged, base.arr));
  // Merging axes 1 and 2 of that slice needs a copy (a gap between rows).
  array copied = flatten(part, 1, 2);
  expect_same(copied, {{3, 8}, want.v});
  EXPECT_FALSE(shares_storage(copied, base.arr));
  // A transpose splits back into a view when the split dims are contiguous.
  array t = transpose(reshape(base.arr, {12, 5}));  // (5, 12), strides (1, 5)
  array split_view = unflatten(t, 1, {3, 4});
  expect_same(split_view, gather_ref(base.ref, {5, 3, 4}, [](const std::vector<int>& o) {
                return std::vector<int>{o[1], o[2], o[0]};
              }));
  EXPECT_TRUE(shares_storage(split_view, base.arr));
}

TEST(OpsShape, SqueezeAndExpandDimsAreViews) {
  std::mt19937 g(3);
  for (int layout = 0; layout < 3; ++layout) {
    const auto in = any_input(g, {1, 3, 1, 4}, float32, layout);
    const Vec& v = in.ref.v;
    expect_same(squeeze(in.arr), {{3, 4}, v});
    expect_same(squeeze(in.arr, 0), {{3, 1, 4}, v});
    expect_same(squeeze(in.arr, -2), {{1, 3, 4}, v});
    expect_same(squeeze(in.arr, {2, 0}), {{3, 4}, v});
    expect_same(expand_dims(in.arr, 0), {{1, 1, 3, 1, 4}, v});
    expect_same(expand_dims(in.arr, -1), {{1, 3, 1, 4, 1}, v});
    expect_same(expand_dims(in.arr, {1, -2}), {{1, 1, 3, 1, 1, 4}, v});
    expect_same(expand_dims(squeeze(in.arr), {0, 2}), {{1, 3, 1, 4}, v});
    EXPECT_TRUE(shares_storage(squeeze(in.arr), in.arr)) << layout;
    EXPECT_TRUE(shares_storage(expand_dims(in.arr, {0, 3}), in.arr)) << layout;
  }
  expect_same(squeeze(array({7}, {1, 1})), {{}, {7}});
  expect_same(expand_dims(array(3, int8), 0), {{1}, {3}});
  EXPECT_EQ(squeeze(zeros({0, 1})).shape(), Shape({0}));
  EXPECT_THROW(squeeze(ones({1, 3}), 1), ValueError);
  EXPECT_THROW(squeeze(ones({1, 3}), {0, 0}), ValueError);
  EXPECT_THROW(squeeze(ones({1, 3}), 2), IndexError);
  EXPECT_THROW(expand_dims(ones({2}), {0, 0}), ValueError);
  EXPECT_THROW(expand_dims(ones({2}), {0, -3}), ValueError);  // both are output axis 0
  EXPECT_THROW(expand_dims(ones({2}), 3), IndexError);
}

TEST(OpsShape, SwapaxesAndMoveaxis) {
  std::mt19937 g(4);
  for (int layout = 0; layout < 3; ++layout) {
    const auto in = any_input(g, {2, 3, 4}, int32, layout);
    expect_same(swapaxes(in.arr, 0, 2), ref_transpose(in.ref, {2, 1, 0}));
    expect_same(swapaxes(in.arr, -1, 1), ref_transpose(in.ref, {0, 2, 1}));
    expect_same(moveaxis(in.arr, 0, -1), ref_transpose(in.ref, {1, 2, 0}));
    expect_same(moveaxis(in.arr, 2, 0), ref_transpose(in.ref, {2, 0, 1}));
    expect_same(moveaxis(in.arr, 1, 1), in.ref);
    EXPECT_TRUE(shares_storage(moveaxis(in.arr, 0, 2), in.arr));
  }
  EXPECT_THROW(swapaxes(ones({2, 3}), 0, 2), IndexError);
  EXPECT_THROW(moveaxis(ones({2, 3}), -3, 0), IndexError);
}

TEST(OpsShape, BroadcastArrays) {
  std::mt19937 g(5);
  const auto a = rand_input(g, {3, 1}, float32), b = rand_input(g, {4}, int32);
  const auto c = rand_input(g, {}, float16);
  auto out = broadcast_arrays({a.arr, b.arr, c.arr});
  ASSERT_EQ(out.size(), 3u);
  auto bref = [](const Ref& r, const Shape& to) {
    return gather_ref(r, to, [&](const std::vector<int>& o) {
      std::vector<int> idx(r.shape.size());
      for (size_t d = 0; d < idx.size(); ++d) idx[d] = r.shape[d] == 1 ? 0 : o[d + to.size() - idx.size()];
      return idx;
    });
  };
  expect_same(out[0], bref(a.ref, {3, 4}));
  expect_same(out[1], bref(b.ref, {3, 4}));
  expect_same(out[2], bref(c.ref, {3, 4}));
  EXPECT_EQ(out[1].dtype(), int32);
  EXPECT_TRUE(shares_storage(out[0], a.arr));
  EXPECT_THROW(broadcast_arrays({ones({2}), ones({3})}), ValueError);
}

TEST(OpsShape, Stack) {
  std::mt19937 g(6);
  for (int layout = 0; layout < 3; ++layout) {
    std::vector<Input> parts = {any_input(g, {2, 3}, float32, layout),
                                any_input(g, {2, 3}, float32, 0),
                                any_input(g, {2, 3}, float32, 2)};
    std::vector<array> arrays;
    for (auto& p : parts) arrays.push_back(p.arr);
    for (int axis : {0, 1, 2, -1, -3}) {
      const int ax = axis < 0 ? axis + 3 : axis;
      Shape shape = {2, 3};
      shape.insert(shape.begin() + ax, 3);
      Ref ref{shape, Vec(numel(shape))};
      for (size_t i = 0; i < ref.v.size(); ++i) {
        auto idx = unravel(i, shape);
        const int k = idx[ax];
        idx.erase(idx.begin() + ax);
        ref.v[i] = parts[k].ref.v[ravel(idx, {2, 3})];
      }
      expect_same(stack(arrays, axis), ref, "axis " + std::to_string(axis));
    }
  }
  expect_same(stack({array(1, int32), array(2, int32)}), {{2}, {1, 2}});
  EXPECT_EQ(stack({array({1.5f}), array({2}, int32)}).dtype(), float32);
  EXPECT_THROW(stack({ones({2}), ones({3})}), ValueError);
  EXPECT_THROW(stack(std::vector<array>{}), ValueError);
  EXPECT_THROW(stack({ones({2}), ones({2})}, 2), IndexError);
}

TEST(OpsShape, SplitIntoViews) {
  std::mt19937 g(7);
  for (int layout = 0; layout < 3; ++layout) {
    const auto in = any_input(g, {6, 4}, float32, layout);
    auto parts = split(in.arr, 3);
    ASSERT_EQ(parts.size(), 3u);
    for (int k = 0; k < 3; ++k) {
      expect_same(parts[k], gather_ref(in.ref, {2, 4}, [&](std::vector<int> o) {
                    o[0] += 2 * k;
                    return o;
                  }));
      EXPECT_TRUE(shares_storage(parts[k], in.arr));
    }
    auto cols = split(in.arr, 2, -1);
    expect_same(cols[1], gather_ref(in.ref, {6, 2}, [](std::vector<int> o) {
                  o[1] += 2;
                  return o;
                }));
    // Indices follow Python's slice rules, unsorted and out of range included.
    const std::vector<std::pair<Shape, std::vector<std::pair<int, int>>>> cases = {
        {{1, 4}, {{0, 1}, {1, 4}, {4, 6}}},
        {{-2}, {{0, 4}, {4, 6}}},
        {{4, 2}, {{0, 4}, {4, 4}, {2, 6}}},
        {{0, 10}, {{0, 0}, {0, 6}, {6, 6}}}};
    for (const auto& [indices, bounds] : cases) {
      auto pieces = split(in.arr, indices, 0);
      ASSERT_EQ(pieces.size(), bounds.size());
      for (size_t k = 0; k < bounds.size(); ++k) {
        const int lo = bounds[k].first, n = std::max(bounds[k].second - lo, 0);
        expect_same(pieces[k], gather_ref(in.ref, {n, 4}, [&](std::vector<int> o) {
                      o[0] += lo;
                      return o;
                    }));
      }
    }
  }
  EXPECT_THROW(split(ones({5, 2}), 2), ValueError);
  EXPECT_THROW(split(ones({4}), 0), ValueError);
  EXPECT_THROW(split(ones({4}), 2, 1), IndexError);
  EXPECT_THROW(split(array(1.0f), 1), ValueError);
}

// NumPy's pad, by index arithmetic: constant fills, edge clamps the index into the input.
Ref ref_pad(const Ref& a, const std::vector<std::pair<int, int>>& widths, double value, bool edge) {
  Shape shape = a.shape;
  for (size_t d = 0; d < shape.size(); ++d) shape[d] += widths[d].first + widths[d].second;
  Ref out{shape, Vec(numel(shape))};
  for (size_t i = 0; i < out.v.size(); ++i) {
    auto idx = unravel(i, shape);
    bool inside = true;
    for (size_t d = 0; d < idx.size(); ++d) {
      idx[d] -= widths[d].first;
      if (idx[d] < 0 || idx[d] >= a.shape[d]) {
        inside = false;
        idx[d] = std::clamp(idx[d], 0, a.shape[d] - 1);
      }
    }
    out.v[i] = inside || edge ? a.v[ravel(idx, a.shape)] : value;
  }
  return out;
}

TEST(OpsShape, PadConstantAndEdge) {
  std::mt19937 g(8);
  for (Dtype dt : {float32, int32, float16, uint8}) {
    for (int layout = 0; layout < 3; ++layout) {
      const auto in = any_input(g, {3, 4}, dt, layout);
      const std::vector<std::pair<int, int>> w = {{1, 2}, {0, 3}};
      array p = pad(in.arr, w, array(7, int32));
      EXPECT_EQ(p.dtype(), dt);
      expect_same(p, ref_pad(in.ref, w, 7, false), std::string(dtype_name(dt)));
      expect_same(pad(in.arr, w, array(0), "edge"), ref_pad(in.ref, w, 0, true));
      expect_same(pad(in.arr, {2, 1}), ref_pad(in.ref, {{2, 1}, {2, 1}}, 0, false));
      expect_same(pad(in.arr, 1, array(3.0f)), ref_pad(in.ref, {{1, 1}, {1, 1}}, 3, false));
      expect_same(pad(in.arr, 2, array(0), "edge"), ref_pad(in.ref, {{2, 2}, {2, 2}}, 0, true));
      expect_same(pad(in.arr, {1}, {0}, {2}, array(5)), ref_pad(in.ref, {{0, 0}, {0, 2}}, 5, false));
      expect_same(pad(in.arr, {-2}, {1}, {0}, array(0), "edge"),
                  ref_pad(in.ref, {{1, 0}, {0, 0}}, 0, true));
    }
  }
  // A single pair applies to every axis; 3-d edge.
  const auto c = rand_input(g, {2, 1, 3}, float64);
  expect_same(pad(c.arr, std::vector<std::pair<int, int>>{{1, 1}}, array(-1.5f)),
              ref_pad(c.ref, {{1, 1}, {1, 1}, {1, 1}}, -1.5, false));
  expect_same(pad(c.arr, {0, 2}, array(0), "edge"), ref_pad(c.ref, {{0, 2}, {0, 2}, {0, 2}}, 0, true));
  expect_same(pad(array(4, int32), std::vector<std::pair<int, int>>{}), {{}, {4}});
  EXPECT_EQ(pad(zeros({0, 2}), 1).shape(), Shape({2, 4}));
  EXPECT_THROW(pad(ones({2, 2}), -1), ValueError);
  EXPECT_THROW(pad(ones({2, 2}), 1, array({1.0f, 2.0f})), ValueError);
  EXPECT_THROW(pad(ones({2, 2}), 1, array(0), "reflect"), ValueError);
  EXPECT_THROW(pad(ones({2, 2, 2}), std::vector<std::pair<int, int>>{{1, 1}, {1, 1}}), ValueError);
  EXPECT_THROW(pad(zeros({0, 2}), 1, array(0), "edge"), ValueError);
  EXPECT_NE(error_of<ValueError>([] { pad(ones({2}), -1); }).find("[pad]"), std::string::npos);
}

TEST(OpsShape, TileAndRepeat) {
  std::mt19937 g(9);
  for (int layout = 0; layout < 3; ++layout) {
    const auto in = any_input(g, {2, 3}, int32, layout);
    // tile: out[i] = a[i % shape] with reps and shape right-aligned.
    auto tile_ref = [&](const std::vector<int>& reps) {
      const size_t nd = std::max<size_t>(reps.size(), 2);
      Shape ashape(nd - 2, 1);
      ashape.insert(ashape.end(), {2, 3});
      std::vector<int> r(nd - reps.size(), 1);
      r.insert(r.end(), reps.begin(), reps.end());
      Shape shape(nd);
      for (size_t d = 0; d < nd; ++d) shape[d] = ashape[d] * r[d];
      return gather_ref(in.ref, shape, [&](const std::vector<int>& o) {
        return std::vector<int>{o[nd - 2] % 2, o[nd - 1] % 3};
      });
    };
    for (const std::vector<int>& reps :
         {std::vector<int>{2, 3}, {3}, {2, 1, 2}, {1, 1}, {0, 2}}) {
      expect_same(tile(in.arr, reps), tile_ref(reps));
    }
    // repeat: each element k times along the axis.
    for (int k : {0, 1, 3}) {
      expect_same(repeat(in.arr, k, 1), gather_ref(in.ref, {2, 3 * k}, [&](std::vector<int> o) {
                    o[1] /= k;
                    return o;
                  }));
      expect_same(repeat(in.arr, k, -2), gather_ref(in.ref, {2 * k, 3}, [&](std::vector<int> o) {
                    o[0] /= k;
                    return o;
                  }));
      Ref flat{{6}, in.ref.v};
      expect_same(repeat(in.arr, k), gather_ref(flat, {6 * k}, [&](std::vector<int> o) {
                    o[0] /= k;
                    return o;
                  }));
    }
  }
  expect_same(tile(array(2.5f), {2}), {{2}, {2.5, 2.5}});
  expect_same(repeat(array(4, int8), 2), {{2}, {4, 4}});
  EXPECT_THROW(repeat(ones({2}), -1, 0), ValueError);
  EXPECT_THROW(repeat(ones({2}), 2, 1), IndexError);
  EXPECT_THROW(tile(ones({2}), {-1}), ValueError);
}

TEST(OpsShape, Roll) {
  std::mt19937 g(10);
  auto roll_ref = [](const Ref& a, const std::vector<int>& shifts, const std::vector<int>& axes) {
    return gather_ref(a, a.shape, [&](std::vector<int> o) {
      for (size_t k = 0; k < axes.size(); ++k) {
        const int ax = axes[k] < 0 ? axes[k] + static_cast<int>(a.shape.size()) : axes[k];
        const int n = a.shape[ax];
        o[ax] = (((o[ax] - shifts[k]) % n) + n) % n;
      }
      return o;
    });
  };
  for (int layout = 0; layout < 3; ++layout) {
    const auto in = any_input(g, {3, 5}, float32, layout);
    for (int shift : {0, 1, -2, 7, -11, 15}) {
      expect_same(roll(in.arr, shift, 1), roll_ref(in.ref, {shift}, {1}), "shift " + std::to_string(shift));
      expect_same(roll(in.arr, shift, -2), roll_ref(in.ref, {shift}, {0}));
      expect_same(roll(in.arr, shift, std::vector<int>{0, 1}), roll_ref(in.ref, {shift, shift}, {0, 1}));
      const Ref flat{{15}, in.ref.v};
      expect_same(roll(in.arr, shift), {{3, 5}, roll_ref(flat, {shift}, {0}).v});
    }
    expect_same(roll(in.arr, Shape{2, -1}, std::vector<int>{1, 0}), roll_ref(in.ref, {2, -1}, {1, 0}));
    expect_same(roll(in.arr, Shape{2, 3}, 1), roll_ref(in.ref, {5}, {1}));  // shifts add up
    const Ref flat{{15}, in.ref.v};
    expect_same(roll(in.arr, Shape{4, -1}), {{3, 5}, roll_ref(flat, {3}, {0}).v});
  }
  EXPECT_EQ(roll(zeros({0, 3}), 2, 0).shape(), Shape({0, 3}));
  EXPECT_THROW(roll(ones({2}), Shape{1, 2}, std::vector<int>{0}), ValueError);
  EXPECT_THROW(roll(ones({2}), 1, 1), IndexError);
}

TEST(OpsShape, DiagonalDiagTrace) {
  std::mt19937 g(11);
  for (int layout = 0; layout < 3; ++layout) {
    const auto in = any_input(g, {4, 3, 5}, float32, layout);
    for (int offset : {0, 1, -1, 2, -3, 4, 7, -9}) {
      for (auto [a1, a2] : std::vector<std::pair<int, int>>{{0, 1}, {1, 0}, {0, 2}, {-1, 1}, {2, 0}}) {
        const int x1 = a1 < 0 ? a1 + 3 : a1, x2 = a2 < 0 ? a2 + 3 : a2;
        const int other = 3 - x1 - x2;
        const int off1 = std::max(-offset, 0), off2 = std::max(offset, 0);
        const int n = std::max(std::min(in.ref.shape[x1] - off1, in.ref.shape[x2] - off2), 0);
        const Ref want = gather_ref(in.ref, {in.ref.shape[other], n}, [&](const std::vector<int>& o) {
          std::vector<int> idx(3);
          idx[other] = o[0];
          idx[x1] = o[1] + off1;
          idx[x2] = o[1] + off2;
          return idx;
        });
        array d = diagonal(in.arr, offset, a1, a2);
        const std::string what = "offset " + std::to_string(offset) + " axes " +
                                 std::to_string(a1) + "," + std::to_string(a2);
        expect_same(d, want, what);
        if (n > 0) {
          EXPECT_TRUE(shares_storage(d, in.arr)) << what;
        }
        Ref tr{{in.ref.shape[other]}, Vec(in.ref.shape[other], 0.0)};
        Vec scale(tr.v.size(), 0.0);
        for (size_t i = 0; i < want.v.size(); ++i) {
          tr.v[i / std::max(n, 1)] += want.v[i];
          scale[i / std::max(n, 1)] += std::fabs(want.v[i]);
        }
        expect_close(trace(in.arr, offset, a1, a2), tr, 1e-6, scale, what);
      }
    }
  }
  // diag of a vector builds a matrix; of a matrix takes its diagonal.
  const auto v = rand_input(g, {3}, int32);
  for (int k : {0, 1, -2}) {
    const int n = 3 + std::abs(k);
    Ref want{{n, n}, Vec(n * n, 0.0)};
    for (int i = 0; i < 3; ++i) want.v[(i + std::max(-k, 0)) * n + i + std::max(k, 0)] = v.ref.v[i];
    expect_same(diag(v.arr, k), want, "k " + std::to_string(k));
    expect_same(diag(diag(v.arr, k), k), v.ref);
  }
  // trace with a dtype: int8 values accumulate in int32.
  array m = full({20, 20}, array(int8_t{100}));
  EXPECT_EQ(trace(m, 0, 0, 1, int32).dtype(), int32);
  expect_same(trace(m, 0, 0, 1, int32), {{}, {2000}});
  expect_same(trace(array({1, 2, 3, 4}, {2, 2}, int32)), {{}, {5}});
  EXPECT_THROW(diagonal(ones({3})), ValueError);
  EXPECT_THROW(diagonal(ones({3, 3}), 0, 1, 1), ValueError);
  EXPECT_THROW(diagonal(ones({3, 3}), 0, 0, 2), IndexError);
  EXPECT_THROW(diag(ones({2, 2, 2})), ValueError);
  EXPECT_THROW(trace(ones({3})), ValueError);
}

TEST(OpsShape, AsStrided) {
  std::mt19937 g(12);
  for (int layout = 0; layout < 3; ++layout) {
    const auto in = any_input(g, {3, 4}, float32, layout);
    // Sliding windows of 3 over the flattened data, every 2 elements, from element 1.
    array w = as_strided(in.arr, {5, 3}, {2, 1}, 1);
    expect_same(w, gather_ref({{12}, in.ref.v}, {5, 3}, [](const std::vector<int>& o) {
                  return std::vector<int>{1 + 2 * o[0] + o[1]};
                }));
    if (layout == 0) {
      EXPECT_TRUE(shares_storage(w, in.arr));
    }
    expect_same(as_strided(in.arr, {2, 2}, {-4, 0}, 11),
                gather_ref({{12}, in.ref.v}, {2, 2}, [](const std::vector<int>& o) {
                  return std::vector<int>{11 - 4 * o[0]};
                }));
  }
  EXPECT_THROW(as_strided(ones({3, 4}), {5, 3}, {2, 1}, 2), ValueError);  // reaches element 12
  EXPECT_THROW(as_strided(ones({3, 4}), {2}, {-1}, 0), ValueError);
  EXPECT_THROW(as_strided(ones({3, 4}), {2, 2}, {1}, 0), ValueError);
  EXPECT_EQ(as_strided(ones({3}), {0, 4}, {100, 100}, 7).shape(), Shape({0, 4}));
}

template <class From, class To>
Vec bit_view(const std::vector<From>& values) {
  std::vector<To> out(values.size() * sizeof(From) / sizeof(To));
  std::memcpy(out.data(), values.data(), out.size() * sizeof(To));
  Vec v;
  for (auto x : out) v.push_back(static_cast<double>(x));
  return v;
}

TEST(OpsShape, ViewReinterpretsBits) {
  std::mt19937 g(13);
  std::uniform_real_distribution<float> u(0.1f, 2.0f);
  std::vector<float> f(12);
  for (auto& x : f) x = g() & 1 ? u(g) : -u(g);
  array a(f.begin(), {3, 4});
  array as_int = view(a, int32);
  EXPECT_EQ(as_int.dtype(), int32);
  expect_same(as_int, {{3, 4}, bit_view<float, int32_t>(f)});
  EXPECT_TRUE(shares_storage(as_int, a));
  array as_bytes = view(a, uint8);
  expect_same(as_bytes, {{3, 16}, bit_view<float, uint8_t>(f)});
  EXPECT_TRUE(shares_storage(as_bytes, a));
  array as_halves = view(a, int16);
  expect_same(as_halves, {{3, 8}, bit_view<float, int16_t>(f)});
  expect_same(view(view(a, uint8), float32), {{3, 4}, Vec(f.begin(), f.end())});
  // float32 -> float64: pairs of floats become one double.
  expect_same(view(a, float64), {{3, 2}, bit_view<float, double>(f)});
  // Non-contiguous inputs: a transpose reads as its logical (transposed) bytes.
  std::vector<float> ft(12);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) ft[i * 3 + j] = f[j * 4 + i];
  expect_same(view(transpose(a), uint16), {{4, 6}, bit_view<float, uint16_t>(ft)});
  expect_same(view(transpose(a), int32), {{4, 3}, bit_view<float, int32_t>(ft)});
  EXPECT_THROW(view(transpose(view(a, int16)), float32), ValueError);  // last axis 3 is odd
  std::vector<int16_t> tv(24);
  auto sh = bit_view<float, int16_t>(f);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 3; ++j) tv[i * 3 + j] = static_cast<int16_t>(sh[j * 8 + i]);
  array t16 = slice(transpose(view(a, int16)), {0, 0}, {8, 2});  // (8, 2), non-contiguous
  std::vector<int16_t> picked;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 2; ++j) picked.push_back(tv[i * 3 + j]);
  expect_same(view(t16, float32), {{8, 1}, bit_view<int16_t, float>(picked)});
  // 0-d: only a same-size dtype.
  expect_same(view(array(1.0f), uint32), {{}, {1065353216.0}});
  EXPECT_THROW(view(array(1.0f), float64), ValueError);
  EXPECT_THROW(view(ones({3}, int8), int16), ValueError);
  expect_same(view(array({true, false, true}), uint8), {{3}, {1, 0, 1}});
}

// ---- products ----

// NumPy's einsum by brute force: every assignment of every label.
Ref ref_einsum(const std::vector<std::string>& terms, const std::string& out,
               const std::vector<Ref>& ops, Vec* scale) {
  std::map<char, int> size;
  for (size_t k = 0; k < terms.size(); ++k)
    for (size_t d = 0; d < terms[k].size(); ++d) size[terms[k][d]] = ops[k].shape[d];
  std::vector<char> labels;
  for (auto [c, n] : size) labels.push_back(c);
  Shape out_shape;
  for (char c : out) out_shape.push_back(size[c]);
  Ref r{out_shape, Vec(numel(out_shape), 0.0)};
  scale->assign(r.v.size(), 0.0);
  Shape all;
  for (char c : labels) all.push_back(size[c]);
  for (size_t i = 0; i < numel(all); ++i) {
    const auto idx = unravel(i, all);
    auto value_of = [&](char c) { return idx[std::find(labels.begin(), labels.end(), c) - labels.begin()]; };
    double p = 1.0;
    for (size_t k = 0; k < terms.size(); ++k) {
      std::vector<int> at;
      for (char c : terms[k]) at.push_back(value_of(c));
      p *= ops[k].v[ravel(at, ops[k].shape)];
    }
    std::vector<int> o;
    for (char c : out) o.push_back(value_of(c));
    r.v[ravel(o, out_shape)] += p;
    (*scale)[ravel(o, out_shape)] += std::fabs(p);
  }
  return r;
}

TEST(OpsContract, EinsumAgainstBruteForce) {
  struct Case {
    std::string spec;
    std::vector<std::string> terms;
    std::string out;
    std::vector<Shape> shapes;
  };
  const std::vector<Case> cases = {
      {"ij,jk->ik", {"ij", "jk"}, "ik", {{3, 4}, {4, 5}}},
      {"ij,jk", {"ij", "jk"}, "ik", {{3, 4}, {4, 2}}},
      {"ij->ji", {"ij"}, "ji", {{3, 4}}},
      {"ji", {"ji"}, "ij", {{3, 4}}},
      {"bij,bjk->bik", {"bij", "bjk"}, "bik", {{2, 3, 4}, {2, 4, 3}}},
      {"i,j->ij", {"i", "j"}, "ij", {{3}, {4}}},
      {"ii->", {"ii"}, "", {{4, 4}}},
      {"ii->i", {"ii"}, "i", {{4, 4}}},
      {"ij->", {"ij"}, "", {{3, 4}}},
      {"ij->j", {"ij"}, "j", {{3, 4}}},
      {"i,i->", {"i", "i"}, "", {{5}, {5}}},
      {"ij,jk,kl->il", {"ij", "jk", "kl"}, "il", {{2, 3}, {3, 4}, {4, 2}}},
      {"bij,bkj->bki", {"bij", "bkj"}, "bki", {{2, 3, 4}, {2, 5, 4}}},
      {"iij,jk->ik", {"iij", "jk"}, "ik", {{3, 3, 2}, {2, 4}}},
      {"ij,ij->ij", {"ij", "ij"}, "ij", {{3, 4}, {3, 4}}},
      {"i j , j k -> k i", {"ij", "jk"}, "ki", {{2, 3}, {3, 4}}},
      {"ab,cd->abcd", {"ab", "cd"}, "abcd", {{2, 2}, {3, 1}}},
  };
  std::mt19937 g(14);
  for (Dtype dt : {float32, float64}) {
    for (const auto& c : cases) {
      for (int layout = 0; layout < 3; ++layout) {
        std::vector<array> arrays;
        std::vector<Ref> refs;
        for (const auto& s : c.shapes) {
          auto in = any_input(g, s, dt, layout);
          arrays.push_back(in.arr);
          refs.push_back(in.ref);
        }
        Vec scale;
        const Ref want = ref_einsum(c.terms, c.out, refs, &scale);
        array got = einsum(c.spec, arrays);
        EXPECT_EQ(got.dtype(), dt);
        expect_close(got, want, dt == float32 ? 1e-5 : 1e-12, scale, c.spec);
      }
    }
  }
  // Integers contract exactly without matmul.
  auto a = rand_input(g, {3, 4}, int32, 9), b = rand_input(g, {4}, int32, 9);
  Vec scale;
  array prod = einsum("ij,j->i", {a.arr, b.arr});
  EXPECT_EQ(prod.dtype(), int32);
  expect_same(prod, ref_einsum({"ij", "j"}, "i", {a.ref, b.ref}, &scale));
  // Ellipsis broadcasts leading axes.
  auto x = rand_input(g, {2, 3, 4}, float32), y = rand_input(g, {4, 5}, float32);
  expect_close(einsum("...ij,...jk->...ik", {x.arr, y.arr}),
               ref_einsum({"bij", "jk"}, "bik", {x.ref, y.ref}, &scale), 1e-5, scale, "ellipsis");
  auto z = rand_input(g, {1, 4, 5}, float32);
  expect_close(einsum("...ij,...jk", {x.arr, z.arr}),
               ref_einsum({"bij", "jk"}, "bik", {x.ref, {{4, 5}, z.ref.v}}, &scale), 1e-5, scale,
               "ellipsis broadcast");
  EXPECT_THROW(einsum("ij,jk->ik", {ones({2, 3})}), ValueError);
  EXPECT_THROW(einsum("ij,jk->ik", {ones({2, 3}), ones({4, 2})}), ValueError);
  EXPECT_THROW(einsum("ij->ik", {ones({2, 3})}), ValueError);
  EXPECT_THROW(einsum("ij->ii", {ones({2, 3})}), ValueError);
  EXPECT_THROW(einsum("ijk->i", {ones({2, 3})}), ValueError);
  EXPECT_THROW(einsum("i1->i", {ones({2, 3})}), ValueError);
  EXPECT_THROW(einsum("ii->i", {ones({2, 3})}), ValueError);
}

TEST(OpsContract, TensordotInnerOuterKron) {
  std::mt19937 g(15);
  Vec scale;
  for (int layout = 0; layout < 3; ++layout) {
    auto a = any_input(g, {2, 3, 4}, float32, layout), b = any_input(g, {3, 4, 5}, float32, layout);
    expect_close(tensordot(a.arr, b.arr), ref_einsum({"ijk", "jkl"}, "il", {a.ref, b.ref}, &scale),
                 1e-5, scale, "axis 2");
    auto d = any_input(g, {4, 2, 5}, float32, layout);
    expect_close(tensordot(a.arr, d.arr, 1),
                 ref_einsum({"ijk", "klm"}, "ijlm", {a.ref, d.ref}, &scale), 1e-5, scale, "axis 1");
    expect_close(tensordot(a.arr, d.arr, 0),
                 ref_einsum({"ijk", "lmn"}, "ijklmn", {a.ref, d.ref}, &scale), 1e-6, scale, "axis 0");
    auto c = any_input(g, {4, 3}, float32, layout);
    expect_close(tensordot(a.arr, c.arr, {1, 2}, {1, 0}),
                 ref_einsum({"ijk", "kj"}, "i", {a.ref, c.ref}, &scale), 1e-5, scale, "pairs");
    expect_close(tensordot(a.arr, c.arr, {-2}, {-1}),
                 ref_einsum({"ijk", "lj"}, "ikl", {a.ref, c.ref}, &scale), 1e-5, scale, "one pair");
    auto v = any_input(g, {4}, float32, layout), w = any_input(g, {5, 4}, float32, layout);
    expect_close(inner(a.arr, w.arr), ref_einsum({"ijk", "lk"}, "ijl", {a.ref, w.ref}, &scale), 1e-5,
                 scale, "inner");
    expect_close(inner(v.arr, v.arr), ref_einsum({"i", "i"}, "", {v.ref, v.ref}, &scale), 1e-5, scale,
                 "inner 1-d");
    expect_close(outer(c.arr, v.arr),
                 ref_einsum({"i", "j"}, "ij", {{{12}, c.ref.v}, v.ref}, &scale), 1e-6, scale, "outer");
  }
  auto s = rand_input(g, {}, float32), m = rand_input(g, {2, 3}, float32);
  Ref sm = m.ref;
  for (auto& x : sm.v) x *= s.ref.v[0];
  expect_close(inner(s.arr, m.arr), sm, 1e-6, Vec(6, 0.0), "inner 0-d");
  // kron: out[i*bs + j] = a[i] * b[j] per axis, shapes right-aligned.
  for (auto [sa, sb] : std::vector<std::pair<Shape, Shape>>{{{2, 3}, {3, 2}}, {{2}, {2, 3}}, {{2, 1, 2}, {3}}}) {
    auto a = rand_input(g, sa, int32, 9), b = rand_input(g, sb, int32, 9);
    const size_t nd = std::max(sa.size(), sb.size());
    Shape pa(nd - sa.size(), 1), pb(nd - sb.size(), 1), shape(nd);
    pa.insert(pa.end(), sa.begin(), sa.end());
    pb.insert(pb.end(), sb.begin(), sb.end());
    for (size_t d = 0; d < nd; ++d) shape[d] = pa[d] * pb[d];
    Ref want{shape, Vec(numel(shape))};
    for (size_t i = 0; i < want.v.size(); ++i) {
      auto o = unravel(i, shape);
      std::vector<int> ia(nd), ib(nd);
      for (size_t d = 0; d < nd; ++d) {
        ia[d] = o[d] / pb[d];
        ib[d] = o[d] % pb[d];
      }
      want.v[i] = a.ref.v[ravel(ia, pa)] * b.ref.v[ravel(ib, pb)];
    }
    expect_same(kron(a.arr, b.arr), want, "kron " + shape_to_string(sa) + shape_to_string(sb));
  }
  EXPECT_THROW(tensordot(ones({2, 3}), ones({4, 3}), 1), ValueError);
  EXPECT_THROW(tensordot(ones({2, 3}), ones({3}), 3), ValueError);
  EXPECT_THROW(tensordot(ones({2, 3}), ones({3}), {1, 0}, {0}), ValueError);
  EXPECT_THROW(tensordot(ones({2, 3}), ones({3}), {2}, {0}), IndexError);
  EXPECT_THROW(inner(ones({2, 3}), ones({2})), ValueError);
  EXPECT_THROW(kron(zeros({0}), ones({2})), ValueError);
}

TEST(OpsContract, Addmm) {
  std::mt19937 g(16);
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    for (int layout = 0; layout < 3; ++layout) {
      auto a = any_input(g, {3, 4}, dt, layout), b = any_input(g, {4, 5}, dt, layout);
      for (const Shape& cs : {Shape{3, 5}, Shape{5}, Shape{}, Shape{3, 1}}) {
        auto c = rand_input(g, cs, dt);
        for (auto [alpha, beta] : std::vector<std::pair<float, float>>{{1, 1}, {0.5f, -2}, {2, 0}}) {
          Vec scale;
          Ref ab = ref_einsum({"ij", "jk"}, "ik", {a.ref, b.ref}, &scale);
          for (size_t i = 0; i < ab.v.size(); ++i) {
            const auto o = unravel(i, {3, 5});
            const double cv = cs.empty() ? c.ref.v[0] : cs.size() == 1 ? c.ref.v[o[1]] : cs[1] == 1 ? c.ref.v[o[0]] : c.ref.v[i];
            ab.v[i] = alpha * ab.v[i] + beta * cv;
            scale[i] = std::fabs(alpha) * scale[i] + std::fabs(beta * cv);
          }
          array out = addmm(c.arr, a.arr, b.arr, alpha, beta);
          EXPECT_EQ(out.dtype(), dt);
          // A nonzero beta folds the add into the product: one AddMM node.
          if (beta != 0.0f) {
            EXPECT_STREQ(out.primitive().name(), "AddMM");
          }
          const double tolerance = dt == bfloat16  ? 2e-2
                                   : dt == float16 ? 4e-3
                                   : dt == float32 ? 1e-5
                                                   : 1e-12;
          expect_close(out, ab, tolerance, scale,
                       std::string(dtype_name(dt)) + " c " + shape_to_string(cs));
        }
      }
    }
  }
  EXPECT_THROW(addmm(ones({3, 5}, int32), ones({3, 4}, int32), ones({4, 5}, int32)), TypeError);
  EXPECT_THROW(addmm(ones({4, 5}), ones({3, 4}), ones({4, 5})), ValueError);
  EXPECT_THROW(addmm(ones({3, 5}), ones({3, 4}), ones({3, 5})), ValueError);
}

}  // namespace
