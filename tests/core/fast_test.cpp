// The fused rms_norm (also rms_norm_float32, rms_norm_gated and rms_norm_rope), layer_norm,
// rope, gated delta rule and causal conv primitives (fast/primitives.h) on the CPU against
// their reference compositions (fast/reference.h), the float32 and gated norms against the
// formula in float64 too: random inputs in float32, float16 and bfloat16, with and without
// weight and bias, rows that are not a multiple of 4, strided inputs, every rope variant,
// rope at an array offset (also against the formula in float64), the delta rule and conv at
// decode (T = 1) and prefill shapes with grouped heads and views laid out as Gated DeltaNet
// passes them; the argument errors; and the fallbacks where no kernel applies.
#include "ember/fast/fast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ember/ember.h"
#include "ember/fast/delta_chunked.h"
#include "ember/fast/primitives.h"
#include "ember/fast/reference.h"

namespace ember {
namespace {

array random_array(const Shape& shape, Dtype dtype, unsigned seed, float low = -2.0f,
                   float high = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(shape_size(shape));
  for (auto& v : values) v = dist(rng);
  return array(values.begin(), shape, dtype);
}

std::vector<double> values(const array& a) {
  array f = astype(contiguous(a), float32);
  f.eval();
  const float* p = f.data<float>();
  return std::vector<double>(p, p + f.size());
}

struct Tolerance {
  double rtol;
  double atol;
};

// Float32 differs from the reference by summation order only; a 16-bit result by at most a
// rounding flip or two, and on almost no elements.
Tolerance tolerance_for(Dtype dtype) {
  if (dtype == float16) return {2e-3, 2e-3};
  if (dtype == bfloat16) return {1.6e-2, 1.6e-2};
  return {2e-5, 2e-6};
}

void expect_matches(const array& got, const array& want, const std::string& what,
                    std::optional<Tolerance> tolerance = std::nullopt) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  const auto g = values(got), w = values(want);
  const Tolerance tol = tolerance.value_or(tolerance_for(got.dtype()));
  size_t exact = 0;
  int reported = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    exact += g[i] == w[i];
    if (std::abs(g[i] - w[i]) > tol.atol + tol.rtol * std::abs(w[i]) && reported++ < 5) {
      ADD_FAILURE() << what << ": element " << i << " got " << g[i] << " want " << w[i];
    }
  }
  if (got.dtype() != float32 && !g.empty()) {
    EXPECT_GE(static_cast<double>(exact) / g.size(), 0.98) << what << ": too few exact";
  }
}

void expect_fused(const array& y, const char* name) {
  ASSERT_TRUE(y.has_primitive());
  EXPECT_STREQ(y.primitive().name(), name);
}

// Views are read in place: the fused node's inputs are the operands, not copies of them.
void expect_no_copied_inputs(const array& y) {
  for (const array& input : y.inputs()) {
    if (input.has_primitive()) {
      EXPECT_STRNE(input.primitive().name(), "Copy");
    }
  }
}

template <class Error, class F>
void expect_error(F&& f, const std::string& op) {
  try {
    f();
    ADD_FAILURE() << "no error from " << op;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(op), std::string::npos) << e.what();
  }
}

const std::vector<Dtype> kDtypes = {float32, float16, bfloat16};

// Contiguous shapes, rows of 130 and 7 (not multiples of 4), a row longer than 1024.
const std::vector<Shape> kNormShapes = {{4, 64}, {3, 5, 130}, {2, 4096}, {7}, {2, 3, 7}};

// Strided inputs: a transpose, a column slice and a step along the rows.
std::vector<std::pair<std::string, array>> strided_inputs(Dtype dtype, unsigned seed) {
  array base = random_array({24, 40}, dtype, seed);
  return {{"transposed", transpose(base)},
          {"sliced", slice(base, {2, 3}, {20, 38})},
          {"stepped", slice(base, {0, 0}, {24, 40}, {3, 1})}};
}

TEST(FastRmsNorm, MatchesReference) {
  unsigned seed = 1;
  for (Dtype dtype : kDtypes) {
    for (const Shape& shape : kNormShapes) {
      const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(shape);
      array x = random_array(shape, dtype, ++seed);
      array w = random_array({shape.back()}, dtype, ++seed, 0.5f, 2.0f);
      array y = fast::rms_norm(x, std::nullopt, 1e-5f);
      expect_fused(y, "RMSNorm");
      expect_matches(y, fast::reference::rms_norm(x, std::nullopt, 1e-5f), what);
      array yw = fast::rms_norm(x, w, 1e-6f);
      expect_fused(yw, "RMSNorm");
      expect_matches(yw, fast::reference::rms_norm(x, w, 1e-6f), what + " weight");
    }
  }
}

TEST(FastRmsNorm, PromotesWithTheWeight) {
  // 16-bit x with a float32 weight gives float32; float32 x with a bfloat16 weight too.
  for (auto [x_dtype, w_dtype] : std::vector<std::pair<Dtype, Dtype>>{
           {float16, float32}, {bfloat16, float32}, {float32, bfloat16}, {float16, bfloat16}}) {
    array x = random_array({3, 70}, x_dtype, 11);
    array w = random_array({70}, w_dtype, 12);
    array y = fast::rms_norm(x, w, 1e-5f);
    expect_fused(y, "RMSNorm");
    EXPECT_EQ(y.dtype(), promote_types(x_dtype, w_dtype));
    expect_matches(
        y, fast::reference::rms_norm(x, w, 1e-5f),
        std::string(dtype_name(x_dtype)) + " x, " + std::string(dtype_name(w_dtype)) + " weight");
  }
}

TEST(FastRmsNorm, StridedInputs) {
  for (Dtype dtype : kDtypes) {
    for (const auto& [what, x] : strided_inputs(dtype, 20)) {
      array w = random_array({x.shape(-1)}, dtype, 21);
      expect_matches(fast::rms_norm(x, w, 1e-5f), fast::reference::rms_norm(x, w, 1e-5f),
                     what + " " + std::string(dtype_name(dtype)));
      array w_strided =
          slice(random_array({2 * x.shape(-1)}, dtype, 22), {0}, {2 * x.shape(-1)}, {2});
      expect_matches(fast::rms_norm(x, w_strided, 1e-5f),
                     fast::reference::rms_norm(x, w_strided, 1e-5f), what + " strided weight");
    }
  }
}

TEST(FastRmsNorm, FallsBackWithoutAKernel) {
  array x = random_array({3, 9}, float64, 30);
  array y = fast::rms_norm(x, std::nullopt, 1e-5f);
  expect_matches(astype(y, float32),
                 astype(fast::reference::rms_norm(x, std::nullopt, 1e-5f), float32), "float64");
  array xi = astype(random_array({3, 9}, float32, 31, 1.0f, 9.0f), int32);
  array w = random_array({9}, float32, 32);
  expect_matches(fast::rms_norm(xi, w, 1e-5f), fast::reference::rms_norm(xi, w, 1e-5f),
                 "int32 x, float32 weight");
}

TEST(FastRmsNorm, Errors) {
  expect_error<ValueError>([] { fast::rms_norm(array(1.0f), std::nullopt, 1e-5f); }, "[rms_norm]");
  expect_error<ValueError>(
      [] {
        fast::rms_norm(random_array({2, 8}, float32, 1), random_array({7}, float32, 2), 1e-5f);
      },
      "[rms_norm]");
  expect_error<ValueError>(
      [] {
        fast::rms_norm(random_array({2, 8}, float32, 1), random_array({1, 8}, float32, 2), 1e-5f);
      },
      "[rms_norm]");
  expect_error<TypeError>(
      [] {
        fast::rms_norm(astype(random_array({2, 8}, float32, 1), int32), std::nullopt, 1e-5f);
      },
      "[rms_norm]");
}

// rms_norm_float32 against its composition, and against the formula in float64 (the
// composition itself could be wrong the same way): x * rsqrt(mean(x^2) + eps) * w rounded
// once to the output dtype.
TEST(FastRmsNormFloat32, MatchesReferenceAndFormula) {
  unsigned seed = 40;
  for (Dtype dtype : kDtypes) {
    for (const Shape& shape : kNormShapes) {
      for (Dtype out_dtype : {dtype, float32}) {
        const std::string what = std::string(dtype_name(dtype)) + " to " +
                                 std::string(dtype_name(out_dtype)) + " " + shape_to_string(shape);
        array x = random_array(shape, dtype, ++seed);
        array w = random_array({shape.back()}, float32, ++seed, 0.5f, 2.0f);
        array y = fast::rms_norm_float32(x, w, 1e-6f, out_dtype);
        expect_fused(y, "RMSNorm");
        EXPECT_EQ(y.dtype(), out_dtype) << what;
        expect_matches(y, fast::reference::rms_norm_float32(x, w, 1e-6f, out_dtype), what);
        array unweighted = fast::rms_norm_float32(x, std::nullopt, 1e-6f, out_dtype);
        expect_matches(unweighted,
                       fast::reference::rms_norm_float32(x, std::nullopt, 1e-6f, out_dtype),
                       what + " no weight");

        const auto xs = values(x), ws = values(w), got = values(y);
        const int64_t length = shape.back();
        std::vector<double> want(xs.size());
        for (size_t row = 0; row < xs.size() / length; ++row) {
          double squares = 0;
          for (int64_t i = 0; i < length; ++i)
            squares += xs[row * length + i] * xs[row * length + i];
          const double scale = 1.0 / std::sqrt(squares / length + 1e-6);
          for (int64_t i = 0; i < length; ++i) {
            want[row * length + i] = xs[row * length + i] * scale * ws[i];
          }
        }
        expect_matches(y, astype(array(want.begin(), Shape(shape), float64), out_dtype),
                       what + " vs float64");
      }
    }
  }
}

TEST(FastRmsNormFloat32, StridedAndOtherDtypes) {
  for (const auto& [what, x] : strided_inputs(bfloat16, 45)) {
    array w = random_array({x.shape(-1)}, bfloat16, 46);  // cast to float32 exactly
    expect_matches(fast::rms_norm_float32(x, w, 1e-5f, bfloat16),
                   fast::reference::rms_norm_float32(x, w, 1e-5f, bfloat16), what);
  }
  // float16 out of bfloat16 has no kernel: the composition.
  array x = random_array({3, 40}, bfloat16, 47);
  array w = random_array({40}, float32, 48);
  array y = fast::rms_norm_float32(x, w, 1e-5f, float16);
  EXPECT_EQ(y.dtype(), float16);
  expect_matches(y, fast::reference::rms_norm_float32(x, w, 1e-5f, float16), "bfloat16 to float16");
}

// rms_norm_gated with the gate laid out as Gated DeltaNet's: per-head rows of a column slice
// of a wider projection (strided rows, contiguous features), and contiguous.
TEST(FastRmsNormGated, MatchesReference) {
  unsigned seed = 50;
  for (Dtype dtype : kDtypes) {
    for (const Shape& shape : kNormShapes) {
      const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(shape);
      const int64_t length = shape.back();
      array x = random_array(shape, dtype, ++seed);
      array w = random_array({shape.back()}, dtype, ++seed, 0.5f, 2.0f);
      array gate = random_array(shape, dtype, ++seed, -4.0f, 4.0f);
      array y = fast::rms_norm_gated(x, gate, w, 1e-6f);
      expect_fused(y, "RMSNorm");
      expect_matches(y, fast::reference::rms_norm_gated(x, gate, w, 1e-6f), what);
      expect_matches(fast::rms_norm_gated(x, gate, std::nullopt, 1e-6f),
                     fast::reference::rms_norm_gated(x, gate, std::nullopt, 1e-6f),
                     what + " no weight");
      // [rows, 3 D] projection; the gate is its middle third viewed as x's shape.
      const int rows = static_cast<int>(shape_size(shape) / length);
      array wide = random_array({rows, 3 * static_cast<int>(length)}, dtype, ++seed, -4.0f, 4.0f);
      array column =
          reshape(slice(wide, {0, static_cast<int>(length)}, {rows, 2 * static_cast<int>(length)}),
                  Shape(shape));
      array strided = fast::rms_norm_gated(x, column, w, 1e-6f);
      expect_fused(strided, "RMSNorm");
      expect_matches(strided, fast::reference::rms_norm_gated(x, column, w, 1e-6f),
                     what + " strided gate");
    }
  }
}

TEST(FastRmsNormGated, AgainstTheFormulaAndMixedDtypes) {
  // float32: silu(g) * x * rsqrt(mean(x^2) + eps) * w in float64.
  array x = random_array({5, 96}, float32, 60);
  array w = random_array({96}, float32, 61, 0.5f, 2.0f);
  array gate = random_array({5, 96}, float32, 62, -6.0f, 6.0f);
  const auto xs = values(x), ws = values(w), gs = values(gate);
  std::vector<double> want(xs.size());
  for (int row = 0; row < 5; ++row) {
    double squares = 0;
    for (int i = 0; i < 96; ++i) squares += xs[row * 96 + i] * xs[row * 96 + i];
    const double scale = 1.0 / std::sqrt(squares / 96 + 1e-6);
    for (int i = 0; i < 96; ++i) {
      const double g = gs[row * 96 + i];
      want[row * 96 + i] = g / (1.0 + std::exp(-g)) * xs[row * 96 + i] * scale * ws[i];
    }
  }
  expect_matches(fast::rms_norm_gated(x, gate, w, 1e-6f),
                 astype(array(want.begin(), {5, 96}, float64), float32), "float32 vs float64");
  // A gate of another dtype than x's is composed, and rounds as the composition does.
  array xb = astype(x, bfloat16);
  array y = fast::rms_norm_gated(xb, gate, astype(w, bfloat16), 1e-6f);
  EXPECT_EQ(y.dtype(), bfloat16);
  expect_matches(y, fast::reference::rms_norm_gated(xb, gate, astype(w, bfloat16), 1e-6f),
                 "bfloat16 x, float32 gate");
}

TEST(FastRmsNormGated, Errors) {
  expect_error<ValueError>(
      [] {
        fast::rms_norm_gated(random_array({2, 8}, float32, 1), random_array({2, 7}, float32, 2),
                             std::nullopt, 1e-5f);
      },
      "[rms_norm_gated]");
  expect_error<TypeError>(
      [] {
        fast::rms_norm_gated(random_array({2, 8}, float32, 1),
                             astype(random_array({2, 8}, float32, 2), int32), std::nullopt, 1e-5f);
      },
      "[rms_norm_gated]");
  expect_error<ValueError>(
      [] {
        fast::rms_norm_gated(random_array({2, 8}, float32, 1), random_array({2, 8}, float32, 2),
                             random_array({7}, float32, 3), 1e-5f);
      },
      "[rms_norm]");
  expect_error<ValueError>(
      [] {
        fast::rms_norm_float32(random_array({2, 8}, float32, 1), random_array({7}, float32, 2),
                               1e-5f, float32);
      },
      "[rms_norm_float32]");
  expect_error<TypeError>(
      [] {
        fast::rms_norm_float32(random_array({2, 8}, float32, 1), std::nullopt, 1e-5f, int32);
      },
      "[rms_norm_float32]");
}

TEST(FastLayerNorm, MatchesReference) {
  unsigned seed = 100;
  for (Dtype dtype : kDtypes) {
    for (const Shape& shape : kNormShapes) {
      array x = random_array(shape, dtype, ++seed, -1.0f, 3.0f);  // a mean away from 0
      array w = random_array({shape.back()}, dtype, ++seed, 0.5f, 2.0f);
      array b = random_array({shape.back()}, dtype, ++seed);
      for (int mode = 0; mode < 4; ++mode) {
        const std::optional<array> weight = mode & 1 ? std::optional<array>(w) : std::nullopt;
        const std::optional<array> bias = mode & 2 ? std::optional<array>(b) : std::nullopt;
        const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(shape) +
                                 (weight ? " weight" : "") + (bias ? " bias" : "");
        array y = fast::layer_norm(x, weight, bias, 1e-5f);
        expect_fused(y, "LayerNorm");
        expect_matches(y, fast::reference::layer_norm(x, weight, bias, 1e-5f), what);
      }
    }
  }
}

TEST(FastLayerNorm, StridedInputsAndOtherWeightDtypes) {
  for (Dtype dtype : kDtypes) {
    for (const auto& [what, x] : strided_inputs(dtype, 40)) {
      array w = random_array({x.shape(-1)}, float32, 41);
      array b = random_array({x.shape(-1)}, float32, 42);
      array y = fast::layer_norm(x, w, b, 1e-5f);
      EXPECT_EQ(y.dtype(), dtype);
      expect_matches(y, fast::reference::layer_norm(x, w, b, 1e-5f),
                     what + " " + std::string(dtype_name(dtype)));
    }
  }
}

TEST(FastLayerNorm, BroadcastWeightsUseTheReference) {
  array x = random_array({3, 12}, float32, 50);
  array w = random_array({3, 1}, float32, 51);
  array b = array(0.5f);
  array y = fast::layer_norm(x, w, b, 1e-5f);
  expect_matches(y, fast::reference::layer_norm(x, w, b, 1e-5f), "broadcast weight and bias");
}

TEST(FastLayerNorm, Errors) {
  expect_error<ValueError>([] { fast::layer_norm(array(1.0f), std::nullopt, std::nullopt, 1e-5f); },
                           "[layer_norm]");
  expect_error<TypeError>(
      [] {
        fast::layer_norm(astype(random_array({2, 8}, float32, 1), int32), std::nullopt,
                         std::nullopt, 1e-5f);
      },
      "[layer_norm]");
}

struct RopeCase {
  Shape shape;
  int dims;
  bool traditional;
  float base;  // <= 0: use freqs
  float scale;
  int offset;
};

std::string describe(const RopeCase& c, Dtype dtype) {
  return std::string(dtype_name(dtype)) + " " + shape_to_string(c.shape) +
         " dims=" + std::to_string(c.dims) + (c.traditional ? " traditional" : "") +
         (c.base > 0 ? " base=" + std::to_string(c.base) : " freqs") +
         " scale=" + std::to_string(c.scale) + " offset=" + std::to_string(c.offset);
}

// dims / 2 periods like those of scaled rope variants: base^(2i/dims), stretched past i = 8.
array periods(int dims) {
  std::vector<float> p(dims / 2);
  for (int i = 0; i < dims / 2; ++i) {
    p[i] = std::pow(10000.0f, 2.0f * i / dims) * (i > 8 ? 4.0f : 1.0f);
  }
  return array(p.begin(), {dims / 2}, float32);
}

// A case's frequencies: its base, or (base 0) the periods above.
std::pair<std::optional<float>, std::optional<array>> base_or_periods(const RopeCase& c) {
  if (c.base > 0) return {c.base, std::nullopt};
  return {std::nullopt, periods(c.dims)};
}

void expect_rope_matches(const array& x, const RopeCase& c, const std::string& what) {
  const auto [base, freqs] = base_or_periods(c);
  array y = fast::rope(x, c.dims, c.traditional, base, c.scale, c.offset, freqs);
  expect_fused(y, "RoPE");
  expect_matches(y, fast::reference::rope(x, c.dims, c.traditional, base, c.scale, c.offset, freqs),
                 what);
}

TEST(FastRope, MatchesReference) {
  const std::vector<RopeCase> cases = {
      {{2, 3, 7, 64}, 64, false, 10000.0f, 1.0f, 0},
      {{2, 3, 7, 64}, 64, true, 10000.0f, 1.0f, 0},
      {{1, 4, 5, 128}, 64, false, 1000000.0f, 1.0f, 9},  // partial rotary
      {{1, 4, 5, 128}, 32, true, 10000.0f, 1.0f, 3},
      {{2, 9, 70}, 64, false, 10000.0f, 0.25f, 17},  // odd tail, scale != 1
      {{2, 9, 70}, 48, true, 500000.0f, 2.0f, 1},
      {{6, 32}, 32, false, -1.0f, 1.0f, 4},  // freqs
      {{2, 2, 3, 96}, 80, true, -1.0f, 0.5f, 100},
      {{1, 16, 1, 128}, 128, false, 10000.0f, 1.0f, 2047},  // decode
      {{1, 16, 1, 128}, 128, false, -1.0f, 1.0f, 2047},
  };
  unsigned seed = 200;
  for (Dtype dtype : kDtypes) {
    for (const auto& c : cases) {
      expect_rope_matches(random_array(c.shape, dtype, ++seed), c, describe(c, dtype));
    }
  }
}

TEST(FastRope, StridedInputs) {
  // Attention's layout: [B, L, H, D] viewed as [B, H, L, D]; and a slice of the features.
  for (Dtype dtype : kDtypes) {
    array bl = transpose(random_array({2, 6, 4, 64}, dtype, 300), {0, 2, 1, 3});
    expect_rope_matches(bl, {bl.shape(), 64, false, 10000.0f, 1.0f, 5},
                        "transposed " + std::string(dtype_name(dtype)));
    expect_rope_matches(bl, {bl.shape(), 32, true, -1.0f, 1.0f, 5},
                        "transposed traditional " + std::string(dtype_name(dtype)));
    array sliced = slice(random_array({3, 5, 80}, dtype, 301), {0, 0, 8}, {3, 5, 72});
    expect_rope_matches(sliced, {sliced.shape(), 64, false, 10000.0f, 1.0f, 0},
                        "sliced " + std::string(dtype_name(dtype)));
  }
}

TEST(FastRope, FallsBackForOtherDtypes) {
  array x = astype(random_array({2, 4, 8}, float32, 400, 1.0f, 9.0f), int32);
  array y = fast::rope(x, 8, false, 10000.0f, 1.0f, 0);
  EXPECT_EQ(y.dtype(), int32);
  expect_matches(y, fast::reference::rope(x, 8, false, 10000.0f, 1.0f, 0), "int32");
}

TEST(FastRope, Errors) {
  array x = random_array({2, 4, 8}, float32, 1);
  expect_error<ValueError>(
      [&] { fast::rope(random_array({8}, float32, 1), 8, false, 1e4f, 1.0f, 0); }, "[rope]");
  expect_error<ValueError>([&] { fast::rope(x, 7, false, 1e4f, 1.0f, 0); }, "[rope]");
  expect_error<ValueError>([&] { fast::rope(x, 0, false, 1e4f, 1.0f, 0); }, "[rope]");
  expect_error<ValueError>([&] { fast::rope(x, 10, false, 1e4f, 1.0f, 0); }, "[rope]");
  expect_error<ValueError>([&] { fast::rope(x, 8, false, 1e4f, 1.0f, 0, periods(8)); }, "[rope]");
  expect_error<ValueError>([&] { fast::rope(x, 8, false, std::nullopt, 1.0f, 0); }, "[rope]");
  expect_error<ValueError>([&] { fast::rope(x, 8, false, std::nullopt, 1.0f, 0, periods(6)); },
                           "[rope]");
}

// Array offsets (rope's second overload): the same node at the array's value, read when it
// runs. Bit for bit the int-offset kernel's result, and within rounding of the formula in
// float64.

// rope of x in float64 from x's values, the periods as fast::rope takes them, and
// positions offset + l.
std::vector<double> rope_formula(const array& x, const RopeCase& c, int offset,
                                 const std::optional<array>& freqs) {
  const auto in = values(x);
  const int features = x.shape(-1), length = x.shape(-2), half = c.dims / 2;
  std::vector<double> inv_freq(half);
  const auto periods_values = freqs ? values(*freqs) : std::vector<double>();
  for (int i = 0; i < half; ++i) {
    inv_freq[i] = freqs ? 1.0 / periods_values[i] : std::pow(double{c.base}, -2.0 * i / c.dims);
  }
  std::vector<double> out(in);
  for (size_t row = 0; row < in.size() / features; ++row) {
    const double position = static_cast<double>(offset + static_cast<int>(row % length)) * c.scale;
    const double* src = in.data() + row * features;
    double* dst = out.data() + row * features;
    for (int i = 0; i < half; ++i) {
      const int j1 = c.traditional ? 2 * i : i, j2 = c.traditional ? 2 * i + 1 : i + half;
      const double theta = position * inv_freq[i];
      dst[j1] = src[j1] * std::cos(theta) - src[j2] * std::sin(theta);
      dst[j2] = src[j2] * std::cos(theta) + src[j1] * std::sin(theta);
    }
  }
  return out;
}

// A float32 angle is off by about an ulp of position * scale (position, scale and
// exp(i * exponent) each round), which moves an output by up to |x1| + |x2| times that; then
// the output dtype rounds. The bounds allow about twice the errors seen.
void expect_near_rope_formula(const array& y, const array& x, const RopeCase& c, int offset,
                              const std::optional<array>& freqs, const std::string& what) {
  const auto got = values(y), in = values(x), want = rope_formula(x, c, offset, freqs);
  const double rounding = y.dtype() == float32 ? 2e-7 : y.dtype() == float16 ? 0x1p-10 : 0x1p-7;
  const int features = x.shape(-1), length = x.shape(-2), half = c.dims / 2;
  int reported = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    const int feature = static_cast<int>(k % features);
    double partners = 0.0;  // |x1| + |x2| of the element's pair
    if (feature < c.dims) {
      const int i = c.traditional ? feature / 2 : feature % half;
      const size_t row_start = k - feature;
      partners = std::abs(in[row_start + (c.traditional ? 2 * i : i)]) +
                 std::abs(in[row_start + (c.traditional ? 2 * i + 1 : i + half)]);
    }
    const double position = std::abs(offset + static_cast<double>((k / features) % length));
    const double angle_error = 2e-7 * position * std::abs(c.scale) + 4e-7;
    const double tol = rounding * std::abs(want[k]) + partners * angle_error + 1e-7;
    if (std::abs(got[k] - want[k]) > tol && reported++ < 5) {
      ADD_FAILURE() << what << ": element " << k << " got " << got[k] << " want " << want[k]
                    << " (tolerance " << tol << ")";
    }
  }
}

void expect_identical(const array& got, const array& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  EXPECT_EQ(values(got), values(want)) << what;
}

TEST(FastRope, ArrayOffsetMatchesIntOffset) {
  const std::vector<RopeCase> cases = {
      {{2, 3, 7, 64}, 64, false, 10000.0f, 1.0f, 0},
      {{2, 3, 7, 64}, 64, true, 10000.0f, 1.0f, 0},
      {{1, 4, 5, 128}, 64, false, 1000000.0f, 1.0f, 0},  // partial rotary
      {{2, 9, 70}, 48, true, 500000.0f, 2.0f, 0},        // odd tail, scale != 1
      {{6, 32}, 32, false, -1.0f, 1.0f, 0},              // freqs
      {{2, 2, 3, 96}, 80, true, -1.0f, 0.5f, 0},
      {{1, 16, 1, 128}, 128, false, 10000.0f, 1.0f, 0},  // decode
  };
  // An offset array of each dtype kind a caller might hold, as a scalar or as [1].
  const std::vector<std::pair<Dtype, bool>> offset_kinds = {
      {int32, false}, {int64, true}, {uint32, false}, {int16, true}};
  unsigned seed = 900;
  for (Dtype dtype : kDtypes) {
    for (const auto& base_case : cases) {
      for (int offset : {0, 1, 17, 2047, -3}) {
        RopeCase c = base_case;
        c.offset = offset;
        const auto [offset_dtype, as_vector] =
            offset < 0 ? std::pair{int32, false} : offset_kinds[seed % offset_kinds.size()];
        array offset_array = astype(array(offset), offset_dtype);
        if (as_vector) offset_array = reshape(offset_array, {1});
        const std::string what = describe(c, dtype) + " offset array " +
                                 std::string(dtype_name(offset_dtype)) + (as_vector ? " [1]" : "");
        const auto [base, freqs] = base_or_periods(c);
        array x = random_array(c.shape, dtype, ++seed);
        array y = fast::rope(x, c.dims, c.traditional, base, c.scale, offset_array, freqs);
        expect_fused(y, "RoPE");
        EXPECT_TRUE(dynamic_cast<const fast::RoPE&>(y.primitive()).dynamic_offset()) << what;
        expect_identical(y, fast::rope(x, c.dims, c.traditional, base, c.scale, offset, freqs),
                         what);
        expect_near_rope_formula(y, x, c, offset, freqs, what);
      }
    }
  }
}

TEST(FastRope, ArrayOffsetIsReadWhenTheOpRuns) {
  array x = random_array({2, 4, 5, 64}, bfloat16, 950);
  // A lazy sum and a one-element slice that starts inside its buffer.
  array lazy_offset = add(array(40), array(2));
  array sliced_offset = slice(arange(100, 110), {4}, {5});
  expect_identical(fast::rope(x, 64, false, 10000.0f, 1.0f, lazy_offset),
                   fast::rope(x, 64, false, 10000.0f, 1.0f, 42), "lazy offset");
  expect_identical(fast::rope(x, 64, true, 10000.0f, 1.0f, sliced_offset),
                   fast::rope(x, 64, true, 10000.0f, 1.0f, 104), "sliced offset");
  array strided = transpose(random_array({2, 5, 4, 64}, float16, 951), {0, 2, 1, 3});
  expect_identical(fast::rope(strided, 32, false, std::nullopt, 1.0f, array(7), periods(32)),
                   fast::rope(strided, 32, false, std::nullopt, 1.0f, 7, periods(32)),
                   "transposed x");
}

TEST(FastRope, ArrayOffsetFallsBackForOtherDtypes) {
  array x = astype(random_array({2, 4, 8}, float32, 960, 1.0f, 9.0f), int32);
  array y = fast::rope(x, 8, false, 10000.0f, 1.0f, array(5));
  EXPECT_EQ(y.dtype(), int32);
  expect_identical(y, fast::rope(x, 8, false, 10000.0f, 1.0f, 5), "int32");
  // The reference's array form computes the positions as its int form does.
  array f = random_array({3, 6, 16}, float32, 961);
  for (int offset : {0, 9, 2047}) {
    expect_identical(
        fast::reference::rope(f, 16, true, 10000.0f, 0.5f, astype(array(offset), int64)),
        fast::reference::rope(f, 16, true, 10000.0f, 0.5f, offset),
        "reference at " + std::to_string(offset));
  }
}

TEST(FastRope, ArrayOffsetErrors) {
  array x = random_array({2, 4, 8}, float32, 1);
  expect_error<TypeError>([&] { fast::rope(x, 8, false, 1e4f, 1.0f, array(3.0f)); }, "[rope]");
  expect_error<TypeError>([&] { fast::rope(x, 8, false, 1e4f, 1.0f, array(true)); }, "[rope]");
  const array two = array({1, 2}, {2}, int32), nested = array({1}, {1, 1}, int32);
  expect_error<ValueError>([&] { fast::rope(x, 8, false, 1e4f, 1.0f, two); }, "[rope]");
  expect_error<ValueError>([&] { fast::rope(x, 8, false, 1e4f, 1.0f, nested); }, "[rope]");
  // The other arguments are checked as in the int form.
  expect_error<ValueError>([&] { fast::rope(x, 7, false, 1e4f, 1.0f, array(0)); }, "[rope]");
}

// silu(g) * u from the inputs' values in float64, rounded once to `dtype`.
array swiglu_formula(const array& gate, const array& up, Dtype dtype) {
  const Shape shape = broadcast_shapes(gate.shape(), up.shape());
  const auto g = values(broadcast_to(gate, shape)), u = values(broadcast_to(up, shape));
  std::vector<double> want(g.size());
  for (size_t i = 0; i < g.size(); ++i) want[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
  return astype(array(want.begin(), shape, float64), dtype);
}

// rms_norm_rope against rope(rms_norm(...)) (or rms_norm_float32): every rope variant, the
// transposed [B, L, H, D] -> [B, H, L, D] rows of a prefill, an int and an array offset.
TEST(FastRmsNormRope, MatchesTheComposition) {
  const std::vector<RopeCase> cases = {
      {{2, 3, 7, 64}, 64, false, 10000.0f, 1.0f, 0},
      {{1, 4, 5, 128}, 64, false, 1000000.0f, 1.0f, 9},  // partial rotary
      {{1, 4, 5, 128}, 32, true, 10000.0f, 1.0f, 3},
      {{2, 9, 70}, 48, true, 500000.0f, 2.0f, 1},
      {{2, 2, 3, 96}, 80, true, -1.0f, 0.5f, 100},  // freqs
      {{1, 16, 1, 128}, 128, false, 10000.0f, 1.0f, 2047},  // decode
      {{1, 2, 1, 256}, 64, false, 10000000.0f, 1.0f, 33},   // Qwen3.5's partial rotary
  };
  unsigned seed = 900;
  for (Dtype dtype : kDtypes) {
    for (const auto& c : cases) {
      for (bool float32_norm : {false, true}) {
        const std::string what = describe(c, dtype) + (float32_norm ? " float32 norm" : "");
        auto [base, freqs] = base_or_periods(c);
        array x = random_array(c.shape, dtype, ++seed);
        array w = random_array({c.shape.back()}, float32_norm ? float32 : dtype, ++seed, 0.5f,
                               2.0f);
        array normed = float32_norm ? fast::rms_norm_float32(x, w, 1e-6f, dtype)
                                    : fast::rms_norm(x, w, 1e-6f);
        array want = fast::reference::rope(normed, c.dims, c.traditional, base, c.scale,
                                           c.offset, freqs);
        array y = fast::rms_norm_rope(x, w, 1e-6f, float32_norm, c.dims, c.traditional, base,
                                      c.scale, c.offset, freqs);
        expect_fused(y, "RMSNormRoPE");
        expect_matches(y, want, what);
        array at = fast::rms_norm_rope(x, w, 1e-6f, float32_norm, c.dims, c.traditional, base,
                                       c.scale, array(c.offset, int64), freqs);
        expect_fused(at, "RMSNormRoPE");
        expect_matches(at, want, what + " array offset");
      }
    }
  }
  // Prefill's rows: [B, L, H, D] transposed to [B, H, L, D], read in place.
  for (Dtype dtype : kDtypes) {
    array x = transpose(random_array({2, 6, 4, 64}, dtype, ++seed), {0, 2, 1, 3});
    array w = random_array({64}, dtype, ++seed, 0.5f, 2.0f);
    expect_matches(fast::rms_norm_rope(x, w, 1e-6f, false, 64, false, 10000.0f, 1.0f, 5),
                   fast::reference::rope(fast::rms_norm(x, w, 1e-6f), 64, false, 10000.0f, 1.0f, 5),
                   std::string(dtype_name(dtype)) + " transposed rows");
  }
}

TEST(FastRmsNormRope, FallsBackAndErrors) {
  // float64 has no kernel: the composition.
  array x = random_array({2, 3, 32}, float64, 950);
  array w = random_array({32}, float64, 951);
  expect_matches(
      astype(fast::rms_norm_rope(x, w, 1e-6f, false, 32, false, 10000.0f, 1.0f, 2), float32),
      astype(fast::reference::rope(fast::rms_norm(x, w, 1e-6f), 32, false, 10000.0f, 1.0f, 2),
             float32),
      "float64");
  array xb = random_array({2, 3, 32}, bfloat16, 952);
  expect_error<ValueError>(
      [&] {
        fast::rms_norm_rope(xb, random_array({31}, bfloat16, 953), 1e-6f, false, 32, false,
                            10000.0f, 1.0f, 0);
      },
      "[rms_norm_rope]");
  expect_error<TypeError>(  // a float32 weight would promote bfloat16 rows
      [&] {
        fast::rms_norm_rope(xb, random_array({32}, float32, 954), 1e-6f, false, 32, false,
                            10000.0f, 1.0f, 0);
      },
      "[rms_norm_rope]");
  expect_error<ValueError>(
      [&] {
        fast::rms_norm_rope(xb, random_array({32}, bfloat16, 955), 1e-6f, false, 33, false,
                            10000.0f, 1.0f, 0);
      },
      "[rms_norm_rope]");
  expect_error<TypeError>(
      [&] {
        fast::rms_norm_rope(xb, random_array({32}, bfloat16, 956), 1e-6f, false, 32, false,
                            10000.0f, 1.0f, array(1.5f));
      },
      "[rms_norm_rope]");
}

// On the CPU, matmul_swiglu is its composition (the GPU builds a fused GEMV node for decode
// rows: tests/cuda/fast_test.cpp); checked against swiglu of the product's halves in float64.
TEST(FastMatmulSwiGlu, IsTheCompositionOnTheCpu) {
  array x = random_array({2, 3, 40}, float32, 970);
  array w = random_array({40, 2 * 24}, float32, 971, -0.5f, 0.5f);
  array y = fast::matmul_swiglu(x, w);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 24}));
  const auto xs = values(x), ws = values(w);
  std::vector<double> want(6 * 24);
  for (int r = 0; r < 6; ++r) {
    for (int c = 0; c < 24; ++c) {
      double g = 0, u = 0;
      for (int i = 0; i < 40; ++i) {
        g += xs[r * 40 + i] * ws[i * 48 + c];
        u += xs[r * 40 + i] * ws[i * 48 + 24 + c];
      }
      want[r * 24 + c] = g / (1.0 + std::exp(-g)) * u;
    }
  }
  expect_matches(y, astype(array(want.begin(), {2, 3, 24}, float64), float32), "float32");
  array xb = astype(x, bfloat16), wb = astype(w, bfloat16);
  expect_matches(fast::matmul_swiglu(xb, wb), fast::reference::matmul_swiglu(xb, wb), "bfloat16");
  expect_error<ValueError>([&] { fast::matmul_swiglu(x, random_array({40, 47}, float32, 972)); },
                           "[matmul_swiglu]");
  expect_error<ValueError>([&] { fast::matmul_swiglu(x, random_array({41, 48}, float32, 973)); },
                           "[matmul_swiglu]");
  expect_error<TypeError>([&] { fast::matmul_swiglu(astype(x, int32), astype(w, int32)); },
                          "[matmul_swiglu]");
}

TEST(FastSwiGlu, MatchesTheFormulaRoundedOnce) {
  unsigned seed = 40;
  for (Dtype dtype : kDtypes) {
    for (const Shape& shape : kNormShapes) {
      const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(shape);
      // Gates far into both tails, where sigmoid saturates or underflows.
      array gate = random_array(shape, dtype, seed++, -30.0f, 30.0f);
      array up = random_array(shape, dtype, seed++);
      array y = fast::swiglu(gate, up);
      expect_fused(y, "SwiGlu");
      expect_matches(y, swiglu_formula(gate, up, dtype), what);
    }
  }
}

TEST(FastSwiGlu, BroadcastsStridedAndMixedInputs) {
  array base = random_array({24, 40}, bfloat16, 50, -6.0f, 6.0f);
  array gate = slice(base, {0, 3}, {24, 23});  // a column slice
  array up = random_array({20}, float32, 51);  // broadcast along rows
  array y = fast::swiglu(gate, up);
  EXPECT_EQ(y.dtype(), float32);  // bfloat16 with float32 promotes
  expect_matches(y, swiglu_formula(gate, up, float32), "strided bf16 gate, broadcast f32 up");
  array t = transpose(random_array({8, 6}, float16, 52, -6.0f, 6.0f));
  expect_matches(fast::swiglu(t, t), swiglu_formula(t, t, float16), "transposed");
}

TEST(FastSwiGlu, Errors) {
  array ints = astype(random_array({4}, float32, 60, 0.0f, 9.0f), int32);
  expect_error<TypeError>([&] { fast::swiglu(ints, ints); }, "[swiglu]");
  expect_error<ValueError>(
      [&] { fast::swiglu(random_array({3}, float32, 61), random_array({4}, float32, 62)); },
      "swiglu");
}

// ---- The gated delta rule and gated_delta_update ----

struct DeltaCase {
  int batch, steps, key_heads, value_heads, key_dim, value_dim;
};

std::string describe(const DeltaCase& c, Dtype dtype) {
  return std::string(dtype_name(dtype)) + " B=" + std::to_string(c.batch) +
         " T=" + std::to_string(c.steps) + " Hk=" + std::to_string(c.key_heads) +
         " Hv=" + std::to_string(c.value_heads) + " Dk=" + std::to_string(c.key_dim) +
         " Dv=" + std::to_string(c.value_dim);
}

// Decode and prefill shapes, value heads equal to and twice the key heads, head sizes of the
// test model (64) and of others.
const std::vector<DeltaCase> kDeltaCases = {
    {1, 1, 2, 2, 16, 8}, {2, 1, 2, 4, 64, 64}, {1, 6, 2, 4, 32, 16}, {2, 5, 3, 3, 8, 24}};

// The recurrence's float32 sums run over Dk and through T steps in another order than the
// reference's reductions; 16-bit results round those sums once.
Tolerance delta_tolerance(Dtype dtype) {
  return dtype == float32 ? Tolerance{1e-4, 1e-5} : tolerance_for(dtype);
}

// gated_delta_update's operands as a Gated DeltaNet layer passes them: q, k, v head views of
// one [B, T, 2 Hk Dk + Hv Dv] conv output and a, b columns of one projection (strided), or
// contiguous arrays of their own. Unnormalised q and k are kept small enough (|k|^2 < 1) for
// the recurrence to stay bounded without the norm.
struct DeltaOperands {
  array q, k, v, a, b, a_log, dt_bias, state;
};

DeltaOperands delta_operands(const DeltaCase& c, Dtype dtype, unsigned seed, bool strided,
                             bool small_qk) {
  const int key_total = c.key_heads * c.key_dim, value_total = c.value_heads * c.value_dim;
  const float qk_range = small_qk ? 1.0f / std::sqrt(static_cast<float>(c.key_dim)) : 2.0f;
  auto heads = [&](const array& x, int from, int count, int dim) {
    return reshape(slice(x, {0, 0, from}, {c.batch, c.steps, from + count * dim}),
                   {c.batch, c.steps, count, dim});
  };
  array q(0.0f), k(0.0f), v(0.0f), a(0.0f), b(0.0f);
  if (strided) {
    array conv = concatenate(
        {random_array({c.batch, c.steps, 2 * key_total}, dtype, seed, -qk_range, qk_range),
         random_array({c.batch, c.steps, value_total}, dtype, seed + 1)},
        -1);
    q = heads(conv, 0, c.key_heads, c.key_dim);
    k = heads(conv, key_total, c.key_heads, c.key_dim);
    v = heads(conv, 2 * key_total, c.value_heads, c.value_dim);
    // [z-like padding | b | a] as the in_proj columns are laid out.
    array projected =
        random_array({c.batch, c.steps, 5 + 2 * c.value_heads}, dtype, seed + 2, -4.0f, 4.0f);
    b = slice(projected, {0, 0, 5}, {c.batch, c.steps, 5 + c.value_heads});
    a = slice(projected, {0, 0, 5 + c.value_heads}, {c.batch, c.steps, 5 + 2 * c.value_heads});
  } else {
    const Shape key_shape{c.batch, c.steps, c.key_heads, c.key_dim};
    q = random_array(key_shape, dtype, seed, -qk_range, qk_range);
    k = random_array(key_shape, dtype, seed + 1, -qk_range, qk_range);
    v = random_array({c.batch, c.steps, c.value_heads, c.value_dim}, dtype, seed + 2);
    b = random_array({c.batch, c.steps, c.value_heads}, dtype, seed + 3, -4.0f, 4.0f);
    // Logits past 20 too, where softplus passes its argument through.
    a = random_array({c.batch, c.steps, c.value_heads}, dtype, seed + 4, -4.0f, 24.0f);
  }
  return {q,
          k,
          v,
          a,
          b,
          random_array({c.value_heads}, float32, seed + 5, -2.0f, 1.0f),
          random_array({c.value_heads}, float32, seed + 6, -1.0f, 1.0f),
          random_array({c.batch, c.value_heads, c.key_dim, c.value_dim}, float32, seed + 7, -0.5f,
                       0.5f)};
}

TEST(FastGatedDeltaRule, MatchesTheStepwiseReference) {
  unsigned seed = 200;
  for (Dtype dtype : {float32, bfloat16}) {
    for (const DeltaCase& c : kDeltaCases) {
      const DeltaOperands in = delta_operands(c, dtype, seed += 10, false, /*small_qk=*/true);
      array g =
          negative(random_array({c.batch, c.steps, c.value_heads}, float32, seed, 0.01f, 1.0f));
      array beta = random_array({c.batch, c.steps, c.value_heads}, dtype, seed + 1, 0.0f, 1.0f);
      auto [y, state] = fast::gated_delta_rule(in.q, in.k, in.v, g, beta, in.state);
      auto [y_ref, state_ref] =
          fast::reference::gated_delta_rule(in.q, in.k, in.v, g, beta, in.state);
      const std::string what = describe(c, dtype);
      expect_matches(y, y_ref, "y " + what, delta_tolerance(dtype));
      expect_matches(state, state_ref, "state " + what, delta_tolerance(float32));
    }
  }
}

TEST(FastGatedDeltaRule, ChunkedFormMatchesTheRecurrence) {
  // q and k l2-normalised as a Gated DeltaNet layer has them (q also scaled by Dk^-1/2),
  // over sequences that end inside a chunk, with mild and with strong decay (a chunk's
  // cumulative log decay then reaches -1000: exp of it underflows).
  struct ChunkCase {
    DeltaCase c;
    int chunk;
    float min_log_decay;
  };
  const std::vector<ChunkCase> cases = {{{1, 200, 2, 4, 32, 16}, 64, -1.0f},
                                        {{2, 64, 2, 2, 16, 8}, 64, -1.0f},
                                        {{1, 1, 1, 2, 8, 8}, 64, -1.0f},
                                        {{1, 37, 3, 3, 8, 24}, 4, -1.0f},
                                        {{1, 150, 1, 2, 128, 128}, 64, -1.0f},
                                        {{1, 100, 2, 2, 32, 32}, 64, -30.0f},
                                        {{1, 96, 1, 1, 64, 64}, 32, -0.05f},
                                        {{1, 300, 1, 2, 128, 128}, 128, -0.05f}};
  unsigned seed = 700;
  for (const ChunkCase& cc : cases) {
    const DeltaCase& c = cc.c;
    auto unit_rows = [&](unsigned at) {
      const array x =
          random_array({c.batch, c.steps, c.key_heads, c.key_dim}, float32, at, -1.0f, 1.0f);
      return divide(x, sqrt(sum(square(x), -1, true)));
    };
    const array q = multiply(unit_rows(seed += 10), array(1.0f / std::sqrt(float(c.key_dim))));
    const array k = unit_rows(seed + 1);
    const array v = random_array({c.batch, c.steps, c.value_heads, c.value_dim}, float32, seed + 2);
    const array g = random_array({c.batch, c.steps, c.value_heads}, float32, seed + 3,
                                 cc.min_log_decay, -0.01f);
    const array beta =
        random_array({c.batch, c.steps, c.value_heads}, float32, seed + 4, 0.0f, 1.0f);
    const array state = random_array({c.batch, c.value_heads, c.key_dim, c.value_dim}, float32,
                                     seed + 5, -0.5f, 0.5f);
    auto [y, final_state] = fast::detail::gated_delta_chunked(q, k, v, g, beta, state, cc.chunk);
    auto [y_ref, state_ref] = fast::gated_delta_rule(q, k, v, g, beta, state);
    const std::string what = describe(c, float32) + " chunk " + std::to_string(cc.chunk) +
                             " decay to " + std::to_string(cc.min_log_decay);
    expect_matches(y, y_ref, "y " + what, delta_tolerance(float32));
    expect_matches(final_state, state_ref, "state " + what, delta_tolerance(float32));
    // In v's dtype, as the recurrence returns y.
    auto [y16, unused] = fast::detail::gated_delta_chunked(q, k, astype(v, bfloat16), g, beta,
                                                           state, cc.chunk);
    auto [y16_ref, unused_ref] = fast::gated_delta_rule(q, k, astype(v, bfloat16), g, beta, state);
    expect_matches(y16, y16_ref, "bfloat16 y " + what, delta_tolerance(bfloat16));
  }
}

TEST(FastGatedDeltaUpdate, MatchesTheComposition) {
  unsigned seed = 300;
  for (Dtype dtype : kDtypes) {
    for (const DeltaCase& c : kDeltaCases) {
      for (bool strided : {false, true}) {
        for (bool normalize : {true, false}) {
          const DeltaOperands in = delta_operands(c, dtype, seed += 10, strided, !normalize);
          auto [y, state] = fast::gated_delta_update(in.q, in.k, in.v, in.a, in.b, in.a_log,
                                                     in.dt_bias, in.state, normalize);
          expect_fused(y, "GatedDeltaRule");
          expect_no_copied_inputs(y);
          EXPECT_EQ(y.dtype(), dtype);
          auto [y_ref, state_ref] = fast::reference::gated_delta_update(
              in.q, in.k, in.v, in.a, in.b, in.a_log, in.dt_bias, in.state, normalize);
          const std::string what =
              describe(c, dtype) + (strided ? " strided" : "") + (normalize ? " normalised" : "");
          expect_matches(y, y_ref, "y " + what, delta_tolerance(dtype));
          expect_matches(state, state_ref, "state " + what, delta_tolerance(float32));
        }
      }
    }
  }
}

TEST(FastGatedDeltaUpdate, StepsChainThroughTheState) {
  // Decode: T one-step calls carrying the state equal one call over the T steps.
  const DeltaCase c{1, 5, 2, 4, 16, 16};
  const DeltaOperands in = delta_operands(c, bfloat16, 400, true, false);
  auto [y_full, state_full] =
      fast::gated_delta_update(in.q, in.k, in.v, in.a, in.b, in.a_log, in.dt_bias, in.state, true);
  array state = in.state;
  std::vector<array> ys;
  for (int t = 0; t < c.steps; ++t) {
    auto step = [&](const array& x) {
      Shape start(x.ndim(), 0), stop(x.shape());
      start[1] = t;
      stop[1] = t + 1;
      return slice(x, start, stop);
    };
    auto [y, next] = fast::gated_delta_update(step(in.q), step(in.k), step(in.v), step(in.a),
                                              step(in.b), in.a_log, in.dt_bias, state, true);
    ys.push_back(y);
    state = next;
  }
  expect_matches(concatenate(ys, 1), y_full, "y stepwise", delta_tolerance(bfloat16));
  expect_matches(state, state_full, "state stepwise", delta_tolerance(float32));
}

TEST(FastGatedDeltaUpdate, FallsBackForFloat64) {
  const DeltaCase c{1, 3, 1, 2, 8, 8};
  const DeltaOperands in = delta_operands(c, float32, 500, false, false);
  auto wide = [](const array& x) { return astype(x, float64); };
  auto [y, state] = fast::gated_delta_update(wide(in.q), wide(in.k), wide(in.v), wide(in.a),
                                             wide(in.b), in.a_log, in.dt_bias, in.state, true);
  EXPECT_EQ(y.dtype(), float64);
  auto [y32, state32] =
      fast::gated_delta_update(in.q, in.k, in.v, in.a, in.b, in.a_log, in.dt_bias, in.state, true);
  expect_matches(astype(y, float32), y32, "float64 y", delta_tolerance(float32));
  expect_matches(state, state32, "float64 state", delta_tolerance(float32));
}

TEST(FastGatedDeltaUpdate, Errors) {
  const DeltaCase c{1, 2, 2, 4, 8, 8};
  const DeltaOperands in = delta_operands(c, float32, 600, false, false);
  auto call = [&](const array& q, const array& k, const array& v, const array& a, const array& b,
                  const array& a_log, const array& state) {
    return [=] { fast::gated_delta_update(q, k, v, a, b, a_log, a_log, state, true); };
  };
  const std::string op = "[gated_delta_update]";
  const array gate3 = random_array({1, 2, 3}, float32, 1);
  expect_error<ValueError>(call(in.q, in.k, in.v, gate3, in.b, in.a_log, in.state), op);
  expect_error<ValueError>(call(in.q, in.k, in.v, in.a, gate3, in.a_log, in.state), op);
  expect_error<ValueError>(
      call(in.q, in.k, in.v, in.a, in.b, random_array({3}, float32, 2), in.state), op);
  expect_error<ValueError>(
      call(in.q, random_array({1, 2, 2, 4}, float32, 3), in.v, in.a, in.b, in.a_log, in.state), op);
  expect_error<ValueError>(
      call(in.q, in.k, random_array({1, 2, 3, 8}, float32, 4), gate3, gate3,
           random_array({3}, float32, 5), random_array({1, 3, 8, 8}, float32, 6)),
      op);  // 3 value heads for 2 key heads
  expect_error<ValueError>(
      call(in.q, in.k, in.v, in.a, in.b, in.a_log, random_array({1, 4, 8, 9}, float32, 7)), op);
  expect_error<ValueError>(
      call(reshape(in.q, {2, 2, 8}), in.k, in.v, in.a, in.b, in.a_log, in.state), op);
  expect_error<TypeError>(call(in.q, in.k, in.v, astype(in.a, int32), in.b, in.a_log, in.state),
                          op);
  expect_error<TypeError>(call(in.q, in.k, astype(in.v, int32), in.a, in.b, in.a_log, in.state),
                          op);
}

// ---- causal_conv1d_update ----

struct ConvCase {
  int batch, steps, channels, taps;
};

// Decode (T = 1), prefill, fewer steps than the state's K-1 rows, no state (K = 1), a
// channel count that is not a multiple of 4.
const std::vector<ConvCase> kConvCases = {
    {1, 1, 24, 4}, {2, 7, 40, 4}, {1, 2, 16, 4}, {2, 3, 8, 1}, {1, 65, 33, 3}};

// x [B, T, C], a contiguous array or (strided) the middle columns of a wider projection.
array conv_input(const ConvCase& c, Dtype dtype, unsigned seed, bool strided) {
  if (!strided) return random_array({c.batch, c.steps, c.channels}, dtype, seed);
  array wide = random_array({c.batch, c.steps, 3 * c.channels}, dtype, seed);
  return slice(wide, {0, 0, c.channels}, {c.batch, c.steps, 2 * c.channels});
}

TEST(FastCausalConv1dUpdate, MatchesTheComposition) {
  unsigned seed = 700;
  for (Dtype dtype : kDtypes) {
    for (const ConvCase& c : kConvCases) {
      for (int mode = 0; mode < 8; ++mode) {
        const bool strided = mode & 1, with_bias = mode & 2, silu = mode & 4;
        array x = conv_input(c, dtype, seed += 10, strided);
        array state = random_array({c.batch, c.taps - 1, c.channels}, dtype, seed + 1);
        array weight = random_array({c.taps, c.channels}, dtype, seed + 2, -1.0f, 1.0f);
        std::optional<array> bias;
        if (with_bias) bias = random_array({c.channels}, dtype, seed + 3);
        auto [out, next] = fast::causal_conv1d_update(x, state, weight, bias, silu);
        expect_fused(out, "CausalConv1dUpdate");
        expect_no_copied_inputs(out);
        auto [out_ref, next_ref] =
            fast::reference::causal_conv1d_update(x, state, weight, bias, silu);
        const std::string what = std::string(dtype_name(dtype)) + " B=" + std::to_string(c.batch) +
                                 " T=" + std::to_string(c.steps) + " K=" + std::to_string(c.taps) +
                                 (strided ? " strided" : "") + (with_bias ? " bias" : "") +
                                 (silu ? " silu" : "");
        expect_matches(out, out_ref, what);
        expect_matches(next, next_ref, "next state " + what, Tolerance{0.0, 0.0});
      }
    }
  }
}

TEST(FastCausalConv1dUpdate, OtherTapDtypesAndStridedState) {
  // float32 activations with bfloat16 taps and bias; a state that is a transposed view.
  const ConvCase c{2, 3, 20, 4};
  array x = conv_input(c, float32, 800, true);
  array state = transpose(random_array({c.batch, c.channels, c.taps - 1}, float32, 801), {0, 2, 1});
  array weight = random_array({c.taps, c.channels}, bfloat16, 802);
  array bias = random_array({c.channels}, bfloat16, 803);
  auto [out, next] = fast::causal_conv1d_update(x, state, weight, bias, true);
  EXPECT_EQ(out.dtype(), float32);
  auto [out_ref, next_ref] = fast::reference::causal_conv1d_update(x, state, weight, bias, true);
  expect_matches(out, out_ref, "bf16 taps");
  expect_matches(next, next_ref, "bf16 taps next state", Tolerance{0.0, 0.0});
  // A float16 state is rounded to x's dtype (bfloat16) as the composition's concatenate does.
  array xb = conv_input(c, bfloat16, 804, false);
  array state16 = random_array({c.batch, c.taps - 1, c.channels}, float16, 805);
  auto [out16, next16] = fast::causal_conv1d_update(xb, state16, weight, std::nullopt, false);
  EXPECT_EQ(next16.dtype(), bfloat16);
  auto [out16_ref, next16_ref] =
      fast::reference::causal_conv1d_update(xb, state16, weight, std::nullopt, false);
  expect_matches(out16, out16_ref, "f16 state");
  expect_matches(next16, next16_ref, "f16 state next state", Tolerance{0.0, 0.0});
}

TEST(FastCausalConv1dUpdate, StepsChainThroughTheState) {
  // Decode: one-step calls carrying the state equal one call over the steps, bit for bit.
  const ConvCase c{2, 6, 24, 4};
  array x = conv_input(c, bfloat16, 900, true);
  array state = random_array({c.batch, c.taps - 1, c.channels}, bfloat16, 901);
  array weight = random_array({c.taps, c.channels}, bfloat16, 902);
  array bias = random_array({c.channels}, bfloat16, 903);
  auto [out_full, state_full] = fast::causal_conv1d_update(x, state, weight, bias, true);
  std::vector<array> outs;
  for (int t = 0; t < c.steps; ++t) {
    auto [out, next] = fast::causal_conv1d_update(slice(x, {0, t, 0}, {c.batch, t + 1, c.channels}),
                                                  state, weight, bias, true);
    outs.push_back(out);
    state = next;
  }
  expect_matches(concatenate(outs, 1), out_full, "stepwise", Tolerance{0.0, 0.0});
  expect_matches(state, state_full, "stepwise state", Tolerance{0.0, 0.0});
}

TEST(FastCausalConv1dUpdate, FallsBackForFloat64) {
  const ConvCase c{1, 4, 8, 3};
  array x = conv_input(c, float32, 950, false);
  array state = random_array({c.batch, c.taps - 1, c.channels}, float32, 951);
  array weight = random_array({c.taps, c.channels}, float32, 952);
  auto [out, next] =
      fast::causal_conv1d_update(astype(x, float64), state, weight, std::nullopt, true);
  EXPECT_EQ(out.dtype(), float64);
  auto [out32, next32] = fast::causal_conv1d_update(x, state, weight, std::nullopt, true);
  expect_matches(astype(out, float32), out32, "float64");
}

TEST(FastCausalConv1dUpdate, Errors) {
  const std::string op = "[causal_conv1d_update]";
  array x = random_array({1, 2, 8}, float32, 1);
  array state = random_array({1, 3, 8}, float32, 2);
  array weight = random_array({4, 8}, float32, 3);
  auto call = [](const array& x, const array& state, const array& weight,
                 std::optional<array> bias = std::nullopt) {
    return [=] { fast::causal_conv1d_update(x, state, weight, bias, true); };
  };
  expect_error<ValueError>(call(reshape(x, {2, 8}), state, weight), op);
  expect_error<ValueError>(call(x, state, random_array({4, 7}, float32, 4)), op);
  expect_error<ValueError>(call(x, state, random_array({0, 8}, float32, 4)), op);
  expect_error<ValueError>(call(x, random_array({1, 2, 8}, float32, 5), weight), op);
  expect_error<ValueError>(call(x, random_array({2, 3, 8}, float32, 5), weight), op);
  expect_error<ValueError>(call(x, state, weight, random_array({7}, float32, 6)), op);
  expect_error<TypeError>(call(astype(x, int32), state, weight), op);
  expect_error<TypeError>(call(x, state, astype(weight, int32)), op);
  expect_error<TypeError>(call(x, state, weight, astype(random_array({8}, float32, 6), int32)), op);
}

TEST(FastPrimitives, EquivalenceComparesParameters) {
  const Stream s = default_stream(Device(Device::cpu));
  EXPECT_TRUE(fast::RMSNorm(s, 1e-5f).is_equivalent(fast::RMSNorm(s, 1e-5f)));
  EXPECT_FALSE(fast::RMSNorm(s, 1e-5f).is_equivalent(fast::RMSNorm(s, 1e-6f)));
  EXPECT_FALSE(fast::RMSNorm(s, 1e-5f).is_equivalent(fast::LayerNorm(s, 1e-5f, false, false)));
  EXPECT_TRUE(
      fast::LayerNorm(s, 1e-5f, true, false).is_equivalent(fast::LayerNorm(s, 1e-5f, true, false)));
  EXPECT_FALSE(
      fast::LayerNorm(s, 1e-5f, true, false).is_equivalent(fast::LayerNorm(s, 1e-5f, false, true)));
  const fast::RoPE rope(s, 64, false, 1e4f, 1.0f, 3);
  EXPECT_TRUE(rope.is_equivalent(fast::RoPE(s, 64, false, 1e4f, 1.0f, 3)));
  EXPECT_FALSE(rope.is_equivalent(fast::RoPE(s, 64, false, 1e4f, 1.0f, 4)));
  EXPECT_FALSE(rope.is_equivalent(fast::RoPE(s, 64, true, 1e4f, 1.0f, 3)));
  EXPECT_FALSE(rope.is_equivalent(fast::RoPE(s, 32, false, 1e4f, 1.0f, 3)));
  EXPECT_FALSE(rope.is_equivalent(fast::RoPE(s, 64, false, 1e5f, 1.0f, 3)));
  EXPECT_FALSE(rope.is_equivalent(fast::RoPE(s, 64, false, 1e4f, 0.5f, 3)));
  const fast::RoPE dynamic(s, 64, false, 1e4f, 1.0f, 0, /*dynamic_offset=*/true);
  EXPECT_TRUE(dynamic.is_equivalent(fast::RoPE(s, 64, false, 1e4f, 1.0f, 0, true)));
  EXPECT_FALSE(dynamic.is_equivalent(fast::RoPE(s, 64, false, 1e4f, 1.0f, 0)));
  const fast::ScaledDotProductAttention masked(s, 0.125f, false, /*has_mask=*/true);
  EXPECT_TRUE(masked.is_equivalent(fast::ScaledDotProductAttention(s, 0.125f, false, true)));
  EXPECT_FALSE(masked.is_equivalent(fast::ScaledDotProductAttention(s, 0.125f, false, false)));
  EXPECT_FALSE(masked.is_equivalent(fast::ScaledDotProductAttention(s, 0.125f, true, true)));
  EXPECT_FALSE(masked.is_equivalent(fast::ScaledDotProductAttention(s, 0.25f, false, true)));
  EXPECT_TRUE(fast::GatedDeltaRule(s).is_equivalent(fast::GatedDeltaRule(s)));
  EXPECT_TRUE(
      fast::GatedDeltaRule(s, true, true).is_equivalent(fast::GatedDeltaRule(s, true, true)));
  EXPECT_FALSE(fast::GatedDeltaRule(s).is_equivalent(fast::GatedDeltaRule(s, true, false)));
  EXPECT_FALSE(
      fast::GatedDeltaRule(s, true, true).is_equivalent(fast::GatedDeltaRule(s, true, false)));
  const fast::CausalConv1dUpdate conv(s, /*has_bias=*/true, /*silu=*/true);
  EXPECT_TRUE(conv.is_equivalent(fast::CausalConv1dUpdate(s, true, true)));
  EXPECT_FALSE(conv.is_equivalent(fast::CausalConv1dUpdate(s, false, true)));
  EXPECT_FALSE(conv.is_equivalent(fast::CausalConv1dUpdate(s, true, false)));
}

}  // namespace
}  // namespace ember
