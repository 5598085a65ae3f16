// The scheduler: turns a request to evaluate some arrays into ordered tasks on their streams.
//
// Note [Scheduling]
// A walk over the unscheduled part of the graph (iterative, post-order) claims each node by
// moving it to `scheduled` and submits it to its stream, all under one process-wide mutex.
// Holding the mutex across claim and submit means a node seen as scheduled by another
// thread is already in a queue ahead of anything that will wait on it, so a task only ever
// waits on tasks submitted before it: no cycle, no deadlock, with any number of threads
// and streams (G5). Tasks of one stream run in order; a task whose input lives on another
// stream waits for that input's node. Queues apply back-pressure (the width limit).
#include "ember/core/eval.h"

#include <atomic>
#include <mutex>

#include "ember/core/config.h"
#include "ember/core/executor.h"
#include "ember/core/node.h"
#include "ember/core/primitive.h"

namespace ember {
namespace {

std::mutex g_schedule_mutex;
std::atomic<int64_t> g_max_depth{-1};
thread_local int t_depth_guard_off = 0;

void run_node(const std::shared_ptr<detail::Node>& node) noexcept {
  std::exception_ptr failure;
  Primitive& primitive = *node->primitive;
  for (const auto& input : node->inputs) {
    const auto* in = input.node().get();
    in->wait();
    if (!failure && in->load_status() == detail::Status::failed) failure = in->error;
  }
  if (!failure) {
    // Pin the storage of every view input: compaction may swap it mid-kernel (G2, G1).
    std::vector<detail::StoragePtr> pins;
    for (const auto& input : node->inputs) {
      const auto& out = input.node()->outputs[input.output_index()];
      if (!out.owns) pins.push_back(input.storage());
    }
    std::vector<array> outputs;
    outputs.reserve(node->outputs.size());
    for (uint32_t i = 0; i < node->outputs.size(); ++i) outputs.emplace_back(node, i);
    try {
      if (primitive.device().type == Device::cpu) {
        primitive.eval_cpu(node->inputs, outputs);
      } else {
        primitive.eval_gpu(node->inputs, outputs);
      }
    } catch (const Error& e) {
      failure = e.with_context(detail::concat("[", primitive.name(), "] "));
    } catch (const std::bad_alloc&) {
      failure = std::make_exception_ptr(
          OutOfMemory(detail::concat("[", primitive.name(), "] host allocation failed")));
    } catch (const std::exception& e) {
      failure = std::make_exception_ptr(
          RuntimeError(detail::concat("[", primitive.name(), "] ", e.what())));
    } catch (...) {
      failure = std::make_exception_ptr(
          RuntimeError(detail::concat("[", primitive.name(), "] unknown exception")));
    }
    if (failure) {
      for (auto& out : node->outputs) out.release_storage();
    }
  }
  // Record before publishing, so that a waiter that sees the failure can clear it (G6).
  if (failure) detail::executor(primitive.stream()).record_error(failure);
  node->finish(failure);
}

// Claims and submits every unscheduled node that `outputs` depend on, inputs first.
void schedule(const std::vector<array>& outputs) {
  std::lock_guard lock(g_schedule_mutex);
  std::vector<std::shared_ptr<detail::Node>> tape;
  struct Frame {
    std::shared_ptr<detail::Node> node;
    size_t next_input;
  };
  std::vector<Frame> stack;
  auto claim = [&](const std::shared_ptr<detail::Node>& node) {
    if (node->load_status() != detail::Status::unscheduled) return;
    node->status.store(detail::Status::scheduled, std::memory_order_release);
    stack.push_back({node, 0});
  };
  for (const auto& output : outputs) {
    claim(output.node());
    while (!stack.empty()) {
      Frame& frame = stack.back();
      if (frame.next_input < frame.node->inputs.size()) {
        const auto& input = frame.node->inputs[frame.next_input++].node();
        claim(input);  // may reallocate `stack`: `frame` is not used after this
      } else {
        tape.push_back(std::move(frame.node));
        stack.pop_back();
      }
    }
  }
  // Runs of consecutive nodes on one stream go in one batch (one lock, one wake-up).
  // Every submission happens under g_schedule_mutex, so tickets are known in advance.
  std::vector<detail::Task> batch;
  detail::StreamExecutor* batch_queue = nullptr;
  auto flush = [&] {
    if (batch.empty()) return;
    batch_queue->submit_batch(std::move(batch));
    batch.clear();
  };
  for (auto& node : tape) {
    auto* queue = &detail::executor(node->primitive->stream());
    if (queue != batch_queue) {
      flush();
      batch_queue = queue;
    }
    node->executor = queue;
    node->ticket = queue->submitted() + batch.size() + 1;
    batch.push_back([node = std::move(node)] { run_node(node); });
  }
  flush();
}

}  // namespace

void eval(std::vector<array> outputs) {
  std::vector<Stream> streams;
  for (const auto& output : outputs) {
    if (output.node()->load_status() == detail::Status::unscheduled) {
      streams.push_back(output.primitive().stream());
    }
  }
  schedule(outputs);
  std::exception_ptr failure;
  for (const auto& output : outputs) {
    const auto& node = output.node();
    node->wait();
    // Also wait until the task let go of the node and its inputs: memory it kept alive is
    // then released by the time eval returns.
    if (node->executor) node->executor->wait_retired(node->ticket);
    if (!failure && node->load_status() == detail::Status::failed) failure = node->error;
  }
  // Reported here, so not again at the next synchronize; other stored errors are (G6).
  for (const auto& stream : streams) {
    auto& queue = detail::executor(stream);
    if (failure) {
      queue.clear_error_if(failure);
    } else if (auto stored = queue.take_error()) {
      failure = stored;
    }
  }
  if (failure) std::rethrow_exception(failure);
}

void async_eval(std::vector<array> outputs) { schedule(outputs); }

void set_max_graph_depth(int64_t depth) {
  EMBER_CHECK(depth >= 0, ValueError, "[set_max_graph_depth] depth must be >= 0 (0 = off), got ",
              depth);
  g_max_depth.store(depth, std::memory_order_relaxed);
}

int64_t get_max_graph_depth() {
  int64_t depth = g_max_depth.load(std::memory_order_relaxed);
  if (depth < 0) {
    int64_t expected = -1;
    g_max_depth.compare_exchange_strong(expected, config::max_graph_depth_from_environment());
    depth = g_max_depth.load(std::memory_order_relaxed);
  }
  return depth;
}

namespace detail {
GraphDepthGuardOff::GraphDepthGuardOff() { ++t_depth_guard_off; }
GraphDepthGuardOff::~GraphDepthGuardOff() { --t_depth_guard_off; }
bool depth_guard_active() { return t_depth_guard_off == 0; }
void eval_and_wait_quietly(const std::vector<array>& outputs) {
  schedule(outputs);
  for (const auto& output : outputs) output.node()->wait();
}
}  // namespace detail

}  // namespace ember
