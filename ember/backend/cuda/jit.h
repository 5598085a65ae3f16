// NVRTC JIT for the CUDA backend: CUDA C++ source -> a loaded module for the task's device.
//
//   auto module = cuda::jit::get_module("my_kernel", source);  // memory, disk or NVRTC
//   cuda::jit::launch(module, "ember_kernel_my_kernel", grid, block, 0, args);
//
// Modules are keyed by a hash of (source, options, target arch, NVRTC version). Three tiers:
// a bounded in-memory LRU of loaded modules, an on-disk cache of compiled binaries
// (EMBER_CUDA_JIT_CACHE), then NVRTC. See Note [JIT module lifetime] in jit.cpp for why a
// module is never unloaded while work that launched it is in flight (G1).
// This header includes no CUDA header, so tests and host code can use it freely.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/core/errors.h"

struct CUfunc_st;  // CUfunction without <cuda.h>

namespace ember {

/// A JIT compilation failed. what() names the kernel and carries the compiler's log.
class CompileError final : public detail::ErrorKind<CompileError> {
  using ErrorKind::ErrorKind;
};

}  // namespace ember

namespace ember::cuda::jit {

/// A module loaded into one device's primary context; unloaded when the last handle goes.
class Module {
 public:
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module();
  /// The kernel `kernel_name` (an extern "C" name) of this module; throws CompileError if
  /// there is none.
  CUfunc_st* function(const std::string& kernel_name) const;
  /// The cache key: the hex hash of (source, options, arch, NVRTC version).
  const std::string& key() const { return key_; }
  int device() const { return device_; }

  struct Loaded;  // the driver handles (jit.cpp)
  Module(std::string key, int device, std::unique_ptr<Loaded> loaded);

 private:
  std::string key_;
  int device_;
  std::unique_ptr<Loaded> loaded_;
};
using ModulePtr = std::shared_ptr<const Module>;

/// A compiled binary: a cubin for the device's own arch, or PTX where this NVRTC does not
/// know that arch (the driver then finishes the compilation at load).
struct Binary {
  std::string arch;  ///< "sm_90" (cubin) or "compute_90" (PTX)
  bool is_ptx = false;
  std::string data;
};

/// Compiles `source` with NVRTC for `arch` ("sm_90", "compute_90"); needs no GPU. Throws
/// CompileError naming `name`, with the log, when the source does not compile.
Binary compile(const std::string& name, const std::string& source,
               const std::vector<std::string>& options, const std::string& arch);

/// The target for `device`: "sm_XY" if this NVRTC can emit its cubin, else the newest
/// "compute_XY" PTX not above it.
std::string target_arch(int device);

/// The loaded module for `source` + `options` on the task's device (cuda::current_device()
/// by default): from memory, else disk, else NVRTC. The handle keeps it loaded. Thread-safe;
/// compilation runs outside the cache's lock.
ModulePtr get_module(const std::string& name, const std::string& source,
                     const std::vector<std::string>& options = {}, int device = -1);

/// Launches `kernel_name` of `module` on the task's stream and holds `module` until the
/// task's completion event (keep_until_complete): G1. `args` as for cuLaunchKernel.
void launch(const ModulePtr& module, const std::string& kernel_name, std::array<uint32_t, 3> grid,
            std::array<uint32_t, 3> block, size_t shared_memory, void** args);

// ---- The in-memory cache (tests and tuning) ----
struct CacheStats {
  size_t size = 0;      ///< modules cached
  size_t capacity = 0;  ///< the bound; exceeded only while every module is in use
  uint64_t memory_hits = 0;
  uint64_t disk_hits = 0;
  uint64_t compiles = 0;
  uint64_t evictions = 0;
};
CacheStats cache_stats();
/// Sets the bound (default 512 modules) and evicts unused modules past it.
void set_cache_capacity(size_t capacity);
/// Whether a module with this key is in the in-memory cache for `device`.
bool is_cached(const std::string& key, int device);
/// Drops every module of the in-memory cache that no one else holds.
void clear_unused();
/// The on-disk cache directory (EMBER_CUDA_JIT_CACHE; empty when disabled).
std::string disk_cache_directory();

}  // namespace ember::cuda::jit
