// Launchers of the fused ops' kernels (gated_delta.cu), called by fast.cpp's eval_gpu.
#pragma once

#include <cstdint>

namespace ember::cuda {

/// The gated delta rule (fast/fast.h) over float32, row-contiguous inputs: q, k [B, T, Hk,
/// Dk], v [B, T, Hv, Dv], g, beta [B, T, Hv], state_in [B, Hv, Dk, Dv]; writes y [B, T, Hv,
/// Dv] and state_out. Returns false if Dv or the state's size exceed one block's limits.
bool launch_gated_delta_rule(const float* q, const float* k, const float* v, const float* g,
                             const float* beta, const float* state_in, float* y, float* state_out,
                             int batch, int steps, int key_heads, int value_heads, int key_dim,
                             int value_dim);

}  // namespace ember::cuda
