// fast::gated_delta_rule and gated_delta_update on the GPU: one block per (batch, value head);
// thread j owns column j of the Dk x Dv float32 state, kept in shared memory for the whole
// sequence, so a step needs no reduction across threads (S^T k and S^T q are per-column
// sums). Each step stages q and k in shared memory (l2-normalising them with one block
// reduction each when asked) and every thread computes the step's gates itself
// (fast/delta_gates.h), so a decode step of a Gated DeltaNet layer is this one launch.
// Operands are read in place through their strides and dtypes. Sequential over time: right
// for decode and adequate for prefill; a chunked (WY) form is the next step.
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

__global__ void gated_delta_kernel(const GatedDeltaArgs args) {
  extern __shared__ float shared[];
  __shared__ float reduce_scratch[32];
  const int key_dim = args.key_dim, value_dim = args.value_dim;
  float* state = shared;                     // [Dk][Dv]
  float* qk = shared + key_dim * value_dim;  // q then k of this step, [2 Dk]
  const int bh = blockIdx.x;
  const int b = bh / args.value_heads, h = bh % args.value_heads;
  const int kh = h / (args.value_heads / args.key_heads);
  const int j = threadIdx.x;
  const bool active = j < value_dim;
  if (active) {
    for (int i = 0; i < key_dim; ++i) state[i * value_dim + j] = load(args.state_in, b, h, i, j);
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
    if (!active) continue;
    const float gate_a = load(args.gate_a, b, t, h, 0), gate_b = load(args.gate_b, b, t, h, 0);
    // From the logits: g = -exp(a_log) softplus(a + dt_bias), beta = sigmoid(b) rounded to
    // b's dtype, as the composition rounds them.
    const float g = args.gates_from_logits ? fast::delta_log_decay(gate_a, a_log, dt_bias) : gate_a;
    const float beta = args.gates_from_logits
                           ? device::round_float(args.gate_b.dtype, functors::Sigmoid{}(gate_b))
                           : gate_b;
    const float decay = expf(g);
    float memory = 0.0f;
    for (int i = 0; i < key_dim; ++i) {
      const float s = state[i * value_dim + j] * decay;
      state[i * value_dim + j] = s;
      memory += s * qk[key_dim + i];
    }
    const float delta = (load(args.v, b, t, h, j) - memory) * beta;
    float out = 0.0f;
    for (int i = 0; i < key_dim; ++i) {
      const float s = state[i * value_dim + j] + qk[key_dim + i] * delta;
      state[i * value_dim + j] = s;
      out += s * qk[i];
    }
    const int64_t value_row = (static_cast<int64_t>(b) * args.steps + t) * args.value_heads + h;
    device::store_float(args.y, args.y_dtype, value_row * value_dim + j, out);
  }
  if (active) {
    const int64_t state_base = static_cast<int64_t>(bh) * key_dim * value_dim;
    for (int i = 0; i < key_dim; ++i) {
      args.state_out[state_base + i * value_dim + j] = state[i * value_dim + j];
    }
  }
}

}  // namespace

bool launch_gated_delta_rule(const GatedDeltaArgs& args) {
  const int threads = ((args.value_dim + 31) / 32) * 32;
  const size_t shared_bytes =
      sizeof(float) * (static_cast<size_t>(args.key_dim) * args.value_dim + 2 * args.key_dim);
  int device = 0, max_shared = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&device));
  EMBER_CUDA_CHECK(
      cudaDeviceGetAttribute(&max_shared, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  // The static reduction scratch shares the block's shared memory with the state.
  const size_t static_bytes = 32 * sizeof(float);
  if (threads > 1024 || shared_bytes + static_bytes > static_cast<size_t>(max_shared)) return false;
  if (args.batch == 0 || args.value_heads == 0 || args.value_dim == 0) return true;
  EMBER_CUDA_CHECK(cudaFuncSetAttribute(gated_delta_kernel,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shared_bytes)));
  gated_delta_kernel<<<args.batch * args.value_heads, threads, shared_bytes, current_stream()>>>(
      args);
  EMBER_CUDA_CHECK(cudaGetLastError());
  return true;
}

}  // namespace ember::cuda
