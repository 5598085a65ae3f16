// GPU throughput of the op library (issue 4's speed targets), one JSON object per line:
// device copy bandwidth, elementwise add on 256M elements (float32, bfloat16), row sum of
// 4096 x 65536, softmax of 8192 x 32768 bf16, decode attention (bf16, 16/8 heads, 4096
// keys, unmasked and with a prefix mask), causal prefill attention (2048 queries, bf16),
// decode-shaped matrix-vector products, matmul 8192^3 bf16 and 4096^3 float32 (TF32
// when EMBER_CUDA_TF32=1), and the per-node cost of a 10,000-node chain of small adds,
// evaluated node by node and replayed as a captured graph (capture_graph), and the round
// trip of one small eval.
// Peers: benchmarks/ops/gpu_peer.py runs the same work in PyTorch and prints the ratios.
//
//   gpu_ops_bench [--only NAME]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/common/timer.h"
#include "ember/ember.h"

using namespace ember;

namespace {

const Device kGpu(Device::gpu, 0);

// Each timed call builds `burst` independent copies of the op, evaluates them together and
// waits for the GPU, so the figure is the device's throughput rather than one eval's round
// trip (gpu_peer.py times PyTorch the same way). The chain passes burst 1.
constexpr int kBurst = 8;

void run(const std::string& only, const std::string& name, const std::string& unit,
         double work, const std::function<array()>& build, int burst = kBurst) {
  if (!only.empty() && only != name) return;
  // Inputs are made and evaluated by `build`'s captures; each timed call evaluates fresh
  // graphs and waits for the GPU.
  const double seconds = bench::median_seconds(
                             [&] {
                               std::vector<array> outs;
                               for (int i = 0; i < burst; ++i) outs.push_back(build());
                               eval(outs);
                               synchronize();
                             },
                             10, 3) /
                         burst;
  const double value = unit.rfind("us/", 0) == 0 ? seconds * 1e6 / work : work / seconds / 1e9;
  std::printf("{\"name\": \"%s\", \"ms\": %.4f, \"unit\": \"%s\", \"value\": %.3f}\n", name.c_str(),
              seconds * 1e3, unit.c_str(), value);
  std::fflush(stdout);
}

// Whether --only (empty: every case) selects one of `names`: inputs of other cases are not
// even made, so a one-case run is quick.
bool wants(const std::string& only, std::initializer_list<const char*> names) {
  if (only.empty()) return true;
  for (const char* name : names) {
    if (only == name) return true;
  }
  return false;
}

array random_on_gpu(const Shape& shape, Dtype dtype) {
  array x = astype(random::uniform(shape, float32, std::nullopt, kGpu), dtype, kGpu);
  eval(x);
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--only") only = argv[i + 1];
  }
  if (device_count(Device::gpu) == 0) {
    std::fprintf(stderr, "gpu_ops_bench: no GPU present, nothing to measure\n");
    return 0;
  }
  set_default_device(kGpu);
  const int n = 1 << 28;  // 256M elements
  if (wants(only, {"copy_f32_256M", "add_f32_256M"})) {
    array x = random_on_gpu({n}, float32);
    run(only, "copy_f32_256M", "GB/s", 2.0 * n * 4, [&] { return copy(x); });
    array y = random_on_gpu({n}, float32);
    run(only, "add_f32_256M", "GB/s", 3.0 * n * 4, [&] { return add(x, y); });
  }
  if (wants(only, {"add_bf16_256M"})) {
    array x = random_on_gpu({n}, bfloat16), y = random_on_gpu({n}, bfloat16);
    run(only, "add_bf16_256M", "GB/s", 3.0 * n * 2, [&] { return add(x, y); });
  }
  if (wants(only, {"sum_rows_f32_4096x65536"})) {
    array x = random_on_gpu({4096, 65536}, float32);
    run(only, "sum_rows_f32_4096x65536", "GB/s", 4096.0 * 65536 * 4, [&] { return sum(x, -1); });
  }
  if (wants(only, {"softmax_bf16_8192x32768"})) {
    // Rows of 32768: the kernel EMBER_CUDA_SOFTMAX picks (backend/cuda/softmax_rows.cu).
    array x = random_on_gpu({8192, 32768}, bfloat16);
    run(only, "softmax_bf16_8192x32768", "GB/s", 2.0 * 8192 * 32768 * 2,
        [&] { return softmax(x, -1, true); });
  }
  if (wants(only, {"attention_decode_bf16_4096", "attention_decode_bf16_2176_of_4096"})) {
    // Decode attention: one query of 16 heads over 4096 keys of 8 heads (Qwen3-1.7B's
    // shape), and the same over a 4096-key buffer of which 2176 are valid (a boolean mask,
    // as decode step graphs run it). GB/s counts the keys and values read.
    array q = random_on_gpu({1, 16, 1, 128}, bfloat16);
    array k = random_on_gpu({1, 8, 4096, 128}, bfloat16), v = random_on_gpu({1, 8, 4096, 128}, bfloat16);
    const float scale = 1.0f / std::sqrt(128.0f);
    run(only, "attention_decode_bf16_4096", "GB/s", 2.0 * 8 * 4096 * 128 * 2,
        [&] { return fast::scaled_dot_product_attention(q, k, v, scale); });
    array valid = less(arange(4096, int32, kGpu), array(2176, int32), kGpu);
    eval(valid);
    run(only, "attention_decode_bf16_2176_of_4096", "GB/s", 2.0 * 8 * 2176 * 128 * 2,
        [&] { return fast::scaled_dot_product_attention(q, k, v, scale, "array", valid); });
  }
  if (wants(only, {"attention_prefill_bf16_2048"})) {
    // Causal prefill attention: 2048 queries of 16 heads over 2048 keys of 8 heads, head
    // size 128 (Qwen3-1.7B). GFLOP/s counts the two products over the causal half.
    array q = random_on_gpu({1, 16, 2048, 128}, bfloat16);
    array k = random_on_gpu({1, 8, 2048, 128}, bfloat16), v = random_on_gpu({1, 8, 2048, 128}, bfloat16);
    run(only, "attention_prefill_bf16_2048", "GFLOP/s", 2.0 * 2 * 2048.0 * 2048 * 128 * 16 / 2,
        [&] { return fast::scaled_dot_product_attention(q, k, v, 1.0f / std::sqrt(128.0f), "causal"); });
  }
  {
    // Decode projections (x[1, depth] @ w^T, w [cols, depth] bf16: Qwen3-1.7B's fused qkv,
    // o, fused gate/up and down shapes). Each copy in a burst reads its own weight, 8 in
    // turn, so the figure is DRAM's, not L2's. GB/s counts the weight bytes.
    const std::pair<int, int> shapes[] = {{2048, 2048}, {4096, 2048}, {12288, 2048}, {2048, 6144}};
    for (const auto& [cols, depth] : shapes) {
      const std::string name = "gemv_bf16_" + std::to_string(cols) + "x" + std::to_string(depth);
      if (!only.empty() && only != name) continue;
      std::vector<array> weights;
      for (int i = 0; i < kBurst; ++i) weights.push_back(random_on_gpu({cols, depth}, bfloat16));
      array x = random_on_gpu({1, depth}, bfloat16);
      size_t next = 0;
      run(only, name, "GB/s", 2.0 * cols * depth,
          [&] { return matmul(x, transpose(weights[next++ % weights.size()])); });
    }
  }
  if (wants(only, {"matmul_bf16_8192"})) {
    array a = random_on_gpu({8192, 8192}, bfloat16), b = random_on_gpu({8192, 8192}, bfloat16);
    run(only, "matmul_bf16_8192", "GFLOP/s", 2.0 * 8192.0 * 8192 * 8192,
        [&] { return matmul(a, b); });
  }
  if (wants(only, {"matmul_f32_4096"})) {
    array a = random_on_gpu({4096, 4096}, float32), b = random_on_gpu({4096, 4096}, float32);
    run(only, "matmul_f32_4096", "GFLOP/s", 2.0 * 4096.0 * 4096 * 4096,
        [&] { return matmul(a, b); });
  }
  if (wants(only, {"chain_10k_small_adds"})) {
    // Per-node overhead: 10,000 dependent adds on a 16-element array, one eval.
    array x = random_on_gpu({16}, float32), one = random_on_gpu({16}, float32);
    const int nodes = 10000;
    run(only, "chain_10k_small_adds", "us/node", nodes, [&] {
      detail::GraphDepthGuardOff off;
      array y = x;
      for (int i = 0; i < nodes; ++i) y = add(y, one);
      return y;
    }, 1);
  }
  if (wants(only, {"eval_round_trip"})) {
    // One small add evaluated and waited for: what an eval costs on top of its kernel (the
    // handoffs to the stream's launcher and back), as a decode step pays it once per token.
    array x = random_on_gpu({16}, float32), one = random_on_gpu({16}, float32);
    run(only, "eval_round_trip", "us/eval", 1, [&] { return add(x, one); }, 1);
  }
  if (wants(only, {"chain_10k_small_adds_replayed"})) {
    // The same chain captured once (capture_graph) and replayed: one node and one graph
    // launch per eval, so the per-node figure is the device's, not the host's.
    array x = random_on_gpu({16}, float32), one = random_on_gpu({16}, float32);
    const int nodes = 10000;
    CapturedGraph chain = capture_graph([&](const std::vector<array>& in) {
      array y = in[0];
      for (int i = 0; i < nodes; ++i) y = add(y, one);
      return std::vector<array>{y};
    }, {x});
    std::printf("{\"name\": \"chain_10k_small_adds_replayed_kernels\", \"value\": %zu}\n",
                chain.num_kernels());
    run(only, "chain_10k_small_adds_replayed", "us/node", nodes,
        [&] { return chain({x})[0]; }, 1);
  }
  return 0;
}
