// Model-folder metadata, following transformers' loading rules (tokenization_utils_base.py:
// special_tokens_map.json overrides tokenizer_config.json unless the latter has
// added_tokens_decoder; template files replace tokenizer_config.json's chat_template).
#include "ember/lm/chat_template/model_folder.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ember::lm {
namespace {

const char* const kSpecialTokenNames[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                          "pad_token", "cls_token", "mask_token"};

[[noreturn]] void fail(const std::string& file, const std::string& detail) {
  throw ModelFolderError("[model_folder] " + file + ": " + detail);
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file.filename().string(), "cannot open " + file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail(file.filename().string(), "cannot read " + file.string());
  return buffer.str();
}

std::optional<nlohmann::ordered_json> read_optional_json(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::nullopt;
  auto json = read_json_file(file);
  if (!json.is_object()) fail(file.filename().string(), "expected a JSON object at the top level");
  return json;
}

// A special token: "text", {"content": "text", ...} (AddedToken), or null.
std::optional<std::string> token_text(const std::string& file, const std::string& key,
                                      const nlohmann::ordered_json& value) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  fail(file, key + " must be a string, null or an object with a string \"content\"");
}

std::optional<bool> optional_bool(const std::string& file, const nlohmann::ordered_json& json, const char* key) {
  if (!json.contains(key) || json[key].is_null()) return std::nullopt;
  if (!json[key].is_boolean()) fail(file, std::string(key) + " must be true or false");
  return json[key].get<bool>();
}

std::optional<int64_t> optional_int(const std::string& file, const nlohmann::ordered_json& json, const char* key) {
  if (!json.contains(key) || json[key].is_null()) return std::nullopt;
  if (!json[key].is_number_integer()) fail(file, std::string(key) + " must be an integer");
  return json[key].get<int64_t>();
}

std::optional<double> optional_number(const std::string& file, const nlohmann::ordered_json& json, const char* key) {
  if (!json.contains(key) || json[key].is_null()) return std::nullopt;
  if (!json[key].is_number()) fail(file, std::string(key) + " must be a number");
  return json[key].get<double>();
}

// eos_token_id: an integer or a list of integers.
void append_ids(const std::string& file, const nlohmann::ordered_json& json, std::vector<int64_t>& ids) {
  if (!json.contains("eos_token_id") || json["eos_token_id"].is_null()) return;
  const auto& value = json["eos_token_id"];
  auto add = [&](const nlohmann::ordered_json& id) {
    if (!id.is_number_integer()) fail(file, "eos_token_id must be an integer or a list of integers");
    int64_t v = id.get<int64_t>();
    if (std::find(ids.begin(), ids.end(), v) == ids.end()) ids.push_back(v);
  };
  if (value.is_array()) {
    for (const auto& id : value) add(id);
  } else {
    add(value);
  }
}

void read_chat_templates(ModelFolderInfo& info) {
  const std::string file = "tokenizer_config.json";
  std::map<std::string, std::string> from_files;
  std::error_code ec;
  auto jinja = info.path / "chat_template.jinja";
  if (std::filesystem::exists(jinja, ec)) from_files["default"] = read_text(jinja);
  auto extra_dir = info.path / "additional_chat_templates";
  if (std::filesystem::is_directory(extra_dir, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(extra_dir, ec)) {
      if (entry.path().extension() == ".jinja") from_files[entry.path().stem().string()] = read_text(entry.path());
    }
  }
  if (!from_files.empty()) {
    info.chat_templates = std::move(from_files);
    return;
  }
  if (info.tokenizer_config.contains("chat_template")) {
    const auto& value = info.tokenizer_config["chat_template"];
    if (value.is_string()) {
      info.chat_templates["default"] = value.get<std::string>();
    } else if (value.is_array()) {
      for (const auto& entry : value) {
        if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
            !entry["name"].is_string() || !entry["template"].is_string()) {
          fail(file, "chat_template list entries must be {\"name\": string, \"template\": string}");
        }
        info.chat_templates[entry["name"].get<std::string>()] = entry["template"].get<std::string>();
      }
    } else if (!value.is_null()) {
      fail(file, "chat_template must be a string or a list of {name, template}");
    }
    return;
  }
  // Processors of older multimodal models keep it in chat_template.json.
  if (auto legacy = read_optional_json(info.path / "chat_template.json")) {
    if (legacy->contains("chat_template") && (*legacy)["chat_template"].is_string()) {
      info.chat_templates["default"] = (*legacy)["chat_template"].get<std::string>();
    }
  }
}

}  // namespace

nlohmann::ordered_json read_json_file(const std::filesystem::path& file) {
  std::string text = read_text(file);
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::ordered_json::parse_error& e) {
    std::string message = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
    size_t colon = message.find(": ");
    if (colon != std::string::npos) message = message.substr(colon + 2);
    fail(file.filename().string(), "parse error at byte " + std::to_string(e.byte) + ": " + message);
  }
}

ModelFolderInfo read_model_folder(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail(dir.string(), "no such model folder");
  ModelFolderInfo info;
  info.path = dir;

  if (auto config = read_optional_json(dir / "config.json")) info.config = std::move(*config);
  info.text_config = info.config;
  if (info.config.contains("text_config")) {
    const auto& nested = info.config["text_config"];
    if (!nested.is_object() && !nested.is_null()) fail("config.json", "text_config must be an object");
    if (nested.is_object()) {
      info.text_config.erase("text_config");
      for (const auto& [key, value] : nested.items()) info.text_config[key] = value;
    }
  }
  if (auto tokenizer = read_optional_json(dir / "tokenizer_config.json")) info.tokenizer_config = std::move(*tokenizer);
  if (auto generation = read_optional_json(dir / "generation_config.json")) info.generation_config = std::move(*generation);

  // Special tokens: tokenizer_config.json, overridden by special_tokens_map.json when
  // tokenizer_config.json has no added_tokens_decoder (transformers' legacy path).
  for (const char* name : kSpecialTokenNames) {
    if (!info.tokenizer_config.contains(name)) continue;
    if (auto text = token_text("tokenizer_config.json", name, info.tokenizer_config[name])) {
      info.special_tokens[name] = *text;
    }
  }
  if (!info.tokenizer_config.contains("added_tokens_decoder")) {
    if (auto map = read_optional_json(dir / "special_tokens_map.json")) {
      for (const char* name : kSpecialTokenNames) {
        if (!map->contains(name)) continue;
        if (auto text = token_text("special_tokens_map.json", name, (*map)[name])) info.special_tokens[name] = *text;
      }
    }
  }
  info.add_bos_token = optional_bool("tokenizer_config.json", info.tokenizer_config, "add_bos_token");
  info.add_eos_token = optional_bool("tokenizer_config.json", info.tokenizer_config, "add_eos_token");
  read_chat_templates(info);

  const std::string gen_file = "generation_config.json";
  append_ids(gen_file, info.generation_config, info.config_eos_token_ids);
  append_ids("config.json", info.config, info.config_eos_token_ids);
  append_ids("config.json", info.text_config, info.config_eos_token_ids);
  info.bos_token_id = optional_int(gen_file, info.generation_config, "bos_token_id");
  if (!info.bos_token_id) info.bos_token_id = optional_int("config.json", info.text_config, "bos_token_id");
  info.pad_token_id = optional_int(gen_file, info.generation_config, "pad_token_id");
  if (!info.pad_token_id) info.pad_token_id = optional_int("config.json", info.text_config, "pad_token_id");

  auto& g = info.generation;
  g.temperature = optional_number(gen_file, info.generation_config, "temperature");
  g.top_p = optional_number(gen_file, info.generation_config, "top_p");
  g.top_k = optional_int(gen_file, info.generation_config, "top_k");
  g.min_p = optional_number(gen_file, info.generation_config, "min_p");
  g.repetition_penalty = optional_number(gen_file, info.generation_config, "repetition_penalty");
  g.do_sample = optional_bool(gen_file, info.generation_config, "do_sample");
  g.max_new_tokens = optional_int(gen_file, info.generation_config, "max_new_tokens");
  return info;
}

std::optional<std::string> ModelFolderInfo::token(const std::string& name) const {
  auto it = special_tokens.find(name);
  if (it == special_tokens.end()) return std::nullopt;
  return it->second;
}

std::vector<int64_t> ModelFolderInfo::eos_token_ids(
    const std::function<std::optional<int64_t>(const std::string&)>& token_to_id) const {
  std::vector<int64_t> ids = config_eos_token_ids;
  auto eos = token("eos_token");
  if (eos && token_to_id) {
    if (auto id = token_to_id(*eos); id && std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  return ids;
}

const std::string& ModelFolderInfo::select_chat_template(bool has_tools, const std::string& name) const {
  const std::string where = path.string();
  if (chat_templates.empty()) {
    fail(where, "no chat template (tokenizer_config.json has no chat_template and there is no chat_template.jinja)");
  }
  if (!name.empty()) {
    auto it = chat_templates.find(name);
    if (it == chat_templates.end()) fail(where, "no chat template named '" + name + "'");
    return it->second;
  }
  if (has_tools && chat_templates.count("tool_use")) return chat_templates.at("tool_use");
  auto it = chat_templates.find("default");
  if (it != chat_templates.end()) return it->second;
  std::string names;
  for (const auto& [key, value] : chat_templates) names += (names.empty() ? "" : ", ") + key;
  fail(where, "several chat templates and none named 'default' (" + names + ")");
}

nlohmann::ordered_json ModelFolderInfo::template_variables() const {
  nlohmann::ordered_json variables = nlohmann::ordered_json::object();
  for (const char* name : kSpecialTokenNames) {
    if (auto text = token(name)) variables[name] = *text;
  }
  return variables;
}

}  // namespace ember::lm
