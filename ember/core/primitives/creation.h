// Primitives that create data from nothing but parameters.
#pragma once

#include "ember/core/primitive.h"

namespace ember {

/// start, start + step, ... (the output's size is fixed by the op).
class Arange : public UnaryPrimitive {
 public:
  Arange(Stream stream, double start, double step)
      : UnaryPrimitive(stream), start_(start), step_(step) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Arange"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Arange*>(&other);
    return o && o->start_ == start_ && o->step_ == step_;
  }
  double start() const { return start_; }
  double step() const { return step_; }

 private:
  double start_;
  double step_;
};

}  // namespace ember
