// Golden tests: ember's ids and decodes against HF `tokenizers` for tokenizers
// configured as Qwen3, Llama-3, GPT-2, Llama-2 and Mistral (fixtures made by
// scripts/make_tokenizer_fixtures.py). Every id is compared.
#include <gtest/gtest.h>

#include "ember/lm/tokenizer/tokenizer.h"
#include "ember/lm/tokenizer/utf8.h"
#include "tokenizer_fixtures.h"

namespace ember::lm {
namespace {

using testing::fixture_styles;
using testing::fixture_texts;
using testing::fixtures_dir;
using testing::read_json;

class TokenizerGolden : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    tokenizer_ = std::make_unique<Tokenizer>(
        Tokenizer::from_file(fixtures_dir() / GetParam() / "tokenizer.json"));
    expected_ = read_json(fixtures_dir() / GetParam() / "expected.json");
    texts_ = fixture_texts();
    ASSERT_EQ(texts_.size(), expected_["cases"].size());
  }
  std::unique_ptr<Tokenizer> tokenizer_;
  nlohmann::json expected_;
  std::vector<testing::FixtureText> texts_;
};

TEST_P(TokenizerGolden, VocabSize) {
  EXPECT_EQ(tokenizer_->vocab_size(), expected_["vocab_size"].get<size_t>());
}

TEST_P(TokenizerGolden, EncodeMatchesReference) {
  for (size_t i = 0; i < texts_.size(); ++i) {
    const auto& text = texts_[i];
    const auto& expected = expected_["cases"][i];
    SCOPED_TRACE(GetParam() + "/" + text.name);
    ASSERT_EQ(expected["name"], text.name);
    auto plain = expected["plain"].get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer_->encode(text.bytes), plain);
    EXPECT_EQ(tokenizer_->encode(text.bytes, {.add_special_tokens = false}),
              expected["plain_no_add"].get<std::vector<int32_t>>());
    auto special = expected.contains("special") ? expected["special"].get<std::vector<int32_t>>()
                                                : plain;
    EXPECT_EQ(tokenizer_->encode(text.bytes, {.parse_special = true}), special);
  }
}

TEST_P(TokenizerGolden, DecodeMatchesReference) {
  for (size_t i = 0; i < texts_.size(); ++i) {
    const auto& expected = expected_["cases"][i];
    SCOPED_TRACE(GetParam() + "/" + texts_[i].name);
    auto plain = expected["plain"].get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer_->decode(plain), expected["decode_plain"].get<std::string>());
    if (expected.contains("special")) {
      auto special = expected["special"].get<std::vector<int32_t>>();
      EXPECT_EQ(tokenizer_->decode(special), expected["decode_special"].get<std::string>());
      EXPECT_EQ(tokenizer_->decode(special, {.skip_special_tokens = true}),
                expected["decode_special_skip"].get<std::string>());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Styles, TokenizerGolden, ::testing::ValuesIn(fixture_styles()),
                         [](const auto& info) { return info.param; });

// Byte-level tokenizers lose nothing: decode(encode(text)) gives back the
// text, after U+FFFD repair and the NFC normalizer where there is one.
class ByteLevelRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(ByteLevelRoundTrip, DecodeOfEncodeIsTheText) {
  auto tokenizer = Tokenizer::from_file(fixtures_dir() / GetParam() / "tokenizer.json");
  for (const auto& text : fixture_texts()) {
    SCOPED_TRACE(GetParam() + "/" + text.name);
    if (text.name == "specials") continue;  // lstrip/rstrip tokens swallow spaces by design
    std::string expected = detail::to_valid_utf8(text.bytes);
    if (GetParam() == "qwen3") {
      expected = detail::normalize_unicode(expected, detail::NormalForm::kNfc);
    }
    auto ids = tokenizer.encode(text.bytes, {.add_special_tokens = false});
    EXPECT_EQ(tokenizer.decode(ids), expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Styles, ByteLevelRoundTrip,
                         ::testing::Values("qwen3", "llama3", "gpt2"),
                         [](const auto& info) { return info.param; });

// SentencePiece-style decoders drop the space they prepended, so text that
// starts without a space round-trips.
class SentencePieceRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(SentencePieceRoundTrip, DecodeOfEncodeIsTheText) {
  auto tokenizer = Tokenizer::from_file(fixtures_dir() / GetParam() / "tokenizer.json");
  for (std::string text : {"Hello world", "a    b\n\nc", "你好 👍🏽 e\u0301", "x\xff y"}) {
    auto ids = tokenizer.encode(text, {.add_special_tokens = false});
    EXPECT_EQ(tokenizer.decode(ids), detail::to_valid_utf8(text)) << text;
  }
}

INSTANTIATE_TEST_SUITE_P(Styles, SentencePieceRoundTrip, ::testing::Values("llama2", "mistral"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ember::lm
