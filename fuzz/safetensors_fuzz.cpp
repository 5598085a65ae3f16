// Fuzzes the safetensors reader: any bytes must load or throw IOError, and every loaded
// array must evaluate and be readable without touching memory outside the input.
// Seeds: fuzz/corpus/safetensors/ (small files from the reference writer and ember).
#include <cstddef>
#include <cstdint>
#include <string>

#include "ember/core/io.h"
#include "ember/core/ops/shape.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto source = ember::io::detail::own_bytes(std::string(reinterpret_cast<const char*>(data), size),
                                             "<fuzz>");
  try {
    auto [arrays, metadata] = ember::io::detail::parse_safetensors(source);
    for (auto& [name, a] : arrays) {
      ember::array c = ember::contiguous(a);
      c.eval();
      const auto* bytes = static_cast<const volatile uint8_t*>(c.raw_data());
      uint8_t sum = 0;
      for (size_t i = 0; i < c.nbytes(); ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
      (void)sum;
    }
  } catch (const ember::IOError&) {
    // Rejected with a typed error: the expected outcome for most inputs.
  }
  return 0;
}
