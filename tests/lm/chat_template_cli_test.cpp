// `ember template` end to end: a model folder with a real template, messages and tools
// from the golden fixtures; stdout must be the transformers rendering byte for byte.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
const fs::path kFixtures = fs::path(EMBER_SOURCE_DIR) / "tests" / "lm" / "fixtures" / "chat_templates";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

class TemplateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("ember_template_cli_" + std::to_string(rd()));
    fs::create_directories(dir_ / "model");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

  Result run(const std::string& arguments) {
    std::string command = std::string(EMBER_TEMPLATE_CLI) + " template " + arguments + " >" +
                          (dir_ / "out").string() + " 2>" + (dir_ / "err").string();
    int status = std::system(command.c_str());
    return {WEXITSTATUS(status), read_file(dir_ / "out"), read_file(dir_ / "err")};
  }

  // A folder like Qwen3.6's: the template in chat_template.jinja, special tokens in tokenizer_config.json.
  void make_model(const std::string& template_name, const nlohmann::ordered_json& special_tokens) {
    write(dir_ / "model" / "chat_template.jinja", read_file(kFixtures / (template_name + ".jinja")));
    write(dir_ / "model" / "tokenizer_config.json", special_tokens.dump());
  }

  fs::path dir_;
};

TEST_F(TemplateCliTest, PrintsGoldenRenderings) {
  for (const std::string name : {"qwen3", "qwen3_6", "llama3_style", "mistral_style"}) {
    auto fixture = nlohmann::ordered_json::parse(read_file(kFixtures / (name + ".cases.json")));
    int checked = 0;
    for (const auto& c : fixture["cases"]) {
      if (!c.contains("expected")) continue;
      SCOPED_TRACE(name + ": " + c["name"].get<std::string>());
      make_model(name, c["special_tokens"]);
      write(dir_ / "messages.json", c["messages"].dump());
      std::string arguments = "--model " + (dir_ / "model").string() + " --messages " + (dir_ / "messages.json").string();
      if (!c["tools"].is_null()) {
        write(dir_ / "tools.json", c["tools"].dump());
        arguments += " --tools " + (dir_ / "tools.json").string();
      }
      if (c["add_generation_prompt"].get<bool>()) arguments += " --add-generation-prompt";
      if (c["kwargs"].contains("enable_thinking")) arguments += " --no-thinking";
      Result result = run(arguments);
      EXPECT_EQ(result.exit_code, 0) << result.err;
      EXPECT_EQ(result.out, c["expected"].get<std::string>());
      ++checked;
    }
    EXPECT_GT(checked, 20);
  }
}

TEST_F(TemplateCliTest, BadInputsFailWithClearErrors) {
  make_model("qwen3", {{"eos_token", "<|im_end|>"}});
  std::string model = " --model " + (dir_ / "model").string();
  write(dir_ / "bad.json", "[{\"role\": \"user\", \"content\": \"hi\"");
  Result malformed = run(model + " --messages " + (dir_ / "bad.json").string());
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_NE(malformed.err.find("parse error at byte"), std::string::npos) << malformed.err;

  Result missing_file = run(model + " --messages " + (dir_ / "absent.json").string());
  EXPECT_EQ(missing_file.exit_code, 1);
  EXPECT_NE(missing_file.err.find("cannot open"), std::string::npos) << missing_file.err;

  write(dir_ / "messages.json", R"([{"role": "user", "content": "hi"}])");
  Result missing_model = run("--model " + (dir_ / "nope").string() + " --messages " + (dir_ / "messages.json").string());
  EXPECT_EQ(missing_model.exit_code, 1);
  EXPECT_NE(missing_model.err.find("[model_folder]"), std::string::npos) << missing_model.err;

  write(dir_ / "model" / "chat_template.jinja", "line one\n{% for m in messages %}{{ m.content | nope }}{% endfor %}");
  Result syntax = run(model + " --messages " + (dir_ / "messages.json").string());
  EXPECT_EQ(syntax.exit_code, 1);
  EXPECT_NE(syntax.err.find("[chat_template] line 2: no filter named 'nope'"), std::string::npos) << syntax.err;

  Result usage = run("--messages x.json");
  EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
