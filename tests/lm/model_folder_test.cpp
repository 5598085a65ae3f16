// Model-folder metadata: special tokens in their several spellings, EOS id union, chat
// template forms and precedence, text_config, generation defaults, and typed errors.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "ember/lm/chat_template/model_folder.h"

namespace ember::lm {
namespace {

class ModelFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("ember_model_folder_" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  template <typename Fn>
  void expect_error(Fn fn, const std::string& fragment) {
    try {
      fn();
      ADD_FAILURE() << "expected a ModelFolderError containing '" << fragment << "'";
    } catch (const ModelFolderError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("[model_folder] ", 0), 0u) << e.what();
    }
  }
  std::filesystem::path dir_;
};

TEST_F(ModelFolderTest, ReadsTokensTemplateAndEosUnion) {
  write("config.json", R"({"model_type": "qwen3", "eos_token_id": 151645, "bos_token_id": 151643})");
  write("generation_config.json",
        R"({"eos_token_id": [151645, 151643], "temperature": 0.6, "top_p": 0.95, "top_k": 20, "min_p": 0,
            "do_sample": true, "repetition_penalty": 1.05, "max_new_tokens": 2048})");
  write("tokenizer_config.json",
        R"({"bos_token": null, "eos_token": "<|im_end|>", "pad_token": {"content": "<|endoftext|>", "lstrip": false},
            "add_bos_token": false, "chat_template": "{{ messages[0].content }}"})");
  auto info = read_model_folder(dir_);
  EXPECT_EQ(info.token("eos_token"), "<|im_end|>");
  EXPECT_EQ(info.token("pad_token"), "<|endoftext|>");
  EXPECT_FALSE(info.token("bos_token"));
  EXPECT_EQ(info.add_bos_token, false);
  EXPECT_FALSE(info.add_eos_token);
  EXPECT_EQ(info.select_chat_template(false), "{{ messages[0].content }}");
  EXPECT_EQ(info.config_eos_token_ids, (std::vector<int64_t>{151645, 151643}));
  // The eos_token string's id joins the union through the caller's vocabulary.
  auto ids = info.eos_token_ids([](const std::string& token) -> std::optional<int64_t> {
    return token == "<|im_end|>" ? std::optional<int64_t>(151645) : std::nullopt;
  });
  EXPECT_EQ(ids, (std::vector<int64_t>{151645, 151643}));
  auto more = info.eos_token_ids([](const std::string&) -> std::optional<int64_t> { return 7; });
  EXPECT_EQ(more, (std::vector<int64_t>{151645, 151643, 7}));
  EXPECT_EQ(info.bos_token_id, 151643);
  EXPECT_DOUBLE_EQ(*info.generation.temperature, 0.6);
  EXPECT_DOUBLE_EQ(*info.generation.top_p, 0.95);
  EXPECT_EQ(info.generation.top_k, 20);
  EXPECT_DOUBLE_EQ(*info.generation.min_p, 0.0);
  EXPECT_DOUBLE_EQ(*info.generation.repetition_penalty, 1.05);
  EXPECT_EQ(info.generation.do_sample, true);
  EXPECT_EQ(info.generation.max_new_tokens, 2048);
  auto variables = info.template_variables();
  EXPECT_EQ(variables.dump(), R"({"eos_token":"<|im_end|>","pad_token":"<|endoftext|>"})");
}

TEST_F(ModelFolderTest, EosIdsFromConfigAloneAndAsInt) {
  write("config.json", R"({"eos_token_id": [2, 32000]})");
  write("generation_config.json", R"({"eos_token_id": 32000})");
  EXPECT_EQ(read_model_folder(dir_).config_eos_token_ids, (std::vector<int64_t>{32000, 2}));
}

TEST_F(ModelFolderTest, TextConfigIsMergedOverTheTopLevel) {
  write("config.json", R"({"architectures": ["X"], "hidden_size": 8, "eos_token_id": 5,
                          "text_config": {"hidden_size": 4096, "num_hidden_layers": 32, "eos_token_id": [5, 6]},
                          "vision_config": {"hidden_size": 1024}})");
  auto info = read_model_folder(dir_);
  EXPECT_EQ(info.config["hidden_size"], 8);
  EXPECT_EQ(info.text_config["hidden_size"], 4096);
  EXPECT_EQ(info.text_config["num_hidden_layers"], 32);
  EXPECT_EQ(info.text_config["architectures"][0], "X");
  EXPECT_FALSE(info.text_config.contains("text_config"));
  EXPECT_EQ(info.config_eos_token_ids, (std::vector<int64_t>{5, 6}));
}

TEST_F(ModelFolderTest, NamedChatTemplates) {
  write("tokenizer_config.json", R"({"chat_template": [{"name": "default", "template": "D"},
                                                      {"name": "tool_use", "template": "T"},
                                                      {"name": "rag", "template": "R"}]})");
  auto info = read_model_folder(dir_);
  EXPECT_EQ(info.chat_templates.size(), 3u);
  EXPECT_EQ(info.select_chat_template(false), "D");
  EXPECT_EQ(info.select_chat_template(true), "T");
  EXPECT_EQ(info.select_chat_template(false, "rag"), "R");
  expect_error([&] { info.select_chat_template(false, "nope"); }, "no chat template named 'nope'");
}

TEST_F(ModelFolderTest, ChatTemplateFilesTakePrecedence) {
  write("tokenizer_config.json", R"({"chat_template": "from config", "eos_token": "</s>"})");
  write("chat_template.jinja", "from file\n");
  write("additional_chat_templates/tool_use.jinja", "tools file");
  auto info = read_model_folder(dir_);
  EXPECT_EQ(info.select_chat_template(false), "from file\n");
  EXPECT_EQ(info.select_chat_template(true), "tools file");
}

TEST_F(ModelFolderTest, SpecialTokensMapOverridesLegacyConfigs) {
  write("tokenizer_config.json", R"({"bos_token": "<old>", "unk_token": "<unk>"})");
  write("special_tokens_map.json", R"({"bos_token": {"content": "<s>", "single_word": false}, "eos_token": "</s>"})");
  auto info = read_model_folder(dir_);
  EXPECT_EQ(info.token("bos_token"), "<s>");
  EXPECT_EQ(info.token("eos_token"), "</s>");
  EXPECT_EQ(info.token("unk_token"), "<unk>");
  // With added_tokens_decoder, transformers does not read special_tokens_map.json.
  write("tokenizer_config.json", R"({"bos_token": "<old>", "added_tokens_decoder": {}})");
  EXPECT_EQ(read_model_folder(dir_).token("bos_token"), "<old>");
}

TEST_F(ModelFolderTest, MissingFolderAndTemplate) {
  expect_error([&] { read_model_folder(dir_ / "absent"); }, "no such model folder");
  auto info = read_model_folder(dir_);  // every file is optional
  expect_error([&] { info.select_chat_template(false); }, "no chat template");
}

TEST_F(ModelFolderTest, MalformedJsonNamesFileAndByte) {
  write("tokenizer_config.json", "{\"eos_token\": \"</s>\",, }");
  expect_error([&] { read_model_folder(dir_); }, "tokenizer_config.json: parse error at byte 22");
  write("tokenizer_config.json", "[1, 2]");
  expect_error([&] { read_model_folder(dir_); }, "tokenizer_config.json: expected a JSON object");
  write("tokenizer_config.json", "{}");
  write("generation_config.json", "{\"temperature\": ");
  expect_error([&] { read_model_folder(dir_); }, "generation_config.json: parse error at byte");
}

TEST_F(ModelFolderTest, WrongFieldTypes) {
  write("generation_config.json", R"({"eos_token_id": "2"})");
  expect_error([&] { read_model_folder(dir_); }, "generation_config.json: eos_token_id must be an integer or a list");
  write("generation_config.json", R"({"temperature": "hot"})");
  expect_error([&] { read_model_folder(dir_); }, "generation_config.json: temperature must be a number");
  write("generation_config.json", "{}");
  write("tokenizer_config.json", R"({"eos_token": 5})");
  expect_error([&] { read_model_folder(dir_); }, "tokenizer_config.json: eos_token must be a string");
  write("tokenizer_config.json", R"({"add_bos_token": "yes"})");
  expect_error([&] { read_model_folder(dir_); }, "add_bos_token must be true or false");
  write("tokenizer_config.json", R"({"chat_template": 3})");
  expect_error([&] { read_model_folder(dir_); }, "chat_template must be a string or a list");
  write("tokenizer_config.json", R"({"chat_template": [{"name": "x"}]})");
  expect_error([&] { read_model_folder(dir_); }, "chat_template list entries");
}

}  // namespace
}  // namespace ember::lm
