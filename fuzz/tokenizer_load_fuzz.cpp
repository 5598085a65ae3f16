// Fuzzes the tokenizer.json loader: any bytes must load or throw
// TokenizerError, and a loaded tokenizer must encode and decode without
// crashing. Seeds: fuzz/corpus/tokenizer_load/ (small tokenizer.json files).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ember/lm/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    auto tokenizer = ember::lm::Tokenizer::from_json_string(json);
    for (bool parse_special : {false, true}) {
      auto ids = tokenizer.encode("Hello  world\n<s><|endoftext|> \xE4\xBD\xA0\xF0\x9F\x91\x8D\xFF",
                                  {.parse_special = parse_special});
      (void)tokenizer.decode(ids);
      (void)tokenizer.decode(ids, {.skip_special_tokens = true});
    }
  } catch (const ember::lm::TokenizerError&) {
    // Rejected with a typed error: the expected outcome for most inputs.
  }
  return 0;
}
