// The nodes of capture_graph (capture.h): a call of a CapturedGraph (copies its inputs into
// the captured input buffers, replays the captured kernels, copies the captured outputs
// into its own), a state's in-place update inside the captured function, and the reads and
// writes of a graph's states between calls. GPU only.
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "ember/core/executor.h"
#include "ember/core/primitive.h"

namespace ember::detail {

/// What a capture leaves: the buffers the kernels read and write, and the kernels.
struct CaptureState {
  explicit CaptureState(Stream stream) : stream(stream) {}
  Stream stream;               ///< the capturing stream; every replay runs on it
  std::vector<array> inputs;   ///< evaluated, row-contiguous: the buffers kernels read
  std::vector<array> outputs;  ///< evaluated, own their buffers: the kernels write them
  std::vector<array> states;   ///< evaluated, row-contiguous: updated in place by each call
  std::shared_ptr<CapturedKernels> kernels;
  size_t num_kernels = 0;
  // Calls, state reads and state writes run in the order they were made: each node takes
  // the previous one's first output as an extra, last input.
  mutable std::mutex order_mutex;
  mutable std::optional<array> last;
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

/// update_state: inputs state, update (the state's dtype, broadcast to the written
/// window), start; the output is the state's own buffer with the window written.
class StateUpdate : public UnaryPrimitive {
 public:
  StateUpdate(Stream stream, std::vector<int> axes) : UnaryPrimitive(stream), axes_(std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "StateUpdate"; }
  bool is_equivalent(const Primitive&) const override { return false; }  // never merged

 private:
  std::vector<int> axes_;
};

/// CapturedGraph::read_state (a copy of the state; inputs: the previous node in order, if
/// any) and write_state (inputs: the value, then the previous node, if any; its output is
/// an empty marker).
class StateTransfer : public UnaryPrimitive {
 public:
  StateTransfer(Stream stream, std::shared_ptr<const detail::CaptureState> state, size_t index,
                bool write)
      : UnaryPrimitive(stream), state_(std::move(state)), index_(index), write_(write) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return write_ ? "StateWrite" : "StateRead"; }
  bool is_equivalent(const Primitive&) const override { return false; }
  const detail::CaptureState& state() const { return *state_; }
  size_t index() const { return index_; }
  bool is_write() const { return write_; }

 private:
  std::shared_ptr<const detail::CaptureState> state_;
  size_t index_;
  bool write_;
};

}  // namespace ember
