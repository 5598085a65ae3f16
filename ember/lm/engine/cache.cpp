#include "ember/lm/engine/cache.h"

#include <algorithm>
#include <utility>

#include "ember/core/errors.h"
#include "ember/core/io.h"
#include "ember/core/ops.h"

namespace ember::lm {

size_t Cache::nbytes() const {
  if (residence_) return residence_->nbytes(offset());
  size_t total = 0;
  for (const auto& a : state()) total += a.nbytes();
  return total;
}

void Cache::settle() {
  if (!residence_) return;
  const auto residence = std::exchange(residence_, nullptr);
  set_arrays(residence->read(offset()));
}

namespace {

Shape with_axis(const array& a, int axis, int extent) {
  Shape s(a.shape());
  s[axis] = extent;
  return s;
}

array time_slice(const array& a, int from, int to) {
  Shape start(a.ndim(), 0), stop(a.shape());
  start[2] = from;
  stop[2] = to;
  return slice(a, start, stop);
}

}  // namespace

// ---- KvCache ----

std::pair<array, array> KvCache::update_and_fetch(const array& keys, const array& values) {
  settle();
  EMBER_CHECK(keys.ndim() == 4 && values.ndim() == 4 && keys.shape(2) == values.shape(2),
              ValueError, "[KvCache] keys and values must be [B, H, T, D] with the same T; got ",
              shape_to_string(keys.shape()), " and ", shape_to_string(values.shape()));
  const int tokens = keys.shape(2);
  const int needed = offset_ + tokens;
  if (!keys_ || needed > keys_->shape(2)) {
    const int capacity = ((needed + step_ - 1) / step_) * step_;
    auto grow = [&](const std::optional<array>& old, const array& like) {
      array fresh = zeros(with_axis(like, 2, capacity - offset_), like.dtype());
      return old ? concatenate({time_slice(*old, 0, offset_), fresh}, 2) : fresh;
    };
    if (!keys_) {
      keys_ = zeros(with_axis(keys, 2, capacity), keys.dtype());
      values_ = zeros(with_axis(values, 2, capacity), values.dtype());
    } else {
      keys_ = grow(keys_, keys);
      values_ = grow(values_, values);
    }
  }
  auto write = [&](array& buffer, const array& update) {
    Shape start(4, 0), stop(buffer.shape());
    start[2] = offset_;
    stop[2] = needed;
    buffer = slice_update(buffer, astype(update, buffer.dtype()), start, stop);
  };
  write(*keys_, keys);
  write(*values_, values);
  offset_ = needed;
  return {time_slice(*keys_, 0, offset_), time_slice(*values_, 0, offset_)};
}

std::vector<array> KvCache::state() const {
  if (residence_) return residence_->read(offset_);
  if (!keys_) return {};
  if (offset_ == keys_->shape(2)) return {*keys_, *values_};
  return {time_slice(*keys_, 0, offset_), time_slice(*values_, 0, offset_)};
}

void KvCache::set_state(std::vector<array> state, int offset) {
  EMBER_CHECK(state.size() == 2 && state[0].ndim() == 4 && state[0].shape(2) == offset, ValueError,
              "[KvCache] state must be keys and values [B, H, ", offset, ", D]");
  residence_.reset();
  set_arrays(std::move(state));
  offset_ = offset;
}

void KvCache::set_arrays(std::vector<array> state) {
  keys_ = std::move(state[0]);
  values_ = std::move(state[1]);
}

int KvCache::trim(int n) {  // a resident cache stays there: later steps overwrite the rest
  n = std::clamp(n, 0, offset_);
  offset_ -= n;
  return n;
}

// ---- RotatingKvCache ----

std::pair<array, array> RotatingKvCache::update_and_fetch(const array& keys, const array& values) {
  settle();
  EMBER_CHECK(keys.ndim() == 4 && values.ndim() == 4 && keys.shape(2) == values.shape(2),
              ValueError, "[RotatingKvCache] keys and values must be [B, H, T, D]; got ",
              shape_to_string(keys.shape()), " and ", shape_to_string(values.shape()));
  array all_keys = keys_ ? concatenate({*keys_, astype(keys, keys_->dtype())}, 2) : keys;
  array all_values = values_ ? concatenate({*values_, astype(values, values_->dtype())}, 2) : values;
  offset_ += keys.shape(2);
  const int stored = all_keys.shape(2);
  if (stored <= max_size_) {
    keys_ = all_keys;
    values_ = all_values;
  } else {
    auto window = [&](const array& a) {
      array tail = time_slice(a, stored - (max_size_ - keep_), stored);
      return keep_ > 0 ? concatenate({time_slice(a, 0, keep_), tail}, 2) : contiguous(tail);
    };
    keys_ = window(all_keys);
    values_ = window(all_values);
  }
  return {all_keys, all_values};
}

std::vector<array> RotatingKvCache::state() const {
  if (residence_) return residence_->read(offset_);
  if (!keys_) return {};
  return {*keys_, *values_};
}

void RotatingKvCache::set_state(std::vector<array> state, int offset) {
  EMBER_CHECK(state.size() == 2 && state[0].ndim() == 4 && state[0].shape(2) <= max_size_,
              ValueError, "[RotatingKvCache] state must be keys and values [B, H, <=", max_size_,
              ", D]");
  residence_.reset();
  set_arrays(std::move(state));
  offset_ = offset;
}

void RotatingKvCache::set_arrays(std::vector<array> state) {
  keys_ = std::move(state[0]);
  values_ = std::move(state[1]);
}

std::map<std::string, std::string> RotatingKvCache::meta() const {
  return {{"max_size", std::to_string(max_size_)}, {"keep", std::to_string(keep_)}};
}

// ---- RecurrentCache ----

std::vector<array> RecurrentCache::state() const {
  if (residence_) return residence_->read(offset_);
  if (!conv_state_) return {};
  return {*conv_state_, *ssm_state_};
}

void RecurrentCache::set_state(std::vector<array> state, int offset) {
  EMBER_CHECK(state.size() == 2 && state[0].ndim() == 3 && state[1].ndim() == 4, ValueError,
              "[RecurrentCache] state must be conv_state [B, K-1, C] and ssm_state [B, H, Dk, Dv]");
  residence_.reset();
  set_arrays(std::move(state));
  offset_ = offset;
}

void RecurrentCache::set_arrays(std::vector<array> state) {
  conv_state_ = std::move(state[0]);
  ssm_state_ = std::move(state[1]);
}

void RecurrentCache::update(array conv_state, array ssm_state, int tokens) {
  residence_.reset();  // replaced whole
  conv_state_ = std::move(conv_state);
  ssm_state_ = std::move(ssm_state);
  offset_ += tokens;
}

// ---- lists ----

CacheList snapshot(const CacheList& caches) {
  CacheList out;
  for (const auto& c : caches) out.push_back(c->clone());
  return out;
}

void restore(CacheList& caches, const CacheList& saved) {
  EMBER_CHECK(caches.size() == saved.size(), ValueError, "[restore] ", saved.size(),
              " saved caches for ", caches.size(), " layers");
  for (size_t i = 0; i < caches.size(); ++i) caches[i] = saved[i]->clone();
}

std::vector<array> cache_state(const CacheList& caches) {
  std::vector<array> out;
  for (const auto& c : caches) {
    for (auto& a : c->state()) out.push_back(a);
  }
  return out;
}

// ---- prompt cache files ----
// Layout: tensors "<layer>.<i>" for the i-th state array of each layer; metadata
// "ember.layers" (count), "ember.<layer>.kind", ".offset" and the cache's meta() entries,
// plus the caller's metadata (keys without the "ember." prefix).

void save_prompt_cache(const std::filesystem::path& file, const CacheList& caches,
                       const std::map<std::string, std::string>& metadata) {
  std::unordered_map<std::string, array> arrays;
  std::unordered_map<std::string, std::string> meta(metadata.begin(), metadata.end());
  meta["ember.layers"] = std::to_string(caches.size());
  for (size_t layer = 0; layer < caches.size(); ++layer) {
    const std::string prefix = "ember." + std::to_string(layer) + ".";
    meta[prefix + "kind"] = caches[layer]->kind();
    meta[prefix + "offset"] = std::to_string(caches[layer]->offset());
    for (const auto& [k, v] : caches[layer]->meta()) meta[prefix + k] = v;
    auto state = caches[layer]->state();
    for (size_t i = 0; i < state.size(); ++i) {
      arrays.emplace(std::to_string(layer) + "." + std::to_string(i), state[i]);
    }
  }
  save_safetensors(file.string(), std::move(arrays), std::move(meta));
}

std::pair<CacheList, std::map<std::string, std::string>> load_prompt_cache(
    const std::filesystem::path& file) {
  // Not a structured binding: the lambdas below capture it (clang 14 cannot capture those).
  auto loaded = load_safetensors(file.string());
  const auto& arrays = loaded.first;
  const auto& meta = loaded.second;
  const std::string name = file.string();
  auto field = [&](const std::string& key) -> const std::string& {
    auto it = meta.find(key);
    EMBER_CHECK(it != meta.end(), ValueError, "[load_prompt_cache] ", name,
                ": missing metadata '", key, "' (not a prompt cache written by ember?)");
    return it->second;
  };
  auto number = [&](const std::string& key) {
    const std::string& text = field(key);
    try {
      size_t used = 0;
      int v = std::stoi(text, &used);
      if (used == text.size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    throw ValueError(detail::concat("[load_prompt_cache] ", name, ": metadata '", key,
                                    "' is not a count: '", text, "'"));
  };
  const int layers = number("ember.layers");
  CacheList caches;
  for (int layer = 0; layer < layers; ++layer) {
    const std::string prefix = "ember." + std::to_string(layer) + ".";
    const std::string& kind = field(prefix + "kind");
    std::unique_ptr<Cache> cache;
    if (kind == "kv") {
      cache = std::make_unique<KvCache>();
    } else if (kind == "rotating_kv") {
      cache = std::make_unique<RotatingKvCache>(number(prefix + "max_size"), number(prefix + "keep"));
    } else if (kind == "recurrent") {
      cache = std::make_unique<RecurrentCache>();
    } else {
      throw ValueError(detail::concat("[load_prompt_cache] ", name, ": layer ", layer,
                                      " has unknown cache kind '", kind, "'"));
    }
    std::vector<array> state;
    for (int i = 0;; ++i) {
      auto it = arrays.find(std::to_string(layer) + "." + std::to_string(i));
      if (it == arrays.end()) break;
      state.push_back(it->second);
    }
    if (!state.empty()) cache->set_state(std::move(state), number(prefix + "offset"));
    caches.push_back(std::move(cache));
  }
  std::map<std::string, std::string> user;
  for (const auto& [k, v] : meta) {
    if (k.rfind("ember.", 0) != 0) user.emplace(k, v);
  }
  return {std::move(caches), std::move(user)};
}

}  // namespace ember::lm
