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
