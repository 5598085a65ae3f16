// Golden tests: ember's logits for the fixture models (one per supported architecture, tiny
// random weights in bf16) against transformers' float32 computation on the same weights,
// full-prompt and incremental (chunked prefill + single-token decode through the caches),
// and 32-token greedy continuations that must be token-identical.
#include <cmath>

#include <gtest/gtest.h>

#include "ember/core/eval.h"
#include "ember/core/io.h"
#include "ember/core/ops.h"
#include "ember/lm/engine/generate.h"
#include "ember/lm/models/model.h"
#include "engine_fixtures.h"

namespace ember::lm {
namespace {

using testing::fixture_archs;
using testing::golden_json;
using testing::json_ints;
using testing::model_fixture;

class GoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    arch_ = GetParam();
    golden_ = golden_json(arch_);
    reference_ = load_safetensors((model_fixture(arch_) / "golden.safetensors").string()).first;
    model_ = load_model(model_fixture(arch_), {.dtype = float32});
    atol_ = golden_["tolerance"]["float32"]["atol"].get<double>();
    rtol_ = golden_["tolerance"]["float32"]["rtol"].get<double>();
  }

  // Worst |a - b| - (atol + rtol |b|) over all elements (<= 0 passes), and the max error.
  void expect_close(const array& actual_in, const array& expected_in, const std::string& what) {
    array actual = astype(actual_in, float64), expected = astype(expected_in, float64);
    ASSERT_EQ(actual.shape(), expected.shape()) << what;
    array excess = abs(actual - expected) - (array(atol_) + array(rtol_) * abs(expected));
    const double worst = max(excess).item<double>();
    const double max_err = max(abs(actual - expected)).item<double>();
    EXPECT_LE(worst, 0.0) << arch_ << " " << what << ": max |diff| " << max_err << " beyond atol "
                          << atol_ << " + rtol " << rtol_ << " |ref|";
  }

  std::string arch_;
  nlohmann::json golden_;
  std::unordered_map<std::string, array> reference_;
  std::unique_ptr<Model> model_;
  double atol_ = 0, rtol_ = 0;
};

TEST_P(GoldenTest, FullPromptLogitsMatchTransformers) {
  for (const auto& prompt : golden_["prompts"]) {
    auto ids = json_ints<int32_t>(prompt["ids"]);
    auto caches = model_->make_caches();
    array logits = model_->forward(array(ids.begin(), {1, int(ids.size())}, int32), caches);
    array expected = reference_.at(prompt["logits_key"].get<std::string>());
    expect_close(reshape(logits, expected.shape()), expected, prompt["name"].get<std::string>());
    for (const auto& cache : caches) EXPECT_EQ(cache->offset(), int(ids.size()));
  }
}

TEST_P(GoldenTest, IncrementalLogitsThroughCachesMatch) {
  const auto& inc = golden_["incremental"];
  nlohmann::json prompt;
  for (const auto& p : golden_["prompts"]) {
    if (p["name"] == inc["prompt"]) prompt = p;
  }
  ASSERT_FALSE(prompt.is_null());
  auto ids = json_ints<int32_t>(prompt["ids"]);
  auto chunks = json_ints<int>(inc["chunks"]);
  array expected = reference_.at(inc["logits_key"].get<std::string>());
  auto caches = model_->make_caches();
  size_t at = 0;
  for (size_t c = 0; c < chunks.size(); ++c) {
    std::vector<int32_t> chunk(ids.begin() + at, ids.begin() + at + chunks[c]);
    at += chunks[c];
    array logits = model_->forward(array(chunk.begin(), {1, int(chunk.size())}, int32), caches);
    eval(logits);  // like generation: each call evaluated before the next
    const int last = logits.shape(1) - 1, vocab = logits.shape(2);
    expect_close(reshape(slice(logits, {0, last, 0}, {1, last + 1, vocab}), {vocab}),
                 reshape(slice(expected, {int(c), 0}, {int(c) + 1, vocab}), {vocab}),
                 "incremental call " + std::to_string(c));
  }
}

TEST_P(GoldenTest, GreedyContinuationIsTokenIdentical) {
  auto tokenizer = Tokenizer::from_file(model_fixture(arch_) / "tokenizer.json");
  for (const auto& prompt : golden_["prompts"]) {
    auto ids = json_ints<int32_t>(prompt["ids"]);
    auto expected = json_ints<int32_t>(prompt["greedy_ids"]);
    auto caches = model_->make_caches();
    GenerationOptions options;
    options.max_tokens = static_cast<int>(expected.size());
    options.prefill_step_size = 5;  // several prefill chunks, to exercise chunking
    auto result = generate(*model_, tokenizer, ids, caches, options);
    EXPECT_EQ(result.tokens, expected) << arch_ << " prompt " << prompt["name"];
    EXPECT_EQ(result.stats.finish_reason, "length");
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, GoldenTest, ::testing::ValuesIn(fixture_archs()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ember::lm
