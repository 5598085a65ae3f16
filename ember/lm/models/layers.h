// Building blocks shared by the model families (internal to lm/models): projections, the
// gated MLP, sparse mixture-of-experts, rotary embeddings, RMSNorm variants, and the loader
// helpers that take tensors from a WeightStore in the compute dtype.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ember/core/array.h"
#include "ember/lm/models/config.h"
#include "ember/lm/models/weights.h"

namespace ember::lm::layers {

/// Tensors taken from a WeightStore, cast to the model's dtype (float32 where asked).
class Loader {
 public:
  Loader(WeightStore& store, Dtype dtype) : store_(store), dtype_(dtype) {}
  array take(const std::string& name, const Shape& shape = {});
  array take_float32(const std::string& name, const Shape& shape = {});
  std::optional<array> take_optional(const std::string& name, const Shape& shape = {});
  /// The tensors `parts` (name, shape [rows_i, cols]) as one [sum of rows_i, cols] tensor,
  /// joined on the host, so that the device holds only the result.
  array take_concatenated(const std::vector<std::pair<std::string, Shape>>& parts);
  bool contains(const std::string& name) const { return store_.contains(name); }
  Dtype dtype() const { return dtype_; }
  size_t bytes() const { return bytes_; }

 private:
  WeightStore& store_;
  Dtype dtype_;
  size_t bytes_ = 0;
};

struct Linear {
  /// [in, out]: the transposed view of the checkpoint's [out, in] weight, made once at load
  /// so that a forward adds no node for it (a view of all of its storage keeps it alive).
  array weight_t;
  std::optional<array> bias;
  array operator()(const array& x) const;
  /// residual + (*this)(x); without a bias one AddMM node, so the add costs no pass (a
  /// decoder's output projections onto the residual stream).
  array onto(const array& residual, const array& x) const;
};
Linear load_linear(Loader& loader, const std::string& prefix, int out, int in, bool bias = false);
/// Projections of the same input (`prefixes`, with `outs` features each) as one Linear whose
/// output holds theirs side by side, in order: one matmul instead of several (llama.cpp and
/// vLLM fuse Q/K/V and gate/up the same way). A missing bias reads as zeros.
Linear load_fused_linear(Loader& loader, const std::vector<std::string>& prefixes,
                         const std::vector<int>& outs, int in);

/// down(silu(gate(x)) * up(x)), with gate and up as one projection.
struct Mlp {
  Linear gate_up, down;
  int intermediate;
  array operator()(const array& x) const;
  /// residual + (*this)(x), the add folded into the down projection (Linear::onto).
  array onto(const array& residual, const array& x) const;
};
Mlp load_mlp(Loader& loader, const std::string& prefix, int hidden, int intermediate);

/// Top-k routed experts (softmax router, optional renormalisation of the k weights), with an
/// optional always-on shared expert scaled by sigmoid(shared_gate(x)).
struct SparseMoe {
  array router;                       ///< [E, H]
  array gate_t, up_t, down_t;         ///< [E, H, I], [E, H, I], [E, I, H] (transposed views)
  int top_k = 1;
  bool normalize_top_k = true;
  std::optional<Mlp> shared;
  std::optional<Linear> shared_gate;  ///< [1, H]
  array operator()(const array& x) const;
};
/// Experts stored per expert (experts.<e>.{gate,up,down}_proj.weight) or fused
/// (experts.gate_up_proj [E, 2I, H] and experts.down_proj [E, H, I]).
SparseMoe load_moe(Loader& loader, const std::string& prefix, int hidden, int intermediate,
                   int num_experts, int top_k, bool normalize_top_k);

/// Rotary embedding of the first `dims` features of [B, H, T, D] inputs.
struct Rope {
  int dims = 0;
  std::optional<float> base;
  std::optional<array> periods;  ///< for rope types that reshape the frequencies
  float scale = 1.0f;
  array operator()(const array& x, int offset) const;
  /// At a position read on the device (an integer scalar array).
  array operator()(const array& x, const array& offset) const;
};
Rope make_rope(const RopeConfig& config, int head_dim);

/// The weight shared by an embedding and a tied output projection.
array embed(const array& table, const array& tokens);

}  // namespace ember::lm::layers
