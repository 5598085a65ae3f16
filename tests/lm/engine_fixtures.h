// Access to the LM golden fixtures (tests/lm/fixtures/models, made by
// scripts/make_lm_fixtures.py with transformers): model folders, prompts, logits.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ember::lm::testing {

inline std::filesystem::path model_fixture(const std::string& arch) {
  return std::filesystem::path(EMBER_SOURCE_DIR) / "tests" / "lm" / "fixtures" / "models" / arch;
}

inline const std::vector<std::string>& fixture_archs() {
  static const std::vector<std::string> archs = {"llama",   "qwen3",       "qwen3_moe",
                                                 "qwen3_5", "qwen3_5_moe", "qwen3_next"};
  return archs;
}

inline nlohmann::json golden_json(const std::string& arch) {
  std::ifstream file(model_fixture(arch) / "golden.json");
  return nlohmann::json::parse(file);
}

template <class T>
std::vector<T> json_ints(const nlohmann::json& list) {
  std::vector<T> out;
  for (const auto& v : list) out.push_back(v.get<T>());
  return out;
}

}  // namespace ember::lm::testing
