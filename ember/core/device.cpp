#include "ember/core/device.h"

#include <atomic>

#include "ember/core/backend.h"
#include "ember/core/errors.h"

namespace ember {
namespace {

// Packed as type * 65536 + index so that it can be read and written atomically.
std::atomic<int> g_default_device{-1};

int pack(const Device& device) {
  return static_cast<int>(device.type) * 65536 + device.index;
}
Device unpack(int packed) {
  return Device(static_cast<Device::DeviceType>(packed / 65536), packed % 65536);
}

}  // namespace

int device_count(Device::DeviceType type) {
  return type == Device::cpu ? 1 : backend::gpu_device_count();
}

bool is_available(const Device& device) {
  return device.index >= 0 && device.index < device_count(device.type);
}

Device default_device() {
  int packed = g_default_device.load(std::memory_order_acquire);
  if (packed < 0) {
    const Device initial = device_count(Device::gpu) > 0 ? Device(Device::gpu, 0)
                                                         : Device(Device::cpu, 0);
    int expected = -1;
    g_default_device.compare_exchange_strong(expected, pack(initial));
    packed = g_default_device.load(std::memory_order_acquire);
  }
  return unpack(packed);
}

void set_default_device(const Device& device) {
  detail::check_device(device, "set_default_device");
  g_default_device.store(pack(device), std::memory_order_release);
}

std::ostream& operator<<(std::ostream& os, const Device& device) {
  return os << (device.type == Device::cpu ? "cpu" : "gpu") << ":" << device.index;
}

namespace detail {
void check_device(const Device& device, const char* op) {
  if (is_available(device)) return;
  const int count = device_count(device.type);
  if (device.type == Device::gpu && count == 0) {
    throw ValueError(concat("[", op, "] ", device,
                            " is not available: no CUDA device is present",
                            " (or ember was built without -DEMBER_CUDA=ON)"));
  }
  throw ValueError(concat("[", op, "] ", device, " is not available: this machine has ", count,
                          device.type == Device::cpu ? " CPU device" : " GPU(s)",
                          " (valid indices 0..", count - 1, ")"));
}
}  // namespace detail

}  // namespace ember
