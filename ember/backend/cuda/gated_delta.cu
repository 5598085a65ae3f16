// fast::gated_delta_rule and gated_delta_update on the GPU. The columns of a head's Dk x Dv
// float32 state are independent (S^T k and S^T q are per-column sums), so a block takes 32
// of them, a lane a column, and its four warps split the Dk rows: each thread keeps its
// rows of its column in registers for the whole sequence, and a step's two column sums meet
// in shared memory. A decode step of Qwen3.5's 16 value heads is 64 blocks whose loads of
// the state are all coalesced and in flight at once (one block per head, a thread per
// column looping over all rows in shared memory, took 64 us a layer on an H200). Each step
// stages q and k in shared memory (l2-normalising them with one block reduction each when
// asked), and every thread computes the step's gates itself (fast/delta_gates.h), so a
// decode step of a Gated DeltaNet layer is this one launch. Operands are read in place
// through their strides and dtypes. Sequential over time: right for decode and adequate for
// prefill; a chunked (WY) form is the next step for long prompts.
#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/dynamic_float.cuh"
#include "ember/backend/cuda/device/reduce.cuh"
#include "ember/backend/cuda/fast_launch.h"
#include "ember/fast/delta_gates.h"

namespace ember::cuda {
namespace {

struct Add {
  __device__ float operator()(float a, float b) const { return a + b; }
};

__device__ __forceinline__ float load(const FloatOperand& x, int64_t i0, int64_t i1, int64_t i2,
                                      int64_t i3) {
  return device::load_float(
      x.data, x.dtype,
      i0 * x.strides[0] + i1 * x.strides[1] + i2 * x.strides[2] + i3 * x.strides[3]);
}

// Stages step t's q and k rows of key head kh in qk ([2 Dk]), l2-normalised as
// gated_delta_update's rms_norm composition computes it when args.normalize_qk. Every thread
// of the block calls it.
__device__ void stage_qk(const GatedDeltaArgs& args, int b, int t, int kh, float* qk,
                         float* reduce_scratch) {
  const int key_dim = args.key_dim;
  float q_squares = 0.0f, k_squares = 0.0f;
  for (int i = threadIdx.x; i < key_dim; i += blockDim.x) {
    const float qi = load(args.q, b, t, kh, i), ki = load(args.k, b, t, kh, i);
    qk[i] = qi;
    qk[key_dim + i] = ki;
    q_squares += qi * qi;
    k_squares += ki * ki;
  }
  if (!args.normalize_qk) return;
  q_squares = device::row_reduce(q_squares, Add{}, reduce_scratch);
  k_squares = device::row_reduce(k_squares, Add{}, reduce_scratch);
  const fast::QkNorm norm = fast::qk_norm_constants(key_dim);
  const float inv_length = 1.0f / static_cast<float>(key_dim);
  const float q_scale = 1.0f / sqrtf(q_squares * inv_length + norm.eps);
  const float k_scale = 1.0f / sqrtf(k_squares * inv_length + norm.eps);
  for (int i = threadIdx.x; i < key_dim; i += blockDim.x) {
    qk[i] = norm.q_weight * (qk[i] * q_scale);
    qk[key_dim + i] = norm.k_weight * (qk[key_dim + i] * k_scale);
  }
}

constexpr int kColumns = 32;     // value columns of a block: a lane each
constexpr int kRowGroups = 4;    // warps of a block: each takes a quarter of the Dk rows
constexpr int kMaxKeyDim = 256;  // Dk this kernel takes (64 state rows a thread)

// R: the state rows a thread keeps, ceil(Dk / kRowGroups) rounded up to 16, 32 or 64.
template <int R>
__global__ void __launch_bounds__(kColumns * kRowGroups)
    gated_delta_kernel(const GatedDeltaArgs args) {
  __shared__ float qk[2 * kMaxKeyDim];                // this step's q, then k
  __shared__ float memory_sh[kRowGroups][kColumns];  // partial S^T k of each row group
  __shared__ float out_sh[kRowGroups][kColumns];     // partial S^T q
  __shared__ float reduce_scratch[32];
  const int key_dim = args.key_dim, value_dim = args.value_dim;
  const int column_blocks = (value_dim + kColumns - 1) / kColumns;
  const int bh = blockIdx.x / column_blocks;
  const int b = bh / args.value_heads, h = bh % args.value_heads;
  const int kh = h / (args.value_heads / args.key_heads);
  const int lane = threadIdx.x % 32, group = threadIdx.x / 32;
  const int j = (blockIdx.x % column_blocks) * kColumns + lane;
  const bool active = j < value_dim;
  const int first_row = group * R;  // this thread's rows: first_row + r, r < R

  const auto* state_in = static_cast<const float*>(args.state_in.data);
  const int64_t* in_strides = args.state_in.strides;
  float state[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int i = first_row + r;
    state[r] = active && i < key_dim ? state_in[b * in_strides[0] + h * in_strides[1] +
                                                i * in_strides[2] + j * in_strides[3]]
                                     : 0.0f;
  }
  float a_log = 0.0f, dt_bias = 0.0f;
  if (args.gates_from_logits) {
    a_log = device::load_float(args.a_log.data, args.a_log.dtype, h * args.a_log.strides[0]);
    dt_bias =
        device::load_float(args.dt_bias.data, args.dt_bias.dtype, h * args.dt_bias.strides[0]);
  }
  for (int t = 0; t < args.steps; ++t) {
    __syncthreads();  // the previous step's reads of qk are done
    stage_qk(args, b, t, kh, qk, reduce_scratch);
    __syncthreads();
    const float gate_a = load(args.gate_a, b, t, h, 0), gate_b = load(args.gate_b, b, t, h, 0);
    // From the logits: g = -exp(a_log) softplus(a + dt_bias), beta = sigmoid(b) rounded to
    // b's dtype, as the composition rounds them.
    const float g = args.gates_from_logits ? fast::delta_log_decay(gate_a, a_log, dt_bias) : gate_a;
    const float beta = args.gates_from_logits
                           ? device::round_float(args.gate_b.dtype, functors::Sigmoid{}(gate_b))
                           : gate_b;
    const float decay = expf(g);
    const float* k = qk + key_dim;
    float memory = 0.0f;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      state[r] *= decay;
      if (first_row + r < key_dim) memory += state[r] * k[first_row + r];
    }
    memory_sh[group][lane] = memory;
    __syncthreads();
    memory = 0.0f;
#pragma unroll
    for (int w = 0; w < kRowGroups; ++w) memory += memory_sh[w][lane];
    const float v = active ? load(args.v, b, t, h, j) : 0.0f;
    const float delta = (v - memory) * beta;
    float out = 0.0f;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      if (first_row + r < key_dim) {
        state[r] += k[first_row + r] * delta;
        out += state[r] * qk[first_row + r];
      }
    }
    out_sh[group][lane] = out;
    __syncthreads();
    if (group == 0 && active) {
      out = 0.0f;
#pragma unroll
      for (int w = 0; w < kRowGroups; ++w) out += out_sh[w][lane];
      const int64_t value_row = (static_cast<int64_t>(b) * args.steps + t) * args.value_heads + h;
      device::store_float(args.y, args.y_dtype, value_row * value_dim + j, out);
    }
  }
  if (active) {
    const int64_t state_base = static_cast<int64_t>(bh) * key_dim * value_dim;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int i = first_row + r;
      if (i < key_dim) args.state_out[state_base + static_cast<int64_t>(i) * value_dim + j] = state[r];
    }
  }
}

}  // namespace

bool launch_gated_delta_rule(const GatedDeltaArgs& args) {
  if (args.key_dim > kMaxKeyDim) return false;
  if (args.batch == 0 || args.value_heads == 0 || args.value_dim == 0) return true;
  const int64_t blocks = static_cast<int64_t>(args.batch) * args.value_heads *
                         ((args.value_dim + kColumns - 1) / kColumns);
  const int rows = (args.key_dim + kRowGroups - 1) / kRowGroups;
  auto launch = [&](auto kernel) {
    kernel<<<static_cast<unsigned int>(blocks), kColumns * kRowGroups, 0, current_stream()>>>(args);
  };
  if (rows <= 16) {
    launch(gated_delta_kernel<16>);
  } else if (rows <= 32) {
    launch(gated_delta_kernel<32>);
  } else {
    launch(gated_delta_kernel<64>);
  }
  EMBER_CUDA_CHECK(cudaGetLastError());
  return true;
}

}  // namespace ember::cuda
