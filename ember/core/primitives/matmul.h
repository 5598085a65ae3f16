// Batched matrix product of two arrays of rank >= 2 with equal (broadcast) batch dims, or
// of rank 2 (no batch dims: the same matrix for every batch element, so a Linear layer's
// weight needs no Broadcast node).
#pragma once

#include "ember/core/array.h"
#include "ember/core/primitive.h"

namespace ember {

/// The strides of a Matmul operand's batch dims, `batch_ndim` of them: its own, or zeros
/// for a rank-2 operand used for every batch element.
inline Strides matmul_batch_strides(const array& x, size_t batch_ndim) {
  if (x.ndim() == 2) return Strides(batch_ndim, 0);
  return Strides(x.strides().begin(), x.strides().end() - 2);
}

class Matmul : public UnaryPrimitive {
 public:
  explicit Matmul(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Matmul"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Matmul*>(&other) != nullptr;
  }
};

/// addmm's fused form (MLX's AddMM): inputs a [..., M, K] and b [..., K, N] as Matmul takes
/// them, then c broadcast to the output's shape; all in the output's dtype, a real floating
/// one. out = alpha * (a @ b) + beta * c, accumulated in float32 (float64 for float64) and
/// rounded once.
class AddMM : public UnaryPrimitive {
 public:
  AddMM(Stream stream, float alpha, float beta)
      : UnaryPrimitive(stream), alpha_(alpha), beta_(beta) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "AddMM"; }
  bool is_equivalent(const Primitive& other) const override {
    const auto* o = dynamic_cast<const AddMM*>(&other);
    return o != nullptr && o->alpha_ == alpha_ && o->beta_ == beta_;
  }
  float alpha() const { return alpha_; }
  float beta() const { return beta_; }

 private:
  float alpha_, beta_;
};

}  // namespace ember

namespace ember {

/// gather_mm: inputs a [..., M, K], b [..., K, N], and int32 row-contiguous index arrays of
/// the output's batch shape picking a's and b's flattened batch elements.
class GatherMM : public UnaryPrimitive {
 public:
  explicit GatherMM(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "GatherMM"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const GatherMM*>(&other) != nullptr;
  }
};

}  // namespace ember
