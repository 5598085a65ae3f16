// Elementwise primitives: Unary<Op>, Binary<Op> and Ternary<Op> over the functors of
// functors.h, plus StopGradient and AsType. Backends define eval_cpu/eval_gpu once per
// template and instantiate each Op.
//
// The kernel dispatches on the dtype of the (value) inputs, which the op has already made
// equal, and computes `Op{}(x...)`. The output element type is whatever Op returns for that
// type: T for arithmetic, bool for comparisons and predicates, float for Real/Imag of a
// complex. The op function gives the array the matching dtype; backends check it.
// A Ternary's first input is a bool mask (Select); the other two share the dispatched dtype.
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

template <class Op>
class Ternary : public UnaryPrimitive {
 public:
  explicit Ternary(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return Op::name; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Ternary<Op>*>(&other) != nullptr;
  }
};

// Same-dtype unary ops.
using Abs = Unary<functors::Abs>;  // complex -> float32
using Negative = Unary<functors::Negative>;
using Sign = Unary<functors::Sign>;
using Square = Unary<functors::Square>;
using Floor = Unary<functors::Floor>;
using Ceil = Unary<functors::Ceil>;
using Round = Unary<functors::Round>;
using Exp = Unary<functors::Exp>;
using Expm1 = Unary<functors::Expm1>;
using Log = Unary<functors::Log>;
using Log2 = Unary<functors::Log2>;
using Log10 = Unary<functors::Log10>;
using Log1p = Unary<functors::Log1p>;
using Sqrt = Unary<functors::Sqrt>;
using Rsqrt = Unary<functors::Rsqrt>;
using Sigmoid = Unary<functors::Sigmoid>;
using Sin = Unary<functors::Sin>;
using Cos = Unary<functors::Cos>;
using Tan = Unary<functors::Tan>;
using ArcSin = Unary<functors::ArcSin>;
using ArcCos = Unary<functors::ArcCos>;
using ArcTan = Unary<functors::ArcTan>;
using Sinh = Unary<functors::Sinh>;
using Cosh = Unary<functors::Cosh>;
using Tanh = Unary<functors::Tanh>;
using ArcSinh = Unary<functors::ArcSinh>;
using ArcCosh = Unary<functors::ArcCosh>;
using ArcTanh = Unary<functors::ArcTanh>;
using Erf = Unary<functors::Erf>;
using ErfInv = Unary<functors::ErfInv>;
using LogicalNot = Unary<functors::LogicalNot>;
using BitwiseInvert = Unary<functors::BitwiseInvert>;
using Conjugate = Unary<functors::Conjugate>;
// Unary ops with another output dtype.
using Real = Unary<functors::Real>;  // complex64 -> float32
using Imag = Unary<functors::Imag>;  // complex64 -> float32
using IsNan = Unary<functors::IsNan>;  // -> bool
using IsInf = Unary<functors::IsInf>;
using IsPosInf = Unary<functors::IsPosInf>;
using IsNegInf = Unary<functors::IsNegInf>;
using IsFinite = Unary<functors::IsFinite>;

// Same-dtype binary ops.
using Add = Binary<functors::Add>;
using Subtract = Binary<functors::Subtract>;
using Multiply = Binary<functors::Multiply>;
using Divide = Binary<functors::Divide>;
using Maximum = Binary<functors::Maximum>;
using Minimum = Binary<functors::Minimum>;
using FloorDivide = Binary<functors::FloorDivide>;
using Remainder = Binary<functors::Remainder>;
using Power = Binary<functors::Power>;
using ArcTan2 = Binary<functors::ArcTan2>;
using LogAddExp = Binary<functors::LogAddExp>;
using SwiGlu = Binary<functors::SwiGlu>;  // fast::swiglu
using LogicalAnd = Binary<functors::LogicalAnd>;
using LogicalOr = Binary<functors::LogicalOr>;
using BitwiseAnd = Binary<functors::BitwiseAnd>;
using BitwiseOr = Binary<functors::BitwiseOr>;
using BitwiseXor = Binary<functors::BitwiseXor>;
using LeftShift = Binary<functors::LeftShift>;
using RightShift = Binary<functors::RightShift>;
// Comparisons: -> bool.
using Equal = Binary<functors::Equal>;
using NaNEqual = Binary<functors::NaNEqual>;
using NotEqual = Binary<functors::NotEqual>;
using Less = Binary<functors::Less>;
using LessEqual = Binary<functors::LessEqual>;
using Greater = Binary<functors::Greater>;
using GreaterEqual = Binary<functors::GreaterEqual>;

using Select = Ternary<functors::Select>;

/// The identity in the forward pass; a node so that transforms can stop gradients at it.
/// The output shares its input's data.
class StopGradient : public UnaryPrimitive {
 public:
  explicit StopGradient(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "StopGradient"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const StopGradient*>(&other) != nullptr;
  }
};

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

// Every functor each template is instantiated with, one list per template, so that every
// backend instantiates the same set: `#define X(Op) template class Unary<functors::Op>;`
// then `EMBER_UNARY_OPS(X)`.
#define EMBER_UNARY_OPS(X) \
  X(Abs) \
  X(Negative) \
  X(Sign) \
  X(Square) \
  X(Floor) \
  X(Ceil) \
  X(Round) \
  X(Exp) \
  X(Expm1) \
  X(Log) \
  X(Log2) \
  X(Log10) \
  X(Log1p) \
  X(Sqrt) \
  X(Rsqrt) \
  X(Sigmoid) \
  X(Sin) \
  X(Cos) \
  X(Tan) \
  X(ArcSin) \
  X(ArcCos) \
  X(ArcTan) \
  X(Sinh) \
  X(Cosh) \
  X(Tanh) \
  X(ArcSinh) \
  X(ArcCosh) \
  X(ArcTanh) \
  X(Erf) \
  X(ErfInv) \
  X(LogicalNot) \
  X(BitwiseInvert) \
  X(Conjugate) \
  X(Real) \
  X(Imag) \
  X(IsNan) \
  X(IsInf) \
  X(IsPosInf) \
  X(IsNegInf) \
  X(IsFinite)
#define EMBER_BINARY_OPS(X) \
  X(Add) \
  X(Subtract) \
  X(Multiply) \
  X(Divide) \
  X(Maximum) \
  X(Minimum) \
  X(FloorDivide) \
  X(Remainder) \
  X(Power) \
  X(ArcTan2) \
  X(LogAddExp) \
  X(SwiGlu) \
  X(LogicalAnd) \
  X(LogicalOr) \
  X(BitwiseAnd) \
  X(BitwiseOr) \
  X(BitwiseXor) \
  X(LeftShift) \
  X(RightShift) \
  X(Equal) \
  X(NaNEqual) \
  X(NotEqual) \
  X(Less) \
  X(LessEqual) \
  X(Greater) \
  X(GreaterEqual)
#define EMBER_TERNARY_OPS(X) \
  X(Select)
