// Dtype values: MLX's promotion table, categories, sizes and names, and the 16-bit float
// conversions (float16_t, bfloat16_t) against references computed here in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ember/ember.h"

namespace {

using namespace ember;

const std::vector<Dtype> kAll = {bool_, uint8, uint16,  uint32,  uint64,  int8,     int16,
                                 int32, int64, float16, float32, float64, bfloat16, complex64};

// ---- an independent statement of MLX's promotion rules ----

bool is_real_float(Dtype t) {
  return t == float16 || t == bfloat16 || t == float32 || t == float64;
}
bool is_uint(Dtype t) { return t == uint8 || t == uint16 || t == uint32 || t == uint64; }
bool is_sint(Dtype t) { return t == int8 || t == int16 || t == int32 || t == int64; }
Dtype signed_of_size(size_t bytes) {
  switch (bytes) {
    case 1:
      return int8;
    case 2:
      return int16;
    case 4:
      return int32;
    default:
      return int64;
  }
}

// bool is the bottom; complex64 the top; floats beat integers; float16 and bfloat16 meet at
// float32; a signed and an unsigned integer meet at the smallest signed type holding both,
// except uint64 with any signed type, which goes to float32.
Dtype expected_promotion(Dtype a, Dtype b) {
  if (a == b) return a;
  if (a == bool_) return b;
  if (b == bool_) return a;
  if (a == complex64 || b == complex64) return complex64;
  if (is_real_float(a) && is_real_float(b)) {
    if (a == float64 || b == float64) return float64;
    return float32;  // float32 with a 16-bit float, or float16 with bfloat16
  }
  if (is_real_float(a)) return a;
  if (is_real_float(b)) return b;
  if (is_uint(a) == is_uint(b)) return a.size() > b.size() ? a : b;
  const Dtype u = is_uint(a) ? a : b;
  const Dtype s = is_uint(a) ? b : a;
  if (u.size() < s.size()) return s;
  if (u == uint64) return float32;
  return signed_of_size(2 * u.size());
}

TEST(DtypePromotion, DocumentedPairs) {
  struct Case {
    Dtype a, b, want;
  };
  const std::vector<Case> cases = {
      {uint8, int8, int16},         {uint16, int8, int32},           {uint32, int16, int64},
      {uint64, int64, float32},     {uint64, int8, float32},         {uint8, uint32, uint32},
      {int8, int64, int64},         {uint32, int64, int64},          {int32, float16, float16},
      {int64, float16, float16},    {uint64, bfloat16, bfloat16},    {float16, bfloat16, float32},
      {bfloat16, float32, float32}, {float16, float32, float32},     {float32, float64, float64},
      {bfloat16, float64, float64}, {float64, complex64, complex64}, {int64, complex64, complex64},
      {bool_, bool_, bool_},        {bool_, uint8, uint8},           {bool_, int8, int8},
      {bool_, float16, float16},    {bool_, bfloat16, bfloat16},     {bool_, complex64, complex64},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(promote_types(c.a, c.b), c.want) << c.a << " + " << c.b;
    EXPECT_EQ(promote_types(c.b, c.a), c.want) << c.b << " + " << c.a;
  }
}

TEST(DtypePromotion, EveryPairMatchesRulesAndIsSymmetric) {
  for (Dtype a : kAll) {
    EXPECT_EQ(promote_types(a, a), a) << a;
    EXPECT_EQ(promote_types(bool_, a), a) << a;
    for (Dtype b : kAll) {
      EXPECT_EQ(promote_types(a, b), expected_promotion(a, b)) << a << " + " << b;
      EXPECT_EQ(promote_types(a, b), promote_types(b, a)) << a << " + " << b;
    }
  }
}

// ---- categories, sizes, names ----

TEST(DtypeCategories, EachDtypeLiesUnderItsCategories) {
  const std::vector<Dtype::Category> cats = {complexfloating, floating, inexact, signedinteger,
                                             unsignedinteger, integer,  number,  generic};
  for (Dtype t : kAll) {
    std::vector<Dtype::Category> want = {generic};
    if (t != bool_) want.push_back(number);
    if (is_uint(t)) want.insert(want.end(), {unsignedinteger, integer});
    if (is_sint(t)) want.insert(want.end(), {signedinteger, integer});
    if (is_real_float(t)) want.insert(want.end(), {floating, inexact});
    if (t == complex64) want.insert(want.end(), {complexfloating, inexact});
    for (auto c : cats) {
      const bool expected = std::find(want.begin(), want.end(), c) != want.end();
      EXPECT_EQ(issubdtype(t, c), expected) << t << " category " << static_cast<int>(c);
    }
  }
}

TEST(DtypeCategories, CategoryHierarchy) {
  using C = Dtype::Category;
  // (child, parent) pairs of the hierarchy, reflexive-transitively closed below.
  const std::vector<std::pair<C, C>> edges = {
      {complexfloating, inexact}, {floating, inexact}, {inexact, number}, {signedinteger, integer},
      {unsignedinteger, integer}, {integer, number},   {number, generic}};
  const std::vector<C> cats = {complexfloating, floating, inexact, signedinteger,
                               unsignedinteger, integer,  number,  generic};
  auto below = [&](C a, C b) {
    std::vector<C> frontier = {a};
    for (size_t i = 0; i < frontier.size(); ++i) {
      if (frontier[i] == b) return true;
      for (auto& [child, parent] : edges) {
        if (child == frontier[i]) frontier.push_back(parent);
      }
    }
    return false;
  };
  for (C a : cats) {
    for (C b : cats) {
      EXPECT_EQ(issubdtype(a, b), below(a, b))
          << static_cast<int>(a) << " < " << static_cast<int>(b);
    }
  }
}

TEST(DtypeCategories, DtypeVersusDtypeIsEquality) {
  for (Dtype a : kAll) {
    for (Dtype b : kAll) EXPECT_EQ(issubdtype(a, b), a == b) << a << " " << b;
    // MLX: a category never lies under a concrete dtype.
    EXPECT_FALSE(issubdtype(generic, a));
    EXPECT_FALSE(issubdtype(floating, a));
  }
}

TEST(DtypeInfo, SizesNamesKindsAndPredicates) {
  struct Row {
    Dtype t;
    size_t size;
    const char* name;
    Dtype::Kind kind;
  };
  using K = Dtype::Kind;
  const std::vector<Row> rows = {
      {bool_, 1, "bool", K::b},        {uint8, 1, "uint8", K::u},
      {uint16, 2, "uint16", K::u},     {uint32, 4, "uint32", K::u},
      {uint64, 8, "uint64", K::u},     {int8, 1, "int8", K::i},
      {int16, 2, "int16", K::i},       {int32, 4, "int32", K::i},
      {int64, 8, "int64", K::i},       {float16, 2, "float16", K::f},
      {float32, 4, "float32", K::f},   {float64, 8, "float64", K::f},
      {bfloat16, 2, "bfloat16", K::V}, {complex64, 8, "complex64", K::c},
  };
  ASSERT_EQ(rows.size(), static_cast<size_t>(kNumDtypes));
  for (const auto& r : rows) {
    EXPECT_EQ(size_of(r.t), r.size) << r.name;
    EXPECT_EQ(dtype_name(r.t), r.name);
    EXPECT_EQ(kindof(r.t), r.kind) << r.name;
    std::ostringstream os;
    os << r.t;
    EXPECT_EQ(os.str(), r.name);
    EXPECT_EQ(is_floating_point(r.t), is_real_float(r.t)) << r.name;
    EXPECT_EQ(is_complex(r.t), r.t == complex64) << r.name;
    EXPECT_EQ(is_unsigned(r.t), is_uint(r.t)) << r.name;
    EXPECT_EQ(is_integral(r.t), is_uint(r.t) || is_sint(r.t)) << r.name;
    EXPECT_EQ(is_inexact(r.t), is_real_float(r.t) || r.t == complex64) << r.name;
  }
  // Sizes agree with the C++ storage types.
  EXPECT_EQ(sizeof(float16_t), 2u);
  EXPECT_EQ(sizeof(bfloat16_t), 2u);
  EXPECT_EQ(sizeof(complex64_t), 8u);
}

TEST(DtypeInfo, TypeToDtypeFollowsMLX) {
  EXPECT_EQ(Dtype(TypeToDtype<bool>()), bool_);
  EXPECT_EQ(Dtype(TypeToDtype<uint8_t>()), uint8);
  EXPECT_EQ(Dtype(TypeToDtype<int16_t>()), int16);
  EXPECT_EQ(Dtype(TypeToDtype<int64_t>()), int64);
  EXPECT_EQ(Dtype(TypeToDtype<long long>()), int64);
  EXPECT_EQ(Dtype(TypeToDtype<float16_t>()), float16);
  EXPECT_EQ(Dtype(TypeToDtype<bfloat16_t>()), bfloat16);
  EXPECT_EQ(Dtype(TypeToDtype<float>()), float32);
  EXPECT_EQ(Dtype(TypeToDtype<double>()), float32);  // as in MLX
  EXPECT_EQ(storage_dtype_of<double>(), float64);
  EXPECT_EQ(Dtype(TypeToDtype<complex64_t>()), complex64);
}

// ---- 16-bit floats ----

float f_from_bits(uint32_t b) { return std::bit_cast<float>(b); }
uint16_t h_bits(float f) { return float16_t(f).bits; }
uint16_t b_bits(float f) { return bfloat16_t(f).bits; }

// Decodes a 16-bit float with `mant_bits` mantissa bits and `exp_bits` exponent bits, in double.
double decode(uint16_t bits, int exp_bits, int mant_bits) {
  const int bias = (1 << (exp_bits - 1)) - 1;
  const bool neg = bits >> 15;
  const int e = (bits >> mant_bits) & ((1 << exp_bits) - 1);
  const int m = bits & ((1 << mant_bits) - 1);
  double mag;
  if (e == (1 << exp_bits) - 1) {
    mag = m == 0 ? INFINITY : NAN;
  } else if (e == 0) {
    mag = std::ldexp(static_cast<double>(m), 1 - bias - mant_bits);
  } else {
    mag = std::ldexp(1.0 + std::ldexp(static_cast<double>(m), -mant_bits), e - bias);
  }
  return neg ? -mag : mag;
}

// Nearest representable value, ties to the even bit pattern, computed over the sorted list
// of all non-negative finite values plus infinity where rounding would reach the next binade.
class NearestTable {
 public:
  NearestTable(int exp_bits, int mant_bits) {
    const uint16_t inf_bits = static_cast<uint16_t>(((1 << exp_bits) - 1) << mant_bits);
    for (uint32_t b = 0; b < inf_bits; ++b) {
      values_.push_back(
          {decode(static_cast<uint16_t>(b), exp_bits, mant_bits), static_cast<uint16_t>(b)});
    }
    // Rounding past the largest finite value behaves as if the next power of two existed.
    const int bias = (1 << (exp_bits - 1)) - 1;
    values_.push_back({std::ldexp(1.0, bias + 1), inf_bits});
  }
  uint16_t round(float f) const {
    const double x = std::fabs(static_cast<double>(f));
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    auto it = std::lower_bound(values_.begin(), values_.end(), std::make_pair(x, uint16_t{0}),
                               [](const auto& l, const auto& r) { return l.first < r.first; });
    if (it == values_.end()) return sign | values_.back().second;
    if (it->first == x || it == values_.begin()) return sign | it->second;
    const auto lo = *(it - 1), hi = *it;
    const double dlo = x - lo.first, dhi = hi.first - x;
    if (dlo < dhi) return sign | lo.second;
    if (dhi < dlo) return sign | hi.second;
    return sign | ((lo.second & 1) == 0 ? lo.second : hi.second);
  }

 private:
  std::vector<std::pair<double, uint16_t>> values_;
};

TEST(Float16, TiesRoundToEven) {
  // 1.0f is 0x3f800000; a float16 ulp at 1 is float mantissa bit 13, half an ulp bit 12.
  EXPECT_EQ(h_bits(f_from_bits(0x3f801000)), 0x3c00);  // 1 + 2^-11: tie, 0x3c00 even
  EXPECT_EQ(h_bits(f_from_bits(0x3f803000)), 0x3c02);  // 1 + 3*2^-11: tie, 0x3c02 even
  EXPECT_EQ(h_bits(f_from_bits(0x3f801001)), 0x3c01);  // just above the tie
  EXPECT_EQ(h_bits(f_from_bits(0x3f800fff)), 0x3c00);  // just below
  EXPECT_EQ(h_bits(f_from_bits(0x3f802fff)), 0x3c01);
  EXPECT_EQ(h_bits(-2049.0f), 0xe800);  // -2048: tie between 2048 (even) and 2050
  EXPECT_EQ(h_bits(2051.0f), 0x6802);   // 2052: tie between 2050 (odd) and 2052
  EXPECT_EQ(h_bits(0.1f), 0x2e66);
}

TEST(Float16, Subnormals) {
  const float tiny = std::ldexp(1.0f, -24);
  EXPECT_EQ(h_bits(tiny), 0x0001);
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0x0001)), tiny);
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0x03ff)), 1023 * tiny);
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0x8001)), -tiny);
  EXPECT_EQ(h_bits(0.5f * tiny), 0x0000);  // tie with 0: even is 0
  EXPECT_EQ(h_bits(std::nextafter(0.5f * tiny, 1.0f)), 0x0001);
  EXPECT_EQ(h_bits(0.49f * tiny), 0x0000);
  EXPECT_EQ(h_bits(1.5f * tiny), 0x0002);  // tie 1|2 -> 2
  EXPECT_EQ(h_bits(2.5f * tiny), 0x0002);  // tie 2|3 -> 2
  EXPECT_EQ(h_bits(3.5f * tiny), 0x0004);  // tie 3|4 -> 4
  EXPECT_EQ(h_bits(2.7f * tiny), 0x0003);
  EXPECT_EQ(h_bits(1023.5f * tiny), 0x0400);  // into the smallest normal
  EXPECT_EQ(h_bits(1022.5f * tiny), 0x03fe);
  EXPECT_EQ(h_bits(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(h_bits(-3.5f * tiny), 0x8004);
  EXPECT_EQ(h_bits(1e-30f), 0x0000);
}

TEST(Float16, OverflowInfinityNanAndNegativeZero) {
  EXPECT_EQ(h_bits(65504.0f), 0x7bff);
  EXPECT_EQ(h_bits(65519.0f), 0x7bff);
  EXPECT_EQ(h_bits(65520.0f), 0x7c00);  // tie between 65504 and 2^16: rounds to inf
  EXPECT_EQ(h_bits(-65520.0f), 0xfc00);
  EXPECT_EQ(h_bits(1e10f), 0x7c00);
  EXPECT_EQ(h_bits(INFINITY), 0x7c00);
  EXPECT_EQ(h_bits(-INFINITY), 0xfc00);
  EXPECT_TRUE(std::isinf(static_cast<float>(float16_t::from_bits(0x7c00))));
  for (uint32_t nan_bits : {0x7fc00000u, 0x7f800001u, 0xffc00000u, 0x7f802000u}) {
    const float16_t h(f_from_bits(nan_bits));
    EXPECT_EQ(h.bits & 0x7c00, 0x7c00) << std::hex << nan_bits;
    EXPECT_NE(h.bits & 0x03ff, 0) << std::hex << nan_bits;
    EXPECT_TRUE(std::isnan(static_cast<float>(h))) << std::hex << nan_bits;
  }
  EXPECT_TRUE(std::isnan(static_cast<float>(float16_t::from_bits(0x7e00))));
  EXPECT_TRUE(std::isnan(static_cast<float>(float16_t::from_bits(0x7c01))));
  EXPECT_EQ(h_bits(-0.0f), 0x8000);
  EXPECT_EQ(h_bits(0.0f), 0x0000);
  EXPECT_EQ(h_bits(-1e-30f), 0x8000);
  EXPECT_TRUE(std::signbit(static_cast<float>(float16_t::from_bits(0x8000))));
  EXPECT_EQ(static_cast<float>(float16_t::from_bits(0x8000)), 0.0f);
}

TEST(Float16, EveryFiniteBitPatternRoundTrips) {
  int checked = 0;
  for (uint32_t b = 0; b < 65536; ++b) {
    const auto h = float16_t::from_bits(static_cast<uint16_t>(b));
    const float f = h;
    if ((b & 0x7c00) == 0x7c00) continue;  // inf and NaN
    ASSERT_EQ(static_cast<double>(f), decode(static_cast<uint16_t>(b), 5, 10)) << std::hex << b;
    ASSERT_EQ(std::signbit(f), (b & 0x8000) != 0) << std::hex << b;
    ASSERT_EQ(float16_t(f).bits, b) << std::hex << b;
    ++checked;
  }
  EXPECT_EQ(checked, 65536 - 2048);
}

TEST(Float16, RandomFloatsMatchNearestEvenReference) {
  const NearestTable table(5, 10);
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> exp_dist(-27, 17);
  std::uniform_int_distribution<uint32_t> mant_dist(0, (1u << 23) - 1);
  for (int i = 0; i < 5000; ++i) {
    const uint32_t sign = (rng() & 1u) << 31;
    const uint32_t exponent = static_cast<uint32_t>(exp_dist(rng) + 127);
    uint32_t mant = mant_dist(rng);
    if (i % 4 == 0) mant = (mant & ~0x1fffu) | 0x1000u;  // exact ties for normal halves
    const float f = f_from_bits(sign | (exponent << 23) | mant);
    ASSERT_EQ(h_bits(f), table.round(f)) << f << " bits " << std::hex << std::bit_cast<uint32_t>(f);
  }
}

TEST(BFloat16, RoundingTiesSubnormalsOverflowNan) {
  EXPECT_EQ(b_bits(1.0f), 0x3f80);
  EXPECT_EQ(b_bits(f_from_bits(0x3f808000)), 0x3f80);  // 1 + 2^-8: tie, even
  EXPECT_EQ(b_bits(f_from_bits(0x3f818000)), 0x3f82);  // 1 + 3*2^-8: tie, even
  EXPECT_EQ(b_bits(f_from_bits(0x3f808001)), 0x3f81);
  EXPECT_EQ(b_bits(f_from_bits(0x3f807fff)), 0x3f80);
  EXPECT_EQ(b_bits(257.0f), 0x4380);  // 256
  EXPECT_EQ(b_bits(259.0f), 0x4382);  // 260
  // Subnormal floats: bfloat16 shares float32's exponent range.
  EXPECT_EQ(b_bits(f_from_bits(0x00008000)), 0x0000);
  EXPECT_EQ(b_bits(f_from_bits(0x00018000)), 0x0002);
  EXPECT_EQ(b_bits(f_from_bits(0x00010001)), 0x0001);
  EXPECT_EQ(b_bits(f_from_bits(0x007fffff)), 0x0080);  // rounds up to the smallest normal
  // Overflow: the largest finite bfloat16 is 0x7f7f.
  EXPECT_EQ(b_bits(f_from_bits(0x7f7f7fff)), 0x7f7f);
  EXPECT_EQ(b_bits(f_from_bits(0x7f7f8000)), 0x7f80);
  EXPECT_EQ(b_bits(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(b_bits(-std::numeric_limits<float>::max()), 0xff80);
  EXPECT_EQ(b_bits(INFINITY), 0x7f80);
  for (uint32_t nan_bits : {0x7fc00000u, 0x7f800001u, 0xff800001u, 0x7fffffffu}) {
    const bfloat16_t h(f_from_bits(nan_bits));
    EXPECT_TRUE(std::isnan(static_cast<float>(h))) << std::hex << nan_bits;
  }
  EXPECT_EQ(b_bits(-0.0f), 0x8000);
  EXPECT_TRUE(std::signbit(static_cast<float>(bfloat16_t::from_bits(0x8000))));
}

TEST(BFloat16, EveryFiniteBitPatternRoundTrips) {
  int checked = 0;
  for (uint32_t b = 0; b < 65536; ++b) {
    if ((b & 0x7f80) == 0x7f80) continue;
    const float f = bfloat16_t::from_bits(static_cast<uint16_t>(b));
    ASSERT_EQ(static_cast<double>(f), decode(static_cast<uint16_t>(b), 8, 7)) << std::hex << b;
    ASSERT_EQ(std::signbit(f), (b & 0x8000) != 0) << std::hex << b;
    ASSERT_EQ(bfloat16_t(f).bits, b) << std::hex << b;
    ++checked;
  }
  EXPECT_EQ(checked, 65536 - 256);
}

TEST(BFloat16, RandomFloatsMatchNearestEvenReference) {
  const NearestTable table(8, 7);
  std::mt19937 rng(77);
  for (int i = 0; i < 5000; ++i) {
    uint32_t bits = rng();
    if ((bits & 0x7f800000u) == 0x7f800000u) bits ^= 0x00800000u;  // keep it finite
    if (i % 4 == 0) bits = (bits & ~0xffffu) | 0x8000u;            // exact ties
    const float f = f_from_bits(bits);
    ASSERT_EQ(b_bits(f), table.round(f)) << f << " bits " << std::hex << bits;
  }
}

TEST(HalfTypes, ConstructFromIntegersAndDoubles) {
  EXPECT_EQ(float16_t(3).bits, 0x4200);
  EXPECT_EQ(float16_t(-2.5).bits, 0xc100);
  EXPECT_EQ(float16_t(int64_t{70000}).bits, 0x7c00);
  EXPECT_EQ(bfloat16_t(3).bits, 0x4040);
  EXPECT_EQ(bfloat16_t(-2.5).bits, 0xc020);
  // Arithmetic runs in float: 2049 is not a float16, but the float sum is exact.
  const float16_t a(2048), b(1);
  EXPECT_EQ(a + b, 2049.0f);
  EXPECT_EQ(float16_t(a + b).bits, float16_t(2048).bits);
}

}  // namespace
