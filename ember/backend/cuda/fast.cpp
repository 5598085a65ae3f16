// eval_gpu of the fused-op primitives (fast/primitives.h).
#include <optional>

#include "ember/backend/cuda/fast_launch.h"
#include "ember/backend/cuda/gemv_launch.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/errors.h"
#include "ember/fast/primitives.h"

namespace ember::fast {
namespace {

const void* data_or_null(const std::optional<array>& a) { return a ? a->raw_data() : nullptr; }

// `a` as a kernel reads strided rows in place (attention's transposed q/k views, a column
// slice of a projection): itself, or a contiguous copy when its last axis is strided or it
// has too many axes to collapse; and the layout of its rows (every axis but the last).
std::pair<array, cuda::Layout<1>> rows_in_place(const char* op, const array& a) {
  const array rows = a.strides().back() != 1 || a.ndim() - 1 > cuda::kMaxDims
                         ? cuda::contiguous_copy(a)
                         : a;
  const Shape row_shape(rows.shape().begin(), rows.shape().end() - 1);
  const Strides row_strides(rows.strides().begin(), rows.strides().end() - 1);
  return {rows, cuda::collapse<1>(op, row_shape, {row_strides})};
}

// Rows of the last axis: the number of rows and their length (0 rows when empty).
std::pair<int64_t, int64_t> rows_of(const array& x) {
  const int64_t length = x.shape(-1);
  return {length == 0 ? 0 : static_cast<int64_t>(x.size()) / length, length};
}

}  // namespace

void RMSNorm::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array x = cuda::contiguous_copy(inputs[0]);
  std::optional<array> weight, gate;
  if (inputs.size() > (gated_ ? 2u : 1u)) weight = cuda::contiguous_copy(inputs[1]);
  cuda::RmsNormOperands more{.weight = data_or_null(weight), .float32_scale = float32_scale_};
  if (gated_) {  // Gated DeltaNet's gate is a column slice of its input projection
    auto [rows, layout] = rows_in_place(name(), inputs.back());
    gate = std::move(rows);
    more.gate = gate->raw_data();
    more.gate_rows = layout;
  }
  cuda::allocate_output(out);
  const auto [rows, length] = rows_of(x);
  cuda::launch_rms_norm(x.dtype(), out.dtype(), x.raw_data(), more, out.raw_data(), rows, length,
                        eps_);
}

void LayerNorm::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array x = cuda::contiguous_copy(inputs[0]);
  std::optional<array> weight, bias;
  if (has_weight_) weight = cuda::contiguous_copy(inputs[1]);
  if (has_bias_) bias = cuda::contiguous_copy(inputs[has_weight_ ? 2 : 1]);
  cuda::allocate_output(out);
  const auto [rows, length] = rows_of(x);
  cuda::launch_layer_norm(x.dtype(), x.raw_data(), data_or_null(weight), data_or_null(bias),
                          out.raw_data(), rows, length, eps_);
}

void RoPE::eval_gpu(const std::vector<array>& inputs, array& out) {
  // Strided rows (the transposed [B, L, H, D] -> [B, H, L, D] views of attention) are read
  // in place.
  const auto [x, x_rows] = rows_in_place(name(), inputs[0]);
  std::optional<array> freqs, weight;
  if (const int index = freqs_index(inputs); index >= 0) {
    freqs = cuda::contiguous_copy(inputs[index]);
  }
  if (norm_) weight = cuda::contiguous_copy(inputs[1]);
  // The kernel reads a dynamic offset (one int32 element, at raw_data()) when it runs, so a
  // replayed graph sees the value its input holds then.
  const int32_t* dynamic_offset =
      dynamic_offset_ ? static_cast<const int32_t*>(inputs.back().raw_data()) : nullptr;
  cuda::allocate_output(out);
  const cuda::RopeArgs args{.dims = dims_,
                            .traditional = traditional_,
                            .base = base_,
                            .scale = scale_,
                            .offset = offset_,
                            .dynamic_offset = dynamic_offset,
                            .freqs = freqs ? static_cast<const float*>(freqs->raw_data()) : nullptr,
                            .rows = rows_of(x).first,
                            .length = x.shape(-2),
                            .features = x.shape(-1),
                            .norm_weight = data_or_null(weight),
                            .eps = norm_ ? norm_->eps : 0.0f,
                            .float32_scale = norm_ && norm_->float32_scale};
  cuda::launch_rope(x.dtype(), x.raw_data(), x_rows, out.raw_data(), args);
}

void MatmulSwiGlu::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array x = cuda::contiguous_copy(inputs[0]);
  const array& w_t = inputs[1];  // [D, 2 I]
  const int64_t depth = w_t.shape(0), both = w_t.shape(1);
  cuda::allocate_output(out);
  if (out.size() == 0) return;
  // The kernel reads the [2 I, D] weight's rows: w_t in place when it is that weight's
  // transposed view (a Linear's), else a copy in that layout.
  const void* w = w_t.raw_data();
  if (both > 1 && (w_t.strides()[0] != 1 || w_t.strides()[1] != depth)) {
    void* rows = cuda::temporary(static_cast<size_t>(both * depth) * w_t.itemsize());
    cuda::copy_strided(w_t, rows, w_t.dtype(), Strides{1, depth});
    w = rows;
  }
  const bool launched = cuda::launch_gemv_swiglu(
      out.dtype(), x.raw_data(), depth, w, depth, out.raw_data(),
      static_cast<int>(static_cast<int64_t>(x.size()) / depth), both / 2, depth);
  EMBER_INTERNAL_ASSERT(launched, "[", name(), "] on ", out.dtype());
}

namespace {

// An operand the fused kernels read in place (at most 4 axes): data, dtype and strides.
cuda::FloatOperand float_operand(const array& a) {
  EMBER_INTERNAL_ASSERT(a.ndim() <= 4, "a fused kernel's operand has at most 4 axes");
  cuda::FloatOperand operand{.data = a.raw_data(), .dtype = a.dtype()};
  for (int axis = 0; axis < a.ndim(); ++axis) operand.strides[axis] = a.strides()[axis];
  return operand;
}

}  // namespace

void GatedDeltaRule::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array &q = inputs[0], &v = inputs[2];
  array& y = outputs[0];
  array& state_out = outputs[1];
  cuda::allocate_output(y);
  cuda::allocate_output(state_out);
  const cuda::GatedDeltaArgs args{
      .q = float_operand(q),
      .k = float_operand(inputs[1]),
      .v = float_operand(v),
      .gate_a = float_operand(inputs[3]),
      .gate_b = float_operand(inputs[4]),
      .a_log = gates_from_logits_ ? float_operand(inputs[5]) : cuda::FloatOperand{},
      .dt_bias = gates_from_logits_ ? float_operand(inputs[6]) : cuda::FloatOperand{},
      .state_in = float_operand(inputs.back()),
      .y = y.raw_data(),
      .y_dtype = y.dtype(),
      .state_out = static_cast<float*>(state_out.raw_data()),
      .batch = q.shape(0),
      .steps = q.shape(1),
      .key_heads = q.shape(2),
      .value_heads = v.shape(2),
      .key_dim = q.shape(3),
      .value_dim = v.shape(3),
      .gates_from_logits = gates_from_logits_,
      .normalize_qk = normalize_qk_};
  const bool launched = cuda::launch_gated_delta_rule(args);
  EMBER_CHECK(launched, NotImplementedError, "[", name(), "] key heads of ", q.shape(3),
              " features: the CUDA kernel takes at most 256");
}

void CausalConv1dUpdate::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& x = inputs[0];
  array& out = outputs[0];
  array& next_state = outputs[1];
  cuda::allocate_output(out);
  cuda::allocate_output(next_state);
  cuda::launch_causal_conv1d_update(
      {.dtype = x.dtype(),
       .x = float_operand(x),
       .state = float_operand(inputs[1]),
       .weight = float_operand(inputs[2]),
       .bias = has_bias_ ? float_operand(inputs[3]) : cuda::FloatOperand{},
       .out = out.raw_data(),
       .next_state = next_state.raw_data(),
       .batch = x.shape(0),
       .steps = x.shape(1),
       .channels = x.shape(2),
       .taps = inputs[2].shape(0),
       .silu = silu_});
}

namespace {

// Keys or values as the kernel reads them: the feature axis contiguous and each row 16-byte
// aligned, so a slice of a KV cache is read in place; otherwise a contiguous copy.
std::pair<array, cuda::AttentionStrides> attention_rows(const array& a) {
  const int64_t vector = 16 / static_cast<int64_t>(size_of(a.dtype()));
  auto stride = [](const array& x, int axis) -> int64_t {
    return x.shape(axis) == 1 ? 0 : x.strides()[axis];
  };
  auto readable = [&](const array& x) {
    return x.strides()[3] == 1 && stride(x, 0) % vector == 0 && stride(x, 1) % vector == 0 &&
           stride(x, 2) % vector == 0 && reinterpret_cast<uintptr_t>(x.raw_data()) % 16 == 0;
  };
  array rows = readable(a) ? a : cuda::contiguous_copy(a);
  if (!readable(rows)) rows = cuda::fresh_copy(a);  // row-contiguous at an odd offset
  return {rows, {stride(rows, 0), stride(rows, 1), stride(rows, 2)}};
}

// The mask (at most 4 axes, each 1 or its [B, Hq, L, S] size) read in place: its axes align
// with the last of [B, Hq, L, S], and missing or size-1 axes get stride 0.
cuda::AttentionMask attention_mask(const array& mask) {
  int64_t strides[4] = {0, 0, 0, 0};
  const int skipped = 4 - mask.ndim();
  for (int axis = 0; axis < mask.ndim(); ++axis) {
    if (mask.shape(axis) != 1) strides[skipped + axis] = mask.strides()[axis];
  }
  return {.data = mask.raw_data(),
          .dtype = mask.dtype(),
          .batch = strides[0],
          .head = strides[1],
          .query = strides[2],
          .key = strides[3]};
}

}  // namespace

void ScaledDotProductAttention::eval_gpu(const std::vector<array>& inputs, array& out) {
  const array q = cuda::contiguous_copy(inputs[0]);
  const auto [k, key_strides] = attention_rows(inputs[1]);
  const auto [v, value_strides] = attention_rows(inputs[2]);
  EMBER_INTERNAL_ASSERT(!has_mask_ || (inputs.size() == 4 && inputs[3].ndim() <= 4), "[", name(),
                        "] the mask must be a fourth input of at most 4 axes");
  const cuda::AttentionMask mask = has_mask_ ? attention_mask(inputs[3]) : cuda::AttentionMask{};
  cuda::allocate_output(out);
  const cuda::AttentionArgs args{.dtype = q.dtype(),
                                 .queries = q.raw_data(),
                                 .keys = k.raw_data(),
                                 .values = v.raw_data(),
                                 .key_strides = key_strides,
                                 .value_strides = value_strides,
                                 .out = out.raw_data(),
                                 .batch = q.shape(0),
                                 .query_heads = q.shape(1),
                                 .kv_heads = k.shape(1),
                                 .length = q.shape(2),
                                 .kv_length = k.shape(2),
                                 .head_dim = q.shape(3),
                                 .scale = scale_,
                                 .causal = causal_,
                                 .mask = mask};
  const bool launched = args.length > cuda::kMaxAttentionDecodeQueries
                            ? cuda::launch_attention_prefill(args)
                            : cuda::launch_attention_decode(args, &cuda::temporary);
  EMBER_CHECK(launched, NotImplementedError, "[", name(), "] no kernel for ", q.dtype(),
              " with head size ", q.shape(3), ", ", q.shape(2), " queries and ",
              has_mask_ ? dtype_name(mask.dtype) : "no", " mask");
}

}  // namespace ember::fast
