// Note [Chunked delta rule]
// The recurrence of fast::gated_delta_rule, per head, with S the Dk x Dv state:
//   S_t = exp(g_t) S_{t-1} + k_t u_t^T,   u_t = beta_t (v_t - exp(g_t) S_{t-1}^T k_t),
//   y_t = S_t^T q_t.
// Within a chunk of C steps that starts from state S0, let G_t = g_1 + ... + g_t (the
// cumulative log decay) and gamma_t = exp(G_t). Unrolling the recurrence gives
//   S_t = gamma_t S0 + sum_{s<=t} exp(G_t - G_s) k_s u_s^T,
// so the u_t of the chunk solve a unit lower-triangular system, (I + A) U = diag(beta) V
// - diag(beta gamma) K S0 with A[t][s] = beta_t exp(G_t - G_s) k_t.k_s for s < t. With
// T = (I + A)^-1, U~ = T diag(beta) V and W = T diag(beta gamma) K (both independent of S0):
//   U = U~ - W S0
//   Y = diag(gamma) Q S0 + (M o Q K^T) U,    M[t][s] = exp(G_t - G_s) for s <= t, else 0
//   S_C = gamma_C S0 + (diag(exp(G_C - G)) K)^T U
// (the "WY" form of Yang et al., "Parallelizing Linear Transformers with the Delta Rule over
// Sequence Length", 2024, and of fla's chunk_gated_delta_rule). Everything but the last
// three lines runs at once for all chunks and heads as batched matrix products; the three
// lines run chunk after chunk, N = T / C times, where the recurrence runs T times.
// A is strictly lower triangular, so A^C = 0 and (I + A)^-1 is the finite Neumann series
// sum_{n<C} (-A)^n = (I - A)(I + A^2)(I + A^4)...: log2(C) squarings and as many products.
// Exponents are formed as differences G_t - G_s first, and masked to -inf above the
// diagonal before exp, so no exp(G) of a long chunk overflows (exp(G_t) alone only
// underflows, towards its true tiny value). A sequence that is not a multiple of C is
// padded with zero steps (k = v = q = beta = g = 0: u = 0, the state carries through).
#include "ember/fast/delta_chunked.h"

#include <cmath>
#include <limits>
#include <vector>

#include "ember/core/ops.h"

namespace ember::fast::detail {

std::pair<array, array> gated_delta_chunked(const array& q, const array& k, const array& v,
                                            const array& g, const array& beta, const array& state,
                                            int chunk, StreamOrDevice s) {
  const int batch = q.shape(0), steps = q.shape(1), key_heads = q.shape(2), key_dim = q.shape(3);
  const int heads = v.shape(2), value_dim = v.shape(3), group = heads / key_heads;
  const int chunks = (steps + chunk - 1) / chunk, padded = chunks * chunk;
  const int C = chunk;
  auto f32 = [&](const array& x) { return astype(x, float32, s); };
  // Key heads repeated to the value heads: [B, T, Hk, Dk] -> [B, T, Hv, Dk].
  auto to_value_heads = [&](const array& x) {
    if (group == 1) return x;
    return reshape(broadcast_to(expand_dims(x, 3, s), {batch, steps, key_heads, group, key_dim}, s),
                   {batch, steps, heads, key_dim}, s);
  };
  // [B, T, H, D] -> [B, H, N, C, D] and [B, T, H] -> [B, H, N, C], padded with zero steps.
  auto chunked = [&](const array& x) {
    const array p =
        padded == steps ? x : pad(x, {1}, {0}, {padded - steps}, array(0.0f), "constant", s);
    if (x.ndim() == 4) {
      return transpose(reshape(p, {batch, chunks, C, heads, x.shape(3)}, s), {0, 3, 1, 2, 4}, s);
    }
    return transpose(reshape(p, {batch, chunks, C, heads}, s), {0, 3, 1, 2}, s);
  };
  auto transposed = [&](const array& x) { return swapaxes(x, -1, -2, s); };
  auto column = [&](const array& x) { return expand_dims(x, -1, s); };

  const array Q = chunked(to_value_heads(f32(q)));  // [B, H, N, C, Dk]
  const array K = chunked(to_value_heads(f32(k)));
  const array K_t = transposed(K);
  const array V = chunked(f32(v));     // [B, H, N, C, Dv]
  const array B = chunked(f32(beta));  // [B, H, N, C]
  const array G = cumsum(chunked(f32(g)), -1, false, true, s);

  // exp(G_t - G_s) where s < t (strict) or s <= t (inclusive), 0 elsewhere: [.., C, C].
  const array rows = reshape(arange(C, s), {C, 1}, s);
  const array cols = reshape(arange(C, s), {1, C}, s);
  const array gaps = subtract(column(G), expand_dims(G, -2, s), s);
  const array minus_inf(-std::numeric_limits<float>::infinity());
  const array strict = exp(where(greater(rows, cols, s), gaps, minus_inf, s), s);
  const array inclusive = exp(where(greater_equal(rows, cols, s), gaps, minus_inf, s), s);

  // T = (I + A)^-1 as the Neumann series' product form; X = -A.
  const array X = negative(multiply(multiply(column(B), strict, s), matmul(K, K_t, s), s), s);
  array T = add(eye(C, C, 0, float32, s), X, s);
  array power = X;
  for (int span = 2; span < C; span *= 2) {
    power = matmul(power, power, s);  // X^span
    T = add(T, matmul(T, power, s), s);
  }
  const array gamma = exp(G, s);
  const array U_free = matmul(T, multiply(column(B), V, s), s);                 // U~
  const array W = matmul(T, multiply(column(multiply(B, gamma, s)), K, s), s);  // [.., C, Dk]
  const array attend = multiply(matmul(Q, K_t, s), inclusive, s);               // M o Q K^T
  const array Q_decayed = multiply(column(gamma), Q, s);
  const array G_last = slice(G, {0, 0, 0, C - 1}, {batch, heads, chunks, C}, s);  // [.., 1]
  // (diag(exp(G_C - G)) K)^T, [B, H, N, Dk, C]: each chunk's slice is the product's operand.
  const array K_decayed_t = transposed(multiply(column(exp(subtract(G_last, G, s), s)), K, s));
  const array chunk_decay = expand_dims(exp(G_last, s), -1, s);  // [B, H, N, 1, 1]

  // Chunk n of a [B, H, N, ...] array, keeping the chunk axis ([B, H, 1, ...]): one view,
  // and the state [B, H, 1, Dk, Dv] meets it in the products without reshapes.
  auto at = [&](const array& x, int n) {
    Shape start(x.ndim(), 0), stop = x.shape();
    start[2] = n;
    stop[2] = n + 1;
    return slice(x, start, stop, s);
  };
  array S = expand_dims(f32(state), 2, s);  // [B, H, 1, Dk, Dv]
  std::vector<array> ys;
  ys.reserve(chunks);
  for (int n = 0; n < chunks; ++n) {
    const array U = addmm(at(U_free, n), at(W, n), S, -1.0f, 1.0f, s);  // U~ - W S
    ys.push_back(addmm(matmul(at(Q_decayed, n), S, s), at(attend, n), U, 1.0f, 1.0f, s));
    S = addmm(multiply(S, at(chunk_decay, n), s), at(K_decayed_t, n), U, 1.0f, 1.0f, s);
  }
  // [B, H, N, C, Dv] -> [B, T, H, Dv]
  array y = reshape(transpose(concatenate(ys, 2, s), {0, 2, 3, 1, 4}, s),
                    {batch, padded, heads, value_dim}, s);
  if (padded != steps) y = slice(y, {0, 0, 0, 0}, {batch, steps, heads, value_dim}, s);
  return {astype(y, v.dtype(), s), squeeze(S, 2, s)};
}

}  // namespace ember::fast::detail
