// Fused ops with a reference fallback (MLX's mlx/fast.h): normalisation, rotary embeddings,
// attention, the gated delta rule and a causal conv step. Each op's result equals the
// composition of plain ops it documents; backends may replace that composition with a fused
// kernel.
//
//   array y = fast::rms_norm(x, weight, 1e-6f);
//   array q2 = fast::rope(q, 64, /*traditional=*/false, 10000.0f, 1.0f, offset);
//   array o = fast::scaled_dot_product_attention(q2, k, v, 1.0f / std::sqrt(64.0f), "causal");
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember::fast {

/// x * rsqrt(mean(x^2, -1) + eps), computed in float32, cast back to x's dtype and scaled by
/// `weight` (shape [x.shape(-1)]) when given. The output dtype is x's promoted with weight's.
array rms_norm(const array& x, const std::optional<array>& weight, float eps,
               StreamOrDevice s = {});

/// rms_norm computed wholly in float32 and rounded once to `dtype`: astype(rms_norm(
/// astype(x, float32), astype(weight, float32), eps), dtype) as one node (an ember
/// extension). Checkpoints whose norm weights are stored centred on zero (Qwen3.5,
/// Qwen3-Next: the forward scales by 1 + w in float32) specify their norms this way.
/// `dtype` must be floating.
array rms_norm_float32(const array& x, const std::optional<array>& weight, float eps, Dtype dtype,
                       StreamOrDevice s = {});

/// The gated RMSNorm of Gated DeltaNet's output: silu(gate) * rms_norm(x, weight, eps),
/// the product in float32 and rounded once to rms_norm's output dtype (an ember extension;
/// fla's FusedRMSNormGated with the swish activation, transformers' Qwen3_5RMSNormGated).
/// gate has x's shape; any floating dtype and layout.
array rms_norm_gated(const array& x, const array& gate, const std::optional<array>& weight,
                     float eps, StreamOrDevice s = {});

/// (x - mean) * rsqrt(var + eps) over the last axis in float32, then * weight + bias.
array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s = {});

/// Rotary position embedding of the first `dims` features of x ([..., L, D]); position l of
/// the second-to-last axis is offset + l, and its angle for pair i is position * scale *
/// inv_freq[i] with inv_freq[i] = base^(-2i/dims), or 1 / freqs[i] when `freqs` (dims/2
/// periods) is given (then base must be nullopt). traditional pairs adjacent features
/// (2i, 2i+1); otherwise feature i pairs with i + dims/2 (the rotate-half layout of HF).
/// Features past `dims` pass through unchanged.
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs = std::nullopt, StreamOrDevice s = {});

/// rope at an offset held in a scalar (or [1]) array of any integer dtype, read on the
/// device when the op runs rather than when it is built, so that a captured CUDA graph
/// (core/capture.h) taking the offset as an input replays RoPE at a position that changes
/// from call to call. Otherwise the rope above at the offset's value, cast to int32.
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs = std::nullopt,
           StreamOrDevice s = {});

/// rope(rms_norm(x, weight, eps), ...) as one node (an ember extension: the per-head q and
/// k norms of Qwen3 and Qwen3.5 attention come right before their RoPE); with float32_norm,
/// rope(rms_norm_float32(x, weight, eps, x.dtype()), ...). The output has x's dtype; a
/// weight that would promote it is an error. The offset as rope's: an int, or an integer
/// scalar array read when the op runs.
array rms_norm_rope(const array& x, const array& weight, float eps, bool float32_norm, int dims,
                    bool traditional, std::optional<float> base, float scale, int offset,
                    const std::optional<array>& freqs = std::nullopt, StreamOrDevice s = {});
array rms_norm_rope(const array& x, const array& weight, float eps, bool float32_norm, int dims,
                    bool traditional, std::optional<float> base, float scale, const array& offset,
                    const std::optional<array>& freqs = std::nullopt, StreamOrDevice s = {});

/// softmax(q k^T * scale + mask) v for q [B, Hq, L, D], k [B, Hkv, S, D], v [B, Hkv, S, Dv]
/// with Hq a multiple of Hkv (grouped-query attention). mask_mode "causal" lets query l
/// attend to keys up to S - L + l; "array" uses mask_arr, broadcastable to [B, Hq, L, S]:
/// boolean (true keeps) or additive. Scores and softmax are float32.
array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   float scale, const std::string& mask_mode = "",
                                   const std::optional<array>& mask_arr = std::nullopt,
                                   StreamOrDevice s = {});

/// silu(gate) * up, the gate of a SwiGLU feed-forward (Shazeer, "GLU Variants Improve
/// Transformer", 2020), as one elementwise node computed in float32 and rounded once
/// (an ember extension: MLX composes it). Inputs broadcast; real floating dtypes only.
array swiglu(const array& gate, const array& up, StreamOrDevice s = {});

/// swiglu(a, b) of [a | b] = matmul(x, w), the halves along the last axis: a SwiGLU
/// feed-forward's gate and up projections from one [D, 2 I] weight (an ember extension).
/// On the GPU, for at most 8 rows of x (decode), one GEMV kernel that computes both halves
/// and writes only the [..., I] result; elsewhere the composition. x and w real floating.
array matmul_swiglu(const array& x, const array& w, StreamOrDevice s = {});

/// The gated delta rule (Yang et al., "Gated Delta Networks", 2024) over a sequence, as a
/// recurrence with a float32 state per head: for each step t and value head h,
///   S = S * exp(g[t]);  S += k[t] (beta[t] * (v[t] - S^T k[t]))^T;  y[t] = S^T q[t].
/// q, k: [B, T, Hk, Dk]; v: [B, T, Hv, Dv] with Hv a multiple of Hk (value head h reads key
/// head h / (Hv / Hk)); g (log decay), beta: [B, T, Hv]; state: [B, Hv, Dk, Dv] float32.
/// q and k are used as given (normalise and scale them first). Returns {y [B, T, Hv, Dv]
/// in v's dtype, the final state (float32)}. On the GPU a sequence of 256 steps or more
/// runs in chunks (fast/delta_chunked.h, EMBER_DELTA_CHUNK): the same function in float32,
/// summed in another order.
std::pair<array, array> gated_delta_rule(const array& q, const array& k, const array& v,
                                         const array& g, const array& beta, const array& state,
                                         StreamOrDevice s = {});

/// gated_delta_rule with Gated DeltaNet's gates, and optionally its q/k normalisation,
/// computed from the raw projections (an ember extension after mlx-lm's gated_delta_update
/// and fla's use_qk_l2norm_in_kernel): a, b [B, T, Hv]; a_log, dt_bias [Hv]. It equals
///   beta = sigmoid(b)                                         (rounded to b's dtype)
///   g = -exp(a_log) * softplus(a + dt_bias)      (a, a_log and dt_bias as float32;
///       softplus(x) = x > 20 ? x : log1p(exp(x)))
///   q = rms_norm(astype(q, float32), full([Dk], 1 / Dk), 1e-6 / Dk)        if normalize_qk
///   k = rms_norm(astype(k, float32), full([Dk], 1 / sqrt(Dk)), 1e-6 / Dk)  if normalize_qk
///   gated_delta_rule(q, k, v, g, beta, state)
/// that is, fla's l2norm x * rsqrt(sum(x^2) + 1e-6) of q and k, q also scaled by Dk^-1/2.
/// Shapes as gated_delta_rule's; inputs may be strided views. Returns {y [B, T, Hv, Dv] in
/// v's dtype, the final state (float32)}.
std::pair<array, array> gated_delta_update(const array& q, const array& k, const array& v,
                                           const array& a, const array& b, const array& a_log,
                                           const array& dt_bias, const array& state,
                                           bool normalize_qk, StreamOrDevice s = {});

/// One call of a causal depthwise conv over a sequence that continues from `state` (an ember
/// extension with the semantics of the causal_conv1d package's causal_conv1d_update, but
/// functional): x [B, T, C], state [B, K-1, C] (the K-1 inputs before x), weight [K, C] (tap
/// i multiplies input t - (K-1) + i), bias [C] or none. With p = concatenate({state, x}, 1):
///   out[b, t, c] = sum_i p[b, t + i, c] * weight[i, c] + bias[c]
/// products and sum in float32, rounded to x's dtype, then with `silu` silu(out) computed in
/// float32 and rounded once (as conv1d then F.silu in 16 bits). Returns {out [B, T, C] in
/// x's dtype, the next state [B, K-1, C] = the last K-1 rows of p, in x's dtype}. x may be
/// a strided view (a column slice of a projection).
std::pair<array, array> causal_conv1d_update(const array& x, const array& state,
                                             const array& weight, const std::optional<array>& bias,
                                             bool silu, StreamOrDevice s = {});

// ---- Custom CUDA kernels (MLX's mx.fast.cuda_kernel) ----

/// A template argument of a custom kernel: an int, a bool or a dtype (a type name).
using TemplateArg = std::variant<int, bool, Dtype>;

/// A kernel made by cuda_kernel(). Calling it builds one lazy node with one output per
/// output name (nothing compiles or runs until eval):
///   inputs         arrays for input_names, in order (any dtype but complex64)
///   output_shapes, output_dtypes   one per output name; outputs are row-contiguous
///   grid           threads in x, y, z (as in metal_kernel: blocks = ceil(grid / threadgroup))
///   threadgroup    threads per block (at most 1024 in all)
///   template_args  name -> value: `int N` / `bool B` become constexprs and a dtype `T` a
///                  type alias in the kernel body; each distinct set is its own module
///   init_value     fills every output with this value before the kernel runs
///   verbose        prints the generated source to stderr when it is compiled
/// Runs on the GPU only: evaluating it on a CPU stream throws NotImplementedError.
class CustomKernelFunction {
 public:
  struct Spec {
    std::string name;
    std::vector<std::string> input_names;
    std::vector<std::string> output_names;
    std::string source;
    std::string header;
    bool ensure_row_contiguous = true;
    int shared_memory = 0;
    bool atomic_outputs = false;
  };
  explicit CustomKernelFunction(std::shared_ptr<const Spec> spec) : spec_(std::move(spec)) {}
  std::vector<array> operator()(
      const std::vector<array>& inputs, const std::vector<Shape>& output_shapes,
      const std::vector<Dtype>& output_dtypes, std::tuple<int, int, int> grid,
      std::tuple<int, int, int> threadgroup,
      const std::vector<std::pair<std::string, TemplateArg>>& template_args = {},
      std::optional<float> init_value = std::nullopt, bool verbose = false,
      StreamOrDevice s = {}) const;

 private:
  std::shared_ptr<const Spec> spec_;
};

/// A JIT-compiled custom CUDA kernel from the *body* of a CUDA C++ function (MLX's
/// mx.fast.cuda_kernel); ember generates the signature:
///   - each input `x` as `const T* x` (T its dtype's CUDA type: float, __half,
///     __nv_bfloat16, int32_t, bool, ...), and, only where the source uses them,
///     `x_shape` (int32_t values), `x_strides` (int64_t, in elements) and `int x_ndim`;
///     `x_shape[i]` reads like an array (passed by value, so no device buffer);
///   - each output `y` as `T* y` (row-contiguous, of the dtype given at the call).
/// `header` goes before the kernel (helpers, includes). `ensure_row_contiguous` copies
/// strided inputs first. `shared_memory` is the dynamic shared memory in bytes (declare it
/// `extern __shared__ char smem[];`). `atomic_outputs` exists for metal_kernel parity: CUDA
/// atomics act on plain pointers, so outputs are `T*` either way. The body may use
/// ember_elem_to_loc(index, x_shape, x_strides, x_ndim) and cooperative_groups.
/// A compile error is thrown at eval as ember::CompileError, naming the kernel, with the
/// NVRTC log. Modules are cached in memory and on disk (EMBER_CUDA_JIT_CACHE).
///
///   auto k = fast::cuda_kernel("myexp", {"inp"}, {"out"},
///       "auto i = blockIdx.x * blockDim.x + threadIdx.x;\n"
///       "if (i < inp_shape[0]) out[i] = exp(inp[i]);");
///   array y = k({x}, {x.shape()}, {float32}, {n, 1, 1}, {256, 1, 1})[0];
CustomKernelFunction cuda_kernel(const std::string& name,
                                 const std::vector<std::string>& input_names,
                                 const std::vector<std::string>& output_names,
                                 const std::string& source, const std::string& header = "",
                                 bool ensure_row_contiguous = true, int shared_memory = 0,
                                 bool atomic_outputs = false);

}  // namespace ember::fast
