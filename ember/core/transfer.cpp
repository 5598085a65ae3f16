#include "ember/core/transfer.h"

#include <mutex>

#include "ember/core/allocator.h"
#include "ember/core/node.h"
#include "ember/core/storage.h"

namespace ember::detail {
namespace {

struct Reach {
  int64_t low_bytes = 0;  // first reachable byte relative to element 0 (<= 0)
  size_t bytes = 0;       // reachable bytes
};

Reach reach_of(const Output& out) {
  if (shape_size(out.shape) == 0) return {};
  const int64_t itemsize = static_cast<int64_t>(size_of(out.dtype));
  const Span span = reachable_span(out.shape, out.strides);
  return {span.low * itemsize, static_cast<size_t>((span.high - span.low + 1) * itemsize)};
}

array wrap_evaluated(const array& like, StoragePtr storage, int64_t offset_bytes) {
  array result(Shape(like.shape()), like.dtype(), nullptr, {});
  result.set_data(std::move(storage), Strides(like.strides()), offset_bytes);
  result.node()->status.store(Status::available, std::memory_order_release);
  return result;
}

}  // namespace

void* host_readable_data(const array& a) {
  Node& node = *a.node();
  Output& out = node.outputs[a.output_index()];
  StoragePtr storage;
  int64_t offset = 0;
  {
    std::lock_guard lock(node.data_lock);
    if (!out.storage) return nullptr;
    if (out.storage->device().type == Device::cpu) {
      return static_cast<char*>(out.storage->data()) + out.offset;
    }
    if (out.host_copy) return static_cast<char*>(out.host_copy->data()) + out.host_offset;
    storage = out.storage;
    offset = out.offset;
  }
  // Copy outside the lock (it may take a while); the first copy to finish is kept.
  const Reach reach = reach_of(out);
  auto host = Storage::allocate(reach.bytes, Device(Device::cpu));
  if (reach.bytes > 0) {
    allocator::allocator(storage->device())
        .copy_to_host(host->data(), static_cast<char*>(storage->data()) + offset + reach.low_bytes,
                      reach.bytes);
  }
  std::lock_guard lock(node.data_lock);
  if (!out.host_copy) {
    out.host_copy = std::move(host);
    out.host_offset = -reach.low_bytes;
  }
  return static_cast<char*>(out.host_copy->data()) + out.host_offset;
}

array stage_to_device(const array& input, const Device& device) {
  const StoragePtr source = input.storage();
  EMBER_INTERNAL_ASSERT(source != nullptr, "staging an array without data");
  const Device from = source->device();
  if (device.type == Device::cpu) {
    // Share the (cached) host staging copy.
    host_readable_data(input);
    const Output& out = input.node()->outputs[input.output_index()];
    StoragePtr host;
    int64_t offset = 0;
    {
      std::lock_guard lock(input.node()->data_lock);
      host = out.host_copy;
      offset = out.host_offset;
    }
    return wrap_evaluated(input, std::move(host), offset);
  }
  EMBER_CHECK(from.type == Device::cpu, NotImplementedError, "[stage] copying from ", from,
              " to ", device, " is not supported yet (stage through the CPU)");
  const Reach reach = reach_of(input.node()->outputs[input.output_index()]);
  auto staged = Storage::allocate(reach.bytes, device);
  if (reach.bytes > 0) {
    allocator::allocator(device).copy_from_host(
        staged->data(), static_cast<const char*>(input.raw_data()) + reach.low_bytes, reach.bytes);
  }
  return wrap_evaluated(input, std::move(staged), -reach.low_bytes);
}

}  // namespace ember::detail
