// Pre-tokenizers of tokenizer.json: Sequence, Split (regex or literal, five
// delimiter behaviours, invert), ByteLevel (GPT-2's regex and byte alphabet),
// Metaspace (SentencePiece's "▁" with prepend schemes) and Digits, with HF
// `tokenizers` semantics.
#include <optional>
#include <utility>

#include "ember/lm/tokenizer/components.h"
#include "ember/lm/tokenizer/regex.h"
#include "ember/lm/tokenizer/utf8.h"

namespace ember::lm::detail {
namespace {

// GPT-2's pre-tokenizer regex, used by ByteLevel with use_regex.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Span {
  size_t begin, end;
  bool is_match;
};

// Applies a delimiter behaviour to spans that cover the text in order
// (HF's NormalizedString::split); returns the ranges of the resulting pieces.
std::vector<Span> apply_behavior(const std::vector<Span>& spans, SplitBehavior behavior) {
  std::vector<Span> out;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      return spans;
    case SplitBehavior::kRemoved:
      for (const Span& span : spans) {
        if (!span.is_match) out.push_back(span);
      }
      return out;
    case SplitBehavior::kMergedWithPrevious:
      for (const Span& span : spans) {
        if (span.is_match && !previous_match && !out.empty()) {
          out.back().end = span.end;
        } else {
          out.push_back(span);
        }
        previous_match = span.is_match;
      }
      return out;
    case SplitBehavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !out.empty()) {
          out.back().begin = it->begin;
        } else {
          out.push_back(*it);
        }
        previous_match = it->is_match;
      }
      return {out.rbegin(), out.rend()};
    case SplitBehavior::kContiguous:
      for (const Span& span : spans) {
        if (span.is_match == previous_match && !out.empty()) {
          out.back().end = span.end;
        } else {
          out.push_back(span);
        }
        previous_match = span.is_match;
      }
      return out;
  }
  return out;
}

// Turns the matches of a pattern into spans that cover the whole text.
std::vector<Span> spans_from_matches(size_t length,
                                     const std::vector<std::pair<size_t, size_t>>& matches,
                                     bool invert) {
  std::vector<Span> spans;
  spans.reserve(matches.size() * 2 + 1);
  size_t previous = 0;
  for (auto [begin, end] : matches) {
    if (previous != begin) spans.push_back({previous, begin, invert});
    spans.push_back({begin, end, !invert});
    previous = end;
  }
  if (previous != length) spans.push_back({previous, length, invert});
  return spans;
}

void emit_pieces(const Piece& piece, const std::vector<Span>& spans, std::vector<Piece>& out) {
  for (const Span& span : spans) {
    if (span.end <= span.begin) continue;
    out.push_back({piece.text.substr(span.begin, span.end - span.begin),
                   piece.at_start && span.begin == 0});
  }
}

// A Split pattern: a regex, or a literal string.
class Pattern {
 public:
  Pattern(std::string literal, std::optional<Regex> regex)
      : literal_(std::move(literal)), regex_(std::move(regex)) {}
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const {
    if (regex_) return regex_->find_all(text, matches);
    matches.clear();
    if (literal_.empty()) return;
    for (size_t at = text.find(literal_); at != std::string_view::npos;
         at = text.find(literal_, at + literal_.size())) {
      matches.emplace_back(at, at + literal_.size());
    }
  }

 private:
  std::string literal_;
  std::optional<Regex> regex_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    std::vector<std::pair<size_t, size_t>> matches;
    for (const Piece& piece : pieces) {
      pattern_.find_all(piece.text, matches);
      auto spans = spans_from_matches(piece.text.size(), matches, invert_);
      emit_pieces(piece, apply_behavior(spans, behavior_), out);
    }
    pieces = std::move(out);
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_.emplace(kGpt2Pattern, "ByteLevel");
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    std::vector<std::pair<size_t, size_t>> matches;
    for (Piece& piece : pieces) {
      if (add_prefix_space_ && (piece.text.empty() || piece.text[0] != ' ')) {
        piece.text.insert(0, 1, ' ');
      }
      if (!regex_) {
        if (!piece.text.empty()) out.push_back(std::move(piece));
        continue;
      }
      regex_->find_all(piece.text, matches);
      emit_pieces(piece, spans_from_matches(piece.text.size(), matches, false), out);
    }
    const auto& encoding = byte_level_encoding();
    std::string mapped;
    for (Piece& piece : out) {
      // Every byte maps to a character of one or two UTF-8 bytes.
      mapped.resize(piece.text.size() * 2);
      char* write = mapped.data();
      for (char c : piece.text) {
        const std::string& code = encoding[static_cast<unsigned char>(c)];
        *write++ = code[0];
        if (code.size() > 1) *write++ = code[1];
      }
      piece.text.assign(mapped.data(), write);
    }
    pieces = std::move(out);
  }

 private:
  bool add_prefix_space_;
  std::optional<Regex> regex_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    for (Piece& piece : pieces) {
      std::string text;
      text.reserve(piece.text.size() + replacement_.size());
      for (char c : piece.text) {
        if (c == ' ') {
          text.append(replacement_);
        } else {
          text.push_back(c);
        }
      }
      bool prepend = scheme_ == PrependScheme::kAlways ||
                     (scheme_ == PrependScheme::kFirst && piece.at_start);
      if (prepend && !text.starts_with(replacement_)) text.insert(0, replacement_);
      Piece replaced{std::move(text), piece.at_start};
      if (!split_) {
        if (!replaced.text.empty()) out.push_back(std::move(replaced));
        continue;
      }
      std::vector<std::pair<size_t, size_t>> matches;
      for (size_t at = replaced.text.find(replacement_); at != std::string::npos;
           at = replaced.text.find(replacement_, at + replacement_.size())) {
        matches.emplace_back(at, at + replacement_.size());
      }
      auto spans = spans_from_matches(replaced.text.size(), matches, false);
      emit_pieces(replaced, apply_behavior(spans, SplitBehavior::kMergedWithNext), out);
    }
    pieces = std::move(out);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

class DigitsPreTokenizer final : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    for (const Piece& piece : pieces) {
      std::vector<std::pair<size_t, size_t>> matches;
      for (size_t pos = 0; pos < piece.text.size();) {
        size_t begin = pos;
        bool numeric = is_numeric(next_char(piece.text, pos));
        if (numeric) matches.emplace_back(begin, pos);
      }
      auto spans = spans_from_matches(piece.text.size(), matches, false);
      auto behavior = individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous;
      emit_pieces(piece, apply_behavior(spans, behavior), out);
    }
    pieces = std::move(out);
  }

 private:
  bool individual_;
};

SplitBehavior parse_behavior(const std::string& name, const JsonPath& path) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  throw_error(path, "unknown split behavior '" + name + "'");
}

Pattern parse_pattern(const Json& value, const JsonPath& path) {
  const Json& pattern = require(value, "pattern", path);
  JsonPath pattern_path = path.child("pattern");
  if (pattern.is_object() && pattern.contains("String")) {
    return Pattern(require_string(pattern, "String", pattern_path), std::nullopt);
  }
  if (pattern.is_object() && pattern.contains("Regex")) {
    return Pattern("", Regex(require_string(pattern, "Regex", pattern_path), pattern_path.str()));
  }
  throw_error(pattern_path, "expected {\"String\": ...} or {\"Regex\": ...}");
}

PrependScheme parse_prepend_scheme(const Json& value, const JsonPath& path) {
  if (value.contains("prepend_scheme") && !value["prepend_scheme"].is_null()) {
    std::string scheme = require_string(value, "prepend_scheme", path);
    if (scheme == "always") return PrependScheme::kAlways;
    if (scheme == "first") return PrependScheme::kFirst;
    if (scheme == "never") return PrependScheme::kNever;
    throw_error(path.child("prepend_scheme"), "unknown prepend scheme '" + scheme + "'");
  }
  // Files written before prepend_scheme existed say add_prefix_space.
  return optional_bool(value, "add_prefix_space", true, path) ? PrependScheme::kAlways
                                                              : PrependScheme::kNever;
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& value, const JsonPath& path) {
  if (value.is_null()) return nullptr;
  std::string type = component_type(value, path);
  if (type == "Sequence") {
    const Json& list = require(value, "pretokenizers", path);
    if (!list.is_array()) throw_error(path.child("pretokenizers"), "expected an array");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_pre_tokenizer(list[i], path.child("pretokenizers").index(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  if (type == "Split") {
    return std::make_unique<SplitPreTokenizer>(
        parse_pattern(value, path),
        parse_behavior(require_string(value, "behavior", path), path.child("behavior")),
        optional_bool(value, "invert", false, path));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(
        optional_bool(value, "add_prefix_space", true, path),
        optional_bool(value, "use_regex", true, path));
  }
  if (type == "Metaspace") {
    std::string replacement = optional_string(value, "replacement", "\xE2\x96\x81", path);
    size_t position = 0;
    if (replacement.empty() || (next_char(replacement, position), position != replacement.size())) {
      throw_error(path.child("replacement"), "expected a single character");
    }
    return std::make_unique<MetaspacePreTokenizer>(std::move(replacement),
                                                   parse_prepend_scheme(value, path),
                                                   optional_bool(value, "split", true, path));
  }
  if (type == "Digits") {
    return std::make_unique<DigitsPreTokenizer>(
        optional_bool(value, "individual_digits", false, path));
  }
  throw_error(path, "unsupported pre-tokenizer type '" + type +
                        "' (supported: Sequence, Split, ByteLevel, Metaspace, Digits)");
}

}  // namespace ember::lm::detail
