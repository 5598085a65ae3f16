// capture_graph (capture.h): static input copies, fn's graph built on the capturing
// stream, what does not depend on the inputs evaluated first, one eval with the stream's executor
// capturing, and the node a call builds.
#include "ember/core/capture.h"

#include <unordered_set>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/node.h"
#include "ember/core/ops.h"
#include "ember/core/primitives/capture.h"

namespace ember {

namespace {

// The unevaluated nodes behind `outputs`, inputs before their users.
std::vector<array> pending_nodes(const std::vector<array>& outputs) {
  std::vector<array> order;
  std::unordered_set<const void*> seen;
  struct Frame {
    array a;
    size_t next_input;
  };
  std::vector<Frame> stack;
  auto visit = [&](const array& a) {
    if (a.is_available() || !a.has_primitive() || !seen.insert(a.node().get()).second) return;
    stack.push_back({a, 0});
  };
  for (const auto& out : outputs) {
    visit(out);
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const auto& inputs = frame.a.inputs();
      if (frame.next_input < inputs.size()) {
        const array input = inputs[frame.next_input++];
        visit(input);  // may reallocate `stack`
      } else {
        order.push_back(std::move(frame.a));
        stack.pop_back();
      }
    }
  }
  return order;
}

// Nodes that do not depend on the function's inputs (weights made lazily, values the
// function derives from them) are evaluated first: constants of the graph, computed once.
// A node that does depend on the inputs but runs off `stream` is an op the capture cannot
// see: a ValueError.
void evaluate_constants(const std::vector<array>& outputs, const std::vector<array>& inputs,
                        const Stream& stream) {
  std::unordered_set<const void*> depends;  // nodes that read the inputs
  for (const auto& in : inputs) depends.insert(in.node().get());
  std::vector<array> constants;
  for (const auto& a : pending_nodes(outputs)) {
    bool reads_inputs = false;
    for (const auto& input : a.inputs()) reads_inputs = reads_inputs || depends.count(input.node().get());
    if (!reads_inputs) {
      constants.push_back(a);
      continue;
    }
    depends.insert(a.node().get());
    const Stream& where = a.primitive().stream();
    EMBER_CHECK(where == stream, ValueError, "[capture_graph] ", a.primitive().name(), " runs on ",
                where, ", not on the capturing stream ", stream,
                ": build every op of the function on that stream (the default while it runs)");
  }
  if (!constants.empty()) eval(constants);
}

// Sets this thread's default stream for the scope.
class DefaultStreamScope {
 public:
  explicit DefaultStreamScope(const Stream& stream) : previous_(default_stream(stream.device)) {
    set_default_stream(stream);
  }
  ~DefaultStreamScope() { set_default_stream(previous_); }
  DefaultStreamScope(const DefaultStreamScope&) = delete;
  DefaultStreamScope& operator=(const DefaultStreamScope&) = delete;

 private:
  Stream previous_;
};

}  // namespace

CapturedGraph capture_graph(const std::function<std::vector<array>(const std::vector<array>&)>& fn,
                            const std::vector<array>& example_inputs, StreamOrDevice s) {
  const Stream stream = std::holds_alternative<std::monostate>(s) ? new_stream(default_device())
                                                                  : to_stream(s);
  EMBER_CHECK(stream.device.type == Device::gpu, ValueError,
              "[capture_graph] needs a GPU stream, got ", stream);
  auto state = std::make_shared<detail::CaptureState>(stream);
  // The buffers replays copy new inputs into.
  for (const auto& x : example_inputs) state->inputs.push_back(copy(x, stream));
  eval(state->inputs);
  std::vector<array> outputs;
  {
    // Captured as one graph, so the depth guard (G3) must not evaluate part of it first.
    detail::GraphDepthGuardOff no_depth_guard;
    DefaultStreamScope scope(stream);
    outputs = fn(state->inputs);
    // Each output owns its buffer (a view's could be compacted away from the graph's).
    for (auto& out : outputs) out = copy(out, stream);
  }
  EMBER_CHECK(!outputs.empty(), ValueError, "[capture_graph] the function returned no arrays");
  evaluate_constants(outputs, state->inputs, stream);
  auto& executor = detail::executor(stream);
  executor.begin_capture();
  async_eval(outputs);
  std::shared_ptr<detail::CapturedKernels> kernels;
  try {
    kernels = executor.end_capture();
  } catch (...) {
    executor.clear_error_if(std::current_exception());  // reported here, not again later
    throw;
  }
  eval(outputs);  // complete by now: rethrows a node's own failure
  for (const auto& out : outputs) {
    const auto& node = *out.node();
    EMBER_INTERNAL_ASSERT(node.outputs[out.output_index()].owns,
                          "a captured output does not own its buffer");
  }
  state->outputs = std::move(outputs);
  state->num_kernels = kernels->num_nodes();
  state->kernels = std::move(kernels);
  return CapturedGraph(std::move(state));
}

std::vector<array> CapturedGraph::operator()(const std::vector<array>& inputs) const {
  const auto& expected = state_->inputs;
  EMBER_CHECK(inputs.size() == expected.size(), ValueError, "[capture_graph] the capture took ",
              expected.size(), " inputs, got ", inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    EMBER_CHECK(inputs[i].shape() == expected[i].shape() && inputs[i].dtype() == expected[i].dtype(),
                ValueError, "[capture_graph] input ", i, " is ", shape_to_string(inputs[i].shape()),
                " ", inputs[i].dtype(), "; the capture took ", shape_to_string(expected[i].shape()),
                " ", expected[i].dtype());
  }
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  for (const auto& out : state_->outputs) {
    shapes.push_back(out.shape());
    dtypes.push_back(out.dtype());
  }
  return array::make_arrays(std::move(shapes), dtypes,
                            std::make_shared<CapturedCall>(state_->stream, state_), inputs);
}

size_t CapturedGraph::num_kernels() const { return state_->num_kernels; }

void CapturedCall::eval_cpu(const std::vector<array>&, std::vector<array>&) {
  throw NotImplementedError("[capture_graph] a captured graph runs on the GPU only");
}

}  // namespace ember
