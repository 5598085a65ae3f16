// UTF-8 decoding and repair, Unicode properties and normal forms (utf8proc),
// and GPT-2's byte-level alphabet.
#include "ember/lm/tokenizer/utf8.h"

#include <utf8proc.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "ember/lm/tokenizer/tokenizer.h"

namespace ember::lm::detail {
namespace {

// Length of the sequence led by `lead`, or 0 for a byte that cannot lead one.
int sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// The range allowed for the second byte depends on the lead (no overlongs,
// surrogates or code points past U+10FFFF); later bytes are always 80..BF.
bool second_byte_ok(unsigned char lead, unsigned char byte) {
  switch (lead) {
    case 0xE0: return byte >= 0xA0 && byte <= 0xBF;
    case 0xED: return byte >= 0x80 && byte <= 0x9F;
    case 0xF0: return byte >= 0x90 && byte <= 0xBF;
    case 0xF4: return byte >= 0x80 && byte <= 0x8F;
    default: return byte >= 0x80 && byte <= 0xBF;
  }
}

// Number of bytes at `pos` that form a valid character (>0), or the negated
// length of the maximal subpart that is ill-formed; `incomplete` tells whether
// that subpart stopped at the end of the text.
int scan_sequence(std::string_view text, size_t pos, bool& incomplete) {
  incomplete = false;
  auto lead = static_cast<unsigned char>(text[pos]);
  int length = sequence_length(lead);
  if (length == 0) return -1;
  for (int i = 1; i < length; ++i) {
    if (pos + i >= text.size()) {
      incomplete = true;
      return -i;
    }
    auto byte = static_cast<unsigned char>(text[pos + i]);
    bool ok = i == 1 ? second_byte_ok(lead, byte) : (byte >= 0x80 && byte <= 0xBF);
    if (!ok) return -i;
  }
  return length;
}

}  // namespace

char32_t next_char(std::string_view text, size_t& pos) {
  auto lead = static_cast<unsigned char>(text[pos]);
  int length = sequence_length(lead);
  if (length <= 1) {
    ++pos;
    return lead;
  }
  char32_t c = lead & (0x7F >> length);
  for (int i = 1; i < length && pos + i < text.size(); ++i) {
    c = (c << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
  }
  pos += length;
  return c;
}

char32_t previous_char(std::string_view text, size_t& end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  size_t pos = start;
  char32_t c = next_char(text, pos);
  end = start;
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    // Skip ASCII eight bytes at a time: most input is mostly ASCII.
    while (pos + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + pos, 8);
      if (word & 0x8080808080808080ULL) break;
      pos += 8;
    }
    if (pos >= text.size()) break;
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    bool incomplete;
    int length = scan_sequence(text, pos, incomplete);
    if (length < 0) return false;
    pos += length;
  }
  return true;
}

size_t append_lossy_utf8(std::string_view text, std::string& out, bool hold_incomplete_tail) {
  out.reserve(out.size() + text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    bool incomplete;
    int length = scan_sequence(text, pos, incomplete);
    if (length > 0) {
      out.append(text.substr(pos, length));
      pos += length;
      continue;
    }
    if (incomplete && hold_incomplete_tail) return pos;
    out.append(kReplacementCharacter);
    pos += -length;
  }
  return pos;
}

bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  if (c == 0x85) return true;
  auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
         category == UTF8PROC_CATEGORY_ZP;
}

bool is_word_char(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
  }
  if (c == 0x200C || c == 0x200D) return true;  // joiners count as word characters in \w
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_ND || category == UTF8PROC_CATEGORY_NL ||
         category == UTF8PROC_CATEGORY_NO;
}

std::string normalize_unicode(std::string_view text, NormalForm form) {
  bool ascii = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return std::string(text);  // ASCII is invariant under every normal form
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::kNfc: options |= UTF8PROC_COMPOSE; break;
    case NormalForm::kNfd: options |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::kNfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::kNfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* result = nullptr;
  utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &result,
                   static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(result, &std::free);
  if (length < 0) {
    throw TokenizerError(std::string("[tokenizer] unicode normalization failed: ") +
                         utf8proc_errmsg(length));
  }
  return std::string(reinterpret_cast<const char*>(result), static_cast<size_t>(length));
}

namespace {
// GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves,
// the other 68 bytes map in order to U+0100 and up.
std::array<char32_t, 256> make_byte_level_chars() {
  std::array<char32_t, 256> chars{};
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    chars[b] = printable ? static_cast<char32_t>(b) : next++;
  }
  return chars;
}
const std::array<char32_t, 256> kByteLevelChars = make_byte_level_chars();
}  // namespace

const std::array<std::string, 256>& byte_level_encoding() {
  static const std::array<std::string, 256> encoding = [] {
    std::array<std::string, 256> table;
    for (int b = 0; b < 256; ++b) append_utf8(table[b], kByteLevelChars[b]);
    return table;
  }();
  return encoding;
}

int byte_level_byte(char32_t c) {
  static const std::array<int16_t, 324> decoding = [] {
    std::array<int16_t, 324> table;
    table.fill(-1);
    for (int b = 0; b < 256; ++b) table[kByteLevelChars[b]] = static_cast<int16_t>(b);
    return table;
  }();
  return c < decoding.size() ? decoding[c] : -1;
}

}  // namespace ember::lm::detail
