// JSON field helpers and the normalizers of tokenizer.json: Sequence, NFC,
// NFD, NFKC, NFKD, Prepend, Replace and Strip, with HF `tokenizers` semantics.
#include <optional>
#include <utility>

#include "ember/lm/tokenizer/components.h"
#include "ember/lm/tokenizer/regex.h"
#include "ember/lm/tokenizer/tokenizer.h"
#include "ember/lm/tokenizer/utf8.h"

namespace ember::lm::detail {

JsonPath JsonPath::child(std::string_view key) const {
  return {file, field.empty() ? std::string(key) : field + "." + std::string(key), depth + 1};
}

JsonPath JsonPath::index(size_t i) const {
  return {file, field + "[" + std::to_string(i) + "]", depth + 1};
}

void throw_error(const JsonPath& path, std::string_view message) {
  throw TokenizerError("[tokenizer] " + path.str() + ": " + std::string(message));
}

const Json& require(const Json& value, std::string_view key, const JsonPath& path) {
  if (!value.is_object()) throw_error(path, "expected an object");
  auto it = value.find(key);
  if (it == value.end()) throw_error(path.child(key), "missing");
  return *it;
}

std::string require_string(const Json& value, std::string_view key, const JsonPath& path) {
  const Json& member = require(value, key, path);
  if (!member.is_string()) throw_error(path.child(key), "expected a string");
  return member.get<std::string>();
}

bool optional_bool(const Json& value, std::string_view key, bool fallback, const JsonPath& path) {
  auto it = value.find(key);
  if (it == value.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw_error(path.child(key), "expected a boolean");
  return it->get<bool>();
}

std::string optional_string(const Json& value, std::string_view key, std::string_view fallback,
                            const JsonPath& path) {
  auto it = value.find(key);
  if (it == value.end() || it->is_null()) return std::string(fallback);
  if (!it->is_string()) throw_error(path.child(key), "expected a string");
  return it->get<std::string>();
}

std::string component_type(const Json& value, const JsonPath& path) {
  constexpr int kMaxDepth = 64;
  if (path.depth > kMaxDepth) throw_error(path, "components nested too deeply");
  if (!value.is_object()) throw_error(path, "expected an object");
  return require_string(value, "type", path);
}

namespace {

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  std::string normalize(std::string text) const override {
    for (const auto& step : steps_) text = step->normalize(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
  std::string normalize(std::string text) const override {
    return normalize_unicode(text, form_);
  }

 private:
  NormalForm form_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string text) const override {
    if (text.empty()) return text;
    return prefix_ + text;
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::string literal, std::optional<Regex> regex, std::string content)
      : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
  std::string normalize(std::string text) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    if (regex_) {
      regex_->find_all(text, matches);
    } else if (!literal_.empty()) {
      for (size_t at = text.find(literal_); at != std::string::npos;
           at = text.find(literal_, at + literal_.size())) {
        matches.emplace_back(at, at + literal_.size());
      }
    }
    if (matches.empty()) return text;
    std::string out;
    out.reserve(text.size());
    size_t previous = 0;
    for (auto [begin, end] : matches) {
      out.append(text, previous, begin - previous);
      out.append(content_);
      previous = end;
    }
    out.append(text, previous);
    return out;
  }

 private:
  std::string literal_;
  std::optional<Regex> regex_;
  std::string content_;
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  std::string normalize(std::string text) const override {
    size_t begin = 0;
    size_t end = text.size();
    while (left_ && begin < end) {
      size_t next = begin;
      if (!is_whitespace(next_char(text, next))) break;
      begin = next;
    }
    while (right_ && end > begin) {
      size_t previous = end;
      if (!is_whitespace(previous_char(text, previous))) break;
      end = previous;
    }
    return text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const Json& value, const JsonPath& path) {
  if (value.is_null()) return nullptr;
  std::string type = component_type(value, path);
  if (type == "Sequence") {
    const Json& list = require(value, "normalizers", path);
    if (!list.is_array()) throw_error(path.child("normalizers"), "expected an array");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_normalizer(list[i], path.child("normalizers").index(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalForm::kNfc);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalForm::kNfd);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalForm::kNfkc);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalForm::kNfkd);
  if (type == "Prepend") {
    return std::make_unique<PrependNormalizer>(require_string(value, "prepend", path));
  }
  if (type == "Replace") {
    const Json& pattern = require(value, "pattern", path);
    std::string content = require_string(value, "content", path);
    JsonPath pattern_path = path.child("pattern");
    if (pattern.is_object() && pattern.contains("String")) {
      return std::make_unique<ReplaceNormalizer>(require_string(pattern, "String", pattern_path),
                                                 std::nullopt, std::move(content));
    }
    if (pattern.is_object() && pattern.contains("Regex")) {
      Regex regex(require_string(pattern, "Regex", pattern_path), pattern_path.str());
      return std::make_unique<ReplaceNormalizer>("", std::move(regex), std::move(content));
    }
    throw_error(pattern_path, "expected {\"String\": ...} or {\"Regex\": ...}");
  }
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(optional_bool(value, "strip_left", false, path),
                                             optional_bool(value, "strip_right", false, path));
  }
  throw_error(path, "unsupported normalizer type '" + type +
                        "' (supported: Sequence, NFC, NFD, NFKC, NFKD, Prepend, Replace, Strip)");
}

}  // namespace ember::lm::detail
