// Primitives of the fused ops that have their own kernels (fast/fast.h says what each
// computes). Ops without one here are compositions of core ops.
#pragma once

#include "ember/core/primitive.h"

namespace ember::fast {

/// fast::gated_delta_rule: inputs q, k, v, g, beta, state (all float32, row-contiguous);
/// outputs y [B, T, Hv, Dv] and the final state [B, Hv, Dk, Dv].
class GatedDeltaRule : public Primitive {
 public:
  explicit GatedDeltaRule(Stream stream) : Primitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "GatedDeltaRule"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const GatedDeltaRule*>(&other) != nullptr;
  }
};

}  // namespace ember::fast
