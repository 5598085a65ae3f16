// Reading and writing arrays: safetensors, .npy and .npz, as in MLX (mlx/io.h).
//
//   auto [weights, metadata] = load_safetensors("model.safetensors");  // mmap, lazy
//   array w = weights.at("lm_head.weight");   // its pages are read when w is first used
//   save_safetensors("out.safetensors", {{"w", w}}, {{"format", "mlx"}});
//   save("x.npy", arange(6.0));  array x = load("x.npy");
//
// Files are memory-mapped read-only. A loaded array that needs no conversion wraps the
// mapped bytes directly (no copy: only the pages of the tensors used are ever read); one
// that does (byte order, bool normalisation, misalignment) is a lazy Load node over them.
// The mapping lives while any array made from it does. Every malformed file is rejected
// with an IOError naming the file (and the tensor or entry); no read leaves the file.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <unordered_map>
#include <utility>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

/// The arrays and the string metadata ("__metadata__") of a safetensors file.
using SafetensorsLoad =
    std::pair<std::unordered_map<std::string, array>, std::unordered_map<std::string, std::string>>;

/// Loads a safetensors file lazily (mmap). Throws IOError for a missing or malformed file.
SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice s = {});
/// Reads a whole safetensors stream into memory and loads from it.
SafetensorsLoad load_safetensors(std::istream& in, StreamOrDevice s = {});

/// Saves arrays (evaluated first, written row-contiguous) and string metadata. As in MLX,
/// ".safetensors" is appended to `file` when missing.
void save_safetensors(std::string file, std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata = {});
void save_safetensors(std::ostream& out, std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata = {});

/// Loads a .npy file lazily (mmap): versions 1-3, C or Fortran order, any byte order.
array load(const std::string& file, StreamOrDevice s = {});
array load(std::istream& in, StreamOrDevice s = {});

/// Saves `a` as a version 1 .npy file (version 2 if the header needs it). As in MLX,
/// ".npy" is appended to `file` when missing. bfloat16 is written as '<V2' (as MLX does:
/// NumPy has no bfloat16); ember reads such files back as bfloat16.
void save(std::string file, array a);
void save(std::ostream& out, array a);

/// Loads every array of a .npz archive (numpy.savez), lazily. Stored entries only: a
/// deflate-compressed entry (numpy.savez_compressed) throws NotImplementedError.
std::unordered_map<std::string, array> load_npz(const std::string& file, StreamOrDevice s = {});
/// Saves arrays as an uncompressed .npz archive, entry "<name>.npy" per array, as
/// numpy.savez and mx.savez. ".npz" is appended to `file` when missing.
void savez(std::string file, std::unordered_map<std::string, array> arrays);

namespace io::detail {

/// Read-only bytes that loaded arrays point into: a file mapping or an owned buffer.
/// Arrays hold a shared reference, so the bytes outlive every array made from them.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  /// The file name (or "<stream>", "<memory>") used in error messages.
  const std::string& label() const { return label_; }

 protected:
  ByteSource(const uint8_t* data, size_t size, std::string label)
      : data_(data), size_(size), label_(std::move(label)) {}

 private:
  const uint8_t* data_;
  size_t size_;
  std::string label_;
};

/// Maps `path` read-only; throws IOError naming `op` and the file if it cannot.
std::shared_ptr<const ByteSource> map_file(const std::string& path, const char* op);
/// Takes ownership of `bytes`.
std::shared_ptr<const ByteSource> own_bytes(std::string bytes, std::string label);

/// Parsers over bytes already in memory (the fuzz targets call these).
SafetensorsLoad parse_safetensors(std::shared_ptr<const ByteSource> source, StreamOrDevice s = {});
array parse_npy(std::shared_ptr<const ByteSource> source, StreamOrDevice s = {});
std::unordered_map<std::string, array> parse_npz(std::shared_ptr<const ByteSource> source,
                                                 StreamOrDevice s = {});

}  // namespace io::detail

}  // namespace ember
