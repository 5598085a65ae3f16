// Devices, as in MLX (mlx/device.h). The default device is the GPU when one is present.
#pragma once

#include <ostream>

namespace ember {

struct Device {
  enum class DeviceType { cpu, gpu };
  static constexpr DeviceType cpu = DeviceType::cpu;
  static constexpr DeviceType gpu = DeviceType::gpu;

  constexpr Device(DeviceType type, int index = 0) : type(type), index(index) {}

  DeviceType type;
  int index;

  constexpr bool operator==(const Device& other) const = default;
};

/// The device ops use when given neither a stream nor a device (process-wide).
Device default_device();
/// Sets the default device; throws ValueError if it does not exist on this machine.
void set_default_device(const Device& device);
/// Whether `device` exists: the CPU always; `gpu:i` if this build has CUDA and GPU i is present.
bool is_available(const Device& device);
/// Number of devices of a type on this machine (always 1 for the CPU).
int device_count(Device::DeviceType type);

std::ostream& operator<<(std::ostream& os, const Device& device);

namespace detail {
/// Throws ValueError naming `op` if `device` does not exist (G5: Device(gpu, 7) on a
/// one-GPU machine fails at first use, with a message saying what is there).
void check_device(const Device& device, const char* op);
}  // namespace detail

}  // namespace ember
