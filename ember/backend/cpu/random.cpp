// RandomBits (Threefry-2x32 counters in MLX's layout) and RandomTransform (the elementwise
// steps of the distributions), on the CPU.
//
// Note [Random bits layout]
// For each key, the output's bytes are filled as W = ceil(bytes / 4) 32-bit words. With
// H = W / 2 and O = W % 2, the hash of counter (i, i + H + O) fills words i and i + H + O
// for i < H; if W is odd, word H is the first half of the hash of (H, 0). The last word
// may be cut to the bytes that remain. This is MLX's layout (and JAX's for width 4), so a
// key gives MLX's numbers; MLX writes a whole word past a cut one, ember does not.
#include "ember/core/primitives/random.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"

namespace ember {

namespace {

// Offset (in elements) of flat element `index` of a strided view.
int64_t element_offset(size_t index, const Shape& shape, const Strides& strides) {
  int64_t offset = 0;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    offset += static_cast<int64_t>(index % shape[d]) * strides[d];
    index /= shape[d];
  }
  return offset;
}

void fill_key_bits(std::pair<uint32_t, uint32_t> key, uint8_t* out, size_t bytes,
                   std::vector<uint32_t>& words) {
  const size_t count = (bytes + 3) / 4;
  words.assign(count, 0);
  const size_t half = count / 2;
  const size_t odd = count % 2;
  for (size_t i = 0; i < half; ++i) {
    const auto [a, b] = random::detail::threefry2x32(
        key, {static_cast<uint32_t>(i), static_cast<uint32_t>(i + half + odd)});
    words[i] = a;
    words[i + half + odd] = b;
  }
  if (odd) words[half] = random::detail::threefry2x32(key, {static_cast<uint32_t>(half), 0}).first;
  std::memcpy(out, words.data(), bytes);  // little-endian: word bytes in memory order
}

// MLX's single-precision inverse error function (M. Giles, "Approximating the erfinv
// function", GPU Computing Gems, 2010): the same float operations, so the same results.
float erfinv_float(float a) {
  float t = std::fma(a, 0.0f - a, 1.0f);
  t = std::log(t);
  float p;
  if (std::fabs(t) > 6.125f) {
    p = 3.03697567e-10f;
    p = std::fma(p, t, 2.93243101e-8f);
    p = std::fma(p, t, 1.22150334e-6f);
    p = std::fma(p, t, 2.84108955e-5f);
    p = std::fma(p, t, 3.93552968e-4f);
    p = std::fma(p, t, 3.02698812e-3f);
    p = std::fma(p, t, 4.83185798e-3f);
    p = std::fma(p, t, -2.64646143e-1f);
    p = std::fma(p, t, 8.40016484e-1f);
  } else {
    p = 5.43877832e-9f;
    p = std::fma(p, t, 1.43285448e-7f);
    p = std::fma(p, t, 1.22774793e-6f);
    p = std::fma(p, t, 1.12963626e-7f);
    p = std::fma(p, t, -5.61530760e-5f);
    p = std::fma(p, t, -1.47697632e-4f);
    p = std::fma(p, t, 2.31468678e-3f);
    p = std::fma(p, t, 1.15392581e-2f);
    p = std::fma(p, t, -2.32015476e-1f);
    p = std::fma(p, t, 8.86226892e-1f);
  }
  return a * p;
}

template <class Out, class In, class F>
void map_unary(const array& in, array& out, F&& f) {
  const In* src = static_cast<const In*>(in.raw_data());
  Out* dst = static_cast<Out*>(out.raw_data());
  cpu::for_each_strided<2>(out.shape(), {in.strides(), out.strides()},
                           [&](auto o) { dst[o[1]] = f(src[o[0]]); });
}

}  // namespace

void RandomBits::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& keys = inputs[0];
  cpu::allocate_output(out);
  const size_t num_keys = keys.size() / 2;
  if (num_keys == 0 || out.size() == 0) return;
  const size_t bytes_per_key = out.nbytes() / num_keys;
  const auto* key_data = static_cast<const uint32_t*>(keys.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  std::vector<uint32_t> words;
  for (size_t k = 0; k < num_keys; ++k) {
    const uint32_t k0 = key_data[element_offset(2 * k, keys.shape(), keys.strides())];
    const uint32_t k1 = key_data[element_offset(2 * k + 1, keys.shape(), keys.strides())];
    fill_key_bits({k0, k1}, dst + k * bytes_per_key, bytes_per_key, words);
  }
}

void RandomTransform::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  switch (kind_) {
    case Kind::unit_interval: {
      const float upper = param_;
      map_unary<float, uint32_t>(inputs[0], out, [upper](uint32_t b) {
        return std::min(static_cast<float>(b) / static_cast<float>(UINT32_MAX), upper);
      });
      return;
    }
    case Kind::erfinv:
      map_unary<float, float>(inputs[0], out, erfinv_float);
      return;
    case Kind::erf:
      map_unary<float, float>(inputs[0], out, [](float x) { return std::erf(x); });
      return;
    case Kind::laplace:
      map_unary<float, float>(inputs[0], out, [](float u) {
        const float sign = u > 0.0f ? 1.0f : u < 0.0f ? -1.0f : 0.0f;
        return sign * std::log1p(-std::fabs(u));
      });
      return;
    case Kind::less: {
      const array& a = inputs[0];
      const array& b = inputs[1];
      bool* dst = static_cast<bool*>(out.raw_data());
      dispatch_all_types(a.dtype(), [&](auto ta) {
        using A = typename decltype(ta)::type;
        if constexpr (std::is_same_v<A, complex64_t>) {
          throw RuntimeError("internal error: RandomTransform less on complex");
        } else {
          const A* pa = static_cast<const A*>(a.raw_data());
          const float* pb = static_cast<const float*>(b.raw_data());
          cpu::for_each_strided<3>(
              out.shape(), {a.strides(), b.strides(), out.strides()},
              [&](auto o) { dst[o[2]] = static_cast<float>(pa[o[0]]) < pb[o[1]]; });
        }
      });
      return;
    }
    case Kind::randint: {
      const bool wide = param_ != 0.0f;
      const bool unsigned_bounds = inputs[2].dtype() == uint64;
      const auto* lo_bits = static_cast<const uint32_t*>(inputs[0].raw_data());
      const auto* hi_bits = static_cast<const uint32_t*>(inputs[1].raw_data());
      const auto* low = static_cast<const uint64_t*>(inputs[2].raw_data());
      const auto* high = static_cast<const uint64_t*>(inputs[3].raw_data());
      dispatch_all_types(out.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* dst = static_cast<T*>(out.raw_data());
        cpu::for_each_strided<5>(
            out.shape(),
            {inputs[0].strides(), inputs[1].strides(), inputs[2].strides(), inputs[3].strides(),
             out.strides()},
            [&](auto o) {
              const uint64_t lo = low[o[2]], hi = high[o[3]];
              const bool empty =
                  unsigned_bounds ? hi <= lo : static_cast<int64_t>(hi) <= static_cast<int64_t>(lo);
              const uint64_t range = empty ? 1 : hi - lo;
              uint64_t raw = lo_bits[o[0]];
              if (wide) raw |= static_cast<uint64_t>(hi_bits[o[1]]) << 32;
              const uint64_t value = lo + raw % range;  // wraps as unsigned: the bit pattern
              if constexpr (std::is_same_v<T, bool>) {
                dst[o[4]] = value != 0;
              } else if constexpr (std::is_integral_v<T>) {
                dst[o[4]] = static_cast<T>(value);
              } else {
                throw RuntimeError("internal error: RandomTransform randint to a float dtype");
              }
            });
      });
      return;
    }
  }
}

}  // namespace ember
