// The contract between the core's scheduler and a backend's stream (internal).
//
//   auto& queue = detail::executor(stream);
//   queue.submit([node] { run(node); });     // tasks of one stream run in order
//   queue.synchronize();                     // every task submitted before has finished
//
// Backends create executors (backend.h); the core keeps one per stream, for ever. GPU
// executors are asynchronous: see Note [GPU completion] in eval.cpp.
#pragma once

#include <exception>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "ember/core/stream.h"

namespace ember::detail {

using Task = std::function<void()>;

struct Node;

/// A backend's marker of a point on a device stream (a CUDA event). Nodes hold one while
/// their work is enqueued but not complete.
class DeviceEvent {
 public:
  virtual ~DeviceEvent() = default;
};

/// Kernels captured from a stream's tasks (a CUDA graph), holding every buffer they touch,
/// ready to run again (capture.h). Each backend that captures defines its own.
class CapturedKernels {
 public:
  virtual ~CapturedKernels() = default;
  /// Graph nodes (kernels, copies) one run executes.
  virtual size_t num_nodes() const = 0;
};

/// Everything one device submission touches: input, output, temporary and workspace
/// buffers, kernel modules. Held until the submission's completion event has fired (G1).
struct Submission {
  std::vector<std::shared_ptr<const void>> keep_alive;
  /// Run by the completion worker once the device work has completed, before the node is
  /// published: each returns the error to fail the node with, or null. Never throws.
  /// See Note [GPU index errors] in backend/cuda/indexing.cpp.
  std::vector<std::function<std::exception_ptr()>> completion_checks;
};

/// The submission of the device task running on this thread, or null (CPU streams, host
/// threads). Kernels add their temporaries to it: see keep_until_complete().
Submission* current_submission();
/// Sets this thread's current submission (the scheduler does, around eval_gpu).
void set_current_submission(Submission* submission);
/// Keeps `buffer` alive until the current device submission completes; on a CPU stream
/// (no submission) it is simply dropped by the caller as usual.
void keep_until_complete(std::shared_ptr<const void> buffer);

class StreamExecutor {
 public:
  virtual ~StreamExecutor() = default;
  /// Queues `task` after everything submitted before and returns its ticket (tickets count
  /// submissions from 1). Never throws for a task's failure: tasks catch their own errors
  /// and report them with record_error(). The scheduler submits under its own mutex.
  virtual uint64_t submit(Task task) = 0;
  /// Queues several tasks at once (one lock, one wake-up); returns the last ticket.
  virtual uint64_t submit_batch(std::vector<Task> tasks) = 0;
  /// Tickets handed out so far.
  virtual uint64_t submitted() const = 0;
  /// Blocks until every task submitted before this call has finished.
  virtual void wait_idle() = 0;
  /// Blocks until the task with `ticket` has finished and released what it held (so that
  /// memory it kept alive is freed by the time the caller looks).
  virtual void wait_retired(uint64_t ticket) = 0;
  /// Whether the calling thread is this executor's worker (such calls must not block on it).
  virtual bool on_worker_thread() const = 0;

  // ---- Asynchronous (device) streams; see Note [GPU completion] ----
  /// True for GPU streams: a task enqueues device work and its node completes later.
  virtual bool is_asynchronous() const { return false; }
  /// Orders work enqueued next on this stream after `input`'s device work (a node of
  /// another stream of the same device, at least enqueued): a device-side event wait.
  virtual void wait_for(const Node& input);
  /// Called once by the running task after enqueueing `node`'s work (or failing to):
  /// records a completion event, marks the node enqueued, and later, on the completion
  /// worker, finishes the node and drops `submission`. Never throws.
  virtual void finish_async(std::shared_ptr<Node> node, Submission submission,
                            std::exception_ptr failure);

  // ---- Capture (GPU streams); see capture.h ----
  /// The tasks submitted from now until end_capture() enqueue their kernels into one graph
  /// instead of running them. Nothing else may submit to the stream meanwhile.
  virtual void begin_capture();
  /// Ends the capture, runs the graph once (completing the captured nodes) and returns it;
  /// throws the capture's error, with which every captured node then fails.
  virtual std::shared_ptr<CapturedKernels> end_capture();

  /// Stores the first error raised by work on this stream since the last take_error().
  void record_error(std::exception_ptr error);
  /// Returns and clears the stored error (null if none).
  std::exception_ptr take_error();
  /// Clears the stored error if it is `error` (it has been reported another way).
  void clear_error_if(const std::exception_ptr& error);

 private:
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

/// The executor behind `stream`; valid for the life of the process.
StreamExecutor& executor(const Stream& stream);

}  // namespace ember::detail
