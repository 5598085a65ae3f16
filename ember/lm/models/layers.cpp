#include "ember/lm/models/layers.h"

#include <cmath>
#include <numbers>

#include "ember/core/device.h"
#include "ember/core/errors.h"
#include "ember/core/ops.h"
#include "ember/fast/fast.h"

namespace ember::lm::layers {

namespace {
// Weights are memory-mapped host arrays. On a GPU default device they get a device copy
// (made at their first use, then kept), so each forward does not upload them again.
array on_default_device(const array& a, Dtype dtype) {
  if (default_device().type == Device::gpu) return a.dtype() == dtype ? copy(a) : astype(a, dtype);
  return a.dtype() == dtype ? a : astype(a, dtype);
}
}  // namespace

array Loader::take(const std::string& name, const Shape& shape) {
  array a = store_.take(name, shape);
  bytes_ += a.nbytes();
  return on_default_device(a, dtype_);
}

array Loader::take_float32(const std::string& name, const Shape& shape) {
  array a = store_.take(name, shape);
  bytes_ += a.nbytes();
  return on_default_device(a, float32);
}

array Loader::take_concatenated(const std::vector<std::pair<std::string, Shape>>& parts) {
  std::vector<array> host;
  for (const auto& [name, shape] : parts) {
    host.push_back(store_.take(name, shape));
    bytes_ += host.back().nbytes();
  }
  return on_default_device(concatenate(std::move(host), 0, Device(Device::cpu)), dtype_);
}

std::optional<array> Loader::take_optional(const std::string& name, const Shape& shape) {
  if (!store_.contains(name)) return std::nullopt;
  return take(name, shape);
}

array Linear::operator()(const array& x) const {
  array y = matmul(x, weight_t);
  return bias ? y + *bias : y;
}

array Linear::onto(const array& residual, const array& x) const {
  if (bias) return residual + (*this)(x);
  return addmm(residual, x, weight_t);
}

Linear load_linear(Loader& loader, const std::string& prefix, int out, int in, bool bias) {
  Linear l{transpose(loader.take(prefix + ".weight", {out, in})), std::nullopt};
  if (bias) l.bias = loader.take(prefix + ".bias", {out});
  else l.bias = loader.take_optional(prefix + ".bias", {out});
  return l;
}

Linear load_fused_linear(Loader& loader, const std::vector<std::string>& prefixes,
                         const std::vector<int>& outs, int in) {
  std::vector<std::pair<std::string, Shape>> parts;
  bool any_bias = false;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    parts.push_back({prefixes[i] + ".weight", {outs[i], in}});
    any_bias = any_bias || loader.contains(prefixes[i] + ".bias");
  }
  Linear l{transpose(loader.take_concatenated(parts)), std::nullopt};
  if (any_bias) {
    std::vector<array> biases;
    for (size_t i = 0; i < prefixes.size(); ++i) {
      auto bias = loader.take_optional(prefixes[i] + ".bias", {outs[i]});
      biases.push_back(bias ? *bias : zeros({outs[i]}, loader.dtype()));
    }
    l.bias = concatenate(std::move(biases), 0);
  }
  return l;
}

namespace {
// silu(gate) * up of the fused [gate | up] projection: one GEMV on the GPU in decode.
array gated(const Mlp& mlp, const array& x) {
  if (!mlp.gate_up.bias) return fast::matmul_swiglu(x, mlp.gate_up.weight_t);
  const auto halves = split(mlp.gate_up(x), Shape{mlp.intermediate}, -1);
  return fast::swiglu(halves[0], halves[1]);
}
}  // namespace

array Mlp::operator()(const array& x) const { return down(gated(*this, x)); }

array Mlp::onto(const array& residual, const array& x) const {
  return down.onto(residual, gated(*this, x));
}

Mlp load_mlp(Loader& loader, const std::string& prefix, int hidden, int intermediate) {
  return {load_fused_linear(loader, {prefix + ".gate_proj", prefix + ".up_proj"},
                            {intermediate, intermediate}, hidden),
          load_linear(loader, prefix + ".down_proj", hidden, intermediate), intermediate};
}

array SparseMoe::operator()(const array& x) const {
  // x: [..., H] -> tokens [N, H]
  const Shape outer_shape(x.shape().begin(), x.shape().end() - 1);
  const int hidden = x.shape(-1);
  array tokens = reshape(x, {-1, hidden});
  array probs = softmax(astype(matmul(tokens, transpose(router)), float32), -1, true);
  const int experts = router.shape(0);
  array order = argpartition(negative(probs), top_k - 1, -1);
  array chosen = slice(order, {0, 0}, {order.shape(0), top_k});           // [N, k]
  array weights = take_along_axis(probs, chosen, -1);                      // [N, k]
  if (normalize_top_k) weights = weights / sum(weights, -1, true);
  (void)experts;
  array xs = expand_dims(tokens, {-2, -3});                                // [N, 1, 1, H]
  array g = gather_mm(xs, gate_t, std::nullopt, chosen);                   // [N, k, 1, I]
  array u = gather_mm(xs, up_t, std::nullopt, chosen);
  array h = fast::swiglu(g, u);
  array y = squeeze(gather_mm(h, down_t, std::nullopt, chosen), -2);      // [N, k, H]
  array out = sum(y * expand_dims(astype(weights, y.dtype()), -1), -2);   // [N, H]
  if (shared) {
    array s = (*shared)(tokens);
    if (shared_gate) s = sigmoid((*shared_gate)(tokens)) * s;
    out = out + s;
  }
  Shape shape = outer_shape;
  shape.push_back(hidden);
  return reshape(out, shape);
}

SparseMoe load_moe(Loader& loader, const std::string& prefix, int hidden, int intermediate,
                   int num_experts, int top_k, bool normalize_top_k) {
  EMBER_CHECK(top_k >= 1 && top_k <= num_experts, ValueError, "[load_model] config.json: ",
              "num_experts_per_tok (", top_k, ") must be in [1, ", num_experts, "]");
  SparseMoe moe{loader.take(prefix + ".gate.weight", {num_experts, hidden}),
                array(0.0f), array(0.0f), array(0.0f), top_k, normalize_top_k,
                std::nullopt, std::nullopt};
  const std::string experts = prefix + ".experts";
  array gate(0.0f), up(0.0f), down(0.0f);
  if (loader.contains(experts + ".gate_up_proj")) {
    array gate_up = loader.take(experts + ".gate_up_proj", {num_experts, 2 * intermediate, hidden});
    gate = slice(gate_up, {0, 0, 0}, {num_experts, intermediate, hidden});
    up = slice(gate_up, {0, intermediate, 0}, {num_experts, 2 * intermediate, hidden});
    down = loader.take(experts + ".down_proj", {num_experts, hidden, intermediate});
  } else {
    std::vector<array> gates, ups, downs;
    for (int e = 0; e < num_experts; ++e) {
      const std::string p = experts + "." + std::to_string(e);
      gates.push_back(loader.take(p + ".gate_proj.weight", {intermediate, hidden}));
      ups.push_back(loader.take(p + ".up_proj.weight", {intermediate, hidden}));
      downs.push_back(loader.take(p + ".down_proj.weight", {hidden, intermediate}));
    }
    gate = stack(gates, 0);
    up = stack(ups, 0);
    down = stack(downs, 0);
  }
  moe.gate_t = swapaxes(gate, -1, -2);
  moe.up_t = swapaxes(up, -1, -2);
  moe.down_t = swapaxes(down, -1, -2);
  return moe;
}

array Rope::operator()(const array& x, int offset) const {
  return fast::rope(x, dims, false, periods ? std::nullopt : base, scale, offset, periods);
}

array Rope::operator()(const array& x, const array& offset) const {
  return fast::rope(x, dims, false, periods ? std::nullopt : base, scale, offset, periods);
}

Rope make_rope(const RopeConfig& config, int head_dim) {
  Rope rope;
  rope.dims = static_cast<int>(head_dim * config.partial_rotary_factor);
  rope.dims -= rope.dims % 2;
  EMBER_CHECK(rope.dims > 0, ValueError, "[load_model] config.json: partial_rotary_factor ",
              config.partial_rotary_factor, " leaves no rotary features of head_dim ", head_dim);
  if (config.type == "linear") {
    rope.base = static_cast<float>(config.theta);
    rope.scale = static_cast<float>(1.0 / config.factor);
  } else if (config.type == "llama3") {
    // Llama 3.1: long wavelengths are stretched by `factor`, short ones kept, and the band
    // between interpolated (transformers' _compute_llama3_parameters, as periods).
    const double old_context = config.original_max_position_embeddings;
    const double low_wavelen = old_context / config.low_freq_factor;
    const double high_wavelen = old_context / config.high_freq_factor;
    std::vector<float> periods;
    for (int i = 0; i < rope.dims; i += 2) {
      double period = std::pow(config.theta, static_cast<double>(i) / rope.dims);
      const double wavelen = 2 * std::numbers::pi * period;
      if (wavelen > low_wavelen) {
        period *= config.factor;
      } else if (wavelen >= high_wavelen) {
        const double smooth = (old_context / wavelen - config.low_freq_factor) /
                              (config.high_freq_factor - config.low_freq_factor);
        period /= (1 - smooth) / config.factor + smooth;
      }
      periods.push_back(static_cast<float>(period));
    }
    rope.periods = array(periods.begin(), {static_cast<int>(periods.size())}, float32);
  } else {
    rope.base = static_cast<float>(config.theta);
  }
  return rope;
}

array embed(const array& table, const array& tokens) { return take(table, tokens, 0); }

}  // namespace ember::lm::layers
