// The sampler (ember/lm/engine/sampler.h): greedy, seeded determinism, top-k / top-p / min-p
// filtering (never a filtered token; kept tokens at their renormalised probabilities within
// a statistical bound), logit bias, repetition / presence / frequency penalties, and the
// ValueErrors for invalid options.
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"  // SamplingOptions{.field = ...}

#include <gtest/gtest.h>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/ops.h"
#include "ember/core/random.h"
#include "ember/lm/engine/sampler.h"

namespace ember::lm {
namespace {

std::vector<float> to_floats(const array& a) {
  array c = contiguous(astype(a, float32));
  eval(c);
  return std::vector<float>(c.data<float>(), c.data<float>() + c.size());
}

int host_argmax(const std::vector<float>& v) {
  return int(std::max_element(v.begin(), v.end()) - v.begin());
}

array random_logits(int vocab, uint64_t seed, float scale = 3.0f) {
  array a = random::normal({vocab}, float32, 0.0f, scale, random::key(seed));
  eval(a);
  return a;
}

// A known distribution over 10 tokens (no two equal, no threshold of the tests below
// near a boundary).
const std::vector<double> kProbs = {0.30, 0.20, 0.15, 0.12, 0.09, 0.06, 0.04, 0.02, 0.015, 0.005};

array log_probs() {
  std::vector<float> l;
  for (double p : kProbs) l.push_back(float(std::log(p)));
  return array(l.begin(), {int(l.size())}, float32);
}

// Draws `n` tokens and checks that only `kept` occur, at frequencies within 5 standard
// deviations (plus 0.01) of p_i^(1/T) renormalised over `kept`.
void check_distribution(SamplingOptions options, const std::set<int>& kept, int n = 2000) {
  const int vocab = int(kProbs.size());
  Sampler sampler(options, vocab);
  array logits = log_probs();
  std::vector<int> counts(vocab, 0);
  for (int i = 0; i < n; ++i) {
    int token = sampler(logits, std::nullopt).item<int32_t>();
    ASSERT_GE(token, 0);
    ASSERT_LT(token, vocab);
    ++counts[token];
  }
  double norm = 0;
  for (int t : kept) norm += std::pow(kProbs[t], 1.0 / options.temperature);
  for (int t = 0; t < vocab; ++t) {
    if (!kept.count(t)) {
      EXPECT_EQ(counts[t], 0) << "token " << t << " should have been filtered out";
      continue;
    }
    const double p = std::pow(kProbs[t], 1.0 / options.temperature) / norm;
    const double freq = double(counts[t]) / n;
    const double bound = 5.0 * std::sqrt(p * (1 - p) / n) + 0.01;
    EXPECT_NEAR(freq, p, bound) << "token " << t;
  }
}

TEST(Sampler, GreedyIsArgmax) {
  for (uint64_t seed = 0; seed < 10; ++seed) {
    array logits = random_logits(257, seed);
    Sampler sampler({}, 257);
    EXPECT_EQ(sampler(logits, std::nullopt).item<int32_t>(), host_argmax(to_floats(logits)));
  }
  // bfloat16 logits work as well.
  array logits = random_logits(100, 99);
  Sampler sampler({}, 100);
  EXPECT_EQ(sampler(astype(logits, bfloat16), std::nullopt).item<int32_t>(),
            host_argmax(to_floats(astype(logits, bfloat16))));
}

TEST(Sampler, SeededSamplingIsDeterministicAndSeedsDiffer) {
  array logits = random_logits(64, 5, 1.0f);
  auto draw = [&](uint64_t seed) {
    Sampler sampler({.temperature = 1.0f, .seed = seed}, 64);
    std::vector<int> tokens;
    for (int i = 0; i < 40; ++i) tokens.push_back(sampler(logits, std::nullopt).item<int32_t>());
    return tokens;
  };
  auto a = draw(42), b = draw(42), c = draw(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // The draws vary from step to step (the key advances).
  EXPECT_GT(std::set<int>(a.begin(), a.end()).size(), 5u);
}

TEST(Sampler, TopKOneIsGreedyAtAnyTemperature) {
  for (float temperature : {0.3f, 1.0f, 5.0f}) {
    for (uint64_t seed = 0; seed < 5; ++seed) {
      array logits = random_logits(128, 100 + seed);
      Sampler sampler({.temperature = temperature, .top_k = 1, .seed = seed}, 128);
      for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(sampler(logits, std::nullopt).item<int32_t>(), host_argmax(to_floats(logits)))
            << "temperature " << temperature;
      }
    }
  }
}

TEST(Sampler, PlainSamplingMatchesTheDistribution) {
  check_distribution({.temperature = 1.0f, .seed = 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST(Sampler, TopKKeepsTheKMostLikely) {
  check_distribution({.temperature = 1.0f, .top_k = 3, .seed = 2}, {0, 1, 2});
  // Temperature reshapes the kept tokens' probabilities but not which are kept.
  check_distribution({.temperature = 0.7f, .top_k = 4, .seed = 3}, {0, 1, 2, 3});
}

TEST(Sampler, TopPKeepsTheSmallestSetWithThatMass) {
  // Cumulative mass before each token: 0, .30, .50, .65, .77 ... -> top_p .6 keeps 3 tokens.
  check_distribution({.temperature = 1.0f, .top_p = 0.6f, .seed = 4}, {0, 1, 2});
  check_distribution({.temperature = 1.0f, .top_p = 0.25f, .seed = 5}, {0}, 200);
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
  // min_p .45 of the top probability .30 = .135: keeps .30, .20, .15.
  check_distribution({.temperature = 1.0f, .min_p = 0.45f, .seed = 6}, {0, 1, 2});
  // Combined with top_k: the stricter one wins.
  check_distribution({.temperature = 1.0f, .top_k = 2, .min_p = 0.1f, .seed = 7}, {0, 1});
}

TEST(Sampler, LogitBiasForcesAToken) {
  array logits = random_logits(50, 8);
  const int top = host_argmax(to_floats(logits));
  const int forced = (top + 17) % 50;
  Sampler greedy({.logit_bias = {{forced, 100.0f}}}, 50);
  EXPECT_EQ(greedy(logits, std::nullopt).item<int32_t>(), forced);
  Sampler sampled({.temperature = 1.0f, .logit_bias = {{forced, 100.0f}}, .seed = 9}, 50);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(sampled(logits, std::nullopt).item<int32_t>(), forced);
  // A large negative bias removes the argmax: greedy picks the runner-up.
  std::vector<float> host = to_floats(logits);
  host[top] = -1e30f;
  Sampler banned({.logit_bias = {{top, -1000.0f}}}, 50);
  EXPECT_EQ(banned(logits, std::nullopt).item<int32_t>(), host_argmax(host));
  // process() adds exactly the bias.
  std::vector<float> processed = to_floats(greedy.process(logits, std::nullopt));
  std::vector<float> original = to_floats(logits);
  for (int t = 0; t < 50; ++t) {
    EXPECT_FLOAT_EQ(processed[t], original[t] + (t == forced ? 100.0f : 0.0f));
  }
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  const int vocab = 32;
  array logits = random_logits(vocab, 10);
  std::vector<float> original = to_floats(logits);
  const std::vector<int32_t> history = {3, 5, 7, 5, 11, 20};
  array h(history.begin(), {int(history.size())}, int32);
  // Make sure the history covers both signs.
  bool positive = false, negative = false;
  for (int t : history) (original[t] > 0 ? positive : negative) = true;
  ASSERT_TRUE(positive && negative) << "pick another seed";
  for (int context : {20, 3}) {
    SCOPED_TRACE("context " + std::to_string(context));
    const float penalty = 1.7f;
    Sampler sampler({.repetition_penalty = penalty, .repetition_context_size = context}, vocab);
    std::vector<float> out = to_floats(sampler.process(logits, h));
    std::set<int> recent(history.end() - std::min<int>(context, history.size()), history.end());
    for (int t = 0; t < vocab; ++t) {
      float expected = original[t];
      if (recent.count(t)) expected = expected > 0 ? expected / penalty : expected * penalty;
      EXPECT_FLOAT_EQ(out[t], expected) << "token " << t;
    }
  }
  // Without history nothing changes.
  Sampler sampler({.repetition_penalty = 1.7f}, vocab);
  EXPECT_EQ(to_floats(sampler.process(logits, std::nullopt)), original);
}

TEST(Sampler, PresenceAndFrequencyPenaltiesSubtractPerToken) {
  const int vocab = 16;
  array logits = random_logits(vocab, 12);
  std::vector<float> original = to_floats(logits);
  const std::vector<int32_t> history = {1, 1, 1, 4, 6, 6, 15};
  array h(history.begin(), {int(history.size())}, int32);
  const float presence = 0.5f, frequency = 0.25f;
  Sampler sampler({.presence_penalty = presence, .frequency_penalty = frequency}, vocab);
  std::vector<float> out = to_floats(sampler.process(logits, h));
  for (int t = 0; t < vocab; ++t) {
    const int count = int(std::count(history.begin(), history.end(), t));
    const float expected = original[t] - count * frequency - (count > 0 ? presence : 0.0f);
    EXPECT_NEAR(out[t], expected, 1e-6f) << "token " << t;
  }
}

TEST(Sampler, InvalidOptionsThrowValueError) {
  EXPECT_THROW(Sampler({.temperature = -0.1f}, 10), ValueError);
  EXPECT_THROW(Sampler({.top_p = 0.0f}, 10), ValueError);
  EXPECT_THROW(Sampler({.top_p = 1.5f}, 10), ValueError);
  EXPECT_THROW(Sampler({.top_k = -1}, 10), ValueError);
  EXPECT_THROW(Sampler({.min_p = 1.5f}, 10), ValueError);
  EXPECT_THROW(Sampler({.repetition_penalty = 0.0f}, 10), ValueError);
  EXPECT_THROW(Sampler({.logit_bias = {{10, 1.0f}}}, 10), ValueError);
  EXPECT_THROW(Sampler({.logit_bias = {{-1, 1.0f}}}, 10), ValueError);
  EXPECT_NO_THROW(Sampler({.temperature = 0.0f, .top_p = 1.0f, .logit_bias = {{9, 1.0f}}}, 10));
  try {
    Sampler({.top_p = 2.0f}, 10);
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("top_p"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ember::lm
