// The fused ops (fast/fast.h): argument checks, then one primitive node (fast/primitives.h)
// where a kernel applies, else the reference composition (fast/reference.h). Attention is a
// composition that computes in float32 and casts back.
#include "ember/fast/fast.h"

#include <cmath>
#include <initializer_list>

#include "ember/core/config.h"
#include "ember/core/errors.h"
#include "ember/core/ops.h"
#include "ember/core/primitives/elementwise.h"
#include "ember/fast/delta_chunked.h"
#include "ember/fast/primitives.h"
#include "ember/fast/reference.h"

namespace ember::fast {

namespace {

// The dtypes the fused kernels take (others use the reference compositions).
bool has_kernel_dtype(Dtype dtype) {
  return dtype == float32 || dtype == float16 || dtype == bfloat16;
}

// Whether `a` is a [size] vector, as the fused kernels read weights and biases.
bool is_vector_of(const array& a, int size) { return a.ndim() == 1 && a.shape(0) == size; }

// An attention mask as the fused kernel reads it: each axis 1 or its size in `scores` ([B,
// Hq, L, S]), boolean or additive; float64 becomes float32 as in the composition. Other
// masks get nullopt and the composition (which rejects what does not broadcast).
std::optional<array> attention_kernel_mask(const array& mask, const Shape& scores, Stream stream) {
  if (mask.ndim() > 4) return std::nullopt;
  const int skipped = 4 - mask.ndim();
  for (int axis = 0; axis < mask.ndim(); ++axis) {
    if (mask.shape(axis) != 1 && mask.shape(axis) != scores[skipped + axis]) return std::nullopt;
  }
  if (mask.dtype() == bool_ || has_kernel_dtype(mask.dtype())) return mask;
  if (is_floating_point(mask.dtype())) return astype(mask, float32, stream);
  return std::nullopt;
}

}  // namespace

array swiglu(const array& gate, const array& up, StreamOrDevice s) {
  const Dtype dtype = promote_types(gate.dtype(), up.dtype());
  EMBER_CHECK(is_inexact(dtype) && !is_complex(dtype), TypeError,
              "[swiglu] needs real floating inputs, got ", gate.dtype(), " and ", up.dtype());
  const Stream stream = to_stream(s);
  const Shape shape = broadcast_shapes(gate.shape(), up.shape(), "swiglu");
  array a = broadcast_to(astype(gate, dtype, stream), shape, stream);
  array b = broadcast_to(astype(up, dtype, stream), shape, stream);
  return array(Shape(shape), dtype, std::make_shared<SwiGlu>(stream), {std::move(a), std::move(b)});
}

namespace {

// rms_norm's checks of x and weight; its output dtype (x's promoted with weight's).
Dtype rms_norm_dtype(const array& x, const std::optional<array>& weight) {
  EMBER_CHECK(x.ndim() >= 1, ValueError, "[rms_norm] input must have at least one dimension");
  Dtype out_dtype = x.dtype();
  if (weight) {
    EMBER_CHECK(weight->ndim() == 1 && weight->shape(0) == x.shape(-1), ValueError,
                "[rms_norm] weight of shape ", shape_to_string(weight->shape()),
                " does not match the last axis of x ", shape_to_string(x.shape()));
    out_dtype = promote_types(out_dtype, weight->dtype());
  }
  EMBER_CHECK(is_floating_point(out_dtype), TypeError, "[rms_norm] needs a floating dtype, got ",
              out_dtype);
  return out_dtype;
}

bool rms_norm_has_kernel(const array& x, const std::optional<array>& weight) {
  return has_kernel_dtype(x.dtype()) && (!weight || has_kernel_dtype(weight->dtype()));
}

// The RMSNorm node's leading inputs: x, then the weight in the dtype the kernel reads.
std::vector<array> rms_norm_inputs(const array& x, const std::optional<array>& weight,
                                   Dtype weight_dtype, Stream stream) {
  std::vector<array> inputs{x};
  if (weight) inputs.push_back(astype(*weight, weight_dtype, stream));
  return inputs;
}

}  // namespace

array rms_norm(const array& x, const std::optional<array>& weight, float eps, StreamOrDevice s) {
  const Dtype out_dtype = rms_norm_dtype(x, weight);
  if (!rms_norm_has_kernel(x, weight)) return reference::rms_norm(x, weight, eps, s);
  const Stream stream = to_stream(s);
  return array(Shape(x.shape()), out_dtype, std::make_shared<RMSNorm>(stream, eps),
               rms_norm_inputs(x, weight, out_dtype, stream));
}

array rms_norm_float32(const array& x, const std::optional<array>& weight, float eps, Dtype dtype,
                       StreamOrDevice s) {
  EMBER_CHECK(x.ndim() >= 1, ValueError,
              "[rms_norm_float32] input must have at least one dimension");
  EMBER_CHECK(is_floating_point(x.dtype()) && is_floating_point(dtype), TypeError,
              "[rms_norm_float32] needs floating dtypes, got ", x.dtype(), " to ", dtype);
  if (weight) {
    EMBER_CHECK(is_vector_of(*weight, x.shape(-1)), ValueError,
                "[rms_norm_float32] weight of shape ", shape_to_string(weight->shape()),
                " does not match the last axis of x ", shape_to_string(x.shape()));
  }
  // The kernel rounds once to x's dtype or float32; other pairs compose.
  if (!rms_norm_has_kernel(x, weight) || (dtype != x.dtype() && dtype != float32)) {
    return reference::rms_norm_float32(x, weight, eps, dtype, s);
  }
  const Stream stream = to_stream(s);
  return array(Shape(x.shape()), dtype, std::make_shared<RMSNorm>(stream, eps, true),
               rms_norm_inputs(x, weight, float32, stream));
}

array rms_norm_gated(const array& x, const array& gate, const std::optional<array>& weight,
                     float eps, StreamOrDevice s) {
  EMBER_CHECK(gate.shape() == x.shape(), ValueError, "[rms_norm_gated] gate of shape ",
              shape_to_string(gate.shape()), " does not match x ", shape_to_string(x.shape()));
  EMBER_CHECK(is_floating_point(gate.dtype()), TypeError,
              "[rms_norm_gated] needs a floating gate, got ", gate.dtype());
  const Dtype out_dtype = rms_norm_dtype(x, weight);
  if (!rms_norm_has_kernel(x, weight) || gate.dtype() != x.dtype()) {
    return reference::rms_norm_gated(x, gate, weight, eps, s);
  }
  const Stream stream = to_stream(s);
  std::vector<array> inputs = rms_norm_inputs(x, weight, out_dtype, stream);
  inputs.push_back(gate);
  return array(Shape(x.shape()), out_dtype, std::make_shared<RMSNorm>(stream, eps, false, true),
               std::move(inputs));
}

array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s) {
  EMBER_CHECK(x.ndim() >= 1, ValueError, "[layer_norm] input must have at least one dimension");
  EMBER_CHECK(is_floating_point(x.dtype()), TypeError, "[layer_norm] needs a floating dtype, got ",
              x.dtype());
  const int features = x.shape(-1);
  if (!has_kernel_dtype(x.dtype()) || (weight && !is_vector_of(*weight, features)) ||
      (bias && !is_vector_of(*bias, features))) {
    return reference::layer_norm(x, weight, bias, eps, s);
  }
  const Stream stream = to_stream(s);
  std::vector<array> inputs{x};
  if (weight) inputs.push_back(astype(*weight, x.dtype(), stream));
  if (bias) inputs.push_back(astype(*bias, x.dtype(), stream));
  return array(Shape(x.shape()), x.dtype(),
               std::make_shared<LayerNorm>(stream, eps, weight.has_value(), bias.has_value()),
               std::move(inputs));
}

namespace {

void check_rope_arguments(const array& x, int dims, const std::optional<float>& base,
                          const std::optional<array>& freqs, const char* op = "rope") {
  EMBER_CHECK(x.ndim() >= 2, ValueError, "[", op, "] input must have at least 2 dimensions, got ",
              shape_to_string(x.shape()));
  const int features = x.shape(-1);
  EMBER_CHECK(dims > 0 && dims % 2 == 0 && dims <= features, ValueError, "[", op, "] dims (", dims,
              ") must be even, positive and at most the feature size ", features);
  EMBER_CHECK(base.has_value() != freqs.has_value(), ValueError, "[", op,
              "] give exactly one of base and freqs");
  const int half = dims / 2;
  if (freqs) {
    EMBER_CHECK(freqs->ndim() == 1 && freqs->shape(0) == half, ValueError, "[", op,
                "] freqs must have shape [", half, "], got ", shape_to_string(freqs->shape()));
  }
}

// The RoPE node at `offset`, or at the int32 scalar `dynamic_offset` where given; with a
// norm, its weight (already in the dtype the kernel reads) is the second input.
array rope_node(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
                int offset, const std::optional<array>& dynamic_offset,
                const std::optional<array>& freqs, Stream stream,
                const std::optional<std::pair<RopeNorm, array>>& norm = std::nullopt) {
  std::vector<array> inputs{x};
  if (norm) inputs.push_back(norm->second);
  if (freqs) inputs.push_back(astype(*freqs, float32, stream));
  if (dynamic_offset) inputs.push_back(*dynamic_offset);
  std::optional<RopeNorm> spec;
  if (norm) spec = norm->first;
  return array(Shape(x.shape()), x.dtype(),
               std::make_shared<RoPE>(stream, dims, traditional, base.value_or(0.0f), scale, offset,
                                      dynamic_offset.has_value(), spec),
               std::move(inputs));
}
// The offset array of rope and rms_norm_rope, checked, in the one dtype kernels read.
array offset_int32(const array& offset, const char* op, Stream stream) {
  EMBER_CHECK(offset.ndim() == 0 || (offset.ndim() == 1 && offset.shape(0) == 1), ValueError, "[",
              op, "] offset must be a scalar or of shape [1], got ",
              shape_to_string(offset.shape()));
  EMBER_CHECK(is_integral(offset.dtype()), TypeError, "[", op,
              "] offset must be an integer array, got ", offset.dtype());
  return astype(offset, int32, stream);
}

// rms_norm_rope at `offset` or at the int32 scalar `dynamic_offset` where given.
array norm_rope(const array& x, const array& weight, float eps, bool float32_norm, int dims,
                bool traditional, std::optional<float> base, float scale, int offset,
                const std::optional<array>& dynamic_offset, const std::optional<array>& freqs,
                Stream stream) {
  EMBER_CHECK(is_vector_of(weight, x.shape(-1)), ValueError, "[rms_norm_rope] weight of shape ",
              shape_to_string(weight.shape()), " does not match the last axis of x ",
              shape_to_string(x.shape()));
  EMBER_CHECK(is_floating_point(x.dtype()) && is_floating_point(weight.dtype()), TypeError,
              "[rms_norm_rope] needs floating x and weight, got ", x.dtype(), " and ",
              weight.dtype());
  EMBER_CHECK(float32_norm || promote_types(x.dtype(), weight.dtype()) == x.dtype(), TypeError,
              "[rms_norm_rope] a ", weight.dtype(), " weight would promote ", x.dtype(),
              " rows (pass float32_norm to scale in float32 and keep x's dtype)");
  if (!has_kernel_dtype(x.dtype()) || !has_kernel_dtype(weight.dtype())) {
    array normed = float32_norm ? rms_norm_float32(x, weight, eps, x.dtype(), stream)
                                : rms_norm(x, weight, eps, stream);
    return dynamic_offset
               ? rope(normed, dims, traditional, base, scale, *dynamic_offset, freqs, stream)
               : rope(normed, dims, traditional, base, scale, offset, freqs, stream);
  }
  const std::pair<RopeNorm, array> norm{RopeNorm{eps, float32_norm},
                                        astype(weight, float32_norm ? float32 : x.dtype(), stream)};
  return rope_node(x, dims, traditional, base, scale, offset, dynamic_offset, freqs, stream, norm);
}

}  // namespace

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs, StreamOrDevice s) {
  check_rope_arguments(x, dims, base, freqs);
  if (!has_kernel_dtype(x.dtype())) {
    return reference::rope(x, dims, traditional, base, scale, offset, freqs, s);
  }
  return rope_node(x, dims, traditional, base, scale, offset, std::nullopt, freqs, to_stream(s));
}

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs, StreamOrDevice s) {
  check_rope_arguments(x, dims, base, freqs);
  const Stream stream = to_stream(s);
  const array offset32 = offset_int32(offset, "rope", stream);
  if (!has_kernel_dtype(x.dtype())) {
    return reference::rope(x, dims, traditional, base, scale, offset32, freqs, stream);
  }
  return rope_node(x, dims, traditional, base, scale, 0, offset32, freqs, stream);
}

array rms_norm_rope(const array& x, const array& weight, float eps, bool float32_norm, int dims,
                    bool traditional, std::optional<float> base, float scale, int offset,
                    const std::optional<array>& freqs, StreamOrDevice s) {
  check_rope_arguments(x, dims, base, freqs, "rms_norm_rope");
  return norm_rope(x, weight, eps, float32_norm, dims, traditional, base, scale, offset,
                   std::nullopt, freqs, to_stream(s));
}

array rms_norm_rope(const array& x, const array& weight, float eps, bool float32_norm, int dims,
                    bool traditional, std::optional<float> base, float scale, const array& offset,
                    const std::optional<array>& freqs, StreamOrDevice s) {
  check_rope_arguments(x, dims, base, freqs, "rms_norm_rope");
  const Stream stream = to_stream(s);
  return norm_rope(x, weight, eps, float32_norm, dims, traditional, base, scale, 0,
                   offset_int32(offset, "rms_norm_rope", stream), freqs, stream);
}

array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   float scale, const std::string& mask_mode,
                                   const std::optional<array>& mask_arr, StreamOrDevice s) {
  const char* op = "[scaled_dot_product_attention] ";
  EMBER_CHECK(queries.ndim() == 4 && keys.ndim() == 4 && values.ndim() == 4, ValueError, op,
              "queries, keys and values must be [B, H, L, D]; got ",
              shape_to_string(queries.shape()), ", ", shape_to_string(keys.shape()), ", ",
              shape_to_string(values.shape()));
  const int batch = queries.shape(0), q_heads = queries.shape(1), length = queries.shape(2);
  const int kv_heads = keys.shape(1), kv_length = keys.shape(2), head_dim = queries.shape(3);
  EMBER_CHECK(
      keys.shape(3) == head_dim && values.shape(1) == kv_heads && values.shape(2) == kv_length &&
          keys.shape(0) == batch && values.shape(0) == batch,
      ValueError, op, "shapes do not match: queries ", shape_to_string(queries.shape()), ", keys ",
      shape_to_string(keys.shape()), ", values ", shape_to_string(values.shape()));
  EMBER_CHECK(kv_heads > 0 && q_heads % kv_heads == 0, ValueError, op, "query heads (", q_heads,
              ") must be a multiple of key/value heads (", kv_heads, ")");
  EMBER_CHECK(mask_mode.empty() || mask_mode == "causal" || mask_mode == "array", ValueError, op,
              "mask_mode must be \"\", \"causal\" or \"array\", got \"", mask_mode, "\"");
  EMBER_CHECK((mask_mode == "array") == mask_arr.has_value(), ValueError, op,
              "mask_arr is required with mask_mode \"array\" and only then");
  // On the GPU, one fused node within the CUDA kernels' limits: decode-shaped calls (at
  // most 8 queries; sdpa.cu) and 16-bit prefill without an array mask, head size 64, 128
  // or 256 (tensor cores; flash_prefill.cu).
  const Stream stream = to_stream(s);
  const Dtype dtype = queries.dtype();
  const bool decode = length <= 8 && has_kernel_dtype(dtype) &&
                      (head_dim == 64 || head_dim == 80 || head_dim == 96 || head_dim == 128 ||
                       head_dim == 256);
  const bool prefill = length > 8 && (dtype == bfloat16 || dtype == float16) &&
                       (head_dim == 64 || head_dim == 128 || head_dim == 256) &&
                       mask_mode != "array";
  if (stream.device.type == Device::gpu && (decode || prefill) && length >= 1 &&
      kv_length >= 1 && batch >= 1 && values.shape(3) == head_dim && keys.dtype() == dtype &&
      values.dtype() == dtype) {
    std::optional<array> mask;
    if (mask_arr) {
      mask = attention_kernel_mask(*mask_arr, {batch, q_heads, length, kv_length}, stream);
    }
    if (mask.has_value() == mask_arr.has_value()) {
      std::vector<array> inputs{queries, keys, values};
      if (mask) inputs.push_back(std::move(*mask));
      return array(Shape(queries.shape()), dtype,
                   std::make_shared<ScaledDotProductAttention>(stream, scale, mask_mode == "causal",
                                                               mask.has_value()),
                   std::move(inputs));
    }
  }
  const int groups = q_heads / kv_heads;
  // The composition: both products in `compute`, the softmax in float32 (precise). On the
  // GPU, 16-bit inputs stay 16-bit, as in MLX and transformers, so the products run on
  // tensor cores (float32 accumulation) and the [L, S] scores take half the bytes; in
  // float32 the 2,048-token prefill of a Qwen3-1.7B shape spent most of its time here. The
  // CPU computes in float32 (its BLAS has no 16-bit product).
  const Dtype in_dtype = promote_types(promote_types(queries.dtype(), keys.dtype()), values.dtype());
  const bool half = in_dtype == float16 || in_dtype == bfloat16;
  const Dtype compute = stream.device.type == Device::gpu && half ? in_dtype : float32;
  array q = reshape(multiply(astype(queries, compute, s), array(scale, compute), s),
                    {batch, kv_heads, groups, length, head_dim}, s);
  array k = expand_dims(astype(keys, compute, s), 2, s);
  array v = expand_dims(astype(values, compute, s), 2, s);
  array scores = matmul(q, swapaxes(k, -1, -2, s), s);  // [B, Hkv, G, L, S]
  if (mask_mode == "causal") {
    array query_pos = expand_dims(arange(kv_length - length, kv_length, s), 1, s);
    array key_pos = expand_dims(arange(0, kv_length, s), 0, s);
    scores = where(greater_equal(query_pos, key_pos, s), scores,
                   array(-std::numeric_limits<float>::infinity(), compute), s);
  } else if (mask_mode == "array") {
    array mask = *mask_arr;
    EMBER_CHECK(mask.ndim() <= 4, ValueError, op, "mask must have at most 4 dimensions, got ",
                shape_to_string(mask.shape()));
    while (mask.ndim() < 4) mask = expand_dims(mask, 0, s);
    // [B|1, H|1, L, S] -> [B|1, Hkv|1, G|1, L, S]
    const int mask_heads = mask.shape(1);
    EMBER_CHECK(mask_heads == 1 || mask_heads == q_heads, ValueError, op,
                "mask heads must be 1 or ", q_heads, ", got ", mask_heads);
    mask = mask_heads == 1
               ? expand_dims(mask, 2, s)
               : reshape(mask, {mask.shape(0), kv_heads, groups, mask.shape(2), mask.shape(3)}, s);
    if (mask.dtype() == bool_) {
      scores = where(mask, scores, array(-std::numeric_limits<float>::infinity(), compute), s);
    } else {
      // Added in float32: an additive mask of large values would otherwise round the
      // scores to the 16-bit spacing at its magnitude.
      scores = astype(scores, float32, s) + astype(mask, float32, s);
    }
  }
  array probs = astype(softmax(scores, -1, true, s), compute, s);
  array out = matmul(probs, v, s);  // [B, Hkv, G, L, Dv]
  out = reshape(out, {batch, q_heads, length, values.shape(3)}, s);
  return astype(out, promote_types(queries.dtype(), values.dtype()), s);
}

array matmul_swiglu(const array& x, const array& w, StreamOrDevice s) {
  EMBER_CHECK(x.ndim() >= 1 && w.ndim() == 2 && w.shape(0) == x.shape(-1) && w.shape(1) % 2 == 0,
              ValueError, "[matmul_swiglu] needs x [..., D] and w [D, 2 I], got ",
              shape_to_string(x.shape()), " and ", shape_to_string(w.shape()));
  const Dtype dtype = promote_types(x.dtype(), w.dtype());
  EMBER_CHECK(is_inexact(dtype) && !is_complex(dtype), TypeError,
              "[matmul_swiglu] needs real floating inputs, got ", x.dtype(), " and ", w.dtype());
  const Stream stream = to_stream(s);
  // The GPU's GEMV takes up to 8 rows (decode and speculative verification).
  constexpr int64_t kFusedRows = 8;
  const int64_t rows = x.shape(-1) == 0 ? 0 : static_cast<int64_t>(x.size()) / x.shape(-1);
  if (stream.device.type != Device::gpu || x.dtype() != w.dtype() || !has_kernel_dtype(dtype) ||
      rows == 0 || rows > kFusedRows || x.shape(-1) == 0) {
    return reference::matmul_swiglu(x, w, stream);
  }
  Shape shape = x.shape();
  shape.back() = w.shape(1) / 2;
  return array(std::move(shape), dtype, std::make_shared<MatmulSwiGlu>(stream), {x, w});
}

namespace {

// The shapes both delta-rule ops take: q, k [B, T, Hk, Dk], v [B, T, Hv, Dv] with Hv a
// multiple of Hk, state [B, Hv, Dk, Dv], and each gate [B, T, Hv].
void check_delta_rule_shapes(const char* op, const array& q, const array& k, const array& v,
                             const array& state,
                             std::initializer_list<std::pair<const char*, const array*>> gates) {
  EMBER_CHECK(q.ndim() == 4 && k.ndim() == 4 && v.ndim() == 4 && state.ndim() == 4, ValueError, op,
              "expected q, k, v [B, T, H, D] and state [B, Hv, Dk, Dv]; got q ",
              shape_to_string(q.shape()), ", k ", shape_to_string(k.shape()), ", v ",
              shape_to_string(v.shape()), ", state ", shape_to_string(state.shape()));
  const int batch = q.shape(0), steps = q.shape(1), key_heads = q.shape(2), key_dim = q.shape(3);
  const int value_heads = v.shape(2), value_dim = v.shape(3);
  EMBER_CHECK(k.shape() == q.shape(), ValueError, op, "k ", shape_to_string(k.shape()),
              " must have q's shape ", shape_to_string(q.shape()));
  EMBER_CHECK(
      v.shape(0) == batch && v.shape(1) == steps && key_heads > 0 && value_heads % key_heads == 0,
      ValueError, op, "v ", shape_to_string(v.shape()), " does not fit q ",
      shape_to_string(q.shape()), " (value heads must be a multiple of key heads)");
  const Shape gate_shape{batch, steps, value_heads};
  for (const auto& [name, gate] : gates) {
    EMBER_CHECK(gate->shape() == gate_shape, ValueError, op, name, " ",
                shape_to_string(gate->shape()), " must have shape ", shape_to_string(gate_shape));
  }
  const Shape state_shape{batch, value_heads, key_dim, value_dim};
  EMBER_CHECK(state.shape() == state_shape, ValueError, op, "state ",
              shape_to_string(state.shape()), " must have shape ", shape_to_string(state_shape));
}

// The chunk length for a delta rule over `steps` steps, or 0 for the recurrence. The GPU
// takes the chunked form (delta_chunked.h) from kChunkedMinSteps on, where its ~11 nodes a
// chunk and ~60 around them cost less than the step-by-step kernel's ~2.8 us a step (H200,
// benchmarks/lm/NOTES.md). The CPU runs the recurrence at every length.
constexpr int kChunkedMinSteps = 256;

int delta_rule_chunk_for(const Stream& stream, int steps) {
  if (stream.device.type != Device::gpu || steps < kChunkedMinSteps) return 0;
  const int chunk = static_cast<int>(config::delta_rule_chunk());
  return chunk > 0 && steps >= 2 * chunk ? chunk : 0;
}

void check_floating(const char* op, std::initializer_list<const array*> arrays) {
  for (const array* a : arrays) {
    EMBER_CHECK(is_floating_point(a->dtype()), TypeError, op, "inputs must be floating, got ",
                a->dtype());
  }
}

}  // namespace

std::pair<array, array> gated_delta_rule(const array& q, const array& k, const array& v,
                                         const array& g, const array& beta, const array& state,
                                         StreamOrDevice s) {
  const char* op = "[gated_delta_rule] ";
  check_delta_rule_shapes(op, q, k, v, state, {{"g", &g}, {"beta", &beta}});
  check_floating(op, {&q, &k, &v, &g, &beta, &state});
  const Stream stream = to_stream(s);
  if (const int chunk = delta_rule_chunk_for(stream, q.shape(1)); chunk > 0) {
    return detail::gated_delta_chunked(q, k, v, g, beta, state, chunk, stream);
  }
  std::vector<array> inputs;
  for (const array* a : {&q, &k, &v, &g, &beta, &state}) {
    inputs.push_back(contiguous(astype(*a, float32, stream), false, stream));
  }
  auto outputs = array::make_arrays({v.shape(), state.shape()}, {float32, float32},
                                    std::make_shared<GatedDeltaRule>(stream), std::move(inputs));
  return {astype(outputs[0], v.dtype(), stream), outputs[1]};
}

std::pair<array, array> gated_delta_update(const array& q, const array& k, const array& v,
                                           const array& a, const array& b, const array& a_log,
                                           const array& dt_bias, const array& state,
                                           bool normalize_qk, StreamOrDevice s) {
  const char* op = "[gated_delta_update] ";
  check_delta_rule_shapes(op, q, k, v, state, {{"a", &a}, {"b", &b}});
  const int value_heads = v.shape(2);
  EMBER_CHECK(is_vector_of(a_log, value_heads) && is_vector_of(dt_bias, value_heads), ValueError,
              op, "a_log ", shape_to_string(a_log.shape()), " and dt_bias ",
              shape_to_string(dt_bias.shape()), " must have shape [", value_heads, "]");
  check_floating(op, {&q, &k, &v, &a, &b, &a_log, &dt_bias, &state});
  // Dtypes the kernels lack, and long sequences on the GPU (which gated_delta_rule runs in
  // chunks): the gates and norms as ops, then gated_delta_rule.
  bool composed = delta_rule_chunk_for(to_stream(s), q.shape(1)) > 0;
  for (const array* x : {&q, &k, &v, &a, &b}) composed = composed || !has_kernel_dtype(x->dtype());
  if (composed) {
    return reference::gated_delta_update(q, k, v, a, b, a_log, dt_bias, state, normalize_qk, s);
  }
  // Inputs are read in place, strided views included (q, k and v are slices of the conv's
  // output), so a decode step adds no copies; the gates' parameters and the state are
  // float32 already in a model, where these casts add no node.
  const Stream stream = to_stream(s);
  std::vector<array> inputs{q, k, v, a, b};
  for (const array* x : {&a_log, &dt_bias, &state}) inputs.push_back(astype(*x, float32, stream));
  auto outputs = array::make_arrays(
      {v.shape(), state.shape()}, {v.dtype(), float32},
      std::make_shared<GatedDeltaRule>(stream, /*gates_from_logits=*/true, normalize_qk),
      std::move(inputs));
  return {outputs[0], outputs[1]};
}

std::pair<array, array> causal_conv1d_update(const array& x, const array& state,
                                             const array& weight, const std::optional<array>& bias,
                                             bool silu, StreamOrDevice s) {
  const char* op = "[causal_conv1d_update] ";
  EMBER_CHECK(
      x.ndim() == 3 && weight.ndim() == 2 && weight.shape(0) >= 1 && weight.shape(1) == x.shape(2),
      ValueError, op, "expected x [B, T, C] and weight [K, C] with K >= 1; got x ",
      shape_to_string(x.shape()), ", weight ", shape_to_string(weight.shape()));
  const int batch = x.shape(0), channels = x.shape(2), taps = weight.shape(0);
  const Shape state_shape{batch, taps - 1, channels};
  EMBER_CHECK(state.shape() == state_shape, ValueError, op, "state ",
              shape_to_string(state.shape()), " must have shape ", shape_to_string(state_shape),
              " (the K-1 inputs before x)");
  if (bias) {
    EMBER_CHECK(is_vector_of(*bias, channels), ValueError, op, "bias ",
                shape_to_string(bias->shape()), " must have shape [", channels, "]");
  }
  check_floating(op, {&x, &state, &weight});
  if (bias) check_floating(op, {&*bias});
  if (!has_kernel_dtype(x.dtype()) || !has_kernel_dtype(weight.dtype()) ||
      (bias && !has_kernel_dtype(bias->dtype()))) {
    return reference::causal_conv1d_update(x, state, weight, bias, silu, s);
  }
  const Stream stream = to_stream(s);
  std::vector<array> inputs{x, astype(state, x.dtype(), stream), weight};
  if (bias) inputs.push_back(*bias);
  auto outputs = array::make_arrays(
      {x.shape(), state_shape}, {x.dtype(), x.dtype()},
      std::make_shared<CausalConv1dUpdate>(stream, bias.has_value(), silu), std::move(inputs));
  return {outputs[0], outputs[1]};
}

}  // namespace ember::fast
