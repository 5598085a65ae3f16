// The one registry of environment variables ember reads (CONVENTIONS.md: no behaviour
// hidden in environment variables without one documented registry). docs/environment.md
// lists the same table; `ember doctor` prints the values in force.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace ember::config {

struct EnvironmentVariable {
  const char* name;
  const char* default_value;
  const char* description;
};

/// Every variable ember reads, with its default and meaning.
std::span<const EnvironmentVariable> environment_variables();

/// EMBER_MAX_GRAPH_DEPTH: the initial graph-depth guard (G3); 0 turns it off.
int64_t max_graph_depth_from_environment();
/// EMBER_POISON_FREED: fill freed blocks with 0xFF so use-after-free shows up as NaN (G1).
bool poison_freed_memory();
/// EMBER_SPIN_WAIT_US: how long host waits poll before they sleep (core/spin_wait.h), read
/// once; a malformed value is a ValueError at the first call.
int64_t spin_wait_microseconds();
/// EMBER_DELTA_CHUNK: the chunk length of the gated delta rule's chunked form on the GPU
/// (fast/delta_chunked.h), read once; 0 keeps the step-by-step kernel for every length. A
/// malformed or negative value is a ValueError at the first call.
int64_t delta_rule_chunk();
/// EMBER_CPU_ALLOCATOR_LIMIT: optional hard memory limit of the CPU in bytes.
int64_t cpu_memory_limit_from_environment();

/// The value of `name` in the environment, or `fallback`.
std::string env_or(const char* name, const std::string& fallback);

}  // namespace ember::config
