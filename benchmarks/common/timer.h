// The shared benchmark timer: warm up, then the median of many timed runs.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace ember::bench {

/// Median seconds per call of `f` over `runs` timed calls, after `warmup` untimed ones.
inline double median_seconds(const std::function<void()>& f, int runs = 15, int warmup = 3) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

}  // namespace ember::bench
