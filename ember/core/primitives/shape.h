// Primitives that rearrange data. Reshape (of row-contiguous input), Transpose, Broadcast and
// Slice are views: they share the input's storage (G2 tracks them). Concatenate and Copy
// write new storage.
#pragma once

#include "ember/core/primitive.h"

namespace ember {

class Reshape : public UnaryPrimitive {
 public:
  Reshape(Stream stream, Shape shape) : UnaryPrimitive(stream), shape_(std::move(shape)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Reshape"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Reshape*>(&other);
    return o && o->shape_ == shape_;
  }

 private:
  Shape shape_;
};

class Transpose : public UnaryPrimitive {
 public:
  Transpose(Stream stream, std::vector<int> axes) : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Transpose"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Transpose*>(&other);
    return o && o->axes_ == axes_;
  }
  const std::vector<int>& axes() const { return axes_; }

 private:
  std::vector<int> axes_;
};

class Broadcast : public UnaryPrimitive {
 public:
  Broadcast(Stream stream, Shape shape) : UnaryPrimitive(stream), shape_(std::move(shape)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Broadcast"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Broadcast*>(&other);
    return o && o->shape_ == shape_;
  }

 private:
  Shape shape_;
};

/// start:stop:step per axis, all normalised by the op (start in range, step != 0).
class Slice : public UnaryPrimitive {
 public:
  Slice(Stream stream, Shape start, Shape stop, Shape strides)
      : UnaryPrimitive(stream),
        start_(std::move(start)),
        stop_(std::move(stop)),
        strides_(std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Slice"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Slice*>(&other);
    return o && o->start_ == start_ && o->stop_ == stop_ && o->strides_ == strides_;
  }
  const Shape& start() const { return start_; }
  const Shape& slice_strides() const { return strides_; }

 private:
  Shape start_;
  Shape stop_;
  Shape strides_;
};

class Concatenate : public UnaryPrimitive {
 public:
  Concatenate(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Concatenate"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Concatenate*>(&other);
    return o && o->axis_ == axis_;
  }
  int axis() const { return axis_; }

 private:
  int axis_;
};

/// A row-contiguous copy that owns exactly its bytes (copy and contiguous).
class Copy : public UnaryPrimitive {
 public:
  explicit Copy(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Copy"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Copy*>(&other) != nullptr;
  }
};

}  // namespace ember
