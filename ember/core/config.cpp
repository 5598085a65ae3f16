#include "ember/core/config.h"

#include <cstdlib>

#include "ember/core/errors.h"

namespace ember::config {
namespace {

constexpr EnvironmentVariable kVariables[] = {
    {"EMBER_MAX_GRAPH_DEPTH", "10000",
     "Unevaluated depth at which building an op first evaluates its inputs (G3); 0 = off."},
    {"EMBER_POISON_FREED", "0",
     "1 = fill freed device blocks with 0xFF bytes, so reads of freed memory give NaN (G1)."},
    {"EMBER_CUDA_TF32", "0",
     "1 = float32 matmul on CUDA may use TF32 tensor cores (faster, ~10-bit mantissa inputs)."},
    {"EMBER_CUDA_BLOCKING_SYNC", "0",
     "1 = a GPU stream's completion worker sleeps while it waits for the device instead of "
     "spinning (saves a core, costs launch time)."},
    {"EMBER_CUDA_PROFILE", "unset",
     "set = print each primitive's launcher host time on GPU streams at exit (stderr)."},
    {"EMBER_CUDA_PDL", "1",
     "0 = launch the decode GEMV plainly, not as a programmatic dependent of the kernel ahead "
     "(backend/cuda/device/dependent_launch.cuh)."},
    {"EMBER_CUDA_SOFTMAX", "pipelined",
     "Kernel for softmax rows of more than 1024 elements: resident, pipelined, cluster or "
     "cluster128 (backend/cuda/softmax_rows.cu)."},
    {"EMBER_CUDA_JIT_CACHE", "~/.cache/ember/jit",
     "Directory of compiled NVRTC kernels (fast::cuda_kernel, JIT); 'off' = no disk cache."},
    {"EMBER_SPIN_WAIT_US", "2000",
     "Microseconds a host wait (eval on a GPU result, a GPU stream's launcher and completion "
     "worker between tasks) polls, yielding the core, before it sleeps; 0 = sleep at once "
     "(core/spin_wait.h)."},
    {"EMBER_DELTA_CHUNK", "128",
     "Chunk length of the gated delta rule's chunked form, which the GPU runs for sequences "
     "of at least 256 steps (prefill; fast/delta_chunked.h); 0 = the step-by-step kernel "
     "for every length."},
    {"EMBER_CPU_MEMORY_LIMIT", "physical memory",
     "Initial hard limit in bytes on active CPU memory (G4); set_memory_limit overrides it."},
};

int64_t parse_int(const char* name, const char* text) {
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  EMBER_CHECK(end != text && *end == '\0' && value >= 0, ValueError, "[config] ", name,
              "='", text, "' is not a non-negative integer");
  return value;
}

}  // namespace

std::span<const EnvironmentVariable> environment_variables() { return kVariables; }

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : fallback;
}

int64_t max_graph_depth_from_environment() {
  const char* value = std::getenv("EMBER_MAX_GRAPH_DEPTH");
  return value ? parse_int("EMBER_MAX_GRAPH_DEPTH", value) : 10000;
}

bool poison_freed_memory() {
  const char* value = std::getenv("EMBER_POISON_FREED");
  return value && parse_int("EMBER_POISON_FREED", value) != 0;
}

int64_t spin_wait_microseconds() {
  static const int64_t bound = [] {
    const char* value = std::getenv("EMBER_SPIN_WAIT_US");
    return value ? parse_int("EMBER_SPIN_WAIT_US", value) : 2000;
  }();
  return bound;
}

int64_t delta_rule_chunk() {
  static const int64_t chunk = [] {
    const char* value = std::getenv("EMBER_DELTA_CHUNK");
    const int64_t parsed = value ? parse_int("EMBER_DELTA_CHUNK", value) : 128;
    EMBER_CHECK(parsed <= 4096, ValueError, "[config] ",
                "EMBER_DELTA_CHUNK must be 0 (off) or a chunk length up to 4096, got ", parsed);
    return parsed;
  }();
  return chunk;
}

int64_t cpu_memory_limit_from_environment() {
  const char* value = std::getenv("EMBER_CPU_MEMORY_LIMIT");
  return value ? parse_int("EMBER_CPU_MEMORY_LIMIT", value) : -1;
}

}  // namespace ember::config
