// The decoder-only skeleton every supported family shares (internal to lm/models):
// embedding -> blocks (pre-norm mixer + pre-norm MLP, each with a residual) -> final norm ->
// output projection. Families differ in their mixers (attention or Gated DeltaNet), their
// MLPs (dense or sparse experts) and their norms.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ember/core/capture.h"
#include "ember/core/errors.h"
#include "ember/core/ops.h"
#include "ember/lm/models/layers.h"
#include "ember/lm/models/model.h"

namespace ember::lm {

/// RMSNorm with a plain weight (x_hat cast to x's dtype, times w) or a zero-centred one
/// (x_hat * (1 + w) in float32).
struct Norm {
  array weight;
  bool centred = false;
  float eps = 1e-6f;
  array operator()(const array& x) const;
};
Norm load_norm(layers::Loader& loader, const std::string& name, int size, float eps, bool centred);

/// A token mixer: attention or a recurrent layer. Reads and appends to its own cache.
/// operator() is epilogue(core(prologue(x), cache)): prologue and epilogue are functions of
/// their inputs alone (no cache, nothing that changes from step to step), so decode
/// segments capture them (Note [Decode segments]). By default the prologue passes x on and
/// the epilogue is the identity.
class Mixer {
 public:
  virtual ~Mixer() = default;
  virtual array operator()(const array& x, Cache& cache) const = 0;
  virtual std::unique_ptr<Cache> make_cache() const = 0;
  virtual std::vector<array> prologue(const array& x) const { return {x}; }
  virtual array core(const std::vector<array>& parts, Cache& cache) const {
    return (*this)(parts[0], cache);
  }
  virtual array epilogue(const array& y) const { return y; }
  /// residual + epilogue(y): a mixer whose epilogue is a projection folds the add into it.
  virtual array epilogue_onto(const array& residual, const array& y) const {
    return residual + epilogue(y);
  }

  /// Decode step graphs (Note [Decode step graphs]): the buffers this mixer's cache lives
  /// in for `batch` sequences and `capacity` tokens of `dtype` activations, each with its
  /// time axis (-1: none; a resident cache holds its tokens so far at the start of it).
  /// Empty: no step core, so the model uses decode segments.
  struct StateSpec {
    Shape shape;
    Dtype dtype;
    int time_axis = -1;
  };
  virtual std::vector<StateSpec> step_states(int batch, int capacity, Dtype dtype) const {
    (void)batch, (void)capacity, (void)dtype;
    return {};
  }
  /// The core for one token over those buffers: replaces each of `states` with its value
  /// after update_state (capture.h). `position` is the token's position (an int32 scalar on
  /// the device) and `valid` ([capacity] bool) marks the positions up to it.
  virtual array step_core(const std::vector<array>& parts, std::vector<array>& states,
                          const array& position, const array& valid) const {
    (void)parts, (void)states, (void)position, (void)valid;
    throw NotImplementedError("[decode step graph] this mixer has no step core");
  }
};

struct AttentionConfig {
  int hidden = 0, heads = 0, kv_heads = 0, head_dim = 0;
  bool qk_norm = false;     ///< RMSNorm of each head of q and k (Qwen3)
  bool output_gate = false; ///< q_proj also yields a gate: out * sigmoid(gate) (Qwen3-Next)
  bool centred_norms = false;
  float eps = 1e-6f;
  layers::Rope rope;
};
std::unique_ptr<Mixer> load_attention(layers::Loader& loader, const std::string& prefix,
                                      const AttentionConfig& config);

struct StepGraph;  // decoder.cpp: Note [Decode step graphs]

/// One decoder block: x + mixer(norm1(x)), then h + mlp(norm2(h)).
struct Block {
  Norm input_norm, post_norm;
  std::unique_ptr<Mixer> mixer;
  std::function<array(const array&)> mlp;
  /// h + mlp(x) as the MLP computes it onto h (a dense MLP: Mlp::onto); unset: the add.
  std::function<array(const array& h, const array& x)> mlp_onto;
  array add_mlp(const array& h, const array& x) const {
    return mlp_onto ? mlp_onto(h, x) : h + mlp(x);
  }
  /// A dense MLP as both members.
  void set_mlp(const layers::Mlp& dense) {
    mlp = dense;
    mlp_onto = [dense](const array& h, const array& x) { return dense.onto(h, x); };
  }
};

class DecoderModel : public Model {
 public:
  array forward(const array& tokens, CacheList& caches) override;
  CacheList make_caches() const override;

  // Filled by the family loaders.
  void set_info(std::string model_type, int vocab, int max_context, Dtype dtype, size_t bytes) {
    model_type_ = std::move(model_type);
    vocab_size_ = vocab;
    max_context_ = max_context;
    dtype_ = dtype;
    weight_bytes_ = bytes;
  }
  array embed_tokens{0.0f};
  /// [hidden, vocab]: the transposed view of lm_head, or of embed_tokens when the two are
  /// tied, made once at load.
  array head_t{0.0f};
  Norm final_norm{array(0.0f)};
  std::vector<Block> blocks;
  bool decode_graphs = true;  ///< LoadOptions::decode_graphs
  bool step_graphs = true;    ///< LoadOptions::step_graphs

 private:
  array forward_decode_segments(const array& tokens, CacheList& caches);
  // Note [Decode step graphs]: nullopt when this step cannot use one.
  std::optional<array> forward_step_graph(const array& tokens, CacheList& caches);
  std::shared_ptr<const StepGraph> step_graph_for(int batch, int capacity);
  // Step graphs not bound to a cache list are kept for the next one (per batch size and
  // capacity); a graph is bound while any cache's residence holds it.
  std::mutex step_graphs_mutex_;
  std::vector<std::shared_ptr<const StepGraph>> step_graphs_;
  bool step_graphs_failed_ = false;
  // Per batch size, the captured segments (Note [Decode segments]); once a capture has
  // failed, segments not yet captured run as plain ops.
  std::mutex segments_mutex_;
  std::map<int, std::vector<std::optional<CapturedGraph>>> segments_;
  bool segments_failed_ = false;
};

/// Fields every family reads from config.json.
struct CommonConfig {
  int hidden = 0, layers = 0, vocab = 0, heads = 0, kv_heads = 0, head_dim = 0;
  int intermediate = 0, max_context = 0;
  float eps = 1e-6f;
  bool tie_embeddings = false;
};
CommonConfig read_common_config(const ConfigReader& config);

/// The attention settings every family shares (heads, head_dim, eps, RoPE); families set
/// qk_norm, output_gate and centred_norms.
AttentionConfig attention_config(const ConfigReader& config, const CommonConfig& common);

/// Whether layer i has routed experts: num_experts > 0, (i + 1) % decoder_sparse_step == 0
/// and i not in mlp_only_layers (transformers' Qwen3-MoE / Qwen3-Next rule).
bool is_sparse_layer(const ConfigReader& config, int layer, int num_experts);

/// A block with the layer's two norms loaded and the mixer and MLP still to set.
Block load_block_norms(layers::Loader& loader, int layer, const CommonConfig& common, bool centred);

/// Loads the embedding, final norm and output projection into `model`.
void load_embeddings(layers::Loader& loader, const CommonConfig& config, bool centred_norm,
                     DecoderModel& model);

/// Family loaders (llama.cpp, qwen3_5.cpp).
std::unique_ptr<Model> load_llama_family(const ConfigReader& config, WeightStore& store, Dtype dtype);
std::unique_ptr<Model> load_hybrid_family(const ConfigReader& config, WeightStore& store, Dtype dtype);

}  // namespace ember::lm
