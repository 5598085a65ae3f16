// benchmarks/core: graph overhead and CPU throughput of the core, each against a peer run in
// the same process: a plain C++ loop for elementwise work, OpenBLAS called directly for matmul.
//   build/release/benchmarks/core_bench
#include <cblas.h>

#include <cstdio>
#include <vector>

#include "benchmarks/common/timer.h"
#include "ember/ember.h"

using namespace ember;
using ember::bench::median_seconds;

namespace {

void row(const char* what, double ember_value, double peer_value, const char* unit,
         const char* peer) {
  std::printf("%-44s %10.3f %10.3f  %-8s %5.2fx  (peer: %s)\n", what, ember_value, peer_value, unit,
              ember_value / peer_value, peer);
}

}  // namespace

int main() {
  std::printf("%-44s %10s %10s  %-8s %6s\n", "benchmark", "ember", "peer", "unit", "ratio");

  // Graph build + eval overhead: a 10k-node chain of scalar adds.
  {
    constexpr int kNodes = 10'000;
    array one(1.0f);
    const double seconds = median_seconds(
        [&] {
          array x(0.0f);
          for (int i = 0; i < kNodes; ++i) x = x + one;
          eval(x);
        },
        9, 2);
    const double us_per_node = seconds / kNodes * 1e6;
    volatile float sink = 0;
    const double loop = median_seconds([&] {
      float x = 0;
      for (int i = 0; i < kNodes; ++i) x = x + sink + 1.0f;
      sink = x;
    });
    row("scalar add chain, 10k nodes (us/node)", us_per_node, loop / kNodes * 1e6, "us", "C++ loop");
  }

  // 100 small matmuls (64x64) in one graph.
  {
    constexpr int kCount = 100, kN = 64;
    std::vector<float> data(kN * kN, 0.01f);
    array a(data.begin(), {kN, kN});
    const double seconds = median_seconds([&] {
      std::vector<array> outs;
      for (int i = 0; i < kCount; ++i) outs.push_back(matmul(a, a));
      eval(outs);
    });
    std::vector<float> c(kN * kN);
    const double blas = median_seconds([&] {
      for (int i = 0; i < kCount; ++i) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, data.data(), kN,
                    data.data(), kN, 0.0f, c.data(), kN);
      }
    });
    row("100 matmuls 64x64 (us/op)", seconds / kCount * 1e6, blas / kCount * 1e6, "us",
        "cblas_sgemm");
  }

  // Elementwise binary add on 64M float32 (GB/s counting two reads and one write).
  {
    constexpr size_t kElements = size_t{64} << 20;
    array a = arange(0.0, double(kElements), 1.0, float32);
    array b = arange(0.0, double(kElements), 1.0, float32);
    eval(a, b);
    const double seconds = median_seconds([&] { eval(add(a, b)); }, 9, 2);
    std::vector<float> x(kElements, 1.0f), y(kElements, 2.0f), z(kElements);
    const double loop = median_seconds(
        [&] {
          for (size_t i = 0; i < kElements; ++i) z[i] = x[i] + y[i];
        },
        9, 2);
    const double bytes = 3.0 * kElements * sizeof(float);
    row("add 64M float32 (GB/s)", bytes / seconds / 1e9, bytes / loop / 1e9, "GB/s", "C++ loop");
  }

  // Row reduction: sum over the last axis of 4096 x 16384 float32.
  {
    constexpr int kRows = 4096, kCols = 16384;
    array a = reshape(arange(0.0, double(kRows) * kCols, 1.0, float32), {kRows, kCols});
    eval(a);
    const double seconds = median_seconds([&] { eval(sum(a, 1)); }, 9, 2);
    std::vector<float> x(size_t(kRows) * kCols, 1.0f), out(kRows);
    const double loop = median_seconds(
        [&] {
          for (int r = 0; r < kRows; ++r) {
            float acc = 0;
            for (int c = 0; c < kCols; ++c) acc += x[size_t(r) * kCols + c];
            out[r] = acc;
          }
        },
        9, 2);
    const double bytes = double(kRows) * kCols * sizeof(float);
    row("sum over last axis 4096x16384 (GB/s)", bytes / seconds / 1e9, bytes / loop / 1e9, "GB/s",
        "C++ loop");
  }

  // Matmul 1024^3 float32 (GFLOP/s).
  {
    constexpr int kN = 1024;
    array a = reshape(arange(0.0, double(kN) * kN, 1.0, float32), {kN, kN}) * 1e-6f;
    eval(a);
    const double seconds = median_seconds([&] { eval(matmul(a, a)); }, 7, 2);
    std::vector<float> x(size_t(kN) * kN, 0.5f), c(size_t(kN) * kN);
    const double blas = median_seconds(
        [&] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, x.data(), kN,
                      x.data(), kN, 0.0f, c.data(), kN);
        },
        7, 2);
    const double flops = 2.0 * kN * kN * kN;
    row("matmul 1024^3 float32 (GFLOP/s)", flops / seconds / 1e9, flops / blas / 1e9, "GFLOP/s",
        "cblas_sgemm");
  }
  return 0;
}
