// fast::rms_norm, layer_norm and rope on the CPU, one row of the last axis at a time. Inputs
// are made row-contiguous first; sums and the rotation are float32, summed and rounded as
// the reference compositions (fast/reference.h) are on the CPU.
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/errors.h"
#include "ember/core/primitives/functors.h"
#include "ember/fast/primitives.h"

namespace ember::fast {
namespace {

// `a` if it is row-contiguous, else a row-contiguous copy.
array row_contiguous(const array& a) {
  if (a.flags().row_contiguous) return a;
  array copy(Shape(a.shape()), a.dtype(), nullptr, {});
  cpu::copy_to_new(a, copy);
  return copy;
}

template <class T>
const T* data_of(const std::optional<array>& a) {
  return a ? static_cast<const T*>(a->raw_data()) : nullptr;
}

// The sum of value(i) over [0, length) in float32, in eight partial sums as the CPU's sum
// reduction adds a row, so that the kernels round as the reference does.
template <class F>
float row_sum(int64_t length, F&& value) {
  float partial[8] = {};
  int64_t i = 0;
  for (; i + 8 <= length; i += 8) {
    for (int k = 0; k < 8; ++k) partial[k] += value(i + k);
  }
  float total = 0.0f;
  for (; i < length; ++i) total += value(i);
  for (float p : partial) total += p;
  return total;
}

// The RMSNorm of a row, rounded as the primitive's op does (fast/primitives.h): Wt is the
// weight's dtype and O the output's (T's, or float32 when the weight promotes it; with
// float32_scale the weight is float32 and O any of the two); G is the gate's (T) when gated.
template <class T, class Wt, class O>
void rms_norm_rows(const T* x, const Wt* weight, const T* gate, O* out, int64_t rows,
                   int64_t length, float eps, bool float32_scale) {
  const float inv_length = static_cast<float>(1.0 / static_cast<double>(length));
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = x + r * length;
    O* dst = out + r * length;
    const float sum = row_sum(length, [&](int64_t i) {
      const float v = static_cast<float>(row[i]);
      return v * v;
    });
    const float scale = 1.0f / std::sqrt(sum * inv_length + eps);
    for (int64_t i = 0; i < length; ++i) {
      float value;
      if (float32_scale) {
        value = static_cast<float>(row[i]) * scale;
        if (weight) value *= static_cast<float>(weight[i]);
      } else {
        const T normed = static_cast<T>(static_cast<float>(row[i]) * scale);
        value = weight ? static_cast<float>(static_cast<O>(static_cast<float>(weight[i]) *
                                                           static_cast<float>(normed)))
                       : static_cast<float>(normed);
      }
      if (gate) {
        const float g = static_cast<float>(gate[r * length + i]);
        value = g * functors::detail::stable_sigmoid(g) * value;  // as fast::swiglu(gate, value)
      }
      dst[i] = static_cast<O>(value);
    }
  }
}

template <class T>
void layer_norm_rows(const T* x, const T* weight, const T* bias, T* out, int64_t rows,
                     int64_t length, float eps) {
  const float inv_length = static_cast<float>(1.0 / static_cast<double>(length));
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = x + r * length;
    T* dst = out + r * length;
    const float mean =
        row_sum(length, [&](int64_t i) { return static_cast<float>(row[i]); }) * inv_length;
    const float squares = row_sum(length, [&](int64_t i) {
      const float centred = static_cast<float>(row[i]) - mean;
      return centred * centred;
    });
    const float scale = 1.0f / std::sqrt(squares * inv_length + eps);
    for (int64_t i = 0; i < length; ++i) {
      T value = static_cast<T>((static_cast<float>(row[i]) - mean) * scale);
      if (weight) value = static_cast<T>(static_cast<float>(value) * static_cast<float>(weight[i]));
      if (bias) value = static_cast<T>(static_cast<float>(value) + static_cast<float>(bias[i]));
      dst[i] = value;
    }
  }
}

// inv_freq[i] as the reference computes it: 1 / freqs[i], or exp(i * -2 log(base) / dims).
std::vector<float> inverse_frequencies(const float* freqs, int dims, float base) {
  const int half = dims / 2;
  std::vector<float> inv_freq(half);
  const float exponent = -2.0f * std::log(base) / dims;
  for (int i = 0; i < half; ++i) {
    inv_freq[i] = freqs ? 1.0f / freqs[i] : std::exp(static_cast<float>(i) * exponent);
  }
  return inv_freq;
}

template <class T>
void rope_rows(const T* x, T* out, int64_t rows, int64_t length, int64_t features,
               const std::vector<float>& inv_freq, int offset, const RoPE& p) {
  const int half = p.dims() / 2;
  // Element offsets of the pair (x1, x2) of frequency i.
  const int first_step = p.traditional() ? 2 : 1;
  const int second_offset = p.traditional() ? 1 : half;
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = x + r * features;
    T* dst = out + r * features;
    const float position = static_cast<float>(offset + static_cast<int>(r % length)) * p.scale();
    for (int i = 0; i < half; ++i) {
      const float theta = position * inv_freq[i];
      const float c = std::cos(theta), s = std::sin(theta);
      const int64_t j = static_cast<int64_t>(i) * first_step;
      const float x1 = static_cast<float>(row[j]), x2 = static_cast<float>(row[j + second_offset]);
      dst[j] = static_cast<T>(x1 * c - x2 * s);
      dst[j + second_offset] = static_cast<T>(x2 * c + x1 * s);
    }
    for (int64_t j = p.dims(); j < features; ++j) dst[j] = row[j];
  }
}

}  // namespace

void RMSNorm::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array x = row_contiguous(inputs[0]);
  const bool has_weight = inputs.size() > (gated_ ? 2u : 1u);
  std::optional<array> weight, gate;
  if (has_weight) weight = row_contiguous(inputs[1]);
  if (gated_) gate = row_contiguous(inputs.back());
  cpu::allocate_output(out);
  const int64_t length = x.shape(-1);
  if (out.size() == 0) return;
  const int64_t rows = static_cast<int64_t>(x.size()) / length;
  dispatch_float_types(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(x.raw_data());
    const T* g = data_of<T>(gate);
    if (out.dtype() == x.dtype()) {
      auto* dst = static_cast<T*>(out.raw_data());
      if (float32_scale_) {
        rms_norm_rows<T, float, T>(src, data_of<float>(weight), g, dst, rows, length, eps_, true);
      } else {
        rms_norm_rows<T, T, T>(src, data_of<T>(weight), g, dst, rows, length, eps_, false);
      }
    } else {
      rms_norm_rows<T, float, float>(src, data_of<float>(weight), g,
                                     static_cast<float*>(out.raw_data()), rows, length, eps_,
                                     float32_scale_);
    }
  });
}

void LayerNorm::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array x = row_contiguous(inputs[0]);
  std::optional<array> weight, bias;
  if (has_weight_) weight = row_contiguous(inputs[1]);
  if (has_bias_) bias = row_contiguous(inputs[has_weight_ ? 2 : 1]);
  cpu::allocate_output(out);
  const int64_t length = x.shape(-1);
  if (out.size() == 0) return;
  dispatch_float_types(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    layer_norm_rows<T>(static_cast<const T*>(x.raw_data()), data_of<T>(weight), data_of<T>(bias),
                       static_cast<T*>(out.raw_data()), static_cast<int64_t>(x.size()) / length,
                       length, eps_);
  });
}

void RoPE::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array x = row_contiguous(inputs[0]);
  std::optional<array> freqs, weight;
  if (const int index = freqs_index(inputs); index >= 0) freqs = row_contiguous(inputs[index]);
  if (norm_) weight = row_contiguous(inputs[1]);
  // A one-element int32 array: its element is at raw_data() whatever its strides.
  const int offset =
      dynamic_offset_ ? *static_cast<const int32_t*>(inputs.back().raw_data()) : offset_;
  cpu::allocate_output(out);
  if (out.size() == 0) return;
  const std::vector<float> inv_freq = inverse_frequencies(data_of<float>(freqs), dims_, base_);
  const int64_t features = x.shape(-1);
  const int64_t rows = static_cast<int64_t>(x.size()) / features;
  dispatch_float_types(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(x.raw_data());
    T* dst = static_cast<T*>(out.raw_data());
    if (norm_) {
      // rms_norm_rope: the normalised rows first, in the output's buffer, then rotated in
      // place (each pair is read before it is written).
      if (norm_->float32_scale) {
        rms_norm_rows<T, float, T>(src, data_of<float>(weight), nullptr, dst, rows, features,
                                   norm_->eps, true);
      } else {
        rms_norm_rows<T, T, T>(src, data_of<T>(weight), nullptr, dst, rows, features, norm_->eps,
                               false);
      }
      src = dst;
    }
    rope_rows<T>(src, dst, rows, x.shape(-2), features, inv_freq, offset, *this);
  });
}

// fast::matmul_swiglu builds this node for GPU streams only (fast/primitives.h).
void MatmulSwiGlu::eval_cpu(const std::vector<array>&, array&) {
  EMBER_INTERNAL_ASSERT(false, "MatmulSwiGlu is built for GPU streams only");
}

}  // namespace ember::fast
