// array's nested-list constructors (array.h): NumPy's array([[1, 2], [3, 4]]) in C++. Shapes,
// values in row-major order, dtype deduction as for the 1-d list, explicit dtypes, ragged
// input, and that the older brace-initialised constructors keep their meaning.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "ember/ember.h"

namespace {

using namespace ember;

template <class T>
std::vector<T> values_of(array a) {
  a = contiguous(a);
  const T* p = a.data<T>();
  return std::vector<T>(p, p + a.size());
}

TEST(ArrayNested, TwoDimensionalFloat) {
  array a({{1.5f, 2.0f, -3.0f}, {4.0f, 5.25f, 6.0f}});
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.dtype(), float32);
  EXPECT_EQ(values_of<float>(a), (std::vector<float>{1.5f, 2.0f, -3.0f, 4.0f, 5.25f, 6.0f}));
}

TEST(ArrayNested, DtypeDeducedAsForOneDimensionalLists) {
  EXPECT_EQ(array({{1, 2}, {3, 4}}).dtype(), int32);
  EXPECT_EQ(array({1, 2}).dtype(), array({{1, 2}}).dtype());
  EXPECT_EQ(array({1.0, 2.0}).dtype(), array({{1.0, 2.0}}).dtype());  // double -> float32
  EXPECT_EQ(array({{int64_t{1}}, {int64_t{2}}}).dtype(), int64);
  EXPECT_EQ(array({{uint8_t{1}, uint8_t{2}}}).dtype(), uint8);
  EXPECT_EQ(array({{{1.0f}}}).dtype(), float32);
}

TEST(ArrayNested, ExplicitDtypeConverts) {
  array a({{1, 2}, {3, 4}}, float64);
  EXPECT_EQ(a.dtype(), float64);
  EXPECT_EQ(values_of<double>(a), (std::vector<double>{1, 2, 3, 4}));
  array b({{0.5f, 1.5f}}, float16);
  EXPECT_EQ(b.dtype(), float16);
  EXPECT_EQ(b.shape(), (Shape{1, 2}));
  EXPECT_EQ(static_cast<float>(values_of<float16_t>(b)[1]), 1.5f);
  array c({{{2.9, -1.2}}}, int32);  // truncation, as the 1-d list does
  EXPECT_EQ(values_of<int32_t>(c), (std::vector<int32_t>{2, -1}));
  EXPECT_EQ(values_of<int32_t>(c), values_of<int32_t>(array({2.9, -1.2}, int32)));
}

TEST(ArrayNested, ThreeDimensionalMatchesFlatListWithShape) {
  array a({{{1, 2, 3}, {4, 5, 6}}, {{7, 8, 9}, {10, 11, 12}}});
  EXPECT_EQ(a.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(a.dtype(), int32);
  array flat({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 2, 3});
  EXPECT_TRUE(array_equal(a, flat, false).item<bool>());
  // Indexing agrees with row-major nesting: a[1, 0, 2] == 9.
  EXPECT_EQ(take(reshape(a, {-1}), 1 * 6 + 0 * 3 + 2).item<int32_t>(), 9);
}

TEST(ArrayNested, RandomValuesRoundTrip) {
  std::mt19937 g(5);
  std::uniform_real_distribution<float> u(-10.0f, 10.0f);
  const float x0 = u(g), x1 = u(g), x2 = u(g), x3 = u(g), x4 = u(g), x5 = u(g);
  array a({{x0, x1}, {x2, x3}, {x4, x5}});
  EXPECT_EQ(a.shape(), (Shape{3, 2}));
  EXPECT_EQ(values_of<float>(a), (std::vector<float>{x0, x1, x2, x3, x4, x5}));
  // Transposing a nested array reads its columns.
  EXPECT_EQ(values_of<float>(transpose(a)), (std::vector<float>{x0, x2, x4, x1, x3, x5}));
}

TEST(ArrayNested, SingleRowAndSingleColumn) {
  EXPECT_EQ(array({{7, 8, 9}}).shape(), (Shape{1, 3}));
  EXPECT_EQ(array({{7}, {8}, {9}}).shape(), (Shape{3, 1}));
  EXPECT_EQ(array({{{7}}}).shape(), (Shape{1, 1, 1}));
}

TEST(ArrayNested, EmptyInnerListsGiveZeroDims) {
  array a(std::initializer_list<std::initializer_list<float>>{{}, {}});
  EXPECT_EQ(a.shape(), (Shape{2, 0}));
  EXPECT_EQ(a.size(), 0u);
  array b(std::initializer_list<std::initializer_list<std::initializer_list<int>>>{{}, {}, {}});
  EXPECT_EQ(b.shape(), (Shape{3, 0, 0}));
}

TEST(ArrayNested, BoolLists) {
  array a({{true, false}, {false, true}});
  EXPECT_EQ(a.dtype(), bool_);
  const bool* p = a.data<bool>();
  EXPECT_TRUE(p[0]);
  EXPECT_FALSE(p[1]);
  EXPECT_FALSE(p[2]);
  EXPECT_TRUE(p[3]);
}

TEST(ArrayNested, RaggedListsAreValueErrors) {
  EXPECT_THROW(array({{1, 2}, {3}}), ValueError);
  EXPECT_THROW(array({{1.0f}, {2.0f, 3.0f}}), ValueError);
  EXPECT_THROW(array({{{1, 2}, {3, 4}}, {{5, 6}}}), ValueError);
  EXPECT_THROW(array({{{1, 2}, {3, 4}}, {{5, 6}, {7}}}), ValueError);
  try {
    array({{1, 2, 3}, {4, 5}});
    FAIL() << "ragged input was accepted";
  } catch (const ValueError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("[array]", 0), 0u) << e.what();
  }
}

TEST(ArrayNested, OlderBraceConstructorsKeepTheirMeaning) {
  array a({1, 2, 3});
  EXPECT_EQ(a.shape(), (Shape{3}));
  array b({2, 3}, float32);  // values 2 and 3, not a shape
  EXPECT_EQ(b.shape(), (Shape{2}));
  EXPECT_EQ(values_of<float>(b), (std::vector<float>{2.0f, 3.0f}));
  array c({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});
  EXPECT_EQ(c.shape(), (Shape{2, 2}));
  array d({1, 2, 3, 4}, {2, 2}, float64);
  EXPECT_EQ(d.dtype(), float64);
  EXPECT_TRUE(array_equal(d, array({{1, 2}, {3, 4}}, float64), false).item<bool>());
}

}  // namespace
