// fast::gated_delta_rule on the GPU: one block per (batch, value head); thread j owns column
// j of the Dk x Dv float32 state, kept in shared memory for the whole sequence, so a step
// needs no reduction across threads (S^T k and S^T q are per-column sums). Sequential over
// time: right for decode and adequate for prefill; a chunked (WY) form is the next step.
#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/fast_launch.h"

namespace ember::cuda {
namespace {

__global__ void gated_delta_kernel(const float* __restrict__ q, const float* __restrict__ k,
                                   const float* __restrict__ v, const float* __restrict__ g,
                                   const float* __restrict__ beta,
                                   const float* __restrict__ state_in, float* __restrict__ y,
                                   float* __restrict__ state_out, int steps, int key_heads,
                                   int value_heads, int key_dim, int value_dim) {
  extern __shared__ float shared[];
  float* state = shared;                        // [Dk][Dv]
  float* qk = shared + key_dim * value_dim;     // q then k of this step, [2 Dk]
  const int bh = blockIdx.x;
  const int b = bh / value_heads, h = bh % value_heads;
  const int kh = h / (value_heads / key_heads);
  const int j = threadIdx.x;
  const bool active = j < value_dim;
  const int64_t state_base = static_cast<int64_t>(bh) * key_dim * value_dim;
  if (active) {
    for (int i = 0; i < key_dim; ++i) state[i * value_dim + j] = state_in[state_base + i * value_dim + j];
  }
  for (int t = 0; t < steps; ++t) {
    const int64_t key_row = (static_cast<int64_t>(b) * steps + t) * key_heads + kh;
    const int64_t value_row = (static_cast<int64_t>(b) * steps + t) * value_heads + h;
    __syncthreads();  // the previous step's reads of qk are done
    for (int i = threadIdx.x; i < key_dim; i += blockDim.x) {
      qk[i] = q[key_row * key_dim + i];
      qk[key_dim + i] = k[key_row * key_dim + i];
    }
    __syncthreads();
    if (active) {
      const float decay = __expf(g[value_row]);
      const float bt = beta[value_row];
      float memory = 0.0f;
      for (int i = 0; i < key_dim; ++i) {
        float s = state[i * value_dim + j] * decay;
        state[i * value_dim + j] = s;
        memory += s * qk[key_dim + i];
      }
      const float delta = (v[value_row * value_dim + j] - memory) * bt;
      float out = 0.0f;
      for (int i = 0; i < key_dim; ++i) {
        float s = state[i * value_dim + j] + qk[key_dim + i] * delta;
        state[i * value_dim + j] = s;
        out += s * qk[i];
      }
      y[value_row * value_dim + j] = out;
    }
  }
  if (active) {
    for (int i = 0; i < key_dim; ++i) state_out[state_base + i * value_dim + j] = state[i * value_dim + j];
  }
}

}  // namespace

bool launch_gated_delta_rule(const float* q, const float* k, const float* v, const float* g,
                             const float* beta, const float* state_in, float* y, float* state_out,
                             int batch, int steps, int key_heads, int value_heads, int key_dim,
                             int value_dim) {
  const int threads = ((value_dim + 31) / 32) * 32;
  const size_t shared_bytes = sizeof(float) * (static_cast<size_t>(key_dim) * value_dim + 2 * key_dim);
  int device = 0, max_shared = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&device));
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&max_shared, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (threads > 1024 || shared_bytes > static_cast<size_t>(max_shared)) return false;
  if (batch == 0 || value_heads == 0) return true;
  EMBER_CUDA_CHECK(cudaFuncSetAttribute(gated_delta_kernel,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shared_bytes)));
  gated_delta_kernel<<<batch * value_heads, threads, shared_bytes, current_stream()>>>(
      q, k, v, g, beta, state_in, y, state_out, steps, key_heads, value_heads, key_dim, value_dim);
  EMBER_CUDA_CHECK(cudaGetLastError());
  return true;
}

}  // namespace ember::cuda
