// G5: threads are first-class. Per-thread default streams, streams shared across threads,
// arrays built in one thread and evaluated in another, and a clear error for a device that
// does not exist. Runs under ThreadSanitizer in CI.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <random>
#include <set>
#include <thread>

#include "ember/core/spin_wait.h"
#include "ember/ember.h"

using namespace ember;

namespace {

std::vector<float> random_values(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(n);
  for (auto& v : values) v = dist(rng);
  return values;
}

// The per-thread workload: y = sum(exp(a @ b) * 0.5, axis 1), checked against plain loops.
bool run_workload(unsigned seed, StreamOrDevice s = {}) {
  const int m = 8, k = 16, n = 12;
  auto av = random_values(m * k, seed), bv = random_values(k * n, seed + 1000);
  array a(av.begin(), {m, k});
  array b(bv.begin(), {k, n});
  array y = sum(exp(matmul(a, b, s), s) * 0.5f, 1, false, s);
  eval(y);
  const float* out = y.data<float>();
  for (int i = 0; i < m; ++i) {
    double expected = 0;
    for (int j = 0; j < n; ++j) {
      double dot = 0;
      for (int p = 0; p < k; ++p) dot += double(av[i * k + p]) * bv[p * n + j];
      expected += std::exp(dot) * 0.5;
    }
    if (std::abs(out[i] - expected) > 1e-4 * std::max(1.0, std::abs(expected))) return false;
  }
  return true;
}

}  // namespace

TEST(Threads, SixteenThreadsEvaluateTheirOwnGraphsOnTheirOwnStreams) {
  constexpr int kThreads = 16;
  std::atomic<int> correct{0};
  std::vector<int> stream_index(kThreads);
  std::vector<std::thread> threads;
  // All threads hold their default streams at once (a thread that exits early hands its
  // stream on to the next new thread, by design).
  std::latch all_started(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Stream mine = default_stream(Device::cpu);
      stream_index[t] = mine.index;
      all_started.arrive_and_wait();
      bool ok = default_stream(Device::cpu) == mine;  // stable within a thread
      for (int round = 0; round < 20; ++round) ok = ok && run_workload(100 * t + round);
      if (ok) correct++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(correct.load(), kThreads);
  EXPECT_EQ(std::set<int>(stream_index.begin(), stream_index.end()).size(), size_t(kThreads));
}

TEST(Threads, AStreamCreatedInOneThreadIsUsedInAnother) {
  Stream shared = new_stream(Device::cpu);
  bool ok = false;
  std::thread user([&] { ok = run_workload(42, shared); });
  user.join();
  EXPECT_TRUE(ok);
  EXPECT_NO_THROW(synchronize(shared));
}

TEST(Threads, ManyThreadsSubmitToOneStream) {
  Stream shared = new_stream(Device::cpu);
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      bool ok = true;
      for (int round = 0; round < 10; ++round) ok = ok && run_workload(7 * t + round, shared);
      if (ok) correct++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(correct.load(), 8);
}

TEST(Threads, ArraysBuiltInOneThreadAreEvaluatedInAnother) {
  array lazy = sum(exp(arange(10.0) * 0.1f));
  double expected = 0;
  for (int i = 0; i < 10; ++i) expected += std::exp(0.1 * i);
  float result = 0;
  std::thread other([&] { result = lazy.item<float>(); });
  other.join();
  EXPECT_NEAR(result, expected, 1e-4);
}

TEST(Threads, ManyThreadsEvaluateOneSharedLazyGraph) {
  array base = arange(0.0, 4096.0, 1.0);
  array shared = sum(exp(base * 0.001f) + base);
  double expected = 0;
  for (int i = 0; i < 4096; ++i) expected += std::exp(0.001 * i) + i;
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      array mine = shared;
      eval(mine);
      if (std::abs(mine.item<float>() - expected) < 1e-3 * expected) correct++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(correct.load(), 16);
}

TEST(Threads, CrossStreamDependencies) {
  Stream s1 = new_stream(Device::cpu);
  Stream s2 = new_stream(Device::cpu);
  array a = arange(100.0, s1) * 2.0f;
  array b = sum(a, s2);
  array c = add(a, b, s1);
  eval(c);
  EXPECT_FLOAT_EQ(b.item<float>(), 9900.0f);
  EXPECT_FLOAT_EQ(c.data<float>()[3], 9906.0f);
}

TEST(Threads, SetDefaultStreamIsPerThread) {
  Stream mine = new_stream(Device::cpu);
  const Stream before = default_stream(Device::cpu);
  set_default_stream(mine);
  EXPECT_EQ(default_stream(Device::cpu), mine);
  Stream other_default = mine;
  std::thread other([&] { other_default = default_stream(Device::cpu); });
  other.join();
  EXPECT_NE(other_default, mine);
  set_default_stream(before);
}

TEST(Threads, DefaultStreamsOfExitedThreadsAreRecycled) {
  // A server that starts and ends threads must not grow the stream table without bound.
  const int before = new_stream(Device::cpu).index;
  for (int i = 0; i < 200; ++i) {
    std::thread([i] { EXPECT_TRUE(run_workload(i)); }).join();
  }
  const int after = new_stream(Device::cpu).index;
  EXPECT_LE(after - before, 2);
}

TEST(Threads, InvalidDeviceFailsClearlyAtFirstUse) {
  const Device missing(Device::gpu, 7);  // constructing it is fine
  try {
    zeros({2}, float32, missing);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("gpu:7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not available"), std::string::npos) << e.what();
  }
  EXPECT_THROW(new_stream(Device(Device::cpu, 1)), ValueError);
  EXPECT_THROW(set_default_device(missing), ValueError);
  EXPECT_FALSE(is_available(missing));
  EXPECT_TRUE(is_available(Device(Device::cpu)));
}

// core/spin_wait.h: the bounded poll that host waits run before they sleep.
TEST(SpinWait, ReportsReadinessAndGivesUpWhenNothingComes) {
  EXPECT_TRUE(detail::spin_until([] { return true; }));
  int polls = 0;
  // Never ready: returns false once the bound (EMBER_SPIN_WAIT_US) has passed, having
  // polled more than once unless the bound is 0.
  EXPECT_FALSE(detail::spin_until([&] { return ++polls < 0; }));
  if (config::spin_wait_microseconds() > 0) {
    EXPECT_GT(polls, 1);
  }

  // Made ready by another thread: the first poll after the store sees it.
  std::atomic<bool> flag{false};
  std::thread setter([&] { flag.store(true, std::memory_order_release); });
  while (!detail::spin_until([&] { return flag.load(std::memory_order_acquire); })) {
  }
  EXPECT_TRUE(flag.load());
  setter.join();
}
