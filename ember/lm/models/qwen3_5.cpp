// Qwen3.5 (dense and MoE) and Qwen3-Next: hybrid decoders that interleave Gated DeltaNet
// layers (linear attention with a causal depthwise conv and a delta-rule recurrent state)
// with gated full attention (partial RoPE, q/k norms, sigmoid output gate). RMSNorm weights
// are stored centred on zero. Follows transformers' Qwen3NextModel / Qwen3_5Model and the
// Gated DeltaNet paper (Yang et al., 2024).
#include <algorithm>

#include "ember/core/capture.h"
#include "ember/core/errors.h"
#include "ember/core/ops.h"
#include "ember/fast/fast.h"
#include "ember/lm/models/decoder.h"

namespace ember::lm {
namespace {

struct DeltaNetConfig {
  int hidden = 0, key_heads = 0, value_heads = 0, key_dim = 0, value_dim = 0, conv_kernel = 0;
  float eps = 1e-6f;
  bool fused_projections = false;  ///< Qwen3-Next: in_proj_qkvz / in_proj_ba, grouped by key head
};

// Gated DeltaNet token mixer. Its cache holds the conv input tail [B, K-1, C] and the
// float32 state [B, Hv, Dk, Dv].
class GatedDeltaNet final : public Mixer {
 public:
  GatedDeltaNet(layers::Loader& loader, const std::string& prefix, const DeltaNetConfig& c)
      : c_(c) {
    const int key_total = c.key_heads * c.key_dim, value_total = c.value_heads * c.value_dim;
    conv_channels_ = 2 * key_total + value_total;
    // The input projections as one matmul: Qwen3.5's [qkv | z | b | a], Qwen3-Next's
    // [qkvz | ba] (each grouped by key head, prologue() takes them apart).
    if (c.fused_projections) {
      in_proj_ = layers::load_fused_linear(
          loader, {prefix + ".in_proj_qkvz", prefix + ".in_proj_ba"},
          {2 * key_total + 2 * value_total, 2 * c.value_heads}, c.hidden);
    } else {
      in_proj_ = layers::load_fused_linear(
          loader, {prefix + ".in_proj_qkv", prefix + ".in_proj_z", prefix + ".in_proj_b",
                   prefix + ".in_proj_a"},
          {conv_channels_, value_total, c.value_heads, c.value_heads}, c.hidden);
    }
    // HF stores the depthwise conv as [C, 1, K]; MLX conversions as [C, K, 1].
    const std::string conv_name = prefix + ".conv1d.weight";
    array conv = loader.take(conv_name);
    const Shape hf{conv_channels_, 1, c.conv_kernel}, mlx{conv_channels_, c.conv_kernel, 1};
    EMBER_CHECK(conv.shape() == hf || conv.shape() == mlx, ValueError, "[load_model] tensor '",
                conv_name, "' has shape ", shape_to_string(conv.shape()), ", expected ",
                shape_to_string(hf));
    // The taps as fast::causal_conv1d_update takes them, [K, C], rows contiguous so that a
    // kernel's neighbouring channels read neighbouring taps.
    conv_weight_ = contiguous(transpose(reshape(conv, {conv_channels_, c.conv_kernel})));
    conv_bias_ = loader.take_optional(prefix + ".conv1d.bias", {conv_channels_});
    // The gates' parameters, float32 as fast::gated_delta_update computes the gates.
    a_log_ = loader.take_float32(prefix + ".A_log", {c.value_heads});
    dt_bias_ = loader.take_float32(prefix + ".dt_bias", {c.value_heads});
    norm_weight_ = loader.take(prefix + ".norm.weight", {c.value_dim});
    out_ = layers::load_linear(loader, prefix + ".out_proj", c.hidden, value_total);
  }

  array operator()(const array& x, Cache& cache) const override {
    return epilogue(core(prologue(x), cache));
  }

  // The projections, which depend on x alone: {mixed [B, T, C] (q, k, v before the conv),
  // z [B, T, Hv Dv], and the gates' logits b, a [B, T, Hv]} (views where the layout allows).
  std::vector<array> prologue(const array& x) const override {
    const int batch = x.shape(0), length = x.shape(1);
    const int value_total = c_.value_heads * c_.value_dim;
    array projected = in_proj_(x);
    // Columns [from, to) of the last axis: a view.
    auto columns = [&](const array& t, int from, int to) {
      Shape lo(t.ndim(), 0), hi = t.shape();
      lo.back() = from;
      hi.back() = to;
      return slice(t, lo, hi);
    };
    array mixed(0.0f), z(0.0f), b(0.0f), a(0.0f);
    if (c_.fused_projections) {
      // Per key head: [q (Dk), k (Dk), v (r Dv), z (r Dv)] and [b (r), a (r)], r = Hv / Hk.
      const int r = c_.value_heads / c_.key_heads, dk = c_.key_dim, rv = r * c_.value_dim;
      const int qkvz_total = 2 * c_.key_heads * dk + 2 * value_total;
      array qkvz = reshape(columns(projected, 0, qkvz_total),
                           {batch, length, c_.key_heads, 2 * dk + 2 * rv});
      auto part = [&](const array& t, int from, int to) {
        return reshape(columns(t, from, to), {batch, length, -1});
      };
      mixed = concatenate({part(qkvz, 0, dk), part(qkvz, dk, 2 * dk),
                           part(qkvz, 2 * dk, 2 * dk + rv)}, -1);
      z = part(qkvz, 2 * dk + rv, 2 * dk + 2 * rv);
      array ba = reshape(columns(projected, qkvz_total, qkvz_total + 2 * c_.value_heads),
                         {batch, length, c_.key_heads, 2 * r});
      b = part(ba, 0, r);
      a = part(ba, r, 2 * r);
    } else {
      mixed = columns(projected, 0, conv_channels_);
      z = columns(projected, conv_channels_, conv_channels_ + value_total);
      b = columns(projected, conv_channels_ + value_total,
                  conv_channels_ + value_total + c_.value_heads);
      a = columns(projected, conv_channels_ + value_total + c_.value_heads,
                  conv_channels_ + value_total + 2 * c_.value_heads);
    }
    return {mixed, z, reshape(b, {batch, length, c_.value_heads}),
            reshape(a, {batch, length, c_.value_heads})};
  }

  // The conv (with its state), the delta rule (with its state) and the gated norm:
  // [B, T, Hv Dv] in x's dtype, before the output projection.
  array core(const std::vector<array>& parts, Cache& cache) const override {
    auto* state = dynamic_cast<RecurrentCache*>(&cache);
    EMBER_CHECK(state != nullptr, ValueError, "[gated_delta_net] needs a recurrent cache, got a ",
                cache.kind(), " cache");
    const int batch = parts[0].shape(0);
    array previous = state->conv_state() ? *state->conv_state()
                                         : zeros({batch, c_.conv_kernel - 1, conv_channels_},
                                                 parts[0].dtype());
    array initial = state->ssm_state()
                        ? *state->ssm_state()
                        : zeros({batch, c_.value_heads, c_.key_dim, c_.value_dim}, float32);
    Mixed mixed = mix(parts, previous, initial);
    state->update(mixed.conv_state, mixed.ssm_state, parts[0].shape(1));
    return mixed.out;
  }

  // The conv tail [B, K-1, C] in the activations' dtype and the float32 state.
  std::vector<StateSpec> step_states(int batch, int capacity, Dtype dtype) const override {
    (void)capacity;
    return {{{batch, c_.conv_kernel - 1, conv_channels_}, dtype, -1},
            {{batch, c_.value_heads, c_.key_dim, c_.value_dim}, float32, -1}};
  }

  array step_core(const std::vector<array>& parts, std::vector<array>& states,
                  const array& position, const array& valid) const override {
    (void)position, (void)valid;
    Mixed mixed = mix(parts, states[0], states[1]);
    const array origin(0, int32);  // both states are replaced whole
    states[0] = update_state(states[0], mixed.conv_state, origin, {0});
    states[1] = update_state(states[1], mixed.ssm_state, origin, {0});
    return mixed.out;
  }

  array epilogue(const array& y) const override { return out_(y); }
  array epilogue_onto(const array& residual, const array& y) const override {
    return out_.onto(residual, y);
  }


  std::unique_ptr<Cache> make_cache() const override { return std::make_unique<RecurrentCache>(); }

  struct Mixed {
    array out, conv_state, ssm_state;
  };

  // The core over given states: the output and the next states.
  Mixed mix(const std::vector<array>& parts, const array& previous, const array& initial) const {
    const array& mixed = parts[0];
    const array& z = parts[1];
    const array& b = parts[2];
    const array& a = parts[3];
    const int batch = mixed.shape(0), length = mixed.shape(1);
    const int key_total = c_.key_heads * c_.key_dim;
    // Causal depthwise conv over [previous K-1 inputs, this call's inputs], then SiLU.
    // (Not a structured binding: clang 14, the fuzzers' compiler, lets no lambda capture one.)
    const std::pair<array, array> convolved =
        fast::causal_conv1d_update(mixed, previous, conv_weight_, conv_bias_, /*silu=*/true);
    const array& conv = convolved.first;
    const array& next_conv_state = convolved.second;

    auto heads = [&](int from, int to, int count, int dim) {
      return reshape(slice(conv, {0, 0, from}, {batch, length, to}), {batch, length, count, dim});
    };
    array q = heads(0, key_total, c_.key_heads, c_.key_dim);
    array kk = heads(key_total, 2 * key_total, c_.key_heads, c_.key_dim);
    array v = heads(2 * key_total, conv_channels_, c_.value_heads, c_.value_dim);

    // The gates from a and b, l2-normalised q and k (q also scaled by Dk^-1/2) and the
    // recurrence, in one node.
    auto [y, next_state] = fast::gated_delta_update(q, kk, v, a, b, a_log_, dt_bias_, initial,
                                                    /*normalize_qk=*/true);

    // Gated RMSNorm per value head: weight * norm(y) * silu(z), norm in float32.
    array zh = reshape(z, {batch, length, c_.value_heads, c_.value_dim});
    array out = fast::rms_norm_gated(y, zh, norm_weight_, c_.eps);
    return {reshape(out, {batch, length, c_.value_heads * c_.value_dim}), next_conv_state,
            next_state};
  }

 private:
  DeltaNetConfig c_;
  int conv_channels_ = 0;
  layers::Linear in_proj_{array(0.0f), std::nullopt};  // see the constructor
  layers::Linear out_{array(0.0f), std::nullopt};
  array conv_weight_{0.0f};         // [K, C], see the constructor
  std::optional<array> conv_bias_;  // [C]
  array a_log_{0.0f}, dt_bias_{0.0f}, norm_weight_{0.0f};
};

}  // namespace

std::unique_ptr<Model> load_hybrid_family(const ConfigReader& config, WeightStore& store, Dtype dtype) {
  const std::string type = config.string("model_type", "");
  const CommonConfig common = read_common_config(config);
  // Note [Centred norms]: HF checkpoints store these RMSNorm weights centred on zero (the
  // forward uses 1 + w); MLX conversions have already added the 1 and store the depthwise
  // conv as [C, K, 1] instead of [C, 1, K]. The conv layout tells the two apart.
  bool centred = true;
  for (const auto& [name, tensor] : store.tensors()) {
    if (name.ends_with(".conv1d.weight") &&
        tensor.ndim() == 3 && tensor.shape(2) == 1 && tensor.shape(1) > 1) {
      centred = false;
      break;
    }
  }
  layers::Loader loader(store, dtype);
  auto model = std::make_unique<DecoderModel>();
  load_embeddings(loader, common, centred, *model);

  AttentionConfig attention = attention_config(config, common);
  attention.qk_norm = true;
  attention.output_gate = true;
  attention.centred_norms = centred;

  DeltaNetConfig delta;
  delta.hidden = common.hidden;
  delta.key_heads = config.integer("linear_num_key_heads");
  delta.value_heads = config.integer("linear_num_value_heads");
  delta.key_dim = config.integer("linear_key_head_dim");
  delta.value_dim = config.integer("linear_value_head_dim");
  delta.conv_kernel = config.integer("linear_conv_kernel_dim");
  delta.eps = common.eps;
  delta.fused_projections = type == "qwen3_next";
  EMBER_CHECK(delta.key_heads > 0 && delta.value_heads % delta.key_heads == 0 &&
                  delta.conv_kernel >= 1,
              ValueError, "[load_model] config.json: linear_num_value_heads (", delta.value_heads,
              ") must be a multiple of linear_num_key_heads (", delta.key_heads,
              ") and linear_conv_kernel_dim positive");

  std::vector<std::string> layer_types = config.strings("layer_types");
  if (layer_types.empty()) {
    const int interval = config.integer("full_attention_interval", 4);
    for (int i = 0; i < common.layers; ++i) {
      layer_types.push_back((i + 1) % interval == 0 ? "full_attention" : "linear_attention");
    }
  }
  EMBER_CHECK(static_cast<int>(layer_types.size()) == common.layers, ValueError,
              "[load_model] config.json: layer_types lists ", layer_types.size(),
              " layers, num_hidden_layers is ", common.layers);

  const bool moe_type = type == "qwen3_next" || type.rfind("qwen3_5_moe", 0) == 0;
  const int experts = moe_type ? config.integer("num_experts") : 0;
  for (int i = 0; i < common.layers; ++i) {
    const std::string prefix = "model.layers." + std::to_string(i);
    Block block = load_block_norms(loader, i, common, centred);
    if (layer_types[i] == "full_attention") {
      block.mixer = load_attention(loader, prefix + ".self_attn", attention);
    } else if (layer_types[i] == "linear_attention") {
      block.mixer = std::make_unique<GatedDeltaNet>(loader, prefix + ".linear_attn", delta);
    } else {
      throw NotImplementedError(detail::concat("[load_model] config.json: layer type '",
                                               layer_types[i], "' of layer ", i, " is not supported"));
    }
    const bool sparse = is_sparse_layer(config, i, experts);
    if (sparse) {
      layers::SparseMoe moe = layers::load_moe(loader, prefix + ".mlp", common.hidden,
                                               config.integer("moe_intermediate_size"), experts,
                                               config.integer("num_experts_per_tok"),
                                               config.boolean("norm_topk_prob", true));
      const int shared = config.integer("shared_expert_intermediate_size", 0);
      if (shared > 0) {
        moe.shared = layers::load_mlp(loader, prefix + ".mlp.shared_expert", common.hidden, shared);
        moe.shared_gate = layers::load_linear(loader, prefix + ".mlp.shared_expert_gate", 1,
                                              common.hidden);
      }
      block.mlp = std::move(moe);
    } else {
      block.set_mlp(layers::load_mlp(loader, prefix + ".mlp", common.hidden, common.intermediate));
    }
    model->blocks.push_back(std::move(block));
  }
  model->set_info(type, common.vocab, common.max_context, dtype, loader.bytes());
  return model;
}

}  // namespace ember::lm
