// io: safetensors, .npy and .npz. Files written by the reference writers (fixtures made by
// scripts/make_io_fixtures.py), round trips for every dtype and several shapes, lazy mmap
// loading (untouched tensors stay unread), and every malformed-input case the readers check.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ember/core/dispatch.h"
#include "ember/ember.h"

namespace {

using namespace ember;
namespace fs = std::filesystem;

const fs::path kFixtures = fs::path(EMBER_SOURCE_DIR) / "tests" / "core" / "fixtures" / "io";

const std::vector<Dtype> kAllDtypes = {bool_,    uint8,   uint16,  uint32,   uint64,
                                       int8,     int16,   int32,   int64,    float16,
                                       bfloat16, float32, float64, complex64};

// A fresh temporary directory per test.
class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("ember_io_test_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(path(name), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path(name);
  }
  fs::path dir_;
};

// The logical bytes of `a` (row-major).
std::string bytes_of(const array& a) {
  array c = contiguous(a);
  c.eval();
  return std::string(static_cast<const char*>(c.raw_data()), c.nbytes());
}

// Random values of `dtype` (never all zeros).
array random_array(const Shape& shape, Dtype dtype, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-100.0, 100.0);
  std::vector<double> values(shape_size(shape));
  for (auto& v : values) {
    v = dist(gen);
    if (is_unsigned(dtype)) v = std::fabs(v);
  }
  if (dtype == complex64) {
    std::vector<complex64_t> c(values.size());
    for (size_t i = 0; i < c.size(); ++i)
      c[i] = complex64_t(float(values[i]), float(-values[i] / 3));
    return array(c.begin(), shape, complex64);
  }
  return array(values.begin(), shape, dtype);
}

// The fixture formula (scripts/make_io_fixtures.py), as double (real part for complex).
double fixture_value(Dtype dtype, size_t i) {
  const double ints = double((7 * i + 3) % 100);
  if (dtype == bool_) return i % 3 == 0 ? 1.0 : 0.0;
  if (is_integral(dtype)) return ints;
  return ints / 4.0 - 10.0;
}

std::vector<double> values_of(const array& a) {
  array c = contiguous(a);
  c.eval();
  std::vector<double> out(c.size());
  dispatch_all_types(c.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = static_cast<const T*>(c.raw_data());
    for (size_t i = 0; i < out.size(); ++i) {
      if constexpr (std::is_same_v<T, complex64_t>) {
        out[i] = p[i].real();
        EXPECT_EQ(p[i].imag(), -p[i].real()) << "element " << i;
      } else if constexpr (HalfFloat<T>) {
        out[i] = static_cast<float>(p[i]);
      } else {
        out[i] = static_cast<double>(p[i]);
      }
    }
  });
  return out;
}

void expect_fixture_values(const array& a, Dtype dtype, const Shape& shape) {
  EXPECT_EQ(a.dtype(), dtype);
  EXPECT_EQ(a.shape(), shape);
  const auto v = values_of(a);
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], fixture_value(dtype, i)) << "at " << i;
}

// Expects `f` to throw E whose message contains every string in `parts`.
template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no error thrown; expected one mentioning " << parts.front();
  } catch (const E& e) {
    for (const auto& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message '" << e.what() << "' lacks '" << part << "'";
    }
  }
}

// ---- files from the reference writers ----

TEST(IoFixtures, SafetensorsFromReferenceWriter) {
  const std::string file = (kFixtures / "reference.safetensors").string();
  auto [arrays, metadata] = load_safetensors(file);
  EXPECT_EQ(metadata.size(), 2u);
  EXPECT_EQ(metadata.at("format"), "np");
  EXPECT_EQ(metadata.at("note"), "ember");
  for (Dtype t : kAllDtypes) {
    if (t == bfloat16) continue;
    SCOPED_TRACE(dtype_name(t));
    expect_fixture_values(arrays.at(std::string(dtype_name(t))), t, {2, 3});
  }
  expect_fixture_values(arrays.at("scalar"), float32, {});
  expect_fixture_values(arrays.at("empty"), float32, {0, 4});
  expect_fixture_values(arrays.at("vector"), int32, {5});
  expect_fixture_values(arrays.at("big"), float32, {64, 33});
  EXPECT_EQ(arrays.size(), 17u);

  auto bf16 = load_safetensors((kFixtures / "bf16.safetensors").string());
  expect_fixture_values(bf16.first.at("bf16"), bfloat16, {2, 3});
  EXPECT_EQ(bf16.second.at("format"), "pt");
}

TEST(IoFixtures, NpyFromNumpy) {
  for (Dtype t : kAllDtypes) {
    if (t == bfloat16) continue;
    SCOPED_TRACE(dtype_name(t));
    expect_fixture_values(load((kFixtures / (std::string(dtype_name(t)) + ".npy")).string()), t,
                          {2, 3});
  }
  expect_fixture_values(load((kFixtures / "scalar.npy").string()), float64, {});
  expect_fixture_values(load((kFixtures / "empty.npy").string()), int16, {3, 0});
  expect_fixture_values(load((kFixtures / "fortran.npy").string()), float32, {3, 4, 2});
  expect_fixture_values(load((kFixtures / "big_endian_f4.npy").string()), float32, {2, 3});
  expect_fixture_values(load((kFixtures / "big_endian_i2.npy").string()), int16, {2, 3});
  expect_fixture_values(load((kFixtures / "big_endian_c8.npy").string()), complex64, {2, 3});
  expect_fixture_values(load((kFixtures / "big_endian_u8.npy").string()), uint64, {2, 3});
  expect_fixture_values(load((kFixtures / "version2.npy").string()), int32, {4, 5});
  expect_fixture_values(load((kFixtures / "version3.npy").string()), int32, {4, 5});
}

TEST(IoFixtures, NpzFromNumpy) {
  auto arrays = load_npz((kFixtures / "stored.npz").string());
  ASSERT_EQ(arrays.size(), 3u);
  expect_fixture_values(arrays.at("a"), float32, {2, 3});
  expect_fixture_values(arrays.at("b"), int64, {7});
  expect_fixture_values(arrays.at("c"), bool_, {});
  const std::string compressed = (kFixtures / "compressed.npz").string();
  expect_error<NotImplementedError>([&] { load_npz(compressed); },
                                    {"[load_npz]", compressed, ".npy", "deflate"});
}

// ---- round trips ----

const std::vector<Shape> kShapes = {{}, {0}, {3, 0, 2}, {7}, {2, 3, 4}, {300, 257}};

TEST_F(IoTest, SafetensorsRoundTripEveryDtypeAndShape) {
  std::unordered_map<std::string, array> arrays;
  uint32_t seed = 1;
  for (Dtype t : kAllDtypes) {
    for (size_t s = 0; s < kShapes.size(); ++s) {
      arrays.emplace(std::string(dtype_name(t)) + "_" + std::to_string(s),
                     random_array(kShapes[s], t, seed++));
    }
  }
  // A non-contiguous view is written in logical order.
  arrays.emplace("transposed", transpose(random_array({5, 6}, float32, 99)));
  save_safetensors(path("x"), arrays, {{"k", "v"}, {"empty", ""}});
  auto [loaded, metadata] = load_safetensors(path("x.safetensors"));
  EXPECT_EQ(metadata.at("k"), "v");
  EXPECT_EQ(metadata.at("empty"), "");
  ASSERT_EQ(loaded.size(), arrays.size());
  for (auto& [name, a] : arrays) {
    SCOPED_TRACE(name);
    const array& b = loaded.at(name);
    EXPECT_EQ(b.dtype(), a.dtype());
    EXPECT_EQ(b.shape(), a.shape());
    EXPECT_EQ(bytes_of(b), bytes_of(a));
  }
  // Through streams too.
  std::stringstream stream;
  save_safetensors(stream, {{"a", arrays.at("float32_4")}});
  auto from_stream = load_safetensors(stream);
  EXPECT_EQ(bytes_of(from_stream.first.at("a")), bytes_of(arrays.at("float32_4")));
}

TEST_F(IoTest, NpyRoundTripEveryDtypeAndShape) {
  uint32_t seed = 100;
  for (Dtype t : kAllDtypes) {
    for (const Shape& shape : kShapes) {
      SCOPED_TRACE(std::string(dtype_name(t)) + " " + shape_to_string(shape));
      array a = random_array(shape, t, seed++);
      save(path("a"), a);
      array b = load(path("a.npy"));
      EXPECT_EQ(b.dtype(), t);
      EXPECT_EQ(b.shape(), shape);
      EXPECT_EQ(bytes_of(b), bytes_of(a));
    }
  }
  array t = transpose(random_array({4, 3, 2}, int16, 7), {2, 0, 1});
  std::stringstream stream;
  save(stream, t);
  EXPECT_EQ(bytes_of(load(stream)), bytes_of(t));
  // Data starts on a 64-byte boundary, as NumPy writes it.
  save(path("b.npy"), random_array({3}, float32, 1));
  EXPECT_EQ(fs::file_size(path("b.npy")) % 64, 12u);
}

TEST_F(IoTest, NpzRoundTrip) {
  std::unordered_map<std::string, array> arrays;
  uint32_t seed = 500;
  for (Dtype t : kAllDtypes) {
    arrays.emplace(std::string(dtype_name(t)), random_array({3, 5}, t, seed++));
  }
  arrays.emplace("scalar", random_array({}, float64, seed++));
  arrays.emplace("empty", random_array({0, 3}, int8, seed++));
  savez(path("z"), arrays);
  auto loaded = load_npz(path("z.npz"));
  ASSERT_EQ(loaded.size(), arrays.size());
  for (auto& [name, a] : arrays) {
    SCOPED_TRACE(name);
    EXPECT_EQ(loaded.at(name).shape(), a.shape());
    EXPECT_EQ(bytes_of(loaded.at(name)), bytes_of(a));
  }
}

// ---- lazy loading ----

// Fraction of the pages of [offset, offset + size) of `file` that are in the page cache.
double resident_fraction(const std::string& file, size_t offset, size_t size) {
  const int fd = ::open(file.c_str(), O_RDONLY);
  const size_t total = fs::file_size(file);
  void* map = ::mmap(nullptr, total, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t first = offset / page, last = (offset + size - 1) / page;
  std::vector<unsigned char> residency(total / page + 1);
  ::mincore(map, total, residency.data());
  size_t resident = 0;
  for (size_t p = first; p <= last; ++p) resident += residency[p] & 1;
  ::munmap(map, total);
  return double(resident) / double(last - first + 1);
}

void drop_from_page_cache(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

TEST_F(IoTest, SafetensorsLoadIsLazy) {
  constexpr int kTensors = 8;
  constexpr int32_t kElements = 1 << 20;  // 4 MiB of float32 each
  {
    std::unordered_map<std::string, array> arrays;
    for (int i = 0; i < kTensors; ++i) {
      arrays.emplace("t" + std::to_string(i), full({kElements}, float(i + 1)));
    }
    save_safetensors(path("big.safetensors"), arrays);
  }
  const std::string file = path("big.safetensors");
  const size_t file_size = fs::file_size(file);
  drop_from_page_cache(file);
  // Tensors are laid out by name; t7 is the last 4 MiB of the file.
  const size_t last_offset = file_size - size_t(kElements) * 4;
  if (resident_fraction(file, last_offset, size_t(kElements) * 4) > 0.01) {
    GTEST_SKIP() << "this filesystem keeps the file in the page cache; residency is unobservable";
  }
  const size_t active_before = get_active_memory();
  auto [arrays, metadata] = load_safetensors(file);
  EXPECT_LT(get_active_memory(), active_before + (1 << 20)) << "loading copied tensor data";
  array total = sum(arrays.at("t0"));
  EXPECT_EQ(total.item<float>(), float(kElements));
  EXPECT_LT(get_active_memory(), active_before + (1 << 20)) << "using t0 copied tensor data";
  EXPECT_LT(resident_fraction(file, last_offset, size_t(kElements) * 4), 0.1)
      << "t7 was read although only t0 was used";
  EXPECT_GT(resident_fraction(file, 4096, size_t(kElements) * 4 - 4096), 0.9);
}

TEST_F(IoTest, MappingOutlivesTheMapAndTheFile) {
  array a = random_array({64, 64}, float32, 3);
  array b = random_array({5}, bfloat16, 4);
  save_safetensors(path("m.safetensors"), {{"a", a}, {"b", b}});
  array kept = [&] {
    auto loaded = load_safetensors(path("m.safetensors"));
    return loaded.first.at("a");
  }();
  fs::remove(path("m.safetensors"));
  EXPECT_EQ(bytes_of(kept), bytes_of(a));
  // A small view of a mapped tensor survives the tensor (G2 may compact it).
  array view = slice(kept, {1, 2}, {3, 5});
  kept = array(0.0f);
  EXPECT_EQ(bytes_of(view), bytes_of(slice(a, {1, 2}, {3, 5})));
}

// ---- malformed safetensors ----

std::string safetensors_bytes(const std::string& header, const std::string& data,
                              std::optional<uint64_t> length = std::nullopt) {
  const uint64_t n = length.value_or(header.size());
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
  return out + header + data;
}

TEST_F(IoTest, SafetensorsRejectsMalformedFiles) {
  const std::string t = R"("x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})";
  const std::string data8(8, '\1');
  struct Case {
    std::string name;
    std::string bytes;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"empty", "", {"truncated"}},
      {"short", "abc", {"truncated"}},
      {"zero_header", safetensors_bytes("", ""), {"header length 0"}},
      {"huge_header", safetensors_bytes("{}", "", uint64_t(1) << 40), {"header length"}},
      {"truncated_header", safetensors_bytes("{}", "", 50), {"truncated"}},
      {"not_object", safetensors_bytes("[1, 2]", ""), {"'{'"}},
      {"bad_json", safetensors_bytes("{\"x\": ", ""), {"JSON"}},
      {"bad_utf8", safetensors_bytes("{\"\xff\xfe\": 1}", ""), {"UTF-8"}},
      {"trailing_garbage", safetensors_bytes("{} x", ""), {"JSON"}},
      {"metadata_not_object", safetensors_bytes(R"({"__metadata__": 3})", ""), {"__metadata__"}},
      {"metadata_not_string",
       safetensors_bytes(R"({"__metadata__": {"a": 1}})", ""),
       {"metadata 'a'"}},
      {"entry_not_object", safetensors_bytes(R"({"x": 1})", ""), {"tensor 'x'"}},
      {"missing_dtype",
       safetensors_bytes(R"({"x": {"shape": [], "data_offsets": [0, 0]}})", ""),
       {"tensor 'x'", "dtype"}},
      {"unknown_dtype",
       safetensors_bytes(R"({"x": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})",
                         "\1"),
       {"tensor 'x'", "F8_E4M3"}},
      {"negative_shape",
       safetensors_bytes(R"({"x": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 0]}})", ""),
       {"tensor 'x'", "shape"}},
      {"float_shape",
       safetensors_bytes(R"({"x": {"dtype": "U8", "shape": [2.5], "data_offsets": [0, 0]}})", ""),
       {"tensor 'x'", "shape"}},
      {"shape_over_int32",
       safetensors_bytes(R"({"x": {"dtype": "U8", "shape": [2147483648], "data_offsets": [0, 0]}})",
                         ""),
       {"tensor 'x'", "shape"}},
      {"shape_product_overflow",
       safetensors_bytes(R"({"x": {"dtype": "F64", "shape": [2147483647, 2147483647, 2147483647],
                          "data_offsets": [0, 8]}})",
                         data8),
       {"tensor 'x'", "does not match"}},
      {"size_mismatch",
       safetensors_bytes(R"({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", data8),
       {"tensor 'x'", "does not match its 8 bytes"}},
      {"offsets_not_pair",
       safetensors_bytes(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0]}})", data8),
       {"tensor 'x'", "data_offsets"}},
      {"negative_offset",
       safetensors_bytes(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}})",
                         data8),
       {"tensor 'x'", "offsets"}},
      {"begin_after_end",
       safetensors_bytes(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", data8),
       {"tensor 'x'", "data section"}},
      {"past_the_end",
       safetensors_bytes(R"({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
                         data8),
       {"tensor 'x'", "data section of 8 bytes"}},
      {"huge_offset",
       safetensors_bytes(
           R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [18446744073709551608, 0]}})",
           data8),
       {"tensor 'x'"}},
      {"gap",
       safetensors_bytes(R"({"x": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}})", data8),
       {"tensor 'x'", "gap"}},
      {"overlap",
       safetensors_bytes(R"({"x": {"dtype": "U8", "shape": [6], "data_offsets": [0, 6]},
                             "y": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}})",
                         data8),
       {"tensor 'y'", "overlap", "'x'"}},
      {"uncovered_tail",
       safetensors_bytes("{" + t + "}", data8 + "extra"),
       {"cover 8 bytes of a data section of 13"}},
      {"truncated_data", safetensors_bytes("{" + t + "}", "\1\1\1\1"), {"tensor 'x'"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string file = write(c.name + ".safetensors", c.bytes);
    auto parts = c.parts;
    parts.push_back(file);
    parts.push_back("[load_safetensors]");
    expect_error<IOError>([&] { load_safetensors(file); }, parts);
  }
  expect_error<IOError>([&] { load_safetensors(path("does_not_exist.safetensors")); },
                        {"does_not_exist", "cannot open"});
  expect_error<IOError>([&] { load_safetensors(dir_.string()); }, {"not a regular file"});
}

TEST_F(IoTest, SafetensorsSaveErrors) {
  expect_error<ValueError>(
      [&] {
        save_safetensors(path("a"), {{"__metadata__", array(1.0f)}});
      },
      {"reserved"});
  expect_error<IOError>(
      [&] {
        save_safetensors(path("no/such/dir/a"), {{"x", array(1.0f)}});
      },
      {"[save_safetensors]", "no/such/dir"});
  expect_error<ValueError>(
      [&] {
        save_safetensors(path("b"), {{"\xff", array(1.0f)}});
      },
      {"UTF-8"});
}

// ---- malformed npy ----

std::string npy_bytes(const std::string& dict, const std::string& data, int version = 1,
                      std::optional<uint32_t> length = std::nullopt) {
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(version));
  out.push_back(0);
  const uint32_t n = length.value_or(static_cast<uint32_t>(dict.size()));
  for (int i = 0; i < (version == 1 ? 2 : 4); ++i) out.push_back(static_cast<char>(n >> (8 * i)));
  return out + dict + data;
}

TEST_F(IoTest, NpyAcceptsHeaderVariants) {
  const std::string data(8, '\2');
  // Double quotes, no trailing comma, keys in another order, Python 2 long suffix.
  array a =
      load(write("a.npy", npy_bytes(R"({"shape": (2L,), "fortran_order": False, "descr": "<i4"}  )"
                                    "\n",
                                    data)));
  EXPECT_EQ(a.shape(), Shape({2}));
  EXPECT_EQ(a.dtype(), int32);
  array b = load(write(
      "b.npy", npy_bytes("{'descr': '>u2', 'fortran_order': True, 'shape': (2, 2)}\n", data, 3)));
  EXPECT_EQ(b.shape(), Shape({2, 2}));
  EXPECT_EQ(values_of(b)[1], double(0x0202));
}

TEST_F(IoTest, NpyRejectsMalformedFiles) {
  const std::string data(8, '\1');
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
  struct Case {
    std::string name;
    std::string bytes;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"empty", "", {"truncated"}},
      {"bad_magic", std::string("\x93NUMPX\1\0\0\0", 10), {"magic"}},
      {"version4", npy_bytes(ok_dict, data, 4), {"version 4"}},
      {"short_v2", std::string("\x93NUMPY\2\0\0", 9), {"truncated"}},
      {"header_past_end", npy_bytes(ok_dict, "", 1, 5000), {"truncated"}},
      {"not_a_dict", npy_bytes("[1]\n", data), {"expected '{'"}},
      {"missing_key", npy_bytes("{'descr': '<f4', 'shape': (2,)}\n", data), {"lacks"}},
      {"extra_key",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", data),
       {"unexpected key 'x'"}},
      {"duplicate_key",
       npy_bytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", data),
       {"duplicate"}},
      {"unicode_dtype",
       npy_bytes("{'descr': '<U5', 'fortran_order': False, 'shape': (2,)}\n", data),
       {"unsupported dtype '<U5'"}},
      {"object_dtype",
       npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (2,)}\n", data),
       {"unsupported dtype '|O'"}},
      {"complex128",
       npy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (2,)}\n", data),
       {"unsupported dtype '<c16'"}},
      {"structured",
       npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\n", data),
       {"structured"}},
      {"negative_dim",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}\n", data),
       {"non-negative"}},
      {"dim_over_int32",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648,)}\n", data),
       {"int32"}},
      {"product_overflow",
       npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, "
                 "2147483647)}\n",
                 data),
       {"overflow"}},
      {"data_short",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}\n", data),
       {"needs 12 bytes", "8 follow"}},
      {"data_long",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n", data),
       {"needs 4 bytes"}},
      {"bad_bool",
       npy_bytes("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}\n", data),
       {"True or False"}},
      {"unterminated", npy_bytes("{'descr': '<f4", data), {"unterminated"}},
      {"garbage_after", npy_bytes(ok_dict + "x", data), {"after the header"}},
      {"bad_tuple",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}\n", data),
       {"shape"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string file = write(c.name + ".npy", c.bytes);
    auto parts = c.parts;
    parts.push_back(file);
    parts.push_back("[load]");
    expect_error<IOError>([&] { load(file); }, parts);
  }
}

// ---- malformed npz ----

TEST_F(IoTest, NpzRejectsMalformedArchives) {
  savez(path("good"), {{"a", random_array({4}, float32, 1)}, {"b", random_array({2}, int8, 2)}});
  std::string good;
  {
    std::ifstream in(path("good.npz"), std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  expect_error<IOError>([&] { load_npz(write("empty.npz", "")); }, {"truncated", "empty.npz"});
  expect_error<IOError>([&] { load_npz(write("text.npz", std::string(100, 'x'))); },
                        {"not a zip archive"});
  // Cut anywhere: never a crash, always a typed error (or, for cuts that keep a valid
  // archive, a result).
  for (size_t cut = 0; cut < good.size(); cut += 7) {
    SCOPED_TRACE(cut);
    const std::string file = write("cut.npz", good.substr(0, cut));
    EXPECT_THROW(load_npz(file), IOError);
  }
  // Corrupt each byte of the central directory and end record in turn.
  const size_t directory = good.size() - 22 - 2 * (46 + 5);
  for (size_t i = directory; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    const std::string file = write("flip.npz", bad);
    try {
      auto arrays = load_npz(file);
      for (auto& [name, a] : arrays) bytes_of(a);
    } catch (const IOError&) {
    } catch (const NotImplementedError&) {
    }
  }
  // A bad .npy inside names the entry.
  std::string bad_entry = good;
  const size_t magic = bad_entry.find("\x93NUMPY");
  bad_entry[magic + 6] = 9;
  expect_error<IOError>([&] { load_npz(write("bad_entry.npz", bad_entry)); },
                        {"bad_entry.npz", "entry 'a.npy'", "version 9"});
}

}  // namespace
