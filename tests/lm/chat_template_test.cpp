// Chat-template engine: errors (typed, with the template line), limits that stop hostile
// templates, and the apply_chat_template input handling.
#include <string>

#include <gtest/gtest.h>

#include "ember/lm/chat_template/chat_template.h"

namespace ember::lm {
namespace {

using json = nlohmann::ordered_json;

std::string render(const std::string& source, const json& context = json::object(), TemplateLimits limits = {}) {
  return ChatTemplate::parse(source, limits).render(context);
}

// Runs `fn`, expecting a TemplateError at `line` whose message contains `fragment`.
template <typename Fn>
void expect_template_error(Fn fn, int line, const std::string& fragment) {
  try {
    fn();
    ADD_FAILURE() << "expected a TemplateError containing '" << fragment << "'";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("[chat_template] ", 0), 0u) << e.what();
  }
}

TEST(ChatTemplate, SyntaxErrorsGiveTheLine) {
  expect_template_error([] { ChatTemplate::parse("a\nb\n{{ 'x' + }}"); }, 3, "unexpected end of print statement");
  expect_template_error([] { ChatTemplate::parse("{% if true %}\n\n{% for x in y %}\n"); }, 3, "endfor");
  expect_template_error([] { ChatTemplate::parse("line\n{% endif %}"); }, 2, "unexpected 'endif'");
  expect_template_error([] { ChatTemplate::parse("\n\n{% frobnicate %}"); }, 3, "unknown tag 'frobnicate'");
  expect_template_error([] { ChatTemplate::parse("{# never closed"); }, 1, "missing end of comment");
  expect_template_error([] { ChatTemplate::parse("{{ (1 }}"); }, 1, "unexpected '}'");
  expect_template_error([] { ChatTemplate::parse("x\n{{ 'abc }}"); }, 2, "unterminated string");
  expect_template_error([] { ChatTemplate::parse("{% break %}"); }, 1, "outside of a loop");
  expect_template_error([] { ChatTemplate::parse("{% include 'x' %}"); }, 1, "not supported");
  // Found by chat_template_fuzz: a slice inside a tuple subscript reached the interpreter
  // with no object to slice.
  expect_template_error([] { ChatTemplate::parse("\n{{ 'abc'[:2-1, x] }}"); }, 2, "tuple subscript");
  expect_template_error([] { ChatTemplate::parse("{{ 'abc'[0, ::2] }}"); }, 1, "tuple subscript");
}

TEST(ChatTemplate, UnknownFilterAndTestFailAtParse) {
  expect_template_error([] { ChatTemplate::parse("ok\n\n\n{{ x | shout }}"); }, 4, "no filter named 'shout'");
  expect_template_error([] { ChatTemplate::parse("{% if x is shiny %}{% endif %}"); }, 1, "no test named 'shiny'");
}

TEST(ChatTemplate, RaiseExceptionKeepsTheMessage) {
  const std::string source = "{%- for m in messages %}\n{%- if m.role == 'bad' %}\n"
                             "{{- raise_exception('Role ' ~ m.role ~ ' is not allowed') }}\n{%- endif %}\n{%- endfor %}";
  try {
    render(source, {{"messages", json::array({{{"role", "bad"}}})}});
    FAIL() << "expected raise_exception to throw";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.detail(), "Role bad is not allowed");
    EXPECT_EQ(e.line(), 3);
    EXPECT_STREQ(e.what(), "[chat_template] line 3: Role bad is not allowed");
  }
}

TEST(ChatTemplate, RuntimeErrorsAreTyped) {
  expect_template_error([] { render("\n{{ missing.attr }}"); }, 2, "'missing' is undefined");
  expect_template_error([] { render("{{ 'a' + 1 }}"); }, 1, "unsupported operand");
  expect_template_error([] { render("{{ 1 // 0 }}"); }, 1, "division");
  expect_template_error([] { render("{{ none() }}"); }, 1, "not callable");
  expect_template_error([] { render("{{ [1][::0] }}"); }, 1, "slice step cannot be zero");
  expect_template_error([] { render("{% set ns = 3 %}{% set ns.x = 1 %}"); }, 1, "non-namespace");
  expect_template_error([] { render("{% for a, b in [[1]] %}{% endfor %}"); }, 1, "not enough values");
  expect_template_error([] { render("{{ 9223372036854775807 + 1 }}"); }, 1, "integer overflow");
  expect_template_error([] { render("{{ x|items }}", {{"x", 3}}); }, 1, "mapping");
  expect_template_error([] { render("{{ range(1000000)|length }}"); }, 1, "Range too big");
}

TEST(ChatTemplate, InvalidUtf8IsRejected) {
  expect_template_error([] { ChatTemplate::parse("ok\n\xff{{ x }}"); }, 2, "not valid UTF-8");
}

TEST(ChatTemplate, DeepNestingIsBounded) {
  std::string parens(5000, '(');
  expect_template_error([&] { ChatTemplate::parse("{{ " + parens + "1" + std::string(5000, ')') + " }}"); }, 1, "too deep");
  std::string ifs;
  for (int i = 0; i < 1000; ++i) ifs += "{% if true %}";
  expect_template_error([&] { ChatTemplate::parse(ifs); }, 1, "too deep");
  // Unbounded macro recursion fails cleanly.
  expect_template_error([] { render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"); }, 1, "recursion too deep");
  // Values that nest without end fail too.
  expect_template_error([] { render("{% set ns = namespace(x=[]) %}{% for i in range(2000) %}{% set ns.x = [ns.x] %}{% endfor %}"); },
                        1, "nest too deeply");
}

TEST(ChatTemplate, WorkIsBounded) {
  TemplateLimits limits;
  limits.max_output_bytes = 1 << 16;
  limits.max_steps = 100000;
  limits.max_work_bytes = 1 << 22;
  expect_template_error([&] { render("{% set r = range(400) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}", json::object(), limits); },
                        1, "too many steps");
  expect_template_error([&] { render("{{ 'x' * 100000000 }}", json::object(), limits); }, 1, "exceeds");
  expect_template_error([&] { render("{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", json::object(), limits); }, 1, "exceeds");
  expect_template_error([&] {
    render("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", json::object(), limits);
  }, 1, "exceed");
}

TEST(ChatTemplate, SelfReferenceDoesNotLoopOrLeak) {
  // A namespace that contains itself prints without recursing forever.
  std::string out = render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns.me.me.me is defined }}");
  EXPECT_EQ(out, "True");
}

TEST(ChatTemplate, ApplyChatTemplateDropsNullsAndAliasesReasoning) {
  auto tmpl = ChatTemplate::parse(
      "{% for m in messages %}{{ m.role }}:{{ m.content is defined }}:{{ m.reasoning_content }}:"
      "{{ m.thinking }}|{{ m|tojson }}\n{% endfor %}{{ bos_token }}{{ add_generation_prompt }}{{ tools }}");
  ChatTemplateInputs inputs;
  inputs.messages = json::parse(R"([{"role": "assistant", "content": null, "reasoning": "r1"}])", nullptr, true);
  inputs.add_generation_prompt = true;
  inputs.extra["bos_token"] = "<s>";
  EXPECT_EQ(apply_chat_template(tmpl, inputs),
            "assistant:False:r1:r1|{\"thinking\": \"r1\", \"role\": \"assistant\", \"reasoning\": \"r1\", "
            "\"reasoning_content\": \"r1\"}\n<s>TrueNone");
}

TEST(ChatTemplate, BadInputsAreTemplateErrors) {
  auto tmpl = ChatTemplate::parse("{{ messages }}");
  ChatTemplateInputs inputs;
  inputs.messages = json::object();
  EXPECT_THROW(apply_chat_template(tmpl, inputs), TemplateError);
  inputs.messages = json::array({1});
  EXPECT_THROW(apply_chat_template(tmpl, inputs), TemplateError);
  EXPECT_THROW(tmpl.render(json::array()), TemplateError);
}

TEST(ChatTemplate, TemplatesAreReusableAcrossRenders) {
  auto tmpl = ChatTemplate::parse("{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}");
  EXPECT_EQ(tmpl.render({{"xs", {1, 2, 3}}}), "6");
  EXPECT_EQ(tmpl.render({{"xs", {10}}}), "10");
}

}  // namespace
}  // namespace ember::lm
