// The same workloads as core_bench.cpp through MLX's C++ API (from the mlx-cpu wheel), so
// that ember's figures can be read as ratios against MLX measured on the same machine.
//   build/release/benchmarks/mlx_peer_bench
#include <mlx/mlx.h>

#include <cstdio>
#include <vector>

#include "benchmarks/common/timer.h"

namespace mx = mlx::core;
using ember::bench::median_seconds;

int main() {
  mx::set_default_device(mx::Device::cpu);
  std::printf("%-44s %10s  %s\n", "benchmark (MLX C++)", "value", "unit");
  {
    constexpr int kNodes = 10'000;
    mx::array one(1.0f);
    const double s = median_seconds(
        [&] {
          mx::array x(0.0f);
          for (int i = 0; i < kNodes; ++i) x = x + one;
          mx::eval(x);
        },
        9, 2);
    std::printf("%-44s %10.3f  us\n", "scalar add chain, 10k nodes (us/node)", s / kNodes * 1e6);
  }
  {
    constexpr int kCount = 100, kN = 64;
    std::vector<float> data(kN * kN, 0.01f);
    mx::array a(data.begin(), {kN, kN});
    const double s = median_seconds([&] {
      std::vector<mx::array> outs;
      for (int i = 0; i < kCount; ++i) outs.push_back(mx::matmul(a, a));
      mx::eval(outs);
    });
    std::printf("%-44s %10.3f  us\n", "100 matmuls 64x64 (us/op)", s / kCount * 1e6);
  }
  {
    constexpr int kElements = 64 << 20;
    mx::array a = mx::arange(0.0, double(kElements), 1.0, mx::float32);
    mx::array b = mx::arange(0.0, double(kElements), 1.0, mx::float32);
    mx::eval(a, b);
    const double s = median_seconds([&] { mx::eval(mx::add(a, b)); }, 9, 2);
    std::printf("%-44s %10.3f  GB/s\n", "add 64M float32 (GB/s)", 3.0 * kElements * 4 / s / 1e9);
  }
  {
    constexpr int kRows = 4096, kCols = 16384;
    mx::array a = mx::reshape(mx::arange(0.0, double(kRows) * kCols, 1.0, mx::float32), {kRows, kCols});
    mx::eval(a);
    const double s = median_seconds([&] { mx::eval(mx::sum(a, 1)); }, 9, 2);
    std::printf("%-44s %10.3f  GB/s\n", "sum over last axis 4096x16384 (GB/s)",
                double(kRows) * kCols * 4 / s / 1e9);
  }
  {
    constexpr int kN = 1024;
    mx::array a = mx::reshape(mx::arange(0.0, double(kN) * kN, 1.0, mx::float32), {kN, kN}) * 1e-6f;
    mx::eval(a);
    const double s = median_seconds([&] { mx::eval(mx::matmul(a, a)); }, 7, 2);
    std::printf("%-44s %10.3f  GFLOP/s\n", "matmul 1024^3 float32 (GFLOP/s)", 2.0 * kN * kN * kN / s / 1e9);
  }
  return 0;
}
