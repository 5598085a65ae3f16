#include "ember/core/allocator.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "ember/core/backend.h"
#include "ember/core/config.h"
#include "ember/core/errors.h"
#include "ember/core/memory.h"

namespace ember {
namespace allocator {

namespace {
std::string format_bytes(size_t bytes) {
  char text[64];
  const double value = static_cast<double>(bytes);
  if (bytes >= (size_t{1} << 30)) {
    std::snprintf(text, sizeof(text), "%.2f GiB", value / (1 << 30));
  } else if (bytes >= (size_t{1} << 20)) {
    std::snprintf(text, sizeof(text), "%.2f MiB", value / (1 << 20));
  } else {
    std::snprintf(text, sizeof(text), "%zu bytes", bytes);
  }
  return text;
}
}  // namespace

Allocator::Allocator() : poison_(config::poison_freed_memory()) {}

size_t Allocator::round_size(size_t size) {
  if (size <= 16 * 1024) return (std::max<size_t>(size, 1) + 63) & ~size_t{63};
  if (size <= 1024 * 1024) return (size + 4095) & ~size_t{4095};
  return (size + 65535) & ~size_t{65535};
}

Block Allocator::malloc(size_t size) {
  const size_t rounded = round_size(size);
  std::unique_lock lock(mutex_);
  if (!initialised_) {
    limit_ = cache_limit_ = device_memory();
    initialised_ = true;
  }
  // A cached block of up to 25% more than asked for is reused.
  void* ptr = nullptr;
  size_t block_size = rounded;
  if (auto it = cache_.lower_bound(rounded); it != cache_.end() && it->first <= rounded + rounded / 4) {
    block_size = it->first;
    ptr = it->second;
    cached_ -= block_size;
    cache_.erase(it);
  }
  if (ptr == nullptr) {
    if (active_ + cached_ + rounded > limit_) trim_cache_locked(0);
    if (active_ + rounded > limit_) {
      throw OutOfMemory(detail::concat(
          "[malloc] cannot allocate ", format_bytes(rounded), ": ", format_bytes(active_),
          " already active and the memory limit is ", format_bytes(limit_),
          " (set_memory_limit)"));
    }
    ptr = raw_malloc(rounded);
    if (ptr == nullptr) {
      trim_cache_locked(0);
      ptr = raw_malloc(rounded);
    }
    if (ptr == nullptr) {
      throw OutOfMemory(detail::concat("[malloc] the device could not allocate ",
                                       format_bytes(rounded), " (", format_bytes(active_),
                                       " active)"));
    }
  }
  active_ += block_size;
  peak_ = std::max(peak_, active_);
#ifndef NDEBUG
  live_.emplace(ptr, block_size);
#endif
  return Block{ptr, block_size};
}

void Allocator::free(Block block) {
  if (block.ptr == nullptr) return;
  std::unique_lock lock(mutex_);
#ifndef NDEBUG
  auto it = live_.find(block.ptr);
  EMBER_INTERNAL_ASSERT(it != live_.end() && it->second == block.size,
                        "free of a block that is not live (double free or foreign pointer)");
  live_.erase(it);
#endif
  EMBER_INTERNAL_ASSERT(active_ >= block.size, "active memory would go negative");
  active_ -= block.size;
  if (cached_ + block.size <= cache_limit_) {
    if (poison_) fill(block.ptr, block.size, 0xff);
    cache_.emplace(block.size, block.ptr);
    cached_ += block.size;
  } else {
    raw_free(block.ptr, block.size);
  }
}

void Allocator::trim_cache_locked(size_t target) {
  // Release the largest blocks first: they free the most with the fewest calls.
  while (cached_ > target && !cache_.empty()) {
    auto it = std::prev(cache_.end());
    raw_free(it->second, it->first);
    cached_ -= it->first;
    cache_.erase(it);
  }
}

size_t Allocator::active_memory() const {
  std::lock_guard lock(mutex_);
  return active_;
}
size_t Allocator::peak_memory() const {
  std::lock_guard lock(mutex_);
  return peak_;
}
void Allocator::reset_peak_memory() {
  std::lock_guard lock(mutex_);
  peak_ = active_;
}
size_t Allocator::cache_memory() const {
  std::lock_guard lock(mutex_);
  return cached_;
}
size_t Allocator::memory_limit() const {
  std::lock_guard lock(mutex_);
  return initialised_ ? limit_ : const_cast<Allocator*>(this)->device_memory();
}
size_t Allocator::set_memory_limit(size_t limit) {
  std::lock_guard lock(mutex_);
  if (!initialised_) {
    limit_ = cache_limit_ = device_memory();
    initialised_ = true;
  }
  return std::exchange(limit_, limit);
}
size_t Allocator::set_cache_limit(size_t limit) {
  std::lock_guard lock(mutex_);
  if (!initialised_) {
    limit_ = cache_limit_ = device_memory();
    initialised_ = true;
  }
  const size_t previous = std::exchange(cache_limit_, limit);
  trim_cache_locked(limit);
  return previous;
}
void Allocator::clear_cache() {
  std::lock_guard lock(mutex_);
  trim_cache_locked(0);
}
void Allocator::copy_to_host(void* host_dst, const void* src, size_t size) {
  std::memcpy(host_dst, src, size);
}
void Allocator::copy_from_host(void* dst, const void* host_src, size_t size) {
  std::memcpy(dst, host_src, size);
}

void Allocator::set_poison_freed(bool poison) {
  std::lock_guard lock(mutex_);
  poison_ = poison;
}

Allocator& allocator(const Device& device) {
  detail::check_device(device, "allocator");
  return device.type == Device::cpu ? backend::cpu_allocator()
                                    : backend::gpu_allocator(device.index);
}

}  // namespace allocator

size_t get_active_memory(const Device& device) {
  return allocator::allocator(device).active_memory();
}
size_t get_peak_memory(const Device& device) { return allocator::allocator(device).peak_memory(); }
size_t get_cache_memory(const Device& device) {
  return allocator::allocator(device).cache_memory();
}
size_t get_active_memory() { return get_active_memory(default_device()); }
size_t get_peak_memory() { return get_peak_memory(default_device()); }
void reset_peak_memory() { allocator::allocator(default_device()).reset_peak_memory(); }
size_t get_cache_memory() { return get_cache_memory(default_device()); }
size_t set_memory_limit(size_t limit) {
  return allocator::allocator(default_device()).set_memory_limit(limit);
}
size_t get_memory_limit() { return allocator::allocator(default_device()).memory_limit(); }
size_t set_cache_limit(size_t limit) {
  return allocator::allocator(default_device()).set_cache_limit(limit);
}
void clear_cache() { allocator::allocator(default_device()).clear_cache(); }

}  // namespace ember
