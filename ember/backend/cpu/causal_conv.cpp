// fast::causal_conv1d_update on the CPU: the K-1 state rows and the T new rows are read
// (through their strides) into one float32 sequence per batch, then each output is the sum
// of its K products with the taps in float32, rounded to x's dtype and, with silu, passed
// through silu in float32 and rounded again, as the composition (fast/reference.h) does.
#include <algorithm>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/functors.h"
#include "ember/fast/primitives.h"

namespace ember::fast {

void CausalConv1dUpdate::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array &x = inputs[0], &state = inputs[1];
  const int64_t batch = x.shape(0), length = x.shape(1), channels = x.shape(2);
  const int64_t history = state.shape(1), total = history + length;
  // [B, K-1+T, C]: the state's rows, then x's.
  std::vector<float> padded(batch * total * channels);
  const Strides padded_strides{total * channels, channels, 1};
  cpu::copy_strided(state, padded.data(), float32, padded_strides);
  cpu::copy_strided(x, padded.data() + history * channels, float32, padded_strides);
  const std::vector<float> weight = cpu::floats_of(inputs[2]);  // [K, C]
  const std::vector<float> bias = has_bias_ ? cpu::floats_of(inputs[3]) : std::vector<float>{};
  array& out = outputs[0];
  array& next_state = outputs[1];
  cpu::allocate_output(out);
  cpu::allocate_output(next_state);
  std::vector<float> sums(channels);
  dispatch_float_types(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = static_cast<T*>(out.raw_data());
    T* tail = static_cast<T*>(next_state.raw_data());
    for (int64_t b = 0; b < batch; ++b) {
      const float* sequence = padded.data() + b * total * channels;
      for (int64_t t = 0; t < length; ++t) {
        std::fill(sums.begin(), sums.end(), 0.0f);
        for (int64_t i = 0; i <= history; ++i) {
          const float* input = sequence + (t + i) * channels;
          const float* tap = weight.data() + i * channels;
          for (int64_t c = 0; c < channels; ++c) sums[c] += input[c] * tap[c];
        }
        if (has_bias_) {
          for (int64_t c = 0; c < channels; ++c) sums[c] += bias[c];
        }
        T* row = dst + (b * length + t) * channels;
        for (int64_t c = 0; c < channels; ++c) {
          const T conv = static_cast<T>(sums[c]);
          const float value = static_cast<float>(conv);
          row[c] = silu_ ? static_cast<T>(value * functors::Sigmoid{}(value)) : conv;
        }
      }
      for (int64_t i = 0; i < history * channels; ++i) {
        tail[b * history * channels + i] = static_cast<T>(sequence[length * channels + i]);
      }
    }
  });
}

}  // namespace ember::fast
