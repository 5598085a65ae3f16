// Primitive: one node's computation (DESIGN.md section 1, "How an op travels").
//
//   class Exp : public UnaryPrimitive {            // core/primitives/unary.h
//    public:
//     explicit Exp(Stream s) : UnaryPrimitive(s) {}
//     void eval_cpu(const std::vector<array>& in, array& out) override;  // backend/cpu
//     void eval_gpu(const std::vector<array>& in, array& out) override;  // backend/cuda
//     const char* name() const override { return "Exp"; }
//   };
//
// eval_* set each output's data (allocate, share a view, or take a donated buffer) and
// compute it. They may throw; the scheduler stores the error on the node and the stream
// and rethrows it at the next eval/synchronize/read (G6). They run on the stream's worker.
#pragma once

#include <ostream>
#include <utility>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

class Primitive {
 public:
  explicit Primitive(Stream stream) : stream_(stream) {}
  virtual ~Primitive() = default;
  Primitive(const Primitive&) = delete;
  Primitive& operator=(const Primitive&) = delete;

  const Stream& stream() const { return stream_; }
  const Device& device() const { return stream_.device; }

  virtual void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;
  virtual void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;

  /// Vector-Jacobian product; the transforms issue fills these in per primitive.
  virtual std::vector<array> vjp(const std::vector<array>& primals,
                                 const std::vector<array>& cotangents,
                                 const std::vector<int>& argnums,
                                 const std::vector<array>& outputs);
  /// Jacobian-vector product.
  virtual std::vector<array> jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents,
                                 const std::vector<int>& argnums);
  /// Batched version of the primitive over the given input axes.
  virtual std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes);

  /// The primitive's name as MLX prints it ("Add", "Reduce", ...).
  virtual const char* name() const = 0;
  /// Whether `other` computes the same function (used by compile to merge nodes).
  virtual bool is_equivalent(const Primitive&) const { return false; }
  virtual void print(std::ostream& os) const { os << name(); }

 private:
  Stream stream_;
};

/// A primitive with exactly one output.
class UnaryPrimitive : public Primitive {
 public:
  using Primitive::Primitive;
  virtual void eval_cpu(const std::vector<array>& inputs, array& output) = 0;
  virtual void eval_gpu(const std::vector<array>& inputs, array& output) = 0;
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) final {
    eval_cpu(inputs, outputs[0]);
  }
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) final {
    eval_gpu(inputs, outputs[0]);
  }
};

}  // namespace ember
