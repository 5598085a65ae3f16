// Access to the golden tokenizer fixtures (tests/lm/fixtures/tokenizers).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ember::lm::testing {

inline std::filesystem::path fixtures_dir() {
  return std::filesystem::path(EMBER_SOURCE_DIR) / "tests" / "lm" / "fixtures" / "tokenizers";
}

inline const std::vector<std::string>& fixture_styles() {
  static const std::vector<std::string> styles = {"qwen3", "llama3", "gpt2", "llama2", "mistral"};
  return styles;
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return nlohmann::json::parse(content.str());
}

inline std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, accumulator = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) continue;
    accumulator = (accumulator << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
    }
  }
  return out;
}

struct FixtureText {
  std::string name;
  std::string bytes;
};

inline std::vector<FixtureText> fixture_texts() {
  std::vector<FixtureText> texts;
  nlohmann::json json = read_json(fixtures_dir() / "texts.json");
  for (const auto& entry : json["texts"]) {
    texts.push_back({entry["name"], base64_decode(entry["base64"])});
  }
  return texts;
}

}  // namespace ember::lm::testing
