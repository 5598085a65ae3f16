// array values: construction (scalars, lists, iterators, wrapped memory), metadata,
// item/data access and its errors, and printing as MLX prints.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdlib>
#include <list>
#include <sstream>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace {

using namespace ember;

std::string str(const array& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}

// A 0-d array of `value` has the expected dtype, metadata and element.
template <class T>
void expect_scalar(const T& value, Dtype dtype) {
  array a(value);
  EXPECT_EQ(a.dtype(), dtype) << dtype;
  EXPECT_EQ(a.ndim(), 0);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_TRUE(a.shape().empty());
  EXPECT_EQ(a.itemsize(), size_of(dtype));
  EXPECT_EQ(a.nbytes(), size_of(dtype));
  if constexpr (HalfFloat<T>) {
    EXPECT_EQ(a.item<T>().bits, value.bits) << dtype;
  } else {
    EXPECT_EQ(a.item<T>(), value) << dtype;
  }
}

TEST(ArrayConstruct, ScalarsOfEveryDtype) {
  expect_scalar(true, bool_);
  expect_scalar(false, bool_);
  expect_scalar(uint8_t{200}, uint8);
  expect_scalar(uint16_t{60001}, uint16);
  expect_scalar(uint32_t{4000000001u}, uint32);
  expect_scalar(uint64_t{18000000000000000001ull}, uint64);
  expect_scalar(int8_t{-77}, int8);
  expect_scalar(int16_t{-30001}, int16);
  expect_scalar(int32_t{-2000000001}, int32);
  expect_scalar(int64_t{-9000000000000000001ll}, int64);
  expect_scalar(float16_t::from_bits(0xbc01), float16);
  expect_scalar(bfloat16_t::from_bits(0x4049), bfloat16);
  expect_scalar(3.25f, float32);
  expect_scalar(complex64_t(1.5f, -2.25f), complex64);
}

TEST(ArrayConstruct, DoubleIsFloat32LikeMLX) {
  array a(0.1);
  EXPECT_EQ(a.dtype(), float32);
  EXPECT_EQ(a.item<float>(), 0.1f);
  EXPECT_THROW(a.item<double>(), TypeError);
  array b(0.1, float64);  // float64 must be asked for, and keeps the double exactly
  EXPECT_EQ(b.dtype(), float64);
  EXPECT_EQ(b.item<double>(), 0.1);
  array c(5LL);
  EXPECT_EQ(c.dtype(), int64);
  EXPECT_EQ(c.item<int64_t>(), 5);
}

TEST(ArrayConstruct, ScalarConvertedToRequestedDtype) {
  EXPECT_EQ(array(3.7f, int32).item<int32_t>(), 3);
  EXPECT_EQ(array(-3.7f, int16).item<int16_t>(), -3);
  EXPECT_EQ(array(2.0f, bool_).item<bool>(), true);
  EXPECT_EQ(array(0.0f, bool_).item<bool>(), false);
  EXPECT_EQ(array(7, float32).item<float>(), 7.0f);
  EXPECT_EQ(array(2049, float16).item<float16_t>().bits, 0x6800);  // rounds to 2048
  EXPECT_EQ(array(0.1, float16).item<float16_t>().bits, 0x2e66);
  EXPECT_EQ(array(1.0f, bfloat16).item<bfloat16_t>().bits, 0x3f80);
  const auto z = array(2.5f, complex64).item<complex64_t>();
  EXPECT_EQ(z, complex64_t(2.5f, 0.0f));
  EXPECT_EQ(array(complex64_t(4.5f, 1.0f), float32).item<float>(), 4.5f);  // keeps the real part
}

TEST(ArrayConstruct, InitializerLists) {
  array a({1, 2, 3});
  EXPECT_EQ(a.dtype(), int32);
  EXPECT_EQ(a.shape(), Shape({3}));
  EXPECT_EQ(a.data<int32_t>()[0], 1);
  EXPECT_EQ(a.data<int32_t>()[2], 3);

  array b({1.5f, -2.0f, 3.0f, 4.25f, 5.0f, 6.0f}, {2, 3});
  EXPECT_EQ(b.dtype(), float32);
  EXPECT_EQ(b.shape(), Shape({2, 3}));
  const std::vector<float> want = {1.5f, -2.0f, 3.0f, 4.25f, 5.0f, 6.0f};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(b.data<float>()[i], want[i]);

  array c({1, 2, 3, 4}, {2, 2}, float16);
  EXPECT_EQ(c.dtype(), float16);
  EXPECT_EQ(static_cast<float>(c.data<float16_t>()[3]), 4.0f);

  // array({true, false, true}) does not compile yet (array.h copies into std::vector<bool>).
  array d({1, 0, 1}, bool_);
  EXPECT_EQ(d.dtype(), bool_);
  EXPECT_FALSE(d.data<bool>()[1]);

  array e({2.5, 3.5});  // doubles: float32, as in MLX
  EXPECT_EQ(e.dtype(), float32);
  EXPECT_EQ(e.data<float>()[1], 3.5f);

  array f({7}, Shape{});  // one value fills a 0-d shape
  EXPECT_EQ(f.ndim(), 0);
  EXPECT_EQ(f.item<int32_t>(), 7);
}

TEST(ArrayConstruct, InitializerListCountMismatchIsValueError) {
  EXPECT_THROW(array({1, 2, 3}, {2, 2}), ValueError);
  EXPECT_THROW(array({1.0f, 2.0f}, {3}), ValueError);
  EXPECT_THROW(array({1, 2}, Shape{}), ValueError);
  EXPECT_NO_THROW(array({1, 2, 3, 4, 5, 6}, {3, 2}));
}

TEST(ArrayConstruct, IteratorAndShape) {
  std::vector<double> values(24);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5 * static_cast<double>(i) - 3.25;
  array a(values.begin(), {2, 3, 4}, float64);
  EXPECT_EQ(a.shape(), Shape({2, 3, 4}));
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(a.data<double>()[i], values[i]);

  array b(values.begin(), {4, 6});  // double -> float32 by default
  EXPECT_EQ(b.dtype(), float32);
  EXPECT_EQ(b.data<float>()[23], static_cast<float>(values[23]));

  std::list<int16_t> list = {5, -6, 7, -8, 9, -10};
  array c(list.begin(), {3, 2});
  EXPECT_EQ(c.dtype(), int16);
  EXPECT_EQ(c.data<int16_t>()[5], -10);
  array d(list.begin(), {2}, int64);  // reads only as many as the shape needs
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.data<int64_t>()[1], -6);
}

TEST(ArrayConstruct, WrappedPointerDeleterRunsOnceAfterLastUser) {
  int deletes = 0;
  void* seen = nullptr;
  float* buffer = new float[6]{1.5f, -2.0f, 3.0f, 0.25f, 8.0f, -1.0f};
  {
    array lazy = exp(array(0.0f));  // replaced below
    {
      array x(buffer, {2, 3}, float32, [&](void* p) {
        ++deletes;
        seen = p;
        delete[] static_cast<float*>(p);
      });
      EXPECT_EQ(x.data<float>(), buffer);  // no copy
      EXPECT_EQ(x.data<float>()[4], 8.0f);
      array y = x;  // a copy of the handle
      lazy = x * 2.0f + 1.0f;
      EXPECT_EQ(deletes, 0);
    }
    EXPECT_EQ(deletes, 0);  // the lazy op still refers to x
    const float* out = lazy.data<float>();
    const float want[6] = {4.0f, -3.0f, 7.0f, 1.5f, 17.0f, -1.0f};
    for (int i = 0; i < 6; ++i) EXPECT_EQ(out[i], want[i]);
    EXPECT_LE(deletes, 1);
  }
  EXPECT_EQ(deletes, 1);
  EXPECT_EQ(seen, buffer);
}

TEST(ArrayConstruct, WrappedPointerOutlivedByView) {
  int deletes = 0;
  auto* buffer = new int32_t[6]{1, 2, 3, 4, 5, 6};
  {
    array t = transpose(array(buffer, {2, 3}, int32, [&](void* p) {
      ++deletes;
      delete[] static_cast<int32_t*>(p);
    }));
    t.eval();
    EXPECT_LE(deletes, 1);
    const array c = contiguous(t);
    const int32_t want[6] = {1, 4, 2, 5, 3, 6};
    for (int i = 0; i < 6; ++i) EXPECT_EQ(c.data<int32_t>()[i], want[i]);
  }
  EXPECT_EQ(deletes, 1);
}

TEST(ArrayMeta, ShapeStridesSizes) {
  std::vector<int32_t> v(24);
  for (int i = 0; i < 24; ++i) v[i] = i + 1;
  array a(v.begin(), {2, 3, 4});
  EXPECT_EQ(a.ndim(), 3);
  EXPECT_EQ(a.size(), 24u);
  EXPECT_EQ(a.itemsize(), 4u);
  EXPECT_EQ(a.nbytes(), 96u);
  EXPECT_EQ(a.shape(0), 2);
  EXPECT_EQ(a.shape(-1), 4);
  EXPECT_EQ(a.shape(-3), 2);
  EXPECT_THROW(a.shape(3), IndexError);
  EXPECT_THROW(a.shape(-4), IndexError);
  EXPECT_EQ(a.strides(), Strides({12, 4, 1}));
  EXPECT_EQ(a.strides(-2), 4);
  EXPECT_TRUE(a.flags().row_contiguous);
  EXPECT_TRUE(a.flags().contiguous);

  array t = transpose(a);
  EXPECT_EQ(t.shape(), Shape({4, 3, 2}));
  t.eval();
  EXPECT_EQ(t.strides(), Strides({1, 4, 12}));
  EXPECT_FALSE(t.flags().row_contiguous);
  EXPECT_TRUE(t.flags().col_contiguous);
  EXPECT_EQ(t.data<int32_t>()[t.strides(0) * 3 + t.strides(1) * 2 + t.strides(2) * 1], 24);

  array h = zeros({5, 0, 3}, float16);
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.nbytes(), 0u);
  EXPECT_EQ(h.itemsize(), 2u);
  EXPECT_EQ(h.shape(1), 0);

  array c({1.0f, 2.0f}, complex64);
  EXPECT_EQ(c.itemsize(), 8u);
  EXPECT_EQ(c.nbytes(), 16u);
}

TEST(ArrayAccess, ItemAndDataChecks) {
  array f({1.0f, 2.0f});
  EXPECT_THROW(f.item<float>(), ValueError);  // two elements
  array empty = zeros({0});
  EXPECT_THROW(empty.item<float>(), ValueError);
  array one({42}, {1, 1});
  EXPECT_EQ(one.item<int32_t>(), 42);  // size 1 of any rank
  EXPECT_THROW(one.item<int64_t>(), TypeError);
  EXPECT_THROW(one.item<float>(), TypeError);
  EXPECT_THROW(one.data<uint32_t>(), TypeError);
  EXPECT_THROW(array(1.0f).item<double>(), TypeError);
  EXPECT_THROW(array(1.0f, float16).item<bfloat16_t>(), TypeError);
  EXPECT_THROW(array(true).item<uint8_t>(), TypeError);

  // item() of a lazy result evaluates it.
  array lazy = array(3.0f) * array(4.0f);
  EXPECT_FALSE(lazy.is_available());
  EXPECT_EQ(lazy.item<float>(), 12.0f);
  EXPECT_TRUE(lazy.is_available());

  // data<T>() points at the first element and can be written through for owned data.
  array w({1, 2, 3});
  w.data<int32_t>()[1] = 20;
  EXPECT_EQ(w.data<int32_t>()[1], 20);
  const array& cw = w;
  EXPECT_EQ(cw.data<int32_t>()[2], 3);
}

TEST(ArrayPrint, OneDimensional) {
  EXPECT_EQ(str(array({1, 2, 3})), "array([1, 2, 3], dtype=int32)");
  EXPECT_EQ(str(array({1.5f, -2.0f, 0.25f})), "array([1.5, -2, 0.25], dtype=float32)");
  EXPECT_EQ(str(array({3, 0}, bool_)), "array([true, false], dtype=bool)");
  EXPECT_EQ(str(array({200, 3}, uint8)), "array([200, 3], dtype=uint8)");
  EXPECT_EQ(str(array({-5, 7}, int8)), "array([-5, 7], dtype=int8)");
  EXPECT_EQ(str(array({1.5f, 2.0f}, float16)), "array([1.5, 2], dtype=float16)");
  EXPECT_EQ(str(array({0.5f}, bfloat16)), "array([0.5], dtype=bfloat16)");
  EXPECT_EQ(str(array({complex64_t(1, 2), complex64_t(3, -4)})),
            "array([1+2j, 3-4j], dtype=complex64)");
  EXPECT_EQ(str(zeros({0}, int32)), "array([], dtype=int32)");
}

TEST(ArrayPrint, ZeroDimensional) {
  EXPECT_EQ(str(array(5)), "array(5, dtype=int32)");
  EXPECT_EQ(str(array(true)), "array(true, dtype=bool)");
  EXPECT_EQ(str(array(-2.5f)), "array(-2.5, dtype=float32)");
  EXPECT_EQ(str(array(2.0, float64)), "array(2, dtype=float64)");
}

TEST(ArrayPrint, TwoDimensionalAndViews) {
  array a({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(str(a), "array([[1, 2, 3],\n       [4, 5, 6]], dtype=int32)");
  // A transposed (lazy, non-contiguous) array prints its logical order.
  EXPECT_EQ(str(transpose(a)), "array([[1, 4],\n       [2, 5],\n       [3, 6]], dtype=int32)");
  EXPECT_EQ(str(array({1, 0}, {2, 1}, bool_)), "array([[true],\n       [false]], dtype=bool)");
}

// MLX (mlx/utils.cpp, print_subarray) separates the blocks of a 3-d array with ",\n" and an
// indent of 7 + dim spaces: no blank line between blocks (unlike NumPy).
TEST(ArrayPrint, ThreeDimensionalLikeMLX) {
  array a({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2});
  EXPECT_EQ(str(a),
            "array([[[0, 1],\n"
            "        [2, 3]],\n"
            "       [[4, 5],\n"
            "        [6, 7]]], dtype=int32)");
}

// MLX prints at most 3 leading and 3 trailing entries of an axis longer than 6, with "...".
TEST(ArrayPrint, LongAxesAreSummarizedLikeMLX) {
  EXPECT_EQ(str(array({0, 1, 2, 3, 4, 5})), "array([0, 1, 2, 3, 4, 5], dtype=int32)");
  EXPECT_EQ(str(arange(10)), "array([0, 1, 2, ..., 7, 8, 9], dtype=int32)");
}

}  // namespace
