// Memory API, as in MLX (mlx/memory.h), for the default device unless one is named.
// Counters are exact and the limit is hard (G4); memory_report() says what keeps memory
// alive, including storage reachable only through views (G2).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ember/core/device.h"

namespace ember {

size_t get_active_memory();
size_t get_peak_memory();
void reset_peak_memory();
size_t get_cache_memory();
/// Sets the hard limit: an allocation that cannot be met within it after releasing the cache
/// throws OutOfMemory. Returns the previous limit.
size_t set_memory_limit(size_t limit);
size_t get_memory_limit();
/// Sets the most bytes kept in the cache; returns the previous value.
size_t set_cache_limit(size_t limit);
void clear_cache();

size_t get_active_memory(const Device& device);
size_t get_peak_memory(const Device& device);
size_t get_cache_memory(const Device& device);

/// What keeps memory alive on one device.
struct MemoryReport {
  size_t active_bytes = 0;      ///< bytes in live blocks (as get_active_memory)
  size_t cache_bytes = 0;       ///< bytes held in the allocator's cache
  size_t peak_bytes = 0;
  size_t num_storages = 0;      ///< live storage buffers
  size_t owned_bytes = 0;       ///< bytes of storages that an array owns
  size_t view_only_bytes = 0;   ///< bytes of storages that only views keep alive
  size_t view_reachable_bytes = 0;  ///< of those, the bytes the views can actually reach
  size_t external_bytes = 0;    ///< bytes of arrays wrapping user memory (not allocated here)
  /// The largest live storages, biggest first (at most 16).
  struct Entry {
    size_t bytes;
    int owners;
    int views;
    size_t view_bytes;
  };
  std::vector<Entry> largest;
};
MemoryReport memory_report(const Device& device);
MemoryReport memory_report();
std::string to_string(const MemoryReport& report);

}  // namespace ember
