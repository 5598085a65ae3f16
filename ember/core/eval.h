// Evaluation, as in MLX (mlx/transforms.h: eval, async_eval), and the graph-depth guard (G3).
//
//   array y = x;
//   for (int i = 0; i < 100000; ++i) y = y * 0.5f + 1.0f;   // never calls eval...
//   y.eval();                                              // ...and still runs in bounded
//                                                          // memory: past the depth limit,
//                                                          // building an op evaluates first.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "ember/core/array.h"

namespace ember {

/// Evaluates `outputs` and everything they depend on, and waits. Rethrows the first error of
/// the evaluation, or one stored on the outputs' streams by earlier asynchronous work (G6).
void eval(std::vector<array> outputs);
template <class... Arrays>
  requires(std::is_convertible_v<Arrays, array> && ...)
void eval(Arrays&&... outputs) {
  eval(std::vector<array>{array(std::forward<Arrays>(outputs))...});
}

/// Schedules `outputs` for evaluation and returns at once; reading them waits.
void async_eval(std::vector<array> outputs);
template <class... Arrays>
  requires(std::is_convertible_v<Arrays, array> && ...)
void async_eval(Arrays&&... outputs) {
  async_eval(std::vector<array>{array(std::forward<Arrays>(outputs))...});
}

/// The unevaluated depth past which building an op first evaluates its inputs (G3).
/// Default 10000 (or EMBER_MAX_GRAPH_DEPTH); 0 turns the guard off. Process-wide.
void set_max_graph_depth(int64_t depth);
int64_t get_max_graph_depth();

namespace detail {
/// Turns the depth guard off on this thread while alive (used inside transforms, whose
/// graphs must stay whole).
class GraphDepthGuardOff {
 public:
  GraphDepthGuardOff();
  ~GraphDepthGuardOff();
  GraphDepthGuardOff(const GraphDepthGuardOff&) = delete;
  GraphDepthGuardOff& operator=(const GraphDepthGuardOff&) = delete;
};
/// Whether building an op on this thread may evaluate its inputs first.
bool depth_guard_active();
/// Evaluates `outputs` and waits, leaving any error on the nodes and streams (the depth
/// guard uses it: an op under construction must not throw an earlier kernel's error).
void eval_and_wait_quietly(const std::vector<array>& outputs);
}  // namespace detail

}  // namespace ember
