// StreamingDetokenizer: emits only complete UTF-8 characters, and the pieces
// add up to decode() of all ids, for every fixture style and text.
#include <gtest/gtest.h>

#include "ember/lm/tokenizer/tokenizer.h"
#include "ember/lm/tokenizer/utf8.h"
#include "tokenizer_fixtures.h"

namespace ember::lm {
namespace {

using testing::fixture_styles;
using testing::fixture_texts;
using testing::fixtures_dir;

Tokenizer load(const std::string& style) {
  return Tokenizer::from_file(fixtures_dir() / style / "tokenizer.json");
}

// Streams `ids` one at a time; checks every piece is valid UTF-8.
std::string stream_all(const Tokenizer& tokenizer, const std::vector<int32_t>& ids,
                       DecodeOptions options = {}) {
  StreamingDetokenizer stream(tokenizer, options);
  std::string text;
  for (int32_t id : ids) {
    stream.add(id);
    std::string piece = stream.take_text();
    EXPECT_TRUE(detail::is_valid_utf8(piece));
    text += piece;
  }
  return text + stream.finish();
}

TEST(StreamingDetokenizer, MatchesDecodeOnEveryFixture) {
  auto texts = fixture_texts();
  for (const auto& style : fixture_styles()) {
    auto tokenizer = load(style);
    for (const auto& text : texts) {
      SCOPED_TRACE(style + "/" + text.name);
      for (bool add_special : {true, false}) {
        auto ids = tokenizer.encode(text.bytes,
                                    {.add_special_tokens = add_special, .parse_special = true});
        EXPECT_EQ(stream_all(tokenizer, ids), tokenizer.decode(ids));
        EXPECT_EQ(stream_all(tokenizer, ids, {.skip_special_tokens = true}),
                  tokenizer.decode(ids, {.skip_special_tokens = true}));
      }
    }
  }
}

TEST(StreamingDetokenizer, EmojiSplitAcrossByteLevelTokens) {
  auto tokenizer = load("qwen3");
  const std::string emoji = "\xF0\x9F\x91\x8D";  // U+1F44D, one byte-level token per byte here
  auto ids = tokenizer.encode(emoji);
  ASSERT_GT(ids.size(), 1u);
  StreamingDetokenizer stream(tokenizer);
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    stream.add(ids[i]);
    EXPECT_EQ(stream.take_text(), "") << "after token " << i;
  }
  stream.add(ids.back());
  EXPECT_EQ(stream.take_text(), emoji);
  EXPECT_EQ(stream.finish(), "");
}

TEST(StreamingDetokenizer, CjkThroughByteFallback) {
  auto tokenizer = load("llama2");
  std::vector<int32_t> ids = {*tokenizer.token_to_id("\xE2\x96\x81"),  // "▁"
                              *tokenizer.token_to_id("<0xE4>"), *tokenizer.token_to_id("<0xBD>"),
                              *tokenizer.token_to_id("<0xA0>"), *tokenizer.token_to_id("<0xE5>"),
                              *tokenizer.token_to_id("<0xA5>"), *tokenizer.token_to_id("<0xBD>")};
  StreamingDetokenizer stream(tokenizer);
  std::vector<std::string> pieces;
  for (int32_t id : ids) {
    stream.add(id);
    pieces.push_back(stream.take_text());
  }
  // The leading "▁" is the stripped SentencePiece prefix space: nothing shows.
  EXPECT_EQ(pieces, (std::vector<std::string>{"", "", "", "\xE4\xBD\xA0", "", "",
                                              "\xE5\xA5\xBD"}));
  EXPECT_EQ(tokenizer.decode(ids), "\xE4\xBD\xA0\xE5\xA5\xBD");
}

TEST(StreamingDetokenizer, SentencePieceSpacesBetweenWords) {
  for (const std::string style : {"llama2", "mistral"}) {
    auto tokenizer = load(style);
    auto ids = tokenizer.encode("Hello world, and the rest of it", {.add_special_tokens = false});
    EXPECT_EQ(stream_all(tokenizer, ids), "Hello world, and the rest of it") << style;
  }
}

TEST(StreamingDetokenizer, UnfinishedCharacterAtTheEnd) {
  auto tokenizer = load("llama2");
  std::vector<int32_t> ids = {*tokenizer.token_to_id("<0xE4>"), *tokenizer.token_to_id("<0xBD>")};
  StreamingDetokenizer stream(tokenizer);
  stream.add(ids[0]);
  stream.add(ids[1]);
  EXPECT_EQ(stream.take_text(), "");
  EXPECT_EQ(stream.finish(), tokenizer.decode(ids));  // HF: one U+FFFD per byte
  // finish() starts a new stream.
  stream.add(*tokenizer.token_to_id("\xE2\x96\x81" "the"));
  EXPECT_EQ(stream.take_text(), "the");
}

TEST(StreamingDetokenizer, IllFormedBytesBecomeReplacementCharacters) {
  auto tokenizer = load("gpt2");
  // Byte-level tokens for 0xE4 0xBD then "a": the two bytes never complete.
  auto e4 = tokenizer.token_to_id("\xC3\xA4");  // byte 0xE4 is written as U+00E4
  auto bd = tokenizer.token_to_id("\xC2\xBD");  // byte 0xBD is written as U+00BD
  ASSERT_TRUE(e4 && bd);
  std::vector<int32_t> ids = {*e4, *bd, *tokenizer.token_to_id("a")};
  EXPECT_EQ(stream_all(tokenizer, ids), "\xEF\xBF\xBD" "a");
  EXPECT_EQ(tokenizer.decode(ids), "\xEF\xBF\xBD" "a");
}

}  // namespace
}  // namespace ember::lm
