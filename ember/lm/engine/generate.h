// Text generation with a loaded model: chunked prefill (the caches are evaluated after each
// chunk, so memory and graph size stay bounded), pipelined decode (step n+1 is submitted
// before token n is read), sampling, EOS ids and stop strings, streaming detokenized text
// and mlx_lm.generate's statistics.
//
//   lm::GenerationOptions options{.max_tokens = 64, .eos_ids = {2}};
//   auto caches = model->make_caches();
//   auto result = lm::generate(*model, tokenizer, prompt_ids, caches, options,
//                              [](const lm::GenerationChunk& c) { std::cout << c.text; return true; });
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ember/lm/engine/cache.h"
#include "ember/lm/engine/sampler.h"
#include "ember/lm/models/model.h"
#include "ember/lm/tokenizer/tokenizer.h"

namespace ember::lm {

struct GenerationOptions {
  int max_tokens = 256;
  SamplingOptions sampling;
  /// Prompt tokens per prefill chunk.
  int prefill_step_size = 512;
  std::vector<int64_t> eos_ids;
  std::vector<std::string> stop_strings;
  /// Called after each prefill chunk with (tokens done, prompt tokens).
  std::function<void(int, int)> prefill_progress;
};

struct GenerationStats {
  int prompt_tokens = 0;
  double prompt_seconds = 0, prompt_tps = 0;
  int generation_tokens = 0;
  double generation_seconds = 0, generation_tps = 0;
  double peak_memory_gb = 0;
  /// "stop" (EOS id or stop string) or "length" (max_tokens).
  std::string finish_reason;
};

struct GenerationResult {
  std::vector<int32_t> tokens;  ///< generated ids (the EOS id that ended generation included)
  std::string text;             ///< their text, cut before a stop string, without EOS text
  GenerationStats stats;
};

/// One streamed step: the new token and the text it completed (possibly empty).
struct GenerationChunk {
  int32_t token;
  std::string text;
};

/// Runs the prompt through the model (appending to `caches`, which may already hold a
/// conversation's earlier turns) and samples up to max_tokens tokens. `on_chunk` returning
/// false stops generation. Throws ValueError when the prompt does not fit the context.
GenerationResult generate(Model& model, const Tokenizer& tokenizer,
                          const std::vector<int32_t>& prompt, CacheList& caches,
                          const GenerationOptions& options,
                          const std::function<bool(const GenerationChunk&)>& on_chunk = {});

/// Feeds `tokens` through the model in chunks of `step` (evaluating the caches after each)
/// and returns the logits of the last token, [vocab], lazy.
array prefill(Model& model, const std::vector<int32_t>& tokens, CacheList& caches, int step,
              const std::function<void(int, int)>& progress = {});

}  // namespace ember::lm
