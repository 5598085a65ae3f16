#include "ember/lm/models/weights.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "ember/core/errors.h"
#include "ember/core/io.h"
#include "ember/lm/chat_template/model_folder.h"

namespace ember::lm {

std::map<std::string, array> load_weights(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::set<fs::path> files;
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    nlohmann::ordered_json json;
    try {
      json = read_json_file(index);
    } catch (const ModelFolderError& e) {
      throw IOError(detail::concat("[load_model] ", e.what()));
    }
    auto map = json.find("weight_map");
    EMBER_CHECK(map != json.end() && map->is_object(), IOError, "[load_model] ", index.string(),
                ": no 'weight_map' object");
    for (const auto& [name, file] : map->items()) {
      EMBER_CHECK(file.is_string(), IOError, "[load_model] ", index.string(), ": the shard of '",
                  name, "' is not a file name");
      files.insert(dir / file.get<std::string>());
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("model", 0) == 0 && name.size() > 12 &&
        name.substr(name.size() - 12) == ".safetensors") {
      files.insert(entry.path());
    }
  }
  EMBER_CHECK(!ec, IOError, "[load_model] cannot list ", dir.string(), ": ", ec.message());
  EMBER_CHECK(!files.empty(), IOError, "[load_model] ", dir.string(),
              " has no model.safetensors (nor shards listed by model.safetensors.index.json)");
  std::map<std::string, array> tensors;
  std::map<std::string, std::string> origin;
  for (const auto& file : files) {
    EMBER_CHECK(fs::exists(file), IOError, "[load_model] shard ", file.string(),
                " (listed in model.safetensors.index.json) does not exist");
    auto [arrays, metadata] = load_safetensors(file.string());
    for (auto& [name, a] : arrays) {
      auto [it, fresh] = origin.emplace(name, file.filename().string());
      EMBER_CHECK(fresh, ValueError, "[load_model] tensor '", name, "' is in both ", it->second,
                  " and ", file.filename().string());
      tensors.emplace(name, std::move(a));
    }
  }
  return tensors;
}

array WeightStore::take(const std::string& name, const Shape& shape) {
  auto it = tensors_.find(name);
  EMBER_CHECK(it != tensors_.end(), ValueError, "[load_model] missing tensor '", name, "'");
  array a = it->second;
  EMBER_CHECK(shape.empty() || a.shape() == shape, ValueError, "[load_model] tensor '", name,
              "' has shape ", shape_to_string(a.shape()), ", expected ", shape_to_string(shape));
  tensors_.erase(it);
  return a;
}

std::optional<array> WeightStore::take_optional(const std::string& name, const Shape& shape) {
  if (!contains(name)) return std::nullopt;
  return take(name, shape);
}

}  // namespace ember::lm
