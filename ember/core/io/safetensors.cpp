// safetensors: load (mmap, lazy) and save.
// Format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of a
// UTF-8 JSON object {name: {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {str: str}}, then the data section. Offsets are relative to the data
// section; the tensors must tile it exactly, without gaps or overlaps (as the reference
// implementation checks), and each must hold exactly numel * itemsize bytes.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "ember/core/dtype.h"
#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/io.h"
#include "ember/core/io/common.h"
#include "ember/core/ops/shape.h"

namespace ember {

namespace {

using json = nlohmann::json;
using io::detail::ByteSource;

// The reference implementation's limit on the JSON header.
constexpr uint64_t kMaxHeaderLength = 100'000'000;

struct SafetensorsDtype {
  const char* name;
  Dtype dtype;
};
constexpr SafetensorsDtype kDtypes[] = {
    {"BOOL", bool_},    {"U8", uint8},    {"U16", uint16},  {"U32", uint32},    {"U64", uint64},
    {"I8", int8},       {"I16", int16},   {"I32", int32},   {"I64", int64},     {"F16", float16},
    {"BF16", bfloat16}, {"F32", float32}, {"F64", float64}, {"C64", complex64},
};

std::optional<Dtype> dtype_from_name(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d.dtype;
  }
  return std::nullopt;
}

const char* dtype_to_name(Dtype dtype) {
  for (const auto& d : kDtypes) {
    if (d.dtype == dtype) return d.name;
  }
  throw TypeError(detail::concat("[save_safetensors] cannot save dtype ", dtype));
}

struct TensorEntry {
  std::string name;
  Dtype dtype;
  Shape shape;
  uint64_t begin;
  uint64_t end;
};

[[noreturn]] void bad_file(const ByteSource& source, const std::string& what) {
  throw IOError(detail::concat("[load_safetensors] '", source.label(), "': ", what));
}

[[noreturn]] void bad_tensor(const ByteSource& source, const std::string& name,
                             const std::string& what) {
  bad_file(source, detail::concat("tensor '", name, "': ", what));
}

TensorEntry parse_entry(const ByteSource& source, const std::string& name, const json& value,
                        uint64_t data_size) {
  if (!value.is_object()) bad_tensor(source, name, "its header entry is not a JSON object");
  const auto dtype_it = value.find("dtype");
  const auto shape_it = value.find("shape");
  const auto offsets_it = value.find("data_offsets");
  if (dtype_it == value.end() || !dtype_it->is_string()) {
    bad_tensor(source, name, "missing or non-string \"dtype\"");
  }
  if (shape_it == value.end() || !shape_it->is_array()) {
    bad_tensor(source, name, "missing or non-array \"shape\"");
  }
  if (offsets_it == value.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
    bad_tensor(source, name, "\"data_offsets\" must be an array [begin, end]");
  }
  const auto& dtype_name = dtype_it->get_ref<const std::string&>();
  const auto dtype = dtype_from_name(dtype_name);
  if (!dtype) bad_tensor(source, name, detail::concat("unsupported dtype '", dtype_name, "'"));

  std::vector<int64_t> dims;
  for (const auto& d : *shape_it) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > std::numeric_limits<int32_t>::max()) {
      bad_tensor(source, name,
                 detail::concat("shape entries must be integers in [0, 2^31): got ", d.dump()));
    }
    dims.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }
  for (const auto& o : *offsets_it) {
    if (!o.is_number_unsigned()) {
      bad_tensor(source, name,
                 detail::concat("data offsets must be non-negative integers: got ", o.dump()));
    }
  }
  const uint64_t begin = (*offsets_it)[0].get<uint64_t>();
  const uint64_t end = (*offsets_it)[1].get<uint64_t>();
  if (begin > end || end > data_size) {
    bad_tensor(source, name,
               detail::concat("data offsets [", begin, ", ", end,
                              ") do not lie in the data section of ", data_size, " bytes"));
  }
  const uint64_t itemsize = size_of(*dtype);
  const auto numel =
      io::detail::checked_numel(dims, std::numeric_limits<uint64_t>::max() / itemsize);
  if (!numel || *numel * itemsize != end - begin) {
    bad_tensor(source, name,
               detail::concat("shape ", shape_to_string(Shape(dims.begin(), dims.end())), " of ",
                              dtype_name, " does not match its ", end - begin, " bytes"));
  }
  return {name, *dtype, Shape(dims.begin(), dims.end()), begin, end};
}

void check_tiling(const ByteSource& source, std::vector<TensorEntry>& entries, uint64_t data_size) {
  std::vector<const TensorEntry*> order;
  for (const auto& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const TensorEntry* previous = nullptr;
  for (const TensorEntry* e : order) {
    if (e->begin != covered) {
      bad_tensor(source, e->name,
                 detail::concat("data offsets [", e->begin, ", ", e->end, ") ",
                                e->begin < covered ? "overlap" : "leave a gap after",
                                previous ? " tensor '" + previous->name + "'" : " the start",
                                " (which ends at ", covered, ")"));
    }
    covered = e->end;
    previous = e;
  }
  if (covered != data_size) {
    bad_file(source, detail::concat("the tensors cover ", covered, " bytes of a data section of ",
                                    data_size, " bytes"));
  }
}

json parse_header(const ByteSource& source, uint64_t header_length) {
  const auto* begin = source.data() + 8;
  const auto* end = begin + header_length;
  if (*begin != '{') bad_file(source, "the header does not start with '{'");
  json header;
  try {
    header = json::parse(begin, end);
  } catch (const json::exception& e) {
    bad_file(source, detail::concat("the header is not valid UTF-8 JSON: ", e.what()));
  }
  if (!header.is_object()) bad_file(source, "the header is not a JSON object");
  return header;
}

}  // namespace

namespace io::detail {

SafetensorsLoad parse_safetensors(std::shared_ptr<const ByteSource> source, StreamOrDevice s) {
  const Stream stream = load_stream(s);
  const uint64_t size = source->size();
  if (size < 8) {
    bad_file(*source, ember::detail::concat("truncated: ", size,
                                            " bytes, less than the 8-byte header length"));
  }
  const uint64_t header_length = read_u64(source->data());
  if (header_length == 0 || header_length > kMaxHeaderLength) {
    bad_file(*source, ember::detail::concat("header length ", header_length, " is not in [1, ",
                                            kMaxHeaderLength, "]"));
  }
  if (header_length > size - 8) {
    bad_file(*source, ember::detail::concat("truncated: the header needs ", header_length,
                                            " bytes but ", size - 8, " follow"));
  }
  const json header = parse_header(*source, header_length);
  const uint64_t data_start = 8 + header_length;
  const uint64_t data_size = size - data_start;

  std::unordered_map<std::string, std::string> metadata;
  std::vector<TensorEntry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) bad_file(*source, "\"__metadata__\" is not a JSON object");
      for (const auto& [meta_key, meta_value] : value.items()) {
        if (!meta_value.is_string()) {
          bad_file(*source, ember::detail::concat("metadata '", meta_key,
                                                  "' is not a string: ", meta_value.dump()));
        }
        metadata.emplace(meta_key, meta_value.get<std::string>());
      }
      continue;
    }
    entries.push_back(parse_entry(*source, key, value, data_size));
  }
  check_tiling(*source, entries, data_size);

  std::unordered_map<std::string, array> arrays;
  for (const auto& e : entries) {
    arrays.emplace(e.name, make_loaded_array(source, data_start + e.begin, e.end - e.begin, e.shape,
                                             e.dtype, /*swap_bytes=*/false, stream));
  }
  return {std::move(arrays), std::move(metadata)};
}

}  // namespace io::detail

SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice s) {
  return io::detail::parse_safetensors(io::detail::map_file(file, "load_safetensors"), s);
}

SafetensorsLoad load_safetensors(std::istream& in, StreamOrDevice s) {
  return io::detail::parse_safetensors(io::detail::read_stream(in, "load_safetensors"), s);
}

namespace {

void write_safetensors(std::ostream& out, const std::string& label,
                       std::unordered_map<std::string, array> arrays,
                       const std::unordered_map<std::string, std::string>& metadata) {
  constexpr const char* op = "save_safetensors";
  std::vector<std::string> names;
  std::vector<array> to_eval;
  for (auto& [name, a] : arrays) {
    EMBER_CHECK(name != "__metadata__", ValueError,
                "[save_safetensors] '__metadata__' is reserved and cannot name a tensor");
    (void)dtype_to_name(a.dtype());
    a = contiguous(a);
    names.push_back(name);
    to_eval.push_back(a);
  }
  eval(std::move(to_eval));
  // Largest itemsize first, then by name: with the header padded to 8 bytes, every tensor
  // starts aligned to its itemsize (as the reference writer does).
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    const size_t sa = arrays.at(a).itemsize(), sb = arrays.at(b).itemsize();
    return sa != sb ? sa > sb : a < b;
  });

  json header = json::object();
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const auto& name : names) {
    const array& a = arrays.at(name);
    header[name] = {{"dtype", dtype_to_name(a.dtype())},
                    {"shape", a.shape()},
                    {"data_offsets", {offset, offset + a.nbytes()}}};
    offset += a.nbytes();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    throw ValueError(detail::concat(
        "[save_safetensors] a tensor name or metadata string is not valid UTF-8: ", e.what()));
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(uint64_t(text.size()) >> (8 * i));
  io::detail::write_bytes(out, length, 8, op, label);
  io::detail::write_bytes(out, text.data(), text.size(), op, label);
  for (const auto& name : names) {
    const array& a = arrays.at(name);
    io::detail::write_bytes(out, a.raw_data(), a.nbytes(), op, label);
  }
}

}  // namespace

void save_safetensors(std::string file, std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata) {
  const std::string suffix = ".safetensors";
  if (file.size() < suffix.size() ||
      file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) {
    file += suffix;
  }
  auto out = io::detail::open_for_write(file, "save_safetensors");
  write_safetensors(out, file, std::move(arrays), metadata);
  io::detail::finish_write(out, "save_safetensors", file);
}

void save_safetensors(std::ostream& out, std::unordered_map<std::string, array> arrays,
                      std::unordered_map<std::string, std::string> metadata) {
  write_safetensors(out, "<stream>", std::move(arrays), metadata);
  out.flush();
  EMBER_CHECK(out.good(), IOError, "[save_safetensors] writing to the stream failed");
}

}  // namespace ember
