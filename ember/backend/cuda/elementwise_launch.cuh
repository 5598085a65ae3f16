// Launchers shared by unary.cu, binary.cu and ternary.cu: pick the flat or strided kernel
// for one functor and dtype, and check the launch. Included by .cu files only.
#pragma once

#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/elementwise.cuh"
#include "ember/backend/cuda/gpu_dispatch.h"

namespace ember::cuda {

// 128 threads a block, each one 16-byte vector of every operand (as PyTorch's vectorized
// kernel): 0.7% faster than 256 on H200 for a 256M-element bf16 add (kernel_variants).
inline constexpr int kElementwiseThreads = 128;

template <class Kernel, class Args>
void launch_elementwise(Kernel kernel, const Args& args, int64_t work) {
  if (args.size == 0) return;
  kernel<<<blocks_for(work, kElementwiseThreads), kElementwiseThreads, 0, current_stream()>>>(args);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

template <class Op>
bool launch_unary(Dtype dtype, const FlatArgs<1>* flat, const StridedArgs<1>* strided) {
  return dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_invocable_v<const Op&, T>) {
      using Out = std::invoke_result_t<const Op&, T>;
      if (flat) {
        constexpr int W = device::kVectorWidth<Out, T>;
        launch_elementwise(device::unary_flat<Op, Out, T>, *flat, (flat->size + W - 1) / W);
      } else {
        launch_elementwise(device::unary_strided<Op, Out, T>, *strided, strided->size);
      }
      return true;
    } else {
      return false;
    }
  });
}

template <class Op>
bool launch_binary(Dtype dtype, const FlatArgs<2>* flat, const StridedArgs<2>* strided) {
  return dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_invocable_v<const Op&, T, T>) {
      using Out = std::invoke_result_t<const Op&, T, T>;
      if (flat) {
        constexpr int W = device::kVectorWidth<Out, T>;
        launch_elementwise(device::binary_flat<Op, Out, T, T>, *flat, (flat->size + W - 1) / W);
      } else {
        launch_elementwise(device::binary_strided<Op, Out, T, T>, *strided, strided->size);
      }
      return true;
    } else {
      return false;
    }
  });
}

template <class Op>
bool launch_ternary(Dtype dtype, const FlatArgs<3>* flat, const StridedArgs<3>* strided) {
  return dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_invocable_v<const Op&, bool, T, T>) {
      using Out = std::invoke_result_t<const Op&, bool, T, T>;
      if (flat) {
        constexpr int W = device::kVectorWidth<Out, bool, T>;
        launch_elementwise(device::ternary_flat<Op, Out, bool, T, T>, *flat,
                           (flat->size + W - 1) / W);
      } else {
        launch_elementwise(device::ternary_strided<Op, Out, bool, T, T>, *strided,
                           strided->size);
      }
      return true;
    } else {
      return false;
    }
  });
}

}  // namespace ember::cuda
