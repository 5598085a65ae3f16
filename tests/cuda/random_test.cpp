// The random primitives on the GPU against the CPU: RandomBits bit for bit (every width,
// odd sizes, split and batched keys, strided keys), and the distributions built on
// RandomTransform, bit for bit where only integer steps and exact float steps are involved,
// within dtype tolerance where GPU logf/erff may differ from glibc's by an ulp.
#include "ember/core/primitives/random.h"

#include <cstring>
#include <memory>

#include "cuda_test_util.h"
#include "ember/core/random.h"

namespace ember::test {
namespace {

// Expects the bytes of `gpu` to equal those of `cpu` (same shape and dtype).
void expect_bitwise(const array& cpu, const array& gpu, const std::string& what) {
  ASSERT_EQ(cpu.shape(), gpu.shape()) << what;
  ASSERT_EQ(cpu.dtype(), gpu.dtype()) << what;
  array c = contiguous(cpu, false, kCpu);
  array g = contiguous(gpu, false, kCpu);
  c.eval();
  g.eval();
  ASSERT_EQ(c.nbytes(), g.nbytes()) << what;
  const auto* pc = static_cast<const uint8_t*>(c.raw_data());
  const auto* pg = static_cast<const uint8_t*>(g.raw_data());
  int reported = 0;
  for (size_t i = 0; i < c.nbytes(); ++i) {
    if (pc[i] != pg[i] && reported++ < 5) {
      ADD_FAILURE() << what << ": byte " << i << " cpu " << int(pc[i]) << " gpu " << int(pg[i]);
    }
  }
}

std::vector<array> test_keys() {
  std::vector<array> keys = {random::key(0), random::key(42),
                             random::key((uint64_t(0xdeadbeef) << 32) | 0x12345)};
  array split = random::split(random::key(7), 3, kCpu);
  for (int i = 0; i < 3; ++i) keys.push_back(reshape(slice(split, {i, 0}, {i + 1, 2}), {2}));
  return keys;
}

TEST(CudaRandom, BitsMatchCpuBitwise) {
  EMBER_REQUIRE_GPU();
  const std::vector<Shape> shapes = {{}, {1}, {2}, {3}, {5, 7}, {2, 3, 5}, {1001}, {4, 33}, {0}};
  const auto keys = test_keys();
  for (size_t k = 0; k < keys.size(); ++k) {
    for (int width : {1, 2, 4}) {
      for (const auto& shape : shapes) {
        const std::string what = "key " + std::to_string(k) + " width " + std::to_string(width) +
                                 " shape " + shape_to_string(shape);
        expect_bitwise(random::bits(shape, width, keys[k], kCpu),
                       random::bits(shape, width, keys[k], kGpu), what);
      }
    }
  }
}

TEST(CudaRandom, SplitOnTheGpuMatchesCpu) {
  EMBER_REQUIRE_GPU();
  for (int num : {1, 2, 3, 10}) {
    expect_bitwise(random::split(random::key(5), num, kCpu),
                   random::split(random::key(5), num, kGpu), "split " + std::to_string(num));
  }
  // Keys made on the GPU, then used there.
  auto [a, b] = random::split(random::key(11), kGpu);
  auto [c, d] = random::split(random::key(11), kCpu);
  expect_bitwise(random::bits({17}, 2, c, kCpu), random::bits({17}, 2, a, kGpu), "split key a");
  expect_bitwise(random::bits({9, 3}, 1, d, kCpu), random::bits({9, 3}, 1, b, kGpu), "split key b");
}

// Several keys in one RandomBits node (the layout repeats per key, at byte offsets that
// need not be word aligned), keys given as a transposed (strided) view.
TEST(CudaRandom, BatchedKeysMatchCpu) {
  EMBER_REQUIRE_GPU();
  array keys = transpose(array({1u, 2u, 3u, 4u, 5u, 6u}, {2, 3}, uint32));  // [3, 2], strided
  for (int width : {1, 2, 4}) {
    for (int per_key : {1, 3, 5, 8}) {
      const Dtype dtype = width == 1 ? uint8 : width == 2 ? uint16 : uint32;
      const Shape shape{3, per_key};
      auto make = [&](Device device) {
        return array(shape, dtype,
                     std::make_shared<RandomBits>(default_stream(device), shape, width), {keys});
      };
      expect_bitwise(make(kCpu), make(kGpu),
                     "batched width " + std::to_string(width) + " x" + std::to_string(per_key));
    }
  }
}

TEST(CudaRandom, DistributionsMatchCpu) {
  EMBER_REQUIRE_GPU();
  const auto keys = test_keys();
  for (size_t k = 0; k < keys.size(); ++k) {
    const array& key = keys[k];
    const std::string tag = " key " + std::to_string(k);
    // uniform: bits -> [0, 1) is exact, then range * u + low in the dtype.
    for (Dtype dtype : {float32, bfloat16, float16}) {
      expect_same(random::uniform({7, 13}, dtype, key, kCpu),
                  random::uniform({7, 13}, dtype, key, kGpu), "uniform" + tag,
                  tolerance_for(dtype));
    }
    expect_bitwise(random::uniform({1001}, float32, key, kCpu),
                   random::uniform({1001}, float32, key, kGpu), "uniform bits" + tag);
    expect_same(
        random::uniform(array(-3.0f), array({1.0f, 2.0f, 5.0f}), {4, 3}, float32, key, kCpu),
        random::uniform(array(-3.0f), array({1.0f, 2.0f, 5.0f}), {4, 3}, float32, key, kGpu),
        "uniform broadcast bounds" + tag, tolerance_for(float32));
    for (Dtype dtype : {float32, bfloat16}) {
      expect_same(random::normal({513}, dtype, 0.5f, 2.0f, key, kCpu),
                  random::normal({513}, dtype, 0.5f, 2.0f, key, kGpu), "normal" + tag,
                  tolerance_for(dtype));
    }
    expect_same(random::laplace({3, 41}, 1.0f, 0.5f, key, kCpu),
                random::laplace({3, 41}, 1.0f, 0.5f, key, kGpu), "laplace" + tag, {1e-5, 1e-5});
    expect_same(random::truncated_normal(array(-1.0f), array(2.0f), {300}, float32, key, kCpu),
                random::truncated_normal(array(-1.0f), array(2.0f), {300}, float32, key, kGpu),
                "truncated_normal" + tag, {1e-4, 1e-5});
    expect_same(random::gumbel({64}, float32, key, kCpu), random::gumbel({64}, float32, key, kGpu),
                "gumbel" + tag, {1e-5, 1e-5});
    // Integer and boolean results: exact.
    for (Dtype dtype : {int32, uint8, int64, uint64, int16}) {
      expect_bitwise(random::randint(array(-5), array(1000), {9, 11}, dtype, key, kCpu),
                     random::randint(array(-5), array(1000), {9, 11}, dtype, key, kGpu),
                     "randint" + tag);
    }
    expect_bitwise(random::randint(array({0, 10, 100}), array(200), {4, 3}, int32, key, kCpu),
                   random::randint(array({0, 10, 100}), array(200), {4, 3}, int32, key, kGpu),
                   "randint broadcast bounds" + tag);
    array p = array({0.0f, 0.1f, 0.5f, 0.9f, 1.0f});
    expect_bitwise(random::bernoulli(p, {40, 5}, key, kCpu),
                   random::bernoulli(p, {40, 5}, key, kGpu), "bernoulli" + tag);
    expect_bitwise(random::bernoulli(astype(p, bfloat16), {3, 5}, key, kCpu),
                   random::bernoulli(astype(p, bfloat16), {3, 5}, key, kGpu),
                   "bernoulli bfloat16" + tag);
  }
}

// categorical takes an argmax over logits + gumbel noise: a noise value an ulp apart can
// only flip a near tie, so almost every draw must agree.
TEST(CudaRandom, CategoricalMatchesCpu) {
  EMBER_REQUIRE_GPU();
  array logits = random_array({16, 50}, float32, 3);
  array cpu = random::categorical(logits, -1, 64, random::key(9), kCpu);
  array gpu = random::categorical(logits, -1, 64, random::key(9), kGpu);
  ASSERT_EQ(cpu.shape(), gpu.shape());
  const auto c = host_values(cpu), g = host_values(gpu);
  size_t same = 0;
  for (size_t i = 0; i < c.size(); ++i) same += c[i] == g[i];
  EXPECT_GE(same, c.size() - 2) << "categorical draws differ";
}

}  // namespace
}  // namespace ember::test
