// Bad model folders (copies of a fixture, damaged on purpose): each a clear typed error that
// names the file, field or tensor, and no crash.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/io.h"
#include "ember/core/ops.h"
#include "ember/lm/models/model.h"
#include "engine_fixtures.h"

namespace ember::lm {
namespace {

namespace fs = std::filesystem;
using testing::model_fixture;

class BadFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("ember_engine_errors_" + std::to_string(rd()));
    fs::create_directories(dir_);
    for (const auto& entry : fs::directory_iterator(model_fixture("qwen3"))) {
      const auto name = entry.path().filename().string();
      if (name.rfind("golden", 0) == 0) continue;
      fs::copy_file(entry.path(), dir_ / name);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  nlohmann::json config() {
    std::ifstream in(dir_ / "config.json");
    return nlohmann::json::parse(in);
  }
  void write_config(const nlohmann::json& c) { std::ofstream(dir_ / "config.json") << c.dump(2); }

  // Rewrites model.safetensors with `edit` applied to its tensors.
  template <class Edit>
  void edit_weights(Edit edit) {
    auto [arrays, meta] = load_safetensors((dir_ / "model.safetensors").string());
    std::unordered_map<std::string, array> tensors;
    for (auto& [name, a] : arrays) {
      array copy = contiguous(a);
      eval(copy);
      tensors.emplace(name, copy);
    }
    edit(tensors);
    arrays.clear();
    fs::remove(dir_ / "model.safetensors");
    save_safetensors((dir_ / "model.safetensors").string(), std::move(tensors), meta);
  }

  // Loads the folder (and runs one token, so that lazy loading cannot hide the error) and
  // returns the message of the expected error type.
  template <class E>
  std::string load_error() {
    try {
      auto model = load_model(dir_, {.dtype = float32});
      auto caches = model->make_caches();
      eval(model->forward(array({1, 2}, {1, 2}, int32), caches));
    } catch (const E& e) {
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong error type: " << e.what();
      return {};
    }
    ADD_FAILURE() << "no error";
    return {};
  }

  fs::path dir_;
};

TEST_F(BadFolderTest, IntactCopyLoads) {
  auto model = load_model(dir_, {.dtype = float32});
  auto caches = model->make_caches();
  EXPECT_NO_THROW(eval(model->forward(array({1, 2}, {1, 2}, int32), caches)));
}

TEST_F(BadFolderTest, TruncatedShardIsAnIOErrorNamingTheFile) {
  const fs::path file = dir_ / "model.safetensors";
  const auto size = fs::file_size(file);
  for (auto keep : {size - 1, size / 2, uintmax_t(100), uintmax_t(4)}) {
    SCOPED_TRACE("truncated to " + std::to_string(keep) + " of " + std::to_string(size) + " bytes");
    fs::resize_file(file, keep);
    std::string what = load_error<IOError>();
    EXPECT_NE(what.find("model.safetensors"), std::string::npos) << what;
  }
}

TEST_F(BadFolderTest, MissingConfigFieldIsAValueErrorNamingIt) {
  for (const std::string field : {"hidden_size", "num_hidden_layers", "vocab_size"}) {
    SCOPED_TRACE(field);
    nlohmann::json c = config();
    nlohmann::json original = c;
    ASSERT_TRUE(c.contains(field));
    c.erase(field);
    write_config(c);
    std::string what = load_error<ValueError>();
    EXPECT_NE(what.find(field), std::string::npos) << what;
    write_config(original);
  }
}

TEST_F(BadFolderTest, WrongShapeTensorIsAValueErrorNamingIt) {
  const std::string name = "model.layers.0.mlp.gate_proj.weight";
  edit_weights([&](std::unordered_map<std::string, array>& t) {
    array w = t.at(name);
    t.erase(name);
    t.emplace(name, contiguous(transpose(w)));
  });
  std::string what = load_error<ValueError>();
  EXPECT_NE(what.find(name), std::string::npos) << what;
}

TEST_F(BadFolderTest, MissingTensorIsAValueErrorNamingIt) {
  const std::string name = "model.layers.1.self_attn.k_proj.weight";
  edit_weights([&](std::unordered_map<std::string, array>& t) { ASSERT_EQ(t.erase(name), 1u); });
  std::string what = load_error<ValueError>();
  EXPECT_NE(what.find(name), std::string::npos) << what;
}

TEST_F(BadFolderTest, UnsupportedModelTypeIsNotImplementedNamingIt) {
  nlohmann::json c = config();
  c["model_type"] = "gpt_neox_unknown";
  write_config(c);
  std::string what = load_error<NotImplementedError>();
  EXPECT_NE(what.find("gpt_neox_unknown"), std::string::npos) << what;
}

TEST_F(BadFolderTest, IndexListingAMissingShardIsAnIOError) {
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  auto [arrays, meta] = load_safetensors((dir_ / "model.safetensors").string());
  bool second = false;
  for (const auto& [name, a] : arrays) {
    index["weight_map"][name] = second ? "model-00002-of-00002.safetensors" : "model.safetensors";
    second = !second;
  }
  arrays.clear();
  std::ofstream(dir_ / "model.safetensors.index.json") << index.dump(2);
  std::string what = load_error<IOError>();
  EXPECT_NE(what.find("model-00002-of-00002.safetensors"), std::string::npos) << what;
}

TEST_F(BadFolderTest, MissingFolderOrConfigIsAnIOError) {
  fs::remove(dir_ / "config.json");
  EXPECT_THROW(load_model(dir_), IOError);
  EXPECT_THROW(load_model(dir_ / "does-not-exist"), IOError);
}

}  // namespace
}  // namespace ember::lm
