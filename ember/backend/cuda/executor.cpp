// GPU streams: one cudaStream_t per ember stream, a launcher thread that runs the stream's
// tasks in order (each enqueues kernels and returns), and a completion worker that waits
// for each task's event, then finishes its node and drops what it held (G1, G6).
// See Note [GPU completion] in core/eval.cpp for the protocol.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ember/backend/cuda/capture.h"
#include "ember/backend/cuda/cuda_utils.h"
#include "ember/core/backend.h"
#include "ember/core/config.h"
#include "ember/core/errors.h"
#include "ember/core/node.h"
#include "ember/core/primitive.h"
#include "ember/core/spin_wait.h"
#include "ember/core/storage.h"

namespace ember::backend {
namespace {

constexpr size_t kMaxQueued = 4096;    // tasks waiting to launch (as on CPU streams)
constexpr size_t kMaxInFlight = 1024;  // launched tasks whose completion is pending
// Bytes of outputs those tasks allocated. A task's buffers go back to the pool only at its
// completion (G1), so a launcher far ahead of the GPU (a long prefill is GPU-bound) would
// otherwise hold every intermediate of the window at once: peak memory several times the
// working set. One task may always be in flight, whatever its size.
constexpr size_t kMaxInFlightBytes = size_t{2} << 30;
// Completions the launcher gathers before handing them to the completion worker in one go
// (one lock and one wake-up instead of one per task). It hands them over sooner when it
// runs out of tasks or is about to block (Node::set_before_block_hook).
constexpr size_t kCompletionBatch = 16;

// cudaEvent_t handles are reused: one is recorded per task, so creating each anew would
// cost a driver call per op. The completion worker waits by spinning (the CUDA default), a
// core per stream only while work is in flight: recording a blocking-sync event costs
// 2.5 us of launcher time against 0.9 us (H200, benchmarks/lm/NOTES.md), and the launcher
// is what bounds decode. EMBER_CUDA_BLOCKING_SYNC=1 makes the worker sleep instead.
class EventPool {
 public:
  cudaEvent_t take() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        cudaEvent_t event = free_.back();
        free_.pop_back();
        return event;
      }
    }
    cudaEvent_t event = nullptr;
    static const unsigned flags =
        config::env_or("EMBER_CUDA_BLOCKING_SYNC", "0") == "1"
            ? cudaEventDisableTiming | cudaEventBlockingSync
            : cudaEventDisableTiming;
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&event, flags));
    return event;
  }
  void give_back(cudaEvent_t event) {
    std::lock_guard lock(mutex_);
    if (free_.size() < 256) {
      free_.push_back(event);
    } else {
      cudaEventDestroy(event);
    }
  }

 private:
  std::mutex mutex_;
  std::vector<cudaEvent_t> free_;
};

// EMBER_CUDA_PROFILE=1: the host time each primitive's task spends on launcher threads
// (inputs, allocation, kernel launches, event record), printed to stderr at exit. It
// says where a launch-bound workload (LLM decode) spends its time.
class LaunchProfile {
 public:
  static LaunchProfile* get() {
    static LaunchProfile* profile = std::getenv("EMBER_CUDA_PROFILE") ? new LaunchProfile : nullptr;
    return profile;
  }
  using Clock = std::chrono::steady_clock;
  /// Now, when `profile` is on (a clock read per task otherwise costs for nothing).
  static Clock::time_point now(const LaunchProfile* profile) {
    return profile ? Clock::now() : Clock::time_point{};
  }
  static double since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }
  /// One task of primitive `name` took `seconds` on the launcher.
  void add(const char* name, double seconds) { count(entries_, name, seconds); }
  /// One pass through a named part of the per-task path took `seconds`.
  void add_phase(const char* name, double seconds) { count(phases_, name, seconds); }
  void add_idle(double seconds) {
    std::lock_guard lock(mutex_);
    idle_seconds_ += seconds;
  }
  void add_completion(double waiting, double busy) {
    std::lock_guard lock(mutex_);
    completion_wait_seconds_ += waiting;
    completion_busy_seconds_ += busy;
  }

 private:
  struct Entry {
    uint64_t count = 0;
    double seconds = 0;
  };
  void count(std::map<std::string, Entry>& table, const char* name, double seconds) {
    std::lock_guard lock(mutex_);
    auto& entry = table[name];
    entry.count += 1;
    entry.seconds += seconds;
  }
  LaunchProfile() { std::atexit([] { get()->print(); }); }
  void print() {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, Entry>> rows(entries_.begin(), entries_.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
    double total = 0;
    uint64_t tasks = 0;
    for (const auto& [name, e] : rows) total += e.seconds, tasks += e.count;
    std::fprintf(stderr, "[EMBER_CUDA_PROFILE] launcher: %llu tasks, %.3f s busy (%.2f us/task), "
                 "%.3f s idle\n", static_cast<unsigned long long>(tasks), total,
                 tasks ? 1e6 * total / tasks : 0.0, idle_seconds_);
    std::fprintf(stderr, "[EMBER_CUDA_PROFILE] completion: %.3f s waiting for events, %.3f s "
                 "finishing tasks\n", completion_wait_seconds_, completion_busy_seconds_);
    for (const auto& [name, e] : rows) {
      std::fprintf(stderr, "[EMBER_CUDA_PROFILE] %-24s %10llu tasks %9.3f s %8.2f us/task\n",
                   name.c_str(), static_cast<unsigned long long>(e.count), e.seconds,
                   1e6 * e.seconds / e.count);
    }
    for (const auto& [name, e] : phases_) {
      std::fprintf(stderr, "[EMBER_CUDA_PROFILE] phase %-30s %10llu x %9.3f s %8.2f us\n",
                   name.c_str(), static_cast<unsigned long long>(e.count), e.seconds,
                   1e6 * e.seconds / e.count);
    }
  }
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, Entry> phases_;
  double idle_seconds_ = 0;
  double completion_wait_seconds_ = 0, completion_busy_seconds_ = 0;
};

class CudaEvent final : public detail::DeviceEvent {
 public:
  CudaEvent(cudaEvent_t event, EventPool& pool) : event_(event), pool_(pool) {}
  ~CudaEvent() override { pool_.give_back(event_); }
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_;
  EventPool& pool_;  // the executor's, which lives for the life of the process
};

class GpuExecutor final : public detail::StreamExecutor {
 public:
  explicit GpuExecutor(const Stream& stream) : device_(stream.device.index) {
    // A malformed EMBER_SPIN_WAIT_US is a ValueError here, in the caller's thread, rather
    // than in the worker threads that poll with it.
    config::spin_wait_microseconds();
  }

  uint64_t submit(detail::Task task) override {
    std::vector<detail::Task> one;
    one.push_back(std::move(task));
    return submit_batch(std::move(one));
  }

  uint64_t submit_batch(std::vector<detail::Task> tasks) override {
    std::unique_lock lock(mutex_);
    const bool from_worker = on_worker_thread();
    for (auto& task : tasks) {
      if (!from_worker && queue_.size() >= kMaxQueued) {
        start_locked();
        has_work_.notify_one();
        has_space_.wait(lock, [&] { return queue_.size() < kMaxQueued; });
      }
      queue_.push_back(std::move(task));
      submitted_.fetch_add(1, std::memory_order_relaxed);
    }
    start_locked();
    has_work_.notify_one();
    return submitted_.load(std::memory_order_relaxed);
  }

  uint64_t submitted() const override { return submitted_.load(std::memory_order_relaxed); }

  void wait_retired(uint64_t ticket) override {
    if (on_worker_thread()) return;
    auto retired = [&] { return retired_.load(std::memory_order_acquire) >= ticket; };
    if (detail::spin_until(retired)) return;
    std::unique_lock lock(mutex_);
    retired_cv_.wait(lock, retired);
  }

  void wait_idle() override {
    EMBER_INTERNAL_ASSERT(!on_worker_thread(), "a GPU stream waited on itself from its worker");
    const uint64_t target = submitted_.load(std::memory_order_acquire);
    auto retired = [&] { return retired_.load(std::memory_order_acquire) >= target; };
    if (detail::spin_until(retired)) return;
    std::unique_lock lock(mutex_);
    retired_cv_.wait(lock, retired);
  }

  bool on_worker_thread() const override {
    const auto id = std::this_thread::get_id();
    return id == launcher_id_ || id == completer_id_;
  }

  bool is_asynchronous() const override { return true; }

  void begin_capture() override {
    submit([this] { start_capture(); });
  }

  std::shared_ptr<detail::CapturedKernels> end_capture() override {
    submit([this] { finish_capture(); });
    wait_idle();
    std::lock_guard lock(mutex_);
    if (captured_error_) std::rethrow_exception(std::exchange(captured_error_, nullptr));
    return std::exchange(captured_, nullptr);
  }

  void wait_for(const detail::Node& input) override {
    std::shared_ptr<detail::DeviceEvent> event;
    {
      std::lock_guard lock(input.data_lock);
      event = input.event;
    }
    if (!event) return;  // already complete
    waited_on_event_ = true;
    EMBER_CUDA_CHECK(
        cudaStreamWaitEvent(stream_.get(), static_cast<CudaEvent&>(*event).get(), 0));
  }

  void finish_async(std::shared_ptr<detail::Node> node, detail::Submission submission,
                    std::exception_ptr failure) override {
    LaunchProfile* const profile = LaunchProfile::get();
    const auto start = LaunchProfile::now(profile);
    if (profile) profile->add_phase("task until finish_async", LaunchProfile::since(task_start_));
    Completion c;
    c.node = std::move(node);
    c.submission = std::move(submission);
    c.failure = failure;
    const bool capturing = cuda::is_capturing();
    try {
      if (capturing) {
        c.event = capture_event_;  // recorded after the graph's first run (finish_capture)
      } else {
        // A task that enqueued nothing (a view) is complete when everything before it on
        // the stream is: it shares the last event instead of recording one.
        const bool enqueued_work =
            waited_on_event_ || cuda::current_stream_uses() != stream_uses_at_start_;
        if (enqueued_work || !last_event_) last_event_ = record_event();
        c.event = last_event_;
      }
      if (profile) profile->add_phase("finish_async: record event", LaunchProfile::since(start));
    } catch (...) {
      // No event: the completion worker synchronises the whole stream instead.
      last_event_ = nullptr;
      if (!c.failure) c.failure = std::current_exception();
    }
    {
      std::lock_guard lock(c.node->data_lock);
      if (c.event) c.node->event = c.event;
      for (const auto& out : c.node->outputs) {
        if (out.owns && out.storage) c.bytes += out.storage->size();
      }
    }
    // Published after the event is set: a task of another stream that sees `enqueued`
    // finds the event (or, once complete, none). Failures are published by the worker,
    // except while capturing: later captured tasks must not wait for a worker that gets
    // nothing until the capture ends (which then fails them all).
    if (!c.failure || capturing) {
      c.node->status.store(detail::Status::enqueued, std::memory_order_release);
      c.node->status.notify_all();
    }
    pending_ = std::move(c);
    has_pending_ = true;
    if (profile) profile->add_phase("finish_async: total", LaunchProfile::since(start));
  }

 private:
  struct Completion {
    uint64_t ticket = 0;
    std::shared_ptr<detail::Node> node;  // null for a task that finished no node
    detail::Submission submission;
    std::exception_ptr failure;
    std::shared_ptr<detail::DeviceEvent> event;
    size_t bytes = 0;  // of the outputs it allocated (kMaxInFlightBytes)
  };

  std::shared_ptr<detail::DeviceEvent> record_event() {
    auto event = std::make_shared<CudaEvent>(event_pool_.take(), event_pool_);
    EMBER_CUDA_CHECK(cudaEventRecord(event->get(), stream_.get()));
    return event;
  }

  void start_locked() {
    if (launcher_.joinable()) return;
    launcher_ = std::thread([this] { launch_loop(); });
    completer_ = std::thread([this] { completion_loop(); });
    launcher_id_ = launcher_.get_id();
    completer_id_ = completer_.get_id();
  }

  void launch_loop() {
    try {
      stream_ = cuda::CudaStream(device_);
    } catch (...) {
      // Reported at the next wait; tasks then run on the legacy stream, where the same
      // fault will most likely fail them too.
      record_error(std::current_exception());
    }
    cuda::set_current_stream(stream_.get(), device_);
    detail::Node::set_before_block_hook(
        [](void* self) { static_cast<GpuExecutor*>(self)->hand_over_completions(); }, this);
    LaunchProfile* const profile = LaunchProfile::get();
    std::deque<detail::Task> tasks;  // taken from queue_ in one go
    for (uint64_t ticket = 1;; ++ticket) {
      if (tasks.empty()) {
        hand_over_completions();  // before sleeping: what was launched can be finished
        // The next eval usually comes soon (decode's next step): poll before sleeping.
        detail::spin_until([&] { return submitted_.load(std::memory_order_acquire) != taken_; });
        std::unique_lock lock(mutex_);
        const auto idle_start = LaunchProfile::now(profile);
        has_work_.wait(lock, [&] { return !queue_.empty(); });
        if (profile) profile->add_idle(LaunchProfile::since(idle_start));
        tasks.swap(queue_);
        taken_ += tasks.size();
        has_space_.notify_all();
      }
      // Bound the work in flight (and the memory it holds), counting what is gathered.
      // A capture holds its tasks until it ends, and its buffers for its life anyway.
      if (!cuda::is_capturing() && !room_in_flight()) {
        hand_over_completions();
        std::unique_lock lock(mutex_);
        in_flight_cv_.wait(lock, [&] { return room_in_flight(); });
      }
      detail::Task task = std::move(tasks.front());
      tasks.pop_front();
      has_pending_ = false;
      waited_on_event_ = false;
      stream_uses_at_start_ = cuda::current_stream_uses();
      const auto start = LaunchProfile::now(profile);
      task_start_ = start;
      task();          // never throws: run_node stores errors (G6)
      task = nullptr;  // the node and submission now live in the completion record
      Completion c = has_pending_ ? std::move(pending_) : Completion{};
      if (profile) {
        const auto* primitive = c.node ? c.node->primitive.get() : nullptr;
        profile->add(primitive ? primitive->name() : "(no node)", LaunchProfile::since(start));
      }
      pending_ = Completion{};
      c.ticket = ticket;
      gathered_bytes_ += c.bytes;
      gathered_.push_back(std::move(c));
      if (gathered_.size() >= kCompletionBatch) hand_over_completions();
    }
  }

  // Whether another task may launch: in-flight tasks (handed over or gathered) and their
  // output bytes are under the bounds; one task may always be in flight, whatever its size.
  bool room_in_flight() const {
    const size_t tasks = in_flight_tasks_.load(std::memory_order_acquire) + gathered_.size();
    const size_t bytes = in_flight_bytes_.load(std::memory_order_acquire) + gathered_bytes_;
    return tasks < kMaxInFlight && (bytes < kMaxInFlightBytes || tasks == 0);
  }

  // Launcher thread: passes the gathered completions to the completion worker.
  void hand_over_completions() {
    // A captured task completes only with the graph's first run (finish_capture).
    if (gathered_.empty() || cuda::is_capturing()) return;
    const auto start = LaunchProfile::now(LaunchProfile::get());
    {
      std::lock_guard lock(mutex_);
      in_flight_bytes_.fetch_add(gathered_bytes_, std::memory_order_release);
      in_flight_tasks_.fetch_add(gathered_.size(), std::memory_order_release);
      for (auto& c : gathered_) completions_.push_back(std::move(c));
      handed_over_.fetch_add(1, std::memory_order_release);
    }
    gathered_.clear();
    gathered_bytes_ = 0;
    completion_cv_.notify_one();
    if (auto* profile = LaunchProfile::get()) {
      profile->add_phase("launcher: hand over completions", LaunchProfile::since(start));
    }
  }

  // Launcher thread, as a task: from here to finish_capture, kernels go into a graph.
  void start_capture() {
    hand_over_completions();  // what came before completes as usual
    capture_failure_ = nullptr;
    try {
      capture_event_ = std::make_shared<CudaEvent>(event_pool_.take(), event_pool_);
      EMBER_CUDA_CHECK(cudaStreamBeginCapture(stream_.get(), cudaStreamCaptureModeRelaxed));
    } catch (...) {
      capture_failure_ = std::current_exception();
    }
    cuda::set_capturing(true);
  }

  // Launcher thread, as a task: ends the capture, runs the graph once and completes the
  // captured tasks with it (or fails them all with the capture's error).
  void finish_capture() {
    cuda::set_capturing(false);
    std::exception_ptr failure = capture_failure_;
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    size_t num_nodes = 0;
    auto fail = [&](const char* step, cudaError_t error) {
      cudaGetLastError();
      if (!failure) {
        failure = std::make_exception_ptr(RuntimeError(detail::concat(
            "[capture_graph] ", step, " failed: ", cudaGetErrorName(error), " (",
            cudaGetErrorString(error), "); an op of the function did work a CUDA graph cannot "
            "hold (a host synchronisation or a copy from pageable memory)")));
      }
    };
    if (const cudaError_t e = cudaStreamEndCapture(stream_.get(), &graph); e != cudaSuccess) {
      fail("cudaStreamEndCapture", e);
    }
    for (const auto& c : gathered_) {
      if (!failure && c.failure) failure = c.failure;  // a captured op's own error
    }
    if (!failure) {
      if (const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0); e != cudaSuccess) {
        fail("cudaGraphInstantiate", e);
      } else if (const cudaError_t e2 = cudaGraphLaunch(exec, stream_.get()); e2 != cudaSuccess) {
        fail("cudaGraphLaunch", e2);
      }
    }
    if (!failure && graph) cudaGraphGetNodes(graph, nullptr, &num_nodes);
    if (capture_event_) cudaEventRecord(capture_event_->get(), stream_.get());
    last_event_ = capture_event_;
    capture_event_.reset();
    std::shared_ptr<detail::CapturedKernels> captured;
    if (!failure) {
      std::vector<std::shared_ptr<const void>> held;
      for (const auto& c : gathered_) {
        held.insert(held.end(), c.submission.keep_alive.begin(), c.submission.keep_alive.end());
      }
      captured = std::make_shared<cuda::CudaCapturedKernels>(graph, exec, std::move(held), num_nodes);
    } else {
      if (exec) cudaGraphExecDestroy(exec);
      if (graph) cudaGraphDestroy(graph);
      for (auto& c : gathered_) {
        if (c.node) c.failure = failure;
      }
    }
    {
      std::lock_guard lock(mutex_);
      captured_ = std::move(captured);
      captured_error_ = failure;
    }
    hand_over_completions();
  }

  void completion_loop() {
    cudaSetDevice(device_);
    LaunchProfile* const profile = LaunchProfile::get();
    std::deque<Completion> taken;
    uint64_t batches_seen = 0;
    for (;;) {
      // The launcher hands over completions while kernels run: poll before sleeping.
      detail::spin_until([&] { return handed_over_.load(std::memory_order_acquire) != batches_seen; });
      {
        std::unique_lock lock(mutex_);
        batches_seen = handed_over_.load(std::memory_order_relaxed);
        completion_cv_.wait(lock, [&] { return !completions_.empty(); });
        taken.swap(completions_);
      }
      for (auto& c : taken) {
        const auto start = LaunchProfile::now(profile);
        const double waiting = complete(c, profile);
        const uint64_t ticket = c.ticket;
        const size_t bytes = c.bytes;
        c = Completion{};  // drop the submission: buffers go back to the pool only now (G1)
        if (profile) profile->add_completion(waiting, LaunchProfile::since(start) - waiting);
        {
          std::lock_guard lock(mutex_);
          retired_ = ticket;
          in_flight_bytes_.fetch_sub(bytes, std::memory_order_release);
          in_flight_tasks_.fetch_sub(1, std::memory_order_release);
        }
        retired_cv_.notify_all();
        in_flight_cv_.notify_one();
      }
      taken.clear();
    }
  }

  // Waits for the event, then publishes the node; returns the seconds spent waiting when
  // profiling, else 0. Never throws.
  double complete(Completion& c, const LaunchProfile* profile) noexcept {
    if (!c.node) return 0.0;
    std::exception_ptr failure = c.failure;
    const auto wait_start = LaunchProfile::now(profile);
    const cudaError_t error = c.event ? cudaEventSynchronize(static_cast<CudaEvent&>(*c.event).get())
                                      : cudaStreamSynchronize(stream_.get());
    const double waited = profile ? LaunchProfile::since(wait_start) : 0.0;
    if (error != cudaSuccess && !failure) {
      cudaGetLastError();
      const char* op = c.node->primitive ? c.node->primitive->name() : "kernel";
      failure = std::make_exception_ptr(RuntimeError(
          detail::concat("[", op, "] CUDA error ", cudaGetErrorName(error), " (",
                         cudaGetErrorString(error), ") while running on gpu:", device_)));
    }
    if (!failure) failure = run_checks(c);
    {
      std::lock_guard lock(c.node->data_lock);
      c.node->event.reset();
    }
    try {
      if (failure) {
        record_error(failure);
        for (auto& out : c.node->outputs) out.release_storage();
      }
      c.node->finish(failure);
    } catch (...) {
      // finish only drops references; nothing here may escape the worker.
    }
    return waited;
  }

  // After the event: the submission's own checks (a kernel's index fault), then the inputs.
  // An input that failed only at its completion (Note [GPU index errors]) had its device
  // work ordered before this node's already, so its failure is passed on here, as a
  // failure at launch is in run_node. Inputs of other streams are waited for: their
  // completion workers finish them without waiting on this one.
  static std::exception_ptr run_checks(const Completion& c) noexcept {
    try {
      for (const auto& check : c.submission.completion_checks) {
        if (auto failure = check()) return failure;
      }
      for (const auto& input : c.node->inputs) {
        const detail::Node& in = *input.node();
        in.wait();
        if (in.load_status() == detail::Status::failed) return in.error;
      }
    } catch (...) {
      return std::current_exception();
    }
    return nullptr;
  }

  const int device_;
  cuda::CudaStream stream_;  // created by the launcher thread before its first task

  std::mutex mutex_;
  std::condition_variable has_work_;
  std::condition_variable has_space_;
  std::condition_variable completion_cv_;
  std::condition_variable in_flight_cv_;
  std::condition_variable retired_cv_;
  std::deque<detail::Task> queue_;
  std::deque<Completion> completions_;
  // Handed over to the completion worker, not yet retired (changed under mutex_; the
  // launcher reads them without it).
  std::atomic<size_t> in_flight_bytes_{0};
  std::atomic<size_t> in_flight_tasks_{0};
  // Polled without mutex_ by spinning waiters (core/spin_wait.h), each on its own cache
  // line so that a poll does not slow the threads writing the fields around it.
  alignas(64) std::atomic<uint64_t> retired_{0};  // written under mutex_
  alignas(64) std::atomic<uint64_t> submitted_{0};
  alignas(64) std::atomic<uint64_t> handed_over_{0};  // batches of completions handed over
  alignas(64) uint64_t taken_ = 0;  // launcher only: tasks taken from queue_ so far
  std::thread launcher_;
  std::thread completer_;
  std::thread::id launcher_id_;
  std::thread::id completer_id_;

  // Launcher-thread only: the record finish_async leaves for the running task.
  Completion pending_;
  bool has_pending_ = false;
  std::vector<Completion> gathered_;  // launched, not yet handed over
  size_t gathered_bytes_ = 0;
  std::shared_ptr<detail::DeviceEvent> last_event_;  // the newest recorded on stream_
  uint64_t stream_uses_at_start_ = 0;  // cuda::current_stream_uses() when the task began
  bool waited_on_event_ = false;       // the task ordered stream_ after another stream
  // Capture (begin_capture's task to end_capture's, while cuda::is_capturing() on the
  // launcher): tasks' kernels go into a graph and their completions wait in gathered_ for
  // its first run, marked by capture_event_.
  std::shared_ptr<CudaEvent> capture_event_;
  std::exception_ptr capture_failure_;
  // What finish_capture leaves for end_capture's caller (under mutex_).
  std::shared_ptr<detail::CapturedKernels> captured_;
  std::exception_ptr captured_error_;
  LaunchProfile::Clock::time_point task_start_;  // when profiling

  EventPool event_pool_;
};

}  // namespace

std::unique_ptr<detail::StreamExecutor> make_gpu_executor(const Stream& stream) {
  detail::check_device(stream.device, "new_stream");
  return std::make_unique<GpuExecutor>(stream);
}

}  // namespace ember::backend

namespace ember::cuda {
bool profiling() { return backend::LaunchProfile::get() != nullptr; }
void profile_phase(const char* name, double seconds) {
  if (auto* profile = backend::LaunchProfile::get()) profile->add_phase(name, seconds);
}
}  // namespace ember::cuda
