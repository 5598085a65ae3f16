// Capturing a function's GPU kernels once and running them again with one launch (a CUDA
// graph): for a step repeated with the same shapes, where launching each kernel costs the
// host more time than the kernel runs on the device (an LLM decode step).
//
//   CapturedGraph step = capture_graph([](const std::vector<array>& x) {
//     return std::vector<array>{mlp(x[0])};
//   }, {x0});
//   array y = step({x1})[0];  // lazy: one node that copies x1 in, replays, copies y out
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
  /// and any GPU stream's arrays). Lazy: one node whose outputs are fresh arrays, so what
  /// earlier calls returned never changes.
  std::vector<array> operator()(const std::vector<array>& inputs) const;
  /// Kernels (graph nodes) one call replays.
  size_t num_kernels() const;

 private:
  friend CapturedGraph capture_graph(const std::function<std::vector<array>(const std::vector<array>&)>&,
                                     const std::vector<array>&, StreamOrDevice);
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
CapturedGraph capture_graph(const std::function<std::vector<array>(const std::vector<array>&)>& fn,
                            const std::vector<array>& example_inputs, StreamOrDevice s = {});

}  // namespace ember
