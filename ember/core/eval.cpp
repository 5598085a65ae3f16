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
#include "ember/core/storage.h"
#include "ember/core/transfer.h"

namespace ember {
namespace {

std::mutex g_schedule_mutex;
std::atomic<int64_t> g_max_depth{-1};
thread_local int t_depth_guard_off = 0;

// Note [GPU completion]
// A CPU task computes its node and finishes it (available) before the next task starts.
// A GPU task only *enqueues* kernels on its stream's cudaStream_t, so it must not publish
// its node as available: the data is not there yet. Instead:
//  1. Inputs. An input on the same stream needs nothing (stream order). An input on
//     another GPU stream of the same device is waited for host-side only until it is
//     `enqueued` (its event exists), then device-side with cudaStreamWaitEvent. Any other
//     input (CPU stream, other device) is waited for until `available`. An input whose
//     data lives on another device is replaced by a staged copy (transfer.h).
//  2. The task runs eval_gpu with a Submission as this thread's current submission; it
//     holds every input and output storage, the staged copies and the temporaries and
//     workspaces kernels register (keep_until_complete): G1.
//  3. finish_async records an event after the kernels, stores it on the node and marks the
//     node `enqueued`; later GPU tasks of the same stream launch without waiting.
//  4. The stream's completion worker waits for the event (cudaEventSynchronize), then
//     records any error (G6), finishes the node (available or failed, inputs dropped) and
//     drops the submission. Only then can a buffer the kernels touched go back to the
//     allocator's pool, so a freed block is never reused while work that uses it is in
//     flight. Host readers (eval, data<T>, item, CPU tasks) wait for `available`.
// Tickets retire in submission order when the completion worker is done with them, so
// eval's wait_retired also covers the release of what the submission held.
void run_node(const std::shared_ptr<detail::Node>& node) noexcept {
  std::exception_ptr failure;
  Primitive& primitive = *node->primitive;
  const Device device = primitive.device();
  detail::StreamExecutor& executor = *node->executor;
  const bool async = executor.is_asynchronous();
  detail::Submission submission;
  auto fail = [&](std::exception_ptr error) {
    if (!failure) failure = std::move(error);
  };
  try {
    for (const auto& input : node->inputs) {
      const auto* in = input.node().get();
      // (An input on another GPU is ordered too; its data is then staged below.)
      const bool device_ordered = async && in->executor != nullptr &&
                                  in->executor->is_asynchronous() &&
                                  in->load_status() != detail::Status::available;
      if (device_ordered) {
        in->wait_enqueued();
        if (in->load_status() == detail::Status::failed) {
          fail(in->error);
        } else if (in->executor != &executor) {
          executor.wait_for(*in);
        }
      } else {
        in->wait();
        if (in->load_status() == detail::Status::failed) fail(in->error);
      }
    }
  } catch (...) {
    fail(std::current_exception());
  }
  if (!failure) {
    // Pin the storage of every view input: compaction may swap it mid-kernel (G2, G1).
    // Device work pins every buffer it touches until its completion event.
    std::vector<detail::StoragePtr> pins;
    std::vector<array> outputs;
    outputs.reserve(node->outputs.size());
    for (uint32_t i = 0; i < node->outputs.size(); ++i) outputs.emplace_back(node, i);
    if (async) detail::set_current_submission(&submission);
    try {
      // Inputs whose data lives on another device are staged (transfer.h).
      std::vector<array> staged;
      const std::vector<array>* inputs = &node->inputs;
      for (size_t i = 0; i < node->inputs.size(); ++i) {
        const auto storage = node->inputs[i].storage();
        if (storage && storage->device() != device) {
          if (staged.empty()) staged = node->inputs;
          staged[i] = detail::stage_to_device(node->inputs[i], device);
          inputs = &staged;
        }
      }
      for (const auto& input : *inputs) {
        const auto& out = input.node()->outputs[input.output_index()];
        if (async) {
          submission.keep_alive.push_back(input.storage());
        } else if (!out.owns) {
          pins.push_back(input.storage());
        }
      }
      if (device.type == Device::cpu) {
        primitive.eval_cpu(*inputs, outputs);
      } else {
        primitive.eval_gpu(*inputs, outputs);
      }
      if (async) {
        for (auto& input : staged) submission.keep_alive.push_back(input.storage());
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
    if (async) {
      detail::set_current_submission(nullptr);
      // Kernels may already write the outputs: they stay alive until the event.
      for (auto& out : outputs) {
        if (auto storage = out.storage()) submission.keep_alive.push_back(std::move(storage));
      }
    }
    if (failure) {
      for (auto& out : node->outputs) out.release_storage();
    }
  }
  if (async) {
    executor.finish_async(node, std::move(submission), failure);
    return;
  }
  // Record before publishing, so that a waiter that sees the failure can clear it (G6).
  if (failure) executor.record_error(failure);
  node->finish(failure);
}

// Claims and submits every unscheduled node that `outputs` depend on, inputs first.
void schedule(const std::vector<array>& outputs) {
  std::lock_guard lock(g_schedule_mutex);
  std::vector<std::shared_ptr<detail::Node>> tape;
  detail::walk_inputs_first(
      outputs,
      [](const std::shared_ptr<detail::Node>& node) {  // claim
        if (node->load_status() != detail::Status::unscheduled) return false;
        node->status.store(detail::Status::scheduled, std::memory_order_release);
        return true;
      },
      [&](std::shared_ptr<detail::Node> node) { tape.push_back(std::move(node)); });
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
