// Llama (3.x) and Qwen3 (dense and MoE): pre-norm decoder blocks of grouped-query attention
// with RoPE and a SwiGLU MLP. Qwen3 adds per-head q/k RMSNorm; Qwen3-MoE replaces the MLP of
// its sparse layers by top-k routed experts. Follows transformers' LlamaModel, Qwen3Model and
// Qwen3MoeModel.
#include <algorithm>

#include "ember/core/errors.h"
#include "ember/lm/models/decoder.h"

namespace ember::lm {

std::unique_ptr<Model> load_llama_family(const ConfigReader& config, WeightStore& store, Dtype dtype) {
  const std::string type = config.string("model_type", "");
  const CommonConfig common = read_common_config(config);
  layers::Loader loader(store, dtype);
  auto model = std::make_unique<DecoderModel>();
  load_embeddings(loader, common, false, *model);

  AttentionConfig attention;
  attention.hidden = common.hidden;
  attention.heads = common.heads;
  attention.kv_heads = common.kv_heads;
  attention.head_dim = common.head_dim;
  attention.qk_norm = type != "llama";
  attention.eps = common.eps;
  attention.rope = layers::make_rope(read_rope_config(config), common.head_dim);

  const bool moe = type == "qwen3_moe";
  const int experts = moe ? config.integer("num_experts", config.integer("num_local_experts", 0)) : 0;
  const int sparse_step = config.integer("decoder_sparse_step", 1);
  const std::vector<int> dense_layers = config.integers("mlp_only_layers");
  for (int i = 0; i < common.layers; ++i) {
    const std::string prefix = "model.layers." + std::to_string(i);
    Block block{load_norm(loader, prefix + ".input_layernorm.weight", common.hidden, common.eps, false),
                load_norm(loader, prefix + ".post_attention_layernorm.weight", common.hidden,
                          common.eps, false),
                load_attention(loader, prefix + ".self_attn", attention), {}};
    const bool sparse = experts > 0 && sparse_step > 0 && (i + 1) % sparse_step == 0 &&
                        std::find(dense_layers.begin(), dense_layers.end(), i) == dense_layers.end();
    if (sparse) {
      block.mlp = layers::load_moe(loader, prefix + ".mlp", common.hidden,
                                   config.integer("moe_intermediate_size"), experts,
                                   config.integer("num_experts_per_tok"),
                                   config.boolean("norm_topk_prob", false));
    } else {
      block.mlp = layers::load_mlp(loader, prefix + ".mlp", common.hidden, common.intermediate);
    }
    model->blocks.push_back(std::move(block));
  }
  model->set_info(type, common.vocab, common.max_context, dtype, loader.bytes());
  return model;
}

}  // namespace ember::lm
