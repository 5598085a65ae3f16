// The BPE model of tokenizer.json (internal): vocabulary, ranked merges,
// byte fallback, unknown token, ignore_merges, and a bounded per-word cache.
// Merging applies the lowest-ranked adjacent pair first (leftmost on ties)
// with a priority queue, as HF `tokenizers` and Sennrich et al. (2016).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ember/lm/tokenizer/components.h"

namespace ember::lm::detail {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  /// Builds the model from tokenizer.json's "model" object.
  BpeModel(const Json& model, const JsonPath& path);

  /// Appends the ids of one pre-tokenized word to `out`.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  [[nodiscard]] std::optional<int32_t> token_to_id(std::string_view token) const;
  /// The token of `id`, or null if the vocabulary has no such id.
  [[nodiscard]] const std::string* id_to_token(int32_t id) const;
  [[nodiscard]] size_t vocab_size() const { return vocab_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  // Open addressing over (left, right) id pairs: the merge loop's hot lookup.
  class MergeTable {
   public:
    void reserve(size_t count);
    void insert(uint64_t key, Merge merge);
    [[nodiscard]] const Merge* find(uint64_t key) const {
      if (slots_.empty()) return nullptr;
      for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
        const Slot& slot = slots_[i];
        if (slot.key == key) return &slot.merge;
        if (slot.key == kEmpty) return nullptr;
      }
    }

   private:
    static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are < 2^31, so never a real key
    struct Slot {
      uint64_t key = kEmpty;
      Merge merge{};
    };
    static size_t hash(uint64_t key) { return (key * 0x9E3779B97F4A7C15ULL) >> 20; }
    std::vector<Slot> slots_;
    size_t mask_ = 0;
  };

  void load_merges(const Json& merges, const JsonPath& path);
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  void split_into_symbols(std::string_view word, std::vector<int32_t>& ids,
                          std::vector<int32_t>& lengths) const;

  TokenMap vocab_;
  std::vector<const std::string*> tokens_by_id_;  // points into vocab_'s keys
  MergeTable merges_;
  std::array<int32_t, 128> ascii_ids_{};  // ids of one-byte characters, -1 where missing
  std::optional<int32_t> unk_id_;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::array<int32_t, 256> byte_ids_{};  // <0xNN> tokens, -1 where missing

  // Words seen before; bounded, shared by all threads.
  static constexpr size_t kCacheCapacity = 32768;
  static constexpr size_t kMaxCachedWordLength = 256;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>
      cache_;
};

}  // namespace ember::lm::detail
