// Tokenizer: a Hugging Face tokenizer.json (BPE models) in C++, id-exact with
// the reference `tokenizers` library.
//
//   auto tokenizer = ember::lm::Tokenizer::from_file(folder / "tokenizer.json");
//   std::vector<int32_t> ids = tokenizer.encode("Hello world");          // user text
//   auto chat = tokenizer.encode(rendered_template, {.parse_special = true});
//   std::string text = tokenizer.decode(ids);
//
// Supported: model BPE (byte-level like GPT-2/Llama-3/Qwen, SentencePiece-style
// with byte fallback like Llama-2/Mistral); normalizers Sequence, NFC, NFD, NFKC,
// NFKD, Prepend, Replace, Strip; pre-tokenizers Sequence, Split, ByteLevel,
// Metaspace, Digits; post-processors Sequence, ByteLevel, TemplateProcessing;
// decoders Sequence, ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip.
// Anything else is rejected at load time with a TokenizerError naming it.
// `truncation` and `padding` are ignored (they only matter for batches).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ember::lm {

/// Every error of the tokenizer: malformed or unsupported tokenizer.json,
/// missing files, bad ids. The message starts with "[tokenizer] " and names the
/// file, field or component at fault.
class TokenizerError : public std::runtime_error {
 public:
  explicit TokenizerError(const std::string& message);
};

/// How `Tokenizer::encode` treats its input.
struct EncodeOptions {
  /// Apply the post-processor (e.g. prepend <|begin_of_text|> or <s>), as HF's
  /// `encode(add_special_tokens=True)`.
  bool add_special_tokens = true;
  /// Recognise special added tokens (e.g. "<|im_end|>") written in the text.
  /// Off by default so that user text can never produce control tokens; turn
  /// it on for text the program built itself, such as a rendered chat
  /// template. Non-special added tokens (Qwen's "<think>") are always
  /// recognised, as in HF. Off equals HF's `encode_special_tokens = True`;
  /// on equals HF's default.
  bool parse_special = false;
};

/// How `Tokenizer::decode` treats its input.
struct DecodeOptions {
  /// Drop special added tokens from the output, as HF's `skip_special_tokens`.
  bool skip_special_tokens = false;
};

/// An immutable tokenizer loaded from tokenizer.json. Copies share the loaded
/// state; all methods are const and safe to call from many threads at once.
class Tokenizer {
 public:
  /// Loads `tokenizer_json`. Throws TokenizerError if the file is missing,
  /// is not valid JSON, or uses a component that is not supported.
  static Tokenizer from_file(const std::filesystem::path& tokenizer_json);
  /// Loads tokenizer.json content from memory; `name` is used in error messages.
  static Tokenizer from_json_string(std::string_view json,
                                    std::string_view name = "tokenizer.json");

  /// Token ids of `text`. Invalid UTF-8 in `text` is replaced by U+FFFD first
  /// (maximal subparts, as Python's `bytes.decode(errors="replace")`).
  [[nodiscard]] std::vector<int32_t> encode(std::string_view text,
                                            EncodeOptions options = {}) const;
  /// The text of `ids`, as HF's `decode`. Ids that name no token are skipped,
  /// as HF does; byte sequences that are not UTF-8 become U+FFFD.
  [[nodiscard]] std::string decode(std::span<const int32_t> ids,
                                   DecodeOptions options = {}) const;

  /// The id of a token given its vocabulary string (added tokens included).
  [[nodiscard]] std::optional<int32_t> token_to_id(std::string_view token) const;
  /// The vocabulary string of `id` (e.g. "Ġthe", "<|im_end|>", "<0x0A>").
  /// Throws TokenizerError if no token has this id.
  [[nodiscard]] std::string id_to_token(int32_t id) const;
  /// True if `id` is an added token flagged "special".
  [[nodiscard]] bool is_special(int32_t id) const;
  /// Number of distinct tokens: the model's vocabulary plus the added tokens
  /// that are not in it (HF's `get_vocab_size(with_added_tokens=True)`).
  [[nodiscard]] size_t vocab_size() const;

  struct Impl;

 private:
  friend class StreamingDetokenizer;
  explicit Tokenizer(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

/// Turns a stream of generated ids into text, emitting only complete UTF-8
/// characters: a character whose bytes arrive over several tokens (byte-level
/// BPE pieces of an emoji, <0xNN> byte-fallback tokens) is emitted when its
/// last byte arrives. The concatenated output equals `decode` of all ids,
/// including SentencePiece's leading-space handling, except that a byte
/// sequence that is not UTF-8 becomes U+FFFD per maximal subpart, where HF's
/// ByteFallback decoder writes one U+FFFD per byte.
///
///   StreamingDetokenizer stream(tokenizer);
///   for (int32_t id : generated) { stream.add(id); std::cout << stream.take_text(); }
///   std::cout << stream.finish();
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(Tokenizer tokenizer, DecodeOptions options = {});

  /// Appends one generated id.
  void add(int32_t id);
  /// The text completed since the last call (possibly empty).
  [[nodiscard]] std::string take_text();
  /// Everything not yet taken, with an unfinished character as U+FFFD; then
  /// starts a new stream.
  [[nodiscard]] std::string finish();
  /// Drops all state and starts a new stream.
  void reset();

 private:
  Tokenizer tokenizer_;
  DecodeOptions options_;
  std::vector<int32_t> window_;  // ids whose decode is still needed as context
  std::string window_emitted_;   // decode(window_) bytes already emitted
  std::string ready_;            // complete text waiting for take_text()
};

}  // namespace ember::lm
