// Golden tests: real and realistic chat templates rendered for many conversations by
// transformers' apply_chat_template (scripts/make_chat_template_fixtures.py) must render
// byte for byte the same here; errors must be TemplateErrors (raise_exception keeps its text).
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "ember/lm/chat_template/chat_template.h"

namespace ember::lm {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(EMBER_SOURCE_DIR) / "tests" / "lm" / "fixtures" / "chat_templates";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::ordered_json read_json(const std::filesystem::path& path) {
  return nlohmann::ordered_json::parse(read_file(path));
}

// Checks one case: the rendering matches byte for byte, or rendering fails as jinja2 did.
void expect_outcome(const nlohmann::ordered_json& expected_case, const std::function<std::string()>& render) {
  if (expected_case.contains("expected")) {
    std::string expected = expected_case["expected"].get<std::string>();
    try {
      EXPECT_EQ(render(), expected);
    } catch (const TemplateError& e) {
      ADD_FAILURE() << "unexpected error: " << e.what();
    }
    return;
  }
  std::string error = expected_case["error"].get<std::string>();
  try {
    std::string rendered = render();
    ADD_FAILURE() << "expected an error (" << error << "), rendered:\n" << rendered;
  } catch (const TemplateError& e) {
    // raise_exception() keeps the template's own message.
    if (expected_case["error_type"] == "TemplateError") {
      EXPECT_EQ(e.detail(), error);
    }
    EXPECT_GT(e.line(), 0) << e.what();
  }
}

void run_template_cases(const std::string& name) {
  auto fixture = read_json(kFixtures / (name + ".cases.json"));
  auto tmpl = ChatTemplate::parse(read_file(kFixtures / fixture["template"].get<std::string>()));
  ASSERT_FALSE(fixture["cases"].empty());
  for (const auto& c : fixture["cases"]) {
    SCOPED_TRACE(name + ": " + c["name"].get<std::string>());
    ChatTemplateInputs inputs;
    inputs.messages = c["messages"];
    inputs.tools = c["tools"];
    inputs.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    for (const auto& [key, value] : c["special_tokens"].items()) inputs.extra[key] = value;
    for (const auto& [key, value] : c["kwargs"].items()) inputs.extra[key] = value;
    expect_outcome(c, [&] { return apply_chat_template(tmpl, inputs); });
  }
}

TEST(ChatTemplateGolden, Qwen3) { run_template_cases("qwen3"); }
TEST(ChatTemplateGolden, Qwen3_6) { run_template_cases("qwen3_6"); }
TEST(ChatTemplateGolden, Llama3Style) { run_template_cases("llama3_style"); }
TEST(ChatTemplateGolden, MistralStyle) { run_template_cases("mistral_style"); }

TEST(ChatTemplateGolden, JinjaSemantics) {
  auto fixture = read_json(kFixtures / "jinja_semantics.cases.json");
  ASSERT_FALSE(fixture["cases"].empty());
  for (const auto& c : fixture["cases"]) {
    std::string source = c["template"].get<std::string>();
    SCOPED_TRACE("template: " + source);
    expect_outcome(c, [&] { return ChatTemplate::parse(source).render(c["context"]); });
  }
}

}  // namespace
}  // namespace ember::lm
