// The random module (core/random.h): keys, the global key sequence, bits, and the
// distributions, composed as MLX composes them (mlx/random.cpp) so that a key gives MLX's
// numbers. Steps with no core op yet, or that must match MLX bit for bit, run in the
// RandomTransform primitive.
#include "ember/core/random.h"

#include <cmath>
#include <limits>
#include <mutex>

#include "ember/core/dtype.h"
#include "ember/core/errors.h"
#include "ember/core/ops/creation.h"
#include "ember/core/ops/elementwise.h"
#include "ember/core/ops/shape.h"
#include "ember/core/primitives/random.h"

namespace ember::random {

namespace {

// The global key sequence: each draw splits the current key in two, keeps the first and
// hands out the second, under a mutex (MLX's KeySequence).
class KeySequence {
 public:
  static KeySequence& instance() {
    static KeySequence sequence(0);
    return sequence;
  }
  void seed(uint64_t value) {
    std::lock_guard lock(mutex_);
    key_ = key_values(value);
  }
  array next() {
    std::lock_guard lock(mutex_);
    // Split on the host (the same Threefry counters as split(key)), so drawing never waits
    // on a stream and the sequence's state is never a lazy graph.
    uint32_t words[4];
    for (uint32_t i = 0; i < 2; ++i) {
      const auto [a, b] = detail::threefry2x32(key_, {i, i + 2});
      words[i] = a;
      words[i + 2] = b;
    }
    key_ = {words[0], words[1]};
    return array({words[2], words[3]});
  }

 private:
  explicit KeySequence(uint64_t value) : key_(key_values(value)) {}
  static std::pair<uint32_t, uint32_t> key_values(uint64_t value) {
    return {static_cast<uint32_t>(value >> 32), static_cast<uint32_t>(value)};
  }
  std::mutex mutex_;
  std::pair<uint32_t, uint32_t> key_;
};

array resolve_key(const std::optional<array>& key, const char* op) {
  if (!key) return KeySequence::instance().next();
  EMBER_CHECK(key->dtype() == uint32, TypeError, "[", op, "] expected a uint32 key but got ",
              key->dtype());
  EMBER_CHECK(key->shape() == Shape{2}, ValueError, "[", op,
              "] expected a key of shape (2) but got ", shape_to_string(key->shape()));
  return *key;
}

void check_floating(Dtype dtype, const char* op) {
  EMBER_CHECK(issubdtype(dtype, floating), TypeError, "[", op,
              "] can only generate floating point dtypes, not ", dtype);
}

array transform(RandomTransform::Kind kind, const std::vector<array>& inputs, const Shape& shape,
                Dtype dtype, Stream stream, float param = 0.0f) {
  std::vector<array> broadcast;
  for (const auto& in : inputs) broadcast.push_back(broadcast_to(in, shape, stream));
  return array(shape, dtype, std::make_shared<RandomTransform>(stream, kind, param),
               std::move(broadcast));
}

// The largest value below 1 in `dtype`, as a float32 (MLX's upper bound for uniform).
float below_one(Dtype dtype) {
  if (dtype == float16) return static_cast<float>(float16_t(1.0f)) - 1.0f / 2048.0f;
  if (dtype == bfloat16) return 1.0f - 1.0f / 256.0f;
  return std::nextafter(1.0f, 0.0f);
}

// min(a, b) for floats, from the ops the core has: -max(-a, -b) is exact.
array minimum_of(const array& a, const array& b, Stream s) {
  return negative(maximum(negative(a, s), negative(b, s), s), s);
}

// uniform in [-1, 1) as MLX's normal and laplace draw it, float32.
array symmetric_uniform(const Shape& shape, const std::optional<array>& key, Stream s) {
  return random::uniform(array(std::nextafter(-1.0f, 0.0f)), array(1.0f), shape, float32, key, s);
}

}  // namespace

void seed(uint64_t value) { KeySequence::instance().seed(value); }

array key(uint64_t seed) {
  return array({static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(seed)});
}

array bits(const Shape& shape, int width, const std::optional<array>& key, StreamOrDevice s) {
  Dtype dtype = uint32;
  switch (width) {
    case 4:
      dtype = uint32;
      break;
    case 2:
      dtype = uint16;
      break;
    case 1:
      dtype = uint8;
      break;
    default:
      throw ValueError(ember::detail::concat("[bits] width must be 1, 2 or 4, not ", width));
  }
  for (int32_t d : shape) {
    EMBER_CHECK(d >= 0, ValueError, "[bits] negative dimension in shape ", shape_to_string(shape));
  }
  array k = resolve_key(key, "bits");
  return array(shape, dtype, std::make_shared<RandomBits>(to_stream(s), shape, width), {k});
}

array split(const array& key, int num, StreamOrDevice s) {
  EMBER_CHECK(num >= 0, ValueError, "[split] cannot make ", num, " keys");
  return random::bits({num, 2}, 4, key, s);
}

std::pair<array, array> split(const array& key, StreamOrDevice s) {
  const Stream stream = to_stream(s);
  array keys = random::split(key, 2, stream);
  return {reshape(slice(keys, {0, 0}, {1, 2}, stream), {2}, stream),
          reshape(slice(keys, {1, 0}, {2, 2}, stream), {2}, stream)};
}

array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "uniform");
  const Stream stream = to_stream(s);
  array lo = astype(low, dtype, stream);
  array hi = astype(high, dtype, stream);
  array range = subtract(hi, lo, stream);
  const Shape out_shape = broadcast_shapes(shape, range.shape(), "uniform");
  EMBER_CHECK(out_shape == shape, ValueError, "[uniform] cannot generate values of shape ",
              shape_to_string(shape), " from low and high broadcasting to ",
              shape_to_string(out_shape));
  array raw = random::bits(shape, 4, key, stream);
  array unit = transform(RandomTransform::Kind::unit_interval, {raw}, shape, float32, stream,
                         below_one(dtype));
  return add(multiply(range, astype(unit, dtype, stream), stream), lo, stream);
}

array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  return random::uniform(array(0.0, dtype), array(1.0, dtype), shape, dtype, key, s);
}

array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "normal");
  const Stream stream = to_stream(s);
  array samples = symmetric_uniform(shape, key, stream);
  samples = transform(RandomTransform::Kind::erfinv, {samples}, shape, float32, stream);
  array applied_scale = array(std::sqrt(2.0), dtype);
  if (scale) applied_scale = multiply(applied_scale, astype(*scale, dtype, stream), stream);
  samples = multiply(applied_scale, astype(samples, dtype, stream), stream);
  if (loc) samples = add(astype(*loc, dtype, stream), samples, stream);
  return samples;
}

array randint(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  EMBER_CHECK(!issubdtype(dtype, inexact), TypeError,
              "[randint] needs an integer or bool dtype, not ", dtype);
  const Stream stream = to_stream(s);
  const Shape out_shape =
      broadcast_shapes(shape, broadcast_shapes(low.shape(), high.shape(), "randint"), "randint");
  EMBER_CHECK(out_shape == shape, ValueError, "[randint] cannot generate values of shape ",
              shape_to_string(shape), " from low and high broadcasting to ",
              shape_to_string(out_shape));
  // As MLX: reduce raw bits modulo the integer range (exact at any magnitude), with two
  // draws for 64-bit dtypes; bounds compared in the output's signedness.
  // The bounds' dtype (uint64 or int64) tells the kernel how to compare them.
  const Dtype bound = issubdtype(dtype, unsignedinteger) ? uint64 : int64;
  array lo = astype(low, bound, stream);
  array hi = astype(high, bound, stream);
  const bool wide = dtype == int64 || dtype == uint64;
  array lo_bits = random::bits(shape, 4, key, stream);
  array hi_bits = lo_bits;
  if (wide) {
    if (key) {
      auto [k1, k2] = random::split(*key, stream);
      lo_bits = random::bits(shape, 4, k1, stream);
      hi_bits = random::bits(shape, 4, k2, stream);
    } else {
      hi_bits = random::bits(shape, 4, std::nullopt, stream);
    }
  }
  return transform(RandomTransform::Kind::randint, {lo_bits, hi_bits, lo, hi}, shape, dtype, stream,
                   wide ? 1.0f : 0.0f);
}

array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key,
                StreamOrDevice s) {
  EMBER_CHECK(issubdtype(p.dtype(), floating), TypeError,
              "[bernoulli] the probability p must be a floating array, not ", p.dtype());
  const Stream stream = to_stream(s);
  EMBER_CHECK(broadcast_shapes(p.shape(), shape, "bernoulli") == shape, ValueError,
              "[bernoulli] p of shape ", shape_to_string(p.shape()),
              " does not broadcast to the shape ", shape_to_string(shape));
  // p on the scale [0, next float above 2^32 - 1]: p >= 1 is always true, p <= 0 never.
  const float upper = std::nextafter(static_cast<float>(std::numeric_limits<uint32_t>::max()),
                                     std::numeric_limits<float>::max());
  array threshold = multiply(astype(p, float32, stream), array(upper), stream);
  array raw = random::bits(shape, 4, key, stream);
  return transform(RandomTransform::Kind::less, {raw, threshold}, shape, bool_, stream);
}

array bernoulli(const array& p, const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(p, p.shape(), key, s);
}

array bernoulli(const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(array(0.5f), key, s);
}

array truncated_normal(const array& lower, const array& upper, const Shape& shape, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "truncated_normal");
  const Stream stream = to_stream(s);
  // As JAX and MLX: uniform between erf(lower / sqrt2) and erf(upper / sqrt2), mapped back
  // through sqrt2 * erfinv, then clipped into [lower, upper].
  array sqrt2 = array(std::sqrt(2.0), dtype);
  array lower_t = astype(lower, dtype, stream);
  array upper_t = astype(upper, dtype, stream);
  const Shape bounds = broadcast_shapes(lower_t.shape(), upper_t.shape(), "truncated_normal");
  auto erf_of = [&](const array& x) {
    array scaled = astype(divide(x, sqrt2, stream), float32, stream);
    return astype(transform(RandomTransform::Kind::erf, {scaled}, scaled.shape(), float32, stream),
                  dtype, stream);
  };
  EMBER_CHECK(broadcast_shapes(bounds, shape, "truncated_normal") == shape, ValueError,
              "[truncated_normal] bounds of shape ", shape_to_string(bounds),
              " do not broadcast to the shape ", shape_to_string(shape));
  array u = random::uniform(erf_of(lower_t), erf_of(upper_t), shape, dtype, key, stream);
  array inv = transform(RandomTransform::Kind::erfinv, {astype(u, float32, stream)}, shape, float32,
                        stream);
  array out = multiply(sqrt2, astype(inv, dtype, stream), stream);
  return maximum(minimum_of(upper_t, out, stream), lower_t, stream);
}

array truncated_normal(const array& lower, const array& upper, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  return truncated_normal(lower, upper,
                          broadcast_shapes(lower.shape(), upper.shape(), "truncated_normal"), dtype,
                          key, s);
}

array gumbel(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "gumbel");
  const Stream stream = to_stream(s);
  array u = random::uniform(shape, dtype, key, stream);
  return negative(log(negative(log(u, stream), stream), stream), stream);
}

array laplace(const Shape& shape, Dtype dtype, float loc, float scale,
              const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "laplace");
  const Stream stream = to_stream(s);
  array samples = symmetric_uniform(shape, key, stream);
  samples = transform(RandomTransform::Kind::laplace, {samples}, shape, float32, stream);
  samples = astype(samples, dtype, stream);
  if (scale != 1.0f) samples = multiply(array(scale, dtype), samples, stream);
  if (loc != 0.0f) samples = add(array(loc, dtype), samples, stream);
  return samples;
}

}  // namespace ember::random
