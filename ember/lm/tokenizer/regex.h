// A compiled PCRE2 pattern in Unicode mode (UTF + UCP), JIT-compiled where the
// platform allows, for the Split pre-tokenizer and the Replace normalizer.
// HF compiles these patterns with Oniguruma; the features real tokenizers use
// (\p{L}, \p{N}, \s, (?i:...), lookahead) mean the same in PCRE2.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::lm::detail {

class Regex {
 public:
  /// Compiles `pattern`; `where` names the field in error messages.
  Regex(std::string_view pattern, std::string_view where);

  /// Byte ranges [begin, end) of the successive non-overlapping, non-empty
  /// matches in `text`, which must be valid UTF-8.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const;

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
};

}  // namespace ember::lm::detail
