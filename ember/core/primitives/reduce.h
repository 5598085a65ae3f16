// Reductions over a set of axes (the output keeps them as size-1 dims; ops squeeze).
#pragma once

#include "ember/core/primitive.h"

namespace ember {

class Reduce : public UnaryPrimitive {
 public:
  enum class Type { sum, prod, max, min };
  Reduce(Stream stream, Type type, std::vector<int> axes)
      : UnaryPrimitive(stream), type_(type), axes_(std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Reduce"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Reduce*>(&other);
    return o && o->type_ == type_ && o->axes_ == axes_;
  }
  Type type() const { return type_; }
  const std::vector<int>& axes() const { return axes_; }

 private:
  Type type_;
  std::vector<int> axes_;
};

}  // namespace ember
