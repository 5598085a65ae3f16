// The pipeline stages of a tokenizer.json (internal): normalizer,
// pre-tokenizer, post-processor and decoder, each built from its JSON object.
// Semantics follow Hugging Face `tokenizers`; each make_* names the supported
// types in its error for any other.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace ember::lm::detail {

using Json = nlohmann::json;

/// Where a JSON value sits, for error messages: "tokenizer.json: pre_tokenizer.pretokenizers[1]".
struct JsonPath {
  std::string file;
  std::string field;
  int depth = 0;  // nesting level, bounded so that hostile files cannot exhaust the stack
  [[nodiscard]] JsonPath child(std::string_view key) const;
  [[nodiscard]] JsonPath index(size_t i) const;
  [[nodiscard]] std::string str() const { return field.empty() ? file : file + ": " + field; }
};

[[noreturn]] void throw_error(const JsonPath& path, std::string_view message);
/// The member `key` of object `value`; throws naming the path if it is missing.
const Json& require(const Json& value, std::string_view key, const JsonPath& path);
std::string require_string(const Json& value, std::string_view key, const JsonPath& path);
/// Optional members: the default when missing or null, an error when of another type.
bool optional_bool(const Json& value, std::string_view key, bool fallback, const JsonPath& path);
std::string optional_string(const Json& value, std::string_view key, std::string_view fallback,
                            const JsonPath& path);
/// The "type" member of a component object.
std::string component_type(const Json& value, const JsonPath& path);

/// A piece of text on its way to the model. `at_start` is true for the piece
/// that begins at offset 0 of the original input (Metaspace's "first" scheme).
struct Piece {
  std::string text;
  bool at_start = false;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  [[nodiscard]] virtual std::string normalize(std::string text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /// Replaces `pieces` by their split (and transformed) pieces; empty pieces are dropped.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  /// Adds the template's special tokens around the ids of one sequence.
  virtual void process(std::vector<int32_t>& ids) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  /// Transforms the token strings in place, as HF's decode_chain. With
  /// `streaming`, bytes at the end that later tokens may complete are kept
  /// raw instead of being replaced by U+FFFD.
  virtual void decode_chain(std::vector<std::string>& tokens, bool streaming) const = 0;
};

/// Each returns null for a JSON null.
std::unique_ptr<Normalizer> make_normalizer(const Json& value, const JsonPath& path);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& value, const JsonPath& path);
std::unique_ptr<PostProcessor> make_post_processor(const Json& value, const JsonPath& path);
std::unique_ptr<Decoder> make_decoder(const Json& value, const JsonPath& path);

}  // namespace ember::lm::detail
