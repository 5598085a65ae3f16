// Decoders (Sequence, ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip)
// and post-processors (Sequence, ByteLevel, TemplateProcessing, BertProcessing,
// RobertaProcessing) of tokenizer.json, with HF `tokenizers` semantics.
#include <utility>

#include "ember/lm/tokenizer/components.h"
#include "ember/lm/tokenizer/utf8.h"

namespace ember::lm::detail {
namespace {

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps)
      : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens, bool streaming) const override {
    for (const auto& step : steps_) step->decode_chain(tokens, streaming);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

// Maps byte-level characters back to bytes. A token with any character
// outside the alphabet (an added token such as "<|im_end|>" written with a
// space) is kept as it is, as HF does.
class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, bool streaming) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      size_t mark = bytes.size();
      bool mapped = true;
      for (size_t pos = 0; pos < token.size();) {
        int byte = byte_level_byte(next_char(token, pos));
        if (byte < 0) {
          mapped = false;
          break;
        }
        bytes.push_back(static_cast<char>(byte));
      }
      if (!mapped) {
        bytes.resize(mark);
        bytes.append(token);
      }
    }
    tokens.assign(1, streaming ? std::move(bytes) : to_valid_utf8(bytes));
  }
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool prepend)
      : replacement_(std::move(replacement)), prepend_(prepend) {}
  void decode_chain(std::vector<std::string>& tokens, bool /*streaming*/) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      // HF drops every replacement character of the first token when it prepends one.
      std::string_view with = (i == 0 && prepend_) ? std::string_view() : std::string_view(" ");
      std::string out;
      const std::string& token = tokens[i];
      size_t previous = 0;
      for (size_t at = token.find(replacement_); at != std::string::npos;
           at = token.find(replacement_, previous)) {
        out.append(token, previous, at - previous);
        out.append(with);
        previous = at + replacement_.size();
      }
      out.append(token, previous);
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool prepend_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(std::string pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens, bool /*streaming*/) const override {
    if (pattern_.empty()) return;
    for (std::string& token : tokens) {
      std::string out;
      size_t previous = 0;
      for (size_t at = token.find(pattern_); at != std::string::npos;
           at = token.find(pattern_, previous)) {
        out.append(token, previous, at - previous);
        out.append(content_);
        previous = at + pattern_.size();
      }
      out.append(token, previous);
      token = std::move(out);
    }
  }

 private:
  std::string pattern_;
  std::string content_;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Runs of <0xNN> tokens become their bytes when those form UTF-8, else one
// U+FFFD per byte (HF's rule).
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, bool streaming) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string run;
    auto flush = [&](bool at_end) {
      if (run.empty()) return;
      if ((at_end && streaming) || is_valid_utf8(run)) {
        out.push_back(std::move(run));
      } else {
        for (size_t i = 0; i < run.size(); ++i) out.emplace_back(kReplacementCharacter);
      }
      run.clear();
    };
    for (std::string& token : tokens) {
      int high = token.size() == 6 && token.starts_with("<0x") && token.back() == '>'
                     ? hex_value(token[3])
                     : -1;
      int low = high >= 0 ? hex_value(token[4]) : -1;
      if (low >= 0) {
        run.push_back(static_cast<char>(high * 16 + low));
        continue;
      }
      flush(false);
      out.push_back(std::move(token));
    }
    flush(true);
    tokens = std::move(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens, bool /*streaming*/) const override {
    std::string joined;
    for (const std::string& token : tokens) joined.append(token);
    tokens.assign(1, std::move(joined));
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens, bool /*streaming*/) const override {
    for (std::string& token : tokens) {
      size_t begin = 0;
      for (size_t i = 0; i < start_ && begin + content_.size() <= token.size() &&
                         token.compare(begin, content_.size(), content_) == 0;
           ++i) {
        begin += content_.size();
      }
      size_t end = token.size();
      for (size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                         token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      token = token.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

size_t optional_count(const Json& value, std::string_view key, const JsonPath& path) {
  auto it = value.find(key);
  if (it == value.end() || it->is_null()) return 0;
  if (!it->is_number_unsigned()) throw_error(path.child(key), "expected a non-negative integer");
  return it->get<size_t>();
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const Json& value, const JsonPath& path) {
  if (value.is_null()) return nullptr;
  std::string type = component_type(value, path);
  if (type == "Sequence") {
    const Json& list = require(value, "decoders", path);
    if (!list.is_array()) throw_error(path.child("decoders"), "expected an array");
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_decoder(list[i], path.child("decoders").index(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    std::string scheme = optional_string(value, "prepend_scheme", "", path);
    bool prepend = scheme.empty() ? optional_bool(value, "add_prefix_space", true, path)
                                  : scheme != "never";
    return std::make_unique<MetaspaceDecoder>(
        optional_string(value, "replacement", "\xE2\x96\x81", path), prepend);
  }
  if (type == "Replace") {
    const Json& pattern = require(value, "pattern", path);
    if (!pattern.is_object() || !pattern.contains("String")) {
      throw_error(path.child("pattern"), "only {\"String\": ...} patterns are supported");
    }
    return std::make_unique<ReplaceDecoder>(
        require_string(pattern, "String", path.child("pattern")),
        require_string(value, "content", path));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    std::string content = require_string(value, "content", path);
    return std::make_unique<StripDecoder>(std::move(content), optional_count(value, "start", path),
                                          optional_count(value, "stop", path));
  }
  throw_error(path, "unsupported decoder type '" + type +
                        "' (supported: Sequence, ByteLevel, Metaspace, Replace, ByteFallback, "
                        "Fuse, Strip)");
}

namespace {

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps)
      : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& step : steps_) step->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

// Ids before and after the single sequence; covers TemplateProcessing's
// `single` template and the fixed Bert/Roberta layouts.
class AffixPostProcessor final : public PostProcessor {
 public:
  AffixPostProcessor(std::vector<int32_t> prefix, std::vector<int32_t> suffix)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}
  void process(std::vector<int32_t>& ids) const override {
    ids.insert(ids.begin(), prefix_.begin(), prefix_.end());
    ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  }

 private:
  std::vector<int32_t> prefix_, suffix_;
};

int32_t parse_id(const Json& value, const JsonPath& path) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
      value.get<int64_t>() > INT32_MAX) {
    throw_error(path, "expected a token id");
  }
  return value.get<int32_t>();
}

std::unique_ptr<PostProcessor> make_template(const Json& value, const JsonPath& path) {
  const Json& single = require(value, "single", path);
  const Json& special_tokens = require(value, "special_tokens", path);
  JsonPath single_path = path.child("single");
  if (!single.is_array()) throw_error(single_path, "expected an array");
  std::vector<int32_t> prefix, suffix;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    JsonPath item_path = single_path.index(i);
    const Json& item = single[i];
    if (item.is_object() && item.contains("Sequence")) {
      seen_sequence = true;
      continue;
    }
    if (!item.is_object() || !item.contains("SpecialToken")) {
      throw_error(item_path, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    }
    std::string name = require_string(item["SpecialToken"], "id", item_path.child("SpecialToken"));
    JsonPath token_path = path.child("special_tokens").child(name);
    if (!special_tokens.is_object() || !special_tokens.contains(name)) {
      throw_error(token_path, "missing (named by the template)");
    }
    const Json& ids = require(special_tokens[name], "ids", token_path);
    if (!ids.is_array()) throw_error(token_path.child("ids"), "expected an array");
    auto& target = seen_sequence ? suffix : prefix;
    for (size_t k = 0; k < ids.size(); ++k) {
      target.push_back(parse_id(ids[k], token_path.child("ids").index(k)));
    }
  }
  return std::make_unique<AffixPostProcessor>(std::move(prefix), std::move(suffix));
}

// BertProcessing and RobertaProcessing: {"cls": [token, id], "sep": [token, id]}.
std::unique_ptr<PostProcessor> make_cls_sep(const Json& value, const JsonPath& path) {
  auto id_of = [&](std::string_view key) {
    const Json& pair = require(value, key, path);
    if (!pair.is_array() || pair.size() != 2) throw_error(path.child(key), "expected [token, id]");
    return parse_id(pair[1], path.child(key));
  };
  return std::make_unique<AffixPostProcessor>(std::vector<int32_t>{id_of("cls")},
                                              std::vector<int32_t>{id_of("sep")});
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const Json& value, const JsonPath& path) {
  if (value.is_null()) return nullptr;
  std::string type = component_type(value, path);
  if (type == "Sequence") {
    const Json& list = require(value, "processors", path);
    if (!list.is_array()) throw_error(path.child("processors"), "expected an array");
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_post_processor(list[i], path.child("processors").index(i));
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePostProcessor>(std::move(steps));
  }
  if (type == "ByteLevel") return nullptr;  // only trims offsets, which ember does not report
  if (type == "TemplateProcessing") return make_template(value, path);
  if (type == "BertProcessing" || type == "RobertaProcessing") return make_cls_sep(value, path);
  throw_error(path, "unsupported post-processor type '" + type +
                        "' (supported: Sequence, ByteLevel, TemplateProcessing, BertProcessing, "
                        "RobertaProcessing)");
}

}  // namespace ember::lm::detail
