#include "ember/lm/engine/sampler.h"

#include <limits>
#include <vector>

#include "ember/core/errors.h"
#include "ember/core/ops.h"
#include "ember/core/random.h"

namespace ember::lm {

Sampler::Sampler(const SamplingOptions& options, int vocab_size)
    : options_(options), vocab_size_(vocab_size) {
  const char* op = "[sampler] ";
  EMBER_CHECK(options.temperature >= 0.0f, ValueError, op, "temperature must be >= 0, got ",
              options.temperature);
  EMBER_CHECK(options.top_p > 0.0f && options.top_p <= 1.0f, ValueError, op,
              "top_p must be in (0, 1], got ", options.top_p);
  EMBER_CHECK(options.top_k >= 0, ValueError, op, "top_k must be >= 0, got ", options.top_k);
  EMBER_CHECK(options.min_p >= 0.0f && options.min_p <= 1.0f, ValueError, op,
              "min_p must be in [0, 1], got ", options.min_p);
  EMBER_CHECK(options.repetition_penalty > 0.0f, ValueError, op,
              "repetition_penalty must be > 0, got ", options.repetition_penalty);
  for (const auto& [token, bias] : options.logit_bias) {
    EMBER_CHECK(token >= 0 && token < vocab_size, ValueError, op, "logit_bias token ", token,
                " is outside the vocabulary of ", vocab_size);
  }
  if (options.seed) key_ = random::key(*options.seed);
}

array Sampler::process(const array& logits_in, const std::optional<array>& history) const {
  array logits = astype(logits_in, float32);
  if (!options_.logit_bias.empty()) {
    std::vector<int> ids;
    std::vector<float> biases;
    for (const auto& [token, bias] : options_.logit_bias) {
      ids.push_back(token);
      biases.push_back(bias);
    }
    const int n = static_cast<int>(ids.size());
    logits = scatter_add_axis(logits, array(ids.begin(), {n}, int32),
                              array(biases.begin(), {n}, float32), 0);
  }
  if (history && history->size() > 0) {
    if (options_.repetition_penalty != 1.0f) {
      const int size = history->shape(0);
      const int from = std::max(0, size - options_.repetition_context_size);
      array recent = slice(*history, {from}, {size});
      array selected = take(logits, recent, 0);
      const array penalty(options_.repetition_penalty);
      selected = where(less(selected, array(0.0f)), selected * penalty, selected / penalty);
      logits = put_along_axis(logits, recent, selected, 0);
    }
    if (options_.presence_penalty != 0.0f || options_.frequency_penalty != 0.0f) {
      array counts = scatter_add_axis(zeros({vocab_size_}, float32), *history,
                                      ones(history->shape(), float32), 0);
      logits = logits - counts * array(options_.frequency_penalty) -
               astype(greater(counts, array(0.0f)), float32) * array(options_.presence_penalty);
    }
  }
  return logits;
}

array Sampler::operator()(const array& logits_in, const std::optional<array>& history) {
  array logits = process(logits_in, history);
  if (options_.temperature == 0.0f) return astype(argmax(logits, 0), int32);
  const float neg_inf = -std::numeric_limits<float>::infinity();
  logits = logits / array(options_.temperature);
  if (options_.top_k > 0 && options_.top_k < vocab_size_) {
    array kth = min(topk(logits, options_.top_k, 0), false);
    logits = where(less(logits, kth), array(neg_inf), logits);
  }
  if (options_.min_p > 0.0f) {
    array probs = softmax(logits, 0, true);
    logits = where(less(probs, max(probs, false) * array(options_.min_p)), array(neg_inf), logits);
  }
  if (options_.top_p < 1.0f) {
    // Keep the most likely tokens whose probabilities before them sum to less than top_p.
    array probs = softmax(logits, 0, true);
    array order = argsort(negative(probs), 0);
    array sorted = take(probs, order, 0);
    array before = cumsum(sorted, 0, false, false);
    array keep_sorted = less(before, array(options_.top_p));
    array keep = put_along_axis(zeros({vocab_size_}, bool_), order, keep_sorted, 0);
    logits = where(keep, logits, array(neg_inf));
  }
  std::optional<array> step_key;
  if (key_) {
    auto [next, sub] = random::split(*key_);
    key_ = next;
    step_key = sub;
  }
  return astype(random::categorical(logits, 0, step_key), int32);
}

}  // namespace ember::lm
