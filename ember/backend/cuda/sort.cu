// SortAxis kernels: every element becomes an unsigned radix key that orders as the CPU's
// sort_less does (integers by value, floats with -0 == +0 and every NaN last), paired with
// its position in the row; cub::DeviceSegmentedRadixSort (stable) sorts each row; the
// values or uint32 positions are then written out. Partitions are full sorts (a valid
// partition; the CPU's nth_element leaves another valid order). Host side: sort.cpp.
#include <cub/device/device_segmented_radix_sort.cuh>

#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/atomic.cuh"
#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/backend/cuda/indexing_launch.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {

constexpr int kThreads = 256;

template <class T>
using KeyOf = std::conditional_t<
    sizeof(T) == 1, uint8_t,
    std::conditional_t<sizeof(T) == 2, uint16_t,
                       std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;

// An unsigned key whose order is sort_less's order of the values.
template <class T>
__device__ __forceinline__ KeyOf<T> sort_key(T value) {
  using K = KeyOf<T>;
  constexpr K sign = K(1) << (8 * sizeof(K) - 1);
  if constexpr (std::is_same_v<T, bool>) {
    return value ? 1 : 0;
  } else if constexpr (std::is_floating_point_v<T> || HalfFloat<T>) {
    if (isnan(static_cast<float>(value))) return static_cast<K>(~K(0));
    K bits = device::bits_as<K>(value);
    if (bits == sign) bits = 0;  // -0 orders with +0
    return (bits & sign) ? static_cast<K>(~bits) : static_cast<K>(bits | sign);
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<K>(static_cast<K>(value) ^ sign);
  } else {
    return static_cast<K>(value);
  }
}

template <class T>
__global__ void encode_kernel(const T* in, KeyOf<T>* keys, uint32_t* positions,
                              Layout<2> row_layout, int64_t size, int64_t length,
                              int64_t in_step) {
  for (int64_t u = device::thread_start(1); u < size; u += device::grid_stride(1)) {
    int64_t o[2];
    device::strided_offsets<2>(row_layout, u / length, o);
    const int64_t j = u % length;
    keys[u] = sort_key(in[o[0] + j * in_step]);
    positions[u] = static_cast<uint32_t>(j);
  }
}

__global__ void segment_offsets_kernel(int* offsets, int64_t rows, int64_t length) {
  for (int64_t r = device::thread_start(1); r <= rows; r += device::grid_stride(1)) {
    offsets[r] = static_cast<int>(r * length);
  }
}

template <class T>
__global__ void decode_kernel(const T* in, void* out, const uint32_t* positions, bool indices,
                              Layout<2> row_layout, int64_t size, int64_t length, int64_t in_step,
                              int64_t out_step) {
  for (int64_t u = device::thread_start(1); u < size; u += device::grid_stride(1)) {
    int64_t o[2];
    device::strided_offsets<2>(row_layout, u / length, o);
    const int64_t j = u % length;
    const uint32_t position = positions[u];
    if (indices) {
      static_cast<uint32_t*>(out)[o[1] + j * out_step] = position;
    } else {
      static_cast<T*>(out)[o[1] + j * out_step] = in[o[0] + position * in_step];
    }
  }
}

}  // namespace

void launch_sort_rows(Dtype dtype, bool indices, const void* in, void* out,
                      const Layout<2>& row_layout, int64_t rows, int64_t length, int64_t in_step,
                      int64_t out_step, void* (*scratch)(size_t bytes)) {
  const int64_t size = rows * length;
  if (size == 0) return;
  cudaStream_t stream = current_stream();
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using K = KeyOf<T>;
    auto* keys_in = static_cast<K*>(scratch(2 * size * sizeof(K)));
    K* keys_out = keys_in + size;
    auto* positions_in = static_cast<uint32_t*>(scratch(2 * size * sizeof(uint32_t)));
    uint32_t* positions_out = positions_in + size;
    auto* offsets = static_cast<int*>(scratch((rows + 1) * sizeof(int)));
    const T* src = static_cast<const T*>(in);
    encode_kernel<T><<<blocks_for(size, kThreads), kThreads, 0, stream>>>(
        src, keys_in, positions_in, row_layout, size, length, in_step);
    EMBER_CUDA_CHECK(cudaGetLastError());
    segment_offsets_kernel<<<blocks_for(rows + 1, kThreads), kThreads, 0, stream>>>(offsets, rows,
                                                                                  length);
    EMBER_CUDA_CHECK(cudaGetLastError());
    const int num_items = static_cast<int>(size);
    const int num_segments = static_cast<int>(rows);
    size_t workspace_bytes = 0;
    EMBER_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(
        nullptr, workspace_bytes, keys_in, keys_out, positions_in, positions_out, num_items,
        num_segments, offsets, offsets + 1, 0, static_cast<int>(8 * sizeof(K)), stream));
    void* workspace = scratch(workspace_bytes > 0 ? workspace_bytes : 1);
    EMBER_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(
        workspace, workspace_bytes, keys_in, keys_out, positions_in, positions_out, num_items,
        num_segments, offsets, offsets + 1, 0, static_cast<int>(8 * sizeof(K)), stream));
    decode_kernel<T><<<blocks_for(size, kThreads), kThreads, 0, stream>>>(
        src, out, positions_out, indices, row_layout, size, length, in_step, out_step);
    EMBER_CUDA_CHECK(cudaGetLastError());
    return true;
  });
  EMBER_INTERNAL_ASSERT(launched, "sort on the GPU with ", dtype);
}

}  // namespace ember::cuda
