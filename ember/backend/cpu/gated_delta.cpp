// fast::gated_delta_rule and gated_delta_update on the CPU: the sequential recurrence, one
// (batch, value head) pair at a time with its Dk x Dv float32 state updated in the output
// buffer. The inputs are first read (through their strides) into row-contiguous float32
// buffers, where gated_delta_update's gates and q/k norms are computed as its composition
// rounds them (fast/delta_gates.h). O(T Dk Dv) work per head; a chunked (WY) form would
// reuse the state less often but is not needed at the head sizes of current models, where
// the state fits in L1/L2.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/fast/delta_gates.h"
#include "ember/fast/primitives.h"

namespace ember::fast {
namespace {

// Scales each row of `length` in `x` to rms_norm(row, full(length, weight), eps), as the CPU
// RMSNorm kernel computes it for float32.
void normalize_rows(std::vector<float>& x, int64_t length, float weight, float eps) {
  const float inv_length = static_cast<float>(1.0 / static_cast<double>(length));
  for (size_t start = 0; start < x.size(); start += length) {
    float* row = x.data() + start;
    float sum = 0.0f;
    for (int64_t i = 0; i < length; ++i) sum += row[i] * row[i];
    const float scale = 1.0f / std::sqrt(sum * inv_length + eps);
    for (int64_t i = 0; i < length; ++i) row[i] = weight * (row[i] * scale);
  }
}

// g and beta from the logits a and b ([B, T, Hv]) and the per-head a_log and dt_bias; beta is
// rounded to b's dtype, as sigmoid(b) is.
void gates_of_logits(const std::vector<array>& inputs, std::vector<float>& g,
                     std::vector<float>& beta) {
  const array &a = inputs[3], &b = inputs[4];
  const std::vector<float> a_log = cpu::floats_of(inputs[5]), dt_bias = cpu::floats_of(inputs[6]);
  const int64_t heads = static_cast<int64_t>(a_log.size());
  g = cpu::floats_of(a);
  for (size_t i = 0; i < g.size(); ++i) {
    g[i] = delta_log_decay(g[i], a_log[i % heads], dt_bias[i % heads]);
  }
  beta = cpu::floats_of(b);
  dispatch_float_types(b.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (float& x : beta) x = static_cast<float>(functors::Sigmoid{}(static_cast<T>(x)));
  });
}

}  // namespace

void GatedDeltaRule::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array &q = inputs[0], &v = inputs[2], &state_in = inputs.back();
  array& y = outputs[0];
  array& state_out = outputs[1];
  const int64_t batch = q.shape(0), steps = q.shape(1), key_heads = q.shape(2),
                key_dim = q.shape(3);
  const int64_t value_heads = v.shape(2), value_dim = v.shape(3);
  const int64_t group = value_heads / key_heads;
  std::vector<float> qf = cpu::floats_of(q), kf = cpu::floats_of(inputs[1]), vf = cpu::floats_of(v);
  std::vector<float> g, beta;
  if (gates_from_logits_) {
    gates_of_logits(inputs, g, beta);
  } else {
    g = cpu::floats_of(inputs[3]);
    beta = cpu::floats_of(inputs[4]);
  }
  if (normalize_qk_) {
    const QkNorm norm = qk_norm_constants(static_cast<int>(key_dim));
    normalize_rows(qf, key_dim, norm.q_weight, norm.eps);
    normalize_rows(kf, key_dim, norm.k_weight, norm.eps);
  }
  cpu::allocate_output(state_out);
  float* states = static_cast<float*>(state_out.raw_data());
  cpu::copy_strided(state_in, states, float32, state_out.strides());
  std::vector<float> yf(y.size());
  std::vector<float> memory(value_dim), delta(value_dim);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < value_heads; ++h) {
      const int64_t kh = h / group;
      float* S = states + ((b * value_heads + h) * key_dim) * value_dim;
      for (int64_t t = 0; t < steps; ++t) {
        const float* qt = qf.data() + ((b * steps + t) * key_heads + kh) * key_dim;
        const float* kt = kf.data() + ((b * steps + t) * key_heads + kh) * key_dim;
        const float* vt = vf.data() + ((b * steps + t) * value_heads + h) * value_dim;
        const int64_t gate_index = (b * steps + t) * value_heads + h;
        const float decay = std::exp(g[gate_index]);
        const float bt = beta[gate_index];
        std::fill(memory.begin(), memory.end(), 0.0f);
        for (int64_t i = 0; i < key_dim; ++i) {
          float* row = S + i * value_dim;
          const float ki = kt[i];
          for (int64_t j = 0; j < value_dim; ++j) {
            row[j] *= decay;
            memory[j] += row[j] * ki;
          }
        }
        for (int64_t j = 0; j < value_dim; ++j) delta[j] = (vt[j] - memory[j]) * bt;
        float* yt = yf.data() + ((b * steps + t) * value_heads + h) * value_dim;
        for (int64_t i = 0; i < key_dim; ++i) {
          float* row = S + i * value_dim;
          const float ki = kt[i], qi = qt[i];
          for (int64_t j = 0; j < value_dim; ++j) {
            row[j] += ki * delta[j];
            yt[j] += row[j] * qi;
          }
        }
      }
    }
  }
  cpu::allocate_output(y);
  dispatch_float_types(y.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = static_cast<T*>(y.raw_data());
    for (size_t i = 0; i < yf.size(); ++i) out[i] = static_cast<T>(yf[i]);
  });
}

}  // namespace ember::fast
