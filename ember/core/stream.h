// Streams, as in MLX (mlx/stream.h), made thread-safe (G5):
//
//   Stream s = new_stream(Device::cpu);      // any thread may submit to it
//   array y = exp(x, s);                     // every op takes StreamOrDevice
//   synchronize(s);                          // waits; rethrows a stored error (G6)
//
// Each thread has its own default stream per device, read without a lock; a stream is an
// ordered queue that any thread may submit to; arrays built in one thread can be
// evaluated in another. See docs/differences-from-mlx.md.
#pragma once

#include <variant>

#include "ember/core/device.h"

namespace ember {

struct Stream {
  int index;
  Device device;
  Stream(int index, const Device& device) : index(index), device(device) {}
  bool operator==(const Stream& other) const { return index == other.index; }
};

/// This thread's default stream on `device` (created on first use).
Stream default_stream(Device device);
/// Makes `stream` this thread's default stream for its device.
void set_default_stream(Stream stream);
/// A new stream on `device`; throws ValueError if the device does not exist.
Stream new_stream(Device device);

/// Waits for the work submitted so far to this thread's default stream of the default
/// device; rethrows the first error stored on it since the last wait (G6).
void synchronize();
/// Waits for the work submitted so far to `stream`; rethrows a stored error (G6).
void synchronize(Stream stream);

using StreamOrDevice = std::variant<std::monostate, Stream, Device>;

/// The stream an op runs on: the given stream, the default stream of the given device,
/// or the default stream of the default device.
Stream to_stream(StreamOrDevice s);

std::ostream& operator<<(std::ostream& os, const Stream& stream);

}  // namespace ember
