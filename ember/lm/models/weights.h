// The tensors of a Hugging Face model folder: model.safetensors, or the shards a
// model.safetensors.index.json lists plus any model*.safetensors it forgets. Files are
// memory-mapped and arrays are lazy: only the tensors a model uses are ever read.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "ember/core/array.h"

namespace ember::lm {

/// Tensor name -> lazy array. Throws IOError naming the file for a missing, truncated or
/// malformed shard, and ValueError for a tensor found in two shards.
std::map<std::string, array> load_weights(const std::filesystem::path& dir);

/// A tensor set being consumed by a model's loader: `take` removes and returns a tensor,
/// checking its shape, so that the tensors left at the end are the ones no layer used.
class WeightStore {
 public:
  explicit WeightStore(std::map<std::string, array> tensors) : tensors_(std::move(tensors)) {}
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  /// Throws ValueError "[load_model] missing tensor '<name>'" or, when `shape` is given and
  /// differs, "[load_model] tensor '<name>' has shape [..], expected [..]".
  array take(const std::string& name, const Shape& shape = {});
  std::optional<array> take_optional(const std::string& name, const Shape& shape = {});
  std::map<std::string, array>& tensors() { return tensors_; }

 private:
  std::map<std::string, array> tensors_;
};

}  // namespace ember::lm
