// Typed reads of a model's config.json (the text_config view, see model_folder.h), with
// errors that name the file and the field: "[load_model] config.json: missing field
// 'hidden_size'". Also the rotary-embedding settings, old (rope_theta/rope_scaling) and new
// (rope_parameters) spellings alike.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ember::lm {

class ConfigReader {
 public:
  explicit ConfigReader(const nlohmann::ordered_json& config) : config_(config) {}

  bool has(const std::string& key) const;
  int integer(const std::string& key) const;
  int integer(const std::string& key, int fallback) const;
  double number(const std::string& key) const;
  double number(const std::string& key, double fallback) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string string(const std::string& key, const std::string& fallback) const;
  std::vector<int> integers(const std::string& key) const;  ///< [] when absent
  std::vector<std::string> strings(const std::string& key) const;  ///< [] when absent
  const nlohmann::ordered_json& json() const { return config_; }

 private:
  const nlohmann::ordered_json* find(const std::string& key) const;
  const nlohmann::ordered_json& config_;
};

/// Rotary embedding parameters. The inverse frequencies of "default" are
/// theta^(-2i/dims); "linear" divides positions by factor; "llama3" rescales the low
/// frequencies as Llama 3.1 does.
struct RopeConfig {
  std::string type = "default";
  double theta = 10000.0;
  double partial_rotary_factor = 1.0;
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int original_max_position_embeddings = 8192;
};

/// Reads rope_parameters (transformers 5) or rope_theta / rope_scaling (older files).
/// Throws NotImplementedError for rope types ember does not implement yet.
RopeConfig read_rope_config(const ConfigReader& config);

}  // namespace ember::lm
