// Internal: the .npy reader and header writer, shared with the .npz code.
#pragma once

#include <memory>
#include <string>

#include "ember/core/array.h"
#include "ember/core/io.h"

namespace ember::io::detail {

/// Parses the .npy bytes [begin, begin + length) of `source` (checked to lie inside it).
/// Errors read "[op] label: ...".
array parse_npy_region(const std::shared_ptr<const ByteSource>& source, size_t begin, size_t length,
                       const std::string& label, const char* op, Stream stream);

/// The magic, version, header length and padded header dict for `a` (row-contiguous).
std::string npy_header(const array& a);

}  // namespace ember::io::detail
