// Chat templates: a Jinja interpreter that renders Hugging Face chat templates byte for
// byte as Python jinja2 does under transformers' apply_chat_template.
//
//   auto tmpl = ember::lm::ChatTemplate::parse(source);           // throws TemplateError
//   ember::lm::ChatTemplateInputs inputs{.messages = messages_json,
//                                        .add_generation_prompt = true};
//   inputs.extra["bos_token"] = "<s>";
//   std::string prompt = ember::lm::apply_chat_template(tmpl, inputs);
//
// Supported: the statements, expressions, filters, tests and methods that published
// templates use (see docs in chat_template.cpp); anything else is a TemplateError with
// the template line, never a crash. Rendering is bounded by TemplateLimits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ember::lm {

namespace tpl {
struct Program;
}

/// Any error from parsing or rendering a template, including raise_exception().
/// what() is "[chat_template] line N: <detail>" ("[chat_template] <detail>" when the
/// line is unknown).
class TemplateError : public std::runtime_error {
 public:
  TemplateError(int line, const std::string& detail);
  /// 1-based template line, or 0 when unknown.
  int line() const { return line_; }
  /// The message without the prefix; for raise_exception, the template's own message.
  const std::string& detail() const { return detail_; }

 private:
  int line_;
  std::string detail_;
};

/// Bounds that keep hostile templates from exhausting time, memory or the stack.
struct TemplateLimits {
  /// Nesting of statements and expressions when parsing.
  int max_depth = 200;
  /// Nesting of statement and expression evaluation, macro calls included, when rendering.
  int max_render_depth = 500;
  /// Largest rendered output, captured block or single string/list value, in bytes.
  size_t max_output_bytes = size_t{64} << 20;
  /// Total bytes of strings/lists built while rendering (catches repeated doubling).
  size_t max_work_bytes = size_t{4} << 30;
  /// Statements, expressions and loop iterations evaluated while rendering.
  uint64_t max_steps = 100'000'000;
};

/// A parsed template; cheap to copy, immutable, safe to render from several threads.
class ChatTemplate {
 public:
  /// Parses `source` (UTF-8). Throws TemplateError for syntax errors, unknown filters
  /// or tests, unsupported tags and invalid UTF-8.
  static ChatTemplate parse(std::string_view source, const TemplateLimits& limits = {});

  /// Renders with the variables of `context` (a JSON object), as jinja2's
  /// `template.render(**context)` does. Throws TemplateError.
  std::string render(const nlohmann::ordered_json& context) const;

 private:
  std::shared_ptr<const tpl::Program> program_;
  TemplateLimits limits_;
};

/// What apply_chat_template passes to a template.
struct ChatTemplateInputs {
  /// JSON array of message objects ({"role": ..., "content": ...}, tool_calls, ...).
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  /// JSON array of tool schemas, or null for none.
  nlohmann::ordered_json tools = nullptr;
  bool add_generation_prompt = false;
  /// Further template variables: the special tokens (bos_token, eos_token, ...) and
  /// keyword arguments such as enable_thinking. Entries here win over the fields above.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

/// Renders as transformers' `tokenizer.apply_chat_template(messages, tools=...,
/// add_generation_prompt=..., tokenize=False, **kwargs)`: message keys whose value is
/// null are dropped, reasoning_content/thinking/reasoning are aliased to each other,
/// `documents` is None, and `extra` supplies special tokens and kwargs.
std::string apply_chat_template(const ChatTemplate& chat_template, const ChatTemplateInputs& inputs);

}  // namespace ember::lm
