// Per-layer caches of a language model, behind one interface: the attention layers' key/value
// caches (growing in blocks, or rotating over a window) and the recurrent layers' state
// (causal-conv tail and the delta-rule state), which cannot be trimmed and snapshots instead.
//
//   auto caches = model.make_caches();
//   array logits = model.forward(tokens, caches);      // appends to every cache
//   auto saved = snapshot(caches);                     // O(1): arrays are immutable
//   restore(caches, saved);                            // roll back (speculative decoding)
//   save_prompt_cache("prompt.safetensors", caches, {{"model", "qwen3_5"}});
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/array.h"

namespace ember::lm {

class Cache {
 public:
  virtual ~Cache() = default;
  /// "kv", "rotating_kv" or "recurrent" (the name used in saved prompt caches).
  virtual std::string kind() const = 0;
  /// Tokens this cache has seen.
  virtual int offset() const = 0;
  /// The arrays that hold the cache (to eval, or to save); empty before the first update.
  virtual std::vector<array> state() const = 0;
  /// Replaces the state (as returned by state()) and the token count.
  virtual void set_state(std::vector<array> state, int offset) = 0;
  /// Extra settings to save with the state (e.g. a rotating cache's window).
  virtual std::map<std::string, std::string> meta() const { return {}; }
  /// A copy that shares the (immutable) arrays.
  virtual std::unique_ptr<Cache> clone() const = 0;
  virtual bool is_trimmable() const { return false; }
  /// Forgets the last n tokens; returns how many were forgotten.
  virtual int trim(int n) { (void)n; return 0; }
  /// Bytes held by the state's arrays.
  size_t nbytes() const;

  /// Where the state lives while a decode step graph holds it on the device (Note [Decode
  /// step graphs], lm/models/decoder.cpp): in the graph's state buffers, which each step
  /// updates in place. The cache's own arrays are not used meanwhile.
  class Residence {
   public:
    virtual ~Residence() = default;
    /// The state after every step so far, for `tokens` tokens: copies (lazy).
    virtual std::vector<array> read(int tokens) const = 0;
    virtual size_t nbytes(int tokens) const = 0;
  };
  /// The state moves into `residence` (the model has written it there).
  void move_into(std::shared_ptr<const Residence> residence) { residence_ = std::move(residence); }
  const Residence* residence() const { return residence_.get(); }
  /// Brings the state back from a residence into the cache's arrays (a copy); nothing
  /// when it has none.
  void settle();
  /// A step graph appended `tokens` tokens to the resident state.
  virtual void advance_resident(int tokens) = 0;

 protected:
  Cache() = default;
  Cache(const Cache&) = default;
  Cache& operator=(const Cache&) = default;
  /// Replaces the state's arrays (as state() returns them), keeping the token count.
  virtual void set_arrays(std::vector<array> state) = 0;
  /// For clone(): a copy's state is its own arrays, never the original's residence.
  std::unique_ptr<Cache> settled(std::unique_ptr<Cache> copy) const {
    copy->settle();
    return copy;
  }
  std::shared_ptr<const Residence> residence_;
};

using CacheList = std::vector<std::unique_ptr<Cache>>;

/// Keys and values [B, H, T, D] in a buffer that grows `step` tokens at a time.
class KvCache final : public Cache {
 public:
  explicit KvCache(int step = 256) : step_(step) {}
  /// Appends keys and values [B, H, T, D]; returns the keys and values of every token so far.
  std::pair<array, array> update_and_fetch(const array& keys, const array& values);
  std::string kind() const override { return "kv"; }
  int offset() const override { return offset_; }
  std::vector<array> state() const override;
  void set_state(std::vector<array> state, int offset) override;
  std::unique_ptr<Cache> clone() const override { return settled(std::make_unique<KvCache>(*this)); }
  bool is_trimmable() const override { return true; }
  int trim(int n) override;
  void advance_resident(int tokens) override { offset_ += tokens; }

 private:
  void set_arrays(std::vector<array> state) override;
  int step_;
  int offset_ = 0;
  std::optional<array> keys_, values_;  // [B, H, capacity, D]
};

/// Keys and values of at most `max_size` tokens: the first `keep` tokens stay, the others
/// are overwritten oldest first (sliding-window attention). Tokens are stored in time order
/// after every update, so attention needs no position bookkeeping.
class RotatingKvCache final : public Cache {
 public:
  RotatingKvCache(int max_size, int keep = 0) : max_size_(max_size), keep_(keep) {}
  std::pair<array, array> update_and_fetch(const array& keys, const array& values);
  std::string kind() const override { return "rotating_kv"; }
  int offset() const override { return offset_; }
  std::vector<array> state() const override;
  void set_state(std::vector<array> state, int offset) override;
  std::map<std::string, std::string> meta() const override;
  std::unique_ptr<Cache> clone() const override { return settled(std::make_unique<RotatingKvCache>(*this)); }
  int max_size() const { return max_size_; }
  void advance_resident(int tokens) override { offset_ += tokens; }

 private:
  void set_arrays(std::vector<array> state) override;
  int max_size_, keep_;
  int offset_ = 0;
  std::optional<array> keys_, values_;  // [B, H, min(offset, max_size), D], time order
};

/// A recurrent layer's state: conv_state [B, K-1, C] (the last inputs of the causal
/// convolution) and ssm_state [B, H, Dk, Dv] (float32). Cannot be trimmed.
class RecurrentCache final : public Cache {
 public:
  std::string kind() const override { return "recurrent"; }
  int offset() const override { return offset_; }
  std::vector<array> state() const override;
  void set_state(std::vector<array> state, int offset) override;
  std::unique_ptr<Cache> clone() const override { return settled(std::make_unique<RecurrentCache>(*this)); }
  /// The states (brought back from a residence first).
  const std::optional<array>& conv_state() {
    settle();
    return conv_state_;
  }
  const std::optional<array>& ssm_state() {
    settle();
    return ssm_state_;
  }
  void update(array conv_state, array ssm_state, int tokens);
  void advance_resident(int tokens) override { offset_ += tokens; }

 private:
  void set_arrays(std::vector<array> state) override;
  int offset_ = 0;
  std::optional<array> conv_state_, ssm_state_;
};

/// Copies of every cache (sharing arrays) to restore later.
CacheList snapshot(const CacheList& caches);
/// Makes `caches` equal to `saved` (which stays usable).
void restore(CacheList& caches, const CacheList& saved);
/// Every array of every cache (to eval after a prefill chunk).
std::vector<array> cache_state(const CacheList& caches);

/// Writes the caches and string metadata to one safetensors file.
void save_prompt_cache(const std::filesystem::path& file, const CacheList& caches,
                       const std::map<std::string, std::string>& metadata = {});
/// Reads a file written by save_prompt_cache; throws IOError / ValueError naming the file.
std::pair<CacheList, std::map<std::string, std::string>> load_prompt_cache(
    const std::filesystem::path& file);

}  // namespace ember::lm
