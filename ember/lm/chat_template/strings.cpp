// Python str operations for chat templates (see strings.h).
#include "ember/lm/chat_template/strings.h"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <utf8proc.h>

namespace ember::lm::tpl {
namespace {

bool is_cased(char32_t cp) {
  auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL || category == UTF8PROC_CATEGORY_LT;
}

template <typename Fn>
std::string map_code_points(std::string_view s, Fn fn) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) utf8_append(out, fn(utf8_next(s, pos)));
  return out;
}

std::vector<char32_t> decode(std::string_view s) {
  std::vector<char32_t> cps;
  size_t pos = 0;
  while (pos < s.size()) cps.push_back(utf8_next(s, pos));
  return cps;
}

}  // namespace

char32_t to_upper(char32_t cp) { return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp))); }
char32_t to_lower(char32_t cp) { return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))); }

std::string upper(std::string_view s) {
  // Python applies full case mapping; the one expansion that shows up in text is ß -> SS.
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = utf8_next(s, pos);
    if (cp == 0xdf) {
      out += "SS";
    } else {
      utf8_append(out, to_upper(cp));
    }
  }
  return out;
}
std::string lower(std::string_view s) { return map_code_points(s, to_lower); }

std::string capitalize(std::string_view s) {
  bool first = true;
  return map_code_points(s, [&](char32_t cp) {
    if (!first) return to_lower(cp);
    first = false;
    return static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(cp)));
  });
}

std::string title(std::string_view s) {
  bool previous_cased = false;
  return map_code_points(s, [&](char32_t cp) {
    char32_t out = previous_cased ? to_lower(cp) : static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(cp)));
    previous_cased = is_cased(cp);
    return out;
  });
}

bool is_lower(std::string_view s) {
  bool any_cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = utf8_next(s, pos);
    if (!is_cased(cp)) continue;
    if (to_lower(cp) != cp || utf8proc_category(static_cast<utf8proc_int32_t>(cp)) != UTF8PROC_CATEGORY_LL) return false;
    any_cased = true;
  }
  return any_cased;
}

bool is_upper(std::string_view s) {
  bool any_cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = utf8_next(s, pos);
    if (!is_cased(cp)) continue;
    if (utf8proc_category(static_cast<utf8proc_int32_t>(cp)) != UTF8PROC_CATEGORY_LU) return false;
    any_cased = true;
  }
  return any_cased;
}

std::string strip(std::string_view s, const Value& chars, bool left, bool right) {
  std::vector<char32_t> set;
  bool whitespace = chars.is_none() || chars.is_undefined();
  if (!whitespace) {
    if (!chars.is_string()) throw std::invalid_argument("strip arg must be None or str");
    set = decode(chars.as_string());
  }
  auto strippable = [&](char32_t cp) {
    return whitespace ? is_python_space(cp) : std::find(set.begin(), set.end(), cp) != set.end();
  };
  auto offsets = utf8_offsets(s);
  size_t n = offsets.size() - 1;
  size_t begin = 0;
  size_t end = n;
  auto cp_at = [&](size_t i) {
    size_t pos = offsets[i];
    return utf8_next(s, pos);
  };
  if (left) {
    while (begin < end && strippable(cp_at(begin))) ++begin;
  }
  if (right) {
    while (end > begin && strippable(cp_at(end - 1))) --end;
  }
  return std::string(s.substr(offsets[begin], offsets[end] - offsets[begin]));
}

std::vector<std::string> split_words(std::string_view s, int64_t maxsplit) {
  std::vector<std::string> out;
  size_t pos = 0;
  auto skip_space = [&]() {
    while (pos < s.size()) {
      size_t next = pos;
      if (!is_python_space(utf8_next(s, next))) break;
      pos = next;
    }
  };
  skip_space();
  while (pos < s.size()) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      // Past the limit Python keeps the remainder as is, trailing whitespace included.
      out.emplace_back(s.substr(pos));
      return out;
    }
    size_t start = pos;
    while (pos < s.size()) {
      size_t next = pos;
      if (is_python_space(utf8_next(s, next))) break;
      pos = next;
    }
    out.emplace_back(s.substr(start, pos - start));
    skip_space();
  }
  return out;
}

std::vector<std::string> rsplit_words(std::string_view s, int64_t maxsplit) {
  auto offsets = utf8_offsets(s);
  std::vector<char32_t> cps = decode(s);
  std::vector<std::string> out;
  int64_t end = static_cast<int64_t>(cps.size());
  auto skip_space = [&]() {
    while (end > 0 && is_python_space(cps[end - 1])) --end;
  };
  skip_space();
  while (end > 0) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      out.emplace_back(s.substr(0, offsets[end]));
      break;
    }
    int64_t start = end;
    while (start > 0 && !is_python_space(cps[start - 1])) --start;
    out.emplace_back(s.substr(offsets[start], offsets[end] - offsets[start]));
    end = start;
    skip_space();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> split(std::string_view s, std::string_view sep, int64_t maxsplit) {
  std::vector<std::string> out;
  size_t start = 0;
  while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
    size_t found = s.find(sep, start);
    if (found == std::string_view::npos) break;
    out.emplace_back(s.substr(start, found - start));
    start = found + sep.size();
  }
  out.emplace_back(s.substr(start));
  return out;
}

std::vector<std::string> rsplit(std::string_view s, std::string_view sep, int64_t maxsplit) {
  std::vector<std::string> out;
  size_t end = s.size();
  while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
    if (end < sep.size()) break;
    size_t found = s.rfind(sep, end - sep.size());
    if (found == std::string_view::npos) break;
    out.emplace_back(s.substr(found + sep.size(), end - found - sep.size()));
    end = found;
  }
  out.emplace_back(s.substr(0, end));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> splitlines(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t here = pos;
    char32_t cp = utf8_next(s, pos);
    bool boundary = cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || cp == 0x1c || cp == 0x1d ||
                    cp == 0x1e || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (!boundary) continue;
    out.emplace_back(s.substr(start, here - start));
    if (cp == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    start = pos;
  }
  if (start < s.size()) out.emplace_back(s.substr(start));
  return out;
}

std::string replace(std::string_view s, std::string_view old_text, std::string_view new_text, int64_t count,
                    size_t max_bytes) {
  std::string out;
  auto check = [&]() {
    if (out.size() > max_bytes) throw std::length_error("replace() result exceeds the output limit");
  };
  int64_t done = 0;
  if (old_text.empty()) {
    // Python inserts `new` before every character and at the end.
    auto offsets = utf8_offsets(s);
    for (size_t i = 0; i + 1 < offsets.size(); ++i) {
      if (count < 0 || done < count) {
        out += new_text;
        ++done;
      }
      out += s.substr(offsets[i], offsets[i + 1] - offsets[i]);
      check();
    }
    if (count < 0 || done < count) out += new_text;
    check();
    return out;
  }
  size_t start = 0;
  while (count < 0 || done < count) {
    size_t found = s.find(old_text, start);
    if (found == std::string_view::npos) break;
    out += s.substr(start, found - start);
    out += new_text;
    check();
    start = found + old_text.size();
    ++done;
  }
  out += s.substr(start);
  check();
  return out;
}

std::optional<int64_t> parse_python_int(std::string_view text, int base) {
  std::string s = strip(text, Value::none(), true, true);
  if (base != 0 && (base < 2 || base > 36)) return std::nullopt;
  std::string clean;
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if ((base == 0 || base == 16 || base == 8 || base == 2) && i + 1 < s.size() && s[i] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 1])));
    int prefixed = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (prefixed && (base == 0 || base == prefixed)) {
      base = prefixed;
      i += 2;
      if (i < s.size() && s[i] == '_') ++i;
    }
  }
  if (base == 0) base = 10;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' && !clean.empty() && i + 1 < s.size() && s[i + 1] != '_') continue;
    int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'z') ? c - 'a' + 10 : (c >= 'A' && c <= 'Z') ? c - 'A' + 10 : 99;
    if (digit >= base) return std::nullopt;
    clean += c;
  }
  if (clean.empty()) return std::nullopt;
  errno = 0;
  long long value = std::strtoll(clean.c_str(), nullptr, base);
  if (errno == ERANGE) return std::nullopt;
  return negative ? -value : value;
}

std::optional<double> parse_python_float(std::string_view text) {
  std::string s = strip(text, Value::none(), true, true);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
        std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      continue;
    }
    clean += s[i];
  }
  std::string lowered = lower(clean);
  std::string body = lowered;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.erase(0, 1);
  if (body == "nan" || body == "inf" || body == "infinity") {
    double v = body == "nan" ? NAN : INFINITY;
    return lowered[0] == '-' ? -v : v;
  }
  if (body.empty() || body.find_first_not_of("0123456789.e+-") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return std::nullopt;
  return v;
}

}  // namespace ember::lm::tpl
