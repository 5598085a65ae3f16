// `ember doctor`: what this build is and what it can see, plus a tiny computation that
// exercises the lazy graph, a stream worker and the BLAS.
#include <cstdio>
#include <iostream>

#include "ember/cli/command.h"
#include "ember/core/config.h"
#include "ember/ember.h"

namespace ember::cli {
namespace {

int run_doctor(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::puts("usage: ember doctor\n\nPrints devices, build options, environment variables and a tiny computation.");
      return 0;
    }
    std::fprintf(stderr, "ember doctor: unknown option '%s'\n", arg.c_str());
    return 2;
  }
  std::printf("ember %s\n", version());
#ifdef NDEBUG
  std::printf("build: release\n");
#else
  std::printf("build: debug (allocator integrity checks on)\n");
#endif
  std::printf("devices: cpu (1)");
  const int gpus = device_count(Device::gpu);
  std::printf(", gpu (%d)%s\n", gpus, gpus == 0 ? " - no CUDA device or a CPU-only build" : "");
  std::cout << "default device: " << default_device() << "\n";
  std::printf("max graph depth: %lld\n", static_cast<long long>(get_max_graph_depth()));
  std::printf("memory limit: %.1f GiB\n", get_memory_limit() / double(1 << 30));
  std::printf("environment:\n");
  for (const auto& var : config::environment_variables()) {
    std::printf("  %-24s = %-16s %s\n", var.name, config::env_or(var.name, var.default_value).c_str(),
                var.description);
  }
  array a = reshape(arange(6.0), {2, 3});
  array b = transpose(a);
  array c = matmul(a, b);        // [[5, 14], [14, 50]]
  array d = sum(exp(log(c)), 1);  // [19, 64]
  eval(d);
  std::cout << "a @ a.T = " << c << "\n";
  std::cout << "sum(exp(log(a @ a.T)), 1) = " << d << "\n";
  const float* values = d.data<float>();
  const bool ok = std::abs(values[0] - 19.0f) < 1e-4f && std::abs(values[1] - 64.0f) < 1e-3f;
  std::printf("check: %s\n", ok ? "ok" : "WRONG RESULT");
  return ok ? 0 : 1;
}

const CommandRegistrar kDoctor{
    {"doctor", "print devices, build options and a tiny computation", run_doctor}};

}  // namespace
}  // namespace ember::cli
