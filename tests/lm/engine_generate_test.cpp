// lm::generate (ember/lm/engine/generate.h) on the fixture models, against their golden
// greedy continuations: EOS ids, stop strings, max_tokens, a prompt longer than the context
// (ValueError, caches untouched), streaming, and chunked prefill at several step sizes.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/ops.h"
#include "ember/lm/engine/generate.h"
#include "ember/lm/models/model.h"
#include "ember/lm/tokenizer/tokenizer.h"
#include "engine_fixtures.h"

namespace ember::lm {
namespace {

using testing::golden_json;
using testing::json_ints;
using testing::model_fixture;

// Options with max_tokens set and everything else at its default.
GenerationOptions with_max(int max_tokens) {
  GenerationOptions options;
  options.max_tokens = max_tokens;
  return options;
}

class GenerateTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    arch_ = GetParam();
    model_ = load_model(model_fixture(arch_), {.dtype = float32});
    tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::from_file(model_fixture(arch_) / "tokenizer.json"));
    auto golden = golden_json(arch_);
    const auto& plain = golden["prompts"][0];
    EXPECT_EQ(plain["name"], "plain");
    prompt_ = json_ints<int32_t>(plain["ids"]);
    greedy_ = json_ints<int32_t>(plain["greedy_ids"]);
  }

  GenerationResult run(GenerationOptions options,
                       const std::function<bool(const GenerationChunk&)>& on_chunk = {}) {
    auto caches = model_->make_caches();
    return generate(*model_, *tokenizer_, prompt_, caches, options, on_chunk);
  }

  std::string arch_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::vector<int32_t> prompt_, greedy_;
};

TEST_P(GenerateTest, MaxTokensGivesTheGoldenGreedyPrefix) {
  auto result = run(with_max(5));
  EXPECT_EQ(result.tokens, std::vector<int32_t>(greedy_.begin(), greedy_.begin() + 5));
  EXPECT_EQ(result.stats.finish_reason, "length");
  EXPECT_EQ(result.stats.generation_tokens, 5);
  EXPECT_EQ(result.stats.prompt_tokens, int(prompt_.size()));
  EXPECT_EQ(result.text, tokenizer_->decode(result.tokens));
  auto none = run(with_max(0));
  EXPECT_TRUE(none.tokens.empty());
  EXPECT_EQ(none.stats.finish_reason, "length");
}

TEST_P(GenerateTest, EosStopsGeneration) {
  const int32_t eos = greedy_[2];
  // Generation stops at the first occurrence of the EOS id, which it includes.
  const size_t stop_at = std::find(greedy_.begin(), greedy_.end(), eos) - greedy_.begin();
  GenerationOptions options = with_max(32);
  options.eos_ids = {12345678, eos};
  auto result = run(options);
  EXPECT_EQ(result.tokens, std::vector<int32_t>(greedy_.begin(), greedy_.begin() + stop_at + 1));
  EXPECT_EQ(result.stats.finish_reason, "stop");
  // The text excludes the EOS token's own text.
  EXPECT_EQ(result.text, tokenizer_->decode(std::vector<int32_t>(greedy_.begin(), greedy_.begin() + stop_at)));
}

TEST_P(GenerateTest, StopStringCutsTheText) {
  const std::string full = tokenizer_->decode(std::vector<int32_t>(greedy_.begin(), greedy_.begin() + 16));
  ASSERT_GT(full.size(), 12u);
  // A stop string from the middle of the greedy text (3 bytes; where it first occurs).
  const std::string stop = full.substr(full.size() / 2, 3);
  const size_t at = full.find(stop);
  std::string streamed;
  GenerationOptions options = with_max(16);
  options.stop_strings = {"\x01never", stop};
  auto result = run(options,
                    [&](const GenerationChunk& c) {
                      streamed += c.text;
                      return true;
                    });
  EXPECT_EQ(result.stats.finish_reason, "stop");
  EXPECT_EQ(result.text, full.substr(0, at)) << "stop string '" << stop << "'";
  EXPECT_EQ(streamed, result.text);
  EXPECT_LT(result.tokens.size(), 16u);
  EXPECT_EQ(result.tokens, std::vector<int32_t>(greedy_.begin(), greedy_.begin() + result.tokens.size()));
  // The token that completed the stop string was the last one generated.
  const std::string before_last = tokenizer_->decode(
      std::vector<int32_t>(result.tokens.begin(), result.tokens.end() - 1));
  EXPECT_EQ(before_last.find(stop), std::string::npos);
}

TEST_P(GenerateTest, StreamedChunksConcatenateToTheText) {
  std::string streamed;
  std::vector<int32_t> ids;
  auto result = run(with_max(24), [&](const GenerationChunk& c) {
    streamed += c.text;
    if (c.token >= 0) ids.push_back(c.token);
    return true;
  });
  EXPECT_EQ(streamed, result.text);
  EXPECT_EQ(ids, result.tokens);
  EXPECT_EQ(result.text, tokenizer_->decode(result.tokens));
  EXPECT_EQ(result.tokens, std::vector<int32_t>(greedy_.begin(), greedy_.begin() + 24));
  // Returning false from the callback stops generation.
  int calls = 0;
  auto stopped = run(with_max(24), [&](const GenerationChunk&) { return ++calls < 4; });
  EXPECT_EQ(stopped.tokens.size(), 4u);
}

TEST_P(GenerateTest, ChunkedPrefillGivesTheSameGreedyTokens) {
  for (int step : {1, 3, 64}) {
    SCOPED_TRACE("prefill step " + std::to_string(step));
    int progress_calls = 0, last_done = 0;
    GenerationOptions options = with_max(12);
    options.prefill_step_size = step;
    options.prefill_progress = [&](int done, int total) {
      EXPECT_EQ(total, int(prompt_.size()));
      EXPECT_GT(done, last_done);
      last_done = done;
      ++progress_calls;
    };
    auto result = run(options);
    EXPECT_EQ(result.tokens, std::vector<int32_t>(greedy_.begin(), greedy_.begin() + 12));
    EXPECT_EQ(last_done, int(prompt_.size()));
    EXPECT_EQ(progress_calls, (int(prompt_.size()) + step - 1) / step);
  }
}

TEST_P(GenerateTest, PromptLongerThanContextThrowsAndLeavesCachesUntouched) {
  auto caches = model_->make_caches();
  // Caches holding an earlier turn.
  generate(*model_, *tokenizer_, prompt_, caches, with_max(0));
  const int held = caches.front()->offset();
  ASSERT_EQ(held, int(prompt_.size()));
  std::vector<array> before = cache_state(caches);
  std::vector<int32_t> too_long(model_->max_context() - held + 1, prompt_[0]);
  try {
    generate(*model_, *tokenizer_, too_long, caches, with_max(4));
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("[generate]", 0), 0u) << what;
    EXPECT_NE(what.find(std::to_string(model_->max_context())), std::string::npos) << what;
  }
  for (const auto& c : caches) EXPECT_EQ(c->offset(), held);
  std::vector<array> after = cache_state(caches);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(after[i].shape() == before[i].shape() && array_equal(after[i], before[i]).item<bool>())
        << "cache array " << i << " changed";
  }
  // Fresh caches: one token over the context.
  auto fresh = model_->make_caches();
  std::vector<int32_t> over(model_->max_context() + 1, prompt_[0]);
  EXPECT_THROW(generate(*model_, *tokenizer_, over, fresh, with_max(1)), ValueError);
  for (const auto& c : fresh) {
    EXPECT_EQ(c->offset(), 0);
    EXPECT_TRUE(c->state().empty());
  }
  // Out-of-vocabulary prompt ids are a ValueError too.
  std::vector<int32_t> bad = {int32_t(model_->vocab_size())};
  EXPECT_THROW(generate(*model_, *tokenizer_, bad, fresh, with_max(1)), ValueError);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GenerateTest, ::testing::Values("qwen3", "qwen3_5"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ember::lm
