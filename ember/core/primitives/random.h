// Primitives of the random module (core/random/random.cpp).
//
//   RandomBits: counter-based bits from keys, MLX's layout (see Note [Random bits layout]).
//   RandomTransform: the elementwise steps of the distributions that must match MLX bit
//   for bit (bits -> [0, 1) floats, MLX's erfinv) or that need ops the core lacks.
#pragma once

#include <cstdint>
#include <utility>

#include "ember/core/primitive.h"

namespace ember {

namespace random::detail {

/// Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as
/// 1, 2, 3", SC 2011), as JAX and MLX use it: the hash of `count` under `key`.
constexpr std::pair<uint32_t, uint32_t> threefry2x32(std::pair<uint32_t, uint32_t> key,
                                                     std::pair<uint32_t, uint32_t> count) {
  constexpr uint32_t kRotations[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
  const uint32_t ks[3] = {key.first, key.second, key.first ^ key.second ^ 0x1BD11BDAu};
  uint32_t x = count.first + ks[0];
  uint32_t y = count.second + ks[1];
  for (uint32_t i = 0; i < 5; ++i) {
    for (uint32_t r : kRotations[i % 2]) {
      x += y;
      y = (y << r) | (y >> (32 - r));
      y ^= x;
    }
    x += ks[(i + 1) % 3];
    y += ks[(i + 2) % 3] + i + 1;
  }
  return {x, y};
}

}  // namespace random::detail

/// Random bits of `shape` per key: input keys of shape (..., 2) uint32, output
/// (..., shape) of uint32/uint16/uint8 (width 4/2/1).
class RandomBits : public UnaryPrimitive {
 public:
  RandomBits(Stream stream, Shape shape, int width)
      : UnaryPrimitive(stream), shape_(std::move(shape)), width_(width) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "RandomBits"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const RandomBits*>(&other);
    return o && o->shape_ == shape_ && o->width_ == width_;
  }

 private:
  Shape shape_;
  int width_;
};

/// Elementwise steps of the distributions; inputs are broadcast to the output's shape.
class RandomTransform : public UnaryPrimitive {
 public:
  enum class Kind {
    unit_interval,  ///< uint32 bits -> float32 min(bits / (2^32 - 1), param)
    erfinv,         ///< float32 -> float32, MLX's single-precision erfinv (Giles 2010)
    erf,            ///< float32 -> float32
    laplace,        ///< float32 u in (-1, 1) -> sign(u) * log1p(-|u|)
    less,           ///< (a, b) -> bool a < b, compared in float32
    randint,        ///< (lo_bits, [hi_bits,] low, high) -> low + bits % (high - low)
  };
  RandomTransform(Stream stream, Kind kind, float param = 0.0f)
      : UnaryPrimitive(stream), kind_(kind), param_(param) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "RandomTransform"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const RandomTransform*>(&other);
    return o && o->kind_ == kind_ && o->param_ == param_;
  }
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
  float param_;
};

}  // namespace ember
