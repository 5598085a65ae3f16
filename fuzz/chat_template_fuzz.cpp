// libFuzzer target for the chat-template engine: arbitrary bytes are parsed as a
// template and rendered against a small fixed conversation. Any outcome but a rendered
// string or a TemplateError (a crash, another exception, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ember/lm/chat_template/chat_template.h"

namespace {

const nlohmann::ordered_json& context() {
  static const nlohmann::ordered_json kContext = nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "You are helpful."},
      {"role": "user", "content": "Hi <tool_response>x</tool_response> 東京 😀"},
      {"role": "assistant", "content": "<think>\nhm\n</think>\n\nHello", "reasoning_content": "hm",
       "tool_calls": [{"id": "a1b2c3d4e", "type": "function",
                       "function": {"name": "f", "arguments": {"x": 1, "y": [true, null, 2.5]}}}]},
      {"role": "tool", "content": "42", "tool_call_id": "a1b2c3d4e"},
      {"role": "user", "content": [{"type": "text", "text": "part"}, {"type": "image"}]}
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "add_generation_prompt": true, "enable_thinking": false,
    "bos_token": "<s>", "eos_token": "</s>"
  })");
  return kContext;
}

ember::lm::TemplateLimits limits() {
  ember::lm::TemplateLimits l;
  l.max_depth = 100;
  l.max_render_depth = 200;
  l.max_output_bytes = size_t{1} << 16;
  l.max_work_bytes = size_t{1} << 22;
  l.max_steps = 200000;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view source(reinterpret_cast<const char*>(data), size);
  try {
    auto tmpl = ember::lm::ChatTemplate::parse(source, limits());
    (void)tmpl.render(context());
  } catch (const ember::lm::TemplateError&) {
  }
  return 0;
}
