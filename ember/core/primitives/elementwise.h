// Elementwise primitives: Unary<Op>, Binary<Op> over the functors of functors.h, and AsType.
// Backends define eval_cpu/eval_gpu once per template and instantiate each Op.
#pragma once

#include "ember/core/primitive.h"
#include "ember/core/primitives/functors.h"

namespace ember {

template <class Op>
class Unary : public UnaryPrimitive {
 public:
  explicit Unary(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return Op::name; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Unary<Op>*>(&other) != nullptr;
  }
};

template <class Op>
class Binary : public UnaryPrimitive {
 public:
  explicit Binary(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return Op::name; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Binary<Op>*>(&other) != nullptr;
  }
};

using Exp = Unary<functors::Exp>;
using Log = Unary<functors::Log>;
using Negative = Unary<functors::Negative>;
using Abs = Unary<functors::Abs>;
using Add = Binary<functors::Add>;
using Subtract = Binary<functors::Subtract>;
using Multiply = Binary<functors::Multiply>;
using Divide = Binary<functors::Divide>;
using Maximum = Binary<functors::Maximum>;

/// Converts to the output's dtype (astype).
class AsType : public UnaryPrimitive {
 public:
  AsType(Stream stream, Dtype dtype) : UnaryPrimitive(stream), dtype_(dtype) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "AsType"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const AsType*>(&other);
    return o && o->dtype_ == dtype_;
  }

 private:
  Dtype dtype_;
};

}  // namespace ember
