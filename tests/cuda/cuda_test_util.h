// Shared by the GPU tests: the skip-without-GPU guard, random inputs, and comparison of a
// GPU result with the CPU result of the same op under dtype-aware tolerances.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::test {

/// Skips the current test, saying why, when this machine has no GPU.
#define EMBER_REQUIRE_GPU()                                                              \
  do {                                                                                   \
    if (::ember::device_count(::ember::Device::gpu) == 0) {                              \
      GTEST_SKIP() << "no CUDA device present (device_count(gpu) == 0): GPU test skipped"; \
    }                                                                                    \
  } while (0)

inline const Device kCpu{Device::cpu, 0};
inline const Device kGpu{Device::gpu, 0};

/// `n` values in [low, high), deterministic per seed.
inline std::vector<float> random_floats(size_t n, unsigned seed, float low = -2.0f,
                                        float high = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(n);
  for (auto& v : values) v = dist(rng);
  return values;
}

/// A host array of `shape` and `dtype` with random values (integers in [1, 9], bools mixed).
inline array random_array(const Shape& shape, Dtype dtype, unsigned seed, float low = -2.0f,
                          float high = 2.0f) {
  const size_t n = shape_size(shape);
  std::vector<float> values;
  if (dtype == bool_ || is_integral(dtype)) {
    values = random_floats(n, seed, 1.0f, 10.0f);
    for (auto& v : values) v = dtype == bool_ ? (v > 5.0f ? 1.0f : 0.0f) : std::floor(v);
  } else {
    values = random_floats(n, seed, low, high);
  }
  return array(values.begin(), shape, dtype);
}

/// Relative and absolute tolerance for results of `dtype` (about twice a naive kernel's
/// error in that precision; GPU math functions differ from glibc's by a few ulp).
struct Tolerance {
  double rtol;
  double atol;
};
inline Tolerance tolerance_for(Dtype dtype) {
  if (dtype == float16) return {4e-3, 4e-3};
  if (dtype == bfloat16) return {2e-2, 2e-2};
  if (dtype == float32) return {2e-5, 1e-5};
  return {0.0, 0.0};
}

/// The values of `a` as doubles, read on the host (row-major order).
inline std::vector<double> host_values(const array& a) {
  array f = astype(contiguous(a, false, kCpu), float32, kCpu);
  f.eval();
  const float* p = f.data<float>();
  return std::vector<double>(p, p + f.size());
}

/// Expects `gpu` to equal `cpu` (shape, dtype, values within tolerance; NaN == NaN).
inline void expect_same(const array& cpu, const array& gpu, const std::string& what,
                        Tolerance tol) {
  ASSERT_EQ(cpu.shape(), gpu.shape()) << what;
  ASSERT_EQ(cpu.dtype(), gpu.dtype()) << what;
  const auto expected = host_values(cpu);
  const auto actual = host_values(gpu);
  int reported = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double e = expected[i], a = actual[i];
    const bool same = (std::isnan(e) && std::isnan(a)) || e == a ||
                      std::abs(e - a) <= tol.atol + tol.rtol * std::abs(e);
    if (!same && reported++ < 5) {
      ADD_FAILURE() << what << ": element " << i << " cpu " << e << " gpu " << a;
    }
  }
}

}  // namespace ember::test
