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

// The chunk-after-chunk part of the chunked delta rule (fast/delta_chunked.cpp): the same
// split as above (a block takes 32 columns of one head's state, a lane a column, its four
// warps a quarter of the Dk rows each, held in registers for the whole sequence), stepping
// over chunks instead of steps. A chunk's row products (W S and Qd S: each row of W against
// the thread's rows of its column) meet across the warps in shared memory; U, the chunk's
// new values, stays there for attend U and the state update. The operand rows a warp reads
// are the same for its 32 lanes (broadcast loads of 16 bytes).
constexpr int kMaxChunk = 256;

template <int R>
__device__ __forceinline__ float row_dot(const float* row, const float (&s)[R], int first_row,
                                         int key_dim) {
  float sum = 0.0f;
#pragma unroll
  for (int r = 0; r < R; r += 4) {
    if (first_row + r < key_dim) {
      const float4 x = __ldg(reinterpret_cast<const float4*>(row + r));
      sum += x.x * s[r] + x.y * s[r + 1] + x.z * s[r + 2] + x.w * s[r + 3];
    }
  }
  return sum;
}

template <int R>
__global__ void __launch_bounds__(kColumns * kRowGroups)
    gated_delta_chunks_kernel(const DeltaChunksArgs args) {
  extern __shared__ float chunk_shared[];
  const int C = args.chunk, key_dim = args.key_dim, value_dim = args.value_dim;
  float* partial = chunk_shared;                         // [kRowGroups][C][kColumns]
  float* u_shared = chunk_shared + kRowGroups * C * kColumns;  // [C][kColumns]
  const int column_blocks = (value_dim + kColumns - 1) / kColumns;
  const int bh = blockIdx.x / column_blocks;
  const int lane = threadIdx.x % 32, group = threadIdx.x / 32;
  const int j = (blockIdx.x % column_blocks) * kColumns + lane;
  const bool active = j < value_dim;
  const int first_row = group * R;  // this thread's rows: first_row + r, r < R

  float s[R];
  const float* state_in = args.state_in + static_cast<int64_t>(bh) * key_dim * value_dim;
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int i = first_row + r;
    s[r] = active && i < key_dim ? state_in[static_cast<int64_t>(i) * value_dim + j] : 0.0f;
  }
  // Each warp's partial row products of the chunk's C rows, then their sums by row.
  auto row_products = [&](const float* m) {
    for (int c = 0; c < C; ++c) {
      partial[(group * C + c) * kColumns + lane] =
          row_dot<R>(m + static_cast<int64_t>(c) * key_dim + first_row, s, first_row, key_dim);
    }
  };
  auto summed = [&](int c) {
    float sum = 0.0f;
#pragma unroll
    for (int w = 0; w < kRowGroups; ++w) sum += partial[(w * C + c) * kColumns + lane];
    return sum;
  };
  for (int n = 0; n < args.chunks; ++n) {
    const int64_t row0 = (static_cast<int64_t>(bh) * args.chunks + n) * C;  // chunk's first row
    __syncthreads();  // the previous chunk's reads of partial and u_shared are done
    row_products(args.w + row0 * key_dim);
    __syncthreads();
    for (int c = group; c < C; c += kRowGroups) {  // U = U~ - W S
      const float w_s = summed(c);
      u_shared[c * kColumns + lane] =
          active ? args.u_free[(row0 + c) * value_dim + j] - w_s : 0.0f;
    }
    __syncthreads();
    row_products(args.q_decayed + row0 * key_dim);
    __syncthreads();
    for (int c = group; c < C; c += kRowGroups) {  // Y = Qd S + attend U
      float y = summed(c);
      const float* weights = args.attend + (row0 + c) * C;
      for (int c2 = 0; c2 <= c; c2 += 4) {  // attend is zero past c; C is a multiple of 4
        const float4 a = __ldg(reinterpret_cast<const float4*>(weights + c2));
        y += a.x * u_shared[c2 * kColumns + lane] + a.y * u_shared[(c2 + 1) * kColumns + lane] +
             a.z * u_shared[(c2 + 2) * kColumns + lane] + a.w * u_shared[(c2 + 3) * kColumns + lane];
      }
      if (active) args.y[(row0 + c) * value_dim + j] = y;
    }
    const float decay = args.chunk_decay[static_cast<int64_t>(bh) * args.chunks + n];
#pragma unroll
    for (int r = 0; r < R; ++r) s[r] *= decay;
    const float* k_rows = args.k_decayed + row0 * key_dim + first_row;
    for (int c = 0; c < C; ++c) {  // S = decay S + Kd^T U
      const float u = u_shared[c * kColumns + lane];
      const float* k = k_rows + static_cast<int64_t>(c) * key_dim;
#pragma unroll
      for (int r = 0; r < R; r += 4) {
        if (first_row + r < key_dim) {
          const float4 x = __ldg(reinterpret_cast<const float4*>(k + r));
          s[r] += x.x * u;
          s[r + 1] += x.y * u;
          s[r + 2] += x.z * u;
          s[r + 3] += x.w * u;
        }
      }
    }
  }
  if (active) {
    float* state_out = args.state_out + static_cast<int64_t>(bh) * key_dim * value_dim;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int i = first_row + r;
      if (i < key_dim) state_out[static_cast<int64_t>(i) * value_dim + j] = s[r];
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

bool launch_gated_delta_chunks(const DeltaChunksArgs& args) {
  if (args.key_dim > kMaxKeyDim || args.key_dim % 4 != 0 || args.chunk > kMaxChunk ||
      args.chunk % 4 != 0) {
    return false;
  }
  if (args.heads == 0 || args.value_dim == 0) return true;
  const int64_t blocks =
      static_cast<int64_t>(args.heads) * ((args.value_dim + kColumns - 1) / kColumns);
  const size_t shared = static_cast<size_t>(kRowGroups + 1) * args.chunk * kColumns * sizeof(float);
  const int rows = (args.key_dim + kRowGroups - 1) / kRowGroups;
  auto launch = [&](auto kernel) {
    EMBER_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(shared)));
    kernel<<<static_cast<unsigned int>(blocks), kColumns * kRowGroups, shared, current_stream()>>>(
        args);
  };
  if (rows <= 16) {
    launch(gated_delta_chunks_kernel<16>);
  } else if (rows <= 32) {
    launch(gated_delta_chunks_kernel<32>);
  } else {
    launch(gated_delta_chunks_kernel<64>);
  }
  EMBER_CUDA_CHECK(cudaGetLastError());
  return true;
}

}  // namespace ember::cuda
