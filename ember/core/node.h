// Node: what an array handle points to (internal; DESIGN.md section 3).
//
// A node holds its primitive and inputs until it is evaluated, and one Output per output of
// the primitive. Status moves unscheduled -> scheduled -> available (or failed) exactly once;
// readers wait on it. Inputs are dropped when the node is evaluated (G3) and destroyed
// iteratively, so a million-node chain is freed without recursion.
#pragma once

#include <atomic>
#include <utility>
#include <exception>
#include <memory>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/executor.h"
#include "ember/core/storage.h"

namespace ember::detail {

enum class Status : uint8_t { unscheduled, scheduled, available, failed };

/// A tiny lock for an output's (storage, offset) pair, which view compaction may swap.
class SpinLock {
 public:
  void lock() {
    while (flag_.test_and_set(std::memory_order_acquire)) flag_.wait(true, std::memory_order_relaxed);
  }
  void unlock() {
    flag_.clear(std::memory_order_release);
    flag_.notify_one();
  }

 private:
  std::atomic_flag flag_;
};

struct Output {
  Shape shape;
  Dtype dtype = float32;
  // Set when the node is evaluated:
  Strides strides;
  Flags flags;
  StoragePtr storage;
  int64_t offset = 0;       // bytes from storage->data() to the first element
  bool owns = false;        // an owner of `storage` (else a registered view of it)
  int64_t reach_bytes = 0;  // for views: bytes of the storage the view can reach

  Output(Shape shape, Dtype dtype) : shape(std::move(shape)), dtype(dtype) {}
  Output(Output&& other) noexcept;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  Output& operator=(Output&&) = delete;
  ~Output();
  /// Drops this output's hold on its storage (owner or view bookkeeping included).
  void release_storage();
};

struct Node {
  Node(std::shared_ptr<Primitive> primitive, std::vector<array> inputs, std::vector<Output> outputs);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  Status load_status() const { return status.load(std::memory_order_acquire); }
  /// Blocks until the node is available or failed.
  void wait() const;
  /// Publishes the result: drops inputs and primitive, sets the status, wakes waiters.
  void finish(std::exception_ptr failure);

  std::shared_ptr<Primitive> primitive;
  std::vector<array> inputs;
  std::vector<Output> outputs;
  std::atomic<Status> status{Status::unscheduled};
  uint32_t depth = 0;  // longest unevaluated path below this node (G3)
  // Set when scheduled: the stream's executor and this node's ticket on it.
  StreamExecutor* executor = nullptr;
  uint64_t ticket = 0;
  std::exception_ptr error;
  mutable SpinLock data_lock;  // guards outputs[i].storage/offset against compaction
};

/// Nodes alive in the process (for tests and memory reports of graph size, G3).
int64_t live_node_count();

}  // namespace ember::detail
