// CPU vs GPU for the indexing family (take, gather, take_along_axis, scatter and its
// combining forms, put_along_axis, scatter_add_axis, static and dynamic slice updates,
// dynamic slices), the sort family (sort, argsort, partition, argpartition, topk) and the
// scans. Shapes include 0-d and empty ones, non-contiguous inputs (views made on the
// device), negative and broadcast indices; out-of-range indices must fail with the CPU's
// IndexError on both.
#include <functional>
#include <string>

#include "tests/cuda/cuda_test_util.h"

using namespace ember;
using namespace ember::test;

namespace {

const std::vector<Dtype> kDataTypes = {float32, float16, bfloat16, int32, int64,
                                       uint8,   int8,    uint32,   bool_};
const std::vector<Dtype> kIndexTypes = {int32, int64, uint8, int16, uint32};

// Runs fn on the CPU and on the GPU from the same host inputs; results must match exactly
// (data movement) or within the dtype's tolerance (combining forms).
void compare(const std::string& what, const std::function<array(StreamOrDevice)>& fn,
             bool exact = true) {
  array cpu = fn(kCpu);
  array gpu = fn(kGpu);
  const Tolerance tol = exact ? Tolerance{0.0, 0.0} : tolerance_for(cpu.dtype());
  expect_same(cpu, gpu, what, tol);
}

// A host array of `shape` from `data` (row-major), converted to `dtype`.
template <class T>
array values(const std::vector<T>& data, const Shape& shape, Dtype dtype) {
  return array(data.begin(), shape, dtype);
}

std::string label(const char* op, Dtype dtype, const Shape& shape) {
  std::string s = std::string(op) + " " + std::string(dtype_name(dtype)) + " (";
  for (auto d : shape) s += std::to_string(d) + ",";
  return s + ")";
}

// Both backends must fail with IndexError and the same message.
void expect_same_index_error(const std::string& what,
                             const std::function<array(StreamOrDevice)>& fn) {
  std::string cpu_message, gpu_message;
  try {
    fn(kCpu).eval();
  } catch (const IndexError& e) {
    cpu_message = e.what();
  }
  try {
    fn(kGpu).eval();
  } catch (const IndexError& e) {
    gpu_message = e.what();
  }
  EXPECT_FALSE(cpu_message.empty()) << what << ": the CPU did not throw IndexError";
  EXPECT_EQ(cpu_message, gpu_message) << what;
}

TEST(CudaIndexing, Take) {
  EMBER_REQUIRE_GPU();
  const array indices = values(std::vector<int32_t>{0, -1, 3, 2, -4, 1}, Shape{2, 3}, int32);
  for (Dtype dtype : kDataTypes) {
    const array a = random_array({4, 5, 3}, dtype, 1);
    for (int axis = 0; axis < 3; ++axis) {
      const array idx = remainder(indices, array(static_cast<int32_t>(a.shape()[axis])), kCpu);
      compare(label("take", dtype, a.shape()) + " axis " + std::to_string(axis),
              [&](StreamOrDevice s) { return take(a, idx, axis, s); });
    }
    compare(label("take flat", dtype, a.shape()),
            [&](StreamOrDevice s) { return take(a, indices, s); });
    compare(label("take 0-d index", dtype, a.shape()),
            [&](StreamOrDevice s) { return take(a, -2, 1, s); });
    compare(label("take empty", dtype, a.shape()), [&](StreamOrDevice s) {
      return take(a, values(std::vector<int32_t>{}, Shape{0}, int32), 0, s);
    });
    compare(label("take transposed", dtype, a.shape()), [&](StreamOrDevice s) {
      return take(transpose(a, {2, 0, 1}, s), astype(indices, int64, s), 2, s);
    });
    compare(label("take 0-d array", dtype, {}), [&](StreamOrDevice s) {
      return take(random_array({}, dtype, 2), values(std::vector<int32_t>{0, 0}, Shape{2}, int32),
                  s);
    });
  }
  for (Dtype index_dtype : kIndexTypes) {
    const array a = random_array({9, 4}, float32, 3);
    const array idx = astype(values(std::vector<int32_t>{8, 0, 5, 5}, Shape{4}, int32), index_dtype);
    compare(label("take index", index_dtype, {4}),
            [&](StreamOrDevice s) { return take(a, idx, 0, s); });
  }
}

TEST(CudaIndexing, Gather) {
  EMBER_REQUIRE_GPU();
  const array a = random_array({6, 7, 5}, float32, 4);
  // Two index arrays that broadcast to (3, 4), windows of (2, 3, 5).
  const array rows = values(std::vector<int32_t>{0, -2, 3}, Shape{3, 1}, int32);
  const array cols = values(std::vector<int64_t>{-3, 0, 1, 4}, Shape{1, 4}, int64);
  for (Dtype dtype : kDataTypes) {
    const array x = astype(a, dtype, kCpu);
    compare(label("gather", dtype, x.shape()), [&](StreamOrDevice s) {
      return gather(x, {rows, cols}, {0, 1}, {2, 3, 5}, s);
    });
    compare(label("gather strided", dtype, x.shape()), [&](StreamOrDevice s) {
      return gather(transpose(x, {1, 0, 2}, s), {cols, rows}, {0, 1}, {1, 2, 2}, s);
    });
  }
  compare("gather no index arrays",
          [&](StreamOrDevice s) { return gather(a, std::vector<array>{}, {}, {2, 2, 2}, s); });
}

TEST(CudaIndexing, TakeAlongAxis) {
  EMBER_REQUIRE_GPU();
  for (Dtype dtype : kDataTypes) {
    const array a = random_array({4, 6}, dtype, 5);
    const array idx = values(std::vector<int32_t>{0, -1, 2, 5, 3, -6, 1, 1, 0, 4, -2, 3}, Shape{4, 3},
                    int32);
    compare(label("take_along_axis 1", dtype, a.shape()),
            [&](StreamOrDevice s) { return take_along_axis(a, idx, 1, s); });
    // Along axis 0: (2, 6) indices into 4 rows.
    const array idx0 = reshape(remainder(concatenate({idx, idx}, 0, kCpu), array(4), kCpu),
                               {4, 6}, kCpu);
    compare(label("take_along_axis 0", dtype, a.shape()), [&](StreamOrDevice s) {
      return take_along_axis(a, slice(idx0, {0, 0}, {2, 6}, s), 0, s);
    });
    // a broadcasts on the other axes; transposed a is non-contiguous.
    compare(label("take_along_axis broadcast", dtype, a.shape()), [&](StreamOrDevice s) {
      return take_along_axis(slice(a, {1, 0}, {2, 6}, s), idx, 1, s);
    });
    compare(label("take_along_axis transposed", dtype, a.shape()), [&](StreamOrDevice s) {
      return take_along_axis(transpose(a, s), reshape(idx0, {6, 4}, s), 1, s);
    });
  }
}

TEST(CudaIndexing, ScatterForms) {
  EMBER_REQUIRE_GPU();
  // Unique positions for plain scatter (repeats keep an arbitrary update on the GPU).
  const array unique = values(std::vector<int32_t>{3, -1, 0}, Shape{3}, int32);
  const array repeated = values(std::vector<int32_t>{1, 1, -4, 2, 1, 0}, Shape{6}, int32);
  for (Dtype dtype : kDataTypes) {
    const array a = random_array({5, 4}, dtype, 6);
    const array updates3 = random_array({3, 1, 4}, dtype, 7);
    const array updates6 = random_array({6, 1, 4}, dtype, 8);
    compare(label("scatter", dtype, a.shape()),
            [&](StreamOrDevice s) { return scatter(a, unique, updates3, 0, s); });
    compare(label("scatter transposed updates", dtype, a.shape()), [&](StreamOrDevice s) {
      const array u = transpose(random_array({4, 1, 3}, dtype, 9), {2, 1, 0}, s);
      return scatter(a, unique, u, 0, s);
    });
    const bool exact = dtype != float32 && dtype != float16 && dtype != bfloat16;
    compare(label("scatter_add", dtype, a.shape()),
            [&](StreamOrDevice s) { return scatter_add(a, repeated, updates6, 0, s); }, exact);
    compare(label("scatter_prod", dtype, a.shape()),
            [&](StreamOrDevice s) { return scatter_prod(a, repeated, updates6, 0, s); }, exact);
    compare(label("scatter_max", dtype, a.shape()),
            [&](StreamOrDevice s) { return scatter_max(a, repeated, updates6, 0, s); });
    compare(label("scatter_min", dtype, a.shape()),
            [&](StreamOrDevice s) { return scatter_min(a, repeated, updates6, 0, s); });
  }
  // Two axes, index arrays broadcast, a window smaller than the axis.
  const array a = random_array({6, 5, 3}, float32, 10);
  const array rows = values(std::vector<int32_t>{0, 4}, Shape{2, 1}, int32);
  const array cols = values(std::vector<int32_t>{-2, 1, 2}, Shape{1, 3}, int32);
  compare("scatter_add two axes", [&](StreamOrDevice s) {
    return scatter_add(a, {rows, cols}, random_array({2, 3, 2, 1, 3}, float32, 11), {0, 1}, s);
  }, false);
  // NaN wins scatter_max and scatter_min, as on the CPU.
  const float nan = std::nanf("");
  const array with_nan = values(std::vector<float>{1, nan, 3, 4}, Shape{4, 1}, float32);
  compare("scatter_max NaN", [&](StreamOrDevice s) {
    return scatter_max(zeros({2, 1}, float32, s),
                       values(std::vector<int32_t>{0, 0, 1, 1}, Shape{4}, int32),
                       reshape(with_nan, {4, 1, 1}, s), 0, s);
  });
  // Empty updates.
  compare("scatter empty", [&](StreamOrDevice s) {
    return scatter_add(a, values(std::vector<int32_t>{}, Shape{0}, int32),
                       zeros({0, 1, 5, 3}, float32, s), 0, s);
  });
}

TEST(CudaIndexing, ScatterAxis) {
  EMBER_REQUIRE_GPU();
  const array idx = values(std::vector<int32_t>{0, -1, 2, 3, 1, -4}, Shape{3, 2}, int32);
  const array repeated = values(std::vector<int32_t>{0, 0, 2, 2, 1, 1}, Shape{3, 2}, int32);
  for (Dtype dtype : kDataTypes) {
    const array a = random_array({3, 4}, dtype, 12);
    const array values = random_array({3, 2}, dtype, 13);
    compare(label("put_along_axis", dtype, a.shape()),
            [&](StreamOrDevice s) { return put_along_axis(a, idx, values, 1, s); });
    const bool exact = dtype != float32 && dtype != float16 && dtype != bfloat16;
    compare(label("scatter_add_axis", dtype, a.shape()), [&](StreamOrDevice s) {
      return scatter_add_axis(a, repeated, values, 1, s);
    }, exact);
    compare(label("scatter_add_axis broadcast values", dtype, a.shape()), [&](StreamOrDevice s) {
      return scatter_add_axis(transpose(random_array({4, 3}, dtype, 14), s), repeated,
                              random_array({}, dtype, 15), 1, s);
    }, exact);
  }
}

TEST(CudaIndexing, SliceUpdates) {
  EMBER_REQUIRE_GPU();
  for (Dtype dtype : kDataTypes) {
    const array src = random_array({6, 8}, dtype, 16);
    const array update = random_array({3, 2}, dtype, 17);
    compare(label("slice_update", dtype, src.shape()),
            [&](StreamOrDevice s) { return slice_update(src, update, {1, 2}, {4, 4}, s); });
    compare(label("slice_update strided", dtype, src.shape()), [&](StreamOrDevice s) {
      return slice_update(src, update, {0, 1}, {6, 5}, {2, 2}, s);
    });
    compare(label("slice_update broadcast", dtype, src.shape()), [&](StreamOrDevice s) {
      return slice_update(transpose(random_array({8, 6}, dtype, 18), s),
                          random_array({}, dtype, 19), {2, 0}, {5, 8}, s);
    });
    for (int start : {0, 3, -2, 7, -20, 100}) {
      const array start_array = values(std::vector<int32_t>{start}, Shape{1}, int32);
      compare(label("dynamic slice_update", dtype, src.shape()) + " at " + std::to_string(start),
              [&](StreamOrDevice s) { return slice_update(src, update, start_array, {0}, s); });
      compare(label("dynamic slice", dtype, src.shape()) + " at " + std::to_string(start),
              [&](StreamOrDevice s) {
                return slice(transpose(src, s), start_array, {1}, {8, 4}, s);
              });
    }
    const array starts = values(std::vector<int64_t>{-1, 3}, Shape{2}, int64);
    compare(label("dynamic slice two axes", dtype, src.shape()),
            [&](StreamOrDevice s) { return slice(src, starts, {0, 1}, {2, 3}, s); });
    compare(label("dynamic slice 0-d start", dtype, src.shape()), [&](StreamOrDevice s) {
      return slice(src, values(std::vector<uint8_t>{5}, Shape{}, uint8), {1}, {6, 2}, s);
    });
  }
}

TEST(CudaIndexing, OutOfRangeIndices) {
  EMBER_REQUIRE_GPU();
  const array a = random_array({4, 5}, float32, 20);
  const array bad = values(std::vector<int32_t>{0, 5, 1}, Shape{3}, int32);
  const array too_negative = values(std::vector<int64_t>{-6}, Shape{1}, int64);
  expect_same_index_error("take", [&](StreamOrDevice s) { return take(a, bad, 1, s); });
  expect_same_index_error("take negative",
                          [&](StreamOrDevice s) { return take(a, too_negative, 1, s); });
  expect_same_index_error("gather window", [&](StreamOrDevice s) {
    return gather(a, values(std::vector<int32_t>{3}, Shape{1}, int32), 1, {4, 3}, s);
  });
  expect_same_index_error("take_along_axis", [&](StreamOrDevice s) {
    return take_along_axis(a, reshape(bad, {1, 3}, s), 1, s);
  });
  expect_same_index_error("scatter_add", [&](StreamOrDevice s) {
    return scatter_add(a, bad, ones({3, 4, 1}, float32, s), 1, s);
  });
  expect_same_index_error("put_along_axis", [&](StreamOrDevice s) {
    return put_along_axis(a, reshape(bad, {1, 3}, s), array(1.0f), 1, s);
  });
  // The check runs after the kernel (Note [GPU index errors]): work already enqueued on the
  // bad result fails with the same error, and reading it rethrows it.
  expect_same_index_error("take, then exp and sum", [&](StreamOrDevice s) {
    return sum(exp(take(a, bad, 1, s), s), s);
  });
  {
    std::string cpu_message, gpu_message;
    try {
      sum(take(a, bad, 1, kCpu), kCpu).item<float>();
    } catch (const IndexError& e) {
      cpu_message = e.what();
    }
    try {
      sum(take(a, bad, 1, kGpu), kGpu).item<float>();
    } catch (const IndexError& e) {
      gpu_message = e.what();
    }
    EXPECT_FALSE(cpu_message.empty()) << "item: the CPU did not throw IndexError";
    EXPECT_EQ(cpu_message, gpu_message) << "item";
  }
  // The stream stays usable after a failed task.
  compare("after the error", [&](StreamOrDevice s) { return take(a, 1, 0, s); });
}

TEST(CudaSort, SortAndArgSort) {
  EMBER_REQUIRE_GPU();
  for (Dtype dtype : kDataTypes) {
    for (const Shape& shape : std::vector<Shape>{{1}, {7}, {3, 300}, {5, 1, 4}, {2, 0}}) {
      // Few distinct values: ties exercise stability.
      const array a = astype(floor(random_array(shape, float32, 21, -4, 4), kCpu), dtype, kCpu);
      for (int axis = 0; axis < static_cast<int>(shape.size()); ++axis) {
        compare(label("sort", dtype, shape) + " axis " + std::to_string(axis),
                [&](StreamOrDevice s) { return sort(a, axis, s); });
        compare(label("argsort", dtype, shape) + " axis " + std::to_string(axis),
                [&](StreamOrDevice s) { return argsort(a, axis, s); });
      }
    }
    const array big = random_array({2, 5000}, dtype, 22);
    compare(label("argsort transposed", dtype, big.shape()),
            [&](StreamOrDevice s) { return argsort(transpose(big, s), 0, s); });
    compare(label("sort flat", dtype, big.shape()), [&](StreamOrDevice s) { return sort(big, s); });
  }
  // NaNs last, -0 and +0 equal (stable), infinities in place.
  const float nan = std::nanf(""), inf = INFINITY;
  const array special = values(std::vector<float>{nan, 1, -0.0f, -inf, 0.0f, -nan, inf, -1, -0.0f},
                      Shape{9}, float32);
  for (Dtype dtype : {float32, float16, bfloat16}) {
    const array x = astype(special, dtype, kCpu);
    compare(label("argsort special", dtype, x.shape()),
            [&](StreamOrDevice s) { return argsort(x, 0, s); });
    compare(label("sort special", dtype, x.shape()),
            [&](StreamOrDevice s) { return sort(x, 0, s); });
  }
}

TEST(CudaSort, PartitionAndTopk) {
  EMBER_REQUIRE_GPU();
  for (Dtype dtype : {float32, float16, int32, uint8}) {
    const array a = random_array({4, 37}, dtype, 23);
    for (int kth : {0, 10, -1}) {
      // The CPU's nth_element leaves another valid order: compare what a partition fixes.
      const array gpu = partition(a, kth, 1, kGpu);
      const array sorted = sort(a, 1, kCpu);
      const int k = kth < 0 ? 37 + kth : kth;
      const array pivot = slice(sorted, {0, k}, {4, k + 1}, kCpu);
      expect_same(pivot, slice(gpu, {0, k}, {4, k + 1}, kCpu), label("partition kth", dtype, {}),
                  {0, 0});
      array below = all(less_equal(slice(gpu, {0, 0}, {4, k}, kCpu), pivot, kCpu), false, kCpu);
      array above = all(greater_equal(slice(gpu, {0, k}, {4, 37}, kCpu), pivot, kCpu), false, kCpu);
      EXPECT_TRUE(below.item<bool>() && above.item<bool>()) << label("partition", dtype, {});
      const array order = argpartition(a, kth, 1, kGpu);
      expect_same(gpu, take_along_axis(a, order, 1, kCpu), label("argpartition", dtype, {}),
                  {0, 0});
    }
    compare(label("topk", dtype, a.shape()),
            [&](StreamOrDevice s) { return sort(topk(a, 5, 1, s), 1, s); });
  }
}

TEST(CudaScan, CumulativeOps) {
  EMBER_REQUIRE_GPU();
  using ScanFn = array (*)(const array&, int, bool, bool, StreamOrDevice);
  const std::vector<std::pair<const char*, ScanFn>> scans = {
      {"cumsum", cumsum}, {"cumprod", cumprod}, {"cummax", cummax},
      {"cummin", cummin}, {"logcumsumexp", logcumsumexp}};
  try {
    cumsum(ones({2}, float32), 0, false, true, kGpu).eval();
  } catch (const NotImplementedError& e) {
    GTEST_SKIP() << "Scan is not linked into this CUDA build yet: " << e.what();
  }
  for (Dtype dtype : {float32, float16, bfloat16, int32, int64, uint8, bool_}) {
    for (const Shape& shape : std::vector<Shape>{{1}, {9}, {3, 700}, {40, 3}, {2, 0, 3}}) {
      const array a = random_array(shape, dtype, 24, 0.5f, 1.5f);
      for (const auto& [name, fn] : scans) {
        if (std::string(name) == "cumprod" && shape_size(shape) > 100) continue;  // overflow
        for (int axis = 0; axis < static_cast<int>(shape.size()); ++axis) {
          for (bool reverse : {false, true}) {
            for (bool inclusive : {true, false}) {
              const std::string what = label(name, dtype, shape) + " axis " +
                                       std::to_string(axis) + (reverse ? " reverse" : "") +
                                       (inclusive ? "" : " exclusive");
              compare(what, [&](StreamOrDevice s) { return fn(a, axis, reverse, inclusive, s); },
                      false);
            }
          }
        }
      }
    }
  }
  const array big = random_array({3, 500}, float32, 25);
  compare("cumsum transposed", [&](StreamOrDevice s) {
    return cumsum(transpose(big, s), 0, true, false, s);
  }, false);
}

}  // namespace
