// fast::gated_delta_rule on the CPU: the sequential recurrence, one (batch, value head)
// pair at a time with its Dk x Dv float32 state in a local buffer. O(T Dk Dv) work per
// head; a chunked (WY) form would reuse the state less often but is not needed at the
// head sizes of current models, where the state fits in L1/L2.
#include <cmath>
#include <cstring>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/fast/primitives.h"

namespace ember::fast {

void GatedDeltaRule::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array &q = inputs[0], &k = inputs[1], &v = inputs[2], &g = inputs[3], &beta = inputs[4],
              &state_in = inputs[5];
  array& y = outputs[0];
  array& state_out = outputs[1];
  cpu::allocate_output(y);
  cpu::allocate_output(state_out);
  const int64_t batch = q.shape(0), steps = q.shape(1), key_heads = q.shape(2), key_dim = q.shape(3);
  const int64_t value_heads = v.shape(2), value_dim = v.shape(3);
  const int64_t group = value_heads / key_heads;
  const float* qd = static_cast<const float*>(q.raw_data());
  const float* kd = static_cast<const float*>(k.raw_data());
  const float* vd = static_cast<const float*>(v.raw_data());
  const float* gd = static_cast<const float*>(g.raw_data());
  const float* bd = static_cast<const float*>(beta.raw_data());
  const float* s_in = static_cast<const float*>(state_in.raw_data());
  float* yd = static_cast<float*>(y.raw_data());
  float* s_out = static_cast<float*>(state_out.raw_data());
  std::vector<float> memory(value_dim), delta(value_dim);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < value_heads; ++h) {
      const int64_t kh = h / group;
      float* S = s_out + ((b * value_heads + h) * key_dim) * value_dim;
      std::memcpy(S, s_in + ((b * value_heads + h) * key_dim) * value_dim,
                  sizeof(float) * key_dim * value_dim);
      for (int64_t t = 0; t < steps; ++t) {
        const float* qt = qd + ((b * steps + t) * key_heads + kh) * key_dim;
        const float* kt = kd + ((b * steps + t) * key_heads + kh) * key_dim;
        const float* vt = vd + ((b * steps + t) * value_heads + h) * value_dim;
        const int64_t gate_index = (b * steps + t) * value_heads + h;
        const float decay = std::exp(gd[gate_index]);
        const float bt = bd[gate_index];
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
        float* yt = yd + ((b * steps + t) * value_heads + h) * value_dim;
        std::fill(yt, yt + value_dim, 0.0f);
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
}

}  // namespace ember::fast
