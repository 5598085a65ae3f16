// Llama (3.x) and Qwen3 (dense and MoE): pre-norm decoder blocks of grouped-query attention
// with RoPE and a SwiGLU MLP. Qwen3 adds per-head q/k RMSNorm; Qwen3-MoE replaces the MLP of
// its sparse layers by top-k routed experts. Follows transformers' LlamaModel, Qwen3Model and
// Qwen3MoeModel.
#include "ember/core/errors.h"
#include "ember/lm/models/decoder.h"

namespace ember::lm {

std::unique_ptr<Model> load_llama_family(const ConfigReader& config, WeightStore& store, Dtype dtype) {
  const std::string type = config.string("model_type", "");
  const CommonConfig common = read_common_config(config);
  layers::Loader loader(store, dtype);
  auto model = std::make_unique<DecoderModel>();
  load_embeddings(loader, common, false, *model);

  AttentionConfig attention = attention_config(config, common);
  attention.qk_norm = type != "llama";

  const bool moe = type == "qwen3_moe";
  const int experts = moe ? config.integer("num_experts", config.integer("num_local_experts", 0)) : 0;
  for (int i = 0; i < common.layers; ++i) {
    const std::string prefix = "model.layers." + std::to_string(i);
    Block block = load_block_norms(loader, i, common, false);
    block.mixer = load_attention(loader, prefix + ".self_attn", attention);
    const bool sparse = is_sparse_layer(config, i, experts);
    if (sparse) {
      block.mlp = layers::load_moe(loader, prefix + ".mlp", common.hidden,
                                   config.integer("moe_intermediate_size"), experts,
                                   config.integer("num_experts_per_tok"),
                                   config.boolean("norm_topk_prob", false));
    } else {
      block.set_mlp(layers::load_mlp(loader, prefix + ".mlp", common.hidden, common.intermediate));
    }
    model->blocks.push_back(std::move(block));
  }
  model->set_info(type, common.vocab, common.max_context, dtype, loader.bytes());
  return model;
}

}  // namespace ember::lm
