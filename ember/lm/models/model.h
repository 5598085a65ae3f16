// A causal language model loaded from a Hugging Face folder: tokens in, logits out, with
// one cache per layer carried between calls.
//
//   auto model = lm::load_model("/models/Qwen3-0.6B", {.dtype = float32});
//   auto caches = model->make_caches();
//   array logits = model->forward(array({1, 2, 3}, {1, 3}, int32), caches);  // [1, 3, vocab]
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "ember/core/array.h"
#include "ember/core/device.h"
#include "ember/lm/engine/cache.h"

namespace ember::lm {

struct LoadOptions {
  /// The dtype of weights and activations; by default the checkpoint's floating dtype.
  std::optional<Dtype> dtype;
  /// On the GPU, run one-token (decode) steps as captured graphs: the whole step, with the
  /// caches' state in the graph's buffers (Note [Decode step graphs]), or with step_graphs
  /// off, the part of each block between mixers' cores (Note [Decode segments]).
  bool decode_graphs = true;
  bool step_graphs = true;
};

class Model {
 public:
  virtual ~Model() = default;
  /// tokens: [B, T] integers. Appends T tokens to every cache; returns logits [B, T, vocab].
  virtual array forward(const array& tokens, CacheList& caches) = 0;
  /// Fresh, empty caches, one per layer.
  virtual CacheList make_caches() const = 0;
  /// config.json's model_type.
  const std::string& model_type() const { return model_type_; }
  int vocab_size() const { return vocab_size_; }
  /// Longest context the config allows (max_position_embeddings).
  int max_context() const { return max_context_; }
  Dtype dtype() const { return dtype_; }
  /// Bytes of all weights (for bandwidth estimates).
  size_t weight_bytes() const { return weight_bytes_; }

 protected:
  std::string model_type_;
  int vocab_size_ = 0;
  int max_context_ = 0;
  Dtype dtype_ = float32;
  size_t weight_bytes_ = 0;
};

/// Reads config.json and the safetensors of `dir` and builds the model its model_type
/// names: llama, qwen3, qwen3_moe, qwen3_5 / qwen3_5_text, qwen3_5_moe(_text), qwen3_next.
/// Weights stay memory-mapped and lazy. Throws NotImplementedError for other architectures,
/// ValueError for a missing config field or a missing or mis-shaped tensor (naming it),
/// IOError for unreadable files.
std::unique_ptr<Model> load_model(const std::filesystem::path& dir, const LoadOptions& options = {});

}  // namespace ember::lm
