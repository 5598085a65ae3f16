// Fuzzes the .npy and .npz readers with the same bytes: each must load or throw IOError
// (NotImplementedError for compressed or encrypted npz entries), and every loaded array
// must evaluate and be readable without touching memory outside the input.
// Seeds: fuzz/corpus/npy/ (small .npy and .npz files from NumPy and ember).
#include <cstddef>
#include <cstdint>
#include <string>

#include "ember/core/io.h"
#include "ember/core/ops/shape.h"

namespace {
void touch(const ember::array& a) {
  ember::array c = ember::contiguous(a);
  c.eval();
  const auto* bytes = static_cast<const volatile uint8_t*>(c.raw_data());
  uint8_t sum = 0;
  for (size_t i = 0; i < c.nbytes(); ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
  (void)sum;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto source = ember::io::detail::own_bytes(std::string(reinterpret_cast<const char*>(data), size),
                                             "<fuzz>");
  try {
    touch(ember::io::detail::parse_npy(source));
  } catch (const ember::IOError&) {
  }
  try {
    for (auto& [name, a] : ember::io::detail::parse_npz(source)) touch(a);
  } catch (const ember::IOError&) {
  } catch (const ember::NotImplementedError&) {
  }
  return 0;
}
