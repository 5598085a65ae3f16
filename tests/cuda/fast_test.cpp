// GPU kernels of the fused ops against their CPU kernels: the gated delta rule and
// gated_delta_update (gates and q/k norms in the kernel, operands strided as Gated DeltaNet
// passes them) over sequences (prefill-shaped) and single steps carried through the state
// (decode-shaped), with grouped key heads and head sizes of the fixture and of real models;
// causal_conv1d_update on a strided x at decode and prefill shapes and stepwise; decode-shaped
// attention (the fused primitive), unmasked, causal and with array masks, against the CPU
// composition, and a mask over a fixed-capacity cache against attention over its prefix.
#include "ember/fast/fast.h"

#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "cuda_test_util.h"
#include "ember/fast/primitives.h"

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

// gated_delta_update's operands as a Gated DeltaNet layer passes them: q, k, v head views of
// one [B, T, 2 Hk Dk + Hv Dv] conv output and b, a columns of one projection, made by ops on
// the device under test from host data.
struct UpdateOperands {
  array conv, projected, a_log, dt_bias, state;
  DeltaCase c;
  std::vector<array> views(Device device) const {
    const int key_total = c.key_heads * c.key_dim;
    auto heads = [&](int from, int count, int dim) {
      return reshape(slice(conv, {0, 0, from}, {c.batch, c.steps, from + count * dim}, device),
                     {c.batch, c.steps, count, dim}, device);
    };
    auto columns = [&](int from) {
      return slice(projected, {0, 0, from}, {c.batch, c.steps, from + c.value_heads}, device);
    };
    return {heads(0, c.key_heads, c.key_dim), heads(key_total, c.key_heads, c.key_dim),
            heads(2 * key_total, c.value_heads, c.value_dim), columns(3 + c.value_heads),
            columns(3)};
  }
};

UpdateOperands update_operands(const DeltaCase& c, Dtype dtype, unsigned seed) {
  const int channels = 2 * c.key_heads * c.key_dim + c.value_heads * c.value_dim;
  return {random_array({c.batch, c.steps, channels}, dtype, seed),
          // [3 other columns | b | a]; a reaches past 20, where softplus passes it through.
          random_array({c.batch, c.steps, 3 + 2 * c.value_heads}, dtype, seed + 1, -4.0f, 24.0f),
          random_array({c.value_heads}, float32, seed + 2, -2.0f, 1.0f),
          random_array({c.value_heads}, float32, seed + 3, -1.0f, 1.0f),
          random_array({c.batch, c.value_heads, c.key_dim, c.value_dim}, float32, seed + 4, -0.5f,
                       0.5f),
          c};
}

std::pair<array, array> run_update(const UpdateOperands& in, const std::vector<array>& views,
                                   const array& state, Device device) {
  return fast::gated_delta_update(views[0], views[1], views[2], views[3], views[4], in.a_log,
                                  in.dt_bias, state, /*normalize_qk=*/true, device);
}

TEST(CudaFast, GatedDeltaUpdateMatchesCpu) {
  EMBER_REQUIRE_GPU();
  const std::vector<DeltaCase> cases = {{1, 1, 2, 4, 64, 64},
                                        {2, 1, 16, 32, 128, 128},
                                        {1, 37, 2, 4, 16, 16},
                                        {2, 9, 1, 3, 8, 24},
                                        {1, 64, 16, 32, 128, 128}};
  unsigned seed = 200;
  for (Dtype dtype : {float32, bfloat16}) {
    for (const auto& c : cases) {
      const UpdateOperands in = update_operands(c, dtype, seed += 10);
      auto [y_cpu, s_cpu] = run_update(in, in.views(kCpu), in.state, kCpu);
      auto [y_gpu, s_gpu] = run_update(in, in.views(kGpu), in.state, kGpu);
      const std::string what = std::string(dtype_name(dtype)) + " T=" + std::to_string(c.steps) +
                               " Dk=" + std::to_string(c.key_dim);
      expect_same(y_cpu, y_gpu, "y " + what,
                  dtype == float32 ? Tolerance{1e-4, 1e-4} : tolerance_for(dtype));
      expect_same(s_cpu, s_gpu, "state " + what, {1e-4, 1e-4});
    }
  }
  // Without the norms, on small q and k, and the gates given as float16 logits.
  const DeltaCase c{1, 5, 2, 4, 32, 32};
  const UpdateOperands in = update_operands(c, float16, 300);
  auto unnormalised = [&](Device device) {
    auto v = in.views(device);
    const array scale(1.0f / 16.0f, float16);
    return fast::gated_delta_update(multiply(v[0], scale, device), multiply(v[1], scale, device),
                                    v[2], v[3], v[4], in.a_log, in.dt_bias, in.state, false,
                                    device);
  };
  auto [y_cpu, s_cpu] = unnormalised(kCpu);
  auto [y_gpu, s_gpu] = unnormalised(kGpu);
  expect_same(y_cpu, y_gpu, "y float16 unnormalised", tolerance_for(float16));
  expect_same(s_cpu, s_gpu, "state float16 unnormalised", {1e-4, 1e-4});
}

TEST(CudaFast, GatedDeltaUpdateStepsChainThroughTheState) {
  EMBER_REQUIRE_GPU();
  const DeltaCase c{1, 12, 2, 4, 32, 32};
  const UpdateOperands in = update_operands(c, bfloat16, 400);
  auto [y_full, s_full] = run_update(in, in.views(kCpu), in.state, kCpu);
  const std::vector<array> views = in.views(kGpu);
  array state = in.state;
  std::vector<array> ys;
  for (int t = 0; t < c.steps; ++t) {
    std::vector<array> step;
    for (const array& x : views) {
      Shape start(x.ndim(), 0), stop(x.shape());
      start[1] = t;
      stop[1] = t + 1;
      step.push_back(slice(x, start, stop, kGpu));
    }
    auto [y, s] = run_update(in, step, state, kGpu);
    ys.push_back(y);
    state = s;
  }
  expect_same(y_full, concatenate(ys, 1, kGpu), "y stepwise", tolerance_for(bfloat16));
  expect_same(s_full, state, "state stepwise", {1e-4, 1e-4});
}

TEST(CudaFast, LongSequencesTakeTheChunkedDeltaRule) {
  EMBER_REQUIRE_GPU();
  // From 256 steps the GPU runs the chunked form (fast/delta_chunked.h; the CPU keeps the
  // recurrence): a sequence ending inside a chunk at the hybrid model's head sizes, through
  // both entry points, against the CPU's step-by-step result.
  const DeltaCase c{1, 300, 2, 4, 128, 128};
  auto in = delta_inputs(c, 77);
  auto [y_cpu, s_cpu] = fast::gated_delta_rule(in[0], in[1], in[2], in[3], in[4], in[5], kCpu);
  auto [y_gpu, s_gpu] = fast::gated_delta_rule(in[0], in[1], in[2], in[3], in[4], in[5], kGpu);
  ASSERT_TRUE(y_gpu.has_primitive());
  EXPECT_STRNE(y_gpu.primitive().name(), "GatedDeltaRule") << "the GPU kept the recurrence";
  expect_same(y_cpu, y_gpu, "y chunked", {1e-4, 1e-4});
  expect_same(s_cpu, s_gpu, "state chunked", {1e-4, 1e-4});

  const UpdateOperands update = update_operands(c, bfloat16, 78);
  auto [yu_cpu, su_cpu] = run_update(update, update.views(kCpu), update.state, kCpu);
  auto [yu_gpu, su_gpu] = run_update(update, update.views(kGpu), update.state, kGpu);
  expect_same(yu_cpu, yu_gpu, "gated_delta_update y chunked", tolerance_for(bfloat16));
  expect_same(su_cpu, su_gpu, "gated_delta_update state chunked", {1e-4, 1e-4});
}

TEST(CudaFast, CausalConv1dUpdateMatchesCpu) {
  EMBER_REQUIRE_GPU();
  struct ConvCase {
    int batch, steps, channels, taps;
  };
  // Decode at a real model's width, prefill over several runs of steps a thread, fewer steps
  // than the state's rows, no state (K = 1), an odd channel count.
  const std::vector<ConvCase> cases = {{1, 1, 8192, 4}, {2, 7, 40, 4}, {1, 300, 96, 4},
                                       {1, 2, 16, 4},   {2, 3, 8, 1},  {1, 5, 33, 3}};
  unsigned seed = 500;
  for (Dtype dtype : {float32, bfloat16, float16}) {
    for (const auto& c : cases) {
      for (int mode = 0; mode < 4; ++mode) {
        const bool with_bias = mode & 1, silu = mode & 2;
        // x: the middle columns of a wider projection (strided rows).
        array wide = random_array({c.batch, c.steps, 3 * c.channels}, dtype, seed += 10);
        array state = random_array({c.batch, c.taps - 1, c.channels}, dtype, seed + 1);
        array weight = random_array({c.taps, c.channels}, dtype, seed + 2, -1.0f, 1.0f);
        std::optional<array> bias;
        if (with_bias) bias = random_array({c.channels}, dtype, seed + 3);
        auto run = [&](Device device) {
          array x = slice(wide, {0, 0, c.channels}, {c.batch, c.steps, 2 * c.channels}, device);
          return fast::causal_conv1d_update(x, state, weight, bias, silu, device);
        };
        auto [out_cpu, next_cpu] = run(kCpu);
        auto [out_gpu, next_gpu] = run(kGpu);
        const std::string what = std::string(dtype_name(dtype)) + " T=" + std::to_string(c.steps) +
                                 " C=" + std::to_string(c.channels) +
                                 " K=" + std::to_string(c.taps) + (with_bias ? " bias" : "") +
                                 (silu ? " silu" : "");
        expect_same(out_cpu, out_gpu, what, tolerance_for(dtype));
        expect_same(next_cpu, next_gpu, "next state " + what, {0.0, 0.0});
      }
    }
  }
}

TEST(CudaFast, CausalConv1dUpdateStepsChainThroughTheState) {
  EMBER_REQUIRE_GPU();
  const int batch = 2, steps = 6, channels = 64, taps = 4;
  array x = random_array({batch, steps, channels}, bfloat16, 600);
  array weight = random_array({taps, channels}, bfloat16, 601);
  array bias = random_array({channels}, bfloat16, 602);
  array state = random_array({batch, taps - 1, channels}, bfloat16, 603);
  auto [out_full, state_full] = fast::causal_conv1d_update(x, state, weight, bias, true, kCpu);
  std::vector<array> outs;
  for (int t = 0; t < steps; ++t) {
    auto [out, next] = fast::causal_conv1d_update(
        slice(x, {0, t, 0}, {batch, t + 1, channels}, kGpu), state, weight, bias, true, kGpu);
    outs.push_back(out);
    state = next;
  }
  expect_same(out_full, concatenate(outs, 1, kGpu), "stepwise", tolerance_for(bfloat16));
  expect_same(state_full, state, "stepwise state", {0.0, 0.0});
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

namespace ember::test {
namespace {

// Decode-shaped attention: L queries against keys and values read as the model passes them,
// a slice [:, :, :S, :] of a larger KV cache (so rows are strided, not copied).
struct AttentionCase {
  int batch, q_heads, kv_heads, length, kv_length, head_dim;
};

std::string attention_name(const AttentionCase& c, Dtype dtype, const std::string& mode) {
  std::ostringstream os;
  os << dtype << " B=" << c.batch << " Hq=" << c.q_heads << " Hkv=" << c.kv_heads
     << " L=" << c.length << " S=" << c.kv_length << " D=" << c.head_dim << " mask='" << mode
     << "'";
  return os.str();
}

// q [B, Hq, L, D] and k, v as slices of [B, Hkv, S + 13, D] caches, on `device`.
std::vector<array> attention_inputs(const AttentionCase& c, Dtype dtype, unsigned seed,
                                    Device device) {
  const int capacity = c.kv_length + 13;
  array q = random_array({c.batch, c.q_heads, c.length, c.head_dim}, dtype, seed);
  array k_cache = random_array({c.batch, c.kv_heads, capacity, c.head_dim}, dtype, seed + 1);
  array v_cache = random_array({c.batch, c.kv_heads, capacity, c.head_dim}, dtype, seed + 2);
  const Shape stop{c.batch, c.kv_heads, c.kv_length, c.head_dim};
  return {q, slice(k_cache, {0, 0, 0, 0}, stop, device),
          slice(v_cache, {0, 0, 0, 0}, stop, device)};
}

std::string primitive_name(const array& a) {
  return a.has_primitive() ? a.primitive().name() : "(none)";
}

Tolerance attention_tolerance(Dtype dtype) {
  return dtype == float32 ? Tolerance{1e-4, 1e-4} : tolerance_for(dtype);
}

// Unmasked or causal attention of the case on both devices (inputs from `seed`): the GPU's
// is one fused node and matches the CPU's within `tolerance`.
void expect_fused_attention_matches_cpu(const AttentionCase& c, Dtype dtype,
                                        const std::string& mode, unsigned seed,
                                        Tolerance tolerance) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  auto cpu_in = attention_inputs(c, dtype, seed, kCpu);
  auto gpu_in = attention_inputs(c, dtype, seed, kGpu);
  array cpu = fast::scaled_dot_product_attention(cpu_in[0], cpu_in[1], cpu_in[2], scale, mode,
                                                 std::nullopt, kCpu);
  array gpu = fast::scaled_dot_product_attention(gpu_in[0], gpu_in[1], gpu_in[2], scale, mode,
                                                 std::nullopt, kGpu);
  const std::string what = attention_name(c, dtype, mode);
  ASSERT_EQ(primitive_name(gpu), "ScaledDotProductAttention") << what;
  expect_same(cpu, gpu, what, tolerance);
}

TEST(CudaFast, AttentionDecodeMatchesCpuComposition) {
  EMBER_REQUIRE_GPU();
  const std::vector<AttentionCase> heads = {{1, 16, 8, 0, 0, 128}, {1, 8, 2, 0, 0, 256},
                                            {2, 4, 4, 0, 0, 64}};
  unsigned seed = 200;
  for (AttentionCase c : heads) {
    for (Dtype dtype : {bfloat16, float32}) {
      for (int length : {1, 4}) {
        for (int kv_length : {1, 7, 300, 2048 + 5}) {
          for (const std::string mode : {"", "causal"}) {
            c.length = length;
            c.kv_length = kv_length;
            expect_fused_attention_matches_cpu(c, dtype, mode, seed, attention_tolerance(dtype));
            seed += 3;
          }
        }
      }
    }
  }
}

// Head sizes 80 and 96, float16, 8 queries and wide groups (more rows than one block takes),
// and keys whose rows are not 16-byte aligned (copied before the kernel).
TEST(CudaFast, AttentionDecodeOtherShapesAndLayouts) {
  EMBER_REQUIRE_GPU();
  const std::vector<AttentionCase> cases = {{1, 8, 1, 8, 515, 80}, {2, 32, 2, 5, 64, 96},
                                            {1, 6, 3, 3, 33, 128}};
  unsigned seed = 500;
  for (const auto& c : cases) {
    for (const std::string mode : {"", "causal"}) {
      const float scale = 0.7f / std::sqrt(static_cast<float>(c.head_dim));
      auto cpu_in = attention_inputs(c, float16, seed, kCpu);
      auto gpu_in = attention_inputs(c, float16, seed, kGpu);
      seed += 3;
      array cpu = fast::scaled_dot_product_attention(cpu_in[0], cpu_in[1], cpu_in[2], scale, mode,
                                                     std::nullopt, kCpu);
      array gpu = fast::scaled_dot_product_attention(gpu_in[0], gpu_in[1], gpu_in[2], scale, mode,
                                                     std::nullopt, kGpu);
      const std::string what = attention_name(c, float16, mode);
      ASSERT_EQ(primitive_name(gpu), "ScaledDotProductAttention") << what;
      expect_same(cpu, gpu, what, tolerance_for(float16));
    }
  }
  // Keys with one extra feature, sliced off the front: rows 129 elements apart.
  array q = random_array({1, 4, 2, 128}, bfloat16, 7);
  array k_wide = random_array({1, 2, 40, 129}, bfloat16, 8);
  array v = random_array({1, 2, 40, 128}, bfloat16, 9);
  auto k_of = [&](Device d) { return slice(k_wide, {0, 0, 0, 1}, {1, 2, 40, 129}, d); };
  array cpu = fast::scaled_dot_product_attention(q, k_of(kCpu), v, 0.1f, "causal", std::nullopt,
                                                 kCpu);
  array gpu = fast::scaled_dot_product_attention(q, k_of(kGpu), v, 0.1f, "causal", std::nullopt,
                                                 kGpu);
  ASSERT_EQ(primitive_name(gpu), "ScaledDotProductAttention");
  expect_same(cpu, gpu, "unaligned key rows", tolerance_for(bfloat16));
}

// Prefill-shaped calls (more than 8 queries) of 16-bit inputs run the tensor-core kernel
// (flash_prefill.cu): against the CPU's float32 composition, with grouped heads, a query
// tile cut short, keys past the last tile boundary, a cache longer than the queries
// (causal offset), key rows read in place from a wider cache, and rows that see no key
// (more queries than keys under "causal": NaN, as the composition gives).
TEST(CudaFast, AttentionPrefillMatchesCpu) {
  EMBER_REQUIRE_GPU();
  const std::vector<AttentionCase> cases = {{1, 16, 8, 100, 100, 128}, {2, 8, 2, 77, 130, 64},
                                            {1, 4, 4, 64, 64, 128},   {1, 6, 3, 200, 331, 128},
                                            {1, 4, 2, 40, 20, 64},    {1, 8, 2, 70, 90, 256}};
  unsigned seed = 700;
  for (const auto& c : cases) {
    for (Dtype dtype : {bfloat16, float16}) {
      for (const std::string mode : {"", "causal"}) {
        expect_fused_attention_matches_cpu(c, dtype, mode, seed, tolerance_for(dtype));
        seed += 3;
      }
    }
  }
}

// Calls outside the kernel's limits keep the composition on the GPU and still match.
TEST(CudaFast, AttentionOutsideDecodeUsesTheComposition) {
  EMBER_REQUIRE_GPU();
  const AttentionCase c{1, 8, 2, 4, 37, 64};
  auto in = attention_inputs(c, bfloat16, 31, kCpu);
  array mask = random_array({1, 1, 4, 37}, int32, 32);  // additive integers: not the kernel's
  array cpu = fast::scaled_dot_product_attention(in[0], in[1], in[2], 0.125f, "array", mask, kCpu);
  array gpu = fast::scaled_dot_product_attention(in[0], in[1], in[2], 0.125f, "array", mask, kGpu);
  EXPECT_NE(primitive_name(gpu), "ScaledDotProductAttention");
  expect_same(cpu, gpu, "int32 array mask", tolerance_for(bfloat16));

  const AttentionCase prefill{1, 8, 2, 64, 64, 128};
  auto p = attention_inputs(prefill, float32, 41, kCpu);
  array p_cpu = fast::scaled_dot_product_attention(p[0], p[1], p[2], 0.08f, "causal", std::nullopt,
                                                   kCpu);
  array p_gpu = fast::scaled_dot_product_attention(p[0], p[1], p[2], 0.08f, "causal", std::nullopt,
                                                   kGpu);
  EXPECT_NE(primitive_name(p_gpu), "ScaledDotProductAttention");
  expect_same(p_cpu, p_gpu, "L=64", attention_tolerance(float32));
}

// The primitive's CPU kernel (never chosen by fast.cpp, which keeps the composition on the
// CPU) against the composition, including fully masked rows (S < L under "causal": NaN).
TEST(CudaFast, AttentionPrimitiveOnCpuMatchesComposition) {
  const std::vector<AttentionCase> cases = {{2, 4, 2, 4, 1, 64}, {1, 8, 2, 1, 300, 128},
                                            {1, 4, 4, 8, 9, 80}};
  unsigned seed = 900;
  for (const auto& c : cases) {
    for (Dtype dtype : {float32, bfloat16, float16}) {
      for (const std::string mode : {"", "causal"}) {
        auto in = attention_inputs(c, dtype, seed, kCpu);
        seed += 3;
        const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
        array expected = fast::scaled_dot_product_attention(in[0], in[1], in[2], scale, mode,
                                                            std::nullopt, kCpu);
        array fused(Shape(in[0].shape()), dtype,
                    std::make_shared<fast::ScaledDotProductAttention>(
                        default_stream(kCpu), scale, mode == "causal", false),
                    {in[0], in[1], in[2]});
        expect_same(expected, fused, attention_name(c, dtype, mode),
                    dtype == float32 ? Tolerance{1e-5, 1e-5} : tolerance_for(dtype));
      }
    }
  }
}

// Array masks for decode-shaped attention: shapes that broadcast to [B, Hq, L, S] (keys only,
// per query, per head), boolean or additive, in place through strides (a slice of a wider
// mask, a broadcast view). Every call must be the fused node on the GPU.
struct MaskCase {
  std::string name;
  Shape shape;  // -1 stands for B, Hq, L or S
  Dtype dtype;            // bool_, or the additive terms' dtype
  bool strided = false;  // a slice [..., :S] of a mask 5 keys wider
};

std::vector<MaskCase> mask_cases(Dtype dtype) {
  return {{"bool [S]", {-1}, bool_},
          {"bool [1,1,1,S]", {1, 1, 1, -1}, bool_},
          {"bool [B,1,L,S]", {-1, 1, -1, -1}, bool_},
          {"bool [B,Hq,L,S]", {-1, -1, -1, -1}, bool_},
          {"bool [L,S] strided", {-1, -1}, bool_, true},
          {"additive [B,1,L,S]", {-1, 1, -1, -1}, dtype},
          {"additive float32 [1,Hq,1,S]", {1, -1, 1, -1}, float32},
          {"additive [1,1,L,S] strided", {1, 1, -1, -1}, dtype, true}};
}

// A random mask of `m`'s shape for c: bools about half true, additive terms in [-3, 1] with
// about a fifth of them -inf.
array make_mask(const MaskCase& m, const AttentionCase& c, unsigned seed) {
  const int full[4] = {c.batch, c.q_heads, c.length, c.kv_length};
  Shape shape = m.shape;
  const int skipped = 4 - static_cast<int>(shape.size());
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    if (shape[axis] == -1) shape[axis] = full[skipped + axis];
  }
  Shape wide = shape;
  if (m.strided) wide.back() += 5;
  array mask = random_array(wide, bool_, seed);
  if (m.dtype != bool_) {
    array terms = random_array(wide, float32, seed + 1, -3.0f, 1.0f);
    array dropped = random_array(wide, float32, seed + 2, 0.0f, 1.0f) < array(0.2f);
    mask = astype(where(dropped, array(-std::numeric_limits<float>::infinity()), terms), m.dtype);
  }
  if (!m.strided) return mask;
  Shape start(shape.size(), 0);
  return slice(mask, start, shape);
}

TEST(CudaFast, AttentionDecodeWithArrayMaskMatchesCpuComposition) {
  EMBER_REQUIRE_GPU();
  // Grouped heads (Hq = 4 Hkv) at head sizes 64 and 128, batch 2 for one.
  const std::vector<AttentionCase> heads = {{2, 8, 2, 0, 0, 64}, {1, 16, 4, 0, 0, 128}};
  unsigned seed = 1300;
  for (AttentionCase c : heads) {
    for (Dtype dtype : {bfloat16, float16, float32}) {
      for (int length : {1, 4}) {
        for (int kv_length : {37, 300}) {  // not multiples of a tile; 300 spans several chunks
          c.length = length;
          c.kv_length = kv_length;
          const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
          auto cpu_in = attention_inputs(c, dtype, seed, kCpu);
          auto gpu_in = attention_inputs(c, dtype, seed, kGpu);
          for (const MaskCase& m : mask_cases(dtype)) {
            array mask = make_mask(m, c, seed += 3);
            array cpu = fast::scaled_dot_product_attention(cpu_in[0], cpu_in[1], cpu_in[2], scale,
                                                           "array", mask, kCpu);
            array gpu = fast::scaled_dot_product_attention(gpu_in[0], gpu_in[1], gpu_in[2], scale,
                                                           "array", mask, kGpu);
            const std::string what = attention_name(c, dtype, "array") + " " + m.name;
            ASSERT_EQ(primitive_name(gpu), "ScaledDotProductAttention") << what;
            expect_same(cpu, gpu, what, attention_tolerance(dtype));
          }
        }
      }
    }
  }
}

// A mask broadcast by broadcast_to (stride-0 axes in the view itself) and one whose rows are
// fully masked: those rows are NaN, as the composition's softmax over -inf gives.
TEST(CudaFast, AttentionDecodeMaskViewsAndFullyMaskedRows) {
  EMBER_REQUIRE_GPU();
  const AttentionCase c{2, 8, 2, 4, 70, 128};
  auto in = attention_inputs(c, bfloat16, 1400, kCpu);
  const float scale = 1.0f / std::sqrt(128.0f);
  array keys = random_array({1, 1, 1, 70}, bool_, 1401);
  array broadcast = broadcast_to(keys, {2, 8, 4, 70});
  array cpu = fast::scaled_dot_product_attention(in[0], in[1], in[2], scale, "array", broadcast,
                                                 kCpu);
  array gpu = fast::scaled_dot_product_attention(in[0], in[1], in[2], scale, "array", broadcast,
                                                 kGpu);
  ASSERT_EQ(primitive_name(gpu), "ScaledDotProductAttention");
  expect_same(cpu, gpu, "broadcast_to mask", tolerance_for(bfloat16));

  // Query 1 of batch 0 sees no key (bool), query 2 of batch 1 adds -inf to every key.
  std::vector<bool> keep(2 * 4 * 70, true);
  for (int j = 0; j < 70; ++j) keep[(0 * 4 + 1) * 70 + j] = false;
  for (int j = 0; j < 70; ++j) keep[(1 * 4 + 2) * 70 + j] = false;
  std::vector<float> keep_values(keep.begin(), keep.end());
  array boolean = array(keep_values.begin(), {2, 1, 4, 70}, bool_);
  array additive = where(boolean, array(0.0f), array(-std::numeric_limits<float>::infinity()));
  for (const array& mask : {boolean, astype(additive, bfloat16)}) {
    array masked_cpu = fast::scaled_dot_product_attention(in[0], in[1], in[2], scale, "array",
                                                          mask, kCpu);
    array masked_gpu = fast::scaled_dot_product_attention(in[0], in[1], in[2], scale, "array",
                                                          mask, kGpu);
    const std::string what = std::string("fully masked rows, ") + std::string(dtype_name(mask.dtype()));
    ASSERT_EQ(primitive_name(masked_gpu), "ScaledDotProductAttention") << what;
    expect_same(masked_cpu, masked_gpu, what, tolerance_for(bfloat16));
    const auto values = host_values(masked_gpu);  // [2, 8, 4, 128]
    EXPECT_TRUE(std::isnan(values[((0 * 8 + 3) * 4 + 1) * 128])) << what;
    EXPECT_TRUE(std::isnan(values[((1 * 8 + 5) * 4 + 2) * 128 + 7])) << what;
    EXPECT_FALSE(std::isnan(values[((1 * 8 + 5) * 4 + 1) * 128])) << what;
  }
}

// The decode step over a fixed-capacity cache: a [capacity] or [1, 1, 1, capacity] mask keeps
// the first `valid` keys, and the slots past them hold large stale values that must not leak.
// Masked attention over the whole cache must match unmasked attention over the prefix.
TEST(CudaFast, AttentionDecodePrefixMaskMatchesAttentionOverThePrefix) {
  EMBER_REQUIRE_GPU();
  const int capacity = 512;
  const std::vector<AttentionCase> heads = {{1, 16, 4, 0, capacity, 128}, {2, 8, 2, 0, capacity, 64}};
  unsigned seed = 1500;
  for (const AttentionCase& h : heads) {
    for (Dtype dtype : {bfloat16, float16, float32}) {
      for (int length : {1, 4}) {
        for (int valid : {1, 33, 257, capacity - 1}) {
          AttentionCase c = h;
          c.length = length;
          seed += 4;
          array q = random_array({c.batch, c.q_heads, length, c.head_dim}, dtype, seed);
          const Shape cache_shape{c.batch, c.kv_heads, capacity, c.head_dim};
          const Shape stop{c.batch, c.kv_heads, valid, c.head_dim};
          array fresh_k = random_array(cache_shape, dtype, seed + 1);
          array fresh_v = random_array(cache_shape, dtype, seed + 2);
          array stale = random_array(cache_shape, dtype, seed + 3, 40.0f, 60.0f);
          array position = reshape(arange(0, capacity, int32), {1, 1, capacity, 1});
          array is_valid = position < array(valid);
          array k_cache = where(is_valid, fresh_k, stale);
          array v_cache = where(is_valid, fresh_v, stale);
          array k_prefix = slice(k_cache, {0, 0, 0, 0}, stop, kGpu);
          array v_prefix = slice(v_cache, {0, 0, 0, 0}, stop, kGpu);
          const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
          array keep = arange(0, capacity, int32) < array(valid);
          for (const array& mask : {keep, reshape(keep, {1, 1, 1, capacity})}) {
            std::ostringstream what;
            what << attention_name(c, dtype, "array") << " valid=" << valid << " mask "
                 << shape_to_string(mask.shape());
            array masked = fast::scaled_dot_product_attention(q, k_cache, v_cache, scale, "array",
                                                              mask, kGpu);
            array prefix = fast::scaled_dot_product_attention(q, k_prefix, v_prefix, scale, "",
                                                              std::nullopt, kGpu);
            ASSERT_EQ(primitive_name(masked), "ScaledDotProductAttention") << what.str();
            expect_same(prefix, masked, what.str() + " vs prefix on the GPU",
                        dtype == float32 ? Tolerance{1e-5, 1e-5} : tolerance_for(dtype));
            array reference = fast::scaled_dot_product_attention(
                q, slice(k_cache, {0, 0, 0, 0}, stop, kCpu), slice(v_cache, {0, 0, 0, 0}, stop, kCpu),
                scale, "", std::nullopt, kCpu);
            expect_same(reference, masked, what.str() + " vs the CPU composition",
                        attention_tolerance(dtype));
          }
        }
      }
    }
  }
}

// The primitive's CPU kernel with masks (bool and additive, broadcast and full, strided)
// against the composition; this is the reference the GPU kernel's semantics follow.
TEST(CudaFast, AttentionPrimitiveWithMaskOnCpuMatchesComposition) {
  const std::vector<AttentionCase> cases = {{2, 8, 2, 4, 37, 64}, {1, 8, 2, 1, 40, 128}};
  unsigned seed = 1700;
  for (const auto& c : cases) {
    for (Dtype dtype : {float32, bfloat16, float16}) {
      auto in = attention_inputs(c, dtype, seed, kCpu);
      const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
      for (const MaskCase& m : mask_cases(dtype)) {
        array mask = make_mask(m, c, seed += 3);
        array expected =
            fast::scaled_dot_product_attention(in[0], in[1], in[2], scale, "array", mask, kCpu);
        array fused(Shape(in[0].shape()), dtype,
                    std::make_shared<fast::ScaledDotProductAttention>(default_stream(kCpu), scale,
                                                                      false, true),
                    {in[0], in[1], in[2], mask});
        expect_same(expected, fused, attention_name(c, dtype, "array") + " " + m.name,
                    dtype == float32 ? Tolerance{1e-5, 1e-5} : tolerance_for(dtype));
      }
    }
  }
}

}  // namespace
}  // namespace ember::test

namespace ember::test {
namespace {

// rms_norm, layer_norm and rope: the fused GPU kernels against the fused CPU kernels.
// Norm rows cover the warp-per-row path (<= 1024), the block path (2048, 4096 of current
// models, 9000), rows not a multiple of the vector width and a misaligned row start.

const std::vector<Dtype> kNormDtypes = {float32, float16, bfloat16};
const std::vector<Shape> kNormRowShapes = {{4, 64}, {3, 130}, {2, 3, 1000}, {1, 2048},
                                           {8, 2048}, {1, 4096}, {6, 4096}, {5, 9000}};

// A row-contiguous [rows, length] view that starts one element into its buffer.
array misaligned_rows(int rows, int length, Dtype dtype, unsigned seed) {
  array flat = random_array({rows * length + 1}, dtype, seed);
  return reshape(slice(flat, {1}, {rows * length + 1}), {rows, length});
}

TEST(CudaFast, RmsNormMatchesCpu) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 500;
  for (Dtype dtype : kNormDtypes) {
    for (const Shape& shape : kNormRowShapes) {
      array x = random_array(shape, dtype, ++seed);
      array w = random_array({shape.back()}, dtype, ++seed, 0.5f, 2.0f);
      const std::string what = "rms_norm " + std::string(dtype_name(dtype)) + " " +
                               shape_to_string(shape);
      expect_same(fast::rms_norm(x, std::nullopt, 1e-5f, kCpu),
                  fast::rms_norm(x, std::nullopt, 1e-5f, kGpu), what, tolerance_for(dtype));
      expect_same(fast::rms_norm(x, w, 1e-6f, kCpu), fast::rms_norm(x, w, 1e-6f, kGpu),
                  what + " weight", tolerance_for(dtype));
    }
    array odd = misaligned_rows(3, 256, dtype, ++seed);
    array w = random_array({256}, dtype, ++seed);
    expect_same(fast::rms_norm(odd, w, 1e-5f, kCpu), fast::rms_norm(odd, w, 1e-5f, kGpu),
                "rms_norm misaligned " + std::string(dtype_name(dtype)), tolerance_for(dtype));
    array t = transpose(random_array({96, 5}, dtype, ++seed));
    array wt = random_array({96}, dtype, ++seed);
    expect_same(fast::rms_norm(t, wt, 1e-5f, kCpu), fast::rms_norm(t, wt, 1e-5f, kGpu),
                "rms_norm transposed " + std::string(dtype_name(dtype)), tolerance_for(dtype));
  }
  // A float32 weight promotes 16-bit rows to float32 output.
  for (Dtype dtype : {float16, bfloat16}) {
    array x = random_array({4, 2048}, dtype, 600);
    array w = random_array({2048}, float32, 601);
    array gpu = fast::rms_norm(x, w, 1e-6f, kGpu);
    EXPECT_EQ(gpu.dtype(), float32);
    expect_same(fast::rms_norm(x, w, 1e-6f, kCpu), gpu,
                "rms_norm promoted " + std::string(dtype_name(dtype)), tolerance_for(dtype));
  }
}

// rms_norm_float32 (Qwen3.5's centred norms) and rms_norm_gated (Gated DeltaNet's output,
// its gate a column slice of a wider projection, read in place) on the GPU against the CPU.
TEST(CudaFast, RmsNormFloat32AndGatedMatchCpu) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 700;
  for (Dtype dtype : kNormDtypes) {
    for (const Shape& shape : kNormRowShapes) {
      const std::string what = std::string(dtype_name(dtype)) + " " + shape_to_string(shape);
      array x = random_array(shape, dtype, ++seed);
      array w32 = random_array({shape.back()}, float32, ++seed, 0.5f, 2.0f);
      for (Dtype out_dtype : {dtype, float32}) {
        array gpu = fast::rms_norm_float32(x, w32, 1e-6f, out_dtype, kGpu);
        EXPECT_STREQ(gpu.primitive().name(), "RMSNorm") << what;
        expect_same(fast::rms_norm_float32(x, w32, 1e-6f, out_dtype, kCpu), gpu,
                    "rms_norm_float32 " + what + " to " + std::string(dtype_name(out_dtype)),
                    tolerance_for(out_dtype));
      }
      const int length = shape.back();
      const int rows = static_cast<int>(shape_size(shape) / length);
      array w = random_array({length}, dtype, ++seed, 0.5f, 2.0f);
      array gate = random_array(shape, dtype, ++seed, -4.0f, 4.0f);
      expect_same(fast::rms_norm_gated(x, gate, w, 1e-6f, kCpu),
                  fast::rms_norm_gated(x, gate, w, 1e-6f, kGpu), "rms_norm_gated " + what,
                  tolerance_for(dtype));
      array wide = random_array({rows, 3 * length + 8}, dtype, ++seed, -4.0f, 4.0f);
      for (int start : {length, 1}) {  // 16-byte aligned rows, then not
        array column = reshape(slice(wide, {0, start}, {rows, start + length}), Shape(shape));
        array gpu = fast::rms_norm_gated(x, column, w, 1e-6f, kGpu);
        EXPECT_STREQ(gpu.primitive().name(), "RMSNorm") << what;
        expect_same(fast::rms_norm_gated(x, column, w, 1e-6f, kCpu), gpu,
                    "rms_norm_gated strided gate at " + std::to_string(start) + " " + what,
                    tolerance_for(dtype));
      }
    }
  }
}

TEST(CudaFast, LayerNormMatchesCpu) {
  EMBER_REQUIRE_GPU();
  unsigned seed = 700;
  for (Dtype dtype : kNormDtypes) {
    for (const Shape& shape : kNormRowShapes) {
      array x = random_array(shape, dtype, ++seed, -1.0f, 3.0f);
      array w = random_array({shape.back()}, dtype, ++seed, 0.5f, 2.0f);
      array b = random_array({shape.back()}, dtype, ++seed);
      for (int mode = 0; mode < 4; ++mode) {
        const std::optional<array> weight = mode & 1 ? std::optional<array>(w) : std::nullopt;
        const std::optional<array> bias = mode & 2 ? std::optional<array>(b) : std::nullopt;
        const std::string what = "layer_norm " + std::string(dtype_name(dtype)) + " " +
                                 shape_to_string(shape) + (weight ? " weight" : "") +
                                 (bias ? " bias" : "");
        expect_same(fast::layer_norm(x, weight, bias, 1e-5f, kCpu),
                    fast::layer_norm(x, weight, bias, 1e-5f, kGpu), what, tolerance_for(dtype));
      }
    }
    array odd = misaligned_rows(3, 256, dtype, ++seed);
    array w = random_array({256}, dtype, ++seed);
    array b = random_array({256}, dtype, ++seed);
    expect_same(fast::layer_norm(odd, w, b, 1e-5f, kCpu), fast::layer_norm(odd, w, b, 1e-5f, kGpu),
                "layer_norm misaligned " + std::string(dtype_name(dtype)), tolerance_for(dtype));
  }
}

struct GpuRopeCase {
  Shape shape;
  int dims;
  bool traditional;
  bool use_freqs;
  float scale;
  int offset;
};

// Angles of up to ~2000 radians: exp and sincos on the GPU differ from glibc's by an ulp
// or two of the angle, about 1e-4 of a float32 output.
Tolerance rope_tolerance(Dtype dtype) {
  return dtype == float32 ? Tolerance{1e-4, 5e-4} : tolerance_for(dtype);
}

void expect_rope_same(const array& x, const GpuRopeCase& c, const std::string& what) {
  std::optional<float> base;
  std::optional<array> freqs;
  if (c.use_freqs) {
    std::vector<float> periods(c.dims / 2);
    for (int i = 0; i < c.dims / 2; ++i) {
      periods[i] = std::pow(500000.0f, 2.0f * i / c.dims) * (i > 16 ? 8.0f : 1.0f);
    }
    freqs = array(periods.begin(), {c.dims / 2}, float32);
  } else {
    base = 10000.0f;
  }
  expect_same(fast::rope(x, c.dims, c.traditional, base, c.scale, c.offset, freqs, kCpu),
              fast::rope(x, c.dims, c.traditional, base, c.scale, c.offset, freqs, kGpu), what,
              rope_tolerance(x.dtype()));
}

TEST(CudaFast, RopeMatchesCpu) {
  EMBER_REQUIRE_GPU();
  const std::vector<GpuRopeCase> cases = {
      {{1, 16, 1, 128}, 128, false, false, 1.0f, 2047},  // decode
      {{1, 16, 1, 128}, 128, false, true, 1.0f, 2047},
      {{1, 16, 1, 128}, 128, true, false, 1.0f, 2047},
      {{1, 8, 33, 64}, 64, true, false, 1.0f, 0},        // prefill
      {{2, 4, 17, 128}, 64, false, false, 0.5f, 7},      // partial rotary, scale
      {{2, 9, 70}, 48, true, true, 2.0f, 3},             // odd tail
  };
  unsigned seed = 800;
  for (Dtype dtype : kNormDtypes) {
    for (const auto& c : cases) {
      const std::string what = "rope " + std::string(dtype_name(dtype)) + " " +
                               shape_to_string(c.shape) + " dims=" + std::to_string(c.dims) +
                               (c.traditional ? " traditional" : "") +
                               (c.use_freqs ? " freqs" : "") +
                               " offset=" + std::to_string(c.offset);
      expect_rope_same(random_array(c.shape, dtype, ++seed), c, what);
    }
    // [B, L, H, D] viewed as [B, H, L, D], read in place; and a strided feature axis.
    array heads = transpose(random_array({1, 5, 16, 128}, dtype, ++seed), {0, 2, 1, 3});
    expect_rope_same(heads, {heads.shape(), 128, false, false, 1.0f, 2047},
                     "rope transposed " + std::string(dtype_name(dtype)));
    array stepped =
        slice(random_array({2, 3, 128}, dtype, ++seed), {0, 0, 0}, {2, 3, 128}, {1, 1, 2});
    expect_rope_same(stepped, {stepped.shape(), 64, false, false, 1.0f, 11},
                     "rope stepped features " + std::string(dtype_name(dtype)));
  }
}

// matmul_swiglu's fused GEMV (both halves in one kernel, only the result written) against
// the CPU composition: 1 to 8 rows, a column split over 1 and 2 warps, a depth that needs
// several passes, an unaligned depth, and a weight that is not a transposed view (copied).
TEST(CudaFast, MatmulSwiGluMatchesCpu) {
  EMBER_REQUIRE_GPU();
  struct Case {
    Shape x;
    int depth, inner;
    bool transposed_view;
  };
  const std::vector<Case> cases = {
      {{1, 1, 2048}, 2048, 6144, true},  // Qwen3's MLP
      {{2, 2048}, 2048, 96, true},
      {{5, 1, 1024}, 1024, 40, true},
      {{8, 6144}, 6144, 64, true},       // 4 warps a column unfused: 2, in passes
      {{1, 8200}, 8200, 33, true},       // several passes a warp
      {{3, 203}, 203, 17, true},         // unaligned depth: element loads
      {{2, 256}, 256, 48, false},        // w not a transposed view
  };
  unsigned seed = 1400;
  for (Dtype dtype : kNormDtypes) {
    for (const auto& c : cases) {
      array x = random_array(c.x, dtype, ++seed);
      array weight = random_array({2 * c.inner, c.depth}, dtype, ++seed, -0.05f, 0.05f);
      array w = c.transposed_view ? transpose(weight)
                                  : random_array({c.depth, 2 * c.inner}, dtype, ++seed, -0.05f, 0.05f);
      const std::string what = "matmul_swiglu " + std::string(dtype_name(dtype)) + " x " +
                               shape_to_string(c.x) + " inner " + std::to_string(c.inner);
      array gpu = fast::matmul_swiglu(x, w, kGpu);
      EXPECT_STREQ(gpu.primitive().name(), "MatmulSwiGlu") << what;
      Tolerance tol = tolerance_for(dtype);
      tol.atol *= c.depth / 512.0 + 1.0;  // accumulation order differs from the BLAS
      expect_same(fast::matmul_swiglu(x, w, kCpu), gpu, what, tol);
    }
  }
  // Nine rows are past the GEMV: the composition.
  array x = random_array({9, 64}, float32, ++seed);
  array w = transpose(random_array({32, 64}, float32, ++seed));
  array gpu = fast::matmul_swiglu(x, w, kGpu);
  EXPECT_STREQ(gpu.primitive().name(), "SwiGlu");
  expect_same(fast::matmul_swiglu(x, w, kCpu), gpu, "matmul_swiglu 9 rows", tolerance_for(float32));
}

// rms_norm_rope (q/k norm and RoPE as one node) on the GPU against the CPU: decode rows, the
// transposed rows of a prefill, Qwen3.5's partial rotary with its float32 (centred) norm,
// and the offset as a device array.
TEST(CudaFast, RmsNormRopeMatchesCpu) {
  EMBER_REQUIRE_GPU();
  const std::vector<GpuRopeCase> cases = {
      {{1, 16, 1, 128}, 128, false, false, 1.0f, 2047},  // decode
      {{1, 8, 1, 128}, 128, true, true, 1.0f, 300},
      {{1, 2, 1, 256}, 64, false, false, 1.0f, 77},      // Qwen3.5 partial rotary
      {{2, 4, 17, 128}, 64, false, false, 0.5f, 7},
      {{2, 9, 70}, 48, true, true, 2.0f, 3},             // odd tail
  };
  unsigned seed = 1200;
  for (Dtype dtype : kNormDtypes) {
    for (const auto& c : cases) {
      for (bool float32_norm : {false, true}) {
        std::optional<float> base;
        std::optional<array> freqs;
        if (c.use_freqs) {
          std::vector<float> periods(c.dims / 2);
          for (int i = 0; i < c.dims / 2; ++i) periods[i] = std::pow(500000.0f, 2.0f * i / c.dims);
          freqs = array(periods.begin(), {c.dims / 2}, float32);
        } else {
          base = 10000.0f;
        }
        const std::string what = "rms_norm_rope " + std::string(dtype_name(dtype)) + " " +
                                 shape_to_string(c.shape) + " dims=" + std::to_string(c.dims) +
                                 (float32_norm ? " float32 norm" : "");
        array x = random_array(c.shape, dtype, ++seed);
        array w = random_array({c.shape.back()}, float32_norm ? float32 : dtype, ++seed, 0.5f,
                               2.0f);
        array gpu = fast::rms_norm_rope(x, w, 1e-6f, float32_norm, c.dims, c.traditional, base,
                                        c.scale, c.offset, freqs, kGpu);
        EXPECT_STREQ(gpu.primitive().name(), "RMSNormRoPE") << what;
        expect_same(fast::rms_norm_rope(x, w, 1e-6f, float32_norm, c.dims, c.traditional, base,
                                        c.scale, c.offset, freqs, kCpu),
                    gpu, what, rope_tolerance(dtype));
        expect_same(gpu,
                    fast::rms_norm_rope(x, w, 1e-6f, float32_norm, c.dims, c.traditional, base,
                                        c.scale, copy(array(c.offset, int32), kGpu), freqs, kGpu),
                    what + " array offset", Tolerance{0.0, 0.0});
      }
    }
    array heads = transpose(random_array({1, 5, 16, 128}, dtype, ++seed), {0, 2, 1, 3});
    array w = random_array({128}, dtype, ++seed, 0.5f, 2.0f);
    expect_same(fast::rms_norm_rope(heads, w, 1e-6f, false, 128, false, 10000.0f, 1.0f, 9,
                                    std::nullopt, kCpu),
                fast::rms_norm_rope(heads, w, 1e-6f, false, 128, false, 10000.0f, 1.0f, 9,
                                    std::nullopt, kGpu),
                "rms_norm_rope transposed " + std::string(dtype_name(dtype)),
                rope_tolerance(dtype));
  }
}

// The offset as a device array (rope's array overload): the GPU kernel reads it when it
// runs, so it gives the int-offset GPU result bit for bit and the CPU result within
// rope_tolerance, also when a captured graph replays it at other offsets.
TEST(CudaFast, RopeArrayOffsetMatchesCpu) {
  EMBER_REQUIRE_GPU();
  const std::vector<GpuRopeCase> cases = {
      {{1, 16, 1, 128}, 128, false, false, 1.0f, 0},  // decode
      {{1, 16, 1, 128}, 128, true, true, 1.0f, 0},
      {{2, 4, 17, 128}, 64, false, false, 0.5f, 0},  // partial rotary, scale
      {{2, 9, 70}, 48, true, true, 2.0f, 0},         // odd tail
  };
  unsigned seed = 850;
  for (Dtype dtype : kNormDtypes) {
    for (const auto& c : cases) {
      for (int offset : {0, 7, 2047}) {
        const std::string what =
            "rope array offset " + std::string(dtype_name(dtype)) + " " + shape_to_string(c.shape) +
            " dims=" + std::to_string(c.dims) + (c.traditional ? " traditional" : "") +
            (c.use_freqs ? " freqs" : "") + " offset=" + std::to_string(offset);
        std::optional<float> base = 10000.0f;
        std::optional<array> freqs;
        if (c.use_freqs) {
          std::vector<float> periods(c.dims / 2);
          for (int i = 0; i < c.dims / 2; ++i) periods[i] = std::pow(500000.0f, 2.0f * i / c.dims);
          freqs = array(periods.begin(), {c.dims / 2}, float32);
          base = std::nullopt;
        }
        array x = random_array(c.shape, dtype, ++seed);
        // int64 as a [1] vector: the cast to int32 runs on the GPU too.
        array offset_array = copy(array({static_cast<int64_t>(offset)}, {1}, int64), kGpu);
        array gpu = fast::rope(x, c.dims, c.traditional, base, c.scale, offset_array, freqs, kGpu);
        expect_same(fast::rope(x, c.dims, c.traditional, base, c.scale, offset, freqs, kCpu), gpu,
                    what, rope_tolerance(dtype));
        expect_same(fast::rope(x, c.dims, c.traditional, base, c.scale, offset, freqs, kGpu), gpu,
                    what + " (GPU int offset)", {0.0, 0.0});
      }
    }
  }
}

TEST(CudaFast, RopeArrayOffsetReplaysAtEachCallsOffset) {
  EMBER_REQUIRE_GPU();
  auto step = [](const std::vector<array>& in) {
    return std::vector<array>{fast::rope(in[0], 128, false, 10000.0f, 1.0f, in[1])};
  };
  for (Dtype dtype : {float32, bfloat16}) {
    const auto heads = [&](unsigned seed) {
      // [B, L, H, D] viewed as [B, H, L, D], as attention hands q and k to rope.
      return transpose(copy(random_array({1, 1, 16, 128}, dtype, seed), kGpu), {0, 2, 1, 3});
    };
    CapturedGraph graph = capture_graph(step, {heads(870), copy(array(0), kGpu)});
    unsigned seed = 871;
    for (int offset : {5, 2047, 0, 300}) {
      array x = heads(++seed);
      array y = graph({x, copy(array(offset), kGpu)})[0];
      const std::string what =
          "captured rope " + std::string(dtype_name(dtype)) + " offset=" + std::to_string(offset);
      expect_same(fast::rope(x, 128, false, 10000.0f, 1.0f, offset, std::nullopt, kCpu), y, what,
                  rope_tolerance(dtype));
      expect_same(fast::rope(x, 128, false, 10000.0f, 1.0f, offset, std::nullopt, kGpu), y,
                  what + " (GPU int offset)", {0.0, 0.0});
    }
  }
}

}  // namespace
}  // namespace ember::test
