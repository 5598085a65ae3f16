// What `ember generate` and `ember chat` share: their flags (mlx_lm.generate's names),
// loading a model folder with its tokenizer, chat template and EOS ids, and printing the
// statistics.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/core/dtype.h"
#include "ember/lm/chat_template/chat_template.h"
#include "ember/lm/chat_template/model_folder.h"
#include "ember/lm/engine/generate.h"
#include "ember/lm/models/model.h"
#include "ember/lm/tokenizer/tokenizer.h"

namespace ember::cli {

struct LmArgs {
  std::filesystem::path model;  ///< empty: the built-in default model
  std::optional<std::string> prompt;
  std::optional<std::string> system_prompt;
  bool ignore_chat_template = false;
  std::string device;  ///< "", "cpu" or "gpu"
  std::optional<Dtype> dtype;
  lm::GenerationOptions generation;
  // Sampling flags given on the command line (the rest come from generation_config.json).
  std::optional<float> temp, top_p, min_p;
  std::optional<int> top_k;
  std::optional<uint64_t> seed;
  bool json = false;
  bool verbose = true;
  std::optional<std::filesystem::path> save_prompt_cache, load_prompt_cache;
};

/// The flags both commands take, for their usage texts.
extern const char* kLmFlagsUsage;

/// Parses one flag at args[i] (advancing i past its value); false if it is not an LM flag.
/// Throws std::runtime_error for a bad value.
bool parse_lm_flag(const std::vector<std::string>& args, size_t& i, LmArgs& out,
                   const char* command);

/// The built-in model: <prefix>/share/ember/models/default when installed, else the source
/// tree's models/default.
std::filesystem::path default_model_dir();

struct LoadedModel {
  std::filesystem::path dir;
  lm::ModelFolderInfo info;
  lm::Tokenizer tokenizer;
  std::unique_ptr<lm::Model> model;
  std::optional<lm::ChatTemplate> chat_template;
};

/// Selects the device, reads the folder and loads the model (progress on stderr when
/// verbose), and fills the generation options' EOS ids and sampling defaults.
LoadedModel load_for_generation(LmArgs& args);

/// The prompt's token ids: through the chat template (system prompt first) unless there
/// is none or it is ignored, else the raw text.
std::vector<int32_t> encode_messages(const LoadedModel& loaded, const nlohmann::ordered_json& messages,
                                     bool use_template);

/// mlx_lm.generate's closing lines.
void print_stats(const lm::GenerationStats& stats);

}  // namespace ember::cli
