// The ScaledDotProductAttention primitive on the CPU: a plain loop per (batch, head, query)
// with float32 scores and softmax, as the composition in fast.cpp computes them. fast.cpp
// builds the primitive for GPU streams only; this keeps it defined (and testable) anywhere.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "ember/backend/cpu/strided.h"
#include "ember/core/errors.h"
#include "ember/fast/primitives.h"

namespace ember::fast {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The mask's element strides over [B, Hq, L, S]: its axes align with the last ones, and
// missing or size-1 axes get 0.
std::array<int64_t, 4> broadcast_strides(const array& mask) {
  std::array<int64_t, 4> strides{0, 0, 0, 0};
  const int skipped = 4 - mask.ndim();
  for (int axis = 0; axis < mask.ndim(); ++axis) {
    if (mask.shape(axis) != 1) strides[skipped + axis] = mask.strides()[axis];
  }
  return strides;
}

// What the mask adds to a scaled score: 0 or -inf for bool_, else its value.
float mask_term(const array& mask, int64_t offset) {
  const void* data = mask.raw_data();
  switch (mask.dtype().val()) {
    case Dtype::Val::bool_:
      return static_cast<const bool*>(data)[offset] ? 0.0f : kNegInf;
    case Dtype::Val::float16:
      return static_cast<float>(static_cast<const float16_t*>(data)[offset]);
    case Dtype::Val::bfloat16:
      return static_cast<float>(static_cast<const bfloat16_t*>(data)[offset]);
    default:
      return static_cast<const float*>(data)[offset];
  }
}

template <class T>
void attention(const array& q, const array& k, const array& v, const array* mask, array& out,
               float scale, bool causal) {
  const int64_t batch = q.shape(0), q_heads = q.shape(1), length = q.shape(2);
  const int64_t kv_heads = k.shape(1), kv_length = k.shape(2), head_dim = q.shape(3);
  const int64_t value_dim = v.shape(3), groups = q_heads / kv_heads;
  const auto &qs = q.strides(), &ks = k.strides(), &vs = v.strides();
  const T* qd = static_cast<const T*>(q.raw_data());
  const T* kd = static_cast<const T*>(k.raw_data());
  const T* vd = static_cast<const T*>(v.raw_data());
  T* od = static_cast<T*>(out.raw_data());  // row-contiguous
  std::vector<float> query(head_dim), scores(kv_length), sum(value_dim);
  const std::array<int64_t, 4> ms = mask ? broadcast_strides(*mask) : std::array<int64_t, 4>{};
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < q_heads; ++h) {
      const int64_t kv = h / groups;
      for (int64_t l = 0; l < length; ++l) {
        const T* qr = qd + b * qs[0] + h * qs[1] + l * qs[2];
        for (int64_t d = 0; d < head_dim; ++d) query[d] = static_cast<float>(qr[d * qs[3]]) * scale;
        const int64_t last_key = causal ? kv_length - length + l : kv_length - 1;
        const int64_t mask_row = b * ms[0] + h * ms[1] + l * ms[2];
        float largest = kNegInf;
        for (int64_t j = 0; j < kv_length; ++j) {
          float score = kNegInf;
          const float term = mask ? mask_term(*mask, mask_row + j * ms[3]) : 0.0f;
          if (j <= last_key && term != kNegInf) {
            const T* kr = kd + b * ks[0] + kv * ks[1] + j * ks[2];
            score = 0.0f;
            for (int64_t d = 0; d < head_dim; ++d) {
              score += query[d] * static_cast<float>(kr[d * ks[3]]);
            }
            if (mask) score += term;
          }
          scores[j] = score;
          largest = std::max(largest, score);
        }
        // A fully masked row gives 0 / 0 = NaN, as softmax over -inf does.
        float total = 0.0f;
        std::fill(sum.begin(), sum.end(), 0.0f);
        for (int64_t j = 0; j <= last_key && largest != kNegInf; ++j) {
          const float p = std::exp(scores[j] - largest);
          total += p;
          const T* vr = vd + b * vs[0] + kv * vs[1] + j * vs[2];
          for (int64_t d = 0; d < value_dim; ++d) sum[d] += p * static_cast<float>(vr[d * vs[3]]);
        }
        T* o = od + ((b * q_heads + h) * length + l) * value_dim;
        for (int64_t d = 0; d < value_dim; ++d) o[d] = static_cast<T>(sum[d] / total);
      }
    }
  }
}

}  // namespace

void ScaledDotProductAttention::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array &q = inputs[0], &k = inputs[1], &v = inputs[2];
  const array* mask = has_mask_ ? &inputs.at(3) : nullptr;
  cpu::allocate_output(out);
  EMBER_INTERNAL_ASSERT(
      q.dtype() == out.dtype() && k.dtype() == out.dtype() && v.dtype() == out.dtype(), "[", name(),
      "] inputs and output must share one dtype");
  if (mask) {
    const Dtype m = mask->dtype();
    EMBER_INTERNAL_ASSERT(
        mask->ndim() <= 4 && (m == bool_ || m == float32 || m == float16 || m == bfloat16), "[",
        name(), "] unsupported mask ", shape_to_string(mask->shape()), " of ", m);
  }
  if (out.dtype() == float32) {
    attention<float>(q, k, v, mask, out, scale_, causal_);
  } else if (out.dtype() == float16) {
    attention<float16_t>(q, k, v, mask, out, scale_, causal_);
  } else {
    EMBER_INTERNAL_ASSERT(out.dtype() == bfloat16, "[", name(), "] unsupported dtype ",
                          out.dtype());
    attention<bfloat16_t>(q, k, v, mask, out, scale_, causal_);
  }
}

}  // namespace ember::fast
