// Device memory: a caching pool with exact counters and a hard limit (G4).
//
//   auto& pool = allocator::allocator(Device::cpu);
//   allocator::Block block = pool.malloc(1 << 20);   // throws OutOfMemory past the limit
//   pool.free(block);                                 // back to the cache, or released
//   pool.active_memory();                             // bytes in live blocks, exactly
//
// Arrays never call this directly: they hold a Storage (storage.h), whose destructor frees.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>

#include "ember/core/device.h"

namespace ember::allocator {

/// A block handed out by an allocator: its address and its size in bytes (after rounding).
struct Block {
  void* ptr = nullptr;
  size_t size = 0;
};

/// Size-classed caching pool over a backend's raw allocation. Counters are exact: active is
/// the sum of the sizes of live blocks, cache the sum of cached blocks, and neither can go
/// negative (checked). The memory limit is a hard cap on active + requested bytes.
class Allocator {
 public:
  Allocator();
  virtual ~Allocator() = default;
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  /// A block of at least `size` bytes. Past the limit, releases the cache and retries;
  /// then throws OutOfMemory. Never returns null (a zero-byte request gets a small block).
  Block malloc(size_t size);
  /// Returns a block from malloc(). In debug builds, a block not live is an internal error.
  void free(Block block);

  size_t active_memory() const;
  size_t peak_memory() const;
  void reset_peak_memory();
  size_t cache_memory() const;
  size_t memory_limit() const;
  /// Sets the hard limit on active memory; returns the previous one.
  size_t set_memory_limit(size_t limit);
  /// Sets the most bytes the cache keeps; returns the previous value. Trims the cache.
  size_t set_cache_limit(size_t limit);
  void clear_cache();
  /// Whether freed blocks are filled with a poison pattern (0xFF bytes: NaN in floats).
  void set_poison_freed(bool poison);

  /// Copies bytes between two blocks of this device (used by view compaction). Returns
  /// when the copy is complete.
  virtual void copy(void* dst, const void* src, size_t size) = 0;
  /// Copies `size` bytes of this device's memory to host memory; returns when complete.
  /// The host's own allocator simply copies.
  virtual void copy_to_host(void* host_dst, const void* src, size_t size);
  /// Copies host memory into this device's memory. A device orders the copy on the stream
  /// of the device task running on this thread, if any (the caller keeps `host_src` alive
  /// until that task completes), else returns when it is complete.
  virtual void copy_from_host(void* dst, const void* host_src, size_t size);

 protected:
  /// The backend's own allocation; returns null when the device is out of memory.
  virtual void* raw_malloc(size_t size) = 0;
  virtual void raw_free(void* ptr, size_t size) = 0;
  virtual void fill(void* ptr, size_t size, unsigned char value) = 0;
  /// Physical memory of the device: the default limit.
  virtual size_t device_memory() const = 0;

 private:
  static size_t round_size(size_t size);
  void trim_cache_locked(size_t target);

  mutable std::mutex mutex_;
  std::multimap<size_t, void*> cache_;  // size -> block
  std::unordered_map<void*, size_t> live_;  // debug builds: every live block
  size_t active_ = 0;
  size_t peak_ = 0;
  size_t cached_ = 0;
  size_t limit_ = 0;
  size_t cache_limit_ = 0;
  bool poison_ = false;
  bool initialised_ = false;
};

/// The allocator of `device` (valid for the life of the process).
Allocator& allocator(const Device& device);

}  // namespace ember::allocator
