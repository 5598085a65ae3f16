// Python str operations on UTF-8 strings (code-point based, Unicode whitespace and
// simple case mapping through utf8proc). Internal to ember/lm/chat_template.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/lm/chat_template/value.h"

namespace ember::lm::tpl {

char32_t to_upper(char32_t cp);
char32_t to_lower(char32_t cp);
std::string upper(std::string_view s);
std::string lower(std::string_view s);
/// str.capitalize(): first character title-cased, the rest lower-cased.
std::string capitalize(std::string_view s);
/// str.title(): a cased character after an uncased one is title-cased, others lower-cased.
std::string title(std::string_view s);
bool is_lower(std::string_view s);
bool is_upper(std::string_view s);

/// str.strip/lstrip/rstrip; `chars` None strips Unicode whitespace, a string strips its characters.
std::string strip(std::string_view s, const Value& chars, bool left, bool right);
/// str.split() with no separator: runs of whitespace, at most `maxsplit` splits (-1: all).
std::vector<std::string> split_words(std::string_view s, int64_t maxsplit);
/// str.rsplit() with no separator.
std::vector<std::string> rsplit_words(std::string_view s, int64_t maxsplit);
/// str.split(sep) / str.rsplit(sep); `sep` is non-empty.
std::vector<std::string> split(std::string_view s, std::string_view sep, int64_t maxsplit);
std::vector<std::string> rsplit(std::string_view s, std::string_view sep, int64_t maxsplit);
/// str.splitlines() without keepends.
std::vector<std::string> splitlines(std::string_view s);
/// str.replace(old, new, count); throws std::length_error past `max_bytes`.
std::string replace(std::string_view s, std::string_view old_text, std::string_view new_text, int64_t count,
                    size_t max_bytes);
/// int(s, base) and float(s) as Python parses strings; nullopt when Python raises.
std::optional<int64_t> parse_python_int(std::string_view s, int base);
std::optional<double> parse_python_float(std::string_view s);

}  // namespace ember::lm::tpl
