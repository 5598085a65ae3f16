// Added tokens of tokenizer.json (internal): finds them in text before the
// model sees it, with HF's flags: lstrip/rstrip swallow whitespace beside the
// token, single_word requires word boundaries, normalized tokens are matched
// in normalized text, and special tokens only when asked.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ember/lm/tokenizer/components.h"

namespace ember::lm::detail {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
  /// What id_to_token and decode give: the content, normalized for a
  /// normalized token (HF shows "▁foo" for "foo" under a Prepend normalizer).
  std::string surface;
};

/// A span of text: an added token's id, or kText for text between tokens.
struct TextSplit {
  static constexpr int32_t kText = -1;
  size_t begin;
  size_t end;
  int32_t id;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  /// `normalizer` (may be null) normalizes the patterns of normalized tokens, as HF does.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  /// Splits `text` at the tokens of one set: normalized=false tokens are
  /// matched in the original text, normalized=true ones in normalized text.
  /// Special tokens are matched only with `parse_special`.
  void split(std::string_view text, bool normalized_set, bool parse_special,
             std::vector<TextSplit>& out) const;

  [[nodiscard]] const AddedToken* find(int32_t id) const;
  [[nodiscard]] std::optional<int32_t> find(std::string_view content) const;
  [[nodiscard]] const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Leftmost-longest matching over a small set of patterns, bucketed by first byte.
  struct Matcher {
    std::vector<std::string> patterns;
    std::vector<size_t> token_index;
    std::array<std::vector<uint32_t>, 256> by_first_byte;  // longest pattern first
    void add(std::string pattern, size_t index);
    void finish();
    // The pattern matching at `pos` that is longest, or -1.
    [[nodiscard]] int longest_at(std::string_view text, size_t pos) const;
  };

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t> by_content_;
  Matcher original_;
  Matcher normalized_;
};

}  // namespace ember::lm::detail
