// linspace, eye, identity, tri, tril, triu, meshgrid against references computed here.
#include <gtest/gtest.h>

#include <random>

#include "ember/ember.h"

using namespace ember;

namespace {
std::vector<double> values(array a) {
  a = contiguous(astype(a, float64));
  eval(a);
  return std::vector<double>(a.data<double>(), a.data<double>() + a.size());
}
}  // namespace

TEST(Creation, LinspaceEndpointsAndSpacing) {
  for (int num : {0, 1, 2, 7, 50}) {
    array x = linspace(-1.5, 3.25, num);
    ASSERT_EQ(x.shape(), (Shape{num}));
    EXPECT_EQ(x.dtype(), float32);
    const auto v = values(x);
    for (int i = 0; i < num; ++i) {
      const double want = num == 1 ? -1.5 : -1.5 + (3.25 + 1.5) * i / (num - 1);
      EXPECT_NEAR(v[i], static_cast<float>(want), 1e-6) << num << " " << i;
    }
    if (num > 1) {
      EXPECT_EQ(v.back(), 3.25);
    }
  }
  EXPECT_EQ(linspace(0, 10, 6, int32).dtype(), int32);
  EXPECT_EQ(values(linspace(0, 10, 6, int32)), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_THROW(linspace(0, 1, -1), ValueError);
}

TEST(Creation, EyeAndIdentityAndTri) {
  for (int n : {0, 1, 3, 5}) {
    for (int m : {1, 4}) {
      for (int k : {-2, 0, 1}) {
        const auto e = values(eye(n, m, k));
        const auto t = values(tri(n, m, k, float32));
        ASSERT_EQ(e.size(), size_t(n * m));
        for (int i = 0; i < n; ++i) {
          for (int j = 0; j < m; ++j) {
            EXPECT_EQ(e[i * m + j], j == i + k ? 1.0 : 0.0);
            EXPECT_EQ(t[i * m + j], j <= i + k ? 1.0 : 0.0);
          }
        }
      }
    }
  }
  EXPECT_EQ(identity(3, int32).dtype(), int32);
  EXPECT_EQ(values(identity(2)), (std::vector<double>{1, 0, 0, 1}));
  EXPECT_THROW(eye(-1), ValueError);
}

TEST(Creation, TrilTriuOnBatchedRandomMatrices) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(0.5f, 2.0f);
  std::vector<float> data(2 * 3 * 4);
  for (auto& v : data) v = dist(rng);
  array x(data.begin(), {2, 3, 4});
  for (int k : {-1, 0, 2}) {
    const auto lower = values(tril(x, k));
    const auto upper = values(triu(x, k));
    for (int b = 0; b < 2; ++b) {
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 4; ++j) {
          const size_t at = (b * 3 + i) * 4 + j;
          EXPECT_EQ(lower[at], j <= i + k ? double(data[at]) : 0.0);
          EXPECT_EQ(upper[at], j >= i + k ? double(data[at]) : 0.0);
        }
      }
    }
  }
  EXPECT_THROW(tril(array({1.0f, 2.0f})), ValueError);
}

TEST(Creation, MeshgridXyAndIj) {
  array a({1.0f, 2.0f, 3.0f});
  array b({10.0f, 20.0f});
  auto xy = meshgrid({a, b});
  ASSERT_EQ(xy.size(), 2u);
  EXPECT_EQ(xy[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values(xy[0]), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(values(xy[1]), (std::vector<double>{10, 10, 10, 20, 20, 20}));
  auto ij = meshgrid({a, b}, false, "ij");
  EXPECT_EQ(ij[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(values(ij[0]), (std::vector<double>{1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(values(ij[1]), (std::vector<double>{10, 20, 10, 20, 10, 20}));
  auto sparse = meshgrid({a, b}, true, "ij");
  EXPECT_EQ(sparse[0].shape(), (Shape{3, 1}));
  EXPECT_EQ(sparse[1].shape(), (Shape{1, 2}));
  EXPECT_THROW(meshgrid({a}, false, "yx"), ValueError);
  EXPECT_THROW(meshgrid({ones({2, 2})}), ValueError);
}
