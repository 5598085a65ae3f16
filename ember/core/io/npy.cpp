// .npy: load (mmap, lazy) and save.
// Format (numpy.lib.format): "\x93NUMPY", major, minor, a little-endian header length
// (2 bytes in version 1, 4 in versions 2 and 3), then a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and a
// newline, then the data. The dict is parsed by a small strict scanner (no eval): exactly
// those three keys, string/bool/tuple values.
#include "ember/core/io/npy.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>

#include "ember/core/dtype.h"
#include "ember/core/errors.h"
#include "ember/core/io.h"
#include "ember/core/io/common.h"
#include "ember/core/ops/shape.h"

namespace ember::io::detail {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// Scans the header dict; `fail` throws with a message.
class HeaderScanner {
 public:
  HeaderScanner(std::string_view text, const std::function<void(const std::string&)>& fail)
      : text_(text), fail_(fail) {}

  NpyHeader parse() {
    NpyHeader header;
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (seen_descr) fail_("duplicate key 'descr'");
        if (peek() != '\'' && peek() != '"') {
          fail_("'descr' is not a string (structured dtypes are not supported)");
        }
        header.descr = parse_string();
        seen_descr = true;
      } else if (key == "fortran_order") {
        if (seen_fortran) fail_("duplicate key 'fortran_order'");
        header.fortran_order = parse_bool();
        seen_fortran = true;
      } else if (key == "shape") {
        if (seen_shape) fail_("duplicate key 'shape'");
        header.shape = parse_tuple();
        seen_shape = true;
      } else {
        fail_(ember::detail::concat("unexpected key '", key, "' in the header"));
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail_("expected ',' or '}' in the header");
    }
    ++pos_;  // '}'
    for (; pos_ < text_.size(); ++pos_) {
      if (!std::isspace(static_cast<unsigned char>(text_[pos_])) && text_[pos_] != '\0') {
        fail_("unexpected characters after the header dict");
      }
    }
    if (!seen_descr || !seen_fortran || !seen_shape) {
      fail_("the header lacks one of 'descr', 'fortran_order', 'shape'");
    }
    return header;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail_(ember::detail::concat("expected '", c, "' in the header"));
    ++pos_;
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail_("expected a quoted string in the header");
    ++pos_;
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') fail_("escapes in header strings are not supported");
      ++pos_;
    }
    if (pos_ >= text_.size()) fail_("unterminated string in the header");
    return std::string(text_.substr(start, pos_++ - start));
  }
  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail_("'fortran_order' is not True or False");
    return false;
  }
  std::vector<int64_t> parse_tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) {
        fail_("shape entries must be non-negative integers");
      }
      int64_t value = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        value = value * 10 + (peek() - '0');
        if (value > std::numeric_limits<int32_t>::max()) {
          fail_("a shape entry does not fit in int32");
        }
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long suffix
      dims.push_back(value);
      if (dims.size() > 64) fail_("the shape has more than 64 dimensions");
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail_("expected ',' or ')' in the shape");
    }
    ++pos_;
    return dims;
  }

  std::string_view text_;
  size_t pos_ = 0;
  const std::function<void(const std::string&)>& fail_;
};

// Dtype and byte swap of a descr such as '<f4', '|b1', '>i8', '<V2' (bfloat16, as MLX).
struct DescrInfo {
  Dtype dtype;
  bool swap;
};

std::optional<DescrInfo> parse_descr(const std::string& descr) {
  std::string_view d = descr;
  char order = '=';
  if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
    order = d[0];
    d.remove_prefix(1);
  }
  std::optional<Dtype> dtype;
  if (d == "b1" || d == "?")
    dtype = bool_;
  else if (d == "u1" || d == "B")
    dtype = uint8;
  else if (d == "u2")
    dtype = uint16;
  else if (d == "u4")
    dtype = uint32;
  else if (d == "u8")
    dtype = uint64;
  else if (d == "i1" || d == "b")
    dtype = int8;
  else if (d == "i2")
    dtype = int16;
  else if (d == "i4")
    dtype = int32;
  else if (d == "i8")
    dtype = int64;
  else if (d == "f2")
    dtype = float16;
  else if (d == "f4")
    dtype = float32;
  else if (d == "f8")
    dtype = float64;
  else if (d == "c8")
    dtype = complex64;
  else if (d == "V2")
    dtype = bfloat16;
  if (!dtype) return std::nullopt;
  // x86-64 and aarch64 Linux are little-endian: only '>' needs a swap.
  return DescrInfo{*dtype, order == '>' && size_of(*dtype) > 1};
}

}  // namespace

array parse_npy_region(const std::shared_ptr<const ByteSource>& source, size_t begin, size_t length,
                       const std::string& label, const char* op, Stream stream) {
  auto fail = [&](const std::string& what) {
    throw IOError(ember::detail::concat("[", op, "] ", label, ": ", what));
  };
  const std::function<void(const std::string&)> fail_fn = fail;
  const uint8_t* p = source->data() + begin;
  if (length < kMagicSize + 4) fail("truncated: too short for the .npy preamble");
  if (std::memcmp(p, kMagic, kMagicSize) != 0) fail("not a .npy file (bad magic)");
  const uint8_t major = p[6];
  if (major < 1 || major > 3) {
    fail(ember::detail::concat("unsupported .npy version ", int(major), ".", int(p[7])));
  }
  size_t preamble = major == 1 ? 10 : 12;
  if (length < preamble) fail("truncated: too short for the .npy preamble");
  const size_t header_length = major == 1 ? read_u16(p + 8) : read_u32(p + 8);
  if (header_length > length - preamble) {
    fail(ember::detail::concat("truncated: the header needs ", header_length, " bytes but ",
                               length - preamble, " follow"));
  }
  const std::string_view text(reinterpret_cast<const char*>(p + preamble), header_length);
  const NpyHeader header = HeaderScanner(text, fail_fn).parse();
  const auto info = parse_descr(header.descr);
  if (!info) fail(ember::detail::concat("unsupported dtype '", header.descr, "'"));

  const size_t data_offset = preamble + header_length;
  const size_t available = length - data_offset;
  const size_t itemsize = size_of(info->dtype);
  const auto numel = checked_numel(header.shape, std::numeric_limits<uint64_t>::max() / itemsize);
  if (!numel) fail("the shape's element count overflows");
  if (*numel * itemsize != available) {
    fail(ember::detail::concat("shape ",
                               shape_to_string(Shape(header.shape.begin(), header.shape.end())),
                               " of ", header.descr, " needs ", *numel * itemsize,
                               " bytes of data but ", available, " follow the header"));
  }
  Shape shape(header.shape.begin(), header.shape.end());
  if (header.fortran_order) std::reverse(shape.begin(), shape.end());
  array a = make_loaded_array(source, begin + data_offset, available, shape, info->dtype,
                              info->swap, stream);
  if (header.fortran_order && shape.size() > 1) a = transpose(a, stream);
  return a;
}

array parse_npy(std::shared_ptr<const ByteSource> source, StreamOrDevice s) {
  return parse_npy_region(source, 0, source->size(), "'" + source->label() + "'", "load",
                          load_stream(s));
}

std::string npy_header(const array& a) {
  std::ostringstream dict;
  const Dtype t = a.dtype();
  std::string descr;
  if (t == bfloat16) {
    descr = "<V2";
  } else {
    const char kind = t == bool_             ? 'b'
                      : is_complex(t)        ? 'c'
                      : is_floating_point(t) ? 'f'
                      : is_unsigned(t)       ? 'u'
                                             : 'i';
    descr = ember::detail::concat(size_of(t) == 1 ? '|' : '<', kind, int(size_of(t)));
  }
  dict << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape().size(); ++i) {
    dict << a.shape()[i] << (a.shape().size() == 1 ? "," : i + 1 < a.shape().size() ? ", " : "");
  }
  dict << "), }";
  std::string text = dict.str();
  // Pad (with spaces, then '\n') so the data starts on a 64-byte boundary, as NumPy does.
  const bool v1 = text.size() + 1 + 10 + 63 <= std::numeric_limits<uint16_t>::max();
  const size_t preamble = v1 ? 10 : 12;
  const size_t total = preamble + text.size() + 1;
  text.append((64 - total % 64) % 64, ' ');
  text.push_back('\n');
  std::string out(kMagic, kMagicSize);
  out.push_back(static_cast<char>(v1 ? 1 : 2));
  out.push_back(0);
  const size_t n = text.size();
  for (size_t i = 0; i < (v1 ? 2u : 4u); ++i)
    out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + text;
}

}  // namespace ember::io::detail

namespace ember {

array load(const std::string& file, StreamOrDevice s) {
  return io::detail::parse_npy(io::detail::map_file(file, "load"), s);
}

array load(std::istream& in, StreamOrDevice s) {
  return io::detail::parse_npy(io::detail::read_stream(in, "load"), s);
}

namespace {
void write_npy(std::ostream& out, const std::string& label, const array& a) {
  const array c = io::detail::contiguous_for_write(a);
  const std::string header = io::detail::npy_header(c);
  io::detail::write_bytes(out, header.data(), header.size(), "save", label);
  io::detail::write_bytes(out, c.raw_data(), c.nbytes(), "save", label);
}
}  // namespace

void save(std::string file, array a) {
  if (file.size() < 4 || file.compare(file.size() - 4, 4, ".npy") != 0) file += ".npy";
  auto out = io::detail::open_for_write(file, "save");
  write_npy(out, file, a);
  io::detail::finish_write(out, "save", file);
}

void save(std::ostream& out, array a) {
  write_npy(out, "<stream>", a);
  out.flush();
  EMBER_CHECK(out.good(), IOError, "[save] writing to the stream failed");
}

}  // namespace ember
