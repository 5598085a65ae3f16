// Internal helpers shared by the io readers and writers (safetensors, npy, npz).
//
// Note [Lazy loading]
// A tensor whose bytes can be used as they lie in the file (native byte order, aligned,
// not bool) is an array wrapping the mapped bytes: nothing is read until a kernel touches
// them, and then only those pages. Others become a Load node whose input wraps the raw
// bytes, so the conversion also happens only when the array is evaluated. Either way the
// array's deleter holds the ByteSource, so the mapping lives while any array does.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ember/core/array.h"
#include "ember/core/io.h"
#include "ember/core/primitive.h"

namespace ember::io::detail {

/// Converts raw file bytes into `out`'s dtype: swaps the bytes of each element (of each
/// float of a complex) when asked, maps bool bytes to 0/1, and copies into aligned storage.
class Load : public UnaryPrimitive {
 public:
  Load(Stream stream, bool swap_bytes) : UnaryPrimitive(stream), swap_bytes_(swap_bytes) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Load"; }
  bool swap_bytes() const { return swap_bytes_; }

 private:
  bool swap_bytes_;
};

/// The stream loaded arrays use: `s` when it is a CPU stream, else this thread's CPU stream
/// (file bytes live in host memory; moving them to a GPU is a later op's job).
Stream load_stream(StreamOrDevice s);

/// An array of `shape` and `dtype` over `nbytes` bytes at `offset` of `source` (which the
/// caller has checked lie inside it). See Note [Lazy loading].
array make_loaded_array(const std::shared_ptr<const ByteSource>& source, size_t offset,
                        size_t nbytes, const Shape& shape, Dtype dtype, bool swap_bytes,
                        Stream stream);

/// Number of elements of `dims`, or nullopt if a dimension is negative, exceeds int32 or
/// the product overflows `limit`.
std::optional<uint64_t> checked_numel(const std::vector<int64_t>& dims, uint64_t limit);

/// Little-endian integer reads from a byte pointer (no alignment needed).
uint16_t read_u16(const uint8_t* p);
uint32_t read_u32(const uint8_t* p);
uint64_t read_u64(const uint8_t* p);

/// Opens `path` for binary writing; throws IOError naming `op` and the file on failure.
std::ofstream open_for_write(const std::string& path, const char* op);
/// Writes bytes to a stream, throwing IOError naming `op` and `label` on failure.
void write_bytes(std::ostream& out, const void* data, size_t size, const char* op,
                 const std::string& label);
/// Flushes and checks a finished file.
void finish_write(std::ofstream& out, const char* op, const std::string& path);
/// Reads a whole stream into memory.
std::shared_ptr<const ByteSource> read_stream(std::istream& in, const char* op);

/// `a` evaluated, row-contiguous and owning its bytes, ready to be written out.
array contiguous_for_write(const array& a);

}  // namespace ember::io::detail
