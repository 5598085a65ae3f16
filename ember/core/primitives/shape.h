// Primitives that rearrange data. Reshape (when the input's strides allow it), Transpose,
// Broadcast, Slice, Squeeze, ExpandDims, AsStrided, View and Diagonal are views: they share
// the input's storage (G2 tracks them). Concatenate and Copy write new storage.
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

/// Removes the listed size-1 axes (sorted, non-negative); a view.
class Squeeze : public UnaryPrimitive {
 public:
  Squeeze(Stream stream, std::vector<int> axes) : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Squeeze"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Squeeze*>(&other);
    return o && o->axes_ == axes_;
  }
  const std::vector<int>& axes() const { return axes_; }

 private:
  std::vector<int> axes_;
};

/// Inserts size-1 axes at the listed output positions (sorted, non-negative); a view.
class ExpandDims : public UnaryPrimitive {
 public:
  ExpandDims(Stream stream, std::vector<int> axes)
      : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "ExpandDims"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const ExpandDims*>(&other);
    return o && o->axes_ == axes_;
  }
  const std::vector<int>& axes() const { return axes_; }

 private:
  std::vector<int> axes_;
};

/// A view of the (flattened, row-contiguous) input with explicit strides and offset in
/// elements. The op checks that every element it can reach lies inside the input.
class AsStrided : public UnaryPrimitive {
 public:
  AsStrided(Stream stream, Shape shape, Strides strides, int64_t offset)
      : UnaryPrimitive(stream),
        shape_(std::move(shape)),
        strides_(std::move(strides)),
        offset_(offset) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "AsStrided"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const AsStrided*>(&other);
    return o && o->shape_ == shape_ && o->strides_ == strides_ && o->offset_ == offset_;
  }

 private:
  Shape shape_;
  Strides strides_;
  int64_t offset_;
};

/// The input's bytes reinterpreted as the output dtype (the last axis rescaled by the
/// ratio of item sizes). A view when the layout allows it, else a copy then a view.
class View : public UnaryPrimitive {
 public:
  View(Stream stream, Dtype dtype) : UnaryPrimitive(stream), dtype_(dtype) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "View"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const View*>(&other);
    return o && o->dtype_ == dtype_;
  }

 private:
  Dtype dtype_;
};

/// The diagonal of axes (axis1, axis2) at `offset`, moved to the last axis; a view
/// (NumPy returns a view too; MLX gathers a copy).
class Diagonal : public UnaryPrimitive {
 public:
  Diagonal(Stream stream, int offset, int axis1, int axis2)
      : UnaryPrimitive(stream), offset_(offset), axis1_(axis1), axis2_(axis2) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Diagonal"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Diagonal*>(&other);
    return o && o->offset_ == offset_ && o->axis1_ == axis1_ && o->axis2_ == axis2_;
  }

 private:
  int offset_;
  int axis1_;
  int axis2_;
};

}  // namespace ember
