// `ember chat`: a multi-turn conversation on stdin/stdout. The caches persist between
// turns: each turn runs only the tokens the cache has not seen (the rendered conversation
// minus the cached prefix), so a long conversation is not re-read every turn.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "ember/cli/command.h"
#include "ember/cli/lm_session.h"

namespace ember::cli {
namespace {

constexpr const char* kUsage =
    "usage: ember chat [--model DIR] [options]\n"
    "\n"
    "Chats with a model using its chat template; the conversation's cache is kept between\n"
    "turns. Type a message and press enter; 'q' or end of input quits, 'r' resets.\n"
    "\n";

int run_chat(const std::vector<std::string>& args) {
  LmArgs lm_args;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::printf("%s%s", kUsage, kLmFlagsUsage);
      return 0;
    }
    if (!parse_lm_flag(args, i, lm_args, "chat")) {
      std::fprintf(stderr, "ember chat: unknown option '%s'\n\n%s%s", args[i].c_str(), kUsage, kLmFlagsUsage);
      return 2;
    }
  }
  LoadedModel loaded = load_for_generation(lm_args);
  if (!loaded.chat_template) {
    throw std::runtime_error("[chat] " + loaded.dir.string() + " has no chat template");
  }
  auto fresh_conversation = [&] {
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    if (lm_args.system_prompt) messages.push_back({{"role", "system"}, {"content", *lm_args.system_prompt}});
    return messages;
  };
  nlohmann::ordered_json messages = fresh_conversation();
  lm::CacheList caches = loaded.model->make_caches();
  std::vector<int32_t> cached;  // the tokens the caches hold, in order
  std::string line;
  while (true) {
    std::printf(">> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "q") break;
    if (line == "r") {
      messages = fresh_conversation();
      caches = loaded.model->make_caches();
      cached.clear();
      continue;
    }
    messages.push_back({{"role", "user"}, {"content", line}});
    std::vector<int32_t> ids = encode_messages(loaded, messages, true);
    // The template may re-render earlier turns differently (e.g. dropping thinking); start
    // over from the first token where the cache and the new prompt differ.
    size_t common = 0;
    while (common < cached.size() && common < ids.size() && cached[common] == ids[common]) ++common;
    if (common < cached.size()) {
      bool trimmed = true;
      for (auto& c : caches) trimmed = trimmed && c->is_trimmable();
      if (trimmed) {
        for (auto& c : caches) c->trim(static_cast<int>(cached.size() - common));
        cached.resize(common);
      } else {
        caches = loaded.model->make_caches();
        cached.clear();
        common = 0;
      }
    }
    if (common == ids.size()) {  // nothing new: re-run the last token
      for (auto& c : caches) c->trim(1);
      cached.pop_back();
      --common;
    }
    std::vector<int32_t> fresh(ids.begin() + common, ids.end());
    auto result = lm::generate(*loaded.model, loaded.tokenizer, fresh, caches, lm_args.generation,
                               [](const lm::GenerationChunk& chunk) {
                                 std::fwrite(chunk.text.data(), 1, chunk.text.size(), stdout);
                                 std::fflush(stdout);
                                 return true;
                               });
    std::printf("\n");
    cached.insert(cached.end(), fresh.begin(), fresh.end());
    cached.insert(cached.end(), result.tokens.begin(), result.tokens.end());
    cached.resize(std::min<size_t>(cached.size(), caches.front()->offset()));
    messages.push_back({{"role", "assistant"}, {"content", result.text}});
  }
  return 0;
}

const CommandRegistrar kChat{{"chat", "chat with a model, keeping the cache between turns", run_chat}};

}  // namespace
}  // namespace ember::cli
