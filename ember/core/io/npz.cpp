// .npz: a zip archive of .npy entries (numpy.savez). Load reads the central directory
// (with zip64 extensions) of the mapped file and parses each stored entry in place, lazily;
// deflated entries (numpy.savez_compressed) are reported as NotImplementedError. Save writes
// stored entries with CRC-32, and zip64 records where sizes or offsets need them.
// Reference: PKWARE APPNOTE.TXT 6.3 (sections 4.3 and 4.5).
#include <algorithm>
#include <array>
#include <limits>
#include <set>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/io.h"
#include "ember/core/io/common.h"
#include "ember/core/io/npy.h"
#include "ember/core/ops/shape.h"

namespace ember {

namespace {

using io::detail::ByteSource;
using io::detail::read_u16;
using io::detail::read_u32;
using io::detail::read_u64;

constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr uint32_t kMax32 = 0xffffffffu;
constexpr uint16_t kMax16 = 0xffffu;

[[noreturn]] void bad_zip(const ByteSource& source, const std::string& what) {
  throw IOError(detail::concat("[load_npz] '", source.label(), "': ", what));
}

// Whether [offset, offset + size) lies inside the source.
bool inside(const ByteSource& source, uint64_t offset, uint64_t size) {
  return offset <= source.size() && size <= source.size() - offset;
}

struct ZipDirectory {
  uint64_t entries;
  uint64_t offset;
  uint64_t size;
};

ZipDirectory find_directory(const ByteSource& source) {
  const uint8_t* data = source.data();
  const size_t size = source.size();
  if (size < kEndSize) bad_zip(source, "truncated: too short for a zip archive");
  // The end record sits at the end, followed by a comment of at most 65535 bytes.
  size_t end = std::numeric_limits<size_t>::max();
  const size_t lowest = size > kEndSize + kMax16 ? size - kEndSize - kMax16 : 0;
  for (size_t pos = size - kEndSize + 1; pos-- > lowest;) {
    if (read_u32(data + pos) == kEndSignature &&
        pos + kEndSize + read_u16(data + pos + 20) == size) {
      end = pos;
      break;
    }
  }
  if (end == std::numeric_limits<size_t>::max()) {
    bad_zip(source, "not a zip archive (no end of central directory record)");
  }
  const uint8_t* e = data + end;
  if (read_u16(e + 4) != 0 || read_u16(e + 6) != 0) {
    bad_zip(source, "multi-disk zip archives are not supported");
  }
  ZipDirectory dir{read_u16(e + 10), read_u32(e + 16), read_u32(e + 12)};
  if (dir.entries == kMax16 || dir.offset == kMax32 || dir.size == kMax32) {
    // zip64: a locator just before the end record points at the zip64 end record.
    if (end < 20 || read_u32(data + end - 20) != kZip64LocatorSignature) {
      bad_zip(source, "zip64 archive without a zip64 end of central directory locator");
    }
    const uint64_t record = read_u64(data + end - 20 + 8);
    if (!inside(source, record, 56) || read_u32(data + record) != kZip64EndSignature) {
      bad_zip(source, "bad zip64 end of central directory record");
    }
    const uint8_t* z = data + record;
    dir = {read_u64(z + 32), read_u64(z + 48), read_u64(z + 40)};
  }
  if (!inside(source, dir.offset, dir.size)) {
    bad_zip(source, "the central directory lies outside the file");
  }
  return dir;
}

struct ZipEntry {
  std::string name;
  uint16_t flags;
  uint16_t method;
  uint64_t compressed_size;
  uint64_t size;
  uint64_t local_offset;
};

// Replaces 0xffffffff fields with the values of the zip64 extra field (id 1), in order.
void apply_zip64_extra(const ByteSource& source, const std::string& name, const uint8_t* extra,
                       size_t extra_length, ZipEntry& entry, bool has_offset) {
  std::array<uint64_t*, 3> fields{&entry.size, &entry.compressed_size, &entry.local_offset};
  const size_t used = has_offset ? 3 : 2;
  size_t pos = 0;
  while (pos + 4 <= extra_length) {
    const uint16_t id = read_u16(extra + pos);
    const uint16_t length = read_u16(extra + pos + 2);
    if (length > extra_length - pos - 4) bad_zip(source, "entry '" + name + "': bad extra field");
    if (id == 1) {
      size_t at = pos + 4;
      for (size_t i = 0; i < used; ++i) {
        if (*fields[i] != kMax32) continue;
        if (at + 8 > pos + 4 + length) {
          bad_zip(source, "entry '" + name + "': truncated zip64 extra field");
        }
        *fields[i] = read_u64(extra + at);
        at += 8;
      }
      return;
    }
    pos += 4 + length;
  }
}

std::vector<ZipEntry> read_directory(const ByteSource& source, const ZipDirectory& dir) {
  std::vector<ZipEntry> entries;
  const uint8_t* data = source.data();
  uint64_t pos = dir.offset;
  const uint64_t end = dir.offset + dir.size;
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (pos + kCentralSize > end || read_u32(data + pos) != kCentralSignature) {
      bad_zip(source, "truncated or corrupt central directory");
    }
    const uint8_t* c = data + pos;
    const uint16_t name_length = read_u16(c + 28);
    const uint16_t extra_length = read_u16(c + 30);
    const uint16_t comment_length = read_u16(c + 32);
    if (pos + kCentralSize + name_length + extra_length + comment_length > end) {
      bad_zip(source, "truncated central directory entry");
    }
    ZipEntry entry{std::string(reinterpret_cast<const char*>(c + kCentralSize), name_length),
                   read_u16(c + 8),
                   read_u16(c + 10),
                   read_u32(c + 20),
                   read_u32(c + 24),
                   read_u32(c + 42)};
    apply_zip64_extra(source, entry.name, c + kCentralSize + name_length, extra_length, entry,
                      true);
    entries.push_back(std::move(entry));
    pos += kCentralSize + name_length + extra_length + comment_length;
  }
  return entries;
}

}  // namespace

namespace io::detail {

std::unordered_map<std::string, array> parse_npz(std::shared_ptr<const ByteSource> source,
                                                 StreamOrDevice s) {
  const Stream stream = load_stream(s);
  const ZipDirectory dir = find_directory(*source);
  std::unordered_map<std::string, array> arrays;
  for (const ZipEntry& entry : read_directory(*source, dir)) {
    if (!entry.name.empty() && entry.name.back() == '/') continue;  // a directory
    const std::string where =
        ember::detail::concat("'", source->label(), "' entry '", entry.name, "'");
    EMBER_CHECK((entry.flags & 1) == 0, NotImplementedError, "[load_npz] ", where,
                " is encrypted; encrypted archives are not supported");
    EMBER_CHECK(entry.method != 8, NotImplementedError, "[load_npz] ", where,
                " is deflate-compressed (numpy.savez_compressed); only stored entries "
                "(numpy.savez) can be loaded");
    EMBER_CHECK(entry.method == 0, NotImplementedError, "[load_npz] ", where,
                " uses compression method ", entry.method, "; only stored entries are supported");
    EMBER_CHECK(entry.compressed_size == entry.size, IOError, "[load_npz] ", where,
                ": a stored entry's compressed and uncompressed sizes differ");
    const std::string suffix = ".npy";
    EMBER_CHECK(entry.name.size() > suffix.size() &&
                    entry.name.compare(entry.name.size() - 4, 4, suffix) == 0,
                IOError, "[load_npz] ", where, " is not a .npy file");
    const uint64_t local = entry.local_offset;
    EMBER_CHECK(
        inside(*source, local, kLocalSize) && read_u32(source->data() + local) == kLocalSignature,
        IOError, "[load_npz] ", where, ": bad local header offset");
    const uint64_t data_offset = local + kLocalSize + read_u16(source->data() + local + 26) +
                                 read_u16(source->data() + local + 28);
    EMBER_CHECK(inside(*source, data_offset, entry.size), IOError, "[load_npz] ", where, ": its ",
                entry.size, " bytes lie outside the file");
    std::string key = entry.name.substr(0, entry.name.size() - 4);
    EMBER_CHECK(arrays.count(key) == 0, IOError, "[load_npz] '", source->label(),
                "' holds two entries named '", entry.name, "'");
    arrays.emplace(std::move(key),
                   parse_npy_region(source, data_offset, entry.size, where, "load_npz", stream));
  }
  return arrays;
}

}  // namespace io::detail

std::unordered_map<std::string, array> load_npz(const std::string& file, StreamOrDevice s) {
  return io::detail::parse_npz(io::detail::map_file(file, "load_npz"), s);
}

// ---- writing ----

namespace {

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

class ZipWriter {
 public:
  ZipWriter(std::ostream& out, std::string label) : out_(out), label_(std::move(label)) {}

  void add(const std::string& name, const std::string& header, const array& data) {
    const auto* bytes = static_cast<const uint8_t*>(data.raw_data());
    uint32_t crc = crc32_update(0, reinterpret_cast<const uint8_t*>(header.data()), header.size());
    crc = crc32_update(crc, bytes, data.nbytes());
    const uint64_t size = header.size() + data.nbytes();
    const bool big = size >= kMax32;
    std::string local;
    put32(local, kLocalSignature);
    put16(local, big ? 45 : 20);  // version needed: 4.5 for zip64
    put16(local, 0);              // flags
    put16(local, 0);              // stored
    put16(local, 0);              // time 00:00
    put16(local, 0x21);           // date 1980-01-01
    put32(local, crc);
    put32(local, big ? kMax32 : static_cast<uint32_t>(size));
    put32(local, big ? kMax32 : static_cast<uint32_t>(size));
    put16(local, static_cast<uint16_t>(name.size()));
    put16(local, big ? 20 : 0);
    local += name;
    if (big) {
      put16(local, 1);
      put16(local, 16);
      put64(local, size);
      put64(local, size);
    }
    entries_.push_back({name, crc, size, offset_});
    write(local.data(), local.size());
    write(header.data(), header.size());
    write(bytes, data.nbytes());
  }

  void finish() {
    const uint64_t directory_offset = offset_;
    for (const auto& e : entries_) {
      std::string extra;
      if (e.size >= kMax32) {
        put64(extra, e.size);
        put64(extra, e.size);
      }
      if (e.offset >= kMax32) put64(extra, e.offset);
      std::string c;
      put32(c, kCentralSignature);
      put16(c, 45);  // made by: 4.5
      put16(c, extra.empty() ? 20 : 45);
      put16(c, 0);
      put16(c, 0);
      put16(c, 0);
      put16(c, 0x21);
      put32(c, e.crc);
      put32(c, e.size >= kMax32 ? kMax32 : static_cast<uint32_t>(e.size));
      put32(c, e.size >= kMax32 ? kMax32 : static_cast<uint32_t>(e.size));
      put16(c, static_cast<uint16_t>(e.name.size()));
      put16(c, extra.empty() ? 0 : static_cast<uint16_t>(extra.size() + 4));
      put16(c, 0);  // comment
      put16(c, 0);  // disk
      put16(c, 0);  // internal attributes
      put32(c, 0);  // external attributes
      put32(c, e.offset >= kMax32 ? kMax32 : static_cast<uint32_t>(e.offset));
      c += e.name;
      if (!extra.empty()) {
        put16(c, 1);
        put16(c, static_cast<uint16_t>(extra.size()));
        c += extra;
      }
      write(c.data(), c.size());
    }
    const uint64_t directory_size = offset_ - directory_offset;
    const uint64_t count = entries_.size();
    const bool zip64 = count >= kMax16 || directory_offset >= kMax32 || directory_size >= kMax32;
    std::string end;
    if (zip64) {
      const uint64_t record = offset_;
      put32(end, kZip64EndSignature);
      put64(end, 44);
      put16(end, 45);
      put16(end, 45);
      put32(end, 0);
      put32(end, 0);
      put64(end, count);
      put64(end, count);
      put64(end, directory_size);
      put64(end, directory_offset);
      put32(end, kZip64LocatorSignature);
      put32(end, 0);
      put64(end, record);
      put32(end, 1);
    }
    put32(end, kEndSignature);
    put16(end, 0);
    put16(end, 0);
    put16(end, zip64 ? kMax16 : static_cast<uint16_t>(count));
    put16(end, zip64 ? kMax16 : static_cast<uint16_t>(count));
    put32(end, zip64 ? kMax32 : static_cast<uint32_t>(directory_size));
    put32(end, zip64 ? kMax32 : static_cast<uint32_t>(directory_offset));
    put16(end, 0);
    write(end.data(), end.size());
  }

 private:
  struct Entry {
    std::string name;
    uint32_t crc;
    uint64_t size;
    uint64_t offset;
  };
  static void put16(std::string& s, uint16_t v) {
    for (int i = 0; i < 2; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  }
  static void put32(std::string& s, uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  }
  static void put64(std::string& s, uint64_t v) {
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  }
  void write(const void* data, size_t size) {
    io::detail::write_bytes(out_, data, size, "savez", label_);
    offset_ += size;
  }

  std::ostream& out_;
  std::string label_;
  std::vector<Entry> entries_;
  uint64_t offset_ = 0;
};

}  // namespace

void savez(std::string file, std::unordered_map<std::string, array> arrays) {
  if (file.size() < 4 || file.compare(file.size() - 4, 4, ".npz") != 0) file += ".npz";
  std::vector<std::string> names;
  std::vector<array> to_eval;
  for (auto& [name, a] : arrays) {
    EMBER_CHECK(!name.empty() && name.size() + 4 <= kMax16, ValueError,
                "[savez] array names must be non-empty and shorter than 65532 bytes");
    a = contiguous(a);
    to_eval.push_back(a);
    names.push_back(name);
  }
  eval(std::move(to_eval));
  std::sort(names.begin(), names.end());
  auto out = io::detail::open_for_write(file, "savez");
  ZipWriter zip(out, file);
  for (const auto& name : names) {
    const array& a = arrays.at(name);
    zip.add(name + ".npy", io::detail::npy_header(a), a);
  }
  zip.finish();
  io::detail::finish_write(out, "savez", file);
}

}  // namespace ember
