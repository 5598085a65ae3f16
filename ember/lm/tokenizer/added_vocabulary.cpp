// Added-token matching. See added_vocabulary.h; the split rules follow HF's
// AddedVocabulary::find_matches.
#include "ember/lm/tokenizer/added_vocabulary.h"

#include <algorithm>

#include "ember/lm/tokenizer/utf8.h"

namespace ember::lm::detail {

void AddedVocabulary::Matcher::add(std::string pattern, size_t index) {
  if (pattern.empty()) return;
  patterns.push_back(std::move(pattern));
  token_index.push_back(index);
}

void AddedVocabulary::Matcher::finish() {
  for (uint32_t i = 0; i < patterns.size(); ++i) {
    by_first_byte[static_cast<unsigned char>(patterns[i][0])].push_back(i);
  }
  for (auto& bucket : by_first_byte) {
    std::stable_sort(bucket.begin(), bucket.end(), [&](uint32_t a, uint32_t b) {
      return patterns[a].size() > patterns[b].size();
    });
  }
}

int AddedVocabulary::Matcher::longest_at(std::string_view text, size_t pos) const {
  for (uint32_t i : by_first_byte[static_cast<unsigned char>(text[pos])]) {
    if (text.substr(pos).starts_with(patterns[i])) return static_cast<int>(i);
  }
  return -1;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    AddedToken& token = tokens_[i];
    by_id_.emplace(token.id, i);
    by_content_.emplace(token.content, i);
    token.surface = token.normalized && normalizer ? normalizer->normalize(token.content)
                                                   : token.content;
    (token.normalized ? normalized_ : original_).add(token.surface, i);
  }
  original_.finish();
  normalized_.finish();
}

const AddedToken* AddedVocabulary::find(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int32_t> AddedVocabulary::find(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return std::nullopt;
  return tokens_[it->second].id;
}

namespace {

bool ends_with_word(std::string_view text) {
  if (text.empty()) return false;
  size_t end = text.size();
  return is_word_char(previous_char(text, end));
}

bool starts_with_word(std::string_view text) {
  if (text.empty()) return false;
  size_t pos = 0;
  return is_word_char(next_char(text, pos));
}

}  // namespace

void AddedVocabulary::split(std::string_view text, bool normalized_set, bool parse_special,
                            std::vector<TextSplit>& out) const {
  out.clear();
  const Matcher& matcher = normalized_set ? normalized_ : original_;
  size_t done = 0;  // end of the last accepted token
  if (!matcher.patterns.empty()) {
    for (size_t pos = 0; pos < text.size();) {
      if (matcher.by_first_byte[static_cast<unsigned char>(text[pos])].empty()) {
        ++pos;
        continue;
      }
      int pattern = matcher.longest_at(text, pos);
      if (pattern < 0) {
        ++pos;
        continue;
      }
      size_t begin = pos;
      size_t end = pos + matcher.patterns[pattern].size();
      pos = end;  // a rejected match still consumes its bytes, as in HF
      const AddedToken& token = tokens_[matcher.token_index[pattern]];
      if (token.special && !parse_special) continue;
      if (token.single_word &&
          (ends_with_word(text.substr(0, begin)) || starts_with_word(text.substr(end)))) {
        continue;
      }
      if (token.lstrip) {
        size_t start = begin;
        while (start > done) {
          size_t previous = start;
          if (!is_whitespace(previous_char(text, previous))) break;
          start = previous;
        }
        begin = start;
      }
      if (token.rstrip) {
        while (end < text.size()) {
          size_t next = end;
          if (!is_whitespace(next_char(text, next))) break;
          end = next;
        }
      }
      begin = std::max(begin, done);
      if (done < begin) out.push_back({done, begin, TextSplit::kText});
      out.push_back({begin, end, token.id});
      done = end;
      pos = std::max(pos, end);
    }
  }
  if (done < text.size()) out.push_back({done, text.size(), TextSplit::kText});
}

}  // namespace ember::lm::detail
