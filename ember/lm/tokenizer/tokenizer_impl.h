// The loaded state behind ember::lm::Tokenizer (internal), shared by the
// tokenizer and the streaming detokenizer.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/lm/tokenizer/added_vocabulary.h"
#include "ember/lm/tokenizer/bpe.h"
#include "ember/lm/tokenizer/components.h"
#include "ember/lm/tokenizer/tokenizer.h"

namespace ember::lm {

struct Tokenizer::Impl {
  std::unique_ptr<detail::BpeModel> model;
  std::unique_ptr<detail::Normalizer> normalizer;
  std::unique_ptr<detail::PreTokenizer> pre_tokenizer;
  std::unique_ptr<detail::PostProcessor> post_processor;
  std::unique_ptr<detail::Decoder> decoder;
  detail::AddedVocabulary added;
  size_t vocab_size = 0;

  /// Encodes text between two added tokens; `at_start` if it begins the input.
  void encode_text(std::string_view text, bool at_start, bool parse_special,
                   std::vector<int32_t>& ids) const;
  /// With `streaming`, an unfinished byte run at the end stays raw (may be
  /// ill-formed UTF-8); otherwise the result is valid UTF-8 as HF's decode.
  std::string decode(std::span<const int32_t> ids, DecodeOptions options, bool streaming) const;
};

}  // namespace ember::lm
