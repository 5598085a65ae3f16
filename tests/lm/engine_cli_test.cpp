// `ember generate` end to end through the real binary (path passed in by CMake): --json
// output on a fixture model must carry the golden greedy ids; a missing model folder must
// fail with a non-zero exit code and a message on stderr.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine_fixtures.h"

namespace {

namespace fs = std::filesystem;
using ember::lm::testing::golden_json;
using ember::lm::testing::json_ints;
using ember::lm::testing::model_fixture;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Single-quotes `s` for the shell.
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Result {
  int exit_code;
  std::string out, err;
};

class GenerateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("ember_generate_cli_" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result run(const std::string& arguments) {
    std::string command = std::string(EMBER_CLI) + " generate " + arguments + " >" +
                          (dir_ / "out").string() + " 2>" + (dir_ / "err").string() + " </dev/null";
    int status = std::system(command.c_str());
    return {WEXITSTATUS(status), read_file(dir_ / "out"), read_file(dir_ / "err")};
  }

  fs::path dir_;
};

TEST_F(GenerateCliTest, JsonOutputHasTheGoldenGreedyIds) {
  auto golden = golden_json("qwen3");
  const auto& plain = golden["prompts"][0];
  ASSERT_EQ(plain["name"], "plain");
  auto greedy = json_ints<int>(plain["greedy_ids"]);
  Result r = run("--model " + quote(model_fixture("qwen3").string()) + " --prompt " +
                 quote(plain["text"].get<std::string>()) +
                 " --max-tokens 8 --temp 0 --dtype float32 --json --ignore-chat-template");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Exactly one JSON object on stdout.
  nlohmann::json out;
  ASSERT_NO_THROW(out = nlohmann::json::parse(r.out)) << r.out;
  ASSERT_TRUE(out.is_object());
  EXPECT_EQ(json_ints<int>(out["prompt_ids"]), json_ints<int>(plain["ids"]));
  EXPECT_EQ(json_ints<int>(out["generated_ids"]), std::vector<int>(greedy.begin(), greedy.begin() + 8));
  EXPECT_EQ(out["finish_reason"], "length");
  EXPECT_EQ(out["stats"]["generation_tokens"], 8);
  EXPECT_TRUE(out["text"].is_string());
}

TEST_F(GenerateCliTest, MissingModelFailsWithAMessage) {
  Result r = run("--model /nonexistent/ember-model --prompt hi --max-tokens 2");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());
  EXPECT_NE(r.err.find("/nonexistent/ember-model"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

}  // namespace
