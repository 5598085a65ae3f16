// Per-layer caches (ember/lm/engine/cache.h): KvCache growth across block boundaries and
// trim, RotatingKvCache's window (the first `keep` tokens plus the most recent ones, in time
// order), snapshot/restore of a hybrid model's caches, and prompt-cache files (round trip
// and typed errors for bad metadata).
#include <filesystem>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/io.h"
#include "ember/core/ops.h"
#include "ember/core/random.h"
#include "ember/lm/engine/cache.h"
#include "ember/lm/models/model.h"
#include "engine_fixtures.h"

namespace ember::lm {
namespace {

namespace fs = std::filesystem;
using testing::golden_json;
using testing::json_ints;
using testing::model_fixture;

bool same(const array& a, const array& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  return array_equal(a, b).item<bool>();
}

array time_range(const array& a, int from, int to) {
  return slice(a, {0, 0, from, 0}, {a.shape(0), a.shape(1), to, a.shape(3)});
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("ember_cache_test_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(KvCache, GrowthAcrossBlocksKeepsEveryEarlierToken) {
  // Chunks of uneven sizes cross several block boundaries (step 8), including a chunk larger
  // than a block and chunks that land exactly on a boundary.
  const std::vector<int> chunks = {3, 5, 1, 7, 8, 13, 1, 2, 20, 4};
  KvCache cache(8);
  auto key = random::key(11);
  std::optional<array> all_keys, all_values;
  int total = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    auto [k1, k2] = random::split(key);
    key = k1;
    auto [ka, kb] = random::split(k2);
    array keys = random::normal({1, 2, chunks[i], 4}, float32, 0.0f, 1.0f, ka);
    array values = random::normal({1, 2, chunks[i], 4}, float32, 0.0f, 1.0f, kb);
    eval(keys, values);
    all_keys = all_keys ? concatenate({*all_keys, keys}, 2) : keys;
    all_values = all_values ? concatenate({*all_values, values}, 2) : values;
    total += chunks[i];
    auto [k, v] = cache.update_and_fetch(keys, values);
    if (i % 2 == 0) eval(cache.state());  // evaluated and lazy updates alike
    SCOPED_TRACE("after chunk " + std::to_string(i));
    EXPECT_EQ(cache.offset(), total);
    EXPECT_TRUE(same(k, *all_keys));
    EXPECT_TRUE(same(v, *all_values));
    auto state = cache.state();
    ASSERT_EQ(state.size(), 2u);
    EXPECT_TRUE(same(state[0], *all_keys));
    EXPECT_TRUE(same(state[1], *all_values));
  }
}

TEST(KvCache, TrimForgetsTheLastTokens) {
  KvCache cache(4);
  array keys = random::normal({1, 2, 10, 4}, float32, 0.0f, 1.0f, random::key(3));
  array values = random::normal({1, 2, 10, 4}, float32, 0.0f, 1.0f, random::key(4));
  cache.update_and_fetch(keys, values);
  EXPECT_TRUE(cache.is_trimmable());
  EXPECT_EQ(cache.trim(3), 3);
  EXPECT_EQ(cache.offset(), 7);
  EXPECT_TRUE(same(cache.state()[0], time_range(keys, 0, 7)));
  // New tokens overwrite the trimmed ones.
  array more_k = random::normal({1, 2, 5, 4}, float32, 0.0f, 1.0f, random::key(5));
  array more_v = random::normal({1, 2, 5, 4}, float32, 0.0f, 1.0f, random::key(6));
  auto [k, v] = cache.update_and_fetch(more_k, more_v);
  EXPECT_EQ(cache.offset(), 12);
  EXPECT_TRUE(same(k, concatenate({time_range(keys, 0, 7), more_k}, 2)));
  EXPECT_TRUE(same(v, concatenate({time_range(values, 0, 7), more_v}, 2)));
  // Trim is clamped to what the cache holds.
  EXPECT_EQ(cache.trim(100), 12);
  EXPECT_EQ(cache.offset(), 0);
  EXPECT_EQ(cache.trim(1), 0);
}

// A residence as a decode step graph keeps one (Note [Decode step graphs]): fixed buffers of
// `capacity` tokens that "steps" write; reads are copies of the first `tokens`, counted.
class FakeResidence final : public Cache::Residence {
 public:
  FakeResidence(array keys, array values) : keys_(std::move(keys)), values_(std::move(values)) {}
  std::vector<array> read(int tokens) const override {
    ++reads;
    return {copy(time_range(keys_, 0, tokens)), copy(time_range(values_, 0, tokens))};
  }
  size_t nbytes(int tokens) const override {
    return 2 * static_cast<size_t>(tokens) * keys_.shape(0) * keys_.shape(1) * keys_.shape(3) *
           size_of(keys_.dtype());
  }
  mutable int reads = 0;

 private:
  array keys_, values_;
};

TEST(KvCache, AResidentCacheReadsItsResidenceAndSettlesBackIntoArrays) {
  const array keys = random::normal({1, 2, 16, 4}, float32, 0.0f, 1.0f, random::key(3));
  const array values = random::normal({1, 2, 16, 4}, float32, 0.0f, 1.0f, random::key(4));
  KvCache cache;
  cache.update_and_fetch(time_range(keys, 0, 5), time_range(values, 0, 5));
  // The graph now holds the state and ran 3 more steps (positions 5..7).
  auto residence = std::make_shared<FakeResidence>(keys, values);
  cache.move_into(residence);
  cache.advance_resident(3);
  EXPECT_EQ(cache.offset(), 8);
  EXPECT_EQ(cache.residence(), residence.get());
  EXPECT_EQ(cache.nbytes(), 2u * 8 * 2 * 4 * 4);
  // state() and clone() copy out of the residence; the cache itself stays resident.
  auto state = cache.state();
  EXPECT_TRUE(same(state[0], time_range(keys, 0, 8)));
  EXPECT_TRUE(same(state[1], time_range(values, 0, 8)));
  auto copy = cache.clone();
  EXPECT_EQ(copy->residence(), nullptr);
  EXPECT_EQ(cache.residence(), residence.get());
  EXPECT_TRUE(same(copy->state()[0], time_range(keys, 0, 8)));
  // Trimming keeps it resident (later steps overwrite the rest).
  EXPECT_EQ(cache.trim(2), 2);
  EXPECT_EQ(cache.residence(), residence.get());
  // A plain update brings it back first, then appends.
  const int reads_before = residence->reads;
  auto [all_keys, all_values] = cache.update_and_fetch(time_range(keys, 12, 14), time_range(values, 12, 14));
  EXPECT_EQ(residence->reads, reads_before + 1);
  EXPECT_EQ(cache.residence(), nullptr);
  EXPECT_EQ(cache.offset(), 8);
  EXPECT_TRUE(same(all_keys, concatenate({time_range(keys, 0, 6), time_range(keys, 12, 14)}, 2)));
  EXPECT_TRUE(same(all_values, concatenate({time_range(values, 0, 6), time_range(values, 12, 14)}, 2)));
}

TEST(RecurrentCache, SetStateLeavesAResidenceWithoutReadingIt) {
  RecurrentCache cache;
  const array conv = random::normal({1, 3, 8}, float32, 0.0f, 1.0f, random::key(5));
  const array ssm = random::normal({1, 2, 4, 4}, float32, 0.0f, 1.0f, random::key(6));
  cache.update(conv, ssm, 4);
  auto residence = std::make_shared<FakeResidence>(random::normal({1, 2, 16, 4}, float32, 0.0f, 1.0f, random::key(7)),
                                                   random::normal({1, 2, 16, 4}, float32, 0.0f, 1.0f, random::key(8)));
  cache.move_into(residence);
  cache.set_state({conv, ssm}, 9);
  EXPECT_EQ(residence->reads, 0);
  EXPECT_EQ(cache.residence(), nullptr);
  EXPECT_EQ(cache.offset(), 9);
  EXPECT_TRUE(same(*cache.ssm_state(), ssm));
}

TEST(RotatingKvCache, KeepsFirstTokensAndMostRecentInTimeOrder) {
  for (int keep : {0, 2}) {
    SCOPED_TRACE("keep " + std::to_string(keep));
    const int max_size = 8;
    RotatingKvCache cache(max_size, keep);
    EXPECT_FALSE(cache.is_trimmable());
    const std::vector<int> chunks = {3, 1, 1, 4, 1, 6, 1, 1, 2};
    std::optional<array> all_keys, all_values;
    auto key = random::key(21 + keep);
    int total = 0;
    for (size_t i = 0; i < chunks.size(); ++i) {
      auto [k1, k2] = random::split(key);
      key = k1;
      array keys = random::normal({1, 2, chunks[i], 4}, float32, 0.0f, 1.0f, k2);
      array values = keys * array(-2.0f) + array(1.0f);
      eval(keys, values);
      std::optional<array> stored = cache.state().empty() ? std::nullopt
                                                          : std::optional<array>(cache.state()[0]);
      all_keys = all_keys ? concatenate({*all_keys, keys}, 2) : keys;
      all_values = all_values ? concatenate({*all_values, values}, 2) : values;
      total += chunks[i];
      auto [k, v] = cache.update_and_fetch(keys, values);
      SCOPED_TRACE("after chunk " + std::to_string(i));
      EXPECT_EQ(cache.offset(), total);
      // Attention sees what was stored plus the new tokens.
      EXPECT_TRUE(same(k, stored ? concatenate({*stored, keys}, 2) : keys));
      auto state = cache.state();
      ASSERT_EQ(state.size(), 2u);
      auto window = [&](const array& all) {
        if (total <= max_size) return all;
        array recent = time_range(all, total - (max_size - keep), total);
        return keep > 0 ? concatenate({time_range(all, 0, keep), recent}, 2) : recent;
      };
      EXPECT_TRUE(same(state[0], window(*all_keys)));
      EXPECT_TRUE(same(state[1], window(*all_values)));
      EXPECT_LE(state[0].shape(2), max_size);
    }
  }
}

class HybridCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(model_fixture("qwen3_5"), {.dtype = float32});
    auto golden = golden_json("qwen3_5");
    prompt_a_ = json_ints<int32_t>(golden["prompts"][0]["ids"]);
    prompt_b_ = json_ints<int32_t>(golden["prompts"][2]["ids"]);  // "chat", 25 tokens
  }
  array run(const std::vector<int32_t>& ids, CacheList& caches) {
    array logits = model_->forward(array(ids.begin(), {1, int(ids.size())}, int32), caches);
    eval(logits);
    eval(cache_state(caches));
    return logits;
  }
  std::unique_ptr<Model> model_;
  std::vector<int32_t> prompt_a_, prompt_b_;
};

TEST_F(HybridCacheTest, SnapshotAndRestoreGiveIdenticalLogits) {
  auto caches = model_->make_caches();
  bool has_recurrent = false, has_kv = false;
  for (const auto& c : caches) {
    has_recurrent |= c->kind() == "recurrent";
    has_kv |= c->kind() == "kv";
  }
  ASSERT_TRUE(has_recurrent && has_kv) << "the fixture should be a hybrid model";
  run(prompt_a_, caches);
  auto saved = snapshot(caches);
  array first = run(prompt_b_, caches);
  for (const auto& c : caches) EXPECT_EQ(c->offset(), int(prompt_a_.size() + prompt_b_.size()));
  restore(caches, saved);
  for (const auto& c : caches) EXPECT_EQ(c->offset(), int(prompt_a_.size()));
  array second = run(prompt_b_, caches);
  EXPECT_TRUE(same(first, second));
  // The snapshot stays usable: restoring twice works as well.
  restore(caches, saved);
  EXPECT_TRUE(same(run(prompt_b_, caches), first));
  // And differs from a run without prompt A (the state really mattered).
  auto fresh = model_->make_caches();
  array without_a = run(prompt_b_, fresh);
  EXPECT_FALSE(same(without_a, first));
}

TEST_F(HybridCacheTest, PromptCacheFileRoundTrip) {
  TempDir dir;
  const fs::path file = dir.path() / "prompt.safetensors";
  auto caches = model_->make_caches();
  run(prompt_a_, caches);
  save_prompt_cache(file, caches, {{"model", "qwen3_5"}, {"tokens", "12"}});
  auto [loaded, meta] = load_prompt_cache(file);
  ASSERT_EQ(loaded.size(), caches.size());
  for (size_t i = 0; i < caches.size(); ++i) {
    EXPECT_EQ(loaded[i]->kind(), caches[i]->kind());
    EXPECT_EQ(loaded[i]->offset(), caches[i]->offset());
  }
  EXPECT_EQ(meta.at("model"), "qwen3_5");
  EXPECT_EQ(meta.at("tokens"), "12");
  EXPECT_EQ(meta.count("ember.layers"), 0u);
  // The next tokens give identical logits from the original and the loaded caches (and
  // keep doing so as the loaded KV cache grows past its first block).
  ASSERT_GE(prompt_b_.size(), 3u);
  std::vector<int32_t> next(prompt_b_.begin(), prompt_b_.begin() + 3);
  EXPECT_TRUE(same(run(next, caches), run(next, loaded)));
  EXPECT_TRUE(same(run({int32_t(7)}, caches), run({int32_t(7)}, loaded)));
}

TEST(PromptCacheFile, BadMetadataIsATypedErrorNamingTheFile) {
  TempDir dir;
  array state = random::normal({1, 2, 3, 4}, float32, 0.0f, 1.0f, random::key(1));
  struct Case {
    std::string name;
    std::unordered_map<std::string, std::string> meta;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"no_layers", {{"model", "x"}}, "ember.layers"},
      {"bad_count", {{"ember.layers", "two"}}, "ember.layers"},
      {"negative_count", {{"ember.layers", "-1"}}, "ember.layers"},
      {"missing_kind", {{"ember.layers", "1"}, {"ember.0.offset", "3"}}, "ember.0.kind"},
      {"unknown_kind", {{"ember.layers", "1"}, {"ember.0.kind", "mamba"}, {"ember.0.offset", "3"}},
       "mamba"},
      {"bad_offset", {{"ember.layers", "1"}, {"ember.0.kind", "kv"}, {"ember.0.offset", "3x"}},
       "ember.0.offset"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path file = dir.path() / (c.name + ".safetensors");
    save_safetensors(file.string(), {{"0.0", state}, {"0.1", state}}, c.meta);
    try {
      load_prompt_cache(file);
      ADD_FAILURE() << "no error";
    } catch (const ValueError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(file.string()), std::string::npos) << what;
      EXPECT_NE(what.find(c.mentions), std::string::npos) << what;
    }
  }
  // A file that is not safetensors at all.
  const fs::path junk = dir.path() / "junk.safetensors";
  std::ofstream(junk) << "not a safetensors file";
  try {
    load_prompt_cache(junk);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.safetensors"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ember::lm
