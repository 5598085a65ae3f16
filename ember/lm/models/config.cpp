#include "ember/lm/models/config.h"

#include "ember/core/errors.h"

namespace ember::lm {
namespace {
[[noreturn]] void bad_field(const std::string& key, const std::string& want) {
  throw ValueError(detail::concat("[load_model] config.json: field '", key, "' must be ", want));
}
}  // namespace

const nlohmann::ordered_json* ConfigReader::find(const std::string& key) const {
  auto it = config_.find(key);
  if (it == config_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool ConfigReader::has(const std::string& key) const { return find(key) != nullptr; }

int ConfigReader::integer(const std::string& key) const {
  const auto* v = find(key);
  EMBER_CHECK(v != nullptr, ValueError, "[load_model] config.json: missing field '", key, "'");
  if (!v->is_number_integer()) bad_field(key, "an integer");
  return v->get<int>();
}

int ConfigReader::integer(const std::string& key, int fallback) const {
  return has(key) ? integer(key) : fallback;
}

double ConfigReader::number(const std::string& key) const {
  const auto* v = find(key);
  EMBER_CHECK(v != nullptr, ValueError, "[load_model] config.json: missing field '", key, "'");
  if (!v->is_number()) bad_field(key, "a number");
  return v->get<double>();
}

double ConfigReader::number(const std::string& key, double fallback) const {
  return has(key) ? number(key) : fallback;
}

bool ConfigReader::boolean(const std::string& key, bool fallback) const {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) bad_field(key, "true or false");
  return v->get<bool>();
}

std::string ConfigReader::string(const std::string& key, const std::string& fallback) const {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_string()) bad_field(key, "a string");
  return v->get<std::string>();
}

std::vector<int> ConfigReader::integers(const std::string& key) const {
  const auto* v = find(key);
  if (!v) return {};
  if (!v->is_array()) bad_field(key, "a list of integers");
  std::vector<int> out;
  for (const auto& e : *v) {
    if (!e.is_number_integer()) bad_field(key, "a list of integers");
    out.push_back(e.get<int>());
  }
  return out;
}

std::vector<std::string> ConfigReader::strings(const std::string& key) const {
  const auto* v = find(key);
  if (!v) return {};
  if (!v->is_array()) bad_field(key, "a list of strings");
  std::vector<std::string> out;
  for (const auto& e : *v) {
    if (!e.is_string()) bad_field(key, "a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

RopeConfig read_rope_config(const ConfigReader& config) {
  RopeConfig rope;
  rope.theta = config.number("rope_theta", rope.theta);
  rope.partial_rotary_factor = config.number("partial_rotary_factor", 1.0);
  const nlohmann::ordered_json* params = nullptr;
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    auto it = config.json().find(key);
    if (it != config.json().end() && it->is_object()) {
      params = &*it;
      break;
    }
  }
  if (params) {
    ConfigReader p(*params);
    rope.theta = p.number("rope_theta", rope.theta);
    rope.partial_rotary_factor = p.number("partial_rotary_factor", rope.partial_rotary_factor);
    rope.type = p.string("rope_type", p.string("type", "default"));
    rope.factor = p.number("factor", 1.0);
    rope.low_freq_factor = p.number("low_freq_factor", rope.low_freq_factor);
    rope.high_freq_factor = p.number("high_freq_factor", rope.high_freq_factor);
    rope.original_max_position_embeddings =
        p.integer("original_max_position_embeddings", rope.original_max_position_embeddings);
  }
  EMBER_CHECK(rope.type == "default" || rope.type == "linear" || rope.type == "llama3",
              NotImplementedError, "[load_model] config.json: rope type '", rope.type,
              "' is not supported yet (supported: default, linear, llama3)");
  return rope;
}

}  // namespace ember::lm
