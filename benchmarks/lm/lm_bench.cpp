// Prefill and decode throughput of a model folder, batch 1: prefill of --prompt-tokens
// random token ids in one call, then --gen-tokens greedy decode steps (pipelined, as
// `ember generate`), plus the device's measured copy bandwidth so that decode can be
// reported as a fraction of the memory-bandwidth limit (weight bytes per token / bandwidth).
// Prints one JSON object. Peers: benchmarks/lm/lm_peer.py runs transformers on the same folder.
//
//   lm_bench --model DIR [--prompt-tokens 2048] [--gen-tokens 128] [--device cpu|gpu]
//            [--dtype bfloat16|float16|float32] [--runs 3] [--no-decode-graphs]
#include <chrono>
#include <map>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "ember/core/primitive.h"
#include "ember/ember.h"
#include "ember/lm/engine/generate.h"
#include "ember/lm/models/model.h"

using namespace ember;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Nodes of the graph behind `a` that are not evaluated yet (the tasks one eval runs), by
// primitive name.
std::map<std::string, size_t> count_unevaluated(const array& a) {
  std::map<std::string, size_t> kinds;
  std::unordered_set<const void*> seen;
  std::vector<array> stack{a};
  while (!stack.empty()) {
    array x = stack.back();
    stack.pop_back();
    if (x.is_available() || !x.has_primitive() || !seen.insert(x.node().get()).second) continue;
    kinds[x.primitive().name()] += 1;
    for (const auto& input : x.inputs()) stack.push_back(input);
  }
  return kinds;
}

// Bytes read + written per second by a device copy of a 1 GiB (GPU) or 256 MiB (CPU) buffer.
double copy_bandwidth(const Device& device) {
  const int n = device.type == Device::gpu ? (1 << 28) : (1 << 26);
  array x = ones({n}, float32, device);
  eval(x);
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    const double start = now_seconds();
    array y = copy(x, device);
    eval(y);
    synchronize();
    best = std::max(best, 2.0 * n * sizeof(float) / (now_seconds() - start));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir, device_name = "cpu";
  int prompt_tokens = 2048, gen_tokens = 128, runs = 3;
  std::optional<Dtype> dtype;
  bool decode_graphs = true, step_graphs = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--model") model_dir = value();
    else if (arg == "--prompt-tokens") prompt_tokens = std::stoi(value());
    else if (arg == "--gen-tokens") gen_tokens = std::stoi(value());
    else if (arg == "--device") device_name = value();
    else if (arg == "--runs") runs = std::stoi(value());
    else if (arg == "--no-decode-graphs") decode_graphs = false;
    else if (arg == "--no-step-graphs") step_graphs = false;
    else if (arg == "--dtype") {
      std::string d = value();
      dtype = d == "float32" ? float32 : d == "float16" ? float16 : bfloat16;
    } else {
      std::fprintf(stderr, "lm_bench: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (model_dir.empty()) {
    std::fprintf(stderr, "usage: lm_bench --model DIR [--prompt-tokens N] [--gen-tokens N] [--device cpu|gpu]\n");
    return 2;
  }
  const Device device = device_name == "gpu" ? Device(Device::gpu, 0) : Device(Device::cpu);
  set_default_device(device);
  auto model = lm::load_model(model_dir, {.dtype = dtype, .decode_graphs = decode_graphs, .step_graphs = step_graphs});
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> token(0, model->vocab_size() - 1);
  std::vector<int32_t> prompt(prompt_tokens);
  for (auto& t : prompt) t = token(rng);

  // Materialise the weights once (first use reads the mapped file and converts).
  {
    auto caches = model->make_caches();
    eval(lm::prefill(*model, {1, 2, 3}, caches, 512));
  }
  double best_prefill = 1e30, best_decode = 1e30;
  double build_seconds = 0, submit_seconds = 0;  // of the best decode run
  std::map<std::string, size_t> step_kinds;
  for (int r = 0; r < runs; ++r) {
    auto caches = model->make_caches();
    const double start = now_seconds();
    array logits = lm::prefill(*model, prompt, caches, prompt_tokens);
    array next = astype(argmax(logits, 0), int32);
    eval(next);
    (void)next.item<int32_t>();
    best_prefill = std::min(best_prefill, now_seconds() - start);
    // Decode: pipelined greedy steps, as lm::generate does (step n+1 submitted before
    // token n is read).
    const double decode_start = now_seconds();
    array y = next;
    double build = 0, submit = 0;
    for (int n = 0; n < gen_tokens; ++n) {
      const double t0 = now_seconds();
      array step_logits = model->forward(reshape(y, {1, 1}), caches);
      array following = astype(argmax(reshape(step_logits, {model->vocab_size()}), 0), int32);
      if (n == 0) step_kinds = count_unevaluated(following);
      const double t1 = now_seconds();
      async_eval(following);
      submit += now_seconds() - t1;
      build += t1 - t0;
      (void)y.item<int32_t>();
      y = following;
    }
    (void)y.item<int32_t>();
    const double decode = now_seconds() - decode_start;
    if (decode < best_decode) {
      best_decode = decode;
      build_seconds = build;
      submit_seconds = submit;
    }
  }
  const double bandwidth = copy_bandwidth(device);
  const double weight_bytes = static_cast<double>(model->weight_bytes());
  const double decode_tps = gen_tokens / best_decode;
  size_t step_nodes = 0;
  for (const auto& [name, count] : step_kinds) step_nodes += count;
  nlohmann::ordered_json out = {
      {"model", model_dir},
      {"model_type", model->model_type()},
      {"device", device_name},
      {"dtype", std::string(dtype_name(model->dtype()))},
      {"weight_bytes", weight_bytes},
      {"prompt_tokens", prompt_tokens},
      {"prefill_tps", prompt_tokens / best_prefill},
      {"gen_tokens", gen_tokens},
      {"decode_tps", decode_tps},
      {"copy_bandwidth_gbs", bandwidth / 1e9},
      {"decode_bandwidth_fraction", decode_tps * weight_bytes / bandwidth},
      // Where a decode step's time goes: building its graph, submitting it, and the rest
      // (waiting for the previous token); and how many kernels' nodes one step has.
      {"decode_step_ms", 1e3 * best_decode / gen_tokens},
      {"decode_build_ms", 1e3 * build_seconds / gen_tokens},
      {"decode_submit_ms", 1e3 * submit_seconds / gen_tokens},
      {"decode_graphs", decode_graphs},
      {"step_graphs", decode_graphs && step_graphs},
      {"decode_step_nodes", step_nodes},
      {"decode_step_node_kinds", step_kinds},
      {"peak_memory_gb", static_cast<double>(get_peak_memory()) / 1e9}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
