// G2 (a small view never pins a large buffer), G4 (exact counters, hard limit) and
// donation (a chain of elementwise ops keeps peak memory flat).
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "ember/core/allocator.h"
#include "ember/core/storage.h"
#include "ember/ember.h"

using namespace ember;

namespace {

constexpr int kRows = 4096, kCols = 4096;  // 64 MiB of float32
constexpr size_t kMiB = size_t{1} << 20;

array big_matrix(double start) {
  return reshape(arange(start, start + double(kRows) * kCols, 1.0, float32), {kRows, kCols});
}

// The float32 that arange stores for start + index.
float stored(double start, int64_t index) { return static_cast<float>(start + double(index)); }

// Restores the memory limit when a test ends.
class MemoryLimit {
 public:
  explicit MemoryLimit(size_t limit) : saved_(set_memory_limit(limit)) {}
  ~MemoryLimit() { set_memory_limit(saved_); }

 private:
  size_t saved_;
};

}  // namespace

TEST(ViewCompaction, ThousandSlicesOfFreshBigArraysDoNotPinThem) {
  const size_t baseline = get_active_memory();
  std::vector<array> kept;
  size_t kept_bytes = 0;
  size_t most = 0;
  for (int i = 0; i < 1000; ++i) {
    const int row = (i * 37) % (kRows - 2);
    // A fresh, owned 64 MiB array (every element written), then a 2-row view of it.
    array x = contiguous(full({kRows, kCols}, static_cast<float>(i)));
    array rows = slice(x, {row, 0}, {row + 2, kCols});
    eval(rows);
    kept.push_back(rows);
    kept_bytes += rows.nbytes();
    x = array(0.0f);  // drop the big array; only the 2-row view remains
    most = std::max(most, get_active_memory() - baseline);
  }
  EXPECT_LT(get_active_memory() - baseline, 2 * kMiB + kept_bytes);
  // During the loop at most one big array (and its compacting copy) is alive at a time.
  EXPECT_LT(most, 64 * kMiB + 2 * kMiB + kept_bytes);
  for (int i : {0, 1, 500, 999}) {
    const float* data = kept[i].data<float>();
    EXPECT_EQ(data[0], float(i));
    EXPECT_EQ(data[2 * kCols - 1], float(i));
    EXPECT_EQ(kept[i].storage()->size(), kept[i].nbytes());  // compacted to its own bytes
  }
}

TEST(ViewCompaction, CompactedViewsKeepTheirValues) {
  for (int i = 0; i < 20; ++i) {
    const int row = (i * 37) % (kRows - 2);
    array x = big_matrix(i);
    array rows = slice(x, {row, 0}, {row + 2, kCols}, {1, 1});
    array strided = slice(x, {row, 1}, {row + 1, kCols}, {1, 3});
    eval(rows, strided);
    x = array(0.0f);
    EXPECT_EQ(rows.storage()->size(), rows.nbytes());
    EXPECT_EQ(rows.data<float>()[0], stored(i, int64_t(row) * kCols));
    EXPECT_EQ(rows.data<float>()[kCols + 5], stored(i, int64_t(row + 1) * kCols + 5));
    // Compaction keeps a view's strides: element 10 sits 10 strides in.
    EXPECT_EQ(strided.strides()[1], 3);
    EXPECT_EQ(strided.data<float>()[10 * 3], stored(i, int64_t(row) * kCols + 1 + 30));
    EXPECT_LE(strided.storage()->size(), size_t(kCols) * sizeof(float));
  }
}

// An empty view reaches no byte of its storage: compaction gives it storage of its own and
// copies nothing. It used to copy one element, which read past the end of an empty buffer
// (ASan, replayed by the fuzz corpus entry fuzz/corpus/npy/empty_fortran_order.npy).
TEST(ViewCompaction, EmptyViewsCompactWithoutReading) {
  array x = big_matrix(0.0);
  array none = slice(x, {5, 0}, {5, kCols});  // shape [0, kCols]
  array none_t = transpose(slice(x, {0, 3}, {kRows, 3}));  // shape [0, kRows]
  eval(none, none_t);
  x = array(0.0f);
  EXPECT_EQ(none.shape(), (Shape{0, kCols}));
  EXPECT_EQ(none_t.shape(), (Shape{0, kRows}));
  EXPECT_LT(none.storage()->size(), size_t{1} << 20);  // no longer the 64 MiB matrix
  EXPECT_LT(none_t.storage()->size(), size_t{1} << 20);
  EXPECT_EQ(sum(none).item<float>(), 0.0f);
  EXPECT_EQ(concatenate({none, zeros({1, kCols})}, 0).shape(), (Shape{1, kCols}));
}

TEST(ViewCompaction, ContiguousOfASmallSliceOwnsOnlyItsBytes) {
  array x = big_matrix(0.0);
  array column = slice(x, {0, 7}, {kRows, 8});  // strided: one element per row
  array owned = contiguous(column);
  eval(owned);
  EXPECT_TRUE(owned.flags().row_contiguous);
  EXPECT_EQ(owned.storage()->size(), owned.nbytes());
  EXPECT_EQ(owned.data<float>()[3], 3.0f * kCols + 7);
  const size_t before_drop = get_active_memory();
  x = array(0.0f);
  column = array(0.0f);
  EXPECT_LT(get_active_memory(), before_drop - 60 * kMiB);
  EXPECT_EQ(owned.data<float>()[kRows - 1], float(kRows - 1) * kCols + 7);
}

TEST(ViewCompaction, LargeViewsKeepSharing) {
  // A view reaching most of its storage is not copied: that would double memory.
  array x = big_matrix(0.0);
  array most_rows = slice(x, {1, 0}, {kRows, kCols});
  eval(most_rows);
  const void* shared = most_rows.storage()->data();
  x = array(0.0f);
  EXPECT_EQ(most_rows.storage()->data(), shared);
  const auto report = memory_report(Device::cpu);
  EXPECT_GE(report.view_only_bytes, 64 * kMiB);
  EXPECT_GE(report.view_reachable_bytes, 63 * kMiB);
  EXPECT_EQ(most_rows.data<float>()[0], float(kCols));
}

TEST(ViewCompaction, ReportSeesViewsBeforeAndOwnersAfter) {
  array x = big_matrix(0.0);
  array small = slice(x, {0, 0}, {1, kCols});
  eval(small);
  auto report = memory_report(Device::cpu);
  EXPECT_GE(report.owned_bytes, 64 * kMiB);
  x = array(0.0f);
  report = memory_report(Device::cpu);
  EXPECT_LT(report.view_only_bytes, 1 * kMiB);
  EXPECT_FALSE(to_string(report).empty());
}

TEST(Donation, ChainOfElementwiseOpsKeepsPeakFlat) {
  constexpr int kElements = 25 * 1024 * 1024;  // 100 MiB of float32
  array x = arange(0.0, double(kElements), 1.0, float32);
  eval(x);
  const size_t array_bytes = x.nbytes();
  const size_t baseline = get_active_memory() - array_bytes;
  reset_peak_memory();
  array y = x;
  x = array(0.0f);
  for (int i = 0; i < 100; ++i) y = (i % 2 == 0) ? y * 2.0f : y * 0.5f + 0.0f;
  eval(y);
  EXPECT_LT(get_peak_memory() - baseline, 3 * array_bytes);
  EXPECT_EQ(y.data<float>()[12345], 12345.0f);
  EXPECT_EQ(y.data<float>()[kElements - 1], float(kElements - 1));
}

TEST(MemoryLimit, AllocationPastTheLimitThrowsAndNothingIsLost) {
  array kept = sum(reshape(arange(1000.0), {10, 100}), 1);
  eval(kept);
  {
    MemoryLimit limit(get_active_memory() + 32 * kMiB);
    array too_big = arange(0.0, 64.0 * 1024 * 1024, 1.0, float32);  // 256 MiB
    try {
      eval(too_big);
      FAIL() << "expected OutOfMemory";
    } catch (const OutOfMemory& e) {
      EXPECT_NE(std::string(e.what()).find("[Arange]"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("memory limit"), std::string::npos) << e.what();
    }
    // Under the limit, work goes on.
    array fits = sum(arange(0.0, 1024.0 * 1024, 1.0, float32));
    const double expected = 1024.0 * 1024 * (1024.0 * 1024 - 1) / 2;
    EXPECT_NEAR(fits.item<float>(), expected, 1e-5 * expected);
  }
  EXPECT_FLOAT_EQ(kept.data<float>()[0], 4950.0f);
  EXPECT_FLOAT_EQ(kept.data<float>()[9], 94950.0f);
  array after = arange(0.0, 64.0 * 1024 * 1024, 1.0, float32);
  EXPECT_NO_THROW(eval(after));
}

TEST(MemoryLimit, ClearCacheReturnsCachedBlocks) {
  { array x = arange(0.0, 1024.0 * 1024, 1.0, float32); eval(x); }
  EXPECT_GE(get_cache_memory(), 4 * kMiB);
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  const size_t previous = set_cache_limit(0);
  { array x = arange(0.0, 1024.0 * 1024, 1.0, float32); eval(x); }
  EXPECT_EQ(get_cache_memory(), 0u);
  set_cache_limit(previous);
}

TEST(Allocator, CountersStayExactUnderRandomizedStress) {
  auto& pool = allocator::allocator(Device::cpu);
  const size_t baseline = pool.active_memory();
  auto worker = [&](unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<allocator::Block> live;
    for (int i = 0; i < 5000; ++i) {
      if (live.empty() || rng() % 3 != 0) {
        live.push_back(pool.malloc(rng() % (3 * 1024 * 1024) + 1));
        static_cast<char*>(live.back().ptr)[0] = 1;  // the memory is usable
      } else {
        const size_t k = rng() % live.size();
        pool.free(live[k]);
        live.erase(live.begin() + static_cast<long>(k));
      }
      // Active memory can never wrap below the baseline (size_t underflow) or pass the peak.
      const size_t active = pool.active_memory();
      ASSERT_GE(active, 0u);
      ASSERT_LT(active, size_t{1} << 40);
      ASSERT_LE(active, pool.peak_memory());
    }
    for (auto& block : live) pool.free(block);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) threads.emplace_back(worker, 1234 + t);
  for (auto& t : threads) t.join();
  EXPECT_EQ(pool.active_memory(), baseline);
}

TEST(Allocator, SingleThreadCountsMatchTheBlocksHandedOut) {
  auto& pool = allocator::allocator(Device::cpu);
  const size_t baseline = pool.active_memory();
  std::mt19937 rng(7);
  std::vector<allocator::Block> live;
  size_t expected = 0;
  for (int i = 0; i < 2000; ++i) {
    if (live.empty() || rng() % 2) {
      live.push_back(pool.malloc(rng() % 100000));
      EXPECT_GE(live.back().size, 1u);
      expected += live.back().size;
    } else {
      expected -= live.back().size;
      pool.free(live.back());
      live.pop_back();
    }
    ASSERT_EQ(pool.active_memory() - baseline, expected);
  }
  for (auto& b : live) pool.free(b);
  EXPECT_EQ(pool.active_memory(), baseline);
}

#ifndef NDEBUG
TEST(Allocator, DebugBuildsRejectAFreeOfABlockThatIsNotLive) {
  auto& pool = allocator::allocator(Device::cpu);
  auto block = pool.malloc(128);
  pool.free(block);
  EXPECT_THROW(pool.free(block), RuntimeError);
  int local = 0;
  EXPECT_THROW(pool.free({&local, 64}), RuntimeError);
}
#endif
