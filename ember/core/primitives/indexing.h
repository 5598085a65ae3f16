// Primitives that move data by computed positions: gathers and scatters (by index arrays),
// and slice updates (static or with start positions read from an array at eval).
//
// Index bounds (see docs in ops/indexing.h): an index i into an axis of size n is valid in
// [-n, n) and negative values wrap (MLX's rule); for slices of size k the start must lie in
// [0, n - k] after wrapping. Kernels check every index before they read or write and throw
// IndexError, which eval rethrows with the primitive's name.
#pragma once

#include "ember/core/primitive.h"

namespace ember {

/// out[i..., s...] = a[start(i) + s...]: `inputs` = {a, idx_0, ..., idx_{k-1}}, the index
/// arrays broadcast to one shape I; the output has shape I + slice_sizes.
class Gather : public UnaryPrimitive {
 public:
  Gather(Stream stream, std::vector<int> axes, Shape slice_sizes)
      : UnaryPrimitive(stream), axes_(std::move(axes)), slice_sizes_(std::move(slice_sizes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Gather"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Gather*>(&other);
    return o && o->axes_ == axes_ && o->slice_sizes_ == slice_sizes_;
  }
  const std::vector<int>& axes() const { return axes_; }
  const Shape& slice_sizes() const { return slice_sizes_; }

 private:
  std::vector<int> axes_;
  Shape slice_sizes_;
};

/// A copy of a with updates applied at the indexed windows: `inputs` = {a, idx_0, ...,
/// idx_{k-1}, updates}; updates has shape I + window, window[d] <= a.shape(d).
class Scatter : public UnaryPrimitive {
 public:
  enum class ReduceType { none, sum, prod, max, min };
  Scatter(Stream stream, ReduceType reduce, std::vector<int> axes)
      : UnaryPrimitive(stream), reduce_(reduce), axes_(std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Scatter"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Scatter*>(&other);
    return o && o->reduce_ == reduce_ && o->axes_ == axes_;
  }
  ReduceType reduce_type() const { return reduce_; }
  const std::vector<int>& axes() const { return axes_; }

 private:
  ReduceType reduce_;
  std::vector<int> axes_;
};

/// take_along_axis: {a, indices}; the output has the indices' shape; a broadcasts against
/// it on every axis but `axis`.
class GatherAxis : public UnaryPrimitive {
 public:
  GatherAxis(Stream stream, int axis) : UnaryPrimitive(stream), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "GatherAxis"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const GatherAxis*>(&other);
    return o && o->axis_ == axis_;
  }
  int axis() const { return axis_; }

 private:
  int axis_;
};

/// put_along_axis / scatter_add_axis: {a, indices, values}, indices and values of one
/// shape that broadcasts against a on every axis but `axis`; the output is a's shape.
class ScatterAxis : public UnaryPrimitive {
 public:
  enum class ReduceType { none, sum };
  ScatterAxis(Stream stream, ReduceType reduce, int axis)
      : UnaryPrimitive(stream), reduce_(reduce), axis_(axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "ScatterAxis"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const ScatterAxis*>(&other);
    return o && o->reduce_ == reduce_ && o->axis_ == axis_;
  }

 private:
  ReduceType reduce_;
  int axis_;
};

/// A copy of src whose slice start:stop:strides (normalised by the op) is replaced by
/// update (already broadcast to the slice's shape and cast to src's dtype).
class SliceUpdate : public UnaryPrimitive {
 public:
  SliceUpdate(Stream stream, Shape start, Shape stop, Shape strides)
      : UnaryPrimitive(stream),
        start_(std::move(start)),
        stop_(std::move(stop)),
        strides_(std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "SliceUpdate"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const SliceUpdate*>(&other);
    return o && o->start_ == start_ && o->stop_ == stop_ && o->strides_ == strides_;
  }

 private:
  Shape start_;
  Shape stop_;
  Shape strides_;
};

/// {a, start}: a slice of size slice_size whose start on `axes` is read from `start`
/// at eval (other axes start at 0). Starts wrap when negative and are clamped so the slice
/// stays inside a (as jax.lax.dynamic_slice). Writes new storage.
class DynamicSlice : public UnaryPrimitive {
 public:
  DynamicSlice(Stream stream, std::vector<int> axes, Shape slice_size)
      : UnaryPrimitive(stream), axes_(std::move(axes)), slice_size_(std::move(slice_size)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "DynamicSlice"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const DynamicSlice*>(&other);
    return o && o->axes_ == axes_ && o->slice_size_ == slice_size_;
  }

 private:
  std::vector<int> axes_;
  Shape slice_size_;
};

/// {src, update, start}: a copy of src with update written at a start read at eval
/// (same wrapping and clamping as DynamicSlice).
class DynamicSliceUpdate : public UnaryPrimitive {
 public:
  DynamicSliceUpdate(Stream stream, std::vector<int> axes)
      : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "DynamicSliceUpdate"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const DynamicSliceUpdate*>(&other);
    return o && o->axes_ == axes_;
  }

 private:
  std::vector<int> axes_;
};

}  // namespace ember
