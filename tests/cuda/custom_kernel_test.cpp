// fast::cuda_kernel and the NVRTC JIT (backend/cuda/jit.h): results against CPU ops,
// template args and dtypes (one module per specialisation), compile errors, the in-memory
// cache bound, and MLX #3347: a lazy graph of 50 custom kernels whose intermediates are all
// dropped before eval, evaluated many times, must give the same bits every time (G1).
#include <chrono>
#include <cstring>
#include <thread>

#include "ember/backend/cuda/jit.h"
#include "ember/fast/fast.h"
#include "tests/cuda/cuda_test_util.h"

using namespace ember;
using namespace ember::test;
namespace jit = ember::cuda::jit;

namespace {

std::vector<uint8_t> bytes_of(const array& a) {
  array c = contiguous(a, false, kCpu);
  c.eval();
  const auto* p = static_cast<const uint8_t*>(c.raw_data());
  return std::vector<uint8_t>(p, p + c.nbytes());
}

uint64_t modules_built() {
  const auto stats = jit::cache_stats();
  return stats.compiles + stats.disk_hits;
}

TEST(CudaCustomKernel, ElementwiseMatchesCpuOps) {
  EMBER_REQUIRE_GPU();
  auto kernel = fast::cuda_kernel("axpy_test", {"x", "y"}, {"out"}, R"(
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < x_shape[0]) out[i] = 2.0f * x[i] + y[i];
  )");
  const int n = 10000;
  array x = random_array({n}, float32, 11), y = random_array({n}, float32, 12);
  auto outputs =
      kernel({x, y}, {{n}}, {float32}, {n, 1, 1}, {256, 1, 1}, {}, std::nullopt, false, kGpu);
  ASSERT_EQ(outputs.size(), 1u);
  array expected = add(multiply(array(2.0f), x, kCpu), y, kCpu);
  // One fused multiply-add per element on the GPU vs two roundings on the CPU.
  expect_same(expected, outputs[0], "axpy", tolerance_for(float32));
}

TEST(CudaCustomKernel, StridedInputsSeeShapeAndStrides) {
  EMBER_REQUIRE_GPU();
  auto kernel = fast::cuda_kernel("strided_copy_test", {"x"}, {"out"}, R"(
    const int64_t i = blockIdx.x * blockDim.x + threadIdx.x;
    int64_t size = 1;
    for (int d = 0; d < x_ndim; ++d) size *= x_shape[d];
    if (i < size) out[i] = x[ember_elem_to_loc(i, x_shape, x_strides, x_ndim)] + 1.0f;
  )",
                                  "", /*ensure_row_contiguous=*/false);
  array base = random_array({6, 7, 5}, float32, 13);
  array t = transpose(astype(base, float32, kGpu), {2, 0, 1}, kGpu);  // a strided GPU view
  array out = kernel({t}, {t.shape()}, {float32}, {210, 1, 1}, {64, 1, 1}, {}, std::nullopt, false,
                     kGpu)[0];
  array expected = add(transpose(base, {2, 0, 1}, kCpu), array(1.0f), kCpu);
  expect_same(expected, out, "strided input", {0.0, 0.0});
}

TEST(CudaCustomKernel, InitValueAtomicsAndSharedMemory) {
  EMBER_REQUIRE_GPU();
  // Block-reversed copy through dynamic shared memory, and an atomic sum into an output
  // that init_value fills first.
  auto kernel = fast::cuda_kernel("smem_sum_test", {"x"}, {"reversed", "total"}, R"(
    extern __shared__ float tile[];
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    tile[threadIdx.x] = x[i];
    __syncthreads();
    reversed[i] = tile[blockDim.x - 1 - threadIdx.x];
    atomicAdd(total, x[i]);
  )",
                                  "", true, /*shared_memory=*/128 * sizeof(float), true);
  const int n = 1024;
  std::vector<float> values(n);
  for (int i = 0; i < n; ++i) values[i] = static_cast<float>(i % 17) - 8.0f;  // exact sums
  array x(values.begin(), {n}, float32);
  auto out =
      kernel({x}, {{n}, {1}}, {float32, float32}, {n, 1, 1}, {128, 1, 1}, {}, 5.0f, false, kGpu);
  double sum = 5.0;
  for (float v : values) sum += v;
  EXPECT_EQ(out[1].item<float>(), static_cast<float>(sum));
  const float* r = out[0].data<float>();
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(r[i], values[(i / 128) * 128 + 127 - i % 128]) << i;
  }
}

TEST(CudaCustomKernel, TemplateArgsAndDtypesMakeOneModuleEach) {
  EMBER_REQUIRE_GPU();
  auto kernel = fast::cuda_kernel("scale_by_k_test", {"x"}, {"out"}, R"(
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < x_shape[0]) {
      const float v = static_cast<float>(x[i]) * K;
      out[i] = static_cast<T>(NEGATE ? -v : v);
    }
  )");
  const int n = 4096;
  array x = random_array({n}, float32, 14, -4.0f, 4.0f);
  const uint64_t before = modules_built();
  int specialisations = 0;
  for (Dtype dtype : {float32, float16, bfloat16}) {
    for (int k : {2, 3}) {
      for (bool negate : {false, true}) {
        array xin = astype(x, dtype, kCpu);
        array out =
            kernel({xin}, {{n}}, {dtype}, {n, 1, 1}, {256, 1, 1},
                   {{"T", dtype}, {"K", k}, {"NEGATE", negate}}, std::nullopt, false, kGpu)[0];
        array expected =
            astype(multiply(astype(xin, float32, kCpu), array(negate ? -float(k) : float(k)), kCpu),
                   dtype, kCpu);
        ASSERT_EQ(out.dtype(), dtype);
        EXPECT_EQ(bytes_of(out), bytes_of(expected)) << dtype << " K=" << k << " " << negate;
        ++specialisations;
      }
    }
  }
  // 12 specialisations, each its own module (built now, or found on disk from a past run);
  // running them again finds every one in memory.
  EXPECT_EQ(modules_built() - before, static_cast<uint64_t>(specialisations));
  const auto hits = jit::cache_stats().memory_hits;
  array again = kernel({x}, {{n}}, {float32}, {n, 1, 1}, {256, 1, 1},
                       {{"T", float32}, {"K", 2}, {"NEGATE", false}}, std::nullopt, false, kGpu)[0];
  again.eval();
  EXPECT_EQ(modules_built() - before, static_cast<uint64_t>(specialisations));
  EXPECT_GT(jit::cache_stats().memory_hits, hits);
}

TEST(CudaCustomKernel, CompileErrorIsTypedAndCarriesTheLog) {
  EMBER_REQUIRE_GPU();
  auto kernel = fast::cuda_kernel("broken_kernel_test", {"x"}, {"out"}, R"(
    out[0] = x[0] + not_declared_anywhere;
  )");
  array x = random_array({4}, float32, 15);
  array out = kernel({x}, {{4}}, {float32}, {1, 1, 1}, {1, 1, 1}, {}, std::nullopt, false, kGpu)[0];
  try {
    out.eval();
    FAIL() << "expected CompileError";
  } catch (const CompileError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("broken_kernel_test"), std::string::npos) << message;
    EXPECT_NE(message.find("not_declared_anywhere"), std::string::npos) << message;
    EXPECT_NE(message.find("NVRTC log"), std::string::npos) << message;
  }
  // The stream stays usable.
  EXPECT_EQ(add(array(1.0f), array(2.0f), kGpu).item<float>(), 3.0f);
}

TEST(CudaCustomKernel, EvalOnCpuThrowsNotImplemented) {
  auto kernel = fast::cuda_kernel("cpu_refused_test", {"x"}, {"out"}, "out[0] = x[0];");
  array out = kernel({array(1.0f)}, {{1}}, {float32}, {1, 1, 1}, {1, 1, 1}, {}, std::nullopt, false,
                     kCpu)[0];
  EXPECT_THROW(out.eval(), NotImplementedError);
}

TEST(CudaCustomKernel, BadArgumentsFailAtBuildTime) {
  auto kernel = fast::cuda_kernel("bad_args_test", {"x"}, {"out"}, "out[0] = x[0];");
  array x(1.0f);
  EXPECT_THROW(
      kernel({x, x}, {{1}}, {float32}, {1, 1, 1}, {1, 1, 1}, {}, std::nullopt, false, kGpu),
      ValueError);
  EXPECT_THROW(
      kernel({x}, {{1}}, {float32}, {1, 1, 1}, {2048, 1, 1}, {}, std::nullopt, false, kGpu),
      ValueError);
  EXPECT_THROW(fast::cuda_kernel("bad name", {"x"}, {"out"}, ""), ValueError);
  EXPECT_THROW(fast::cuda_kernel("dup", {"x"}, {"x"}, ""), ValueError);
}

// ---- The in-memory cache bound ----

std::string tiny_module_source(int i) {
  return "extern \"C\" __global__ void tiny(float* p) { p[0] = " + std::to_string(i) + ".0f; }\n";
}

TEST(CudaJit, CacheBoundEvictsOnlyUnusedModules) {
  EMBER_REQUIRE_GPU();
  jit::clear_unused();
  const size_t capacity = jit::cache_stats().capacity;
  jit::set_cache_capacity(4);
  std::vector<jit::ModulePtr> held;
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i) {
    jit::ModulePtr module = jit::get_module("tiny", tiny_module_source(i), {}, 0);
    keys.push_back(module->key());
    if (i < 2) held.push_back(module);  // modules 0 and 1 stay in use
  }
  const auto stats = jit::cache_stats();
  EXPECT_LE(stats.size, 4u);
  EXPECT_TRUE(jit::is_cached(keys[0], 0));
  EXPECT_TRUE(jit::is_cached(keys[1], 0));
  EXPECT_TRUE(jit::is_cached(keys[7], 0));   // the newest
  EXPECT_FALSE(jit::is_cached(keys[2], 0));  // the oldest unused ones went first
  EXPECT_FALSE(jit::is_cached(keys[3], 0));
  // With no room at all, modules in use still stay.
  jit::set_cache_capacity(0);
  EXPECT_EQ(jit::cache_stats().size, 2u);
  EXPECT_TRUE(jit::is_cached(keys[0], 0));
  EXPECT_TRUE(jit::is_cached(keys[1], 0));
  EXPECT_NE(held[0]->function("tiny"), nullptr);  // still loaded
  held.clear();
  jit::clear_unused();
  EXPECT_EQ(jit::cache_stats().size, 0u);
  jit::set_cache_capacity(capacity);
}

TEST(CudaJit, ModuleOfInFlightKernelIsNotEvicted) {
  EMBER_REQUIRE_GPU();
  // A kernel that spins ~0.5 s; its handle is dropped at once (async_eval), then the cache
  // is told to keep nothing: the submission still holds the module.
  auto kernel = fast::cuda_kernel("spin_test", {"x"}, {"out"}, R"(
    const long long start = clock64();
    while (clock64() - start < 1000000000ll) {}
    out[0] = x[0] * 3.0f;
  )");
  auto run = [&] {
    return kernel({array(2.0f)}, {{1}}, {float32}, {1, 1, 1}, {1, 1, 1}, {}, std::nullopt, false,
                  kGpu)[0];
  };
  jit::clear_unused();
  EXPECT_EQ(run().item<float>(), 6.0f);  // compiled and cached: the next launch is immediate
  array out = run();
  async_eval(out);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // launched by now
  jit::clear_unused();
  EXPECT_GE(jit::cache_stats().size, 1u) << "the in-flight kernel's module was evicted";
  EXPECT_EQ(out.item<float>(), 6.0f);
  synchronize(default_stream(kGpu));
  jit::clear_unused();
  EXPECT_EQ(jit::cache_stats().size, 0u);
}

// ---- MLX #3347 ----

// One step of the chain: out (dtype T) = op(convert<T>(x), w) with one rounding per op, so
// a CPU reference made of plain ops in dtype T matches bit for bit.
struct Step {
  const char* name;
  const char* body;
};
constexpr Step kSteps[] = {
    {"chain_add", "out[i] = static_cast<T>(a + b);"},
    {"chain_sub", "out[i] = static_cast<T>(a - b);"},
    {"chain_mul", "out[i] = static_cast<T>(a * b);"},
    {"chain_max", "out[i] = static_cast<T>(b < a ? a : b);"},  // as Maximum: -0 vs +0 too
    {"chain_clamp",
     "const float m = -float(LIMIT) < a ? a : -float(LIMIT);\n"
     "out[i] = static_cast<T>(m < float(LIMIT) ? m : float(LIMIT));"},
};
constexpr int kChainLength = 50;
constexpr int kChainSize = 1 << 15;

Dtype chain_dtype(int step) {
  static const Dtype dtypes[] = {float32, float16, bfloat16};
  return dtypes[step % 3];
}

std::vector<fast::CustomKernelFunction> chain_kernels() {
  std::vector<fast::CustomKernelFunction> kernels;
  for (const auto& step : kSteps) {
    const std::string source = std::string(R"(
      const int i = blockIdx.x * blockDim.x + threadIdx.x;
      if (i >= SIZE) return;
      // x converts to T first (as astype does), then the op runs in float and rounds once.
      const float a = static_cast<float>(static_cast<T>(static_cast<float>(x[i])));
      const float b = static_cast<float>(w[i]);
      (void)b;
    )") + step.body;
    kernels.push_back(fast::cuda_kernel(step.name, {"x", "w"}, {"out"}, source));
  }
  return kernels;
}

// w for step j: small dyadic values in dtype j, built lazily on the GPU from host data.
array chain_weight(const std::vector<array>& host_weights, int j, const Device& device) {
  return astype(host_weights[j], chain_dtype(j), device);
}

// Builds the whole chain and returns only its end: every intermediate handle dies here.
array build_gpu_chain(const std::vector<fast::CustomKernelFunction>& kernels, const array& x0,
                      const std::vector<array>& host_weights) {
  array x = astype(x0, float32, kGpu);
  for (int j = 0; j < kChainLength; ++j) {
    const int kind = j % 5;
    const Dtype dtype = chain_dtype(j);
    std::vector<std::pair<std::string, fast::TemplateArg>> targs = {{"T", dtype},
                                                                    {"SIZE", kChainSize}};
    if (kind == 4) targs.emplace_back("LIMIT", 16 + 8 * (j % 3));
    x = kernels[kind]({x, chain_weight(host_weights, j, kGpu)}, {{kChainSize}}, {dtype},
                      {kChainSize, 1, 1}, {256, 1, 1}, targs, std::nullopt, false, kGpu)[0];
  }
  return x;
}

array cpu_chain(const array& x0, const std::vector<array>& host_weights) {
  array x = x0;
  for (int j = 0; j < kChainLength; ++j) {
    const Dtype dtype = chain_dtype(j);
    array a = astype(x, dtype, kCpu);
    array b = chain_weight(host_weights, j, kCpu);
    switch (j % 5) {
      case 0:
        x = add(a, b, kCpu);
        break;
      case 1:
        x = subtract(a, b, kCpu);
        break;
      case 2:
        x = multiply(a, b, kCpu);
        break;
      case 3:
        x = maximum(a, b, kCpu);
        break;
      default: {
        const float limit = static_cast<float>(16 + 8 * (j % 3));
        x = minimum(maximum(a, astype(array(-limit), dtype, kCpu), kCpu),
                    astype(array(limit), dtype, kCpu), kCpu);
      }
    }
  }
  x.eval();
  return x;
}

TEST(CudaCustomKernel, Mlx3347ChainOf50KernelsWithDroppedIntermediates) {
  EMBER_REQUIRE_GPU();
  const auto kernels = chain_kernels();
  // Values that stay exact enough: x in [-8, 8] in steps of 1/4, w in {-2, ..., 2} / 2.
  std::vector<float> x_values(kChainSize);
  std::mt19937 rng(3347);
  for (auto& v : x_values) v = static_cast<float>(static_cast<int>(rng() % 65) - 32) / 4.0f;
  array x0(x_values.begin(), {kChainSize}, float32);
  std::vector<array> host_weights;
  for (int j = 0; j < kChainLength; ++j) {
    std::vector<float> w(kChainSize);
    for (auto& v : w) v = static_cast<float>(static_cast<int>(rng() % 5) - 2) / 2.0f;
    if (j % 5 == 2) {
      for (auto& v : w) v = v == 0.0f ? 1.0f : v;  // multipliers: +-1/2, +-1
    }
    host_weights.emplace_back(w.begin(), Shape{kChainSize}, float32);
  }
  const std::vector<uint8_t> reference = bytes_of(cpu_chain(x0, host_weights));
  {
    array cpu = cpu_chain(x0, host_weights);
    array f = astype(cpu, float32, kCpu);
    const float* p = f.data<float>();
    int nonzero = 0;
    for (int i = 0; i < kChainSize; ++i) nonzero += p[i] != 0.0f;
    ASSERT_GT(nonzero, kChainSize / 4) << "the reference chain degenerated";
  }

  // Up to 1,000 runs, or as many as fit in about 20 s (fewer under compute-sanitizer).
  const auto start = std::chrono::steady_clock::now();
  int runs = 0;
  std::vector<uint8_t> first;
  for (; runs < 1000; ++runs) {
    if (runs >= 10 && std::chrono::steady_clock::now() - start > std::chrono::seconds(20)) break;
    array result = build_gpu_chain(kernels, x0, host_weights);
    ASSERT_EQ(result.dtype(), chain_dtype(kChainLength - 1));
    std::vector<uint8_t> bytes = bytes_of(result);
    if (runs == 0) {
      first = bytes;
      array f = astype(result, float32, kCpu);
      const float* p = f.data<float>();
      for (int i = 0; i < kChainSize; ++i) ASSERT_FALSE(std::isnan(p[i])) << "NaN at " << i;
      ASSERT_EQ(bytes, reference) << "GPU chain differs from the CPU reference";
    } else {
      ASSERT_EQ(bytes, first) << "run " << runs << " differs from run 0";
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[ #3347 ] %d runs of a 50-kernel chain (%d elements) in %.1f s, all bitwise "
      "identical and equal to the CPU reference\n",
      runs, kChainSize, seconds);
}

}  // namespace
