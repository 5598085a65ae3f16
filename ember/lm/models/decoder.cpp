// The shared decoder skeleton and attention (see decoder.h). Attention follows the HF
// implementations of Llama, Qwen3 and Qwen3-Next: per-head q/k RMSNorm before RoPE, partial
// RoPE on the first rotary dims, grouped-query attention, optional sigmoid output gate.
#include "ember/lm/models/decoder.h"

#include <algorithm>
#include <cmath>

#include "ember/core/errors.h"
#include "ember/core/ops.h"
#include "ember/fast/fast.h"

namespace ember::lm {

array Norm::operator()(const array& x) const {
  if (!centred) return fast::rms_norm(x, weight, eps);
  return astype(fast::rms_norm(astype(x, float32), weight, eps), x.dtype());
}

Norm load_norm(layers::Loader& loader, const std::string& name, int size, float eps, bool centred) {
  if (centred) return {loader.take_float32(name, {size}) + array(1.0f), true, eps};
  return {loader.take(name, {size}), false, eps};
}

namespace {

class Attention final : public Mixer {
 public:
  Attention(layers::Loader& loader, const std::string& prefix, const AttentionConfig& config)
      : config_(config),
        q_proj_(layers::load_linear(loader, prefix + ".q_proj",
                                    config.heads * config.head_dim * (config.output_gate ? 2 : 1),
                                    config.hidden)),
        k_proj_(layers::load_linear(loader, prefix + ".k_proj", config.kv_heads * config.head_dim,
                                    config.hidden)),
        v_proj_(layers::load_linear(loader, prefix + ".v_proj", config.kv_heads * config.head_dim,
                                    config.hidden)),
        o_proj_(layers::load_linear(loader, prefix + ".o_proj", config.hidden,
                                    config.heads * config.head_dim)) {
    if (config.qk_norm) {
      q_norm_ = load_norm(loader, prefix + ".q_norm.weight", config.head_dim, config.eps,
                          config.centred_norms);
      k_norm_ = load_norm(loader, prefix + ".k_norm.weight", config.head_dim, config.eps,
                          config.centred_norms);
    }
  }

  array operator()(const array& x, Cache& cache) const override {
    auto* kv = dynamic_cast<KvCache*>(&cache);
    EMBER_CHECK(kv != nullptr, ValueError, "[attention] needs a kv cache, got a ", cache.kind(),
                " cache");
    const int batch = x.shape(0), length = x.shape(1), d = config_.head_dim;
    // [B, L, heads * d] -> [B, heads, L, d]. For one token (decode) both orders are the
    // same memory, so a reshape alone does it: one node instead of two.
    auto split_heads = [&](const array& t, int heads) {
      if (length == 1) return reshape(t, {batch, heads, 1, d});
      return transpose(reshape(t, {batch, length, heads, d}), {0, 2, 1, 3});
    };
    array q = q_proj_(x);
    std::optional<array> gate;
    if (config_.output_gate) {
      q = reshape(q, {batch, length, config_.heads, 2 * d});
      gate = reshape(slice(q, {0, 0, 0, d}, {batch, length, config_.heads, 2 * d}),
                     {batch, length, config_.heads * d});
      q = transpose(slice(q, {0, 0, 0, 0}, {batch, length, config_.heads, d}), {0, 2, 1, 3});
    } else {
      q = split_heads(q, config_.heads);
    }
    array k = split_heads(k_proj_(x), config_.kv_heads);
    array v = split_heads(v_proj_(x), config_.kv_heads);
    if (q_norm_) {  // over the last axis, d, in either layout
      q = (*q_norm_)(q);
      k = (*k_norm_)(k);
    }
    const int offset = kv->offset();
    q = config_.rope(q, offset);
    k = config_.rope(k, offset);
    auto [keys, values] = kv->update_and_fetch(k, v);
    array out = fast::scaled_dot_product_attention(q, keys, values, 1.0f / std::sqrt(float(d)),
                                                   length > 1 ? "causal" : "");
    out = length == 1 ? reshape(out, {batch, 1, config_.heads * d})
                      : reshape(transpose(out, {0, 2, 1, 3}), {batch, length, config_.heads * d});
    if (gate) out = out * sigmoid(*gate);
    return o_proj_(out);
  }

  std::unique_ptr<Cache> make_cache() const override { return std::make_unique<KvCache>(); }

 private:
  AttentionConfig config_;
  layers::Linear q_proj_, k_proj_, v_proj_, o_proj_;
  std::optional<Norm> q_norm_, k_norm_;
};

}  // namespace

std::unique_ptr<Mixer> load_attention(layers::Loader& loader, const std::string& prefix,
                                      const AttentionConfig& config) {
  return std::make_unique<Attention>(loader, prefix, config);
}

array DecoderModel::forward(const array& tokens, CacheList& caches) {
  EMBER_CHECK(tokens.ndim() == 2, ValueError, "[forward] tokens must be [batch, length], got ",
              shape_to_string(tokens.shape()));
  EMBER_CHECK(caches.size() == blocks.size(), ValueError, "[forward] ", caches.size(),
              " caches for ", blocks.size(), " layers");
  array h = layers::embed(embed_tokens, tokens);
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Block& block = blocks[i];
    h = h + (*block.mixer)(block.input_norm(h), *caches[i]);
    h = h + block.mlp(block.post_norm(h));
  }
  h = final_norm(h);
  return matmul(h, head_t);
}

CacheList DecoderModel::make_caches() const {
  CacheList caches;
  for (const auto& block : blocks) caches.push_back(block.mixer->make_cache());
  return caches;
}

CommonConfig read_common_config(const ConfigReader& config) {
  CommonConfig c;
  c.hidden = config.integer("hidden_size");
  c.layers = config.integer("num_hidden_layers");
  c.vocab = config.integer("vocab_size");
  c.heads = config.integer("num_attention_heads");
  c.kv_heads = config.integer("num_key_value_heads", c.heads);
  c.head_dim = config.integer("head_dim", c.hidden / std::max(c.heads, 1));
  c.intermediate = config.integer("intermediate_size");
  c.max_context = config.integer("max_position_embeddings", 1 << 20);
  c.eps = static_cast<float>(config.number("rms_norm_eps", 1e-6));
  c.tie_embeddings = config.boolean("tie_word_embeddings", false);
  for (auto [name, value] : {std::pair{"hidden_size", c.hidden}, {"num_hidden_layers", c.layers},
                             {"vocab_size", c.vocab}, {"num_attention_heads", c.heads},
                             {"num_key_value_heads", c.kv_heads}, {"head_dim", c.head_dim}}) {
    EMBER_CHECK(value > 0, ValueError, "[load_model] config.json: field '", name,
                "' must be positive, got ", value);
  }
  EMBER_CHECK(c.heads % c.kv_heads == 0, ValueError, "[load_model] config.json: ",
              "num_attention_heads (", c.heads, ") must be a multiple of num_key_value_heads (",
              c.kv_heads, ")");
  return c;
}

AttentionConfig attention_config(const ConfigReader& config, const CommonConfig& common) {
  AttentionConfig attention;
  attention.hidden = common.hidden;
  attention.heads = common.heads;
  attention.kv_heads = common.kv_heads;
  attention.head_dim = common.head_dim;
  attention.eps = common.eps;
  attention.rope = layers::make_rope(read_rope_config(config), common.head_dim);
  return attention;
}

bool is_sparse_layer(const ConfigReader& config, int layer, int num_experts) {
  const int step = config.integer("decoder_sparse_step", 1);
  const std::vector<int> dense = config.integers("mlp_only_layers");
  return num_experts > 0 && step > 0 && (layer + 1) % step == 0 &&
         std::find(dense.begin(), dense.end(), layer) == dense.end();
}

Block load_block_norms(layers::Loader& loader, int layer, const CommonConfig& common, bool centred) {
  const std::string prefix = "model.layers." + std::to_string(layer);
  return {load_norm(loader, prefix + ".input_layernorm.weight", common.hidden, common.eps, centred),
          load_norm(loader, prefix + ".post_attention_layernorm.weight", common.hidden, common.eps,
                    centred),
          nullptr, {}};
}

void load_embeddings(layers::Loader& loader, const CommonConfig& config, bool centred_norm,
                     DecoderModel& model) {
  model.embed_tokens = loader.take("model.embed_tokens.weight", {config.vocab, config.hidden});
  model.final_norm = load_norm(loader, "model.norm.weight", config.hidden, config.eps, centred_norm);
  const bool own_head = !config.tie_embeddings || loader.contains("lm_head.weight");
  model.head_t = transpose(own_head ? loader.take("lm_head.weight", {config.vocab, config.hidden})
                                    : model.embed_tokens);
}

}  // namespace ember::lm
