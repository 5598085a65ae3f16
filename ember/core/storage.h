// Storage: one block of device memory shared by an array and its views (internal).
//
// Note [View compaction] (G2)
// Views (slice, reshape, transpose, broadcast) share their parent's storage. Each storage
// counts its owners (outputs that allocated it, received it by donation, or were compacted
// into it) and the bytes its live views can reach. When the owners are gone and the views
// together reach at most 1/kCompactionRatio of the storage, each view is copied into a
// storage of exactly its reachable span and becomes its owner; the big block is freed.
// A view's strides never change, only its storage and offset, under the node's data lock.
// Kernels pin the storages of the views they read (eval.cpp), so a compaction during a
// kernel never frees memory the kernel is reading. Only views whose node is available are
// copied: on a GPU a view exists as soon as its task is enqueued, while the writes it sees
// (its parent's kernel, a staged upload) may still be in flight, and the copy runs on
// another stream. A view skipped for that reason is compacted when its node finishes
// (Node::finish calls maybe_compact on the storage of each view output).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "ember/core/allocator.h"
#include "ember/core/device.h"

namespace ember::detail {

struct Node;

/// Views reaching at most 1/kCompactionRatio of an ownerless storage get compacted.
inline constexpr int64_t kCompactionRatio = 4;

class Storage {
 public:
  /// `size` bytes from `device`'s allocator; throws OutOfMemory.
  static std::shared_ptr<Storage> allocate(size_t size, const Device& device);
  /// Memory the caller owns; `deleter` runs when the last reference goes.
  static std::shared_ptr<Storage> wrap(void* data, size_t size, const Device& device,
                                       std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t size() const { return size_; }
  const Device& device() const { return device_; }
  int owners() const { return owners_.load(std::memory_order_acquire); }
  int views() const { return num_views_.load(std::memory_order_acquire); }
  int64_t view_bytes() const { return view_bytes_.load(std::memory_order_acquire); }
  bool is_external() const { return static_cast<bool>(deleter_); }

  void add_owner();
  /// Called when an owning output goes away; may compact the remaining views.
  void release_owner();
  /// Registers output `index` of `node` as a view reaching `reach_bytes` of this storage.
  void add_view(const std::shared_ptr<Node>& node, uint32_t index, int64_t reach_bytes);
  /// Called when a view output goes away; may compact the remaining views.
  void release_view(int64_t reach_bytes);
  /// Compacts the views if the storage has no owner and they reach little of it (called
  /// by the above, and by Node::finish for views that were not complete then).
  void maybe_compact();

  /// Calls `visit` for every live storage (for memory_report).
  static void for_each(const Device& device, const std::function<void(const Storage&)>& visit);

 private:
  Storage(void* data, size_t size, const Device& device, allocator::Block block,
          std::function<void(void*)> deleter);

  void* data_;
  size_t size_;
  Device device_;
  allocator::Block block_;                 // empty for external memory
  std::function<void(void*)> deleter_;     // only for external memory
  std::atomic<int> owners_{0};
  std::atomic<int> num_views_{0};
  std::atomic<int64_t> view_bytes_{0};
  std::mutex views_mutex_;
  struct ViewRef {
    std::weak_ptr<Node> node;
    uint32_t index;
  };
  std::vector<ViewRef> views_;
  // Registry of live storages (memory_report); guarded by a global mutex.
  Storage* prev_ = nullptr;
  Storage* next_ = nullptr;
};

}  // namespace ember::detail
