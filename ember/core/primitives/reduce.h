// Reductions and scans. Reduce keeps the reduced axes as size-1 dims (ops squeeze them);
// ArgReduce, LogSumExp and Softmax work along the last axis of their (row-contiguous) input;
// Scan works along any axis.
#pragma once

#include "ember/core/primitive.h"

namespace ember {

class Reduce : public UnaryPrimitive {
 public:
  enum class Type { sum, prod, max, min, all, any };
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

/// Index (uint32) of the first maximum or minimum along the last axis; NaN counts as the
/// extreme, as in NumPy.
class ArgReduce : public UnaryPrimitive {
 public:
  enum class Type { argmin, argmax };
  ArgReduce(Stream stream, Type type) : UnaryPrimitive(stream), type_(type) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "ArgReduce"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const ArgReduce*>(&other);
    return o && o->type_ == type_;
  }

 private:
  Type type_;
};

/// log(sum(exp(x))) along the last axis, stabilised by the row maximum.
class LogSumExp : public UnaryPrimitive {
 public:
  explicit LogSumExp(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "LogSumExp"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const LogSumExp*>(&other) != nullptr;
  }
};

/// Softmax along the last axis. 16-bit inputs accumulate in float32 either way; `precise`
/// is recorded for backends whose fast path would not.
class Softmax : public UnaryPrimitive {
 public:
  Softmax(Stream stream, bool precise) : UnaryPrimitive(stream), precise_(precise) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Softmax"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Softmax*>(&other);
    return o && o->precise_ == precise_;
  }

 private:
  bool precise_;
};

/// Cumulative sum, product, max, min or log-add-exp along one axis.
class Scan : public UnaryPrimitive {
 public:
  enum class Type { sum, prod, max, min, logaddexp };
  Scan(Stream stream, Type type, int axis, bool reverse, bool inclusive)
      : UnaryPrimitive(stream), type_(type), axis_(axis), reverse_(reverse), inclusive_(inclusive) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Scan"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Scan*>(&other);
    return o && o->type_ == type_ && o->axis_ == axis_ && o->reverse_ == reverse_ &&
           o->inclusive_ == inclusive_;
  }

 private:
  Type type_;
  int axis_;
  bool reverse_;
  bool inclusive_;
};

}  // namespace ember
