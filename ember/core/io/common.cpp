// Byte sources (read-only file mappings and owned buffers), the Load conversion kernel and
// the small helpers the io readers and writers share. See Note [Lazy loading] in common.h.
#include "ember/core/io/common.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <limits>
#include <sstream>

#include "ember/core/dtype.h"
#include "ember/core/errors.h"
#include "ember/core/ops/shape.h"
#include "ember/core/storage.h"

namespace ember::io::detail {

namespace {

class MappedFile final : public ByteSource {
 public:
  MappedFile(void* address, size_t size, std::string label)
      : ByteSource(static_cast<const uint8_t*>(address), size, std::move(label)),
        address_(address) {}
  ~MappedFile() override {
    if (address_ != nullptr) ::munmap(address_, size());
  }

 private:
  void* address_;
};

class OwnedBytes final : public ByteSource {
 public:
  OwnedBytes(std::unique_ptr<std::string> bytes, std::string label)
      : ByteSource(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size(),
                   std::move(label)),
        bytes_(std::move(bytes)) {}

 private:
  std::unique_ptr<std::string> bytes_;  // heap-held so data() never moves
};

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::shared_ptr<const ByteSource> map_file(const std::string& path, const char* op) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EMBER_CHECK(fd >= 0, IOError, "[", op, "] cannot open '", path, "': ", errno_text());
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    throw IOError(ember::detail::concat("[", op, "] cannot stat '", path, "': ", why));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    throw IOError(ember::detail::concat("[", op, "] '", path, "' is not a regular file"));
  }
  const size_t size = static_cast<size_t>(info.st_size);
  void* address = nullptr;
  if (size > 0) {
    address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
      const std::string why = errno_text();
      ::close(fd);
      throw IOError(ember::detail::concat("[", op, "] cannot map '", path, "': ", why));
    }
  }
  ::close(fd);  // the mapping keeps the file alive
  return std::make_shared<MappedFile>(address, size, path);
}

std::shared_ptr<const ByteSource> own_bytes(std::string bytes, std::string label) {
  return std::make_shared<OwnedBytes>(std::make_unique<std::string>(std::move(bytes)),
                                      std::move(label));
}

std::shared_ptr<const ByteSource> read_stream(std::istream& in, const char* op) {
  EMBER_CHECK(in.good(), IOError, "[", op, "] the input stream is not readable");
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EMBER_CHECK(!in.bad(), IOError, "[", op, "] reading the input stream failed");
  return own_bytes(std::move(bytes), "<stream>");
}

// ---- the Load kernel ----

void Load::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& raw = inputs[0];
  EMBER_INTERNAL_ASSERT(raw.dtype() == uint8 && raw.size() == out.nbytes(),
                        "Load input does not hold the output's bytes");
  out.set_data(ember::detail::Storage::allocate(out.nbytes(), Device(Device::cpu)));
  const auto* src = static_cast<const uint8_t*>(raw.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  const size_t nbytes = out.nbytes();
  if (nbytes == 0) return;
  if (out.dtype() == bool_) {
    for (size_t i = 0; i < nbytes; ++i) dst[i] = src[i] != 0 ? 1 : 0;
    return;
  }
  std::memcpy(dst, src, nbytes);
  if (!swap_bytes_) return;
  // A complex64 is two float32s, each swapped on its own.
  const size_t word = out.dtype() == complex64 ? 4 : out.itemsize();
  if (word == 1) return;
  for (size_t i = 0; i < nbytes; i += word) std::reverse(dst + i, dst + i + word);
}

void Load::eval_gpu(const std::vector<array>&, array&) {
  throw NotImplementedError("[Load] loading runs on the CPU; move the array to the GPU after");
}

Stream load_stream(StreamOrDevice s) {
  Stream stream = to_stream(s);
  if (stream.device.type != Device::cpu) return default_stream(Device(Device::cpu));
  return stream;
}

array make_loaded_array(const std::shared_ptr<const ByteSource>& source, size_t offset,
                        size_t nbytes, const Shape& shape, Dtype dtype, bool swap_bytes,
                        Stream stream) {
  EMBER_INTERNAL_ASSERT(offset <= source->size() && nbytes <= source->size() - offset,
                        "tensor bytes outside the source");
  EMBER_INTERNAL_ASSERT(nbytes == shape_size(shape) * size_of(dtype), "tensor size mismatch");
  // The deleter holds the source: the mapping outlives every array over it.
  auto hold = [keep = source](void*) mutable { keep.reset(); };
  auto* address = const_cast<uint8_t*>(source->data() + offset);
  if (source->data() == nullptr) address = nullptr;  // empty file: nothing to point at
  const bool aligned = reinterpret_cast<uintptr_t>(address) % size_of(dtype) == 0;
  const bool needs_swap = swap_bytes && size_of(dtype) > 1;
  if (aligned && !needs_swap && dtype != bool_) {
    return array(address, shape, dtype, hold);
  }
  // The raw bytes as shape + (itemsize): every dimension fits int32, whatever the size.
  Shape raw_shape = shape;
  raw_shape.push_back(static_cast<int32_t>(size_of(dtype)));
  array raw(address, raw_shape, uint8, hold);
  return array(shape, dtype, std::make_shared<Load>(stream, needs_swap), {raw});
}

std::optional<uint64_t> checked_numel(const std::vector<int64_t>& dims, uint64_t limit) {
  uint64_t n = 1;
  bool zero = false;
  for (int64_t d : dims) {
    if (d < 0 || d > std::numeric_limits<int32_t>::max()) return std::nullopt;
    if (d == 0) zero = true;
  }
  if (zero) return 0;
  for (int64_t d : dims) {
    const uint64_t ud = static_cast<uint64_t>(d);
    if (n > limit / ud) return std::nullopt;
    n *= ud;
  }
  return n;
}

uint16_t read_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t read_u64(const uint8_t* p) {
  return static_cast<uint64_t>(read_u32(p)) | (static_cast<uint64_t>(read_u32(p + 4)) << 32);
}

// ---- writing ----

std::ofstream open_for_write(const std::string& path, const char* op) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  EMBER_CHECK(out.is_open(), IOError, "[", op, "] cannot open '", path,
              "' for writing: ", errno_text());
  return out;
}

void write_bytes(std::ostream& out, const void* data, size_t size, const char* op,
                 const std::string& label) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {  // write() takes a signed count: go in chunks
    const size_t chunk = std::min<size_t>(size, size_t{1} << 30);
    out.write(p, static_cast<std::streamsize>(chunk));
    EMBER_CHECK(out.good(), IOError, "[", op, "] writing to '", label, "' failed");
    p += chunk;
    size -= chunk;
  }
}

void finish_write(std::ofstream& out, const char* op, const std::string& path) {
  out.flush();
  EMBER_CHECK(out.good(), IOError, "[", op, "] writing to '", path, "' failed");
  out.close();
  EMBER_CHECK(!out.fail(), IOError, "[", op, "] closing '", path, "' failed");
}

array contiguous_for_write(const array& a) {
  array c = contiguous(a);
  c.eval();
  return c;
}

}  // namespace ember::io::detail
