// UTF-8 and Unicode helpers of the tokenizer (internal). Character properties
// come from utf8proc; nothing here holds hand-written Unicode tables.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember::lm::detail {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

/// Decodes the character at `pos` of valid UTF-8 `text`, advancing `pos`.
char32_t next_char(std::string_view text, size_t& pos);
/// Decodes the last character before `end` of valid UTF-8 `text`; `end` moves to its start.
char32_t previous_char(std::string_view text, size_t& end);
void append_utf8(std::string& out, char32_t c);

/// True if `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);
/// Appends `text` to `out`, each ill-formed sequence (maximal subpart, as in
/// Unicode's "U+FFFD substitution of maximal subparts", which Python and Rust
/// follow) replaced by U+FFFD. With `hold_incomplete_tail`, a trailing
/// sequence that later bytes could still complete is left out; returns the
/// number of bytes of `text` consumed.
size_t append_lossy_utf8(std::string_view text, std::string& out, bool hold_incomplete_tail);
inline std::string to_valid_utf8(std::string_view text) {
  std::string out;
  append_lossy_utf8(text, out, false);
  return out;
}

/// Unicode White_Space (Rust's char::is_whitespace).
bool is_whitespace(char32_t c);
/// Word characters as regex \w in Unicode mode: letters, marks, decimal digits,
/// connector punctuation.
bool is_word_char(char32_t c);
/// General categories Nd, Nl, No (Rust's char::is_numeric).
bool is_numeric(char32_t c);

/// Unicode normal forms through utf8proc; `text` must be valid UTF-8.
enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };
std::string normalize_unicode(std::string_view text, NormalForm form);

/// GPT-2's byte-to-character map: byte b is written as the UTF-8 of
/// `byte_level_char(b)` so that every byte is a printable character.
const std::array<std::string, 256>& byte_level_encoding();
/// The byte a byte-level character stands for, or -1.
int byte_level_byte(char32_t c);

}  // namespace ember::lm::detail
