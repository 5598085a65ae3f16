// Launchers of the fused ops' kernels (gated_delta.cu, causal_conv.cu, fast_norm.cu, sdpa.cu),
// called by fast.cpp's eval_gpu.
#pragma once

#include <cstdint>

#include "ember/backend/cuda/launch.h"
#include "ember/core/dtype.h"

namespace ember::cuda {

/// An operand a fused kernel reads in place: float32, float16 or bfloat16 elements, element
/// (i0, i1, ...) at data + i0 * strides[0] + i1 * strides[1] + ... elements.
struct FloatOperand {
  const void* data = nullptr;
  Dtype dtype = float32;
  int64_t strides[4] = {};
};

/// GatedDeltaRule's operands (fast/primitives.h) for launch_gated_delta_rule.
struct GatedDeltaArgs {
  FloatOperand q, k;      // [B, T, Hk, Dk]
  FloatOperand v;         // [B, T, Hv, Dv]
  FloatOperand gate_a;    // [B, T, Hv]: a with gates_from_logits, else g
  FloatOperand gate_b;    // [B, T, Hv]: b with gates_from_logits, else beta
  FloatOperand a_log;     // [Hv], with gates_from_logits
  FloatOperand dt_bias;   // [Hv], with gates_from_logits
  FloatOperand state_in;  // [B, Hv, Dk, Dv], float32
  void* y;                // [B, T, Hv, Dv] of y_dtype, row-contiguous
  Dtype y_dtype;
  float* state_out;  // [B, Hv, Dk, Dv], row-contiguous
  int batch, steps, key_heads, value_heads, key_dim, value_dim;
  bool gates_from_logits;
  bool normalize_qk;
};

/// The gated delta rule (gated_delta.cu), with the gates and q/k norms of
/// fast::gated_delta_update where the flags ask, in one launch. Returns false if Dv or the
/// state's size exceed one block's limits.
bool launch_gated_delta_rule(const GatedDeltaArgs& args);

/// CausalConv1dUpdate's operands (fast/primitives.h) for launch_causal_conv1d_update.
struct CausalConvArgs {
  Dtype dtype;          // of x, the state and the outputs
  FloatOperand x;       // [B, T, C]
  FloatOperand state;   // [B, K-1, C]
  FloatOperand weight;  // [K, C]
  FloatOperand bias;    // [C], or no data
  void* out;            // [B, T, C], row-contiguous
  void* next_state;     // [B, K-1, C], row-contiguous
  int batch, steps, channels, taps;
  bool silu;
};

/// The causal depthwise conv of fast::causal_conv1d_update (causal_conv.cu), for all T in
/// one launch.
void launch_causal_conv1d_update(const CausalConvArgs& args);

/// What an RMSNorm reads besides x: the weight ([length], or null: the output dtype, or
/// float32 with float32_scale) and the gate (x's dtype, or null; the row r of x is gated by
/// the contiguous row at gate + gate_rows(r)).
struct RmsNormOperands {
  const void* weight = nullptr;
  const void* gate = nullptr;
  Layout<1> gate_rows{};
  bool float32_scale = false;
};

/// RMSNorm (fast/primitives.h) of `rows` contiguous rows of `length`: x of x_dtype, out of
/// out_dtype, which is x_dtype or float32.
void launch_rms_norm(Dtype x_dtype, Dtype out_dtype, const void* x, const RmsNormOperands& more,
                     void* out, int64_t rows, int64_t length, float eps);

/// LayerNorm (fast/primitives.h) of `rows` contiguous rows of `length`; weight and bias
/// ([length] or null) and out share x's dtype.
void launch_layer_norm(Dtype dtype, const void* x, const void* weight, const void* bias, void* out,
                       int64_t rows, int64_t length, float eps);

/// RoPE (fast/primitives.h) parameters, with x's rows ([..., L] of the shape [..., L, D]).
struct RopeArgs {
  int dims;
  bool traditional;
  float base;
  float scale;
  int offset;
  // The offset in device memory, read in place of `offset` when not null.
  const int32_t* dynamic_offset;
  const float* freqs;  // [dims / 2] periods, or null to use base
  int64_t rows;        // the product of x's shape but the last axis
  int length;          // L
  int features;        // D
  // rms_norm_rope (RoPE with a RopeNorm): the norm's weight ([D]: x's dtype, or float32
  // with float32_scale), else null.
  const void* norm_weight = nullptr;
  float eps = 0.0f;
  bool float32_scale = false;
};

/// RoPE of x (its last axis contiguous; row r at offset rows_layout(r)) into the
/// row-contiguous out, both of `dtype`.
void launch_rope(Dtype dtype, const void* x, const Layout<1>& rows_layout, void* out,
                 const RopeArgs& args);

/// Most queries launch_attention_decode takes (decode and speculative verification).
inline constexpr int kMaxAttentionDecodeQueries = 8;

/// Element strides of keys or values [B, Hkv, S, D] over batch, head and sequence; the
/// feature axis is contiguous.
struct AttentionStrides {
  int64_t batch;
  int64_t head;
  int64_t sequence;
};

/// An attention mask read in place as [B, Hq, L, S]: element (b, h, l, s) lies at data + b *
/// batch + h * head + l * query + s * key elements, with stride 0 on broadcast axes. bool_
/// keeps the keys where true; float32, float16 or bfloat16 add to the scaled scores.
struct AttentionMask {
  const void* data = nullptr;  // null: no mask
  Dtype dtype = bool_;
  int64_t batch = 0, head = 0, query = 0, key = 0;
};

/// fast::scaled_dot_product_attention's operands for launch_attention_decode.
struct AttentionArgs {
  Dtype dtype;          // of queries, keys, values and out
  const void* queries;  // [B, Hq, L, D], row-contiguous
  const void* keys;     // [B, Hkv, S, D] through key_strides
  const void* values;   // [B, Hkv, S, D] through value_strides
  AttentionStrides key_strides;
  AttentionStrides value_strides;
  void* out;  // [B, Hq, L, D], row-contiguous
  int batch, query_heads, kv_heads, length, kv_length, head_dim;
  float scale;
  bool causal;  // query l sees keys up to S - L + l
  AttentionMask mask;
};

/// Attention of L <= kMaxAttentionDecodeQueries queries in float32 (sdpa.cu). Keys and
/// values need 16-byte aligned rows (base and strides). `temporary` gives device memory
/// held until the task completes. Returns false for a dtype, head size or shape it lacks.
bool launch_attention_decode(const AttentionArgs& args, void* (*temporary)(size_t bytes));

/// Attention of more queries on tensor cores (flash_prefill.cu): bfloat16 or float16, head
/// size 64, 128 or 256, no mask or the causal one, 16-byte aligned rows. Returns false otherwise.
bool launch_attention_prefill(const AttentionArgs& args);


}  // namespace ember::cuda
