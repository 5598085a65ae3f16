// Turning next-token logits into a token, as a lazy graph (so decode can be pipelined):
// logits processors (logit bias, repetition / presence / frequency penalties over the
// tokens so far) then greedy argmax at temperature 0, or top-k, top-p and min-p filtering
// and a categorical draw from a seeded key sequence.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "ember/core/array.h"

namespace ember::lm {

struct SamplingOptions {
  float temperature = 0.0f;         ///< 0: greedy
  float top_p = 1.0f;               ///< keep the smallest set with this much probability
  int top_k = 0;                    ///< 0: no limit
  float min_p = 0.0f;               ///< drop tokens below min_p * the top probability
  float repetition_penalty = 1.0f;  ///< > 1 discourages tokens in the recent context
  int repetition_context_size = 20;
  float presence_penalty = 0.0f;    ///< subtracted once from every token seen
  float frequency_penalty = 0.0f;   ///< subtracted per occurrence
  std::map<int, float> logit_bias;
  std::optional<uint64_t> seed;
};

class Sampler {
 public:
  Sampler(const SamplingOptions& options, int vocab_size);
  /// logits: [V] (any float dtype). history: the tokens so far as a 1-d int32 array (may be
  /// lazy). Returns a lazy 0-d int32 token.
  array operator()(const array& logits, const std::optional<array>& history);
  /// The logits after bias and penalties, as float32 (for tests and logprobs).
  array process(const array& logits, const std::optional<array>& history) const;
  const SamplingOptions& options() const { return options_; }

 private:
  SamplingOptions options_;
  int vocab_size_;
  std::optional<array> key_;
};

}  // namespace ember::lm
