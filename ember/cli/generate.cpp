// `ember generate`: one prompt in, generated text streamed to stdout, mlx_lm.generate's
// statistics on stderr; or with --json one JSON object (prompt and generated ids, text,
// statistics) for scripts and tests.
#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "ember/cli/command.h"
#include "ember/cli/lm_session.h"
#include "ember/core/memory.h"

namespace ember::cli {
namespace {

constexpr const char* kUsage =
    "usage: ember generate [--model DIR] [--prompt TEXT] [options]\n"
    "\n"
    "Generates text from a Hugging Face model folder (Llama, Qwen3, Qwen3-MoE, Qwen3.5,\n"
    "Qwen3-Next). Without --model it runs the built-in model (a small Qwen3.5-style hybrid\n"
    "trained on the King James Bible), with the prompt \"And it came to pass\" unless --prompt\n"
    "is given. The chat template is applied when the folder has one.\n"
    "\n"
    "  --prompt TEXT, -p TEXT  the prompt (\"-\" reads it from stdin)\n"
    "  --json                  print one JSON object instead of streaming text\n";

int run_generate(const std::vector<std::string>& args) {
  LmArgs lm_args;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::printf("%s%s", kUsage, kLmFlagsUsage);
      return 0;
    }
    if (!parse_lm_flag(args, i, lm_args, "generate")) {
      std::fprintf(stderr, "ember generate: unknown option '%s'\n\n%s%s", args[i].c_str(), kUsage, kLmFlagsUsage);
      return 2;
    }
  }
  const bool built_in = lm_args.model.empty();
  std::string prompt = lm_args.prompt.value_or(built_in ? "And it came to pass" : "hello");
  if (prompt == "-") {
    prompt.clear();
    for (int c; (c = std::getchar()) != EOF;) prompt += static_cast<char>(c);
  }
  if (lm_args.json) lm_args.verbose = false;
  LoadedModel loaded = load_for_generation(lm_args);

  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (lm_args.system_prompt) messages.push_back({{"role", "system"}, {"content", *lm_args.system_prompt}});
  messages.push_back({{"role", "user"}, {"content", prompt}});
  std::vector<int32_t> ids = encode_messages(loaded, messages, !lm_args.ignore_chat_template);

  lm::CacheList caches;
  std::vector<int32_t> to_run = ids;
  if (lm_args.load_prompt_cache) {
    auto [loaded_caches, meta] = lm::load_prompt_cache(*lm_args.load_prompt_cache);
    caches = std::move(loaded_caches);
    const int cached = caches.empty() ? 0 : caches.front()->offset();
    if (cached >= static_cast<int>(ids.size())) {
      throw std::runtime_error("[generate] the prompt cache holds " + std::to_string(cached) +
                               " tokens, the prompt only " + std::to_string(ids.size()));
    }
    to_run.assign(ids.begin() + cached, ids.end());
  } else {
    caches = loaded.model->make_caches();
  }
  if (lm_args.save_prompt_cache) {
    // Cache the prompt without its last token, which generation feeds itself.
    std::vector<int32_t> head(to_run.begin(), to_run.end() - 1);
    if (!head.empty()) {
      lm::GenerationOptions prefill_only = lm_args.generation;
      prefill_only.max_tokens = 0;
      lm::generate(*loaded.model, loaded.tokenizer, head, caches, prefill_only);
    }
    lm::save_prompt_cache(*lm_args.save_prompt_cache, caches,
                          {{"model", loaded.dir.string()}, {"tokens", std::to_string(head.size())}});
    to_run.erase(to_run.begin(), to_run.end() - 1);
  }

  reset_peak_memory();
  if (lm_args.verbose) std::fprintf(stderr, "==========\n");
  auto result = lm::generate(*loaded.model, loaded.tokenizer, to_run, caches, lm_args.generation,
                             [&](const lm::GenerationChunk& chunk) {
                               if (!lm_args.json) {
                                 std::fwrite(chunk.text.data(), 1, chunk.text.size(), stdout);
                                 std::fflush(stdout);
                               }
                               return true;
                             });
  if (lm_args.json) {
    const auto& st = result.stats;
    nlohmann::ordered_json out = {
        {"model", loaded.dir.string()},
        {"prompt", prompt},
        {"prompt_ids", ids},
        {"generated_ids", result.tokens},
        {"text", result.text},
        {"finish_reason", st.finish_reason},
        {"stats",
         {{"prompt_tokens", st.prompt_tokens}, {"prompt_tps", st.prompt_tps},
          {"generation_tokens", st.generation_tokens}, {"generation_tps", st.generation_tps},
          {"peak_memory_gb", st.peak_memory_gb}}}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
    std::fflush(stdout);  // the text's last line before the statistics on stderr
    if (lm_args.verbose) print_stats(result.stats);
  }
  return 0;
}

const CommandRegistrar kGenerate{{"generate", "generate text with a model (default: the built-in one)", run_generate}};

}  // namespace
}  // namespace ember::cli
