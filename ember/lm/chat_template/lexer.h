// Tokenizer for chat templates, following jinja2's lexer as transformers configures it:
// trim_blocks and lstrip_blocks on, `-`/`+` whitespace control, raw blocks, comments,
// newlines normalised to "\n" and one trailing newline dropped (keep_trailing_newline off).
// Internal to ember/lm/chat_template.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::lm::tpl {

enum class TokenType {
  Text,        // template data between tags
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  String,      // value already unescaped
  Integer,
  Float,
  Operator,
  End,
};

struct Token {
  TokenType type;
  std::string text;
  int line = 1;
  int64_t integer = 0;
  double floating = 0;
};

/// Splits `source` into tokens; throws TemplateError on lexical errors (unterminated
/// comment or tag, bad character, unbalanced brackets).
std::vector<Token> tokenize(std::string_view source);

}  // namespace ember::lm::tpl
