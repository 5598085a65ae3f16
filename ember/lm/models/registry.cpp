// load_model: config.json's model_type -> the family loader, after renaming checkpoint
// tensors to the text model's names (multimodal wrappers, MTP heads and vision towers are
// dropped: ember runs the language model).
#include <set>

#include "ember/core/errors.h"
#include "ember/lm/chat_template/model_folder.h"
#include "ember/lm/models/decoder.h"

namespace ember::lm {
namespace {

std::map<std::string, array> sanitize(std::map<std::string, array> tensors) {
  std::map<std::string, array> out;
  for (auto& [name, a] : tensors) {
    std::string key = name;
    for (const char* prefix : {"model.language_model.", "language_model.model."}) {
      if (key.rfind(prefix, 0) == 0) key = "model." + key.substr(std::string(prefix).size());
    }
    if (key.rfind("language_model.lm_head.", 0) == 0) key = key.substr(15);
    if (key.rfind("model.visual.", 0) == 0 || key.rfind("visual.", 0) == 0 ||
        key.rfind("mtp.", 0) == 0 || key.rfind("model.mtp.", 0) == 0 ||
        key.find("rotary_emb.inv_freq") != std::string::npos) {
      continue;
    }
    out.emplace(std::move(key), std::move(a));
  }
  return out;
}

Dtype checkpoint_dtype(const std::map<std::string, array>& tensors) {
  for (const char* name : {"model.embed_tokens.weight", "lm_head.weight"}) {
    auto it = tensors.find(name);
    if (it != tensors.end() && is_floating_point(it->second.dtype())) return it->second.dtype();
  }
  for (const auto& [name, a] : tensors) {
    if (is_floating_point(a.dtype())) return a.dtype();
  }
  return float32;
}

}  // namespace

std::unique_ptr<Model> load_model(const std::filesystem::path& dir, const LoadOptions& options) {
  ModelFolderInfo info;
  try {
    info = read_model_folder(dir);
  } catch (const ModelFolderError& e) {
    throw IOError(detail::concat("[load_model] ", e.what()));
  }
  EMBER_CHECK(info.config.is_object() && !info.config.empty(), IOError, "[load_model] ",
              dir.string(), " has no config.json");
  ConfigReader config(info.text_config);
  const std::string type = config.string("model_type", "");
  EMBER_CHECK(!type.empty(), ValueError, "[load_model] config.json: missing field 'model_type'");
  static const std::set<std::string> llama_family{"llama", "qwen3", "qwen3_moe"};
  static const std::set<std::string> hybrid_family{"qwen3_5", "qwen3_5_text", "qwen3_5_moe",
                                                   "qwen3_5_moe_text", "qwen3_next"};
  const bool llama = llama_family.count(type) != 0, hybrid = hybrid_family.count(type) != 0;
  EMBER_CHECK(llama || hybrid, NotImplementedError, "[load_model] model_type '", type,
              "' is not supported (supported: llama, qwen3, qwen3_moe, qwen3_5, qwen3_5_moe, "
              "qwen3_next)");
  std::map<std::string, array> tensors = sanitize(load_weights(dir));
  const Dtype dtype = options.dtype.value_or(checkpoint_dtype(tensors));
  EMBER_CHECK(is_floating_point(dtype), TypeError, "[load_model] dtype must be floating, got ", dtype);
  WeightStore store(std::move(tensors));
  auto model = llama ? load_llama_family(config, store, dtype) : load_hybrid_family(config, store, dtype);
  if (auto* decoder = dynamic_cast<DecoderModel*>(model.get())) {
    decoder->decode_graphs = options.decode_graphs;
    decoder->step_graphs = options.step_graphs;
  }
  return model;
}

}  // namespace ember::lm
