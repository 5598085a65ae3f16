// random: MLX's known answers (key(0) and key(1) bits, split and uniform values from MLX's
// tests/random_tests.cpp, generated there with JAX's Threefry), determinism and stream
// independence, the global key sequence across threads, statistics with fixed keys
// (moments within a few standard errors, Kolmogorov-Smirnov bounds), dtypes and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>
#include <vector>

#include "ember/ember.h"

namespace {

using namespace ember;

template <class T>
std::vector<T> values(const array& a) {
  array c = contiguous(a);
  c.eval();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.size());
}

std::vector<double> as_doubles(const array& a) {
  std::vector<double> out;
  for (float v : values<float>(astype(a, float32))) out.push_back(v);
  return out;
}

float to_float(uint32_t n) { return static_cast<float>(n) / static_cast<float>(UINT32_MAX); }

double sample_mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return s / double(x.size());
}
double sample_variance(const std::vector<double>& x) {
  const double m = sample_mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return s / double(x.size() - 1);
}
// Kolmogorov-Smirnov statistic of `x` against the CDF `cdf`.
template <class Cdf>
double ks_statistic(std::vector<double> x, Cdf cdf) {
  std::sort(x.begin(), x.end());
  const double n = double(x.size());
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(x[i]);
    d = std::max({d, f - double(i) / n, double(i + 1) / n - f});
  }
  return d;
}
// The KS critical value at significance 0.001 is about 1.95 / sqrt(n).
double ks_bound(size_t n) { return 1.95 / std::sqrt(double(n)); }

// ---- MLX's known answers ----

TEST(RandomKnownAnswers, Key) {
  EXPECT_EQ(values<uint32_t>(random::key(0)), (std::vector<uint32_t>{0, 0}));
  EXPECT_EQ(values<uint32_t>(random::key((uint64_t(7) << 32) | 9)), (std::vector<uint32_t>{7, 9}));
  EXPECT_EQ(random::key(0).dtype(), uint32);
}

TEST(RandomKnownAnswers, Bits) {
  array key0 = random::key(0);
  EXPECT_EQ(random::bits({}, key0).item<uint32_t>(), 1797259609u);
  EXPECT_EQ(random::bits({}, 2, key0).item<uint16_t>(), 345);
  EXPECT_EQ(random::bits({}, 1, key0).item<uint8_t>(), 89);
  array key1 = random::key(1);
  EXPECT_EQ(random::bits({}, key1).item<uint32_t>(), 507451445u);
  EXPECT_EQ(random::bits({}, 2, key1).item<uint16_t>(), 6197);
  EXPECT_EQ(random::bits({}, 1, key1).item<uint8_t>(), 53);

  EXPECT_EQ(values<uint32_t>(random::bits({3, 1}, key0)),
            (std::vector<uint32_t>{4146024105u, 1351547692u, 2718843009u}));
  EXPECT_EQ(random::bits({3, 1}, key0).shape(), Shape({3, 1}));
  EXPECT_EQ(values<uint16_t>(random::bits({5}, 2, key0)),
            (std::vector<uint16_t>{20137, 63263, 64300, 20622, 16513}));
  EXPECT_EQ(values<uint16_t>(random::bits({6}, 2, key0)),
            (std::vector<uint16_t>{20137, 63263, 64300, 20622, 16513, 41486}));
  EXPECT_EQ(values<uint16_t>(random::bits({7}, 2, key0)),
            (std::vector<uint16_t>{20137, 63263, 1497, 14756, 16513, 41486, 44591}));
  EXPECT_EQ(values<uint16_t>(random::bits({8}, 2, key0)),
            (std::vector<uint16_t>{20137, 63263, 1497, 14756, 16513, 41486, 44591, 19423}));
}

TEST(RandomKnownAnswers, Split) {
  // JAX's split of PRNGKey(0), which MLX reproduces.
  array keys = random::split(random::key(0), 2);
  EXPECT_EQ(keys.shape(), Shape({2, 2}));
  EXPECT_EQ(values<uint32_t>(keys),
            (std::vector<uint32_t>{4146024105u, 967050713u, 2718843009u, 1272950319u}));
  auto [k1, k2] = random::split(random::key(0));
  EXPECT_EQ(values<uint32_t>(k1), (std::vector<uint32_t>{4146024105u, 967050713u}));
  EXPECT_EQ(values<uint32_t>(k2), (std::vector<uint32_t>{2718843009u, 1272950319u}));
  EXPECT_EQ(random::split(random::key(3), 10).shape(), Shape({10, 2}));
}

TEST(RandomKnownAnswers, Uniform) {
  EXPECT_EQ(random::uniform({}, random::key(0)).item<float>(), to_float(1797259609u));
  EXPECT_EQ(random::uniform({}, random::key(1)).item<float>(), to_float(507451445u));
  EXPECT_EQ(
      values<float>(random::uniform({3, 1}, random::key(0))),
      (std::vector<float>{to_float(4146024105u), to_float(1351547692u), to_float(2718843009u)}));
}

// ---- determinism and independence ----

TEST(Random, SameKeySameNumbersSplitKeysDiffer) {
  array key = random::key(42);
  EXPECT_EQ(values<float>(random::normal({100}, key)), values<float>(random::normal({100}, key)));
  auto [a, b] = random::split(key);
  const auto x = values<uint32_t>(random::bits({1000}, a));
  const auto y = values<uint32_t>(random::bits({1000}, b));
  size_t equal = 0;
  for (size_t i = 0; i < x.size(); ++i) equal += x[i] == y[i];
  EXPECT_LT(equal, 3u);
  EXPECT_NE(values<uint32_t>(a), values<uint32_t>(b));
}

TEST(Random, GlobalSeedReproduces) {
  random::seed(3);
  const float a = random::uniform({}).item<float>();
  const float b = random::uniform({}).item<float>();
  random::seed(3);
  EXPECT_EQ(random::uniform({}).item<float>(), a);
  EXPECT_EQ(random::uniform({}).item<float>(), b);
  EXPECT_NE(a, b);
}

TEST(Random, GlobalSequenceIsThreadSafe) {
  random::seed(11);
  constexpr int kThreads = 8, kDraws = 200;
  std::vector<std::vector<uint32_t>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kDraws; ++i) drawn[t].push_back(random::bits({}).item<uint32_t>());
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint32_t> all;
  for (const auto& d : drawn) all.insert(d.begin(), d.end());
  // Every draw used a distinct key: collisions of 1600 32-bit values are very unlikely.
  EXPECT_GE(all.size(), size_t(kThreads * kDraws) - 1);
  // And the set is the same as drawing sequentially from the same seed.
  random::seed(11);
  std::set<uint32_t> sequential;
  for (int i = 0; i < kThreads * kDraws; ++i) sequential.insert(random::bits({}).item<uint32_t>());
  EXPECT_EQ(all, sequential);
}

// ---- statistics ----

constexpr size_t kN = 200000;

TEST(RandomStatistics, Uniform) {
  const auto x = as_doubles(random::uniform(-1.0f, 3.0f, {int(kN)}, float32, random::key(5)));
  for (double v : x) ASSERT_TRUE(v >= -1.0 && v < 3.0) << v;
  EXPECT_NEAR(sample_mean(x), 1.0, 5 * std::sqrt(16.0 / 12 / kN));
  EXPECT_NEAR(sample_variance(x), 16.0 / 12, 0.02);
  EXPECT_LT(ks_statistic(x, [](double v) { return (v + 1) / 4; }), ks_bound(kN));
}

TEST(RandomStatistics, Normal) {
  const auto x = as_doubles(random::normal({int(kN)}, random::key(6)));
  EXPECT_NEAR(sample_mean(x), 0.0, 5 / std::sqrt(double(kN)));
  EXPECT_NEAR(sample_variance(x), 1.0, 5 * std::sqrt(2.0 / kN));
  EXPECT_LT(ks_statistic(x, [](double v) { return 0.5 * std::erfc(-v / std::sqrt(2.0)); }),
            ks_bound(kN));
  const auto y = as_doubles(random::normal({int(kN)}, float32, 3.0f, 2.0f, random::key(6)));
  EXPECT_NEAR(sample_mean(y), 3.0, 5 * 2 / std::sqrt(double(kN)));
  EXPECT_NEAR(sample_variance(y), 4.0, 5 * 4 * std::sqrt(2.0 / kN));
  // loc and scale apply as scale * z + loc to the same z.
  for (size_t i = 0; i < 100; ++i) EXPECT_NEAR(y[i], 2 * x[i] + 3, 1e-5);
}

TEST(RandomStatistics, Laplace) {
  const auto x = as_doubles(random::laplace({int(kN)}, random::key(7)));
  EXPECT_NEAR(sample_mean(x), 0.0, 5 * std::sqrt(2.0 / kN));
  EXPECT_NEAR(sample_variance(x), 2.0, 0.06);
  EXPECT_LT(
      ks_statistic(x, [](double v) { return v < 0 ? 0.5 * std::exp(v) : 1 - 0.5 * std::exp(-v); }),
      ks_bound(kN));
}

TEST(RandomStatistics, Gumbel) {
  const auto x = as_doubles(random::gumbel({int(kN)}, float32, random::key(8)));
  const double pi = 3.14159265358979;
  EXPECT_NEAR(sample_mean(x), 0.5772156649, 5 * std::sqrt(pi * pi / 6 / kN));
  EXPECT_LT(ks_statistic(x, [](double v) { return std::exp(-std::exp(-v)); }), ks_bound(kN));
}

TEST(RandomStatistics, Bernoulli) {
  const auto x = values<bool>(random::bernoulli(0.3f, {int(kN)}, random::key(9)));
  double ones = 0;
  for (bool v : x) ones += v;
  EXPECT_NEAR(ones / kN, 0.3, 5 * std::sqrt(0.21 / kN));
  EXPECT_EQ(values<bool>(random::bernoulli(array({2.0f, -2.0f}), random::key(1))),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(random::bernoulli().dtype(), bool_);
}

TEST(RandomStatistics, Randint) {
  const auto x = values<int32_t>(random::randint(-3, 7, {int(kN)}, int32, random::key(10)));
  std::vector<double> counts(10, 0);
  for (int32_t v : x) {
    ASSERT_TRUE(v >= -3 && v < 7) << v;
    counts[v + 3] += 1;
  }
  for (double c : counts) EXPECT_NEAR(c, kN / 10.0, 5 * std::sqrt(kN * 0.09));
  // Beyond float32 precision, and 64-bit ranges.
  const auto big = values<int64_t>(random::randint(
      array(int64_t(1) << 40), array((int64_t(1) << 40) + 4), {1000}, int64, random::key(11)));
  std::set<int64_t> seen(big.begin(), big.end());
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(*seen.begin(), int64_t(1) << 40);
  // high <= low gives low.
  for (int32_t v : values<int32_t>(random::randint(5, -5, {100}, int32, random::key(1)))) {
    EXPECT_EQ(v, 5);
  }
  for (uint8_t v : values<uint8_t>(random::randint(10, 20, {100}, uint8, random::key(2)))) {
    EXPECT_TRUE(v >= 10 && v < 20);
  }
}

TEST(RandomStatistics, TruncatedNormal) {
  array x =
      random::truncated_normal(array(-1.0f), array(2.0f), {int(kN)}, float32, random::key(12));
  const auto v = as_doubles(x);
  for (double s : v) ASSERT_TRUE(s >= -1.0 && s <= 2.0) << s;
  // Mean of N(0,1) truncated to [a, b]: (phi(a) - phi(b)) / (Phi(b) - Phi(a)).
  auto phi = [](double t) { return std::exp(-t * t / 2) / std::sqrt(2 * 3.14159265358979); };
  auto Phi = [](double t) { return 0.5 * std::erfc(-t / std::sqrt(2.0)); };
  const double mean = (phi(-1) - phi(2)) / (Phi(2) - Phi(-1));
  EXPECT_NEAR(sample_mean(v), mean, 5 / std::sqrt(double(kN)));
  EXPECT_LT(ks_statistic(v, [&](double t) { return (Phi(t) - Phi(-1)) / (Phi(2) - Phi(-1)); }),
            ks_bound(kN));
  array y = random::truncated_normal(reshape(array({-2.0f, 0.0f}), {1, 2}),
                                     reshape(array({0.0f, 1.0f, 2.0f}), {3, 1}));
  EXPECT_EQ(y.shape(), Shape({3, 2}));
}

// ---- shapes and dtypes ----

TEST(Random, ShapesAndDtypes) {
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    array u = random::uniform({1000}, t, random::key(4));
    EXPECT_EQ(u.dtype(), t);
    for (double v : as_doubles(u)) ASSERT_TRUE(v >= 0.0 && v < 1.0) << dtype_name(t) << " " << v;
    array n = random::normal({1000}, t, random::key(4));
    EXPECT_EQ(n.dtype(), t);
    for (double v : as_doubles(n)) ASSERT_TRUE(std::isfinite(v)) << dtype_name(t);
    EXPECT_EQ(random::laplace({3}, t).dtype(), t);
    EXPECT_EQ(random::gumbel({3}, t).dtype(), t);
  }
  EXPECT_EQ(random::uniform({0}).size(), 0u);
  EXPECT_EQ(random::normal({2, 0, 3}).shape(), Shape({2, 0, 3}));
  EXPECT_EQ(random::bits({0}).size(), 0u);
  EXPECT_EQ(random::uniform(zeros({3, 1}), ones({1, 3}), {3, 3}).shape(), Shape({3, 3}));
  EXPECT_EQ(random::randint(0, 2, {}, bool_).dtype(), bool_);
  EXPECT_EQ(random::randint(0, 10, {4}, uint64).dtype(), uint64);
  // Width 1 and 2 with odd byte counts stay within the output.
  EXPECT_EQ(values<uint8_t>(random::bits({3}, 1, random::key(0))).size(), 3u);
}

// ---- errors ----

TEST(Random, Errors) {
  EXPECT_THROW(random::bits({}, 3), ValueError);
  EXPECT_THROW(random::bits({}, 0), ValueError);
  EXPECT_THROW(random::bits({-1}), ValueError);
  EXPECT_THROW(random::uniform({}, array({0, 0})), TypeError);             // int32 key
  EXPECT_THROW(random::uniform({}, array({0u, 0u}, {1, 2})), ValueError);  // shape (1, 2)
  EXPECT_THROW(random::uniform({}, array({0u, 0u, 0u})), ValueError);      // shape (3)
  EXPECT_THROW(random::uniform({}, int32), TypeError);
  EXPECT_THROW(random::uniform(zeros({3, 3}), array(1.0f), {1, 3}), ValueError);
  EXPECT_THROW(random::normal({}, int32), TypeError);
  EXPECT_THROW(random::laplace({}, uint8), TypeError);
  EXPECT_THROW(random::gumbel({}, int64), TypeError);
  EXPECT_THROW(random::randint(0, 3, {1}, float32), TypeError);
  EXPECT_THROW(random::randint(zeros({3}), array(5), {2}), ValueError);
  EXPECT_THROW(random::bernoulli(array(1)), TypeError);
  EXPECT_THROW(random::bernoulli(array({0.1f, 0.2f, 0.3f}), {2}), ValueError);
  EXPECT_THROW(random::truncated_normal(array(0.0f), array(1.0f), {2}, int32), TypeError);
  EXPECT_THROW(random::split(random::key(0), -1), ValueError);
  try {
    random::uniform({}, int32);
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("[uniform]"), std::string::npos);
  }
}

}  // namespace

namespace {

using namespace ember;

TEST(RandomSampling, Categorical) {
  array logits = zeros({10, 20});
  EXPECT_EQ(random::categorical(logits).shape(), Shape({10}));
  EXPECT_EQ(random::categorical(logits, 0).shape(), Shape({20}));
  EXPECT_EQ(random::categorical(logits, 0, Shape{5, 20}).shape(), Shape({5, 20}));
  EXPECT_LT(max(astype(random::categorical(logits), int64)).item<int64_t>(), 20);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(
      astype(random::categorical(array({1.0f, -2.0f, inf, 4.0f, 3.0f})), int64).item<int64_t>(), 2);
  EXPECT_EQ(astype(random::categorical(array({-inf, -2.0f, -inf, -inf})), int64).item<int64_t>(),
            1);
  EXPECT_EQ(random::categorical(zeros({5, 4, 3}), -1, 7).shape(), Shape({5, 4, 7}));
  EXPECT_EQ(random::categorical(zeros({5, 4, 3}), -2, 7).shape(), Shape({5, 3, 7}));
  EXPECT_THROW(random::categorical(logits, 2), ValueError);
  EXPECT_THROW(random::categorical(logits, -3), ValueError);
  EXPECT_THROW(random::categorical(logits, 1, Shape{11}), ValueError);

  // Frequencies follow softmax(logits).
  constexpr int kSamples = 100000;
  array probs = array({0.2f, 0.3f, 0.5f});
  array draws = astype(random::categorical(log(probs), -1, kSamples, random::key(21)), int64);
  EXPECT_EQ(draws.shape(), Shape({kSamples}));
  std::vector<double> counts(3, 0);
  for (int64_t v : values<int64_t>(draws)) counts.at(static_cast<size_t>(v)) += 1;
  const double p[3] = {0.2, 0.3, 0.5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(counts[i] / kSamples, p[i], 5 * std::sqrt(p[i] * (1 - p[i]) / kSamples));
  }
}

TEST(RandomSampling, Permutation) {
  auto perm = values<int32_t>(astype(random::permutation(50, random::key(3)), int32));
  auto sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_NE(perm, sorted);
  EXPECT_EQ(values<int32_t>(astype(random::permutation(50, random::key(3)), int32)), perm);

  array x = reshape(arange(12), {3, 4});
  array shuffled = random::permutation(x, 1, random::key(4));
  EXPECT_EQ(shuffled.shape(), Shape({3, 4}));
  auto rows = values<int32_t>(shuffled);
  for (int r = 0; r < 3; ++r) {
    std::vector<int32_t> row(rows.begin() + 4 * r, rows.begin() + 4 * r + 4);
    std::sort(row.begin(), row.end());
    for (int c = 0; c < 4; ++c) EXPECT_EQ(row[c], 4 * r + c);
  }
  EXPECT_THROW(random::permutation(array(1.0f)), ValueError);
}

}  // namespace
