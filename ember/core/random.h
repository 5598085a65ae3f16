// Random numbers, as in MLX (mlx/random.h): a counter-based, splittable PRNG
// (Threefry-2x32, 20 rounds, after JAX) driven by explicit keys, or by a global key
// sequence when no key is given.
//
//   random::seed(7);                             // the global sequence
//   array k = random::key(0);                    // uint32 (2): [seed >> 32, seed & 0xffffffff]
//   auto [k1, k2] = random::split(k);
//   array u = random::uniform({2, 3}, float32, k1);     // same numbers as MLX for the same key
//   array n = random::normal({4}, float32, 0.0f, 2.0f, k2);
//
// A key is a uint32 array of shape (2). Drawing with the same key gives the same numbers;
// split keys give independent streams. The global sequence splits its key under a mutex,
// so any thread may draw from it.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember::random {

/// Reseeds the global key sequence.
void seed(uint64_t seed);

/// A key from a seed: uint32 [seed >> 32, seed & 0xffffffff].
array key(uint64_t seed);

/// Random bits of `shape`: uint32 (width 4), uint16 (2) or uint8 (1).
array bits(const Shape& shape, int width, const std::optional<array>& key = std::nullopt,
           StreamOrDevice s = {});
inline array bits(const Shape& shape, const std::optional<array>& key = std::nullopt,
                  StreamOrDevice s = {}) {
  return bits(shape, 4, key, s);
}

/// Two new keys from `key`.
std::pair<array, array> split(const array& key, StreamOrDevice s = {});
/// `num` new keys, shape (num, 2).
array split(const array& key, int num, StreamOrDevice s = {});

/// Uniform samples in [low, high); `low` and `high` broadcast to `shape`.
array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype = float32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
template <class T, class U>
requires std::is_arithmetic_v<T> && std::is_arithmetic_v<U> array
uniform(T low, U high, const Shape& shape, Dtype dtype = float32,
        const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return uniform(array(low), array(high), shape, dtype, key, s);
}
/// Uniform samples in [0, 1).
array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key = std::nullopt,
              StreamOrDevice s = {});
inline array uniform(const Shape& shape, const std::optional<array>& key = std::nullopt,
                     StreamOrDevice s = {}) {
  return uniform(shape, float32, key, s);
}

/// Normal samples with mean `loc` and standard deviation `scale`.
array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key,
             StreamOrDevice s = {});
inline array normal(const Shape& shape, Dtype dtype, float loc, float scale,
                    const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return normal(shape, dtype, array(loc, dtype), array(scale, dtype), key, s);
}
inline array normal(const Shape& shape, float loc, float scale,
                    const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return normal(shape, float32, loc, scale, key, s);
}
inline array normal(const Shape& shape, Dtype dtype, const std::optional<array>& key = std::nullopt,
                    StreamOrDevice s = {}) {
  return normal(shape, dtype, std::nullopt, std::nullopt, key, s);
}
inline array normal(const Shape& shape, const std::optional<array>& key = std::nullopt,
                    StreamOrDevice s = {}) {
  return normal(shape, float32, std::nullopt, std::nullopt, key, s);
}

/// Integers uniform in [low, high) (low where high <= low), of an integer dtype or bool.
array randint(const array& low, const array& high, const Shape& shape, Dtype dtype = int32,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
template <class T, class U>
requires std::is_arithmetic_v<T> && std::is_arithmetic_v<U> array
randint(T low, U high, const Shape& shape, Dtype dtype = int32,
        const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return randint(array(low), array(high), shape, dtype, key, s);
}

/// Booleans that are true with probability `p` (a floating array broadcast to `shape`).
array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {});
array bernoulli(const array& p, const std::optional<array>& key = std::nullopt,
                StreamOrDevice s = {});
template <class T>
requires std::is_arithmetic_v<T> array bernoulli(T p,
                                                 const std::optional<array>& key = std::nullopt,
                                                 StreamOrDevice s = {}) {
  return bernoulli(array(p), key, s);
}
template <class T>
requires std::is_arithmetic_v<T> array bernoulli(T p, const Shape& shape,
                                                 const std::optional<array>& key = std::nullopt,
                                                 StreamOrDevice s = {}) {
  return bernoulli(array(p), shape, key, s);
}
/// A fair coin.
array bernoulli(const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/// Standard normal samples truncated to [lower, upper].
array truncated_normal(const array& lower, const array& upper, const Shape& shape,
                       Dtype dtype = float32, const std::optional<array>& key = std::nullopt,
                       StreamOrDevice s = {});
array truncated_normal(const array& lower, const array& upper, Dtype dtype = float32,
                       const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/// Standard Gumbel samples: -log(-log(uniform)).
array gumbel(const Shape& shape, Dtype dtype = float32,
             const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/// Indices sampled from the categorical distributions given by unnormalised log
/// probabilities `logits` along `axis`, with the result shape `shape` (which must broadcast
/// with the logits' shape without `axis`).
array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
/// `num_samples` draws per distribution, in a new last axis.
array categorical(const array& logits, int axis, int num_samples,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
/// One draw per distribution.
array categorical(const array& logits, int axis = -1,
                  const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

/// Laplace samples with location `loc` and scale `scale`.
array laplace(const Shape& shape, Dtype dtype, float loc, float scale,
              const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});
inline array laplace(const Shape& shape, float loc, float scale,
                     const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return laplace(shape, float32, loc, scale, key, s);
}
inline array laplace(const Shape& shape, Dtype dtype,
                     const std::optional<array>& key = std::nullopt, StreamOrDevice s = {}) {
  return laplace(shape, dtype, 0.0f, 1.0f, key, s);
}
inline array laplace(const Shape& shape, const std::optional<array>& key = std::nullopt,
                     StreamOrDevice s = {}) {
  return laplace(shape, float32, 0.0f, 1.0f, key, s);
}

/// `x` shuffled along `axis`.
array permutation(const array& x, int axis = 0, const std::optional<array>& key = std::nullopt,
                  StreamOrDevice s = {});
/// A random permutation of 0 .. x - 1 (int32).
array permutation(int x, const std::optional<array>& key = std::nullopt, StreamOrDevice s = {});

}  // namespace ember::random
