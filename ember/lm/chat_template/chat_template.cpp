// Public entry points of the chat-template engine: parse, render, apply_chat_template.
//
// Coverage (what published templates use, checked against jinja2 3.1 by the fixtures in
// tests/lm/fixtures/chat_templates/): if/elif/else, for (unpacking, `if` filter, else,
// loop.*, break/continue), set (names, tuples, namespace attributes, blocks), macros
// with defaults, with, filter blocks, `{% generation %}`, raw, comments; Python
// operators, slicing, `in`, chained comparisons, conditional expressions; the filters
// and tests in builtins.cpp and the str/dict/list methods in methods.cpp.
// Not supported (a TemplateError): include/import/extends/block/call, recursive loops,
// `%` string formatting, *args in calls.
#include "ember/lm/chat_template/chat_template.h"

#include "ember/lm/chat_template/ast.h"
#include "ember/lm/chat_template/interpreter.h"
#include "ember/lm/chat_template/value.h"

namespace ember::lm {
namespace {
std::string format_error(int line, const std::string& detail) {
  if (line > 0) return "[chat_template] line " + std::to_string(line) + ": " + detail;
  return "[chat_template] " + detail;
}
}  // namespace

TemplateError::TemplateError(int line, const std::string& detail)
    : std::runtime_error(format_error(line, detail)), line_(line), detail_(detail) {}

ChatTemplate ChatTemplate::parse(std::string_view source, const TemplateLimits& limits) {
  size_t bad = tpl::utf8_invalid_at(source);
  if (bad != std::string_view::npos) {
    int line = 1;
    for (size_t i = 0; i < bad; ++i) line += source[i] == '\n';
    throw TemplateError(line, "template is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }
  ChatTemplate result;
  result.limits_ = limits;
  try {
    result.program_ = tpl::parse_program(source, limits.max_depth);
  } catch (const TemplateError&) {
    throw;
  } catch (const std::exception& e) {
    throw TemplateError(0, std::string("cannot parse template: ") + e.what());
  }
  return result;
}

std::string ChatTemplate::render(const nlohmann::ordered_json& context) const {
  if (!program_) throw TemplateError(0, "template was not parsed");
  if (!context.is_object()) throw TemplateError(0, "the render context must be a JSON object");
  tpl::Value variables;
  try {
    variables = tpl::Value::from_json(context);
  } catch (const std::exception& e) {
    throw TemplateError(0, std::string("bad template variables: ") + e.what());
  }
  tpl::Interpreter interpreter(limits_);
  return interpreter.render(*program_, variables.as_dict());
}

std::string apply_chat_template(const ChatTemplate& chat_template, const ChatTemplateInputs& inputs) {
  if (!inputs.messages.is_array()) throw TemplateError(0, "messages must be a JSON array");
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const auto& message : inputs.messages) {
    if (!message.is_object()) throw TemplateError(0, "each message must be a JSON object, got " + message.dump());
    // transformers drops keys whose value is None, then copies the reasoning under the
    // names templates read: {"thinking": r, **message, "reasoning_content": r}.
    nlohmann::ordered_json kept = nlohmann::ordered_json::object();
    for (const auto& [key, value] : message.items()) {
      if (!value.is_null()) kept[key] = value;
    }
    const nlohmann::ordered_json* reasoning = nullptr;
    for (const char* field : {"reasoning_content", "thinking", "reasoning"}) {
      if (kept.contains(field)) {
        reasoning = &kept[field];
        break;
      }
    }
    if (reasoning) {
      nlohmann::ordered_json aliased = nlohmann::ordered_json::object();
      aliased["thinking"] = *reasoning;
      for (const auto& [key, value] : kept.items()) aliased[key] = value;
      aliased["reasoning_content"] = *reasoning;
      kept = std::move(aliased);
    }
    messages.push_back(std::move(kept));
  }
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  context["messages"] = std::move(messages);
  context["tools"] = inputs.tools;
  context["documents"] = nullptr;
  context["add_generation_prompt"] = inputs.add_generation_prompt;
  if (inputs.extra.is_object()) {
    for (const auto& [key, value] : inputs.extra.items()) context[key] = value;
  }
  return chat_template.render(context);
}

}  // namespace ember::lm
