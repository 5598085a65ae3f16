// StreamingDetokenizer: incremental decode that emits whole UTF-8 characters.
//
// Note [Streaming window]: decoders are not local. SentencePiece decoders
// strip the leading space of the first token only, and byte runs (byte-level
// pieces, <0xNN> tokens) form characters across tokens. So each step decodes
// a window of recent ids in "streaming" mode (an unfinished byte run stays
// raw) and emits the new bytes up to the last complete character. When all
// of the window has been emitted, the window restarts from its shortest
// suffix of ids that decodes on its own to complete, non-empty text: that
// context keeps the next token from being treated as the first one.
#include <utility>

#include "ember/lm/tokenizer/tokenizer_impl.h"
#include "ember/lm/tokenizer/utf8.h"

namespace ember::lm {

namespace {
// Longest suffix tried as the context of a restarted window: enough for a
// character of four <0xNN> tokens after a space token.
constexpr size_t kMaxContext = 8;
// A window that never reaches a clean restart point (only ill-formed output
// does that) is cut here to keep each step's cost bounded.
constexpr size_t kMaxWindow = 256;
}  // namespace

StreamingDetokenizer::StreamingDetokenizer(Tokenizer tokenizer, DecodeOptions options)
    : tokenizer_(std::move(tokenizer)), options_(options) {}

void StreamingDetokenizer::add(int32_t id) {
  const Tokenizer::Impl& impl = *tokenizer_.impl_;
  window_.push_back(id);
  std::string raw = impl.decode(window_, options_, /*streaming=*/true);
  size_t from = window_emitted_.size();
  // Decoders keep what they already produced, except ByteFallback rewriting
  // an ill-formed byte run; then carry on after the bytes already emitted.
  if (from > raw.size()) from = raw.size();
  std::string_view fresh = std::string_view(raw).substr(from);
  size_t consumed = detail::append_lossy_utf8(fresh, ready_, /*hold_incomplete_tail=*/true);
  window_emitted_ = raw.substr(0, from + consumed);
  bool complete = consumed == fresh.size();

  if (complete && window_.size() > 1) {
    // Restart from the shortest suffix that decodes on its own to clean text.
    for (size_t length = 1; length < window_.size() && length <= kMaxContext; ++length) {
      std::span<const int32_t> suffix(window_.data() + window_.size() - length, length);
      std::string context = impl.decode(suffix, options_, /*streaming=*/true);
      if (!context.empty() && detail::is_valid_utf8(context)) {
        window_.erase(window_.begin(), window_.end() - static_cast<std::ptrdiff_t>(length));
        window_emitted_ = std::move(context);
        return;
      }
    }
  }
  if (window_.size() > kMaxWindow) {
    // Only ill-formed output gets here; drop the context (and an unfinished
    // character, as U+FFFD) to keep each step's cost bounded.
    detail::append_lossy_utf8(fresh.substr(consumed), ready_, /*hold_incomplete_tail=*/false);
    window_.clear();
    window_emitted_.clear();
  }
}

std::string StreamingDetokenizer::take_text() { return std::exchange(ready_, {}); }

std::string StreamingDetokenizer::finish() {
  std::string out = std::exchange(ready_, {});
  if (!window_.empty()) {
    // The exact decode's tail, so that a stream ending inside a byte run
    // reads as decode() does (HF writes one U+FFFD per byte there).
    const Tokenizer::Impl& impl = *tokenizer_.impl_;
    std::string full = impl.decode(window_, options_, /*streaming=*/false);
    std::string emitted = detail::to_valid_utf8(window_emitted_);
    if (full.starts_with(emitted)) {
      out.append(full, emitted.size());
    } else {
      std::string raw = impl.decode(window_, options_, /*streaming=*/true);
      if (raw.size() > window_emitted_.size()) {
        detail::append_lossy_utf8(std::string_view(raw).substr(window_emitted_.size()), out,
                                  /*hold_incomplete_tail=*/false);
      }
    }
  }
  reset();
  return out;
}

void StreamingDetokenizer::reset() {
  window_.clear();
  window_emitted_.clear();
  ready_.clear();
}

}  // namespace ember::lm
