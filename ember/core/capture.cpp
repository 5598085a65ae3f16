// capture_graph (capture.h): static input copies, fn's graph built on the capturing
// stream, what does not depend on the inputs evaluated first, one eval with the stream's
// executor capturing, and the node a call builds.
#include "ember/core/capture.h"

#include <unordered_set>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/node.h"
#include "ember/core/ops.h"
#include "ember/core/primitives/capture.h"

namespace ember {

namespace {

// Nodes that do not depend on the function's inputs (weights made lazily, values the
// function derives from them) are evaluated first: constants of the graph, computed once.
// A node that does depend on the inputs but runs off `stream` is an op the capture cannot
// see: a ValueError.
void evaluate_constants(const std::vector<array>& outputs, const std::vector<array>& inputs,
                        const Stream& stream) {
  std::unordered_set<const detail::Node*> seen;
  std::unordered_set<const detail::Node*> depends;  // nodes that read the inputs
  for (const auto& in : inputs) depends.insert(in.node().get());
  std::vector<array> constants;
  detail::walk_inputs_first(
      outputs,
      [&](const std::shared_ptr<detail::Node>& node) {  // unevaluated, not seen yet
        const auto status = node->load_status();
        return node->primitive && status != detail::Status::available &&
               status != detail::Status::failed && seen.insert(node.get()).second;
      },
      [&](std::shared_ptr<detail::Node> node) {
        bool reads_inputs = false;
        for (const auto& input : node->inputs) {
          reads_inputs = reads_inputs || depends.count(input.node().get());
        }
        if (!reads_inputs) {
          constants.emplace_back(std::move(node), 0);
          return;
        }
        depends.insert(node.get());
        const Stream& where = node->primitive->stream();
        EMBER_CHECK(where == stream, ValueError, "[capture_graph] ", node->primitive->name(),
                    " runs on ", where, ", not on the capturing stream ", stream,
                    ": build every op of the function on that stream (the default while it runs)");
      });
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
