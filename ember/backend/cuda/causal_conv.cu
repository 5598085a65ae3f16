// fast::causal_conv1d_update on the GPU: one thread per (batch, channel, run of up to
// kStepsPerThread steps), so a decode step (T = 1) is one pass over the channels and a prefill
// spreads over T as well. Each output sums its K products with the taps in float32, rounds
// to x's dtype and, with silu, applies silu in float32 and rounds again, as the composition
// (fast/reference.h) does; threads of the first run also write the next state. x and the
// state are read in place through their strides (x is usually a column slice of a
// projection), the taps and bias through theirs in any float dtype.
#include <algorithm>
#include <type_traits>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/dynamic_float.cuh"
#include "ember/backend/cuda/fast_launch.h"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/core/errors.h"
#include "ember/core/primitives/functors.h"

namespace ember::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kStepsPerThread = 16;

// Element p of the padded sequence [state (K-1 rows), x (T rows)] at (b, c), as float.
template <class T>
__device__ __forceinline__ float padded_input(const CausalConvArgs& args, int b, int p, int c) {
  const int history = args.taps - 1;
  const FloatOperand& source = p < history ? args.state : args.x;
  const int row = p < history ? p : p - history;
  const int64_t offset = b * source.strides[0] + row * source.strides[1] + c * source.strides[2];
  return static_cast<float>(static_cast<const T*>(source.data)[offset]);
}

template <class T>
__global__ void causal_conv_kernel(const CausalConvArgs args) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= args.channels) return;
  const int b = blockIdx.z;
  const int first = blockIdx.y * kStepsPerThread;
  const int last = min(first + kStepsPerThread, args.steps);
  const float bias = args.bias.data != nullptr ? device::load_float(args.bias.data, args.bias.dtype,
                                                                    c * args.bias.strides[0])
                                               : 0.0f;
  T* out = static_cast<T*>(args.out);
  for (int t = first; t < last; ++t) {
    float sum = 0.0f;
    for (int i = 0; i < args.taps; ++i) {
      const float tap = device::load_float(args.weight.data, args.weight.dtype,
                                           i * args.weight.strides[0] + c * args.weight.strides[1]);
      sum += padded_input<T>(args, b, t + i, c) * tap;
    }
    if (args.bias.data != nullptr) sum += bias;
    T conv = static_cast<T>(sum);
    if (args.silu) {
      const float value = static_cast<float>(conv);
      conv = static_cast<T>(value * functors::Sigmoid{}(value));
    }
    out[(static_cast<int64_t>(b) * args.steps + t) * args.channels + c] = conv;
  }
  if (blockIdx.y == 0) {
    // The next state: the last K-1 rows of the padded sequence.
    T* next = static_cast<T*>(args.next_state);
    const int history = args.taps - 1;
    for (int r = 0; r < history; ++r) {
      next[(static_cast<int64_t>(b) * history + r) * args.channels + c] =
          static_cast<T>(padded_input<T>(args, b, args.steps + r, c));
    }
  }
}

}  // namespace

void launch_causal_conv1d_update(const CausalConvArgs& args) {
  if (args.batch == 0 || args.channels == 0) return;
  const int runs = std::max(1, (args.steps + kStepsPerThread - 1) / kStepsPerThread);
  const dim3 grid((args.channels + kThreads - 1) / kThreads, runs, args.batch);
  const bool launched = dispatch_gpu_type(args.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (HalfFloat<T> || std::is_same_v<T, float>) {
      causal_conv_kernel<T><<<grid, kThreads, 0, current_stream()>>>(args);
      return true;
    } else {
      return false;
    }
  });
  EMBER_INTERNAL_ASSERT(launched, "[CausalConv1dUpdate] no kernel for ", args.dtype);
  EMBER_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ember::cuda
