// Fuzzes encode and decode with the golden fixture tokenizers on arbitrary
// bytes. Checks that byte-level BPE loses nothing: decode(encode(text)) is
// the text with ill-formed UTF-8 replaced by U+FFFD, and the streaming
// detokenizer produces the same text. Seeds: fuzz/corpus/tokenizer_encode/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ember/lm/tokenizer/tokenizer.h"
#include "ember/lm/tokenizer/utf8.h"

namespace {

using ember::lm::Tokenizer;

const Tokenizer& fixture(const char* style) {
  static const auto dir = std::filesystem::path(EMBER_SOURCE_DIR) / "tests/lm/fixtures/tokenizers";
  static const Tokenizer llama3 = Tokenizer::from_file(dir / "llama3/tokenizer.json");
  static const Tokenizer qwen3 = Tokenizer::from_file(dir / "qwen3/tokenizer.json");
  static const Tokenizer llama2 = Tokenizer::from_file(dir / "llama2/tokenizer.json");
  if (std::strcmp(style, "llama3") == 0) return llama3;
  if (std::strcmp(style, "qwen3") == 0) return qwen3;
  return llama2;
}

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "check failed: %s\n", what);
    std::abort();
  }
}

std::string stream(const Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  ember::lm::StreamingDetokenizer detokenizer(tokenizer);
  std::string text;
  for (int32_t id : ids) {
    detokenizer.add(id);
    std::string piece = detokenizer.take_text();
    check(ember::lm::detail::is_valid_utf8(piece), "streamed piece is valid UTF-8");
    text += piece;
  }
  return text + detokenizer.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string valid = ember::lm::detail::to_valid_utf8(text);

  // Llama-3 style has only special added tokens: without parsing them the
  // round trip is exact.
  const Tokenizer& llama3 = fixture("llama3");
  auto ids = llama3.encode(text, {.add_special_tokens = false});
  std::string decoded = llama3.decode(ids);
  check(decoded == valid, "llama3: decode(encode(text)) == text");
  check(stream(llama3, ids) == decoded, "llama3: streaming == decode");

  for (const char* style : {"qwen3", "llama2"}) {
    const Tokenizer& tokenizer = fixture(style);
    for (bool parse_special : {false, true}) {
      auto style_ids = tokenizer.encode(text, {.parse_special = parse_special});
      std::string style_text = tokenizer.decode(style_ids);
      check(ember::lm::detail::is_valid_utf8(style_text), "decode gives valid UTF-8");
      check(stream(tokenizer, style_ids) == style_text, "streaming == decode");
    }
  }

  // The bytes as ids: decode must skip unknown ids and never crash.
  std::vector<int32_t> raw_ids(size / 4);
  if (!raw_ids.empty()) std::memcpy(raw_ids.data(), data, raw_ids.size() * 4);
  for (int32_t& id : raw_ids) id &= 0xFFFF;
  (void)fixture("llama2").decode(raw_ids);
  (void)stream(fixture("qwen3"), raw_ids);
  return 0;
}
