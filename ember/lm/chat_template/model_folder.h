// Metadata of a Hugging Face model folder: config.json (with a nested text_config),
// tokenizer_config.json, special_tokens_map.json, generation_config.json and the chat
// template files, read the way transformers reads them.
//
//   auto info = ember::lm::read_model_folder("/models/Qwen3-0.6B");    // throws ModelFolderError
//   auto tmpl = ember::lm::ChatTemplate::parse(info.select_chat_template(/*has_tools=*/false));
//   ember::lm::ChatTemplateInputs inputs{.messages = messages};
//   inputs.extra = info.template_variables();                        // bos_token, eos_token, ...
//   auto eos = info.eos_token_ids([&](const std::string& t) { return tokenizer.token_to_id(t); });
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ember::lm {

/// A missing folder, unreadable or malformed file, or a field of the wrong type.
/// what() is "[model_folder] <file>: <detail>".
class ModelFolderError : public std::runtime_error {
 public:
  explicit ModelFolderError(const std::string& message) : std::runtime_error(message) {}
};

/// Default sampling parameters from generation_config.json (absent when not given).
struct GenerationDefaults {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> top_k;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  std::optional<bool> do_sample;
  std::optional<int64_t> max_new_tokens;
};

struct ModelFolderInfo {
  std::filesystem::path path;

  /// config.json as written ({} when absent).
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  /// The language model's config: config.json's top level with its `text_config` laid
  /// over it (multimodal models nest the text model's fields there); equals `config`
  /// when there is no text_config.
  nlohmann::ordered_json text_config = nlohmann::ordered_json::object();
  nlohmann::ordered_json tokenizer_config = nlohmann::ordered_json::object();
  nlohmann::ordered_json generation_config = nlohmann::ordered_json::object();

  /// Named special tokens (bos_token, eos_token, unk_token, sep_token, pad_token,
  /// cls_token, mask_token) as strings, from tokenizer_config.json and
  /// special_tokens_map.json; a token given as {"content": ...} is its content.
  std::map<std::string, std::string> special_tokens;
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;

  /// Chat templates by name; a single template is named "default". chat_template.jinja
  /// and additional_chat_templates/*.jinja replace tokenizer_config.json's, as in transformers.
  std::map<std::string, std::string> chat_templates;

  /// Token ids from generation_config.json, then config.json / text_config (union, in
  /// that order, without repeats).
  std::vector<int64_t> config_eos_token_ids;
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> pad_token_id;
  GenerationDefaults generation;

  std::optional<std::string> token(const std::string& name) const;
  /// The EOS ids to stop on: config_eos_token_ids plus the id of the eos_token string,
  /// which `token_to_id` maps (nullopt when the vocabulary lacks it).
  std::vector<int64_t> eos_token_ids(
      const std::function<std::optional<int64_t>(const std::string&)>& token_to_id = {}) const;
  /// The template transformers' get_chat_template picks: `name` when given, else
  /// "tool_use" when there are tools and it exists, else "default". Throws ModelFolderError.
  const std::string& select_chat_template(bool has_tools, const std::string& name = "") const;
  /// The variables apply_chat_template passes besides the messages: the special tokens.
  nlohmann::ordered_json template_variables() const;
};

/// Reads the metadata files of `dir` (all optional; the folder must exist).
ModelFolderInfo read_model_folder(const std::filesystem::path& dir);

/// Parses one JSON file with the model-folder error format; throws ModelFolderError.
nlohmann::ordered_json read_json_file(const std::filesystem::path& file);

}  // namespace ember::lm
