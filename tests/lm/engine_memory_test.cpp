// Memory and bounded graphs at model level (issue 6; G2 and G3 of the runtime), on CPU with
// the qwen3_5 fixture (a hybrid: 3 Gated DeltaNet layers + 1 full-attention layer), float32.
//
// G2 (prefill): 32 prefill chunks, caches evaluated and logits dropped after each: active
//   memory grows per token by at most 1.1 x the KV bytes per token (attention layers x 2 x
//   kv_heads x head_dim x 4 bytes) plus a constant. The KvCache grows in blocks of 256
//   tokens, so memory is compared only at block-aligned offsets, where capacity == offset.
// G2 (decode): the recurrent state's bytes (RecurrentCache::nbytes) are the same at every
//   step, and active memory minus the KV caches' capacity bytes stays constant from step
//   100 to step 2,000.
// G3 (never eval): 500 single-token forward rounds that feed the lazy argmax of the previous
//   round's logits back in (the shape of a speculative-decoding verification loop) and never
//   call eval. What we found: ember's graph-depth guard (ember/core/eval.h,
//   set_max_graph_depth, default 10000 or EMBER_MAX_GRAPH_DEPTH; off inside
//   detail::GraphDepthGuardOff) never throws: when building an op would exceed the depth, it
//   evaluates the op's inputs first (docs/differences-from-mlx.md, G3). So there is no
//   "graph too deep" error to test; instead the tests show that
//     - with the default guard the loop finishes with the same tokens as an eval-every-round
//       loop, early rounds are already evaluated before the final eval (the guard did
//       trip), and peak active memory stays within a small multiple of the eager loop's;
//     - a lowered limit (set_max_graph_depth(300)) gives the same tokens, and so does the
//       guard turned off (GraphDepthGuardOff) with an explicit eval every 25 rounds, both
//       with bounded memory (150 rounds each, against the eager loop's first 150 tokens).
// Measured (release, 2 cores): KV growth exactly 256 bytes/token; the lazy loop's peak
// about 1.7x the eager loop's (both well under 1 MB above the start).
// This binary takes ~7-15 s in release on 2 shared cores (about 3,300 forward passes) and
// is labelled slow.
#include <algorithm>
#include <cstdio>
#include <vector>

#include <gtest/gtest.h>

#include "ember/core/eval.h"
#include "ember/core/memory.h"
#include "ember/core/ops.h"
#include "ember/lm/engine/cache.h"
#include "ember/lm/models/model.h"
#include "engine_fixtures.h"

namespace ember::lm {
namespace {

using testing::golden_json;
using testing::json_ints;
using testing::model_fixture;

constexpr int kBlock = 256;  // KvCache's default growth step

class MemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(model_fixture("qwen3_5"), {.dtype = float32});
    auto config = nlohmann::json::parse(std::ifstream(model_fixture("qwen3_5") / "config.json"));
    int attention_layers = 0;
    for (const auto& t : config["layer_types"]) attention_layers += t == "full_attention";
    ASSERT_GT(attention_layers, 0);
    kv_bytes_per_token_ = size_t(attention_layers) * 2 * config["num_key_value_heads"].get<int>() *
                          config["head_dim"].get<int>() * sizeof(float);
    prompt_ = json_ints<int32_t>(golden_json("qwen3_5")["prompts"][0]["ids"]);
  }

  // Bytes the KV caches hold: their capacity, rounded up to whole blocks.
  size_t kv_capacity_bytes(const CacheList& caches) const {
    const int offset = caches.front()->offset();
    return size_t((offset + kBlock - 1) / kBlock) * kBlock * kv_bytes_per_token_;
  }
  static size_t recurrent_bytes(const CacheList& caches) {
    size_t total = 0;
    for (const auto& c : caches) {
      if (c->kind() == "recurrent") total += c->nbytes();
    }
    return total;
  }
  array step(int32_t token, CacheList& caches) {
    array logits = model_->forward(array({token}, {1, 1}, int32), caches);
    return astype(argmax(reshape(logits, {-1}), 0), int32);
  }

  std::unique_ptr<Model> model_;
  size_t kv_bytes_per_token_ = 0;
  std::vector<int32_t> prompt_;
};

TEST_F(MemoryTest, ChunkedPrefillGrowsByTheKvBytesPerToken) {
  const int chunks = 32, chunk = 128;  // 4,096 tokens: 16 KV blocks
  auto caches = model_->make_caches();
  std::vector<std::pair<int, size_t>> aligned;  // (tokens, active bytes) at block boundaries
  for (int c = 0; c < chunks; ++c) {
    std::vector<int32_t> ids(chunk);
    for (int i = 0; i < chunk; ++i) ids[i] = (c * chunk + i * 7919) % model_->vocab_size();
    model_->forward(array(ids.begin(), {1, chunk}, int32), caches);  // logits dropped
    eval(cache_state(caches));
    const int tokens = (c + 1) * chunk;
    if (tokens % kBlock == 0) aligned.emplace_back(tokens, get_active_memory());
  }
  ASSERT_EQ(aligned.size(), 16u);
  const size_t constant = 16 * 1024;
  // From the second aligned point on (the first forward also materialises the weights).
  for (size_t i = 1; i < aligned.size(); ++i) {
    for (size_t j = i + 1; j < aligned.size(); ++j) {
      const double grown = double(aligned[j].second) - double(aligned[i].second);
      const double kv = double(kv_bytes_per_token_) * (aligned[j].first - aligned[i].first);
      EXPECT_LE(grown, 1.1 * kv + constant)
          << "from " << aligned[i].first << " to " << aligned[j].first << " tokens";
    }
  }
  // The KV really is kept: growth at least the KV bytes (the bound above is not vacuous).
  const double total_grown = double(aligned.back().second) - double(aligned[1].second);
  EXPECT_GE(total_grown, 0.99 * double(kv_bytes_per_token_) * (aligned.back().first - aligned[1].first));
  std::printf("prefill: %zu KV bytes/token; active memory grew %.0f bytes/token from %d to %d tokens\n",
              kv_bytes_per_token_, total_grown / (aligned.back().first - aligned[1].first),
              aligned[1].first, aligned.back().first);
}

TEST_F(MemoryTest, RecurrentStateIsConstantOverDecode) {
  auto caches = model_->make_caches();
  model_->forward(array(prompt_.begin(), {1, int(prompt_.size())}, int32), caches);
  eval(cache_state(caches));
  const size_t state_bytes = recurrent_bytes(caches);
  ASSERT_GT(state_bytes, 0u);
  int32_t token = prompt_.back();
  std::optional<size_t> base;  // active memory minus KV capacity at step 100
  const int steps = 2000;
  for (int n = 1; n <= steps; ++n) {
    array next = step(token, caches);
    std::vector<array> outputs = cache_state(caches);
    outputs.push_back(next);
    eval(std::move(outputs));
    token = next.item<int32_t>();
    if (n % 100 == 0) {
      ASSERT_EQ(recurrent_bytes(caches), state_bytes) << "step " << n;
      const size_t rest = get_active_memory() - kv_capacity_bytes(caches);
      if (!base) {
        base = rest;
      } else {
        EXPECT_LE(rest, *base + 4096) << "step " << n << ": memory beyond the KV caches grew";
      }
    }
  }
  EXPECT_EQ(caches.front()->offset(), int(prompt_.size()) + steps);
}

// Runs `rounds` forward rounds from the prompt, feeding each round's argmax to the next.
// `eval_every` 1 evaluates every round; 0 never (until the end). Returns the tokens and
// fills the peak active memory above the starting point.
struct LoopResult {
  std::vector<int32_t> tokens;
  size_t peak_above_start = 0;
  int evaluated_before_final_eval = 0;
};

LoopResult run_loop(Model& model, const std::vector<int32_t>& prompt, int rounds, int eval_every) {
  auto caches = model.make_caches();
  array logits = model.forward(array(prompt.begin(), {1, int(prompt.size())}, int32), caches);
  array token = astype(argmax(reshape(slice(logits, {0, int(prompt.size()) - 1, 0},
                                            {1, int(prompt.size()), model.vocab_size()}),
                                      {-1}),
                              0),
                       int32);
  eval(token);
  eval(cache_state(caches));
  const size_t start = get_active_memory();
  reset_peak_memory();
  std::vector<array> tokens;
  for (int n = 0; n < rounds; ++n) {
    array out = model.forward(reshape(token, {1, 1}), caches);
    token = astype(argmax(reshape(out, {-1}), 0), int32);
    tokens.push_back(token);
    if (eval_every > 0 && (n + 1) % eval_every == 0) {
      eval(token);
      eval(cache_state(caches));
    }
  }
  LoopResult result;
  for (const auto& t : tokens) result.evaluated_before_final_eval += t.is_available();
  eval(tokens);
  eval(cache_state(caches));
  result.peak_above_start = get_peak_memory() - std::min(get_peak_memory(), start);
  for (auto& t : tokens) result.tokens.push_back(t.item<int32_t>());
  EXPECT_EQ(caches.front()->offset(), int(prompt.size()) + rounds);
  return result;
}

class DepthLimit {
 public:
  explicit DepthLimit(int64_t limit) : previous_(get_max_graph_depth()) { set_max_graph_depth(limit); }
  ~DepthLimit() { set_max_graph_depth(previous_); }

 private:
  int64_t previous_;
};

TEST_F(MemoryTest, FiveHundredRoundsWithoutEvalAreBoundedAndCorrect) {
  const int rounds = 500;
  LoopResult eager = run_loop(*model_, prompt_, rounds, 1);
  // The fixture's greedy continuation (32 tokens) agrees with the eager loop.
  auto greedy = json_ints<int32_t>(golden_json("qwen3_5")["prompts"][0]["greedy_ids"]);
  for (size_t i = 1; i < greedy.size(); ++i) ASSERT_EQ(eager.tokens[i - 1], greedy[i]) << i;
  // Bound: twice the eager loop's peak (KV growth over 500 tokens + one round's
  // temporaries) plus 256 KB, for the guard's deferred evaluation. (An unbounded graph
  // would keep every round's intermediates: > 500 x one round's temporaries.)
  const size_t bound = 2 * eager.peak_above_start + (256u << 10);

  LoopResult lazy = run_loop(*model_, prompt_, rounds, 0);
  EXPECT_EQ(lazy.tokens, eager.tokens);
  EXPECT_GT(lazy.evaluated_before_final_eval, 0) << "the depth guard never evaluated early rounds";
  EXPECT_LE(lazy.peak_above_start, bound);

  // The variants run fewer rounds (time under sanitizers) and match the eager prefix.
  const int short_rounds = 150;
  const std::vector<int32_t> eager_prefix(eager.tokens.begin(), eager.tokens.begin() + short_rounds);
  size_t low_peak = 0, periodic_peak = 0;
  {
    DepthLimit limit(300);
    LoopResult low = run_loop(*model_, prompt_, short_rounds, 0);
    low_peak = low.peak_above_start;
    EXPECT_EQ(low.tokens, eager_prefix);
    EXPECT_GT(low.evaluated_before_final_eval, 0);
    EXPECT_LE(low.peak_above_start, bound);
  }
  {
    detail::GraphDepthGuardOff off;
    LoopResult periodic = run_loop(*model_, prompt_, short_rounds, 25);
    periodic_peak = periodic.peak_above_start;
    EXPECT_EQ(periodic.tokens, eager_prefix);
    EXPECT_LE(periodic.peak_above_start, bound);
  }
  std::printf("peak above start: eager %zu, lazy %zu, depth limit 300 %zu, guard off + eval "
              "every 25 %zu bytes (bound %zu); lazy rounds evaluated by the guard before the "
              "final eval: %d of %d\n",
              eager.peak_above_start, lazy.peak_above_start, low_peak, periodic_peak, bound,
              lazy.evaluated_before_final_eval, rounds);
}

}  // namespace
}  // namespace ember::lm
