// The node a call of a CapturedGraph builds (capture.h): copies its inputs into the
// captured input buffers, replays the captured kernels, copies the captured outputs into
// its own. GPU only.
#pragma once

#include <memory>

#include "ember/core/executor.h"
#include "ember/core/primitive.h"

namespace ember::detail {

/// What a capture leaves: the buffers the kernels read and write, and the kernels.
struct CaptureState {
  explicit CaptureState(Stream stream) : stream(stream) {}
  Stream stream;               ///< the capturing stream; every replay runs on it
  std::vector<array> inputs;   ///< evaluated, row-contiguous: the buffers kernels read
  std::vector<array> outputs;  ///< evaluated, own their buffers: the kernels write them
  std::shared_ptr<CapturedKernels> kernels;
  size_t num_kernels = 0;
};

}  // namespace ember::detail

namespace ember {

class CapturedCall : public Primitive {
 public:
  CapturedCall(Stream stream, std::shared_ptr<const detail::CaptureState> state)
      : Primitive(stream), state_(std::move(state)) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "CapturedCall"; }
  bool is_equivalent(const Primitive& other) const override {
    const auto* o = dynamic_cast<const CapturedCall*>(&other);
    return o != nullptr && o->state_ == state_;
  }
  const detail::CaptureState& state() const { return *state_; }

 private:
  std::shared_ptr<const detail::CaptureState> state_;
};

}  // namespace ember
