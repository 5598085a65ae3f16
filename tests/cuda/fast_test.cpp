// GPU kernels of the fused ops against their CPU kernels: the gated delta rule over
// sequences (prefill-shaped) and single steps carried through the state (decode-shaped),
// with grouped key heads and head sizes of the fixture and of real models.
#include "cuda_test_util.h"

#include "ember/fast/fast.h"

namespace ember::test {
namespace {

struct DeltaCase {
  int batch, steps, key_heads, value_heads, key_dim, value_dim;
};

std::vector<array> delta_inputs(const DeltaCase& c, unsigned seed) {
  auto normalised = [&](const Shape& shape, unsigned s) {
    array x = random_array(shape, float32, s);
    return x * rsqrt(sum(square(x), -1, true) + array(1e-6f));
  };
  return {normalised({c.batch, c.steps, c.key_heads, c.key_dim}, seed) *
              array(1.0f / std::sqrt(float(c.key_dim))),
          normalised({c.batch, c.steps, c.key_heads, c.key_dim}, seed + 1),
          random_array({c.batch, c.steps, c.value_heads, c.value_dim}, float32, seed + 2),
          random_array({c.batch, c.steps, c.value_heads}, float32, seed + 3, -1.0f, -0.01f),
          random_array({c.batch, c.steps, c.value_heads}, float32, seed + 4, 0.0f, 1.0f),
          random_array({c.batch, c.value_heads, c.key_dim, c.value_dim}, float32, seed + 5, -0.5f, 0.5f)};
}

TEST(CudaFast, GatedDeltaRuleMatchesCpu) {
  EMBER_REQUIRE_GPU();
  const std::vector<DeltaCase> cases = {
      {1, 1, 2, 4, 16, 16}, {1, 37, 2, 4, 16, 16}, {2, 9, 1, 3, 8, 24}, {1, 64, 16, 32, 128, 128}};
  unsigned seed = 10;
  for (const auto& c : cases) {
    auto in = delta_inputs(c, seed += 10);
    auto [y_cpu, s_cpu] = fast::gated_delta_rule(in[0], in[1], in[2], in[3], in[4], in[5], kCpu);
    auto [y_gpu, s_gpu] = fast::gated_delta_rule(in[0], in[1], in[2], in[3], in[4], in[5], kGpu);
    const std::string what = "T=" + std::to_string(c.steps) + " Dk=" + std::to_string(c.key_dim);
    expect_same(y_cpu, y_gpu, "y " + what, {1e-4, 1e-4});
    expect_same(s_cpu, s_gpu, "state " + what, {1e-4, 1e-4});
  }
}

TEST(CudaFast, GatedDeltaRuleStepsChainThroughTheState) {
  EMBER_REQUIRE_GPU();
  const DeltaCase c{1, 12, 2, 4, 32, 32};
  auto in = delta_inputs(c, 99);
  auto [y_full, s_full] = fast::gated_delta_rule(in[0], in[1], in[2], in[3], in[4], in[5], kCpu);
  array state = in[5];
  std::vector<array> ys;
  for (int t = 0; t < c.steps; ++t) {
    auto step = [&](const array& a) {
      Shape start(a.ndim(), 0), stop(a.shape());
      start[1] = t;
      stop[1] = t + 1;
      return slice(a, start, stop, kGpu);
    };
    auto [y, s] = fast::gated_delta_rule(step(in[0]), step(in[1]), step(in[2]), step(in[3]),
                                         step(in[4]), state, kGpu);
    ys.push_back(y);
    state = s;
  }
  expect_same(y_full, concatenate(ys, 1, kGpu), "y stepwise", {1e-4, 1e-4});
  expect_same(s_full, state, "state stepwise", {1e-4, 1e-4});
}

}  // namespace
}  // namespace ember::test

namespace ember::test {
namespace {

// gather_mm as mixture-of-experts layers use it: tokens [N, 1, 1, H] against transposed
// expert weights [E, H, I] (a strided view, not copied), k experts per token.
TEST(CudaGatherMM, MatchesCpuForExpertShapes) {
  EMBER_REQUIRE_GPU();
  for (Dtype dtype : {float32, bfloat16, float16}) {
    const int tokens = 5, experts = 6, hidden = 40, inter = 24, top = 2;
    array x = random_array({tokens, 1, 1, hidden}, dtype, 1);
    array w = swapaxes(random_array({experts, inter, hidden}, dtype, 2), -1, -2);
    std::vector<int32_t> idx;
    for (int t = 0; t < tokens; ++t) {
      for (int j = 0; j < top; ++j) idx.push_back((t * 3 + j * 2) % experts);
    }
    array chosen(idx.begin(), {tokens, top}, int32);
    array cpu = gather_mm(x, w, std::nullopt, chosen, false, kCpu);
    array gpu = gather_mm(x, w, std::nullopt, chosen, false, kGpu);
    expect_same(cpu, gpu, std::string("gather_mm ") + std::string(dtype_name(dtype)),
                dtype == float32 ? Tolerance{1e-5, 1e-5} : tolerance_for(dtype));
  }
  // Several rows per matrix and explicit lhs indices.
  array a = random_array({3, 17, 33}, float32, 5);
  array b = random_array({4, 33, 19}, float32, 6);
  array lhs(std::vector<int32_t>{2, 0, 1, 2}.begin(), {4}, int32);
  array rhs(std::vector<int32_t>{3, 3, 0, 1}.begin(), {4}, int32);
  expect_same(gather_mm(a, b, lhs, rhs, false, kCpu), gather_mm(a, b, lhs, rhs, false, kGpu),
              "gather_mm rows", {1e-5, 1e-5});
}

}  // namespace
}  // namespace ember::test
