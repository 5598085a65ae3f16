// Capturing a function's GPU kernels once and running them again with one launch (a CUDA
// graph): for a step repeated with the same shapes, where launching each kernel costs the
// host more time than the kernel runs on the device (an LLM decode step).
//
//   CapturedGraph step = capture_graph([](const std::vector<array>& x) {
//     return std::vector<array>{mlp(x[0])};
//   }, {x0});
//   array y = step({x1})[0];  // lazy: one node that copies x1 in, replays, copies y out
//
// With states, the graph also keeps buffers that each call updates in place (a KV cache
// written one row per step): the last `num_states` inputs of `fn` are states, and `fn`
// returns their new values last, made with update_state.
//
//   CapturedGraph step = capture_graph([](const std::vector<array>& x) {
//     array cache = update_state(x[2], x[0], x[1], {0});  // row x[1] of the cache := x[0]
//     return std::vector<array>{sum(cache, 0), cache};
//   }, {row, position, zeros({capacity, width})}, {}, /*num_states=*/1);
//   step.write_state(0, rows_so_far);       // a prefix of the state
//   array total = step({next_row, position})[0];
//
// An ember extension: MLX has no counterpart (torch.cuda.CUDAGraph is the nearest).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "ember/core/array.h"
#include "ember/core/stream.h"

namespace ember {

namespace detail {
struct CaptureState;
}

/// A function captured by capture_graph. Calling it is cheap (one node, one graph launch)
/// and safe from any thread; calls run in order on the capturing stream.
class CapturedGraph {
 public:
  /// The function of the capture on new inputs (the captured shapes and dtypes; any layout
  /// and any GPU stream's arrays; the states not among them). Lazy: one node whose outputs
  /// (the states not among them) are fresh arrays, so what earlier calls returned never
  /// changes. With states, calls, reads and writes of states run in the order they were
  /// made, whatever is evaluated first.
  std::vector<array> operator()(const std::vector<array>& inputs) const;
  /// Kernels (graph nodes) one call replays.
  size_t num_kernels() const;
  size_t num_states() const;
  /// A copy of state `index` after every call and write made so far (lazy).
  array read_state(size_t index) const;
  /// Writes `value` (the state's dtype; its shape, or smaller along any axis: the rest of
  /// the state keeps what it held) at the start of state `index`, after every call made so
  /// far and before every later one. Lazy: it runs when a later call or read does.
  void write_state(size_t index, const array& value) const;

 private:
  friend CapturedGraph capture_graph(const std::function<std::vector<array>(const std::vector<array>&)>&,
                                     const std::vector<array>&, StreamOrDevice, int);
  explicit CapturedGraph(std::shared_ptr<const detail::CaptureState> state) : state_(std::move(state)) {}
  std::shared_ptr<const detail::CaptureState> state_;
};

/// Runs `fn` once on copies of `example_inputs` and captures the kernels it launches into
/// a graph that later calls replay. `s` must be a GPU stream (default: a new stream of the
/// default device, private to the capture); while `fn` builds its graph, `s` is this
/// thread's default stream, and every op `fn` applies to its inputs must run on it
/// (ValueError otherwise). What does not depend on the inputs (weights `fn` closes over,
/// values it derives from them alone) is evaluated first, once: constants of the graph.
/// The graph-depth guard (G3) is off while `fn` runs: the capture evaluates its whole
/// graph. The graph keeps every buffer its kernels touch for its whole life (G1), so it
/// costs its intermediates' memory. What `fn` computes must depend only on the inputs'
/// values, not on anything read back to the host; checks a kernel reports after completion
/// (an out-of-range gather index) run for the capturing run only. Nothing else may submit
/// to `s` while it captures.
///
/// The last `num_states` inputs are states: the graph keeps their buffers, starting from
/// the examples' values, and `fn`'s last `num_states` outputs are their new values, each
/// the state input itself or what update_state last returned for it. Every other read of
/// a state's value must come before the update that overwrites it (an input of it):
/// ValueError otherwise, and for a state output that is not its state.
CapturedGraph capture_graph(const std::function<std::vector<array>(const std::vector<array>&)>& fn,
                            const std::vector<array>& example_inputs, StreamOrDevice s = {},
                            int num_states = 0);

/// Inside a function captured with states: `state` (a state input, or what update_state
/// returned for it) with `update` written at a start read at run time from `start` (one
/// integer per axis in `axes`, other axes from 0; clamped to fit, as slice_update's
/// dynamic form), in place in the state's buffer. ValueError anywhere else: arrays are
/// values, and only a captured graph's state buffers change.
array update_state(const array& state, const array& update, const array& start,
                   std::vector<int> axes);

}  // namespace ember
