// Primitives of the fused ops that have their own kernels (fast/fast.h says what each
// computes). Ops without one here are compositions of core ops.
#pragma once

#include <optional>

#include "ember/core/primitive.h"

namespace ember::fast {

/// fast::rms_norm over the last axis: inputs x (float32, float16 or bfloat16), then weight
/// ([D]) when given, then the gate (x's shape and dtype) when gated. Normalises in float32.
/// Three roundings, one per op that builds it:
/// - rms_norm: rounds to x's dtype, then multiplies by weight (already in the output dtype)
///   in the output dtype, as the composition does;
/// - rms_norm_float32 (`float32_scale`): the weight is float32 and the product of it and the
///   normalised row is float32, rounded once to the output dtype;
/// - rms_norm_gated (`gated`): as rms_norm, then silu(gate) times that in float32, rounded
///   once to the output dtype.
class RMSNorm : public UnaryPrimitive {
 public:
  RMSNorm(Stream stream, float eps, bool float32_scale = false, bool gated = false)
      : UnaryPrimitive(stream), eps_(eps), float32_scale_(float32_scale), gated_(gated) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "RMSNorm"; }
  bool is_equivalent(const Primitive& other) const override {
    const auto* o = dynamic_cast<const RMSNorm*>(&other);
    return o != nullptr && o->eps_ == eps_ && o->float32_scale_ == float32_scale_ &&
           o->gated_ == gated_;
  }
  float eps() const { return eps_; }
  bool float32_scale() const { return float32_scale_; }
  bool gated() const { return gated_; }

 private:
  float eps_;
  bool float32_scale_;
  bool gated_;
};

/// fast::layer_norm over the last axis: inputs x (float32, float16 or bfloat16), then weight
/// and bias ([D], x's dtype) where present. Normalises in float32, rounds to x's dtype, then
/// applies weight and bias in x's dtype, rounding after each.
class LayerNorm : public UnaryPrimitive {
 public:
  LayerNorm(Stream stream, float eps, bool has_weight, bool has_bias)
      : UnaryPrimitive(stream), eps_(eps), has_weight_(has_weight), has_bias_(has_bias) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "LayerNorm"; }
  bool is_equivalent(const Primitive& other) const override {
    const auto* o = dynamic_cast<const LayerNorm*>(&other);
    return o != nullptr && o->eps_ == eps_ && o->has_weight_ == has_weight_ &&
           o->has_bias_ == has_bias_;
  }
  float eps() const { return eps_; }
  bool has_weight() const { return has_weight_; }
  bool has_bias() const { return has_bias_; }

 private:
  float eps_;
  bool has_weight_;
  bool has_bias_;
};

/// What fast::rms_norm_rope normalises x's rows with before rotating them (see RoPE).
struct RopeNorm {
  float eps = 0.0f;
  bool float32_scale = false;  ///< rms_norm_float32's rounding, else rms_norm's
};

/// fast::rope: inputs x ([..., L, D], float32, float16 or bfloat16), then, for
/// fast::rms_norm_rope, the norm's weight ([D]: x's dtype, or float32 with float32_scale),
/// then freqs ([dims / 2], float32) when the periods are given (then `base` is unused),
/// then, with dynamic_offset, the offset (a scalar int32 read when the op runs; then
/// `offset` is unused). With a norm, each row is first normalised and rounded to x's dtype
/// as rms_norm (or rms_norm_float32) rounds. Angles and the rotation are float32; the
/// output has x's shape and dtype.
class RoPE : public UnaryPrimitive {
 public:
  RoPE(Stream stream, int dims, bool traditional, float base, float scale, int offset,
       bool dynamic_offset = false, std::optional<RopeNorm> norm = std::nullopt)
      : UnaryPrimitive(stream),
        dims_(dims),
        traditional_(traditional),
        base_(base),
        scale_(scale),
        offset_(offset),
        dynamic_offset_(dynamic_offset),
        norm_(norm) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return norm_ ? "RMSNormRoPE" : "RoPE"; }
  bool is_equivalent(const Primitive& other) const override {
    const auto* o = dynamic_cast<const RoPE*>(&other);
    return o != nullptr && o->dims_ == dims_ && o->traditional_ == traditional_ &&
           o->base_ == base_ && o->scale_ == scale_ && o->offset_ == offset_ &&
           o->dynamic_offset_ == dynamic_offset_ && o->norm_.has_value() == norm_.has_value() &&
           (!norm_ ||
            (o->norm_->eps == norm_->eps && o->norm_->float32_scale == norm_->float32_scale));
  }
  int dims() const { return dims_; }
  bool traditional() const { return traditional_; }
  float base() const { return base_; }
  float scale() const { return scale_; }
  int offset() const { return offset_; }
  bool dynamic_offset() const { return dynamic_offset_; }
  const std::optional<RopeNorm>& norm() const { return norm_; }
  /// The index of freqs in the inputs, or -1 without them.
  int freqs_index(const std::vector<array>& inputs) const {
    const size_t first = norm_ ? 2 : 1;
    return inputs.size() == first + 1 + (dynamic_offset_ ? 1 : 0) ? static_cast<int>(first) : -1;
  }

 private:
  int dims_;
  bool traditional_;
  float base_;
  float scale_;
  int offset_;
  bool dynamic_offset_;
  std::optional<RopeNorm> norm_;
};

/// fast::matmul_swiglu on the GPU for decode rows: inputs x ([..., D], at most 8 rows) and w
/// ([D, 2 I], the transposed view of a [gate | up] weight), both of one floating dtype;
/// the output [..., I] is swiglu of the two halves of x @ w, each rounded to the dtype
/// first, as the composition rounds. Built only for GPU streams (the CPU composes: BLAS
/// then one elementwise pass is what a fused CPU kernel would do), so eval_cpu never runs.
class MatmulSwiGlu : public UnaryPrimitive {
 public:
  explicit MatmulSwiGlu(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "MatmulSwiGlu"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const MatmulSwiGlu*>(&other) != nullptr;
  }
};

/// fast::gated_delta_rule and fast::gated_delta_update. Inputs q, k [B, T, Hk, Dk] and v [B,
/// T, Hv, Dv]; then the gates [B, T, Hv]: g and beta, or with `gates_from_logits` a and b
/// followed by a_log and dt_bias [Hv] (float32); then the state [B, Hv, Dk, Dv] (float32).
/// All are float32, float16 or bfloat16 and read in place through their strides. With
/// `gates_from_logits` the kernels compute g and beta, and with `normalize_qk` the l2 norms of
/// q and k, as gated_delta_update's composition rounds them (fast/gates.h). Outputs y [B, T,
/// Hv, Dv] in v's dtype and the final state [B, Hv, Dk, Dv] (float32), row-contiguous.
class GatedDeltaRule : public Primitive {
 public:
  explicit GatedDeltaRule(Stream stream, bool gates_from_logits = false, bool normalize_qk = false)
      : Primitive(stream), gates_from_logits_(gates_from_logits), normalize_qk_(normalize_qk) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "GatedDeltaRule"; }
  bool is_equivalent(const Primitive& other) const override {
    const auto* o = dynamic_cast<const GatedDeltaRule*>(&other);
    return o != nullptr && o->gates_from_logits_ == gates_from_logits_ &&
           o->normalize_qk_ == normalize_qk_;
  }
  bool gates_from_logits() const { return gates_from_logits_; }
  bool normalize_qk() const { return normalize_qk_; }

 private:
  bool gates_from_logits_;
  bool normalize_qk_;
};

/// fast::causal_conv1d_update: inputs x [B, T, C] (float32, float16 or bfloat16), the state
/// [B, K-1, C] in x's dtype, the taps [K, C] and with `has_bias` the bias [C] (float32,
/// float16 or bfloat16), all read in place through their strides. Outputs the conv (then
/// silu with `silu`) [B, T, C] and the next state [B, K-1, C], in x's dtype, row-contiguous.
class CausalConv1dUpdate : public Primitive {
 public:
  CausalConv1dUpdate(Stream stream, bool has_bias, bool silu)
      : Primitive(stream), has_bias_(has_bias), silu_(silu) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "CausalConv1dUpdate"; }
  bool is_equivalent(const Primitive& other) const override {
    const auto* o = dynamic_cast<const CausalConv1dUpdate*>(&other);
    return o != nullptr && o->has_bias_ == has_bias_ && o->silu_ == silu_;
  }
  bool has_bias() const { return has_bias_; }
  bool silu() const { return silu_; }

 private:
  bool has_bias_;
  bool silu_;
};

/// fast::scaled_dot_product_attention for a few queries: inputs q [B, Hq, L, D], k and v
/// [B, Hkv, S, D] of one dtype (float32, float16 or bfloat16), Hq a multiple of Hkv, then
/// with `has_mask` a mask whose axes (at most 4, each 1 or its size) broadcast to [B, Hq, L,
/// S]: bool_ (true keeps) or float32, float16, bfloat16 (added to the scaled scores). Output
/// [B, Hq, L, D] in q's dtype. Scores and softmax are float32, as in the composition;
/// `causal` lets query l see keys up to S - L + l. fast.cpp uses it on the GPU for
/// L <= 8 and head sizes 64, 80, 96, 128, 256 (the CUDA kernel's limits).
class ScaledDotProductAttention : public UnaryPrimitive {
 public:
  ScaledDotProductAttention(Stream stream, float scale, bool causal, bool has_mask)
      : UnaryPrimitive(stream), scale_(scale), causal_(causal), has_mask_(has_mask) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "ScaledDotProductAttention"; }
  bool is_equivalent(const Primitive& other) const override {
    const auto* o = dynamic_cast<const ScaledDotProductAttention*>(&other);
    return o != nullptr && o->scale_ == scale_ && o->causal_ == causal_ &&
           o->has_mask_ == has_mask_;
  }
  float scale() const { return scale_; }
  bool causal() const { return causal_; }
  bool has_mask() const { return has_mask_; }

 private:
  float scale_;
  bool causal_;
  bool has_mask_;
};

}  // namespace ember::fast
