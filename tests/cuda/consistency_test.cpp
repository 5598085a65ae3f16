// Cross-backend consistency (CONVENTIONS.md, "Tests"): every op ported to CUDA, on several
// shapes (0-d, empty, odd sizes for vector tails, non-contiguous, broadcast) and dtypes,
// runs on Device(cpu) and Device(gpu) from the same inputs; results must agree within
// dtype-aware tolerances. One table row per op.
#include <algorithm>
#include <functional>
#include <limits>

#include "ember/backend/cuda/launch.h"
#include "ember/core/primitive.h"
#include "ember/fast/fast.h"
#include "tests/cuda/cuda_test_util.h"

using namespace ember;
using namespace ember::test;

namespace {

using UnaryFn = std::function<array(const array&, StreamOrDevice)>;
using BinaryFn = std::function<array(const array&, const array&, StreamOrDevice)>;

struct UnaryRow {
  const char* name;
  UnaryFn fn;
  bool positive_domain = false;  // inputs in [0.25, 2)
  bool floats_only = true;
};
struct BinaryRow {
  const char* name;
  BinaryFn fn;
  bool floats_only = false;
  bool positive_rhs = false;  // right operand >= 1 (division, powers)
};

const std::vector<Dtype> kFloatTypes = {float32, float16, bfloat16};
const std::vector<Dtype> kAllTypes = {float32, float16, bfloat16, int32, int64,
                                      uint8,   int8,    uint32,   bool_};
const std::vector<Shape> kShapes = {{}, {0}, {1}, {7}, {1027}, {3, 5}, {4, 1, 33}, {2, 3, 0}};

std::vector<UnaryRow> unary_rows() {
  return {
      {"exp", [](const array& a, StreamOrDevice s) { return exp(a, s); }},
      {"log", [](const array& a, StreamOrDevice s) { return log(a, s); }, true},
      {"sqrt", [](const array& a, StreamOrDevice s) { return sqrt(a, s); }, true},
      {"rsqrt", [](const array& a, StreamOrDevice s) { return rsqrt(a, s); }, true},
      {"sin", [](const array& a, StreamOrDevice s) { return sin(a, s); }},
      {"tanh", [](const array& a, StreamOrDevice s) { return tanh(a, s); }},
      {"sigmoid", [](const array& a, StreamOrDevice s) { return sigmoid(a, s); }},
      {"erf", [](const array& a, StreamOrDevice s) { return erf(a, s); }},
      {"floor", [](const array& a, StreamOrDevice s) { return floor(a, s); }},
      {"isnan", [](const array& a, StreamOrDevice s) { return isnan(a, s); }},
      {"negative", [](const array& a, StreamOrDevice s) { return negative(a, s); }, false, false},
      {"abs", [](const array& a, StreamOrDevice s) { return abs(a, s); }, false, false},
      {"square", [](const array& a, StreamOrDevice s) { return square(a, s); }, false, false},
  };
}

std::vector<BinaryRow> binary_rows() {
  return {
      {"add", [](const array& a, const array& b, StreamOrDevice s) { return add(a, b, s); }},
      {"subtract",
       [](const array& a, const array& b, StreamOrDevice s) { return subtract(a, b, s); }},
      {"multiply",
       [](const array& a, const array& b, StreamOrDevice s) { return multiply(a, b, s); }},
      {"divide", [](const array& a, const array& b, StreamOrDevice s) { return divide(a, b, s); },
       true, true},
      {"maximum",
       [](const array& a, const array& b, StreamOrDevice s) { return maximum(a, b, s); }},
      {"minimum",
       [](const array& a, const array& b, StreamOrDevice s) { return minimum(a, b, s); }},
      {"floor_divide",
       [](const array& a, const array& b, StreamOrDevice s) { return floor_divide(a, b, s); },
       false, true},
      {"remainder",
       [](const array& a, const array& b, StreamOrDevice s) { return remainder(a, b, s); },
       false, true},
      {"logaddexp",
       [](const array& a, const array& b, StreamOrDevice s) { return logaddexp(a, b, s); }, true},
      {"swiglu",
       [](const array& a, const array& b, StreamOrDevice s) { return fast::swiglu(a, b, s); },
       true},
      {"less", [](const array& a, const array& b, StreamOrDevice s) { return less(a, b, s); }},
      {"equal", [](const array& a, const array& b, StreamOrDevice s) { return equal(a, b, s); }},
      {"not_equal",
       [](const array& a, const array& b, StreamOrDevice s) { return not_equal(a, b, s); }},
  };
}

std::string describe(const char* op, Dtype dtype, const Shape& shape, const char* layout) {
  return detail::concat(op, " ", dtype, " ", shape_to_string(shape), " ", layout);
}

TEST(CudaConsistency, Unary) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 1;
  for (const auto& row : unary_rows()) {
    for (Dtype dtype : row.floats_only ? kFloatTypes : kAllTypes) {
      if (dtype == bool_ || dtype == uint8 || dtype == uint32) {
        if (std::string(row.name) == "negative") continue;  // not defined for these
      }
      for (const auto& shape : kShapes) {
        const float low = row.positive_domain ? 0.25f : -2.0f;
        array x = random_array(shape, dtype, seed++, low, 2.0f);
        expect_same(row.fn(x, kCpu), row.fn(x, kGpu), describe(row.name, dtype, shape, "contig"),
                    tolerance_for(dtype));
        if (shape.size() >= 2) {
          // Non-contiguous input: a transposed view made on each device.
          array xt_cpu = transpose(x, kCpu), xt_gpu = transpose(x, kGpu);
          expect_same(row.fn(xt_cpu, kCpu), row.fn(xt_gpu, kGpu),
                      describe(row.name, dtype, shape, "transposed"), tolerance_for(dtype));
        }
      }
    }
  }
}

TEST(CudaConsistency, Binary) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 1000;
  struct Pair {
    Shape a, b;
    const char* layout;
  };
  const std::vector<Pair> pairs = {
      {{}, {}, "0-d"},          {{0}, {0}, "empty"},         {{1027}, {1027}, "contig"},
      {{1027}, {}, "scalar-rhs"}, {{}, {33}, "scalar-lhs"},  {{3, 1}, {1, 4}, "outer"},
      {{2, 3, 4}, {4}, "broadcast-row"}, {{5, 1, 6}, {5, 7, 1}, "broadcast-both"}};
  for (const auto& row : binary_rows()) {
    for (Dtype dtype : row.floats_only ? kFloatTypes : kAllTypes) {
      if (dtype == bool_ && !row.floats_only) {
        const std::string name = row.name;
        if (name == "subtract" || name == "floor_divide" || name == "remainder") continue;
      }
      for (const auto& pair : pairs) {
        array a = random_array(pair.a, dtype, seed++);
        array b = row.positive_rhs ? random_array(pair.b, dtype, seed++, 1.0f, 3.0f)
                                   : random_array(pair.b, dtype, seed++);
        expect_same(row.fn(a, b, kCpu), row.fn(a, b, kGpu),
                    describe(row.name, dtype, pair.a, pair.layout), tolerance_for(dtype));
      }
      // Strided operands: transposed views on the GPU, then the op.
      array a = random_array({6, 9}, dtype, seed++);
      array b = row.positive_rhs ? random_array({9, 6}, dtype, seed++, 1.0f, 3.0f)
                                 : random_array({9, 6}, dtype, seed++);
      expect_same(row.fn(transpose(a, kCpu), b, kCpu), row.fn(transpose(a, kGpu), b, kGpu),
                  describe(row.name, dtype, {6, 9}, "transposed-lhs"), tolerance_for(dtype));
    }
  }
}

TEST(CudaConsistency, WhereAndAsType) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 5000;
  for (Dtype dtype : kAllTypes) {
    for (const auto& shape : std::vector<Shape>{{}, {0}, {17}, {4, 5}}) {
      array mask = random_array(shape, bool_, seed++);
      array x = random_array(shape, dtype, seed++);
      array y = random_array({}, dtype, seed++);
      expect_same(where(mask, x, y, kCpu), where(mask, x, y, kGpu),
                  describe("where", dtype, shape, "scalar-y"), tolerance_for(dtype));
      for (Dtype to : kAllTypes) {
        // Non-negative values: a negative float to an unsigned type is undefined in C++
        // (the CPU wraps, the GPU saturates).
        array v = random_array(shape, dtype, seed++, 0.0f, 4.0f);
        expect_same(astype(v, to, kCpu), astype(v, to, kGpu),
                    describe("astype", dtype, shape, dtype_name(to).data()), tolerance_for(to));
      }
    }
  }
}

TEST(CudaConsistency, CopiesAndViews) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 7000;
  for (Dtype dtype : {float32, bfloat16, int64, uint8, bool_}) {
    array x = random_array({4, 6, 5}, dtype, seed++);
    auto check = [&](const char* what, const std::function<array(StreamOrDevice)>& f) {
      expect_same(f(kCpu), f(kGpu), describe(what, dtype, {4, 6, 5}, ""), tolerance_for(dtype));
    };
    check("contiguous(transpose)", [&](StreamOrDevice s) {
      return contiguous(transpose(x, {2, 0, 1}, s), false, s);
    });
    check("reshape(transpose)", [&](StreamOrDevice s) {
      return reshape(transpose(x, {1, 0, 2}, s), {6, 20}, s);
    });
    check("slice", [&](StreamOrDevice s) {
      return copy(slice(x, {1, 0, 1}, {4, 6, 5}, {2, 3, 2}, s), s);
    });
    check("broadcast", [&](StreamOrDevice s) {
      return copy(broadcast_to(slice(x, {0, 0, 0}, {1, 6, 5}, s), {3, 6, 5}, s), s);
    });
    check("concatenate", [&](StreamOrDevice s) {
      return concatenate({x, transpose(x, {0, 1, 2}, s), slice(x, {0, 0, 0}, {4, 6, 2}, s)}, 2, s);
    });
    if (dtype != bool_) {
      check("arange", [&](StreamOrDevice s) { return arange(0.0, 50.0, 0.75, dtype, s); });
    }
  }
}

TEST(CudaConsistency, Matmul) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 9000;
  struct Case {
    Shape a, b;
    bool transpose_a, transpose_b;
    const char* what;
  };
  const std::vector<Case> cases = {
      {{8, 16}, {16, 12}, false, false, "2d"},
      {{1, 64}, {64, 33}, false, false, "row-vector"},
      {{37, 1}, {1, 29}, false, false, "outer (k=1)"},
      {{16, 8}, {12, 16}, true, true, "both transposed"},
      {{3, 17, 24}, {3, 24, 9}, false, false, "batched"},
      // Decode shapes against a transposed [n, k] weight: the GEMV kernel (gemv.cu).
      {{1, 64}, {96, 64}, false, true, "gemv, one row"},
      {{1, 1, 4096}, {300, 4096}, false, true, "gemv, long depth"},
      {{3, 1, 200}, {70, 200}, false, true, "gemv, batch onto rows"},
      {{2, 4, 203}, {33, 203}, false, true, "gemv, 8 rows, unaligned depth"},
      {{2, 6144}, {20, 6144}, false, true, "gemv, 2 rows, 4 warps a column"},
      {{1, 8200}, {40, 8200}, false, true, "gemv, several passes a warp"},
      {{9, 64}, {50, 64}, false, true, "9 rows: cuBLASLt again"},
      {{4, 2, 8, 16}, {16, 5}, false, false, "broadcast rhs"},
      {{2, 1, 8, 16}, {1, 3, 16, 4}, false, false, "broadcast both batch dims"},
      {{5, 0}, {0, 7}, false, false, "k=0"},
      {{0, 4}, {4, 3}, false, false, "m=0"},
  };
  for (Dtype dtype : kFloatTypes) {
    for (const auto& c : cases) {
      array a = random_array(c.a, dtype, seed++, -1.0f, 1.0f);
      array b = random_array(c.b, dtype, seed++, -1.0f, 1.0f);
      auto f = [&](StreamOrDevice s) {
        array x = c.transpose_a ? transpose(a, s) : a;
        array y = c.transpose_b ? transpose(b, s) : b;
        return matmul(x, y, s);
      };
      const int k = c.transpose_a ? c.a.front() : c.a.back();
      Tolerance tol = tolerance_for(dtype);
      tol.atol *= std::max(1, k) / 4.0 + 1.0;  // accumulation order differs from the BLAS
      expect_same(f(kCpu), f(kGpu), describe("matmul", dtype, c.a, c.what), tol);
    }
  }
}

TEST(CudaConsistency, Addmm) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 9500;
  struct Case {
    Shape c, a, b;  // b is given as [n, k] and transposed, as a Linear weight
    float alpha, beta;
    const char* what;
  };
  const std::vector<Case> cases = {
      // GEMV reading c in place: the residual of a decode step, a bias row, scaled.
      {{1, 1, 256}, {1, 1, 192}, {256, 192}, 1.0f, 1.0f, "gemv, residual"},
      {{256}, {3, 1, 200}, {256, 200}, 1.0f, 1.0f, "gemv, bias row for all"},
      {{2, 4, 96}, {2, 4, 2048}, {96, 2048}, 0.5f, -2.0f, "gemv, 8 rows, alpha and beta"},
      // c copied into the output first: a transposed c, and products cuBLASLt computes.
      {{1, 192}, {1, 64}, {96, 64}, 1.0f, 1.0f, "gemv, c every other element (strided view)"},
      {{16, 40}, {16, 24}, {40, 24}, 1.0f, 1.0f, "cuBLASLt, 16 rows"},
      {{3, 16, 40}, {3, 16, 24}, {40, 24}, 2.0f, 0.5f, "cuBLASLt, batched"},
  };
  for (Dtype dtype : kFloatTypes) {
    for (const auto& c : cases) {
      array ca = random_array(c.c, dtype, seed++, -1.0f, 1.0f);
      array a = random_array(c.a, dtype, seed++, -1.0f, 1.0f);
      array b = random_array(c.b, dtype, seed++, -1.0f, 1.0f);
      auto f = [&](StreamOrDevice s) {
        // A c twice as wide as the output is read through a step-2 slice.
        const int n = c.b.front();
        array addend = c.c.back() == 2 * n ? slice(ca, {0, 0}, {1, 2 * n}, {1, 2}, s) : ca;
        return addmm(addend, a, transpose(b, s), c.alpha, c.beta, s);
      };
      Tolerance tol = tolerance_for(dtype);
      tol.atol *= c.a.back() / 4.0 + 1.0;
      array gpu = f(kGpu);
      EXPECT_STREQ(gpu.primitive().name(), "AddMM") << c.what;
      expect_same(f(kCpu), gpu, describe("addmm", dtype, c.a, c.what), tol);
    }
  }
}

// The GEMV starts as a programmatic dependent of the kernel ahead (gemv.cu): it must read
// the x and the addend that kernel writes, not what the buffers held before. A decoder-like
// chain where every GEMV reads what the kernel just before it wrote (an RMSNorm, a SwiGLU, a
// residual), each step checked against the CPU; with EMBER_CUDA_PDL=0 the same run is the
// plain launch.
TEST(CudaConsistency, GemvReadsWhatTheKernelAheadWrote) {
  EMBER_REQUIRE_GPU();
  const int hidden = 512, inner = 1536, steps = 12;
  for (Dtype dtype : {float32, bfloat16}) {
    array norm_w = random_array({hidden}, dtype, 9700, 0.5f, 1.5f);
    array gate_up = random_array({2 * inner, hidden}, dtype, 9701, -0.05f, 0.05f);
    array down = random_array({hidden, inner}, dtype, 9702, -0.05f, 0.05f);
    array proj = random_array({hidden, hidden}, dtype, 9703, -0.05f, 0.05f);
    auto chain = [&](StreamOrDevice s) {
      std::vector<array> outs;
      array h = random_array({1, 1, hidden}, dtype, 9704);
      h = copy(h, s);
      for (int i = 0; i < steps; ++i) {
        h = addmm(h, fast::rms_norm(h, norm_w, 1e-6f, s), transpose(proj, s), 1.0f, 1.0f, s);
        array both = matmul(fast::rms_norm(h, norm_w, 1e-6f, s), transpose(gate_up, s), s);
        auto halves = split(both, Shape{inner}, -1, s);
        h = addmm(h, fast::swiglu(halves[0], halves[1], s), transpose(down, s), 1.0f, 1.0f, s);
        outs.push_back(h);
      }
      return outs;
    };
    const auto cpu = chain(kCpu), gpu = chain(kGpu);
    eval(gpu);
    // Rounding differences compound over the chain in bfloat16; a stale x or addend would
    // be off by the size of a whole step's update (order 1).
    const Tolerance tol = dtype == float32 ? Tolerance{1e-4, 1e-4} : Tolerance{5e-2, 5e-2};
    for (int i = 0; i < steps; ++i) {
      expect_same(cpu[i], gpu[i], "step " + std::to_string(i) + " " + std::string(dtype_name(dtype)), tol);
    }
  }
}

}  // namespace

// ---- reductions ----

namespace {

// One input shape and the axes reduced (empty with all = true: every axis, the flat form).
struct ReduceCase {
  Shape shape;
  std::vector<int> axes;
  bool all = false;
  bool keepdims = false;
  bool transposed = false;  // reduce a transposed view of the random input
  const char* what = "";
};

const std::vector<Dtype> kReduceTypes = {float32, float16, bfloat16, int32, bool_};

std::vector<ReduceCase> reduce_cases() {
  return {
      {{}, {}, true, false, false, "0-d"},
      {{0}, {}, true, false, false, "empty"},
      {{1}, {}, true, true, false, "one element"},
      {{1, 4099}, {1}, false, false, false, "1 x N row"},
      {{3, 70000}, {1}, false, false, false, "large rows"},
      {{3, 70000}, {0}, false, true, false, "columns of large rows"},
      {{300001}, {}, true, false, false, "split all-reduce"},
      {{2000, 3}, {0}, false, false, false, "split columns"},
      {{64, 48}, {0}, false, false, false, "columns"},
      {{4, 6, 5}, {0, 2}, false, false, false, "outer and inner axes"},
      {{4, 6, 5}, {1}, false, true, false, "middle axis keepdims"},
      {{4, 6, 5}, {2}, false, false, false, "short rows"},
      {{33, 17}, {1}, false, false, true, "transposed rows"},
      {{33, 17}, {0}, false, false, true, "transposed columns"},
      {{5, 7, 9}, {0, 1}, false, false, true, "transposed two axes"},
      {{2, 3, 0}, {2}, false, false, false, "empty reduced axis"},
      {{2, 0, 3}, {0}, false, false, false, "empty output"},
  };
}

int64_t reduced_size(const ReduceCase& c) {
  if (c.all) return static_cast<int64_t>(shape_size(c.shape));
  int64_t n = 1;
  for (int axis : c.axes) n *= c.shape[axis];
  return n;
}

using ReduceFn = std::function<array(const array&, const std::vector<int>&, bool, StreamOrDevice)>;
using ReduceAllFn = std::function<array(const array&, bool, StreamOrDevice)>;

struct ReduceRow {
  const char* name;
  ReduceFn fn;
  ReduceAllFn all_fn;
};

std::vector<ReduceRow> reduce_rows() {
  return {
      {"sum", [](const array& a, const std::vector<int>& ax, bool k, StreamOrDevice s) {
         return sum(a, ax, k, s); },
       [](const array& a, bool k, StreamOrDevice s) { return sum(a, k, s); }},
      {"mean", [](const array& a, const std::vector<int>& ax, bool k, StreamOrDevice s) {
         return mean(a, ax, k, s); },
       [](const array& a, bool k, StreamOrDevice s) { return mean(a, k, s); }},
      {"prod", [](const array& a, const std::vector<int>& ax, bool k, StreamOrDevice s) {
         return prod(a, ax, k, s); },
       [](const array& a, bool k, StreamOrDevice s) { return prod(a, k, s); }},
      {"max", [](const array& a, const std::vector<int>& ax, bool k, StreamOrDevice s) {
         return max(a, ax, k, s); },
       [](const array& a, bool k, StreamOrDevice s) { return max(a, k, s); }},
      {"min", [](const array& a, const std::vector<int>& ax, bool k, StreamOrDevice s) {
         return min(a, ax, k, s); },
       [](const array& a, bool k, StreamOrDevice s) { return min(a, k, s); }},
      {"all", [](const array& a, const std::vector<int>& ax, bool k, StreamOrDevice s) {
         return all(a, ax, k, s); },
       [](const array& a, bool k, StreamOrDevice s) { return all(a, k, s); }},
      {"any", [](const array& a, const std::vector<int>& ax, bool k, StreamOrDevice s) {
         return any(a, ax, k, s); },
       [](const array& a, bool k, StreamOrDevice s) { return any(a, k, s); }},
  };
}

TEST(CudaConsistency, Reduce) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 11000;
  for (const auto& row : reduce_rows()) {
    const std::string name = row.name;
    for (Dtype dtype : kReduceTypes) {
      for (const auto& c : reduce_cases()) {
        const int64_t n = reduced_size(c);
        const bool empty = shape_size(c.shape) == 0;
        if (empty && (name == "max" || name == "min")) continue;  // an error on empty input
        if (name == "mean" && (dtype == bool_ || dtype == int32 || n == 0)) continue;
        // Products stay finite (floats near 1) and integer products below 2^31.
        if (name == "prod" && (n > 40 || (!is_inexact(dtype) && n > 9))) continue;
        array x = name == "prod" ? random_array(c.shape, dtype, seed++, 0.5f, 1.5f)
                                 : random_array(c.shape, dtype, seed++);
        auto f = [&](StreamOrDevice s) {
          array input = c.transposed ? transpose(x, s) : x;
          return c.all ? row.all_fn(input, c.keepdims, s) : row.fn(input, c.axes, c.keepdims, s);
        };
        array cpu = f(kCpu), gpu = f(kGpu);
        Tolerance tol = tolerance_for(cpu.dtype());
        if (name == "sum" || name == "mean") tol.atol += 1e-6 * static_cast<double>(n);
        if (name == "prod") tol.rtol *= 4;
        expect_same(cpu, gpu, describe(row.name, dtype, c.shape, c.what), tol);
      }
    }
  }
}

TEST(CudaConsistency, ArgReduce) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 13000;
  struct Case {
    Shape shape;
    int axis;  // -100: the flattened array
    bool keepdims;
    bool transposed;
    const char* what;
  };
  const std::vector<Case> cases = {
      {{}, -100, false, false, "0-d"},
      {{7}, 0, false, false, "1-d"},
      {{1, 4099}, 1, false, false, "1 x N"},
      {{3, 70000}, 1, false, false, "large rows"},
      {{3, 70000}, 0, false, false, "across rows"},
      {{4, 6, 5}, 1, true, false, "middle axis keepdims"},
      {{33, 17}, 0, false, true, "transposed"},
      {{33, 17}, 1, false, true, "transposed rows"},
      {{6, 250}, -100, false, false, "flattened"},
  };
  for (bool is_argmax : {true, false}) {
    const char* name = is_argmax ? "argmax" : "argmin";
    for (Dtype dtype : kReduceTypes) {
      for (const auto& c : cases) {
        array x = random_array(c.shape, dtype, seed++);
        auto f = [&](StreamOrDevice s) {
          array input = c.transposed ? transpose(x, s) : x;
          if (c.axis == -100) return is_argmax ? argmax(input, c.keepdims, s) : argmin(input, c.keepdims, s);
          return is_argmax ? argmax(input, c.axis, c.keepdims, s)
                           : argmin(input, c.axis, c.keepdims, s);
        };
        expect_same(f(kCpu), f(kGpu), describe(name, dtype, c.shape, c.what), {0.0, 0.0});
      }
    }
  }
}

TEST(CudaConsistency, SoftmaxAndLogSumExp) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 15000;
  struct Case {
    Shape shape;
    std::vector<int> axes;
    bool keepdims;
    bool transposed;
    const char* what;
  };
  const std::vector<Case> cases = {
      {{7}, {0}, false, false, "1-d"},
      {{1, 4099}, {1}, false, false, "1 x N"},
      {{3, 70000}, {1}, false, false, "large rows"},
      // Rows held in registers (16-byte multiples from 1032 to 32768 elements).
      {{4, 1032}, {1}, false, false, "resident rows, one vector per thread"},
      {{3, 2048}, {1}, false, false, "resident rows"},
      {{2, 20000}, {1}, false, false, "resident rows, wide blocks"},
      {{2, 32768}, {1}, false, false, "resident rows, longest"},
      {{4, 1, 33}, {2}, true, false, "short rows keepdims"},
      {{5, 17}, {0}, false, false, "leading axis"},
      {{4, 6, 5}, {0, 2}, false, false, "two axes"},
      {{33, 17}, {1}, false, true, "transposed"},
      {{2, 0}, {0}, false, false, "empty"},
  };
  for (Dtype dtype : {float32, float16, bfloat16, int32}) {
    for (const auto& c : cases) {
      array x = random_array(c.shape, dtype, seed++, -4.0f, 4.0f);
      auto input = [&](StreamOrDevice s) { return c.transposed ? transpose(x, s) : x; };
      for (bool precise : {false, true}) {
        auto f = [&](StreamOrDevice s) { return softmax(input(s), c.axes, precise, s); };
        array cpu = f(kCpu);
        expect_same(cpu, f(kGpu),
                    describe(precise ? "softmax(precise)" : "softmax", dtype, c.shape, c.what),
                    tolerance_for(cpu.dtype()));
      }
      auto g = [&](StreamOrDevice s) { return logsumexp(input(s), c.axes, c.keepdims, s); };
      array cpu = g(kCpu);
      expect_same(cpu, g(kGpu), describe("logsumexp", dtype, c.shape, c.what),
                  tolerance_for(cpu.dtype()));
    }
    array scalar = random_array({}, dtype, seed++);
    array cpu = logsumexp(scalar, false, kCpu);
    expect_same(cpu, logsumexp(scalar, false, kGpu), describe("logsumexp", dtype, {}, "0-d"),
                tolerance_for(cpu.dtype()));
  }
}

// One unit in the last place of T (the GPU and the CPU may round a float32 result that sits
// near a rounding boundary to neighbouring values), float32's few ulp of exp and sum order,
// and f16's subnormal spacing for the small probabilities of long rows.
Tolerance long_softmax_tolerance(Dtype dtype) {
  if (dtype == bfloat16) return {1e-2, 1e-9};
  if (dtype == float16) return {2e-3, 1.2e-7};
  return {2e-5, 1e-12};
}

// Rows of `length` from `seed`, some with special values: row 1 has -inf at every third
// element, row 2 a +inf at the end, row 3 a NaN in the middle, row 4 is all -inf, row 5 is
// -inf but for one element (so most threads, and blocks of a cluster, see only -inf), and
// row 6 spans [-60, 60] (threads' maxima far apart). Other rows are uniform in [-4, 4).
array long_softmax_input(int64_t rows, int64_t length, Dtype dtype, unsigned seed, bool special) {
  auto values = random_floats(static_cast<size_t>(rows * length), seed, -4.0f, 4.0f);
  const float inf = std::numeric_limits<float>::infinity();
  auto row = [&](int64_t r) { return values.begin() + r * length; };
  if (special && rows >= 7) {
    for (int64_t i = 0; i < length; i += 3) row(1)[i] = -inf;
    row(2)[length - 1] = inf;
    row(3)[length / 2] = std::numeric_limits<float>::quiet_NaN();
    std::fill(row(4), row(5), -inf);
    std::fill(row(5), row(6), -inf);
    row(5)[length / 3] = 1.5f;
    for (int64_t i = 0; i < length; ++i) row(6)[i] *= 15.0f;
  }
  return array(values.begin(), {static_cast<int>(rows), static_cast<int>(length)}, dtype);
}

// Every long-row softmax kernel (softmax_rows.cu, Note [Long softmax rows]) against the CPU:
// 16-byte multiples of 2048 to 32768 elements (8200: not a power of two), one row, seven rows
// with special values, and enough rows that persistent blocks go round their buffers more
// than once. float32 rows of 32768 (128 KiB) are past the pipelined kernel, which hands them
// to resident; rows of 40000 are past resident too, and the kernels that do not take them
// hand them to the two-pass softmax_kernel (reduce_rows.cu).
TEST(CudaConsistency, SoftmaxLongRowKernels) {
  EMBER_REQUIRE_GPU();
  const cuda::SoftmaxVariant before = cuda::softmax_variant();
  struct Case {
    Dtype dtype;
    int64_t length;
  };
  // float32 x 40000 is 10000 vectors: only cluster takes them (8 a thread, 5 blocks).
  const std::vector<Case> cases = {
      {bfloat16, 2048}, {bfloat16, 8200}, {bfloat16, 32768}, {float16, 2048},
      {float16, 8200},  {float16, 32768}, {float32, 2048},   {float32, 8200},
      {float32, 16384}, {float32, 32768}, {float32, 40000},
  };
  unsigned seed = 17000;
  for (const auto& c : cases) {
    // Pipelined blocks get at least 6 rows, past their (at most 4) buffers, so each buffer's
    // barrier is reused with the other parity; the others get at least three waves.
    int64_t many = 0;
    for (cuda::SoftmaxVariant variant : cuda::kSoftmaxVariants) {
      const int64_t per_block = variant == cuda::SoftmaxVariant::pipelined ? 6 : 3;
      many = std::max(many, per_block * cuda::softmax_rows_in_flight(variant, c.dtype, c.length));
    }
    EXPECT_GT(many, 0) << c.dtype << " rows of " << c.length << ": no kernel takes them";
    for (const int64_t rows : {int64_t{1}, int64_t{7}, many + 1}) {
      array x = long_softmax_input(rows, c.length, c.dtype, seed++, rows == 7);
      array cpu = softmax(x, -1, true, kCpu);
      for (cuda::SoftmaxVariant variant : cuda::kSoftmaxVariants) {
        cuda::set_softmax_variant(variant);
        expect_same(cpu, softmax(x, -1, true, kGpu),
                    detail::concat("softmax ", cuda::softmax_variant_name(variant), " ", c.dtype,
                                   " ", rows, "x", c.length),
                    long_softmax_tolerance(c.dtype));
      }
    }
  }
  cuda::set_softmax_variant(before);
}

}  // namespace
