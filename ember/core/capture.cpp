// capture_graph (capture.h): static input copies, fn's graph built on the capturing
// stream, what does not depend on the inputs evaluated first, one eval with the stream's
// executor capturing, and the node a call builds.
#include "ember/core/capture.h"

#include <unordered_map>
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

// The states of the capture this thread is building: its state inputs and what
// update_state returned for them (update_state accepts these alone).
struct StateContext {
  Stream stream;
  std::unordered_set<const detail::Node*> nodes;
};
thread_local StateContext* t_states = nullptr;

class StateScope {
 public:
  explicit StateScope(StateContext& context) : previous_(t_states) { t_states = &context; }
  ~StateScope() { t_states = previous_; }
  StateScope(const StateScope&) = delete;
  StateScope& operator=(const StateScope&) = delete;

 private:
  StateContext* previous_;
};

// A state's buffer is overwritten by each update_state, so every other node that reads a
// value of the state must run before the update that overwrites it: it must be an input of
// that update, directly or through others. The new states returned must be each state's
// last value.
void check_state_order(const std::vector<array>& outputs, const std::vector<array>& states,
                       const std::vector<array>& new_states) {
  std::unordered_map<const detail::Node*, std::vector<const detail::Node*>> readers;
  std::unordered_map<const detail::Node*, const detail::Node*> next_value;  // update of a value
  std::unordered_set<const detail::Node*> seen;
  detail::walk_inputs_first(
      outputs, [&](const std::shared_ptr<detail::Node>& node) { return seen.insert(node.get()).second; },
      [&](const std::shared_ptr<detail::Node>& node) {
        const bool update = dynamic_cast<const StateUpdate*>(node->primitive.get()) != nullptr;
        for (size_t i = 0; i < node->inputs.size(); ++i) {
          const detail::Node* input = node->inputs[i].node().get();
          if (update && i == 0) {
            EMBER_CHECK(next_value.emplace(input, node.get()).second, ValueError,
                        "[capture_graph] a state value is updated twice: update the value "
                        "the earlier update_state returned");
          } else {
            readers[input].push_back(node.get());
          }
        }
      });
  for (const auto& [value, update] : next_value) {
    auto found = readers.find(value);
    if (found == readers.end()) continue;
    // The nodes the update depends on.
    std::unordered_set<const detail::Node*> before;
    std::vector<const detail::Node*> stack{update};
    while (!stack.empty()) {
      const detail::Node* node = stack.back();
      stack.pop_back();
      for (const auto& input : node->inputs) {
        if (before.insert(input.node().get()).second) stack.push_back(input.node().get());
      }
    }
    for (const detail::Node* reader : found->second) {
      EMBER_CHECK(before.count(reader), ValueError, "[capture_graph] ",
                  reader->primitive ? reader->primitive->name() : "an op",
                  " reads a state value that a later update_state overwrites in place: make "
                  "the update depend on it (an input of its update), or read the updated value");
    }
  }
  for (size_t j = 0; j < states.size(); ++j) {
    const detail::Node* last = states[j].node().get();
    while (next_value.count(last)) last = next_value.at(last);
    EMBER_CHECK(new_states[j].node().get() == last, ValueError, "[capture_graph] output ",
                outputs.size() - states.size() + j, " must be the last value of state ", j,
                " (the state input, or what update_state last returned for it)");
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
                            const std::vector<array>& example_inputs, StreamOrDevice s,
                            int num_states) {
  const Stream stream = std::holds_alternative<std::monostate>(s) ? new_stream(default_device())
                                                                  : to_stream(s);
  EMBER_CHECK(stream.device.type == Device::gpu, ValueError,
              "[capture_graph] needs a GPU stream, got ", stream);
  EMBER_CHECK(num_states >= 0 && static_cast<size_t>(num_states) <= example_inputs.size(),
              ValueError, "[capture_graph] ", num_states, " states among ", example_inputs.size(),
              " inputs");
  auto state = std::make_shared<detail::CaptureState>(stream);
  // The buffers replays copy new inputs into, and the states' buffers.
  const size_t num_inputs = example_inputs.size() - num_states;
  std::vector<array> all_inputs;
  for (const auto& x : example_inputs) all_inputs.push_back(copy(x, stream));
  eval(all_inputs);
  state->inputs.assign(all_inputs.begin(), all_inputs.begin() + num_inputs);
  state->states.assign(all_inputs.begin() + num_inputs, all_inputs.end());
  std::vector<array> outputs;
  StateContext state_context{stream, {}};
  for (const auto& x : state->states) state_context.nodes.insert(x.node().get());
  {
    // Captured as one graph, so the depth guard (G3) must not evaluate part of it first.
    detail::GraphDepthGuardOff no_depth_guard;
    DefaultStreamScope scope(stream);
    StateScope states(state_context);
    outputs = fn(all_inputs);
    all_inputs.clear();
    EMBER_CHECK(outputs.size() > static_cast<size_t>(num_states), ValueError,
                "[capture_graph] the function returned no arrays besides its ", num_states,
                " states");
    std::vector<array> new_states(outputs.end() - num_states, outputs.end());
    // Each output owns its buffer (a view's could be compacted away from the graph's).
    outputs.erase(outputs.end() - num_states, outputs.end());
    for (auto& out : outputs) out = copy(out, stream);
    outputs.insert(outputs.end(), new_states.begin(), new_states.end());
    check_state_order(outputs, state->states, new_states);
  }
  std::vector<array> graph_inputs = state->inputs;
  graph_inputs.insert(graph_inputs.end(), state->states.begin(), state->states.end());
  evaluate_constants(outputs, graph_inputs, stream);
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
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (i + num_states >= outputs.size()) {
      const size_t j = i + num_states - outputs.size();
      EMBER_INTERNAL_ASSERT(outputs[i].storage() == state->states[j].storage(),
                            "a state's new value is not in its buffer");
      continue;
    }
    const auto& node = *outputs[i].node();
    EMBER_INTERNAL_ASSERT(node.outputs[outputs[i].output_index()].owns,
                          "a captured output does not own its buffer");
  }
  outputs.erase(outputs.end() - num_states, outputs.end());
  state->outputs = std::move(outputs);
  state->num_kernels = kernels->num_nodes();
  state->kernels = std::move(kernels);
  return CapturedGraph(std::move(state));
}

array update_state(const array& state, const array& update, const array& start,
                   std::vector<int> axes) {
  EMBER_CHECK(t_states != nullptr && t_states->nodes.count(state.node().get()), ValueError,
              "[update_state] only inside a function captured by capture_graph with states, on "
              "a state input or what update_state returned for it");
  // slice_update's dynamic form checks the arguments and shapes the update; its node is
  // not used, only its inputs.
  const Stream stream = t_states->stream;
  for (auto& axis : axes) axis = axis < 0 ? axis + state.ndim() : axis;
  array checked = slice_update(state, update, start, axes, stream);
  array out(Shape(state.shape()), state.dtype(), std::make_shared<StateUpdate>(stream, std::move(axes)),
            std::vector<array>(checked.node()->inputs));
  t_states->nodes.insert(out.node().get());
  return out;
}

namespace {

// Builds the next node in a graph's order (calls, state reads and writes): it takes the
// previous one's first output as its last input.
template <class Make>
std::vector<array> in_order(const detail::CaptureState& state, std::vector<array> inputs, Make&& make) {
  std::lock_guard lock(state.order_mutex);
  if (!state.states.empty() && state.last) inputs.push_back(*state.last);
  std::vector<array> out = make(std::move(inputs));
  if (!state.states.empty()) state.last = out.front();
  return out;
}

}  // namespace

std::vector<array> CapturedGraph::operator()(const std::vector<array>& inputs) const {
  const auto& expected = state_->inputs;
  EMBER_CHECK(inputs.size() == expected.size(), ValueError, "[capture_graph] the capture took ",
              expected.size(), " inputs", state_->states.empty() ? "" : " besides its states",
              ", got ", inputs.size());
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
  return in_order(*state_, inputs, [&](std::vector<array> in) {
    return array::make_arrays(std::move(shapes), dtypes,
                              std::make_shared<CapturedCall>(state_->stream, state_), std::move(in));
  });
}

size_t CapturedGraph::num_states() const { return state_->states.size(); }

array CapturedGraph::read_state(size_t index) const {
  EMBER_CHECK(index < state_->states.size(), ValueError, "[capture_graph] no state ", index,
              " (the capture has ", state_->states.size(), ")");
  const array& buffer = state_->states[index];
  return in_order(*state_, {}, [&](std::vector<array> in) {
    return std::vector<array>{array(Shape(buffer.shape()), buffer.dtype(),
                                    std::make_shared<StateTransfer>(state_->stream, state_, index, false),
                                    std::move(in))};
  })[0];
}

void CapturedGraph::write_state(size_t index, const array& value) const {
  EMBER_CHECK(index < state_->states.size(), ValueError, "[capture_graph] no state ", index,
              " (the capture has ", state_->states.size(), ")");
  const array& buffer = state_->states[index];
  bool fits = value.ndim() == buffer.ndim() && value.dtype() == buffer.dtype();
  for (int d = 0; fits && d < value.ndim(); ++d) fits = value.shape(d) <= buffer.shape(d);
  EMBER_CHECK(fits, ValueError, "[capture_graph] state ", index, " is ",
              shape_to_string(buffer.shape()), " ", buffer.dtype(), "; a write of ",
              shape_to_string(value.shape()), " ", value.dtype(), " does not fit it");
  in_order(*state_, {value}, [&](std::vector<array> in) {
    return std::vector<array>{array(Shape{0}, bool_,
                                    std::make_shared<StateTransfer>(state_->stream, state_, index, true),
                                    std::move(in))};
  });
}

size_t CapturedGraph::num_kernels() const { return state_->num_kernels; }

void CapturedCall::eval_cpu(const std::vector<array>&, std::vector<array>&) {
  throw NotImplementedError("[capture_graph] a captured graph runs on the GPU only");
}

void StateUpdate::eval_cpu(const std::vector<array>&, array&) {
  throw NotImplementedError("[update_state] captured graphs run on the GPU only");
}

void StateTransfer::eval_cpu(const std::vector<array>&, array&) {
  throw NotImplementedError("[capture_graph] captured graphs run on the GPU only");
}

}  // namespace ember
