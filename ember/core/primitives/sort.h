// Sorting and selection along one axis. Sorts are stable; NaNs order after every number
// (NumPy's rule); complex values order by real part, then imaginary part.
#pragma once

#include "ember/core/primitive.h"

namespace ember {

/// What a SortAxis primitive computes for each row along its axis.
enum class SortKind { sort, argsort, partition, argpartition };

/// One row-wise sort-like kernel, four ops: the values sorted, the indices (uint32) that
/// sort them, or a partition around `kth` (values or indices).
class SortAxis : public UnaryPrimitive {
 public:
  SortAxis(Stream stream, SortKind kind, int axis, int kth = 0)
      : UnaryPrimitive(stream), kind_(kind), axis_(axis), kth_(kth) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override {
    switch (kind_) {
      case SortKind::sort: return "Sort";
      case SortKind::argsort: return "ArgSort";
      case SortKind::partition: return "Partition";
      case SortKind::argpartition: return "ArgPartition";
    }
    return "Sort";
  }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const SortAxis*>(&other);
    return o && o->kind_ == kind_ && o->axis_ == axis_ && o->kth_ == kth_;
  }
  SortKind kind() const { return kind_; }
  int axis() const { return axis_; }
  int kth() const { return kth_; }

 private:
  SortKind kind_;
  int axis_;
  int kth_;
};

}  // namespace ember
