// NVRTC JIT: compile, cache (memory and disk), load and launch CUDA C++ modules. See jit.h.
//
// Note [JIT module lifetime]
// A CUmodule must outlive every kernel launched from it that may still run (G1: MLX #3347
// unloaded or freed what in-flight kernels used). Handles are shared_ptr<const Module>;
// the module is unloaded only when the last handle goes. launch() puts a handle into the
// task's Submission (keep_until_complete) before cuLaunchKernel, and the completion worker
// drops the submission only after the task's completion event has fired (Note [GPU
// completion] in core/eval.cpp). The in-memory LRU holds one more handle; it evicts a
// module only when that is the last one (use_count() == 1 under the cache's lock: the
// cache is the only place a new handle can come from), so it never evicts a module in use,
// and it may exceed its bound while every cached module is in use.
#include "ember/backend/cuda/jit.h"

#include <cuda.h>
#include <nvrtc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <random>
#include <sstream>
#include <unordered_map>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/core/config.h"
#include "ember/core/executor.h"

#ifndef EMBER_CUDA_INCLUDE_DIR  // set by backend/cuda/CMakeLists.txt
#define EMBER_CUDA_INCLUDE_DIR "/usr/local/cuda/include"
#endif

namespace ember::cuda::jit {

struct Module::Loaded {
  CUcontext context = nullptr;
  CUmodule module = nullptr;
  mutable std::mutex mutex;  // guards functions
  mutable std::unordered_map<std::string, CUfunction> functions;
};

namespace {

// Driver entry points through the runtime (cudaGetDriverEntryPointByVersion) rather than
// linking libcuda: libember must load on machines without a driver (CI builds the CUDA
// backend without a GPU and skips the GPU tests), and libcuda ships only with the driver.
struct Driver {
  decltype(&::cuInit) cuInit;
  decltype(&::cuGetErrorName) cuGetErrorName;
  decltype(&::cuGetErrorString) cuGetErrorString;
  decltype(&::cuDeviceGet) cuDeviceGet;
  decltype(&::cuDevicePrimaryCtxRetain) cuDevicePrimaryCtxRetain;
  decltype(&::cuCtxPushCurrent) cuCtxPushCurrent;
  decltype(&::cuCtxPopCurrent) cuCtxPopCurrent;
  decltype(&::cuModuleLoadData) cuModuleLoadData;
  decltype(&::cuModuleUnload) cuModuleUnload;
  decltype(&::cuModuleGetFunction) cuModuleGetFunction;
  decltype(&::cuFuncSetAttribute) cuFuncSetAttribute;
  decltype(&::cuLaunchKernel) cuLaunchKernel;
};

template <class Function>
void load_entry_point(const char* symbol, Function& function) {
  void* pointer = nullptr;
  cudaDriverEntryPointQueryResult status = cudaDriverEntryPointSymbolNotFound;
  EMBER_CUDA_CHECK(
      cudaGetDriverEntryPointByVersion(symbol, &pointer, 12000, cudaEnableDefault, &status));
  EMBER_CHECK(status == cudaDriverEntryPointSuccess && pointer != nullptr, RuntimeError,
              "[jit] the CUDA driver has no entry point ", symbol);
  function = reinterpret_cast<Function>(pointer);
}

const Driver& driver() {
  static const Driver table = [] {
    Driver d{};
    load_entry_point("cuInit", d.cuInit);
    load_entry_point("cuGetErrorName", d.cuGetErrorName);
    load_entry_point("cuGetErrorString", d.cuGetErrorString);
    load_entry_point("cuDeviceGet", d.cuDeviceGet);
    load_entry_point("cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain);
    load_entry_point("cuCtxPushCurrent", d.cuCtxPushCurrent);
    load_entry_point("cuCtxPopCurrent", d.cuCtxPopCurrent);
    load_entry_point("cuModuleLoadData", d.cuModuleLoadData);
    load_entry_point("cuModuleUnload", d.cuModuleUnload);
    load_entry_point("cuModuleGetFunction", d.cuModuleGetFunction);
    load_entry_point("cuFuncSetAttribute", d.cuFuncSetAttribute);
    load_entry_point("cuLaunchKernel", d.cuLaunchKernel);
    return d;
  }();
  return table;
}

[[noreturn]] void throw_driver_error(CUresult result, const char* call) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (driver().cuGetErrorName(result, &name) != CUDA_SUCCESS) name = "unknown";
  if (driver().cuGetErrorString(result, &text) != CUDA_SUCCESS) text = "unknown";
  const std::string message =
      detail::concat("[jit] CUDA driver error ", name, " (", text, ") in ", call);
  if (result == CUDA_ERROR_OUT_OF_MEMORY) throw OutOfMemory(message);
  throw RuntimeError(message);
}

#define EMBER_CU_CHECK(call)                             \
  do {                                                   \
    const CUresult ember_cu_result_ = (call);            \
    if (ember_cu_result_ != CUDA_SUCCESS) [[unlikely]] { \
      throw_driver_error(ember_cu_result_, #call);       \
    }                                                    \
  } while (0)

#define EMBER_NVRTC_CHECK(call)                                                           \
  do {                                                                                    \
    const nvrtcResult ember_nvrtc_result_ = (call);                                       \
    EMBER_CHECK(ember_nvrtc_result_ == NVRTC_SUCCESS, RuntimeError, "[jit] NVRTC error ", \
                nvrtcGetErrorString(ember_nvrtc_result_), " in " #call);                  \
  } while (0)

// The device's primary context (the runtime's), retained once per process and never
// released: releasing the last reference would destroy it under the runtime's feet.
CUcontext primary_context(int device) {
  static std::mutex mutex;
  static std::vector<CUcontext> contexts;
  std::lock_guard lock(mutex);
  if (contexts.size() <= static_cast<size_t>(device)) contexts.resize(device + 1, nullptr);
  if (contexts[device] == nullptr) {
    EMBER_CU_CHECK(driver().cuInit(0));
    CUdevice handle = 0;
    EMBER_CU_CHECK(driver().cuDeviceGet(&handle, device));
    EMBER_CU_CHECK(driver().cuDevicePrimaryCtxRetain(&contexts[device], handle));
  }
  return contexts[device];
}

// Makes `context` current for a scope, whichever thread we are on.
class ContextScope {
 public:
  explicit ContextScope(CUcontext context) { EMBER_CU_CHECK(driver().cuCtxPushCurrent(context)); }
  ~ContextScope() {
    CUcontext popped = nullptr;
    const CUresult result = driver().cuCtxPopCurrent(&popped);
    (void)result;  // a destructor cannot throw, and a failed pop leaves nothing to undo
  }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;
};

// Two FNV-1a passes with different bases: a 128-bit hex name for files and map keys.
// Collisions are harmless anyway: entries compare the full key text.
std::string hash_hex(const std::string& text) {
  uint64_t a = 14695981039346656037ull, b = 1099511628211ull * 31 + 7;
  for (const unsigned char c : text) {
    a = (a ^ c) * 1099511628211ull;
    b = (b ^ c) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
  }
  char buffer[33];
  std::snprintf(buffer, sizeof(buffer), "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buffer;
}

std::string nvrtc_version() {
  int major = 0, minor = 0;
  EMBER_NVRTC_CHECK(nvrtcVersion(&major, &minor));
  return detail::concat(major, ".", minor);
}

// Include directories for NVRTC (cuda_fp16.h, cooperative_groups.h and, from CUDA 13,
// CCCL under include/cccl): the toolkit's that ember was built with, else the usual one.
std::vector<std::string> include_options() {
  std::vector<std::string> options;
  for (const char* dir : {EMBER_CUDA_INCLUDE_DIR, "/usr/local/cuda/include"}) {
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error)) continue;
    options.push_back(detail::concat("-I", dir));
    const std::string cccl = detail::concat(dir, "/cccl");
    if (std::filesystem::is_directory(cccl, error)) options.push_back("-I" + cccl);
    break;
  }
  return options;
}

struct Program {
  nvrtcProgram handle = nullptr;
  ~Program() {
    if (handle != nullptr && nvrtcDestroyProgram(&handle) != NVRTC_SUCCESS) handle = nullptr;
  }
};

// ---- The on-disk cache: <dir>/<hash>.bin = magic, key text, arch, is_ptx, binary ----
constexpr char kMagic[] = "ember-jit-1";

void write_string(std::ostream& out, const std::string& s) {
  const uint64_t size = s.size();
  out.write(reinterpret_cast<const char*>(&size), sizeof(size));
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}
bool read_string(std::istream& in, std::string& s) {
  uint64_t size = 0;
  if (!in.read(reinterpret_cast<char*>(&size), sizeof(size)) || size > (1ull << 31)) return false;
  s.resize(size);
  return static_cast<bool>(in.read(s.data(), static_cast<std::streamsize>(size)));
}

// A missing, foreign, truncated or colliding file is a miss, never an error.
bool disk_load(const std::string& hash, const std::string& key_text, Binary& binary) {
  const std::string dir = disk_cache_directory();
  if (dir.empty()) return false;
  std::ifstream in(dir + "/" + hash + ".bin", std::ios::binary);
  if (!in) return false;
  std::string magic, key, arch, ptx;
  if (!read_string(in, magic) || magic != kMagic || !read_string(in, key) || key != key_text ||
      !read_string(in, arch) || !read_string(in, ptx) || !read_string(in, binary.data)) {
    return false;
  }
  binary.arch = arch;
  binary.is_ptx = ptx == "1";
  return !binary.data.empty();
}

// Written to a unique temporary name, then renamed: readers never see a partial file, and
// processes racing on one key all write the same bytes. Failures only cost a recompile.
void disk_store(const std::string& hash, const std::string& key_text, const Binary& binary) {
  const std::string dir = disk_cache_directory();
  if (dir.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return;
  thread_local std::mt19937_64 rng(std::random_device{}());
  const std::string final_path = dir + "/" + hash + ".bin";
  const std::string temp_path = detail::concat(final_path, ".tmp.", getpid(), ".", rng());
  {
    std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
    if (!out) return;
    write_string(out, kMagic);
    write_string(out, key_text);
    write_string(out, binary.arch);
    write_string(out, binary.is_ptx ? "1" : "0");
    write_string(out, binary.data);
    if (!out.flush()) {
      out.close();
      std::filesystem::remove(temp_path, error);
      return;
    }
  }
  std::filesystem::rename(temp_path, final_path, error);
  if (error) std::filesystem::remove(temp_path, error);
}

// ---- The in-memory cache ----
class ModuleCache {
 public:
  ModulePtr find(const std::string& map_key, const std::string& key_text) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(map_key);
    if (it == index_.end() || it->second->key_text != key_text) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
    memory_hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second->module;
  }

  // Returns the cached module if another thread inserted the same key meanwhile.
  ModulePtr insert(const std::string& map_key, const std::string& key_text, ModulePtr module) {
    std::vector<ModulePtr> evicted;  // unloaded after the lock is released
    ModulePtr result;
    {
      std::lock_guard lock(mutex_);
      auto it = index_.find(map_key);
      if (it != index_.end() && it->second->key_text == key_text) {
        result = it->second->module;
      } else {
        if (it != index_.end()) {  // a hash collision: the newer key takes the slot
          evicted.push_back(std::move(it->second->module));
          lru_.erase(it->second);
          index_.erase(it);
        }
        lru_.push_front(Entry{map_key, key_text, module});
        index_[map_key] = lru_.begin();
        result = std::move(module);
      }
      evict_locked(evicted);
    }
    return result;
  }

  void set_capacity(size_t capacity) {
    std::vector<ModulePtr> evicted;
    {
      std::lock_guard lock(mutex_);
      capacity_ = capacity;
      evict_locked(evicted);
    }
  }

  void clear_unused() {
    std::vector<ModulePtr> evicted;
    {
      std::lock_guard lock(mutex_);
      const size_t capacity = capacity_;
      capacity_ = 0;
      evict_locked(evicted);
      capacity_ = capacity;
    }
  }

  bool contains(const std::string& map_key) {
    std::lock_guard lock(mutex_);
    return index_.count(map_key) != 0;
  }

  CacheStats stats() {
    std::lock_guard lock(mutex_);
    return CacheStats{lru_.size(),       capacity_,        memory_hits_.load(),
                      disk_hits_.load(), compiles_.load(), evictions_};
  }

  std::atomic<uint64_t> disk_hits_{0};
  std::atomic<uint64_t> compiles_{0};

 private:
  struct Entry {
    std::string map_key;
    std::string key_text;
    ModulePtr module;
  };

  // Least recently used first; skips modules that someone else still holds.
  void evict_locked(std::vector<ModulePtr>& evicted) {
    auto it = lru_.end();
    while (lru_.size() > capacity_ && it != lru_.begin()) {
      --it;
      if (it->module.use_count() != 1) continue;  // in use: in flight or held by a caller
      evicted.push_back(std::move(it->module));
      index_.erase(it->map_key);
      it = lru_.erase(it);
      ++evictions_;
    }
  }

  std::mutex mutex_;
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t capacity_ = 512;
  std::atomic<uint64_t> memory_hits_{0};
  uint64_t evictions_ = 0;
};

ModuleCache& cache() {
  static ModuleCache* instance = new ModuleCache();  // never destroyed: modules may outlive main
  return *instance;
}

ModulePtr load(const std::string& hash, int device, const Binary& binary) {
  CUcontext context = primary_context(device);
  auto loaded = std::make_unique<Module::Loaded>();
  loaded->context = context;
  {
    ContextScope scope(context);
    EMBER_CU_CHECK(driver().cuModuleLoadData(&loaded->module, binary.data.c_str()));
  }
  return std::make_shared<const Module>(hash, device, std::move(loaded));
}

}  // namespace

Module::Module(std::string key, int device, std::unique_ptr<Loaded> loaded)
    : key_(std::move(key)), device_(device), loaded_(std::move(loaded)) {}

Module::~Module() {
  if (!loaded_ || loaded_->module == nullptr) return;
  // A destructor cannot throw: a failure here (the driver shutting down) only leaks.
  if (driver().cuCtxPushCurrent(loaded_->context) != CUDA_SUCCESS) return;
  if (driver().cuModuleUnload(loaded_->module) != CUDA_SUCCESS) loaded_->module = nullptr;
  CUcontext popped = nullptr;
  if (driver().cuCtxPopCurrent(&popped) != CUDA_SUCCESS) popped = nullptr;
}

CUfunc_st* Module::function(const std::string& kernel_name) const {
  std::lock_guard lock(loaded_->mutex);
  auto it = loaded_->functions.find(kernel_name);
  if (it != loaded_->functions.end()) return it->second;
  CUfunction function = nullptr;
  const CUresult result =
      driver().cuModuleGetFunction(&function, loaded_->module, kernel_name.c_str());
  EMBER_CHECK(result != CUDA_ERROR_NOT_FOUND, CompileError, "[jit] module ", key_,
              " has no kernel named '", kernel_name, "'");
  EMBER_CU_CHECK(result);
  loaded_->functions.emplace(kernel_name, function);
  return function;
}

Binary compile(const std::string& name, const std::string& source,
               const std::vector<std::string>& options, const std::string& arch) {
  Program program;
  const std::string file_name = name + ".cu";
  EMBER_NVRTC_CHECK(
      nvrtcCreateProgram(&program.handle, source.c_str(), file_name.c_str(), 0, nullptr, nullptr));
  std::vector<std::string> all = {"--gpu-architecture=" + arch, "-std=c++17"};
  for (auto& option : include_options()) all.push_back(std::move(option));
  all.insert(all.end(), options.begin(), options.end());
  std::vector<const char*> pointers;
  for (const auto& option : all) pointers.push_back(option.c_str());
  const nvrtcResult result =
      nvrtcCompileProgram(program.handle, static_cast<int>(pointers.size()), pointers.data());
  size_t log_size = 0;
  std::string log;
  if (nvrtcGetProgramLogSize(program.handle, &log_size) == NVRTC_SUCCESS && log_size > 1) {
    log.resize(log_size);
    if (nvrtcGetProgramLog(program.handle, log.data()) != NVRTC_SUCCESS) log.clear();
    while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  }
  EMBER_CHECK(result == NVRTC_SUCCESS, CompileError, "[jit] kernel '", name,
              "' failed to compile for ", arch, " (", nvrtcGetErrorString(result),
              "). NVRTC log:\n", log);
  Binary binary;
  binary.arch = arch;
  binary.is_ptx = arch.rfind("compute_", 0) == 0;
  size_t size = 0;
  if (binary.is_ptx) {
    EMBER_NVRTC_CHECK(nvrtcGetPTXSize(program.handle, &size));
    binary.data.resize(size);
    EMBER_NVRTC_CHECK(nvrtcGetPTX(program.handle, binary.data.data()));
  } else {
    EMBER_NVRTC_CHECK(nvrtcGetCUBINSize(program.handle, &size));
    binary.data.resize(size);
    EMBER_NVRTC_CHECK(nvrtcGetCUBIN(program.handle, binary.data.data()));
  }
  return binary;
}

std::string target_arch(int device) {
  static std::mutex mutex;
  static std::unordered_map<int, std::string> targets;
  std::lock_guard lock(mutex);
  if (auto it = targets.find(device); it != targets.end()) return it->second;
  int major = 0, minor = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  const int wanted = major * 10 + minor;
  int count = 0;
  EMBER_NVRTC_CHECK(nvrtcGetNumSupportedArchs(&count));
  std::vector<int> archs(count);
  EMBER_NVRTC_CHECK(nvrtcGetSupportedArchs(archs.data()));
  std::string target;
  if (std::find(archs.begin(), archs.end(), wanted) != archs.end()) {
    target = detail::concat("sm_", wanted);
  } else {
    int best = -1;
    for (int a : archs) {
      if (a <= wanted) best = std::max(best, a);
    }
    EMBER_CHECK(best > 0, NotImplementedError, "[jit] this NVRTC (", nvrtc_version(),
                ") cannot target gpu:", device, " (compute capability ", major, ".", minor, ")");
    target = detail::concat("compute_", best);
  }
  targets.emplace(device, target);
  return target;
}

ModulePtr get_module(const std::string& name, const std::string& source,
                     const std::vector<std::string>& options, int device) {
  if (device < 0) device = current_device();
  const std::string arch = target_arch(device);
  static const std::string version = nvrtc_version();
  std::string key_text = detail::concat(kMagic, "\nnvrtc ", version, "\narch ", arch, "\n");
  for (const auto& option : options) key_text += option + "\n";
  key_text += "--\n" + source;
  const std::string hash = hash_hex(key_text);
  const std::string map_key = detail::concat(hash, "@", device);

  if (ModulePtr module = cache().find(map_key, key_text)) return module;
  Binary binary;
  if (disk_load(hash, key_text, binary)) {
    cache().disk_hits_.fetch_add(1, std::memory_order_relaxed);
  } else {
    binary = compile(name, source, options, arch);
    cache().compiles_.fetch_add(1, std::memory_order_relaxed);
    disk_store(hash, key_text, binary);
  }
  return cache().insert(map_key, key_text, load(hash, device, binary));
}

void launch(const ModulePtr& module, const std::string& kernel_name, std::array<uint32_t, 3> grid,
            std::array<uint32_t, 3> block, size_t shared_memory, void** args) {
  CUfunction function = module->function(kernel_name);
  if (shared_memory > 48 * 1024) {
    EMBER_CU_CHECK(driver().cuFuncSetAttribute(function,
                                               CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                               static_cast<int>(shared_memory)));
  }
  // Held before the launch: once enqueued, the kernel may run until the completion event.
  detail::keep_until_complete(module);
  ContextScope scope(primary_context(module->device()));
  EMBER_CU_CHECK(driver().cuLaunchKernel(function, grid[0], grid[1], grid[2], block[0], block[1],
                                         block[2], static_cast<unsigned>(shared_memory),
                                         reinterpret_cast<CUstream>(current_stream()), args,
                                         nullptr));
}

CacheStats cache_stats() { return cache().stats(); }
void set_cache_capacity(size_t capacity) { cache().set_capacity(capacity); }
bool is_cached(const std::string& key, int device) {
  return cache().contains(detail::concat(key, "@", device));
}
void clear_unused() { cache().clear_unused(); }

std::string disk_cache_directory() {
  static const std::string directory = [] {
    std::string dir = config::env_or("EMBER_CUDA_JIT_CACHE", "");
    if (dir == "off") return std::string();
    if (!dir.empty()) return dir;
    const std::string xdg = config::env_or("XDG_CACHE_HOME", "");
    if (!xdg.empty()) return xdg + "/ember/jit";
    const std::string home = config::env_or("HOME", "");
    return home.empty() ? std::string() : home + "/.cache/ember/jit";
  }();
  return directory;
}

}  // namespace ember::cuda::jit
