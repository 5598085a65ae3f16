// benchmarks/ops: CPU throughput of each op family, each against the same work done directly
// in the same process: OpenBLAS for matmul, a straightforward C++ loop for the rest (one
// thread, no explicit SIMD; the loops write into preallocated outputs while ember allocates
// each output, which is part of what an op costs).
//   build/release/benchmarks/ops_bench            (sizes below; ~1 minute on 2 cores)
// Each figure is the median of several timed runs after warm-up (benchmarks/common/timer.h).
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "benchmarks/common/timer.h"
#include "ember/ember.h"

using namespace ember;
using ember::bench::median_seconds;

namespace {

constexpr int kRuns = 9, kWarmup = 2;

void header() {
  std::printf("%-10s %-38s %9s %9s  %-8s %6s  %s\n", "family", "workload", "ember", "peer", "unit",
              "ratio", "peer");
}

// One line: throughput = amount / seconds for ember and the peer, and ember / peer.
void row(const char* family, const char* what, double amount, double ember_seconds,
         double peer_seconds, const char* unit, const char* peer) {
  const double e = amount / ember_seconds, p = amount / peer_seconds;
  std::printf("%-10s %-38s %9.2f %9.2f  %-8s %5.2fx  %s\n", family, what, e, p, unit, e / p, peer);
  std::fflush(stdout);
}

std::vector<float> random_floats(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(g);
  return v;
}

array from(const std::vector<float>& v, const Shape& shape) {
  array a(v.begin(), shape);
  eval(a);
  return a;
}

// Keeps the compiler from dropping a loop's result.
volatile float g_sink = 0;

void elementwise() {
  constexpr size_t kN = size_t{16} << 20;  // 16M float32 = 64 MB per array
  const auto xv = random_floats(kN, -4.0f, 4.0f, 1), yv = random_floats(kN, -4.0f, 4.0f, 2);
  const array x = from(xv, {int(kN)}), y = from(yv, {int(kN)});
  std::vector<float> out(kN);
  {
    const double e = median_seconds([&] { eval(exp(x)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (size_t i = 0; i < kN; ++i) out[i] = std::exp(xv[i]);
        },
        kRuns, kWarmup);
    row("unary", "exp, 16M float32", 2.0 * kN * 4 / 1e9, e, p, "GB/s", "C++ loop");
  }
  {
    const double e = median_seconds([&] { eval(abs(x)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (size_t i = 0; i < kN; ++i) out[i] = std::fabs(xv[i]);
        },
        kRuns, kWarmup);
    row("unary", "abs, 16M float32", 2.0 * kN * 4 / 1e9, e, p, "GB/s", "C++ loop");
  }
  {
    const double e = median_seconds([&] { eval(add(x, y)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (size_t i = 0; i < kN; ++i) out[i] = xv[i] + yv[i];
        },
        kRuns, kWarmup);
    row("binary", "add, 16M float32", 3.0 * kN * 4 / 1e9, e, p, "GB/s", "C++ loop");
  }
  {
    // Broadcast: a (4096, 4096) matrix times a row vector.
    constexpr int kRows = 4096, kCols = 4096;
    const array m = reshape(x, {kRows, kCols}), r = from(random_floats(kCols, 0, 1, 3), {kCols});
    const std::vector<float> rv = random_floats(kCols, 0, 1, 3);
    const double e = median_seconds([&] { eval(multiply(m, r)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (int i = 0; i < kRows; ++i)
            for (int j = 0; j < kCols; ++j)
              out[size_t(i) * kCols + j] = xv[size_t(i) * kCols + j] * rv[j];
        },
        kRuns, kWarmup);
    row("binary", "multiply (4096,4096) * (4096,)", 2.0 * kN * 4 / 1e9, e, p, "GB/s", "C++ loop");
  }
}

void reductions() {
  constexpr int kRows = 4096, kCols = 4096;
  constexpr size_t kN = size_t(kRows) * kCols;
  const auto xv = random_floats(kN, -1.0f, 1.0f, 4);
  const array x = from(xv, {kRows, kCols});
  std::vector<float> out(kRows);
  {
    const double e = median_seconds([&] { eval(sum(x, 1)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (int r = 0; r < kRows; ++r) {
            float acc = 0;
            for (int c = 0; c < kCols; ++c) acc += xv[size_t(r) * kCols + c];
            out[r] = acc;
          }
        },
        kRuns, kWarmup);
    row("reduce", "sum over last axis, 4096x4096", kN * 4.0 / 1e9, e, p, "GB/s", "C++ loop");
  }
  {
    const double e = median_seconds([&] { eval(sum(x, 0)); }, kRuns, kWarmup);
    std::vector<float> cols(kCols);
    const double p = median_seconds(
        [&] {
          std::fill(cols.begin(), cols.end(), 0.0f);
          for (int r = 0; r < kRows; ++r)
            for (int c = 0; c < kCols; ++c) cols[c] += xv[size_t(r) * kCols + c];
        },
        kRuns, kWarmup);
    row("reduce", "sum over first axis, 4096x4096", kN * 4.0 / 1e9, e, p, "GB/s", "C++ loop");
  }
  {
    const double e = median_seconds([&] { eval(sum(x)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          float acc = 0;
          for (size_t i = 0; i < kN; ++i) acc += xv[i];
          g_sink = acc;
        },
        kRuns, kWarmup);
    row("reduce", "sum over all, 16M float32", kN * 4.0 / 1e9, e, p, "GB/s", "C++ loop");
  }
  {
    const double e = median_seconds([&] { eval(max(x, 1)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (int r = 0; r < kRows; ++r) {
            float acc = -INFINITY;
            for (int c = 0; c < kCols; ++c) acc = std::max(acc, xv[size_t(r) * kCols + c]);
            out[r] = acc;
          }
        },
        kRuns, kWarmup);
    row("reduce", "max over last axis, 4096x4096", kN * 4.0 / 1e9, e, p, "GB/s", "C++ loop");
  }
}

void softmax_family() {
  constexpr int kRows = 4096, kCols = 2048;
  constexpr size_t kN = size_t(kRows) * kCols;
  const auto xv = random_floats(kN, -6.0f, 6.0f, 5);
  const array x = from(xv, {kRows, kCols});
  std::vector<float> out(kN);
  const double e = median_seconds([&] { eval(softmax(x, -1)); }, kRuns, kWarmup);
  const double p = median_seconds(
      [&] {
        for (int r = 0; r < kRows; ++r) {
          const float* in = &xv[size_t(r) * kCols];
          float* o = &out[size_t(r) * kCols];
          float m = -INFINITY;
          for (int c = 0; c < kCols; ++c) m = std::max(m, in[c]);
          float total = 0;
          for (int c = 0; c < kCols; ++c) total += (o[c] = std::exp(in[c] - m));
          const float scale = 1.0f / total;
          for (int c = 0; c < kCols; ++c) o[c] *= scale;
        }
      },
      kRuns, kWarmup);
  row("softmax", "softmax over last axis, 4096x2048", 2.0 * kN * 4 / 1e9, e, p, "GB/s", "C++ loop");
}

void matmul_family() {
  for (int n : {256, 1024}) {
    const auto av = random_floats(size_t(n) * n, -1, 1, 6),
               bv = random_floats(size_t(n) * n, -1, 1, 7);
    const array a = from(av, {n, n}), b = from(bv, {n, n});
    std::vector<float> c(size_t(n) * n);
    const double e = median_seconds([&] { eval(matmul(a, b)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, av.data(), n,
                      bv.data(), n, 0.0f, c.data(), n);
        },
        kRuns, kWarmup);
    char what[64];
    std::snprintf(what, sizeof(what), "matmul %d^3 float32", n);
    row("matmul", what, 2.0 * n * n * n / 1e9, e, p, "GFLOP/s", "cblas_sgemm");
  }
  {
    // A transposed operand: ember hands BLAS the transpose flag, no copy.
    constexpr int n = 1024;
    const auto av = random_floats(size_t(n) * n, -1, 1, 8);
    const array a = from(av, {n, n});
    std::vector<float> c(size_t(n) * n);
    const double e = median_seconds([&] { eval(matmul(transpose(a), a)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, n, 1.0f, av.data(), n,
                      av.data(), n, 0.0f, c.data(), n);
        },
        kRuns, kWarmup);
    row("matmul", "matmul a^T a, 1024^3 float32", 2.0 * n * n * n / 1e9, e, p, "GFLOP/s",
        "cblas_sgemm");
  }
}

void sort_family() {
  constexpr int kRows = 1024, kCols = 4096;
  constexpr size_t kN = size_t(kRows) * kCols;
  const auto xv = random_floats(kN, -1, 1, 9);
  const array x = from(xv, {kRows, kCols});
  std::vector<float> out(kN);
  const double e = median_seconds([&] { eval(sort(x, -1)); }, 5, 1);
  const double p = median_seconds(
      [&] {
        std::copy(xv.begin(), xv.end(), out.begin());
        for (int r = 0; r < kRows; ++r) {
          std::sort(out.begin() + size_t(r) * kCols, out.begin() + size_t(r + 1) * kCols);
        }
      },
      5, 1);
  row("sort", "sort rows, 1024x4096 float32", kN / 1e6, e, p, "Melem/s", "std::sort loop");
  std::vector<uint32_t> order(kN);
  const double e_arg = median_seconds([&] { eval(argsort(x, -1)); }, 5, 1);
  const double p_arg = median_seconds(
      [&] {
        for (int r = 0; r < kRows; ++r) {
          uint32_t* o = &order[size_t(r) * kCols];
          const float* v = &xv[size_t(r) * kCols];
          std::iota(o, o + kCols, 0u);
          std::sort(o, o + kCols, [&](uint32_t i, uint32_t j) { return v[i] < v[j]; });
        }
      },
      5, 1);
  row("sort", "argsort rows, 1024x4096 float32", kN / 1e6, e_arg, p_arg, "Melem/s",
      "std::sort loop");
}

void gather_family() {
  // Rows: an embedding-style lookup of 65536 random rows of 256 floats from 32768.
  constexpr int kTable = 32768, kWidth = 256, kLookups = 65536;
  const auto tv = random_floats(size_t(kTable) * kWidth, -1, 1, 10);
  const array table = from(tv, {kTable, kWidth});
  std::mt19937 g(11);
  std::vector<int32_t> idx(kLookups);
  for (auto& i : idx) i = static_cast<int32_t>(g() % kTable);
  array indices(idx.begin(), {kLookups});
  eval(indices);
  std::vector<float> out(size_t(kLookups) * kWidth);
  {
    const double e = median_seconds([&] { eval(take(table, indices, 0)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (int r = 0; r < kLookups; ++r) {
            std::memcpy(&out[size_t(r) * kWidth], &tv[size_t(idx[r]) * kWidth], kWidth * 4);
          }
        },
        kRuns, kWarmup);
    // Bytes moved: rows read and written (the indices are small beside them).
    row("gather", "take rows (65536 of 32768x256)", 2.0 * kLookups * kWidth * 4 / 1e9, e, p, "GB/s",
        "memcpy loop");
  }
  {
    // Elements: 4M random single elements of a 16M-element table.
    constexpr size_t kElements = size_t{4} << 20;
    const array flat = reshape(table, {-1});
    std::vector<int32_t> eidx(kElements);
    const size_t table_size = size_t(kTable) * kWidth;
    for (auto& i : eidx) i = static_cast<int32_t>(g() % table_size);
    array element_indices(eidx.begin(), {int(kElements)});
    eval(element_indices);
    const double e = median_seconds([&] { eval(take(flat, element_indices)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (size_t i = 0; i < kElements; ++i) out[i] = tv[eidx[i]];
        },
        kRuns, kWarmup);
    row("gather", "take 4M random elements of 8M", kElements / 1e6, e, p, "Melem/s", "C++ loop");
  }
  {
    // take_along_axis: pick 16 of 4096 columns per row of 4096 rows.
    constexpr int kRows = 4096, kCols = 4096, kPick = 16;
    const auto xv = random_floats(size_t(kRows) * kCols, -1, 1, 12);
    const array x = from(xv, {kRows, kCols});
    std::vector<int32_t> pick(size_t(kRows) * kPick);
    for (auto& i : pick) i = static_cast<int32_t>(g() % kCols);
    array pick_indices(pick.begin(), {kRows, kPick});
    eval(pick_indices);
    const double e =
        median_seconds([&] { eval(take_along_axis(x, pick_indices, 1)); }, kRuns, kWarmup);
    const double p = median_seconds(
        [&] {
          for (int r = 0; r < kRows; ++r)
            for (int k = 0; k < kPick; ++k)
              out[size_t(r) * kPick + k] = xv[size_t(r) * kCols + pick[size_t(r) * kPick + k]];
        },
        kRuns, kWarmup);
    row("gather", "take_along_axis 16 of 4096, 4096 rows", double(kRows) * kPick / 1e6, e, p,
        "Melem/s", "C++ loop");
  }
}

}  // namespace

int main() {
  header();
  elementwise();
  reductions();
  softmax_family();
  matmul_family();
  sort_family();
  gather_family();
  return 0;
}
