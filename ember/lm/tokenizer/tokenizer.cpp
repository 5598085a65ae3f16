// Tokenizer: loads tokenizer.json and runs HF's pipeline. Encoding: added
// tokens are split out of the raw text, each remaining piece is normalized,
// normalized added tokens are split out, then pre-tokenizer, BPE model and,
// if asked, the post-processor. Decoding maps ids to token strings and runs
// the decoder chain. Reference: huggingface/tokenizers (tokenizer/mod.rs,
// added_vocabulary.rs).
#include "ember/lm/tokenizer/tokenizer.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ember/lm/tokenizer/tokenizer_impl.h"
#include "ember/lm/tokenizer/utf8.h"

namespace ember::lm {

using detail::Json;
using detail::JsonPath;

TokenizerError::TokenizerError(const std::string& message) : std::runtime_error(message) {}

namespace {

std::vector<detail::AddedToken> parse_added_tokens(const Json& root, const JsonPath& root_path,
                                                   const detail::BpeModel& model) {
  std::vector<detail::AddedToken> tokens;
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return tokens;
  JsonPath path = root_path.child("added_tokens");
  if (!it->is_array()) detail::throw_error(path, "expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& entry = (*it)[i];
    JsonPath entry_path = path.index(i);
    detail::AddedToken token;
    token.content = detail::require_string(entry, "content", entry_path);
    const Json& id = detail::require(entry, "id", entry_path);
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      detail::throw_error(entry_path.child("id"), "expected a token id");
    }
    // As in HF, a token the model already knows keeps the model's id.
    token.id = model.token_to_id(token.content).value_or(id.get<int32_t>());
    token.special = detail::optional_bool(entry, "special", false, entry_path);
    token.single_word = detail::optional_bool(entry, "single_word", false, entry_path);
    token.lstrip = detail::optional_bool(entry, "lstrip", false, entry_path);
    token.rstrip = detail::optional_bool(entry, "rstrip", false, entry_path);
    token.normalized = detail::optional_bool(entry, "normalized", !token.special, entry_path);
    tokens.push_back(std::move(token));
  }
  return tokens;
}

std::shared_ptr<const Tokenizer::Impl> load(const Json& root, const std::string& name) {
  JsonPath root_path{name, ""};
  if (!root.is_object()) detail::throw_error(root_path, "expected a JSON object at the top level");
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->model = std::make_unique<detail::BpeModel>(detail::require(root, "model", root_path),
                                                   root_path.child("model"));
  auto component = [&](std::string_view key) -> const Json& {
    static const Json kNull;
    auto it = root.find(key);
    return it == root.end() ? kNull : *it;
  };
  impl->normalizer =
      detail::make_normalizer(component("normalizer"), root_path.child("normalizer"));
  impl->pre_tokenizer =
      detail::make_pre_tokenizer(component("pre_tokenizer"), root_path.child("pre_tokenizer"));
  impl->post_processor = detail::make_post_processor(component("post_processor"),
                                                     root_path.child("post_processor"));
  impl->decoder = detail::make_decoder(component("decoder"), root_path.child("decoder"));
  impl->added = detail::AddedVocabulary(parse_added_tokens(root, root_path, *impl->model),
                                        impl->normalizer.get());
  impl->vocab_size = impl->model->vocab_size();
  for (const auto& token : impl->added.tokens()) {
    if (!impl->model->token_to_id(token.content)) ++impl->vocab_size;
  }
  return impl;
}

}  // namespace

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Tokenizer Tokenizer::from_json_string(std::string_view json, std::string_view name) {
  Json root;
  try {
    root = Json::parse(json.begin(), json.end());
  } catch (const Json::parse_error& e) {
    throw TokenizerError("[tokenizer] " + std::string(name) + ": malformed JSON: " + e.what());
  }
  try {
    return Tokenizer(load(root, std::string(name)));
  } catch (const Json::exception& e) {
    // A value of an unexpected type that no explicit check caught.
    throw TokenizerError("[tokenizer] " + std::string(name) + ": invalid content: " + e.what());
  }
}

Tokenizer Tokenizer::from_file(const std::filesystem::path& tokenizer_json) {
  std::ifstream file(tokenizer_json, std::ios::binary);
  if (!file) {
    throw TokenizerError("[tokenizer] cannot open '" + tokenizer_json.string() +
                         "': " + std::strerror(errno));
  }
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) {
    throw TokenizerError("[tokenizer] cannot read '" + tokenizer_json.string() + "'");
  }
  return from_json_string(content.str(), tokenizer_json.filename().string());
}

void Tokenizer::Impl::encode_text(std::string_view text, bool at_start, bool parse_special,
                                  std::vector<int32_t>& ids) const {
  std::string normalized = normalizer ? normalizer->normalize(std::string(text))
                                      : std::string(text);
  std::vector<detail::TextSplit> splits;
  added.split(normalized, /*normalized_set=*/true, parse_special, splits);
  std::vector<detail::Piece> pieces;
  for (const detail::TextSplit& split : splits) {
    if (split.id != detail::TextSplit::kText) {
      ids.push_back(split.id);
      continue;
    }
    pieces.clear();
    pieces.push_back({normalized.substr(split.begin, split.end - split.begin),
                      at_start && split.begin == 0});
    if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
    for (const detail::Piece& piece : pieces) model->tokenize(piece.text, ids);
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, EncodeOptions options) const {
  std::string repaired;
  if (!detail::is_valid_utf8(text)) {
    repaired = detail::to_valid_utf8(text);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<detail::TextSplit> splits;
  impl_->added.split(text, /*normalized_set=*/false, options.parse_special, splits);
  for (const detail::TextSplit& split : splits) {
    if (split.id != detail::TextSplit::kText) {
      ids.push_back(split.id);
    } else {
      impl_->encode_text(text.substr(split.begin, split.end - split.begin), split.begin == 0,
                         options.parse_special, ids);
    }
  }
  if (options.add_special_tokens && impl_->post_processor) impl_->post_processor->process(ids);
  return ids;
}

std::string Tokenizer::Impl::decode(std::span<const int32_t> ids, DecodeOptions options,
                                    bool streaming) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const detail::AddedToken* token = added.find(id)) {
      if (!(options.skip_special_tokens && token->special)) tokens.push_back(token->surface);
    } else if (const std::string* token = model->id_to_token(id)) {
      tokens.push_back(*token);
    }
  }
  std::string text;
  if (decoder) {
    decoder->decode_chain(tokens, streaming);
    for (const std::string& token : tokens) text.append(token);
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) text.push_back(' ');
      text.append(tokens[i]);
    }
  }
  if (!streaming && !detail::is_valid_utf8(text)) text = detail::to_valid_utf8(text);
  return text;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, DecodeOptions options) const {
  return impl_->decode(ids, options, /*streaming=*/false);
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = impl_->added.find(token)) return id;
  return impl_->model->token_to_id(token);
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (const detail::AddedToken* token = impl_->added.find(id)) return token->surface;
  if (const std::string* token = impl_->model->id_to_token(id)) return *token;
  throw TokenizerError("[tokenizer] id_to_token: no token has id " + std::to_string(id));
}

bool Tokenizer::is_special(int32_t id) const {
  const detail::AddedToken* token = impl_->added.find(id);
  return token != nullptr && token->special;
}

size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

}  // namespace ember::lm
