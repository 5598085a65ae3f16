// Node: what an array handle points to (internal; DESIGN.md section 3).
//
// A node holds its primitive and inputs until it is evaluated, and one Output per output of
// the primitive. Status moves unscheduled -> scheduled -> available (or failed) exactly once;
// readers wait on it. On a GPU stream a node passes through `enqueued` (its kernels are on
// the CUDA stream, not yet complete): see Note [GPU completion] in eval.cpp. Inputs are dropped when the node is evaluated (G3) and destroyed
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

/// Ordered: a status at or past `enqueued` means later work on the same device stream may
/// be launched after it; `available`/`failed` mean the result is final and host-readable.
enum class Status : uint8_t { unscheduled, scheduled, enqueued, available, failed };

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
  // Host staging copy of device-resident data, made on the first host read (data<T>,
  // item): element 0 is at host_copy->data() + host_offset. Device data never changes
  // once available, so the copy stays valid. See transfer.h.
  StoragePtr host_copy;
  int64_t host_offset = 0;

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
  /// Blocks until the node is at least enqueued (its device work is ordered on its stream).
  void wait_enqueued() const;
  /// A hook this thread runs before wait or wait_enqueued blocks: a GPU stream's launcher
  /// hands over the completions it batches, one of which the awaited node may need.
  static void set_before_block_hook(void (*hook)(void*), void* context);
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
  // GPU nodes: the event recorded after the node's kernels; set before `enqueued`, reset
  // (under data_lock) once complete. Other streams wait on it device-side.
  std::shared_ptr<DeviceEvent> event;
  mutable SpinLock data_lock;  // guards outputs[i].storage/offset/host_copy and `event`
};

/// Nodes alive in the process (for tests and memory reports of graph size, G3).
int64_t live_node_count();

/// Walks the nodes behind `roots`, each after the inputs it enters (iteratively, so at any
/// depth). `enter(node)` says whether to walk into a node and must refuse one it has
/// entered before; `leave(node)` receives each entered node once its inputs are done.
template <class Enter, class Leave>
void walk_inputs_first(const std::vector<array>& roots, Enter&& enter, Leave&& leave) {
  struct Frame {
    std::shared_ptr<Node> node;
    size_t next_input;
  };
  std::vector<Frame> stack;
  auto visit = [&](const std::shared_ptr<Node>& node) {
    if (enter(node)) stack.push_back({node, 0});
  };
  for (const auto& root : roots) {
    visit(root.node());
    while (!stack.empty()) {
      Frame& frame = stack.back();
      if (frame.next_input < frame.node->inputs.size()) {
        const auto& input = frame.node->inputs[frame.next_input++].node();
        visit(input);  // may reallocate `stack`: `frame` is not used after this
      } else {
        leave(std::move(frame.node));
        stack.pop_back();
      }
    }
  }
}

}  // namespace ember::detail
