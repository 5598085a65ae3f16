// capture_graph (capture.h): static input copies, fn's graph built on the capturing
// stream, one eval with the stream's executor capturing, and the node a call builds.
#include "ember/core/capture.h"

#include <unordered_set>

#include "ember/core/errors.h"
#include "ember/core/eval.h"
#include "ember/core/node.h"
#include "ember/core/ops.h"
#include "ember/core/primitives/capture.h"

namespace ember {

namespace {

// Every node `outputs` still needs must run on `stream`: the capture sees only its tasks.
void check_all_on(const std::vector<array>& outputs, const Stream& stream) {
  std::unordered_set<const void*> seen;
  std::vector<array> stack(outputs.begin(), outputs.end());
  while (!stack.empty()) {
    array a = stack.back();
    stack.pop_back();
    if (a.is_available() || !a.has_primitive() || !seen.insert(a.node().get()).second) continue;
    const Stream& where = a.primitive().stream();
    EMBER_CHECK(where == stream, ValueError, "[capture_graph] ", a.primitive().name(),
                " runs on ", where, ", not on the capturing stream ", stream,
                ": build every op of the function on that stream (the default while it runs)");
    for (const auto& input : a.inputs()) stack.push_back(input);
  }
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
    DefaultStreamScope scope(stream);
    outputs = fn(state->inputs);
    // Each output owns its buffer (a view's could be compacted away from the graph's).
    for (auto& out : outputs) out = copy(out, stream);
  }
  EMBER_CHECK(!outputs.empty(), ValueError, "[capture_graph] the function returned no arrays");
  check_all_on(outputs, stream);
  auto& executor = detail::executor(stream);
  executor.begin_capture();
  async_eval(outputs);
  std::shared_ptr<detail::CapturedKernels> kernels = executor.end_capture();
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
