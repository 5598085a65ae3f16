// The shared decoder skeleton and attention (see decoder.h). Attention follows the HF
// implementations of Llama, Qwen3 and Qwen3-Next: per-head q/k RMSNorm before RoPE, partial
// RoPE on the first rotary dims, grouped-query attention, optional sigmoid output gate.
#include "ember/lm/models/decoder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>

#include "ember/core/errors.h"
#include "ember/core/ops.h"
#include "ember/fast/fast.h"

namespace ember::lm {

array Norm::operator()(const array& x) const {
  if (!centred) return fast::rms_norm(x, weight, eps);
  return fast::rms_norm_float32(x, weight, eps, x.dtype());
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
        qkv_proj_(layers::load_fused_linear(
            loader, {prefix + ".q_proj", prefix + ".k_proj", prefix + ".v_proj"},
            {config.heads * config.head_dim * (config.output_gate ? 2 : 1),
             config.kv_heads * config.head_dim, config.kv_heads * config.head_dim},
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
    return epilogue(core(prologue(x), cache));
  }

  // q, k, v [B, H, L, d] (q and k before their norms and RoPE, which core applies as one
  // node each), and with an output gate the gate.
  std::vector<array> prologue(const array& x) const override {
    const int batch = x.shape(0), length = x.shape(1), d = config_.head_dim;
    array qkv = qkv_proj_(x);
    // [B, L, (Hq + 2 Hkv) d] is [B, L, Hq + 2 Hkv, d] (with an output gate, each query
    // head is followed by its gate head: 2 Hq + 2 Hkv), so q, k, v and the gate are slices
    // of heads: views. For one token (decode) [B, heads, 1, d] is the same memory: no
    // transposes.
    const int heads = config_.heads, kv_heads = config_.kv_heads;
    const int q_rows = config_.output_gate ? 2 * heads : heads, rows = q_rows + 2 * kv_heads;
    const int axis = length == 1 ? 1 : 2;
    array all = length == 1 ? reshape(qkv, {batch, rows, 1, d})
                            : reshape(qkv, {batch, length, rows, d});
    auto heads_slice = [&](int start, int stop, int stride) {
      Shape begin(4, 0), end = all.shape(), strides(4, 1);
      begin[axis] = start;
      end[axis] = stop;
      strides[axis] = stride;
      array part = slice(all, begin, end, strides);
      return length == 1 ? part : transpose(part, {0, 2, 1, 3});
    };
    std::vector<array> parts{heads_slice(0, q_rows, config_.output_gate ? 2 : 1),
                             heads_slice(q_rows, q_rows + kv_heads, 1),
                             heads_slice(q_rows + kv_heads, rows, 1)};
    if (config_.output_gate) parts.push_back(heads_slice(1, q_rows, 2));
    return parts;
  }

  // RoPE at the cache's offset, the cache append, attention, the output gate: [B, L, Hq d].
  array core(const std::vector<array>& parts, Cache& cache) const override {
    auto* kv = dynamic_cast<KvCache*>(&cache);
    EMBER_CHECK(kv != nullptr, ValueError, "[attention] needs a kv cache, got a ", cache.kind(),
                " cache");
    const int batch = parts[0].shape(0), length = parts[0].shape(2), d = config_.head_dim;
    const int offset = kv->offset();
    array q = rotate(parts[0], q_norm_, offset);
    array k = rotate(parts[1], k_norm_, offset);
    auto [keys, values] = kv->update_and_fetch(k, parts[2]);
    array out = fast::scaled_dot_product_attention(q, keys, values, 1.0f / std::sqrt(float(d)),
                                                   length > 1 ? "causal" : "");
    if (config_.output_gate) out = out * sigmoid(parts[3]);  // both [B, Hq, L, d]
    const int features = config_.heads * d;
    return length == 1 ? reshape(out, {batch, 1, features})
                       : reshape(transpose(out, {0, 2, 1, 3}), {batch, length, features});
  }

  array epilogue(const array& y) const override { return o_proj_(y); }
  array epilogue_onto(const array& residual, const array& y) const override {
    return o_proj_.onto(residual, y);
  }

  std::unique_ptr<Cache> make_cache() const override { return std::make_unique<KvCache>(); }

  // Keys and values [B, Hkv, capacity, d], as KvCache holds them.
  std::vector<StateSpec> step_states(int batch, int capacity, Dtype dtype) const override {
    const Shape shape{batch, config_.kv_heads, capacity, config_.head_dim};
    return {{shape, dtype, 2}, {shape, dtype, 2}};
  }

  // RoPE at the device position, this token's key and value written at it, attention over
  // the positions so far (the rest of the buffers masked off), the output gate.
  array step_core(const std::vector<array>& parts, std::vector<array>& states,
                  const array& position, const array& valid) const override {
    const int batch = parts[0].shape(0), d = config_.head_dim;
    array q = rotate(parts[0], q_norm_, position);
    states[0] = update_state(states[0], rotate(parts[1], k_norm_, position), position, {2});
    states[1] = update_state(states[1], parts[2], position, {2});
    array out = fast::scaled_dot_product_attention(q, states[0], states[1],
                                                   1.0f / std::sqrt(float(d)), "array", valid);
    if (config_.output_gate) out = out * sigmoid(parts[3]);
    return reshape(out, {batch, 1, config_.heads * d});
  }

 private:
  // RoPE at `offset` (an int, or the step graphs' device position) of q or k [B, H, L, d],
  // after the per-head norm where the model has one: one node either way.
  template <class Offset>
  array rotate(const array& x, const std::optional<Norm>& norm, const Offset& offset) const {
    const layers::Rope& rope = config_.rope;
    if (!norm) return rope(x, offset);
    return fast::rms_norm_rope(x, norm->weight, norm->eps, norm->centred, rope.dims, false,
                               rope.periods ? std::nullopt : rope.base, rope.scale, offset,
                               rope.periods);
  }

  AttentionConfig config_;
  layers::Linear qkv_proj_, o_proj_;  // qkv_proj_'s output: [q (and gate) | k | v]
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
  const bool gpu_decode = decode_graphs && tokens.shape(1) == 1 && !blocks.empty() &&
                          to_stream({}).device.type == Device::gpu;
  if (gpu_decode && step_graphs) {
    if (auto logits = forward_step_graph(tokens, caches)) return *logits;
  }
  for (auto& cache : caches) cache->settle();
  if (gpu_decode) return forward_decode_segments(tokens, caches);
  array h = layers::embed(embed_tokens, tokens);
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Block& block = blocks[i];
    // The mixer's operator() is epilogue(core(prologue(.))); spelled out so that the
    // residual add folds into the epilogue as in the decode graphs.
    const Mixer& mixer = *block.mixer;
    h = mixer.epilogue_onto(h, mixer.core(mixer.prologue(block.input_norm(h)), *caches[i]));
    h = block.add_mlp(h, block.post_norm(h));
  }
  h = final_norm(h);
  return matmul(h, head_t);
}

// Note [Decode step graphs]
// On the GPU a decode step (one token per sequence) is bound by the host: launching a
// kernel costs it about 4 us (benchmarks/ops launch_floor) plus ember's own path per task,
// more than most of these kernels run. So the whole step is one captured graph
// (capture_graph with states): its inputs are the tokens and the position, an int32 on
// the device, and its states are the caches' buffers, [B, Hkv, capacity, d] keys and values
// per attention layer and the conv and delta-rule states per Gated DeltaNet layer, which
// each replay updates in place (update_state). RoPE reads the position on the device, the
// key and value are written at it, and attention reads the whole buffers with the positions
// past it masked off. So one replay serves every step until the capacity is reached; then
// the caches move to a graph of twice the capacity.
//
// While a graph holds a cache's state, the cache is resident (Cache::Residence): its own
// arrays are not used; reading its state (state(), clone(), saving) copies it out of the
// graph in order with the steps, and anything that changes it another way (a prefill, a
// plain step, set_state) brings it back first (Cache::settle). A cache list moves into a
// graph by writing its arrays at the buffers' starts. Graphs not holding any cache are kept
// per batch size and capacity for the next cache list. A model whose mixers have no step
// core, caches at different offsets, or a capture that fails (an op a graph cannot hold;
// one message on stderr, then never again) use decode segments instead.
struct StepGraph {
  int batch = 0, capacity = 0;
  std::optional<CapturedGraph> graph;
  std::vector<std::vector<Mixer::StateSpec>> specs;  // per block
  std::vector<size_t> first_state;                   // per block: its first state's index
};

namespace {

constexpr int kMinStepCapacity = 1024;

class StepResidence final : public Cache::Residence {
 public:
  StepResidence(std::shared_ptr<const StepGraph> graph, size_t block)
      : graph_(std::move(graph)), block_(block) {}
  std::vector<array> read(int tokens) const override {
    std::vector<array> out;
    const auto& specs = graph_->specs[block_];
    for (size_t j = 0; j < specs.size(); ++j) {
      array state = graph_->graph->read_state(graph_->first_state[block_] + j);
      if (specs[j].time_axis >= 0) {
        Shape start(state.ndim(), 0), stop(state.shape());
        stop[specs[j].time_axis] = tokens;
        state = slice(state, start, stop);
      }
      out.push_back(state);
    }
    return out;
  }
  size_t nbytes(int tokens) const override {
    size_t total = 0;
    for (const auto& spec : graph_->specs[block_]) {
      size_t elements = 1;
      for (int d = 0; d < static_cast<int>(spec.shape.size()); ++d) {
        elements *= static_cast<size_t>(d == spec.time_axis ? tokens : spec.shape[d]);
      }
      total += elements * size_of(spec.dtype);
    }
    return total;
  }
  const std::shared_ptr<const StepGraph>& graph() const { return graph_; }
  size_t block() const { return block_; }

 private:
  std::shared_ptr<const StepGraph> graph_;
  size_t block_;
};

}  // namespace

std::shared_ptr<const StepGraph> DecoderModel::step_graph_for(int batch, int capacity) {
  std::lock_guard lock(step_graphs_mutex_);
  if (step_graphs_failed_) return nullptr;
  // A free graph of this shape; free graphs of this batch size and another capacity go.
  std::shared_ptr<const StepGraph> found;
  std::erase_if(step_graphs_, [&](const std::shared_ptr<const StepGraph>& g) {
    if (g.use_count() != 1 || g->batch != batch) return false;
    if (g->capacity == capacity && !found) {
      found = g;
      return false;
    }
    return true;
  });
  if (found) return found;
  auto graph = std::make_shared<StepGraph>();
  graph->batch = batch;
  graph->capacity = capacity;
  std::vector<array> examples{zeros({batch, 1}, int32), array(0, int32)};
  size_t num_states = 0;
  for (const auto& block : blocks) {
    graph->specs.push_back(block.mixer->step_states(batch, capacity, dtype_));
    if (graph->specs.back().empty()) {  // a mixer without a step core: segments instead
      step_graphs_failed_ = true;
      return nullptr;
    }
    graph->first_state.push_back(num_states);
    for (const auto& spec : graph->specs.back()) examples.push_back(zeros(spec.shape, spec.dtype));
    num_states += graph->specs.back().size();
  }
  auto step = [this, capacity, specs = graph->specs](const std::vector<array>& in) {
    array h = layers::embed(embed_tokens, in[0]);
    const array& position = in[1];
    const array valid = less_equal(arange(capacity, int32), position);
    std::vector<array> new_states;
    size_t next = 2;
    for (size_t i = 0; i < blocks.size(); ++i) {
      const Block& block = blocks[i];
      std::vector<array> states(in.begin() + next, in.begin() + next + specs[i].size());
      next += specs[i].size();
      array y = block.mixer->step_core(block.mixer->prologue(block.input_norm(h)), states,
                                       position, valid);
      new_states.insert(new_states.end(), states.begin(), states.end());
      h = block.mixer->epilogue_onto(h, y);
      h = block.add_mlp(h, block.post_norm(h));
    }
    std::vector<array> out{matmul(final_norm(h), head_t)};
    out.insert(out.end(), new_states.begin(), new_states.end());
    return out;
  };
  try {
    graph->graph = capture_graph(step, examples, to_stream({}), static_cast<int>(num_states));
  } catch (const Error& e) {
    std::fprintf(stderr, "[ember] decode step graphs off for this model: %s\n", e.what());
    step_graphs_failed_ = true;
    return nullptr;
  }
  step_graphs_.push_back(graph);
  return graph;
}

std::optional<array> DecoderModel::forward_step_graph(const array& tokens, CacheList& caches) {
  const int batch = tokens.shape(0);
  const int position = caches[0]->offset();
  for (const auto& cache : caches) {
    if (cache->offset() != position) return std::nullopt;
  }
  // The graph these caches live in, if it has room for this token; else one that has.
  std::shared_ptr<const StepGraph> graph;
  const auto* resident = dynamic_cast<const StepResidence*>(caches[0]->residence());
  if (resident && resident->graph()->batch == batch && position < resident->graph()->capacity) {
    graph = resident->graph();
  }
  if (!graph) {
    for (auto& cache : caches) cache->settle();
    const int capacity = std::max(kMinStepCapacity, static_cast<int>(std::bit_ceil(
                                                        static_cast<unsigned>(position + 1))));
    graph = step_graph_for(batch, capacity);
    if (!graph) return std::nullopt;
  }
  // Caches not in this graph yet move in: their arrays at the start of its buffers (a fresh
  // recurrent state is zeros; a fresh KV cache needs nothing: the mask hides the rest).
  for (size_t i = 0; i < caches.size(); ++i) {
    const auto* r = dynamic_cast<const StepResidence*>(caches[i]->residence());
    if (r && r->graph() == graph && r->block() == i) continue;
    caches[i]->settle();
    const std::vector<array> state = caches[i]->state();
    const auto& specs = graph->specs[i];
    for (size_t j = 0; j < specs.size(); ++j) {
      const size_t index = graph->first_state[i] + j;
      if (!state.empty()) {
        graph->graph->write_state(index, astype(state[j], specs[j].dtype));
      } else if (specs[j].time_axis < 0) {
        graph->graph->write_state(index, zeros(specs[j].shape, specs[j].dtype));
      }
    }
    caches[i]->move_into(std::make_shared<StepResidence>(graph, i));
  }
  array ids = tokens.dtype() == int32 ? tokens : astype(tokens, int32);
  array logits = (*graph->graph)({ids, array(position, int32)})[0];
  for (auto& cache : caches) cache->advance_resident(1);
  return logits;
}

// Note [Decode segments]
// On the GPU a decode step (one token per sequence) is bound by the host: launching a
// kernel costs it about 4 us (benchmarks/ops launch_floor) plus ember's own path per task,
// more than most of these kernels run. Between two mixers' cores everything takes nothing
// that changes from step to step: the mixer's epilogue (attention's output projection),
// residual add, norm, MLP, residual add, the next block's input norm and its mixer's
// prologue (attention's QKV projection and q/k norms); before the first core, the
// embedding, and after the last, the final norm and the output projection. Each such
// segment is captured once per batch size (capture_graph) and each step replays it as one
// node: the same kernels, so the same numbers. The cores stay plain ops (attention's RoPE
// offset, cache writes and key count change every step; a recurrent layer's state). A
// capture that fails (an op a graph cannot hold) turns segments off for the model, with
// one message on stderr; the step then runs plain ops.
array DecoderModel::forward_decode_segments(const array& tokens, CacheList& caches) {
  const int batch = tokens.shape(0);
  const size_t n = blocks.size();
  std::vector<std::optional<CapturedGraph>>* graphs;
  {
    std::lock_guard lock(segments_mutex_);
    graphs = &segments_[batch];
    if (graphs->empty()) graphs->resize(n + 1);
  }
  // Segment 0: tokens -> {h, block 0's mixer prologue}. Segment i + 1: {h, block i's mixer
  // core output} -> {h, block i + 1's prologue}, or the logits after the last block.
  auto next_parts = [this](size_t block, const array& h) {
    std::vector<array> out{h};
    for (auto& part : blocks[block].mixer->prologue(blocks[block].input_norm(h))) {
      out.push_back(part);
    }
    return out;
  };
  auto segment = [this, n, next_parts](size_t index) -> std::function<std::vector<array>(const std::vector<array>&)> {
    if (index == 0) {
      return [next_parts, this](const std::vector<array>& in) {
        return next_parts(0, layers::embed(embed_tokens, in[0]));
      };
    }
    const size_t i = index - 1;
    return [this, n, i, next_parts](const std::vector<array>& in) {
      array h = blocks[i].mixer->epilogue_onto(in[0], in[1]);
      h = blocks[i].add_mlp(h, blocks[i].post_norm(h));
      if (i + 1 < n) return next_parts(i + 1, h);
      return std::vector<array>{matmul(final_norm(h), head_t)};
    };
  };
  // Segment `index` on `inputs`: replayed, captured first if needed, or plain ops once a
  // capture failed.
  auto run = [&](size_t index, const std::vector<array>& inputs) {
    std::optional<CapturedGraph> graph;
    bool failed;
    {
      std::lock_guard lock(segments_mutex_);
      graph = (*graphs)[index];
      failed = segments_failed_;
    }
    if (!graph && !failed) {
      std::vector<array> examples;
      for (const auto& x : inputs) examples.push_back(zeros_like(x));
      try {
        graph = capture_graph(segment(index), examples, to_stream({}));
        std::lock_guard lock(segments_mutex_);
        (*graphs)[index] = graph;
      } catch (const Error& e) {
        std::fprintf(stderr, "[ember] decode graphs off for this model: %s\n", e.what());
        std::lock_guard lock(segments_mutex_);
        segments_failed_ = true;
      }
    }
    return graph ? (*graph)(inputs) : segment(index)(inputs);
  };
  // One captured dtype for the ids, whatever integer type the caller passes.
  auto parts = run(0, {tokens.dtype() == int32 ? tokens : astype(tokens, int32)});
  for (size_t i = 0; i < n; ++i) {
    array h = parts[0];
    array mixed = blocks[i].mixer->core(std::vector<array>(parts.begin() + 1, parts.end()), *caches[i]);
    parts = run(i + 1, {h, mixed});
  }
  return parts[0];
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
          nullptr, {}, {}};
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
