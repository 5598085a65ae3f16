// Values of the binary and ternary elementwise ops (ops/elementwise.h) on random inputs
// (fixed seeds, never zeros unless zeros are the point) against references computed here in
// long double or exact integer arithmetic: every dtype each op supports, promotion and
// output dtypes, broadcasting, 0-d, empty and non-contiguous inputs. Then the edge cases:
// Python's floor division and remainder signs, integer division by zero, shifts past the
// bit width, NaN/inf, where/clip/isclose/array_equal, the C++ operators and typed errors.
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


Ref ref_broadcast(const Ref& a, const Shape& to) {
  return gather(a, to, [&](const std::vector<int>& o) {
    std::vector<int> idx(a.shape.size());
    for (size_t d = 0; d < idx.size(); ++d)
      idx[d] = a.shape[d] == 1 ? 0 : o[d + to.size() - idx.size()];
    return idx;
  });
}

// The elements of an integer or bool array as their low bits (two's complement), for
// exact comparisons of 64-bit values.
std::vector<uint64_t> to_bits(array a) {
  a.eval();
  std::vector<uint64_t> out;
  dispatch_all_types(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      const uint64_t mask = sizeof(T) == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * sizeof(T))) - 1;
      out = read_as<T, uint64_t>(a, [&](T v) { return static_cast<uint64_t>(v) & mask; });
    } else {
      ADD_FAILURE() << "to_bits of " << a.dtype();
    }
  });
  return out;
}

template <class T>
void expect_throws_naming(T f, const std::string& op) {
  try {
    f();
    ADD_FAILURE() << op << " did not throw";
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("[" + op + "]"), std::string::npos) << e.what();
  }
}

// ---- floating binary ops: a table against long double ----

struct BinaryCase {
  const char* name;
  std::function<array(const array&, const array&)> op;
  std::function<LD(LD, LD)> ref;
  Domain a_domain, b_domain;
  // Error scale: 0 = |result|, 1 = |a| + |b| (cancellation), 2 = |b| (remainder).
  int scale_kind = 0;
  bool exact = false;  // integer-valued results: no tolerance
};

LD py_floor_divide(LD a, LD b) { return floorl(a / b); }
LD py_remainder(LD a, LD b) {
  const LD r = a - b * floorl(a / b);
  return r == 0 ? copysignl(0, b) : r;
}

const std::vector<BinaryCase>& float_cases() {
  static const std::vector<BinaryCase> cases = {
      {"minimum", [](auto& a, auto& b) { return minimum(a, b); },
       [](LD x, LD y) { return std::min(x, y); }, {0.1, 4, true}, {0.1, 4, true}, 0, true},
      {"maximum", [](auto& a, auto& b) { return maximum(a, b); },
       [](LD x, LD y) { return std::max(x, y); }, {0.1, 4, true}, {0.1, 4, true}, 0, true},
      {"power", [](auto& a, auto& b) { return power(a, b); }, [](LD x, LD y) { return powl(x, y); },
       {0.1, 3, false}, {0.1, 3, true}},
      {"arctan2", [](auto& a, auto& b) { return arctan2(a, b); },
       [](LD x, LD y) { return atan2l(x, y); }, {0.1, 3, true}, {0.1, 3, true}},
      {"logaddexp", [](auto& a, auto& b) { return logaddexp(a, b); },
       [](LD x, LD y) { return logl(expl(x) + expl(y)); }, {0.1, 5, true}, {0.1, 5, true}, 1},
      {"floor_divide", [](auto& a, auto& b) { return floor_divide(a, b); }, py_floor_divide,
       {0.1, 5, true}, {0.1, 2, true}, 0, true},
      {"remainder", [](auto& a, auto& b) { return remainder(a, b); }, py_remainder,
       {0.1, 5, true}, {0.1, 2, true}, 2},
  };
  return cases;
}

void check_binary(const BinaryCase& c, const Input& a, const Input& b, Dtype out_dt,
                  const std::string& what) {
  const Shape shape = broadcast_shapes(a.ref.shape, b.ref.shape);
  const Ref ab = ref_broadcast(a.ref, shape), bb = ref_broadcast(b.ref, shape);
  const array out = c.op(a.arr, b.arr);
  EXPECT_EQ(out.dtype(), out_dt) << c.name << " " << what;
  ASSERT_EQ(out.shape(), shape) << c.name << " " << what;
  const Vec got = to_vec(out);
  const double rtol = c.exact ? 0.0 : rtol_of(out_dt);
  for (size_t i = 0; i < got.size(); ++i) {
    const double x = ab.v[i], y = bb.v[i];
    const double want = static_cast<double>(c.ref(x, y));
    if (got[i] == want) continue;
    const double scale = c.scale_kind == 0   ? std::fabs(want)
                         : c.scale_kind == 1 ? std::fabs(x) + std::fabs(y)
                                             : std::fabs(y);
    EXPECT_LE(std::fabs(got[i] - want), rtol * scale)
        << c.name << " " << what << " at " << i << ": " << x << ", " << y << " -> " << got[i]
        << " want " << want;
  }
}

const std::vector<std::pair<Shape, Shape>> kShapes = {
    {{}, {}},        {{7}, {7}},         {{3, 1}, {1, 4}}, {{2, 3, 4}, {4}},
    {{2, 3, 4}, {}}, {{4, 1, 3}, {2, 1}}, {{0, 3}, {1, 3}}, {{1}, {2, 0}}};

TEST(OpsBinary, FloatOpsShapesLayoutsDtypes) {
  std::mt19937 g(2001);
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    for (const auto& c : float_cases()) {
      for (const auto& [sa, sb] : kShapes) {
        check_binary(c, rand_input(g, sa, dt, c.a_domain), rand_input(g, sb, dt, c.b_domain), dt,
                     str(dt) + " " + shape_to_string(sa) + " x " + shape_to_string(sb));
      }
      for (Layout la : kLayouts) {
        for (Layout lb : {Layout::contiguous, Layout::transposed, Layout::scalar}) {
          check_binary(c, layout_input(g, {3, 4}, dt, la, c.a_domain),
                       layout_input(g, {3, 4}, dt, lb, c.b_domain), dt,
                       str(dt) + " layouts " + std::to_string(static_cast<int>(la)) + "/" +
                           std::to_string(static_cast<int>(lb)));
        }
      }
    }
  }
}

TEST(OpsBinary, FloatOpsPromote) {
  std::mt19937 g(2002);
  struct Mix {
    Dtype a, b, out_minmax, out_float;
  };
  // minimum/maximum/floor_divide/remainder/power keep the promoted dtype; arctan2 and
  // logaddexp are at least float32.
  for (auto [da, db, promoted, floating] :
       {Mix{int32, float16, float16, float16}, Mix{int8, uint8, int16, float32},
        Mix{bfloat16, float16, float32, float32}, Mix{int32, int32, int32, float32},
        Mix{float32, float64, float64, float64}, Mix{bool_, int8, int8, float32}}) {
    for (const auto& c : float_cases()) {
      const std::string name = c.name;
      const bool to_float = name == "arctan2" || name == "logaddexp";
      const Dtype out = to_float ? floating : promoted;
      Domain dom_a = c.a_domain, dom_b = c.b_domain;
      if (name == "power" && is_integral(promoted)) continue;  // wraps: see IntegerPower
      check_binary(c, layout_input(g, {3, 4}, da, Layout::transposed, dom_a),
                   layout_input(g, {4}, db, Layout::contiguous, dom_b), out,
                   str(da) + " x " + str(db));
    }
  }
}

// ---- integers: floor division, remainder, power, min/max ----

TEST(OpsBinary, IntegerFloorDivideAndRemainderFollowPython) {
  std::mt19937 g(2003);
  std::uniform_int_distribution<int> num(-60, 60), den(-7, 7);
  for (Dtype dt : {int8, int16, int32, int64, uint8, uint16, uint32, uint64}) {
    Vec av(40), bv(40);
    for (size_t i = 0; i < av.size(); ++i) {
      av[i] = is_unsigned(dt) ? std::abs(num(g)) : num(g);
      bv[i] = is_unsigned(dt) ? std::abs(den(g)) : den(g);  // zeros included on purpose
    }
    const array a = transpose(make(av, {5, 8}, dt)), b = transpose(make(bv, {5, 8}, dt));
    Ref q{{8, 5}, {}}, r{{8, 5}, {}};
    for (int i = 0; i < 8; ++i) {
      for (int j = 0; j < 5; ++j) {
        const long long x = static_cast<long long>(av[j * 8 + i]);
        const long long y = static_cast<long long>(bv[j * 8 + i]);
        // Python's // and %, with x // 0 = x % 0 = 0 (NumPy's values).
        long long qq = 0, rr = 0;
        if (y != 0) {
          qq = x / y - ((x % y != 0 && ((x < 0) != (y < 0))) ? 1 : 0);
          rr = x - y * qq;
        }
        q.v.push_back(static_cast<double>(qq));
        r.v.push_back(static_cast<double>(rr));
      }
    }
    EXPECT_EQ(floor_divide(a, b).dtype(), dt);
    EXPECT_EQ(remainder(a, b).dtype(), dt);
    expect_close(floor_divide(a, b), q, 0, "floor_divide " + str(dt));
    expect_close(remainder(a, b), r, 0, "remainder " + str(dt));
    expect_close(a % b, r, 0, "operator% " + str(dt));
  }
  // The overflow corner: MIN // -1 wraps to MIN, MIN % -1 is 0.
  expect_close(floor_divide(array({-128, 7, -7, 0, 5, -128}, int8),
                            array({-1, 0, 2, 3, -2, 0}, int8)),
               {{6}, {-128, 0, -4, 0, -3, 0}}, 0, "floor_divide int8 corners");
  expect_close(remainder(array({-128, 7, -7, 0, 5, -128}, int8), array({-1, 0, 2, 3, -2, 0}, int8)),
               {{6}, {0, 0, 1, 0, -1, 0}}, 0, "remainder int8 corners");
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(floor_divide(array(min64), array(int64_t{-1})).item<int64_t>(), min64);
  EXPECT_EQ(remainder(array(min64), array(int64_t{-1})).item<int64_t>(), 0);
  EXPECT_EQ(floor_divide(array(min64), array(int64_t{3})).item<int64_t>(),
            min64 / 3 - 1);  // -3074457345618258602.67 floors down
  // bool: x // True = x, x // False = 0, x % y = False.
  const array t = array({true, true, false, false}), u = array({true, false, true, false});
  EXPECT_EQ(floor_divide(t, u).dtype(), bool_);
  expect_close(floor_divide(t, u), {{4}, {1, 0, 0, 0}}, 0, "floor_divide bool");
  expect_close(remainder(t, u), {{4}, {0, 0, 0, 0}}, 0, "remainder bool");
}

TEST(OpsBinary, FloatFloorDivideAndRemainderEdges) {
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    const std::string d = str(dt);
    const array a = make({7, -7, 7, -7, 6, -6, 0.5, -0.5}, {8}, dt);
    const array b = make({2, 2, -2, -2, 3, 3, 1, 1}, {8}, dt);
    expect_close(floor_divide(a, b), {{8}, {3, -4, -4, 3, 2, -2, 0, -1}}, 0, "fd " + d);
    expect_close(remainder(a, b), {{8}, {1, 1, -1, -1, 0, 0, 0.5, 0.5}}, 0, "rem " + d);
    // A zero remainder has the divisor's sign; floor division of +-x by 0 is +-inf, 0/0 NaN.
    const Vec zr = to_vec(remainder(make({-4, 4, 0, -0.0}, {4}, dt), make({2, -2, -3, 5}, {4}, dt)));
    EXPECT_TRUE(zr[0] == 0 && !std::signbit(zr[0])) << d;
    EXPECT_TRUE(zr[1] == 0 && std::signbit(zr[1])) << d;
    EXPECT_TRUE(zr[2] == 0 && std::signbit(zr[2])) << d;
    EXPECT_TRUE(zr[3] == 0 && !std::signbit(zr[3])) << d;
    const array z = make({1, -1, 0}, {3}, dt), zero = make({0, 0, 0}, {3}, dt);
    expect_close(floor_divide(z, zero), {{3}, {INFINITY, -INFINITY, NAN}}, 0, "fd by 0 " + d);
    expect_close(remainder(z, zero), {{3}, {NAN, NAN, NAN}}, 0, "rem by 0 " + d);
    // Infinities and NaN, as Python: 5 // inf = 0, -5 // inf = -1, -5 % inf = inf.
    const array x = make({5, -5, INFINITY, NAN, 5}, {5}, dt);
    const array y = make({INFINITY, INFINITY, 2, 2, NAN}, {5}, dt);
    expect_close(floor_divide(x, y), {{5}, {0, -1, NAN, NAN, NAN}}, 0, "fd inf " + d);
    expect_close(remainder(x, y), {{5}, {5, INFINITY, NAN, NAN, NAN}}, 0, "rem inf " + d);
  }
  // A tiny negative value mod 1 rounds up to 1, as in Python (-1e-20 % 1.0 == 1.0).
  expect_close(remainder(array(-1e-20f), array(1.0f)), {{}, {1.0}}, 0, "rem tiny");
  // a == b * (a // b) + a % b on random float32 and float64.
  std::mt19937 g(2004);
  for (Dtype dt : {float32, float64}) {
    const Input a = rand_input(g, {64}, dt, {0.1, 50, true}), b = rand_input(g, {64}, dt);
    const Vec q = to_vec(floor_divide(a.arr, b.arr)), r = to_vec(remainder(a.arr, b.arr));
    for (size_t i = 0; i < q.size(); ++i) {
      EXPECT_EQ(q[i], std::floor(q[i]));
      EXPECT_NEAR(b.ref.v[i] * q[i] + r[i], a.ref.v[i],
                  1e-6 * (std::fabs(a.ref.v[i]) + std::fabs(b.ref.v[i])))
          << i;
      EXPECT_TRUE(r[i] == 0 || (r[i] < 0) == (b.ref.v[i] < 0)) << i;
      EXPECT_LE(std::fabs(r[i]), std::fabs(b.ref.v[i])) << i;
    }
  }
}

TEST(OpsBinary, IntegerPower) {
  std::mt19937 g(2005);
  std::uniform_int_distribution<int> base(-6, 6), expo(0, 12);
  for (Dtype dt : {int8, int16, int32, int64, uint8, uint16, uint32, uint64}) {
    Vec bv(30), ev(30);
    for (size_t i = 0; i < bv.size(); ++i) {
      bv[i] = is_unsigned(dt) ? std::abs(base(g)) : base(g);
      ev[i] = expo(g);
    }
    const array b = make(bv, {30}, dt), e = make(ev, {30}, dt);
    const array out = power(b, e);
    EXPECT_EQ(out.dtype(), dt);
    const auto got = to_bits(out);
    const int bits = 8 * static_cast<int>(size_of(dt));
    const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    for (size_t i = 0; i < bv.size(); ++i) {
      uint64_t want = 1;  // wrapping product, as two's complement does it
      for (int k = 0; k < static_cast<int>(ev[i]); ++k)
        want *= static_cast<uint64_t>(static_cast<int64_t>(bv[i]));
      EXPECT_EQ(got[i], want & mask) << str(dt) << " " << bv[i] << "^" << ev[i];
    }
  }
  expect_close(power(array({3, 2, -2}, int8), array({5, 7, 7}, int8)), {{3}, {-13, -128, -128}}, 0,
               "int8 overflow wraps");
  // Negative exponents: the truncated 1 / b^-e (0 unless |b| == 1; 0 ** -n gives 0 too).
  expect_close(power(array({2, -1, 1, -1, 0, 5, -1}, int32), array({-1, -3, -2, -2, -1, 0, 0}, int32)),
               {{7}, {0, -1, 1, 1, 0, 1, 1}}, 0, "int negative exponents");
  // bool ** bool is a or not b; int ** float promotes.
  expect_close(power(array({true, true, false, false}), array({true, false, true, false})),
               {{4}, {1, 1, 0, 1}}, 0, "bool power");
  const array p = power(array({2, 3}, int32), array(0.5f));
  EXPECT_EQ(p.dtype(), float32);
  expect_close(p, {{2}, {std::sqrt(2.0), std::sqrt(3.0)}}, 1e-6, "int ** float");
  // Float specials: x ** 0 = 1 (NaN too), 0 ** -1 = inf, a negative base needs an integer
  // exponent.
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    expect_close(power(make({NAN, 0, -8, -2, 4}, {5}, dt), make({0, -1, 1.0 / 3.0, 3, -0.5}, {5}, dt)),
                 {{5}, {1, INFINITY, NAN, -8, 0.5}}, 0, "power specials " + str(dt));
  }
}

TEST(OpsBinary, MinimumMaximumIntegersAndNaN) {
  std::mt19937 g(2006);
  for (Dtype dt : {int8, int32, int64, uint8, uint32, bool_}) {
    const Input a = layout_input(g, {3, 4}, dt, Layout::strided);
    const Input b = layout_input(g, {3, 4}, dt, Layout::transposed);
    Ref lo = a.ref, hi = a.ref;
    for (size_t i = 0; i < lo.v.size(); ++i) {
      lo.v[i] = std::min(a.ref.v[i], b.ref.v[i]);
      hi.v[i] = std::max(a.ref.v[i], b.ref.v[i]);
    }
    EXPECT_EQ(minimum(a.arr, b.arr).dtype(), dt);
    expect_close(minimum(a.arr, b.arr), lo, 0, "minimum " + str(dt));
    expect_close(maximum(a.arr, b.arr), hi, 0, "maximum " + str(dt));
  }
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    const array a = make({NAN, 1.0, 2.0, NAN, -INFINITY}, {5}, dt);
    const array b = make({0.5, NAN, 1.0, NAN, 3.0}, {5}, dt);
    expect_close(minimum(a, b), {{5}, {NAN, NAN, 1.0, NAN, -INFINITY}}, 0, "minimum NaN " + str(dt));
  }
  // complex: lexicographic, as NumPy.
  const auto m = to_cvec(minimum(array({complex64_t(1, 5), complex64_t(2, -1)}),
                                 array({complex64_t(1, 2), complex64_t(1, 9)})));
  EXPECT_EQ(m[0], std::complex<double>(1, 2));
  EXPECT_EQ(m[1], std::complex<double>(1, 9));
}

TEST(OpsBinary, ArcTan2AndLogAddExpSpecials) {
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    const double pi = M_PI;
    expect_close(arctan2(make({0.0, -0.0, 1, -1, 0}, {5}, dt), make({-1, -1, 0, 0, 2}, {5}, dt)),
                 {{5}, {pi, -pi, pi / 2, -pi / 2, 0}}, rtol_of(dt), "arctan2 axes " + str(dt));
    expect_close(
        logaddexp(make({-INFINITY, INFINITY, NAN, 1, -INFINITY}, {5}, dt),
                  make({-INFINITY, 1, 1, INFINITY, 2}, {5}, dt)),
        {{5}, {-INFINITY, INFINITY, NAN, INFINITY, 2}}, 0, "logaddexp specials " + str(dt));
  }
  // No overflow for large arguments; integers give float32.
  expect_close(logaddexp(array(1000.0f), array(1000.0f)), {{}, {1000 + std::log(2.0)}}, 1e-6,
               "logaddexp large");
  const array li = logaddexp(array({1, 2}, int32), array({3, 2}, int32));
  EXPECT_EQ(li.dtype(), float32);
  expect_close(li, {{2}, {std::log(std::exp(1.0) + std::exp(3.0)), 2 + std::log(2.0)}}, 1e-6,
               "logaddexp int");
}

// ---- comparisons ----

TEST(OpsBinary, ComparisonsGiveBool) {
  struct Cmp {
    const char* name;
    std::function<array(const array&, const array&)> op;
    std::function<array(const array&, const array&)> oper;
    std::function<bool(double, double)> ref;
  };
  const std::vector<Cmp> cmps = {
      {"equal", [](auto& a, auto& b) { return equal(a, b); }, [](auto& a, auto& b) { return a == b; },
       [](double x, double y) { return x == y; }},
      {"not_equal", [](auto& a, auto& b) { return not_equal(a, b); },
       [](auto& a, auto& b) { return a != b; }, [](double x, double y) { return x != y; }},
      {"less", [](auto& a, auto& b) { return less(a, b); }, [](auto& a, auto& b) { return a < b; },
       [](double x, double y) { return x < y; }},
      {"less_equal", [](auto& a, auto& b) { return less_equal(a, b); },
       [](auto& a, auto& b) { return a <= b; }, [](double x, double y) { return x <= y; }},
      {"greater", [](auto& a, auto& b) { return greater(a, b); },
       [](auto& a, auto& b) { return a > b; }, [](double x, double y) { return x > y; }},
      {"greater_equal", [](auto& a, auto& b) { return greater_equal(a, b); },
       [](auto& a, auto& b) { return a >= b; }, [](double x, double y) { return x >= y; }},
  };
  std::mt19937 g(2007);
  // Values from a small set so that ties are common.
  const Vec bools = {0, 1}, unsigned_pool = {1, 2, 3}, signed_pool = {-2, -1, 1, 2};
  auto small = [&](const Shape& s, Dtype dt, Layout layout) {
    Domain dom;
    dom.pool = dt == bool_ ? &bools : is_unsigned(dt) ? &unsigned_pool : &signed_pool;
    return layout_input(g, s, dt, layout, dom);
  };
  for (Dtype dt : {bool_, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16,
                   bfloat16, float32, float64}) {
    for (const auto& [sa, sb] : kShapes) {
      const Input a = small(sa, dt, Layout::contiguous), b = small(sb, dt, Layout::contiguous);
      const Shape shape = broadcast_shapes(sa, sb);
      const Ref ab = ref_broadcast(a.ref, shape), bb = ref_broadcast(b.ref, shape);
      for (const auto& c : cmps) {
        Ref want{shape, Vec(ab.v.size())};
        for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = c.ref(ab.v[i], bb.v[i]);
        const std::string what = std::string(c.name) + " " + str(dt) + " " + shape_to_string(sa) +
                                 " x " + shape_to_string(sb);
        const array out = c.op(a.arr, b.arr);
        EXPECT_EQ(out.dtype(), bool_) << what;
        expect_close(out, want, 0, what);
        expect_close(c.oper(a.arr, b.arr), want, 0, "operator " + what);
      }
    }
    // Non-contiguous views on both sides.
    const Input a = small({4, 3}, dt, Layout::transposed), b = small({4, 3}, dt, Layout::strided);
    for (const auto& c : cmps) {
      Ref want = a.ref;
      for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = c.ref(a.ref.v[i], b.ref.v[i]);
      expect_close(c.op(a.arr, b.arr), want, 0, std::string(c.name) + " views " + str(dt));
    }
  }
  // Mixed dtypes compare in the promoted dtype: 1.5 is not equal to int 1.
  expect_close(equal(array({1, 2}, int32), array({1.5f, 2.0f})), {{2}, {0, 1}}, 0, "int vs float");
  expect_close(less(array({200}, uint8), array({-1}, int8)), {{1}, {0}}, 0, "uint8 vs int8");
  // NaN: unordered, unequal to itself.
  for (Dtype dt : {float32, float64, float16, bfloat16}) {
    const array n = make({NAN, NAN, 1.0}, {3}, dt), m = make({NAN, 1.0, NAN}, {3}, dt);
    for (const auto& c : cmps) {
      const double ne = std::string(c.name) == "not_equal" ? 1 : 0;
      expect_close(c.op(n, m), {{3}, {ne, ne, ne}}, 0, std::string(c.name) + " NaN " + str(dt));
    }
    expect_close(equal(make({0.0}, {1}, dt), make({-0.0}, {1}, dt)), {{1}, {1}}, 0, "0 == -0");
  }
  // complex: equality on both parts, order lexicographic (real, then imaginary).
  const array p = array({complex64_t(1, 2), complex64_t(1, 2), complex64_t(1, 3), complex64_t(0, 9)});
  const array q = array({complex64_t(1, 2), complex64_t(1, 3), complex64_t(1, 2), complex64_t(1, -9)});
  expect_close(equal(p, q), {{4}, {1, 0, 0, 0}}, 0, "complex ==");
  expect_close(not_equal(p, q), {{4}, {0, 1, 1, 1}}, 0, "complex !=");
  expect_close(less(p, q), {{4}, {0, 1, 0, 1}}, 0, "complex <");
  expect_close(greater_equal(p, q), {{4}, {1, 0, 1, 0}}, 0, "complex >=");
  EXPECT_THROW(equal(zeros({2, 3}), zeros({3, 2})), ValueError);
}

// ---- logical and bitwise ----

TEST(OpsBinary, LogicalAndOr) {
  std::mt19937 g(2008);
  for (Dtype dt : {bool_, float32, int32, uint8, float16, complex64}) {
    Vec av(12), bv(12);
    for (size_t i = 0; i < av.size(); ++i) {
      av[i] = (g() % 3 == 0) ? 0 : (is_unsigned(dt) ? 1 : -1.5 + (dt == bool_ ? 2.5 : 0));
      bv[i] = (g() % 2 == 0) ? 0 : 2;
    }
    const array a = transpose(make(av, {4, 3}, dt)), b = make(bv, {3, 4}, dt);
    Ref land{{3, 4}, {}}, lor{{3, 4}, {}};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 4; ++j) {
        const bool x = av[j * 3 + i] != 0, y = bv[i * 4 + j] != 0;
        land.v.push_back(x && y);
        lor.v.push_back(x || y);
      }
    }
    EXPECT_EQ(logical_and(a, b).dtype(), bool_);
    expect_close(logical_and(a, b), land, 0, "logical_and " + str(dt));
    expect_close(logical_or(a, b), lor, 0, "logical_or " + str(dt));
    expect_close(a && b, land, 0, "&& " + str(dt));
    expect_close(a || b, lor, 0, "|| " + str(dt));
  }
  expect_close(logical_and(array({true, false}), array(true)), {{2}, {1, 0}}, 0, "and scalar");
  expect_close(array({0.0f, 2.0f}) || false, {{2}, {0, 1}}, 0, "|| scalar");
  expect_close(logical_or(make({NAN}, {1}, float32), array(false)), {{1}, {1}}, 0, "NaN is true");
}

TEST(OpsBinary, BitwiseOpsOnEveryIntegerDtype) {
  std::mt19937_64 g(2009);
  for (Dtype dt : {bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64}) {
    const int bits = dt == bool_ ? 1 : 8 * static_cast<int>(size_of(dt));
    const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    std::vector<int64_t> av(24), bv(24);
    for (size_t i = 0; i < av.size(); ++i) {
      av[i] = static_cast<int64_t>(g() & mask);
      bv[i] = static_cast<int64_t>(g() & mask);
    }
    // int64 -> dtype keeps the low bits; read back as bits for exact references.
    const array a = transpose(array(av.begin(), {4, 6}, dt)), b = array(bv.begin(), {6, 4}, dt);
    const auto ab = to_bits(a), bb = to_bits(b);
    std::vector<uint64_t> w_and, w_or, w_xor;
    for (size_t i = 0; i < ab.size(); ++i) {
      w_and.push_back(ab[i] & bb[i]);
      w_or.push_back(ab[i] | bb[i]);
      w_xor.push_back((ab[i] ^ bb[i]) & mask);
    }
    const std::string d = str(dt);
    EXPECT_EQ(bitwise_and(a, b).dtype(), dt);
    EXPECT_EQ(to_bits(bitwise_and(a, b)), w_and) << d;
    EXPECT_EQ(to_bits(bitwise_or(a, b)), w_or) << d;
    EXPECT_EQ(to_bits(bitwise_xor(a, b)), w_xor) << d;
    EXPECT_EQ(to_bits(a & b), w_and) << d;
    EXPECT_EQ(to_bits(a | b), w_or) << d;
    EXPECT_EQ(to_bits(a ^ b), w_xor) << d;
  }
  // Mixed integer dtypes promote; scalars broadcast.
  const array m = bitwise_or(array({0x0f}, uint8), array({-256}, int16));
  EXPECT_EQ(m.dtype(), int16);
  expect_close(m, {{1}, {-241}}, 0, "uint8 | int16");
  expect_close(array({6, 5}, int32) & 3, {{2}, {2, 1}}, 0, "& scalar");
  expect_close(12 ^ array({10}, int32), {{1}, {6}}, 0, "scalar ^");
  // Floats and complex are rejected when the op is built, naming the op.
  expect_throws_naming([] { bitwise_and(array(1.5f), array(1, int32)); }, "bitwise_and");
  expect_throws_naming([] { bitwise_or(zeros({2}, float16), zeros({2}, int8)); }, "bitwise_or");
  expect_throws_naming([] { bitwise_xor(zeros({2}, complex64), zeros({2}, int8)); }, "bitwise_xor");
  expect_throws_naming([] { left_shift(array(1.0f), array(1, int32)); }, "left_shift");
  expect_throws_naming([] { right_shift(array(1, int32), zeros({2}, bfloat16)); }, "right_shift");
  expect_throws_naming([] { (void)(array(1.0f) ^ array(2.0f)); }, "bitwise_xor");
}

TEST(OpsBinary, ShiftsIncludingPastTheBitWidth) {
  std::mt19937_64 g(2010);
  for (Dtype dt : {int8, int16, int32, int64, uint8, uint16, uint32, uint64}) {
    const int bits = 8 * static_cast<int>(size_of(dt));
    const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    const bool is_signed = !is_unsigned(dt);
    std::vector<int64_t> av(40), bv(40);
    for (size_t i = 0; i < av.size(); ++i) {
      av[i] = static_cast<int64_t>(g() & mask);
      const int lo = is_signed ? -3 : 0;
      bv[i] = lo + static_cast<int64_t>(g() % static_cast<uint64_t>(bits + 4 - lo));
    }
    const array a = array(av.begin(), {40}, dt), b = array(bv.begin(), {40}, dt);
    const auto ab = to_bits(a);
    std::vector<uint64_t> wl, wr;
    for (size_t i = 0; i < ab.size(); ++i) {
      const int64_t s = bv[i];
      // The value as a signed number of `bits` bits (sign-extended), for arithmetic shifts.
      const bool neg = is_signed && ((ab[i] >> (bits - 1)) & 1);
      const uint64_t ext = neg ? (ab[i] | ~mask) : ab[i];
      if (s < 0 || s >= bits) {
        wl.push_back(0);
        wr.push_back(neg ? mask : 0);
      } else {
        wl.push_back((ab[i] << s) & mask);
        wr.push_back(static_cast<uint64_t>(neg ? static_cast<int64_t>(ext) >> s
                                               : static_cast<int64_t>(ext >> s)) &
                     mask);
      }
    }
    const std::string d = str(dt);
    EXPECT_EQ(left_shift(a, b).dtype(), dt);
    EXPECT_EQ(to_bits(left_shift(a, b)), wl) << d;
    EXPECT_EQ(to_bits(right_shift(a, b)), wr) << d;
    EXPECT_EQ(to_bits(a << b), wl) << d;
    EXPECT_EQ(to_bits(a >> b), wr) << d;
  }
  expect_close(left_shift(array({1, 1, 1, -1}, int32), array({31, 32, 40, 4}, int32)),
               {{4}, {-2147483648.0, 0, 0, -16}}, 0, "int32 <<");
  expect_close(right_shift(array({-8, -8, 8, -1}, int32), array({1, 40, 40, 3}, int32)),
               {{4}, {-4, -1, 0, -1}}, 0, "int32 >>");
  expect_close(right_shift(array({-128}, int8), array({-1}, int8)), {{1}, {-1}}, 0, "negative shift");
  // bool shifts give uint8, as MLX.
  const array bs = left_shift(array({true, true}), array({true, false}));
  EXPECT_EQ(bs.dtype(), uint8);
  expect_close(bs, {{2}, {2, 1}}, 0, "bool <<");
  expect_close(1 << array({3, 4}, int32), {{2}, {8, 16}}, 0, "scalar <<");
  expect_close(array({256}, int32) >> 4, {{1}, {16}}, 0, ">> scalar");
}

// ---- where and clip ----

TEST(OpsBinary, WhereSelectsBroadcastsAndPromotes) {
  std::mt19937 g(2011);
  const std::vector<std::array<Shape, 3>> shapes = {
      {Shape{}, Shape{}, Shape{}},         {Shape{3, 4}, Shape{3, 4}, Shape{3, 4}},
      {Shape{3, 1}, Shape{1, 4}, Shape{}}, {Shape{4}, Shape{2, 3, 4}, Shape{3, 1}},
      {Shape{0, 4}, Shape{4}, Shape{}},    {Shape{}, Shape{2, 2}, Shape{2, 2}}};
  for (Dtype dt : {float32, float16, int32, bool_, float64, complex64}) {
    for (const auto& [sc, sx, sy] : shapes) {
      Input c = rand_input(g, sc, bool_);
      const Input x = rand_input(g, sx, dt), y = rand_input(g, sy, dt);
      const Shape shape = broadcast_shapes(broadcast_shapes(sc, sx), sy);
      const Ref cb = ref_broadcast(c.ref, shape), xb = ref_broadcast(x.ref, shape),
                yb = ref_broadcast(y.ref, shape);
      Ref want{shape, Vec(cb.v.size())};
      for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = cb.v[i] != 0 ? xb.v[i] : yb.v[i];
      const array out = where(c.arr, x.arr, y.arr);
      EXPECT_EQ(out.dtype(), dt);
      expect_close(out, want, 0, "where " + str(dt) + " " + shape_to_string(shape));
    }
    // Non-contiguous: every layout of the condition against views of x and y.
    for (Layout lc : kLayouts) {
      const Input c = layout_input(g, {3, 4}, bool_, lc);
      const Input x = layout_input(g, {3, 4}, dt, Layout::transposed);
      const Input y = layout_input(g, {3, 4}, dt, lc == Layout::scalar ? Layout::scalar : Layout::strided);
      Ref want = x.ref;
      for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = c.ref.v[i] != 0 ? x.ref.v[i] : y.ref.v[i];
      expect_close(where(c.arr, x.arr, y.arr), want, 0, "where views " + str(dt));
    }
  }
  // A non-bool condition means != 0; x and y promote; complex values keep both parts.
  const array w = where(array({0.0f, 2.0f, -0.5f}), array({1, 2, 3}, int32), array(0.5f));
  EXPECT_EQ(w.dtype(), float32);
  expect_close(w, {{3}, {0.5, 2, 3}}, 0, "where float condition");
  EXPECT_EQ(where(array(true), array(1, int8), array(2, uint8)).dtype(), int16);
  const auto wc = to_cvec(where(array({true, false}), array(complex64_t(1, 2)), array(complex64_t(3, -4))));
  EXPECT_EQ(wc[0], std::complex<double>(1, 2));
  EXPECT_EQ(wc[1], std::complex<double>(3, -4));
  // A single-owner x donates its buffer; the result is still right.
  std::mt19937 g2(5);
  const Input x = rand_input(g2, {64}, float32);
  Ref want = x.ref;
  for (size_t i = 0; i < want.v.size(); ++i) want.v[i] = i % 2 ? 2 * want.v[i] : -1;
  const array mask = astype(remainder(arange(64), array(2)), bool_);
  expect_close(where(mask, x.arr * 2.0f, array(-1.0f)), want, 1e-7, "where donated");
  EXPECT_THROW(where(ones({2}), ones({3}), ones({2})), ValueError);
}

TEST(OpsBinary, Clip) {
  std::mt19937 g(2012);
  for (Dtype dt : {float32, float64, float16, bfloat16, int32, int8, uint8}) {
    for (Layout layout : kLayouts) {
      const Input a = layout_input(g, {3, 4}, dt, layout, {0.1, 5, true});
      const array lo = make(is_unsigned(dt) ? Vec{2, 3, 0, 1} : Vec{-1, -2, 0.5, 1}, {4}, dt);
      const array hi = make({1, 3}, {2, 1}, dt);
      Ref both{{2, 3, 4}, {}}, only_lo{{3, 4}, {}}, only_hi{{3, 4}, {}};
      const Vec lov = to_vec(lo), hiv = to_vec(hi);
      for (int h = 0; h < 2; ++h) {
        for (size_t i = 0; i < a.ref.v.size(); ++i) {
          both.v.push_back(std::min(std::max(a.ref.v[i], lov[i % 4]), hiv[h]));
        }
      }
      for (size_t i = 0; i < a.ref.v.size(); ++i) {
        only_lo.v.push_back(std::max(a.ref.v[i], lov[i % 4]));
        only_hi.v.push_back(std::min(a.ref.v[i], 1.0));
      }
      const std::string what = str(dt) + " layout " + std::to_string(static_cast<int>(layout));
      const array out = clip(reshape(a.arr, {1, 3, 4}), lo, reshape(hi, {2, 1, 1}));
      EXPECT_EQ(out.dtype(), dt) << what;
      expect_close(out, both, 0, "clip both " + what);
      expect_close(clip(a.arr, lo, std::nullopt), only_lo, 0, "clip min " + what);
      expect_close(clip(a.arr, std::nullopt, array(1, dt)), only_hi, 0, "clip max " + what);
    }
  }
  // Bounds promote (int array, float bound -> float32); NaN propagates.
  const array c = clip(array({-5, 0, 5}, int32), array(-1.5f), array(2.5f));
  EXPECT_EQ(c.dtype(), float32);
  expect_close(c, {{3}, {-1.5, 0, 2.5}}, 0, "clip promotes");
  expect_close(clip(make({NAN, 3}, {2}, float32), array(0.0f), array(1.0f)), {{2}, {NAN, 1}}, 0,
               "clip NaN");
  EXPECT_THROW(clip(ones({2})), ValueError);
}

// ---- closeness and equality of whole arrays ----

TEST(OpsBinary, IsCloseAllCloseArrayEqual) {
  std::mt19937 g(2013);
  for (Dtype dt : {float32, float64}) {
    for (Layout layout : {Layout::contiguous, Layout::transposed, Layout::strided}) {
      const Input a = layout_input(g, {4, 5}, dt, layout, {0.5, 100, true});
      // b = a * (1 + f) with f either well inside (1e-7) or well outside (1e-3) rtol = 1e-5.
      Vec bv(a.ref.v.size());
      Ref want{{4, 5}, {}};
      for (size_t i = 0; i < bv.size(); ++i) {
        const bool close = g() & 1;
        bv[i] = a.ref.v[i] * (1 + (close ? 1e-7 : -1e-3));
        want.v.push_back(close);
      }
      const array b = make(bv, {4, 5}, dt);
      const array out = isclose(a.arr, b);
      EXPECT_EQ(out.dtype(), bool_);
      expect_close(out, want, 0, "isclose " + str(dt));
      // A looser rtol makes everything close; atol alone decides near zero.
      expect_close(isclose(a.arr, b, 1e-2), {{4, 5}, Vec(20, 1)}, 0, "isclose rtol");
      EXPECT_FALSE(allclose(a.arr, b).item<bool>());
      EXPECT_TRUE(allclose(a.arr, b, 1e-2).item<bool>());
    }
  }
  const array z = make({0, 1e-9, 1e-7}, {3}, float32);
  expect_close(isclose(z, array(0.0f)), {{3}, {1, 1, 0}}, 0, "isclose atol");
  expect_close(isclose(z, array(0.0f), 1e-5, 1e-6), {{3}, {1, 1, 1}}, 0, "isclose custom atol");
  // Infinities are close to themselves only; NaN only with equal_nan.
  for (Dtype dt : {float32, float16, bfloat16, float64}) {
    const array a = make({INFINITY, INFINITY, -INFINITY, NAN, NAN, 1.0}, {6}, dt);
    const array b = make({INFINITY, -INFINITY, -INFINITY, NAN, 1.0, INFINITY}, {6}, dt);
    expect_close(isclose(a, b), {{6}, {1, 0, 1, 0, 0, 0}}, 0, "isclose inf " + str(dt));
    expect_close(isclose(a, b, 1e-5, 1e-8, true), {{6}, {1, 0, 1, 1, 0, 0}}, 0,
                 "isclose equal_nan " + str(dt));
  }
  // Integers compare as floats (no wrap-around in a - b); the result broadcasts.
  expect_close(isclose(array({3, 5}, uint8), array({5, 5}, uint8)), {{2}, {0, 1}}, 0, "isclose uint8");
  EXPECT_EQ(isclose(ones({2, 1}), ones({3})).shape(), Shape({2, 3}));
  EXPECT_TRUE(allclose(zeros({0, 3}), ones({3})).item<bool>());
  EXPECT_EQ(allclose(ones({2}), ones({2})).shape(), Shape{});
  EXPECT_THROW(isclose(array(complex64_t(1, 0)), array(1.0f)), TypeError);

  // array_equal: shape first, then values in the promoted dtype.
  const array x = array({1, 2, 3}, int32);
  EXPECT_TRUE(array_equal(x, array({1.0f, 2.0f, 3.0f})).item<bool>());
  EXPECT_FALSE(array_equal(x, array({1, 2, 4}, int32)).item<bool>());
  EXPECT_FALSE(array_equal(x, reshape(x, {3, 1})).item<bool>());
  EXPECT_FALSE(array_equal(x, array({1, 2}, int32)).item<bool>());
  EXPECT_TRUE(array_equal(transpose(reshape(x, {1, 3})), reshape(x, {3, 1})).item<bool>());
  EXPECT_EQ(array_equal(x, x).dtype(), bool_);
  EXPECT_EQ(array_equal(x, x).shape(), Shape{});
  EXPECT_TRUE(array_equal(zeros({0}), zeros({0}, int32)).item<bool>());
  const array n = make({1, NAN}, {2}, float32);
  EXPECT_FALSE(array_equal(n, n).item<bool>());
  EXPECT_TRUE(array_equal(n, n, true).item<bool>());
  EXPECT_FALSE(array_equal(n, make({1, 2}, {2}, float32), true).item<bool>());
  EXPECT_TRUE(array_equal(x, x, true).item<bool>());  // equal_nan on integers is ignored
  const array cn = array({complex64_t(NAN, 1)});
  EXPECT_TRUE(array_equal(cn, cn, true).item<bool>());
  EXPECT_FALSE(array_equal(cn, cn).item<bool>());
}

// ---- operators, dtypes and errors ----

TEST(OpsBinary, OperatorsWithScalars) {
  const array x = array({1, 2, 3, 4}, int32);
  expect_close(x == 2, {{4}, {0, 1, 0, 0}}, 0, "== scalar");
  expect_close(2 != x, {{4}, {1, 0, 1, 1}}, 0, "scalar !=");
  expect_close(x < 3, {{4}, {1, 1, 0, 0}}, 0, "< scalar");
  expect_close(3 <= x, {{4}, {0, 0, 1, 1}}, 0, "scalar <=");
  expect_close(x > 2.5f, {{4}, {0, 0, 1, 1}}, 0, "> float scalar");
  expect_close(2 >= x, {{4}, {1, 1, 0, 0}}, 0, "scalar >=");
  EXPECT_EQ((x == 2).dtype(), bool_);
  expect_close(x % 3, {{4}, {1, 2, 0, 1}}, 0, "% scalar");
  expect_close(-7 % x, {{4}, {0, 1, 2, 1}}, 0, "scalar %");
  EXPECT_EQ((x % 2.0f).dtype(), float32);
  expect_close(x | 8, {{4}, {9, 10, 11, 12}}, 0, "| scalar");
  expect_close(x && true, {{4}, {1, 1, 1, 1}}, 0, "&& scalar");
  expect_close(false || (x > 3), {{4}, {0, 0, 0, 1}}, 0, "scalar ||");
  expect_close(x >> 1, {{4}, {0, 1, 1, 2}}, 0, ">> scalar");
  // C++ scalars are typed as in MLX: an int scalar makes int8 data int32.
  EXPECT_EQ((array({1, 2}, int8) & 1).dtype(), int32);
  EXPECT_EQ((array({1, 2}, int8) < 1).dtype(), bool_);
}

TEST(OpsBinary, ComplexRejectedWhereUndefined) {
  const array c = array({complex64_t(1, 2)}), r = array({1.0f});
  expect_throws_naming([&] { floor_divide(c, r); }, "floor_divide");
  expect_throws_naming([&] { remainder(r, c); }, "remainder");
  expect_throws_naming([&] { arctan2(c, r); }, "arctan2");
  expect_throws_naming([&] { logaddexp(c, c); }, "logaddexp");
  // Shape errors name the op too.
  try {
    power(ones({2, 3}), ones({4}));
    ADD_FAILURE() << "power accepted shapes (2,3) and (4)";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[power]"), std::string::npos) << e.what();
  }
  // complex power and comparisons work.
  const auto p = to_cvec(power(array({complex64_t(0, 1)}), array({complex64_t(2, 0)})));
  EXPECT_NEAR(p[0].real(), -1, 1e-6);
  EXPECT_NEAR(p[0].imag(), 0, 1e-6);
}

}  // namespace
