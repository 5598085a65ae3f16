// Template tokenizer. Mirrors jinja2/lexer.py: the root rule finds the next `{{`, `{%`,
// `{#` (or a raw block) and applies whitespace control to the text before it; inside a
// tag the end marker only counts while brackets are balanced.
#include "ember/lm/chat_template/lexer.h"

#include <cerrno>
#include <cstdlib>

#include "ember/lm/chat_template/chat_template.h"
#include "ember/lm/chat_template/value.h"

namespace ember::lm::tpl {
namespace {

bool is_space_at(std::string_view s, size_t pos, size_t* length) {
  size_t next = pos;
  char32_t cp = utf8_next(s, next);
  *length = next - pos;
  return is_python_space(cp);
}

size_t skip_spaces(std::string_view s, size_t pos) {
  size_t length = 0;
  while (pos < s.size() && is_space_at(s, pos, &length)) pos += length;
  return pos;
}

/// Python's str.rstrip() (Unicode whitespace).
std::string_view rstrip(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
    size_t length = 0;
    if (!is_space_at(s, start, &length) || start + length != end) break;
    end = start;
  }
  return s.substr(0, end);
}

bool all_spaces(std::string_view s) {
  return !s.empty() && skip_spaces(s, 0) == s.size();
}

int count_newlines(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) {
    // jinja2 splits on \r\n, \r and \n, joins with \n and drops one trailing newline.
    source_.reserve(source.size());
    for (size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\r') {
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
        source_ += '\n';
      } else {
        source_ += source[i];
      }
    }
    if (!source_.empty() && source_.back() == '\n') source_.pop_back();
  }

  std::vector<Token> run() {
    std::string_view s = source_;
    while (pos_ < s.size()) {
      size_t tag = find_tag(pos_);
      if (tag == std::string_view::npos) {
        emit_text(s.substr(pos_));
        pos_ = s.size();
        break;
      }
      char kind = s[tag + 1];
      char sign = tag + 2 < s.size() && (s[tag + 2] == '-' || s[tag + 2] == '+') ? s[tag + 2] : 0;
      size_t raw_end = kind == '%' ? match_raw_begin(tag) : std::string_view::npos;
      std::string_view text = s.substr(pos_, tag - pos_);
      emit_text(strip_text(text, sign, kind != '{'));
      line_ += count_newlines(text);
      if (raw_end != std::string_view::npos) {
        lex_raw(tag, raw_end);
      } else if (kind == '#') {
        lex_comment(tag + 2 + (sign ? 1 : 0));
      } else {
        lex_tag(kind, tag + 2 + (sign ? 1 : 0));
      }
    }
    tokens_.push_back(Token{TokenType::End, "", line_});
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw TemplateError(line_, message); }

  size_t find_tag(size_t from) const {
    std::string_view s = source_;
    for (size_t i = s.find('{', from); i != std::string_view::npos && i + 1 < s.size();
         i = s.find('{', i + 1)) {
      char next = s[i + 1];
      if (next == '{' || next == '%' || next == '#') return i;
    }
    return std::string_view::npos;
  }

  // Applies `-` (strip all whitespace before the tag) or lstrip_blocks (strip spaces
  // between the line start and a block or comment tag) to the text before a tag.
  std::string_view strip_text(std::string_view text, char sign, bool lstrip_applies) const {
    if (sign == '-') return rstrip(text);
    if (sign == '+' || !lstrip_applies) return text;
    size_t line_start = text.rfind('\n');
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    if ((line_start > 0 || line_starting_) && all_spaces(text.substr(line_start))) {
      return text.substr(0, line_start);
    }
    return text;
  }

  void emit_text(std::string_view text) {
    if (!text.empty()) tokens_.push_back(Token{TokenType::Text, std::string(text), line_});
  }

  // Position after `{% raw %}` when the tag at `tag` is one, else npos.
  size_t match_raw_begin(size_t tag) const {
    std::string_view s = source_;
    size_t p = tag + 2;
    if (p < s.size() && (s[p] == '-' || s[p] == '+')) ++p;
    p = skip_spaces(s, p);
    if (s.substr(p, 3) != "raw") return std::string_view::npos;
    p = skip_spaces(s, p + 3);
    if (s.substr(p, 3) == "-%}") return skip_spaces(s, p + 3);
    if (s.substr(p, 2) == "%}") return p + 2;
    return std::string_view::npos;
  }

  // Ends the tag whose end marker occupies [start, end): updates line and line_starting.
  void finish_tag(size_t start, size_t end) {
    line_ += count_newlines(std::string_view(source_).substr(start, end - start));
    line_starting_ = end > 0 && source_[end - 1] == '\n';
    pos_ = end;
  }

  // Block end: `+%}`, `-%}` plus whitespace, or `%}` plus one newline (trim_blocks).
  size_t block_end_at(size_t p) const {
    std::string_view s = source_;
    if (s.substr(p, 3) == "+%}") return p + 3;
    if (s.substr(p, 3) == "-%}") return skip_spaces(s, p + 3);
    if (s.substr(p, 2) == "%}") return p + 2 + (p + 2 < s.size() && s[p + 2] == '\n');
    return std::string_view::npos;
  }

  void lex_raw(size_t tag, size_t body_start) {
    std::string_view s = source_;
    finish_tag(tag, body_start);
    for (size_t p = s.find("{%", body_start); p != std::string_view::npos; p = s.find("{%", p + 2)) {
      size_t q = p + 2;
      char sign = q < s.size() && (s[q] == '-' || s[q] == '+') ? s[q] : 0;
      if (sign) ++q;
      q = skip_spaces(s, q);
      if (s.substr(q, 6) != "endraw") continue;
      size_t end = block_end_at(skip_spaces(s, q + 6));
      if (end == std::string_view::npos) continue;
      std::string_view text = s.substr(body_start, p - body_start);
      emit_text(strip_text(text, sign, true));
      line_ += count_newlines(text);
      finish_tag(p, end);
      return;
    }
    fail("missing end of raw directive");
  }

  void lex_comment(size_t body_start) {
    std::string_view s = source_;
    size_t close = s.find("#}", body_start);
    if (close == std::string_view::npos) fail("missing end of comment tag");
    size_t end = close + 2;
    if (close > body_start && s[close - 1] == '-') {
      end = skip_spaces(s, end);
    } else if (!(close > body_start && s[close - 1] == '+') && end < s.size() && s[end] == '\n') {
      ++end;
    }
    finish_tag(body_start, end);
  }

  void lex_tag(char kind, size_t p) {
    std::string_view s = source_;
    bool block = kind == '%';
    tokens_.push_back(Token{block ? TokenType::BlockBegin : TokenType::VarBegin, "", line_});
    std::string brackets;
    while (true) {
      if (p >= s.size()) fail(block ? "unexpected end of template inside a block tag"
                                    : "unexpected end of template inside a variable tag");
      if (brackets.empty()) {
        size_t end = std::string_view::npos;
        if (block) {
          end = block_end_at(p);
        } else if (s.substr(p, 3) == "-}}") {
          end = skip_spaces(s, p + 3);
        } else if (s.substr(p, 2) == "}}") {
          end = p + 2;
        }
        if (end != std::string_view::npos) {
          tokens_.push_back(Token{block ? TokenType::BlockEnd : TokenType::VarEnd, "", line_});
          finish_tag(p, end);
          return;
        }
      }
      size_t length = 0;
      if (is_space_at(s, p, &length)) {
        line_ += s[p] == '\n';
        p += length;
      } else if (is_digit(s[p])) {
        p = lex_number(p);
      } else if (is_name_start(s[p])) {
        size_t start = p;
        while (p < s.size() && is_name_char(s[p])) ++p;
        tokens_.push_back(Token{TokenType::Name, std::string(s.substr(start, p - start)), line_});
      } else if (s[p] == '\'' || s[p] == '"') {
        p = lex_string(p);
      } else {
        p = lex_operator(p, brackets);
      }
    }
  }

  size_t lex_number(size_t p) {
    std::string_view s = source_;
    auto digits = [&](size_t q) {  // (\d+_)*\d+ ; returns end or q when none
      size_t start = q;
      while (q < s.size() && is_digit(s[q])) {
        ++q;
        if (q + 1 < s.size() && s[q] == '_' && is_digit(s[q + 1])) ++q;
      }
      return q == start ? start : q;
    };
    size_t start = p;
    if (s[p] == '0' && p + 1 < s.size() && std::string_view("bBoOxX").find(s[p + 1]) != std::string_view::npos) {
      int base = (s[p + 1] == 'b' || s[p + 1] == 'B') ? 2 : (s[p + 1] == 'o' || s[p + 1] == 'O') ? 8 : 16;
      size_t q = p + 2;
      std::string clean;
      while (q < s.size()) {
        if (s[q] == '_' && q + 1 < s.size() && hex_value(s[q + 1]) >= 0 && hex_value(s[q + 1]) < base) {
          ++q;
          continue;
        }
        int v = hex_value(s[q]);
        if (v < 0 || v >= base) break;
        clean += s[q++];
      }
      if (!clean.empty()) return push_integer(clean, base, q);
    }
    size_t q = digits(p);
    size_t fraction_end = q;
    bool is_float = false;
    if (q + 1 < s.size() && s[q] == '.' && is_digit(s[q + 1])) {
      fraction_end = digits(q + 1);
      is_float = true;
    }
    size_t exp_end = fraction_end;
    if (exp_end < s.size() && (s[exp_end] == 'e' || s[exp_end] == 'E')) {
      size_t e = exp_end + 1;
      if (e < s.size() && (s[e] == '+' || s[e] == '-')) ++e;
      size_t after = digits(e);
      if (after != e) {
        exp_end = after;
        is_float = true;
      }
    }
    std::string clean;
    for (size_t i = start; i < (is_float ? exp_end : q); ++i) {
      if (s[i] != '_') clean += s[i];
    }
    if (is_float) {
      Token token{TokenType::Float, clean, line_};
      token.floating = std::strtod(clean.c_str(), nullptr);
      tokens_.push_back(std::move(token));
      return exp_end;
    }
    return push_integer(clean, 10, q);
  }

  size_t push_integer(const std::string& digits, int base, size_t end) {
    errno = 0;
    long long value = std::strtoll(digits.c_str(), nullptr, base);
    if (errno == ERANGE) fail("integer literal '" + digits + "' is too large");
    Token token{TokenType::Integer, digits, line_};
    token.integer = value;
    tokens_.push_back(std::move(token));
    return end;
  }

  // Python's unicode-escape decoding of a string literal's body.
  size_t lex_string(size_t p) {
    std::string_view s = source_;
    char quote = s[p];
    int start_line = line_;
    std::string value;
    size_t q = p + 1;
    while (true) {
      if (q >= s.size()) {
        line_ = start_line;
        fail(std::string("unterminated string literal starting with ") + quote);
      }
      char c = s[q];
      if (c == quote) break;
      if (c == '\n') ++line_;
      if (c != '\\') {
        value += c;
        ++q;
        continue;
      }
      if (q + 1 >= s.size()) {
        ++q;
        continue;
      }
      char e = s[q + 1];
      q += 2;
      switch (e) {
        case '\n': ++line_; break;
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'v': value += '\v'; break;
        case 'x':
        case 'u':
        case 'U': {
          int width = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          char32_t cp = 0;
          for (int i = 0; i < width; ++i) {
            int v = q < s.size() ? hex_value(s[q]) : -1;
            if (v < 0) fail(std::string("truncated \\") + e + " escape in string literal");
            cp = cp * 16 + static_cast<char32_t>(v);
            ++q;
          }
          if (cp > 0x10ffff) fail("illegal Unicode character in string literal");
          utf8_append(value, cp);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int i = 0; i < 2 && q < s.size() && s[q] >= '0' && s[q] <= '7'; ++i) {
              cp = cp * 8 + static_cast<char32_t>(s[q++] - '0');
            }
            utf8_append(value, cp);
          } else if (e == 'N') {
            fail("\\N{...} escapes are not supported in string literals");
          } else {
            value += '\\';
            value += e;
          }
      }
    }
    Token token{TokenType::String, std::move(value), start_line};
    tokens_.push_back(std::move(token));
    return q + 1;
  }

  size_t lex_operator(size_t p, std::string& brackets) {
    static constexpr std::string_view kOperators[] = {
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(",
        ")",  "{",  "}",  ">",  "<",  "=",  ".", ":", "|", ",", ";"};
    std::string_view s = source_;
    for (std::string_view op : kOperators) {
      if (s.substr(p, op.size()) != op) continue;
      if (op == "(" || op == "[" || op == "{") {
        brackets += op == "(" ? ')' : op == "[" ? ']' : '}';
      } else if (op == ")" || op == "]" || op == "}") {
        if (brackets.empty()) fail("unexpected '" + std::string(op) + "'");
        if (brackets.back() != op[0]) {
          fail("unexpected '" + std::string(op) + "', expected '" + brackets.back() + "'");
        }
        brackets.pop_back();
      }
      tokens_.push_back(Token{TokenType::Operator, std::string(op), line_});
      return p + op.size();
    }
    size_t next = p;
    utf8_next(s, next);
    fail("unexpected char '" + std::string(s.substr(p, next - p)) + "'");
  }

  std::string source_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace ember::lm::tpl
