// Values of the unary elementwise ops (ops/elementwise.h) on random inputs (fixed seeds,
// never zeros) against references computed here in long double from the inputs' stored
// values; every float dtype, integer and bool promotion, complex where supported, and
// 0-d, empty, broadcast and non-contiguous (transposed, strided) inputs. Then the edge
// cases: NaN/inf/-0, rounding ties, predicates, nan_to_num, complex parts, typed errors.
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

#include "tests/core/elementwise_test_util.h"

namespace {

using namespace ember;

// ---- the table of floating unary ops ----

struct UnaryCase {
  const char* name;
  std::function<array(const array&)> op;
  std::function<LD(LD)> ref;
  Domain domain;
  double rtol_scale = 1.0;  // multiplies the dtype's tolerance (for float32 mostly)
};

const std::vector<UnaryCase>& float_cases() {
  static const std::vector<UnaryCase> cases = {
      {"sqrt", [](auto& a) { return sqrt(a); }, [](LD x) { return sqrtl(x); }, {0.1, 4, false}},
      {"rsqrt", [](auto& a) { return rsqrt(a); }, [](LD x) { return 1 / sqrtl(x); },
       {0.1, 4, false}},
      {"square", [](auto& a) { return square(a); }, [](LD x) { return x * x; }, {0.1, 4, true}},
      {"reciprocal", [](auto& a) { return reciprocal(a); }, [](LD x) { return 1 / x; },
       {0.1, 4, true}},
      {"exp", [](auto& a) { return exp(a); }, [](LD x) { return expl(x); }, {0.1, 4, true}},
      {"expm1", [](auto& a) { return expm1(a); }, [](LD x) { return expm1l(x); },
       {0.05, 3, true}},
      {"log", [](auto& a) { return log(a); }, [](LD x) { return logl(x); }, {0.1, 4, false}},
      {"log1p", [](auto& a) { return log1p(a); }, [](LD x) { return log1pl(x); },
       {0.05, 0.9, true}},
      {"log2", [](auto& a) { return log2(a); }, [](LD x) { return log2l(x); }, {0.1, 4, false}},
      {"log10", [](auto& a) { return log10(a); }, [](LD x) { return log10l(x); },
       {0.1, 4, false}},
      {"sin", [](auto& a) { return sin(a); }, [](LD x) { return sinl(x); }, {0.1, 3, true}},
      {"cos", [](auto& a) { return cos(a); }, [](LD x) { return cosl(x); }, {0.1, 3, true}},
      {"tan", [](auto& a) { return tan(a); }, [](LD x) { return tanl(x); }, {0.1, 1.4, true}},
      {"arcsin", [](auto& a) { return arcsin(a); }, [](LD x) { return asinl(x); },
       {0.05, 0.95, true}},
      {"arccos", [](auto& a) { return arccos(a); }, [](LD x) { return acosl(x); },
       {0.05, 0.95, true}},
      {"arctan", [](auto& a) { return arctan(a); }, [](LD x) { return atanl(x); }, {0.1, 4, true}},
      {"sinh", [](auto& a) { return sinh(a); }, [](LD x) { return sinhl(x); }, {0.1, 3, true}},
      {"cosh", [](auto& a) { return cosh(a); }, [](LD x) { return coshl(x); }, {0.1, 3, true}},
      {"tanh", [](auto& a) { return tanh(a); }, [](LD x) { return tanhl(x); }, {0.1, 3, true}},
      {"arcsinh", [](auto& a) { return arcsinh(a); }, [](LD x) { return asinhl(x); },
       {0.1, 4, true}},
      {"arccosh", [](auto& a) { return arccosh(a); }, [](LD x) { return acoshl(x); },
       {1.05, 4, false}},
      {"arctanh", [](auto& a) { return arctanh(a); }, [](LD x) { return atanhl(x); },
       {0.05, 0.95, true}},
      {"sigmoid", [](auto& a) { return sigmoid(a); }, [](LD x) { return 1 / (1 + expl(-x)); },
       {0.1, 8, true}},
      {"erf", [](auto& a) { return erf(a); }, [](LD x) { return erfl(x); }, {0.05, 2.5, true}},
      {"degrees", [](auto& a) { return degrees(a); },
       [](LD x) { return x * 180 / std::numbers::pi_v<LD>; }, {0.1, 4, true}},
      {"radians", [](auto& a) { return radians(a); },
       [](LD x) { return x * std::numbers::pi_v<LD> / 180; }, {0.1, 4, true}},
  };
  return cases;
}

void check_unary(const UnaryCase& c, const Input& in, Dtype out_dt, const std::string& what) {
  Ref want = in.ref;
  for (auto& v : want.v) v = static_cast<double>(c.ref(static_cast<LD>(v)));
  const array out = c.op(in.arr);
  EXPECT_EQ(out.dtype(), out_dt) << what;
  expect_close(out, want, rtol_of(out_dt) * c.rtol_scale, what);
}

TEST(OpsUnary, FloatOpsEveryDtypeAndLayout) {
  std::mt19937 g(1001);
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    for (const auto& c : float_cases()) {
      const std::string base = std::string(c.name) + " " + str(dt);
      check_unary(c, rand_input(g, {}, dt, c.domain), dt, base + " 0-d");
      check_unary(c, rand_input(g, {2, 0}, dt, c.domain), dt, base + " empty");
      check_unary(c, rand_input(g, {37}, dt, c.domain), dt, base + " 1-d");
      for (Layout layout : kLayouts) {
        check_unary(c, layout_input(g, {3, 4}, dt, layout, c.domain), dt,
                    base + " layout " + std::to_string(static_cast<int>(layout)));
      }
    }
  }
}

TEST(OpsUnary, FloatOpsPromoteIntegersAndBoolToFloat32) {
  std::mt19937 g(1002);
  for (Dtype dt : {int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool_}) {
    for (const auto& c : float_cases()) {
      const std::string name = c.name;
      if (name == "square") continue;  // keeps integer dtypes (below)
      // Integers 1..9 (and 0/1 for bool) fit only some domains.
      const bool positive_only = !c.domain.negative;
      if (name == "arcsin" || name == "arccos" || name == "arctanh" || name == "log1p") {
        if (dt != bool_) continue;
      }
      if (dt == bool_ && (positive_only || name == "reciprocal")) continue;
      Domain dom = c.domain;
      dom.negative = dom.negative && dt != bool_;
      const Input in = layout_input(g, {3, 4}, dt, Layout::transposed, dom);
      check_unary(c, in, float32, name + " " + str(dt));
    }
  }
}

// erfinv has no <cmath> reference: Halley steps on erfl/erfcl from a rough start, in long
// double, until they stop moving.
LD erfinv_reference(LD x) {
  const LD a = fabsl(x);
  if (a == 1) return copysignl(INFINITY, x);
  LD y = sqrtl(-logl((1 - a) * (1 + a)));  // any start inside the basin will do
  if (a < 0.5L) y = a * std::numbers::sqrt3_v<LD> / 2;
  for (int i = 0; i < 200; ++i) {
    const LD r = a < 0.5L ? erfl(y) - a : (1 - a) - erfcl(y);
    const LD next = y - r / (2 / sqrtl(std::numbers::pi_v<LD>) * expl(-y * y) + y * r);
    if (next == y) break;
    y = next;
  }
  return copysignl(y, x);
}

TEST(OpsUnary, ErfInv) {
  std::mt19937 g(1003);
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    for (Layout layout : kLayouts) {
      const Input in = layout_input(g, {5, 4}, dt, layout, {0.01, 0.999, true});
      Ref want = in.ref;
      for (auto& v : want.v) v = static_cast<double>(erfinv_reference(v));
      const array out = erfinv(in.arr);
      EXPECT_EQ(out.dtype(), dt);
      expect_close(out, want, dt == float32 ? 1e-6 : rtol_of(dt), "erfinv " + str(dt));
    }
    // Near +-1 (float64: 1 - 1e-12), the tails, the poles and outside the domain.
    const Vec edge = dt == float64 ? Vec{1 - 1e-12, -(1 - 1e-9), 0.9999999, 1e-300}
                                   : Vec{0.99951171875, -0.998046875, 0.5, 0.0078125};
    const array e = make(edge, {4}, dt);
    Ref want{{4}, to_vec(e)};
    for (auto& v : want.v) v = static_cast<double>(erfinv_reference(v));
    expect_close(erfinv(e), want, dt == float32 ? 1e-6 : rtol_of(dt), "erfinv edge " + str(dt));
    expect_close(erfinv(make({1.0, -1.0, 1.5, -2.0, NAN, 0.0}, {6}, dt)),
                 {{6}, {INFINITY, -INFINITY, NAN, NAN, NAN, 0.0}}, 0, "erfinv poles " + str(dt));
  }
  // The round trip through erf on float64.
  std::mt19937 g2(7);
  const Input in = rand_input(g2, {50}, float64, {0.001, 0.99, true});
  expect_close(erf(erfinv(in.arr)), in.ref, 1e-14, "erf(erfinv(x))");
  EXPECT_EQ(erfinv(array({0, 1}, int32)).dtype(), float32);
}

// ---- exact and integer-preserving ops ----

TEST(OpsUnary, FloorCeilRoundSignAcrossDtypes) {
  std::mt19937 g(1004);
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    for (Layout layout : kLayouts) {
      const Input in = layout_input(g, {4, 5}, dt, layout, {0.1, 6, true});
      Ref fl = in.ref, ce = in.ref, ro = in.ref, sg = in.ref;
      for (size_t i = 0; i < in.ref.v.size(); ++i) {
        const double x = in.ref.v[i];
        fl.v[i] = std::floor(x);
        ce.v[i] = std::ceil(x);
        ro.v[i] = std::nearbyint(x);  // the default rounding mode: half to even
        sg.v[i] = x > 0 ? 1 : -1;
      }
      const std::string what = str(dt) + " layout " + std::to_string(static_cast<int>(layout));
      for (auto [out, want, name] :
           {std::tuple{floor(in.arr), fl, "floor"}, std::tuple{ceil(in.arr), ce, "ceil"},
            std::tuple{round(in.arr), ro, "round"}, std::tuple{sign(in.arr), sg, "sign"}}) {
        EXPECT_EQ(out.dtype(), dt) << name << " " << what;
        expect_close(out, want, 0, std::string(name) + " " + what);
      }
    }
    // Ties go to even; -0, infinities and NaN pass through floor, ceil and round.
    const array ties = make({0.5, 1.5, 2.5, -0.5, -2.5, 3.5, -3.5}, {7}, dt);
    expect_close(round(ties), {{7}, {0, 2, 2, -0.0, -2, 4, -4}}, 0, "round ties " + str(dt));
    EXPECT_TRUE(std::signbit(to_vec(round(ties))[3])) << "round(-0.5) is -0 in " << str(dt);
    const array special = make({-0.0, INFINITY, -INFINITY, NAN}, {4}, dt);
    for (const array& out : {floor(special), ceil(special), round(special)}) {
      const Vec v = to_vec(out);
      EXPECT_TRUE(v[0] == 0 && std::signbit(v[0])) << str(dt);
      EXPECT_EQ(v[1], INFINITY);
      EXPECT_EQ(v[2], -INFINITY);
      EXPECT_TRUE(std::isnan(v[3]));
    }
    // sign: +-0 -> 0, infinities -> +-1, NaN stays NaN.
    expect_close(sign(special), {{4}, {0, 1, -1, NAN}}, 0, "sign special " + str(dt));
  }
  // Integers keep their dtype and values; sign of unsigned and bool is 0 or 1.
  for (Dtype dt : {int8, int16, int32, int64, uint8, uint16, uint32, uint64}) {
    const Input in = layout_input(g, {3, 4}, dt, Layout::strided);
    Ref sg = in.ref;
    for (auto& v : sg.v) v = v > 0 ? 1 : -1;
    for (const array& out : {floor(in.arr), ceil(in.arr), round(in.arr)}) {
      EXPECT_EQ(out.dtype(), dt);
      expect_close(out, in.ref, 0, "identity on " + str(dt));
    }
    EXPECT_EQ(sign(in.arr).dtype(), dt);
    expect_close(sign(in.arr), sg, 0, "sign " + str(dt));
  }
  expect_close(sign(array({0, 7, -3}, int32)), {{3}, {0, 1, -1}}, 0, "sign int zero");
  expect_close(sign(array({0, 200}, uint8)), {{2}, {0, 1}}, 0, "sign uint8");
  expect_close(sign(array({true, false})), {{2}, {1, 0}}, 0, "sign bool");
  EXPECT_EQ(sign(array({true, false})).dtype(), bool_);
}

TEST(OpsUnary, RoundToDecimals) {
  // Exact binary fractions make the ties real: 0.125 * 100 = 12.5 rounds to 12.
  expect_close(round(make({0.125, 0.375, -0.125, 2.6751, 1.0 / 3.0}, {5}, float64), 2),
               {{5}, {0.12, 0.38, -0.12, 2.68, 0.33}}, 1e-15, "round float64 2");
  expect_close(round(make({1250, 1350, -1250, 17, 149.9}, {5}, float64), -2),
               {{5}, {1200, 1400, -1200, 0, 100}}, 0, "round float64 -2");
  // Random float64 against nearbyint of the scaled value (no ties by chance).
  std::mt19937 g(1005);
  const Input in = layout_input(g, {6, 7}, float64, Layout::transposed, {0.1, 100, true});
  for (int decimals : {1, 3, -1}) {
    Ref want = in.ref;
    const LD scale = powl(10, decimals);
    for (auto& v : want.v) v = static_cast<double>(nearbyintl(v * scale) / scale);
    expect_close(round(in.arr, decimals), want, 1e-15, "round random " + std::to_string(decimals));
  }
  // float32 and float16 keep their dtype; integers round to tens with negative decimals.
  array f = round(make({1.2345, -7.6543}, {2}, float32), 2);
  EXPECT_EQ(f.dtype(), float32);
  expect_close(f, {{2}, {1.23, -7.65}}, 1e-6, "round float32");
  array h = round(make({1.2345, -7.6843}, {2}, float16), 1);
  EXPECT_EQ(h.dtype(), float16);
  expect_close(h, {{2}, {1.2, -7.7}}, 1e-3, "round float16");
  array i = round(array({1250, 1350, -1249, 17, 55}, int32), -1);
  EXPECT_EQ(i.dtype(), int32);
  expect_close(i, {{5}, {1250, 1350, -1250, 20, 60}}, 0, "round int32 -1");
  expect_close(round(array({1250, 1350, -1251}, int32), -2), {{3}, {1200, 1400, -1300}}, 0,
               "round int32 -2");
  expect_close(round(array({12, -7}, int16), 2), {{2}, {12, -7}}, 0, "round int16 2");
  expect_close(round(array(2.5f), 0), {{}, {2}}, 0, "round 0-d");
}

TEST(OpsUnary, SquareAbsNegativeOnIntegersWrap) {
  std::mt19937 g(1006);
  for (Dtype dt : {int8, int16, int32, int64, uint8, uint16, uint32, uint64}) {
    const Input in = layout_input(g, {4, 3}, dt, Layout::transposed);
    Ref sq = in.ref, ab = in.ref;
    for (size_t k = 0; k < sq.v.size(); ++k) {
      sq.v[k] = in.ref.v[k] * in.ref.v[k];
      ab.v[k] = std::fabs(in.ref.v[k]);
    }
    EXPECT_EQ(square(in.arr).dtype(), dt);
    expect_close(square(in.arr), sq, 0, "square " + str(dt));
    expect_close(abs(in.arr), ab, 0, "abs " + str(dt));
  }
  // Overflow wraps (two's complement), never undefined behaviour.
  expect_close(square(array({12, -16, 11}, int8)), {{3}, {-112, 0, 121}}, 0, "square int8 wrap");
  expect_close(square(array({65535}, uint16)), {{1}, {1}}, 0, "square uint16 wrap");
  expect_close(square(array({46341}, int32)), {{1}, {-2147479015.0}}, 0, "square int32 wrap");
  expect_close(abs(array({-128, 127}, int8)), {{2}, {-128, 127}}, 0, "abs int8 min");
  expect_close(negative(array({-128, 5}, int8)), {{2}, {-128, -5}}, 0, "negative int8 min");
  expect_close(square(array({true, false})), {{2}, {1, 0}}, 0, "square bool");
}

// ---- logical and bitwise ----

TEST(OpsUnary, LogicalNotAndBitwiseInvert) {
  std::mt19937 g(1007);
  for (Dtype dt : {float32, float16, int32, uint8, bool_, float64}) {
    const Input in = layout_input(g, {3, 5}, dt, Layout::strided);
    Vec v = in.ref.v;
    array x = in.arr;
    if (dt != bool_) {  // put zeros in (every third element): logical_not is about them
      x = multiply(x, astype(make({1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0}, {3, 5}, dt),
                             dt));
      for (size_t k = 2; k < v.size(); k += 3) v[k] = 0;
    }
    Ref want{{3, 5}, v};
    for (auto& w : want.v) w = w == 0 ? 1 : 0;
    const array out = logical_not(x);
    EXPECT_EQ(out.dtype(), bool_);
    expect_close(out, want, 0, "logical_not " + str(dt));
  }
  expect_close(logical_not(make({NAN, -0.0}, {2}, float32)), {{2}, {0, 1}}, 0, "not NaN/-0");
  // ~x is -x - 1 for signed and MAX - x for unsigned; bool gives logical_not.
  for (Dtype dt : {int8, int16, int32, int64, uint8, uint16, uint32}) {
    const Input in = layout_input(g, {4, 3}, dt, Layout::transposed);
    Ref want = in.ref;
    const double max = is_unsigned(dt) ? std::ldexp(1.0, 8 * static_cast<int>(size_of(dt))) - 1 : 0;
    for (auto& w : want.v) w = is_unsigned(dt) ? max - w : -w - 1;
    EXPECT_EQ(bitwise_invert(in.arr).dtype(), dt);
    expect_close(bitwise_invert(in.arr), want, 0, "bitwise_invert " + str(dt));
    expect_close(~in.arr, want, 0, "operator~ " + str(dt));
  }
  array u64 = ~array(uint64_t{5});
  EXPECT_EQ(u64.item<uint64_t>(), ~uint64_t{5});
  array b = ~array({true, false});
  EXPECT_EQ(b.dtype(), bool_);
  expect_close(b, {{2}, {0, 1}}, 0, "~bool");
  for (Dtype dt : {float32, float16, bfloat16, float64, complex64}) {
    try {
      bitwise_invert(zeros({2}, dt));
      ADD_FAILURE() << "bitwise_invert accepted " << str(dt);
    } catch (const TypeError& e) {
      EXPECT_NE(std::string(e.what()).find("[bitwise_invert]"), std::string::npos) << e.what();
    }
  }
}

// ---- predicates and nan_to_num ----

TEST(OpsUnary, NanInfPredicates) {
  const Vec values = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1.5, -2.25, 1e30};
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    const array x = make(values, {2, 4}, dt);
    const Vec stored = to_vec(x);  // 1e30 is inf in float16
    Ref nan{{2, 4}, {}}, inf{{2, 4}, {}}, fin{{2, 4}, {}}, pos{{2, 4}, {}}, neg{{2, 4}, {}};
    for (double v : stored) {
      nan.v.push_back(std::isnan(v));
      inf.v.push_back(std::isinf(v));
      fin.v.push_back(std::isfinite(v));
      pos.v.push_back(v == INFINITY);
      neg.v.push_back(v == -INFINITY);
    }
    for (const array& view : {x, transpose(transpose(x)), reshape(x, {8})}) {
      const Shape s = view.shape();
      expect_close(isnan(view), {s, nan.v}, 0, "isnan " + str(dt));
      expect_close(isinf(view), {s, inf.v}, 0, "isinf " + str(dt));
      expect_close(isfinite(view), {s, fin.v}, 0, "isfinite " + str(dt));
      expect_close(isposinf(view), {s, pos.v}, 0, "isposinf " + str(dt));
      expect_close(isneginf(view), {s, neg.v}, 0, "isneginf " + str(dt));
    }
    EXPECT_EQ(isnan(x).dtype(), bool_);
    EXPECT_EQ(isfinite(x).dtype(), bool_);
    // A transposed view: the predicates follow the elements.
    const array t = transpose(x);
    Ref nan_t = gather(nan, {4, 2}, [](std::vector<int> i) { return std::vector<int>{i[1], i[0]}; });
    expect_close(isnan(t), nan_t, 0, "isnan transposed " + str(dt));
  }
  // Integers and bool: nothing is NaN or infinite, everything is finite.
  for (Dtype dt : {int32, uint8, bool_, int64}) {
    const array x = zeros({2, 3}, dt);
    for (const array& out : {isnan(x), isinf(x), isposinf(x), isneginf(x)}) {
      EXPECT_EQ(out.dtype(), bool_);
      expect_close(out, {{2, 3}, Vec(6, 0)}, 0, "int predicate " + str(dt));
    }
    expect_close(isfinite(x), {{2, 3}, Vec(6, 1)}, 0, "isfinite " + str(dt));
  }
  // Complex: NaN or infinite if either part is; isposinf/isneginf reject complex.
  const array c = array({complex64_t(1, NAN), complex64_t(INFINITY, 0), complex64_t(1, -2),
                         complex64_t(NAN, INFINITY)});
  expect_close(isnan(c), {{4}, {1, 0, 0, 1}}, 0, "isnan complex");
  expect_close(isinf(c), {{4}, {0, 1, 0, 1}}, 0, "isinf complex");
  expect_close(isfinite(c), {{4}, {0, 0, 1, 0}}, 0, "isfinite complex");
  EXPECT_THROW(isposinf(c), TypeError);
  EXPECT_THROW(isneginf(c), TypeError);
  expect_close(isnan(array(NAN)), {{}, {1}}, 0, "isnan 0-d");
  EXPECT_EQ(isinf(zeros({0, 2})).shape(), Shape({0, 2}));
}

TEST(OpsUnary, NanToNum) {
  const Vec values = {NAN, INFINITY, -INFINITY, 1.5, -0.0, -3.0};
  struct Limits {
    Dtype dt;
    double max;
  };
  for (auto [dt, max] : {Limits{float32, std::numeric_limits<float>::max()},
                         Limits{float64, std::numeric_limits<double>::max()},
                         Limits{float16, 65504.0}, Limits{bfloat16, 3.3895313892515355e38}}) {
    const array x = make(values, {2, 3}, dt);
    array out = nan_to_num(x);
    EXPECT_EQ(out.dtype(), dt);
    expect_close(out, {{2, 3}, {0, max, -max, 1.5, 0, -3}}, 0, "nan_to_num " + str(dt));
    expect_close(nan_to_num(transpose(x), 7.0f, 100.0f, -50.0f),
                 {{3, 2}, {7, 1.5, 100, -0.0, -50, -3}}, 0, "nan_to_num custom " + str(dt));
    expect_close(nan_to_num(x, -1.0f, std::nullopt, 2.0f), {{2, 3}, {-1, max, 2, 1.5, 0, -3}}, 0,
                 "nan_to_num partial " + str(dt));
  }
  // Integers and bool come back unchanged; complex treats each part.
  const array i = array({3, -4}, int32);
  EXPECT_EQ(nan_to_num(i).dtype(), int32);
  expect_close(nan_to_num(i), {{2}, {3, -4}}, 0, "nan_to_num int");
  const auto z = to_cvec(nan_to_num(
      array({complex64_t(NAN, INFINITY), complex64_t(-INFINITY, 2.5f)}), 1.0f, 9.0f, -9.0f));
  EXPECT_EQ(z[0], std::complex<double>(1, 9));
  EXPECT_EQ(z[1], std::complex<double>(-9, 2.5));
}

// ---- complex ----

TEST(OpsUnary, ComplexFunctions) {
  struct CCase {
    const char* name;
    std::function<array(const array&)> op;
    std::function<CLD(CLD)> ref;
  };
  const LD ln2 = std::numbers::ln2_v<LD>;
  const std::vector<CCase> cases = {
      {"sqrt", [](auto& a) { return sqrt(a); }, [](CLD z) { return std::sqrt(z); }},
      {"rsqrt", [](auto& a) { return rsqrt(a); }, [](CLD z) { return CLD(1) / std::sqrt(z); }},
      {"exp", [](auto& a) { return exp(a); }, [](CLD z) { return std::exp(z); }},
      {"expm1", [](auto& a) { return expm1(a); }, [](CLD z) { return std::exp(z) - CLD(1); }},
      {"log", [](auto& a) { return log(a); }, [](CLD z) { return std::log(z); }},
      {"log1p", [](auto& a) { return log1p(a); }, [](CLD z) { return std::log(CLD(1) + z); }},
      {"log2", [](auto& a) { return log2(a); }, [&](CLD z) { return std::log(z) / ln2; }},
      {"log10", [](auto& a) { return log10(a); }, [](CLD z) { return std::log10(z); }},
      {"sin", [](auto& a) { return sin(a); }, [](CLD z) { return std::sin(z); }},
      {"cos", [](auto& a) { return cos(a); }, [](CLD z) { return std::cos(z); }},
      {"tan", [](auto& a) { return tan(a); }, [](CLD z) { return std::tan(z); }},
      {"arcsin", [](auto& a) { return arcsin(a); }, [](CLD z) { return std::asin(z); }},
      {"arccos", [](auto& a) { return arccos(a); }, [](CLD z) { return std::acos(z); }},
      {"arctan", [](auto& a) { return arctan(a); }, [](CLD z) { return std::atan(z); }},
      {"sinh", [](auto& a) { return sinh(a); }, [](CLD z) { return std::sinh(z); }},
      {"cosh", [](auto& a) { return cosh(a); }, [](CLD z) { return std::cosh(z); }},
      {"tanh", [](auto& a) { return tanh(a); }, [](CLD z) { return std::tanh(z); }},
      {"arcsinh", [](auto& a) { return arcsinh(a); }, [](CLD z) { return std::asinh(z); }},
      {"arccosh", [](auto& a) { return arccosh(a); }, [](CLD z) { return std::acosh(z); }},
      {"arctanh", [](auto& a) { return arctanh(a); }, [](CLD z) { return std::atanh(z); }},
      {"sigmoid", [](auto& a) { return sigmoid(a); },
       [](CLD z) { return CLD(1) / (CLD(1) + std::exp(-z)); }},
      {"square", [](auto& a) { return square(a); }, [](CLD z) { return z * z; }},
      {"sign", [](auto& a) { return sign(a); }, [](CLD z) { return z / std::abs(z); }},
      {"round", [](auto& a) { return round(a); },
       [](CLD z) { return CLD(nearbyintl(z.real()), nearbyintl(z.imag())); }},
      {"conjugate", [](auto& a) { return conjugate(a); }, [](CLD z) { return std::conj(z); }},
      {"reciprocal", [](auto& a) { return reciprocal(a); }, [](CLD z) { return CLD(1) / z; }},
  };
  std::mt19937 g(1008);
  std::uniform_real_distribution<float> u(0.1f, 1.5f);
  std::vector<complex64_t> v(12);
  for (auto& z : v) z = complex64_t(g() & 1 ? u(g) : -u(g), g() & 1 ? u(g) : -u(g));
  const array base = array(v.begin(), {3, 4});
  const array views[] = {base, transpose(array(v.begin(), {4, 3}))};
  for (int k = 0; k < 2; ++k) {
    std::vector<CLD> in(12);
    for (int i = 0; i < 12; ++i) {
      const complex64_t z = k == 0 ? v[i] : v[(i % 4) * 3 + i / 4];
      in[i] = CLD(z.real(), z.imag());
    }
    for (const auto& c : cases) {
      const array out = c.op(views[k]);
      EXPECT_EQ(out.dtype(), complex64) << c.name;
      ASSERT_EQ(out.shape(), Shape({3, 4})) << c.name;
      const auto got = to_cvec(out);
      for (int i = 0; i < 12; ++i) {
        const CLD want = c.ref(in[i]);
        const CLD diff = CLD(got[i].real(), got[i].imag()) - want;
        EXPECT_LE(static_cast<double>(std::abs(diff)), 4e-6 * static_cast<double>(std::abs(want)))
            << c.name << " view " << k << " at " << i << ": got " << got[i];
      }
    }
  }
  // Parts: real and imag give float32; sign of 0 is 0; abs is the magnitude.
  const array c = array({complex64_t(3, -4), complex64_t(0, 0), complex64_t(-1.5f, 2)});
  EXPECT_EQ(real(c).dtype(), float32);
  EXPECT_EQ(imag(c).dtype(), float32);
  expect_close(real(c), {{3}, {3, 0, -1.5}}, 0, "real");
  expect_close(imag(c), {{3}, {-4, 0, 2}}, 0, "imag");
  expect_close(imag(transpose(reshape(c, {1, 3}))), {{3, 1}, {-4, 0, 2}}, 0, "imag view");
  expect_close(abs(c), {{3}, {5, 0, 2.5}}, 1e-7, "abs");
  const auto s = to_cvec(sign(c));
  EXPECT_EQ(s[1], std::complex<double>(0, 0));
  EXPECT_NEAR(s[0].real(), 0.6, 1e-7);
  EXPECT_NEAR(s[0].imag(), -0.8, 1e-7);
  // Real inputs: real is the identity, imag is zeros of the same dtype, conjugate is a no-op.
  const array r = array({1.5f, -2.0f});
  expect_close(real(r), {{2}, {1.5, -2}}, 0, "real of float");
  EXPECT_EQ(imag(array({1, 2}, int16)).dtype(), int16);
  expect_close(imag(array({1, 2}, int16)), {{2}, {0, 0}}, 0, "imag of int");
  expect_close(conjugate(r), {{2}, {1.5, -2}}, 0, "conjugate of float");
}

// ---- stop_gradient, errors ----

TEST(OpsUnary, StopGradientIsTheIdentity) {
  std::mt19937 g(1009);
  for (Dtype dt : {float32, int16, bfloat16, bool_}) {
    for (Layout layout : kLayouts) {
      const Input in = layout_input(g, {3, 4}, dt, layout);
      const array out = stop_gradient(in.arr);
      EXPECT_EQ(out.dtype(), dt);
      expect_close(out, in.ref, 0, "stop_gradient " + str(dt));
    }
  }
  array x = array({1.0f, 2.0f, 3.0f});
  array y = stop_gradient(x);
  EXPECT_STREQ(y.primitive().name(), "StopGradient");
  EXPECT_EQ(y.data<float>(), x.data<float>());  // shares the data
  expect_close(stop_gradient(array(4, int32)), {{}, {4}}, 0, "stop_gradient 0-d");
}

TEST(OpsUnary, TypeErrorsNameTheOp) {
  const array c = array({complex64_t(1, 2)});
  auto expect_type_error = [](auto f, const std::string& op) {
    try {
      f();
      ADD_FAILURE() << op << " did not throw";
    } catch (const TypeError& e) {
      EXPECT_NE(std::string(e.what()).find("[" + op + "]"), std::string::npos) << e.what();
    }
  };
  expect_type_error([&] { floor(c); }, "floor");
  expect_type_error([&] { ceil(c); }, "ceil");
  expect_type_error([&] { erf(c); }, "erf");
  expect_type_error([&] { erfinv(c); }, "erfinv");
  expect_type_error([&] { isposinf(c); }, "isposinf");
  expect_type_error([&] { bitwise_invert(array(1.5f)); }, "bitwise_invert");
  expect_type_error([&] { negative(array(true)); }, "negative");
}

// ---- special values through the transcendental functions ----

TEST(OpsUnary, SpecialValuesPropagate) {
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    const array x = make({NAN, INFINITY, -INFINITY, -0.0}, {4}, dt);
    const std::string d = str(dt);
    expect_close(sqrt(x), {{4}, {NAN, INFINITY, NAN, -0.0}}, 0, "sqrt " + d);
    EXPECT_TRUE(std::signbit(to_vec(sqrt(x))[3])) << "sqrt(-0) is -0 in " << d;
    expect_close(rsqrt(x), {{4}, {NAN, 0, NAN, -INFINITY}}, 0, "rsqrt " + d);
    expect_close(exp(x), {{4}, {NAN, INFINITY, 0, 1}}, 0, "exp " + d);
    expect_close(expm1(x), {{4}, {NAN, INFINITY, -1, -0.0}}, 0, "expm1 " + d);
    expect_close(log(x), {{4}, {NAN, INFINITY, NAN, -INFINITY}}, 0, "log " + d);
    expect_close(log1p(make({-1.0, -2.0}, {2}, dt)), {{2}, {-INFINITY, NAN}}, 0, "log1p " + d);
    expect_close(log2(x), {{4}, {NAN, INFINITY, NAN, -INFINITY}}, 0, "log2 " + d);
    expect_close(log10(x), {{4}, {NAN, INFINITY, NAN, -INFINITY}}, 0, "log10 " + d);
    expect_close(sin(x), {{4}, {NAN, NAN, NAN, -0.0}}, 0, "sin " + d);
    expect_close(tanh(x), {{4}, {NAN, 1, -1, -0.0}}, 0, "tanh " + d);
    expect_close(arctan(x), {{4}, {NAN, M_PI / 2, -M_PI / 2, -0.0}}, rtol_of(dt), "arctan " + d);
    expect_close(sigmoid(x), {{4}, {NAN, 1, 0, 0.5}}, 0, "sigmoid " + d);
    expect_close(erf(x), {{4}, {NAN, 1, -1, -0.0}}, 0, "erf " + d);
    expect_close(arcsin(make({1.5, -1.0}, {2}, dt)), {{2}, {NAN, -M_PI / 2}}, rtol_of(dt),
                 "arcsin " + d);
    expect_close(reciprocal(x), {{4}, {NAN, 0, -0.0, -INFINITY}}, 0, "reciprocal " + d);
    expect_close(square(x), {{4}, {NAN, INFINITY, INFINITY, 0}}, 0, "square " + d);
    // Large arguments: sigmoid saturates without NaN, exp overflows to inf.
    expect_close(sigmoid(make({-200, 200}, {2}, dt)), {{2}, {dt == float64 ? std::exp(-200.0) : 0, 1}},
                 rtol_of(dt), "sigmoid big " + d);
  }
}

}  // namespace
