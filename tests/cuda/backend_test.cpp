// The CUDA runtime: devices and the default device, streams and the completion protocol
// (Note [GPU completion]), host reads through staging copies, errors (G6), threads (G5),
// the hard memory limit (G4) and in-flight buffers surviving dropped handles (G1).
#include <atomic>
#include <thread>

#include "ember/core/allocator.h"
#include "tests/cuda/cuda_test_util.h"

using namespace ember;
using namespace ember::test;

namespace {

TEST(CudaDevice, CountAndDefault) {
  EMBER_REQUIRE_GPU();
  EXPECT_GT(device_count(Device::gpu), 0);
  EXPECT_EQ(default_device(), kGpu);  // as in MLX: the GPU when one is present
  EXPECT_TRUE(is_available(kGpu));
  EXPECT_THROW(new_stream(Device(Device::gpu, 4096)), ValueError);
}

TEST(CudaStreams, ChainOnOneStreamAndAcrossStreams) {
  EMBER_REQUIRE_GPU();
  array x = random_array({1 << 16}, float32, 1);
  Stream s1 = new_stream(kGpu), s2 = new_stream(kGpu);
  // Later GPU ops launch without waiting for earlier ones; the cross-stream input is a
  // device-side event wait.
  array y = x;
  for (int i = 0; i < 50; ++i) y = add(multiply(y, array(0.5f), s1), array(1.0f), s1);
  array z = multiply(y, array(2.0f), s2);
  array expected = x;
  for (int i = 0; i < 50; ++i) expected = add(multiply(expected, array(0.5f), kCpu), array(1.0f), kCpu);
  expected = multiply(expected, array(2.0f), kCpu);
  expect_same(expected, z, "chain across streams", tolerance_for(float32));
  synchronize(s1);
  synchronize(s2);
}

TEST(CudaStreams, HostReadsStageACopy) {
  EMBER_REQUIRE_GPU();
  array a = arange(0.0, 12.0, 1.0, float32, kGpu);
  array t = transpose(reshape(a, {3, 4}, kGpu), kGpu);  // a strided view on the GPU
  t.eval();
  const float* p = t.data<float>();
  // Element (i, j) of the transpose is a[j * 4 + i], at p[i * stride0 + j * stride1].
  EXPECT_EQ(p[1 * t.strides()[0] + 2 * t.strides()[1]], 9.0f);
  EXPECT_EQ(multiply(a, array(3.0f), kGpu).data<float>()[5], 15.0f);
  EXPECT_EQ(add(array(2.5f), array(1.0f), kGpu).item<float>(), 3.5f);
}

TEST(CudaErrors, CpuOnlyOpOnGpuThrowsNamedError) {
  EMBER_REQUIRE_GPU();
  // Every primitive has a CUDA kernel now; the LAPACK factorizations stay CPU-only, as in
  // MLX, and refuse a GPU stream when the graph is built.
  array a = random::normal({3, 3}, float32, 0.0f, 1.0f, random::key(2), kCpu);
  try {
    linalg::inv(a, kGpu);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("runs on the CPU only"), std::string::npos) << e.what();
  }
  // The GPU stream is healthy afterwards.
  EXPECT_EQ(add(array(1.0f), array(2.0f), kGpu).item<float>(), 3.0f);
}

TEST(CudaErrors, CpuOnlyDtypeThrowsNamedError) {
  EMBER_REQUIRE_GPU();
  array x(1.5, float64);
  EXPECT_THROW(exp(x, kGpu).eval(), NotImplementedError);
  EXPECT_EQ(exp(array(0.0f), kGpu).item<float>(), 1.0f);
}

TEST(CudaThreads, SixteenThreadsOwnDefaultStreams) {
  EMBER_REQUIRE_GPU();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([t, &failures] {
      const int n = 64;
      array a = random_array({n, n}, float32, 100 + t, -1.0f, 1.0f);
      array b = random_array({n, n}, float32, 200 + t, -1.0f, 1.0f);
      for (int round = 0; round < 20; ++round) {
        // Default stream of this thread on the default device (the GPU).
        array y = add(matmul(a, b), multiply(a, array(static_cast<float>(t))));
        array expected = add(matmul(a, b, kCpu), multiply(a, array(static_cast<float>(t)), kCpu), kCpu);
        const auto got = host_values(y), want = host_values(expected);
        for (size_t i = 0; i < got.size(); ++i) {
          if (std::abs(got[i] - want[i]) > 1e-3 + 1e-3 * std::abs(want[i])) {
            failures++;
            return;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(CudaMemory, OutOfMemoryPastTheLimitThenRecovers) {
  EMBER_REQUIRE_GPU();
  auto& pool = allocator::allocator(kGpu);
  synchronize(default_stream(kGpu));
  pool.clear_cache();
  const size_t limit = pool.active_memory() + (size_t{64} << 20);
  const size_t previous = pool.set_memory_limit(limit);
  array big = random_array({1}, float32, 3);
  array too_big = multiply(broadcast_to(big, {32 << 20}, kGpu), array(2.0f), kGpu);  // 128 MiB
  EXPECT_THROW(too_big.eval(), OutOfMemory);
  array fits = multiply(broadcast_to(big, {1 << 20}, kGpu), array(2.0f), kGpu);  // 4 MiB
  EXPECT_NO_THROW(fits.eval());
  EXPECT_EQ(fits.data<float>()[12345], 2.0f * big.data<float>()[0]);
  pool.set_memory_limit(previous);
  EXPECT_LE(pool.active_memory(), pool.peak_memory());
}

TEST(CudaMemory, DroppedAsyncOutputsWhileOtherStreamsAllocate) {
  EMBER_REQUIRE_GPU();
  auto& pool = allocator::allocator(kGpu);
  pool.set_poison_freed(true);  // a use-after-free would read 0xFF bytes: NaN
  Stream work = new_stream(kGpu), pressure = new_stream(kGpu);
  array x = random_array({1 << 18}, float32, 4, -1.0f, 1.0f);
  std::atomic<bool> stop{false};
  std::thread allocator_thread([&] {
    for (int i = 0; i < 200 && !stop; ++i) {
      array junk = multiply(broadcast_to(array(1.0f), {1 << 20}, pressure), array(3.0f), pressure);
      junk.eval();
    }
  });
  for (int round = 0; round < 100; ++round) {
    {
      // Handles dropped at once: the work in flight must keep its buffers (G1).
      array a = exp(x, work);
      array b = add(multiply(a, a, work), array(1.0f), work);
      async_eval({b});
    }
    array c = add(multiply(exp(x, work), array(2.0f), work), array(1.0f), work);
    if (round % 10 == 0) {
      array expected = add(multiply(exp(x, kCpu), array(2.0f), kCpu), array(1.0f), kCpu);
      expect_same(expected, c, "round " + std::to_string(round), tolerance_for(float32));
    }
  }
  stop = true;
  allocator_thread.join();
  synchronize(work);
  synchronize(pressure);
  pool.set_poison_freed(false);
}

// A GPU task's buffers go back to the pool only at its completion (G1), so a launcher far
// ahead of the GPU holds every intermediate it has launched. The launcher stops once the
// outputs in flight reach 2 GiB (executor.cpp, kMaxInFlightBytes): a chain of 16 ops on a
// 512 MiB array, intermediates dropped as it is built, must not hold all 16 (8 GiB).
TEST(CudaMemory, LauncherRunAheadIsBoundedInBytes) {
  EMBER_REQUIRE_GPU();
  auto& pool = allocator::allocator(kGpu);
  Stream s = new_stream(kGpu);
  const int n = 128 << 20;  // 512 MiB of float32
  array x = random::uniform({n}, float32, std::nullopt, s);
  array one = full({1}, 1.0f, float32, s);
  eval({x, one});
  synchronize(s);
  const size_t before = pool.active_memory();
  pool.reset_peak_memory();
  array y = x;
  for (int i = 0; i < 16; ++i) y = add(y, one, s);
  y.eval();
  const size_t extra = pool.peak_memory() - before;
  EXPECT_LE(extra, size_t{3} << 30) << "peak " << (extra >> 20) << " MiB above the inputs";
  // And the chain computed the right thing (the same float32 additions on the CPU).
  array head = slice(x, {0}, {4096}, kCpu);
  array expected = head;
  for (int i = 0; i < 16; ++i) expected = add(expected, array(1.0f), kCpu);
  expect_same(expected, slice(y, {0}, {4096}, kCpu), "chain of 16 adds", {0.0, 0.0});
  synchronize(s);
}

// Note [View compaction] on a GPU: a small view of a big buffer whose writes are still in
// flight (here the staged upload of a host array, queued behind a long matmul on the same
// stream) may be compacted only once its node is complete; copying it earlier reads the
// buffer before the data lands.
TEST(CudaMemory, ViewIsCompactedOnlyAfterTheWritesItSeesComplete) {
  EMBER_REQUIRE_GPU();
  auto& pool = allocator::allocator(kGpu);
  pool.set_poison_freed(true);
  Stream s = new_stream(kGpu);
  for (int round = 0; round < 5; ++round) {
    array a = random_array({4096, 4096}, float32, 20 + round, -1.0f, 1.0f);
    array busy = matmul(matmul(a, a, s), a, s);  // milliseconds of work ahead of the upload
    array host = random_array({1024, 1024}, float32, 30 + round);
    array view = slice(host, {5, 0}, {7, 1024}, s);  // reaches 1/512 of the staged buffer
    async_eval({busy, view});
    expect_same(slice(host, {5, 0}, {7, 1024}, kCpu), view, "round " + std::to_string(round),
                {0.0, 0.0});
    busy.eval();
  }
  synchronize(s);
  pool.set_poison_freed(false);
}

}  // namespace
