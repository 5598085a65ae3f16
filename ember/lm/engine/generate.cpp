#include "ember/lm/engine/generate.h"

#include <algorithm>
#include <chrono>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/memory.h"
#include "ember/core/ops.h"

namespace ember::lm {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

array token_row(const std::vector<int32_t>& tokens, size_t from, size_t to) {
  return array(tokens.begin() + from, {1, static_cast<int>(to - from)}, int32);
}

array last_logits(const array& logits) {
  const int length = logits.shape(1), vocab = logits.shape(2);
  return reshape(slice(logits, {0, length - 1, 0}, {1, length, vocab}), {vocab});
}

bool penalties_active(const SamplingOptions& s) {
  return s.repetition_penalty != 1.0f || s.presence_penalty != 0.0f || s.frequency_penalty != 0.0f;
}

}  // namespace

array prefill(Model& model, const std::vector<int32_t>& tokens, CacheList& caches, int step,
              const std::function<void(int, int)>& progress) {
  EMBER_CHECK(!tokens.empty(), ValueError, "[generate] the prompt is empty");
  EMBER_CHECK(step > 0, ValueError, "[generate] prefill step size must be positive, got ", step);
  const size_t total = tokens.size();
  size_t done = 0;
  while (total - done > static_cast<size_t>(step)) {
    model.forward(token_row(tokens, done, done + step), caches);
    eval(cache_state(caches));
    done += step;
    if (progress) progress(static_cast<int>(done), static_cast<int>(total));
  }
  array logits = last_logits(model.forward(token_row(tokens, done, total), caches));
  if (progress) progress(static_cast<int>(total), static_cast<int>(total));
  return logits;
}

GenerationResult generate(Model& model, const Tokenizer& tokenizer,
                          const std::vector<int32_t>& prompt, CacheList& caches,
                          const GenerationOptions& options,
                          const std::function<bool(const GenerationChunk&)>& on_chunk) {
  EMBER_CHECK(options.max_tokens >= 0, ValueError, "[generate] max_tokens must be >= 0, got ",
              options.max_tokens);
  const int context = caches.empty() ? 0 : caches.front()->offset();
  const int64_t needed = int64_t(context) + int64_t(prompt.size());
  EMBER_CHECK(needed <= model.max_context(), ValueError, "[generate] the prompt (", prompt.size(),
              " tokens", context > 0 ? detail::concat(" after ", context, " cached") : std::string(),
              ") is longer than the model's maximum context of ", model.max_context(), " tokens");
  for (int32_t id : prompt) {
    EMBER_CHECK(id >= 0 && id < model.vocab_size(), ValueError, "[generate] prompt token ", id,
                " is outside the model's vocabulary of ", model.vocab_size());
  }
  Sampler sampler(options.sampling, model.vocab_size());
  const bool use_history = penalties_active(options.sampling);
  std::optional<array> history;
  if (use_history) history = array(prompt.begin(), {static_cast<int>(prompt.size())}, int32);

  GenerationResult result;
  result.stats.prompt_tokens = static_cast<int>(prompt.size());
  const auto prompt_start = Clock::now();
  if (options.max_tokens == 0) {
    eval(prefill(model, prompt, caches, options.prefill_step_size, options.prefill_progress));
    result.stats.prompt_seconds = seconds_since(prompt_start);
    result.stats.finish_reason = "length";
    return result;
  }
  array logits = prefill(model, prompt, caches, options.prefill_step_size, options.prefill_progress);
  array token = sampler(logits, history);
  async_eval(token);

  StreamingDetokenizer detokenizer(tokenizer);
  std::string pending;  // text held back while it could be the start of a stop string
  size_t hold = 0;
  for (const auto& s : options.stop_strings) hold = std::max(hold, s.size());
  auto is_eos = [&](int32_t id) {
    return std::find(options.eos_ids.begin(), options.eos_ids.end(), id) != options.eos_ids.end();
  };

  Clock::time_point decode_start;
  bool stopped = false;
  for (int n = 0; n < options.max_tokens && !stopped; ++n) {
    std::optional<array> next;
    const bool last = n + 1 == options.max_tokens;
    if (!last) {
      // Submit step n+1 before waiting for token n (pipelined decode).
      if (use_history) history = concatenate({*history, reshape(token, {1})}, 0);
      array step_logits = last_logits(model.forward(reshape(token, {1, 1}), caches));
      next = sampler(step_logits, history);
      async_eval(*next);
    }
    const int32_t id = token.item<int32_t>();
    if (n == 0) {
      result.stats.prompt_seconds = seconds_since(prompt_start);
      decode_start = Clock::now();
    }
    result.tokens.push_back(id);
    std::string piece;
    if (is_eos(id)) {
      stopped = true;
      result.stats.finish_reason = "stop";
      piece = pending;
      pending.clear();
      std::string rest = detokenizer.finish();
      (void)rest;  // the EOS token's own text is not part of the output
    } else {
      detokenizer.add(id);
      pending += detokenizer.take_text();
      // Stop strings: cut the text before the first one that appears.
      size_t cut = std::string::npos;
      for (const auto& s : options.stop_strings) {
        if (s.empty()) continue;
        size_t at = (result.text + pending).find(s);
        if (at != std::string::npos) cut = std::min(cut, at);
      }
      if (cut != std::string::npos) {
        stopped = true;
        result.stats.finish_reason = "stop";
        piece = (result.text + pending).substr(result.text.size(), cut - std::min(cut, result.text.size()));
        pending.clear();
      } else if (pending.size() > hold) {
        piece = pending.substr(0, pending.size() - hold);
        pending.erase(0, piece.size());
      }
    }
    result.text += piece;
    if (on_chunk && !on_chunk({id, piece})) stopped = true;
    if (next) token = *next;
  }
  if (!stopped) {
    std::string tail = pending + detokenizer.finish();
    result.text += tail;
    if (on_chunk && !tail.empty()) on_chunk({-1, tail});
    result.stats.finish_reason = "length";
  }
  // Let the speculatively submitted step finish before the caches are used again.
  eval(cache_state(caches));
  auto& st = result.stats;
  st.generation_tokens = static_cast<int>(result.tokens.size());
  st.generation_seconds = seconds_since(decode_start);
  st.prompt_tps = st.prompt_seconds > 0 ? st.prompt_tokens / st.prompt_seconds : 0;
  st.generation_tps = st.generation_seconds > 0 && st.generation_tokens > 1
                          ? (st.generation_tokens - 1) / st.generation_seconds
                          : 0;
  st.peak_memory_gb = static_cast<double>(get_peak_memory()) / 1e9;
  return result;
}

}  // namespace ember::lm
