// Waiting without a sleep first: a thread that blocks on a futex or condition variable
// pays the kernel's wake-up latency when the event comes (tens of microseconds once its
// core has gone idle). Host waits on results that usually come soon (eval's wait for the
// GPU, a stream worker's wait for its next task) first spin for a bounded time, yielding
// the core to any other runnable thread, and only then block. EMBER_SPIN_WAIT_US sets the
// bound (config::spin_wait_microseconds); 0 blocks at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "ember/core/config.h"

namespace ember::detail {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Polls `ready()` until it is true (returns true) or the spin bound has passed (returns
/// false; the caller then blocks as usual).
template <class Ready>
bool spin_until(Ready&& ready) {
  if (ready()) return true;
  const int64_t bound = config::spin_wait_microseconds();
  if (bound == 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(bound);
  for (uint32_t polls = 1;; ++polls) {
    if (ready()) return true;
    if (polls % 64 == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::yield();
    } else {
      cpu_relax();
    }
  }
}

}  // namespace ember::detail
