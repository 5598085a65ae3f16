#include "ember/core/storage.h"

#include <algorithm>
#include <utility>
#include <cstring>
#include <sstream>

#include "ember/core/errors.h"
#include "ember/core/memory.h"
#include "ember/core/node.h"

namespace ember::detail {
namespace {

struct StorageList {
  std::mutex mutex;
  Storage* head = nullptr;
};
StorageList& storage_list() {
  static StorageList* list = new StorageList();  // never destroyed: storages may outlive main
  return *list;
}

}  // namespace

Storage::Storage(void* data, size_t size, const Device& device, allocator::Block block,
                 std::function<void(void*)> deleter)
    : data_(data), size_(size), device_(device), block_(block), deleter_(std::move(deleter)) {
  auto& list = storage_list();
  std::lock_guard lock(list.mutex);
  next_ = list.head;
  if (next_) next_->prev_ = this;
  list.head = this;
}

Storage::~Storage() {
  {
    auto& list = storage_list();
    std::lock_guard lock(list.mutex);
    if (prev_) prev_->next_ = next_; else list.head = next_;
    if (next_) next_->prev_ = prev_;
  }
  if (deleter_) {
    deleter_(data_);
  } else {
    allocator::allocator(device_).free(block_);
  }
}

std::shared_ptr<Storage> Storage::allocate(size_t size, const Device& device) {
  auto block = allocator::allocator(device).malloc(size);
  return std::shared_ptr<Storage>(new Storage(block.ptr, size, device, block, nullptr));
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t size, const Device& device,
                                       std::function<void(void*)> deleter) {
  if (!deleter) deleter = [](void*) {};
  return std::shared_ptr<Storage>(new Storage(data, size, device, {}, std::move(deleter)));
}

void Storage::add_owner() { owners_.fetch_add(1, std::memory_order_acq_rel); }

void Storage::release_owner() {
  const int before = owners_.fetch_sub(1, std::memory_order_acq_rel);
  EMBER_INTERNAL_ASSERT(before > 0, "storage owner count would go negative");
  if (before == 1) maybe_compact();
}

void Storage::add_view(const std::shared_ptr<Node>& node, uint32_t index, int64_t reach_bytes) {
  std::lock_guard lock(views_mutex_);
  std::erase_if(views_, [](const ViewRef& ref) { return ref.node.expired(); });
  views_.push_back({node, index});
  num_views_.fetch_add(1, std::memory_order_acq_rel);
  view_bytes_.fetch_add(reach_bytes, std::memory_order_acq_rel);
}

void Storage::release_view(int64_t reach_bytes) {
  num_views_.fetch_sub(1, std::memory_order_acq_rel);
  view_bytes_.fetch_sub(reach_bytes, std::memory_order_acq_rel);
  maybe_compact();
}

// See Note [View compaction]. Runs on whichever thread released the last owner or a view;
// the caller holds a reference to this storage, so it outlives the loop.
void Storage::maybe_compact() {
  if (owners() > 0 || views() == 0) return;
  if (view_bytes() * kCompactionRatio > static_cast<int64_t>(size_)) return;
  std::lock_guard lock(views_mutex_);
  std::vector<ViewRef> kept;
  for (auto& ref : views_) {
    auto node = ref.node.lock();
    if (!node) continue;
    if (owners() > 0 || node->load_status() != Status::available) {
      // Owned again by a donation: stop compacting. Not complete yet: compacted when it
      // finishes (Note [View compaction]).
      kept.push_back(ref);
      continue;
    }
    Output& out = node->outputs[ref.index];
    std::shared_ptr<Storage> replaced;  // released after the node's lock
    int64_t moved_bytes = 0;
    {
      std::lock_guard data_lock(node->data_lock);
      if (out.storage.get() != this || out.owns) continue;
      const int64_t itemsize = static_cast<int64_t>(size_of(out.dtype));
      const Span span = reachable_span(out.shape, out.strides);
      const int64_t low = span.low * itemsize;
      // An empty view reaches no byte: it gets a storage of its own with nothing copied.
      const bool empty = shape_size(out.shape) == 0;
      const int64_t bytes = empty ? 0 : (span.high - span.low) * itemsize + itemsize;
      std::shared_ptr<Storage> compact;
      try {
        compact = Storage::allocate(static_cast<size_t>(std::max(bytes, itemsize)), device_);
      } catch (const Error&) {
        kept.push_back(ref);  // over the memory limit: keep sharing rather than fail here
        continue;
      }
      if (bytes > 0) {
        allocator::allocator(device_).copy(compact->data(),
                                           static_cast<char*>(data_) + out.offset + low,
                                           static_cast<size_t>(bytes));
      }
      compact->add_owner();
      replaced = std::exchange(out.storage, std::move(compact));
      moved_bytes = out.reach_bytes;
      out.offset = -low;
      out.owns = true;
      out.reach_bytes = 0;
    }
    num_views_.fetch_sub(1, std::memory_order_acq_rel);
    view_bytes_.fetch_sub(moved_bytes, std::memory_order_acq_rel);
  }
  views_ = std::move(kept);
}

void Storage::for_each(const Device& device, const std::function<void(const Storage&)>& visit) {
  auto& list = storage_list();
  std::lock_guard lock(list.mutex);
  for (Storage* s = list.head; s; s = s->next_) {
    if (s->device_ == device) visit(*s);
  }
}

}  // namespace ember::detail

namespace ember {

MemoryReport memory_report(const Device& device) {
  MemoryReport report;
  report.active_bytes = get_active_memory(device);
  report.cache_bytes = get_cache_memory(device);
  report.peak_bytes = get_peak_memory(device);
  detail::Storage::for_each(device, [&](const detail::Storage& s) {
    report.num_storages++;
    if (s.is_external()) {
      report.external_bytes += s.size();
    } else if (s.owners() > 0) {
      report.owned_bytes += s.size();
    } else {
      report.view_only_bytes += s.size();
      report.view_reachable_bytes += static_cast<size_t>(std::max<int64_t>(s.view_bytes(), 0));
    }
    report.largest.push_back({s.size(), s.owners(), s.views(),
                              static_cast<size_t>(std::max<int64_t>(s.view_bytes(), 0))});
  });
  std::sort(report.largest.begin(), report.largest.end(),
            [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  if (report.largest.size() > 16) report.largest.resize(16);
  return report;
}

MemoryReport memory_report() { return memory_report(default_device()); }

std::string to_string(const MemoryReport& r) {
  std::ostringstream out;
  out << "active " << r.active_bytes << " B, cache " << r.cache_bytes << " B, peak "
      << r.peak_bytes << " B; " << r.num_storages << " storages: owned " << r.owned_bytes
      << " B, kept only by views " << r.view_only_bytes << " B (views reach "
      << r.view_reachable_bytes << " B), external " << r.external_bytes << " B";
  for (const auto& e : r.largest) {
    out << "\n  " << e.bytes << " B: " << e.owners << " owner(s), " << e.views << " view(s) reaching "
        << e.view_bytes << " B";
  }
  return out.str();
}

}  // namespace ember
