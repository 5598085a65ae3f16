// Moving data between devices (internal). ember never uses managed memory: an array's data
// lives on one device, and crossing to another is an explicit staging copy.
//
//   const float* p = static_cast<const float*>(detail::host_readable_data(y));  // y on a GPU
//   array h = detail::stage_to_device(x, Device(Device::gpu));  // a device copy of x
//
// Host reads of device data (data<T>, item, printing) go through host_readable_data, which
// makes one host copy per output and keeps it with the output (device data never changes
// once available). Kernels whose input lives on another device get a staged copy from the
// scheduler (eval.cpp), kept alive until their work completes (G1).
#pragma once

#include "ember/core/array.h"
#include "ember/core/device.h"

namespace ember::detail {

/// A host pointer to element 0 of the evaluated array `a`: its own data on the CPU, else
/// a host staging copy of the elements it reaches (made once, then reused). The caller has
/// waited for `a` to be available.
void* host_readable_data(const array& a);

/// An evaluated array with `input`'s shape, dtype and strides whose data is a copy of the
/// elements `input` reaches, on `device`. A copy to a GPU is ordered on the current GPU
/// task's stream when called from one; a copy to the host waits for nothing (the caller
/// has waited for `input` to be available).
array stage_to_device(const array& input, const Device& device);

}  // namespace ember::detail
