// The CPU allocator: the core's caching pool over 64-byte-aligned host memory.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "ember/core/allocator.h"
#include "ember/core/backend.h"
#include "ember/core/config.h"

namespace ember::backend {
namespace {

class CpuAllocator final : public allocator::Allocator {
 public:
  void copy(void* dst, const void* src, size_t size) override { std::memcpy(dst, src, size); }

 protected:
  void* raw_malloc(size_t size) override { return std::aligned_alloc(64, size); }
  void raw_free(void* ptr, size_t) override { std::free(ptr); }
  void fill(void* ptr, size_t size, unsigned char value) override { std::memset(ptr, value, size); }
  size_t device_memory() const override {
    const int64_t configured = config::cpu_memory_limit_from_environment();
    if (configured >= 0) return static_cast<size_t>(configured);
    return static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGE_SIZE));
  }
};

}  // namespace

allocator::Allocator& cpu_allocator() {
  static CpuAllocator* instance = new CpuAllocator();  // never destroyed: storages may outlive main
  return *instance;
}

}  // namespace ember::backend
