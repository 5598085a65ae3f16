// BPE model: loads vocab and merges, splits a word into characters (with byte
// fallback or the unknown token), then merges by rank with a priority queue.
#include "ember/lm/tokenizer/bpe.h"

#include <mutex>
#include <queue>

#include "ember/lm/tokenizer/utf8.h"

namespace ember::lm::detail {

BpeModel::BpeModel(const Json& model, const JsonPath& path) {
  if (!model.is_object()) throw_error(path, "expected an object");
  if (model.contains("type")) {
    std::string type = require_string(model, "type", path);
    if (type != "BPE") {
      throw_error(path.child("type"), "unsupported model type '" + type + "' (supported: BPE)");
    }
  }
  auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null() &&
      !(dropout->is_number() && dropout->get<double>() == 0.0)) {
    throw_error(path.child("dropout"), "BPE dropout is not supported (training-only feature)");
  }

  const Json& vocab = require(model, "vocab", path);
  if (!vocab.is_object()) throw_error(path.child("vocab"), "expected an object");
  int64_t max_id = -1;
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      throw_error(path.child("vocab"), "token '" + token + "' has no valid id");
    }
    vocab_[token] = id.get<int32_t>();
    max_id = std::max(max_id, id.get<int64_t>());
  }
  // Ids index a table, so they must be dense (they are in every real vocabulary).
  if (max_id >= static_cast<int64_t>(4 * vocab_.size() + 1024)) {
    throw_error(path.child("vocab"), "ids are not dense: id " + std::to_string(max_id) +
                                         " in a vocabulary of " +
                                         std::to_string(vocab_.size()) + " tokens");
  }
  tokens_by_id_.assign(static_cast<size_t>(max_id + 1), nullptr);
  for (const auto& [token, id] : vocab_) tokens_by_id_[id] = &token;

  std::string unk = optional_string(model, "unk_token", "", path);
  if (!unk.empty()) {
    auto it = vocab_.find(unk);
    if (it == vocab_.end()) {
      throw_error(path.child("unk_token"), "'" + unk + "' is not in the vocabulary");
    }
    unk_id_ = it->second;
  }
  continuing_subword_prefix_ = optional_string(model, "continuing_subword_prefix", "", path);
  end_of_word_suffix_ = optional_string(model, "end_of_word_suffix", "", path);
  fuse_unk_ = optional_bool(model, "fuse_unk", false, path);
  byte_fallback_ = optional_bool(model, "byte_fallback", false, path);
  ignore_merges_ = optional_bool(model, "ignore_merges", false, path);
  for (int b = 0; b < 256; ++b) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string name = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    auto it = vocab_.find(name);
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
  for (int c = 0; c < 128; ++c) {
    auto it = vocab_.find(std::string_view(reinterpret_cast<const char*>(&c), 1));
    ascii_ids_[c] = it == vocab_.end() ? -1 : it->second;
  }
  load_merges(require(model, "merges", path), path.child("merges"));
}

void BpeModel::MergeTable::reserve(size_t count) {
  size_t capacity = 16;
  while (capacity < count * 2) capacity *= 2;
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
}

void BpeModel::MergeTable::insert(uint64_t key, Merge merge) {
  for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.key == key || slot.key == kEmpty) {
      slot = {key, merge};  // a repeated pair keeps its last rank, as in HF
      return;
    }
  }
}

void BpeModel::load_merges(const Json& merges, const JsonPath& path) {
  if (!merges.is_array()) throw_error(path, "expected an array");
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const Json& entry = merges[rank];
    std::string left, right;
    if (entry.is_string()) {
      // The older format: "left right", exactly one space.
      const std::string& line = entry.get_ref<const std::string&>();
      size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        throw_error(path.index(rank), "expected \"left right\", got '" + line + "'");
      }
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      left = entry[0].get<std::string>();
      right = entry[1].get<std::string>();
    } else {
      throw_error(path.index(rank), "expected \"left right\" or [left, right]");
    }
    auto left_it = vocab_.find(left);
    auto right_it = vocab_.find(right);
    if (left_it == vocab_.end() || right_it == vocab_.end()) {
      throw_error(path.index(rank), "merge '" + left + " " + right + "' uses a token not in the vocabulary");
    }
    // HF drops the continuing-subword prefix's length from the right part.
    size_t skip = std::min(continuing_subword_prefix_.size(), right.size());
    std::string merged = left + right.substr(skip);
    auto merged_it = vocab_.find(merged);
    if (merged_it == vocab_.end()) {
      throw_error(path.index(rank), "merged token '" + merged + "' is not in the vocabulary");
    }
    merges_.insert(pair_key(left_it->second, right_it->second),
                   Merge{static_cast<int32_t>(rank), merged_it->second});
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_by_id_.size()) return nullptr;
  return tokens_by_id_[id];
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    auto it = vocab_.find(word);
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  bool cacheable = word.size() <= kMaxCachedWordLength;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(word);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  size_t first = out.size();
  merge_word(word, out);
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) {
      cache_.emplace(std::string(word), std::vector<int32_t>(out.begin() + first, out.end()));
    }
  }
}

// One symbol per character, as HF's merge_word: the continuing-subword prefix
// and end-of-word suffix are added for the lookup; a character missing from
// the vocabulary becomes its <0xNN> tokens (byte fallback) or the unknown
// token (runs fused with fuse_unk), or is dropped when there is neither.
void BpeModel::split_into_symbols(std::string_view word, std::vector<int32_t>& ids,
                                  std::vector<int32_t>& lengths) const {
  std::optional<std::pair<int32_t, int32_t>> pending_unk;  // id, byte length
  std::string lookup;
  for (size_t pos = 0; pos < word.size();) {
    size_t begin = pos;
    next_char(word, pos);
    std::string_view character = word.substr(begin, pos - begin);
    auto length = static_cast<int32_t>(character.size());
    bool affixed = (begin > 0 && !continuing_subword_prefix_.empty()) ||
                   (pos == word.size() && !end_of_word_suffix_.empty());
    if (!affixed && length == 1 && static_cast<unsigned char>(character[0]) < 128 &&
        ascii_ids_[static_cast<unsigned char>(character[0])] >= 0) {
      if (pending_unk) {
        ids.push_back(pending_unk->first);
        lengths.push_back(pending_unk->second);
        pending_unk.reset();
      }
      ids.push_back(ascii_ids_[static_cast<unsigned char>(character[0])]);
      lengths.push_back(1);
      continue;
    }
    std::string_view key = character;
    if ((begin > 0 && !continuing_subword_prefix_.empty()) ||
        (pos == word.size() && !end_of_word_suffix_.empty())) {
      lookup.clear();
      if (begin > 0) lookup.append(continuing_subword_prefix_);
      lookup.append(character);
      if (pos == word.size()) lookup.append(end_of_word_suffix_);
      key = lookup;
    }
    if (auto it = vocab_.find(key); it != vocab_.end()) {
      if (pending_unk) {
        ids.push_back(pending_unk->first);
        lengths.push_back(pending_unk->second);
        pending_unk.reset();
      }
      ids.push_back(it->second);
      lengths.push_back(length);
      continue;
    }
    if (byte_fallback_) {
      bool all_bytes = true;
      for (char c : key) all_bytes = all_bytes && byte_ids_[static_cast<unsigned char>(c)] >= 0;
      if (all_bytes) {
        // As in HF, a pending unknown token is not flushed before the bytes.
        for (char c : key) {
          ids.push_back(byte_ids_[static_cast<unsigned char>(c)]);
          lengths.push_back(1);
        }
        continue;
      }
    }
    if (!unk_id_) continue;
    if (pending_unk && fuse_unk_) {
      pending_unk->second += length;
    } else {
      if (pending_unk) {
        ids.push_back(pending_unk->first);
        lengths.push_back(pending_unk->second);
      }
      pending_unk = std::pair{*unk_id_, length};
    }
  }
  if (pending_unk) {
    ids.push_back(pending_unk->first);
    lengths.push_back(pending_unk->second);
  }
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    int32_t length;  // 0 once merged into its left neighbour
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::vector<int32_t> ids, lengths;
  split_into_symbols(word, ids, lengths);
  if (ids.size() <= 1) {
    out.insert(out.end(), ids.begin(), ids.end());
    return;
  }
  auto count = static_cast<int32_t>(ids.size());
  std::vector<Symbol> symbols(ids.size());
  for (int32_t i = 0; i < count; ++i) {
    symbols[i] = {ids[i], i - 1, i + 1 < count ? i + 1 : -1, lengths[i]};
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto push_pair = [&](int32_t pos) {
    int32_t next = symbols[pos].next;
    if (next < 0) return;
    if (const Merge* merge = merges_.find(pair_key(symbols[pos].id, symbols[next].id))) {
      queue.push({merge->rank, pos, merge->new_id});
    }
  };
  for (int32_t i = 0; i + 1 < count; ++i) push_pair(i);

  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.length == 0 || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    // Skip entries made stale by earlier merges (HF compares the new id only).
    const Merge* merge = merges_.find(pair_key(left.id, right.id));
    if (merge == nullptr || merge->new_id != top.new_id) continue;
    left.id = top.new_id;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.pos);
  }
  for (const Symbol& symbol : symbols) {
    if (symbol.length != 0) out.push_back(symbol.id);
  }
}

}  // namespace ember::lm::detail
