// CPU streams: one worker thread per stream runs its tasks in order (DESIGN.md section 1).
// The worker starts on the first submission and lives as long as the process (streams are
// never destroyed, see Note [Stream registry]). Queues are bounded: submit blocks while a
// stream has kMaxQueued tasks waiting, which bounds the width of work in flight.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "ember/core/backend.h"
#include "ember/core/errors.h"

namespace ember::backend {
namespace {

constexpr size_t kMaxQueued = 4096;

class CpuExecutor final : public detail::StreamExecutor {
 public:
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
        wake_worker_locked();
        has_space_.wait(lock, [&] { return queue_.size() < kMaxQueued; });
      }
      queue_.push_back(std::move(task));
      ++pending_;
      submitted_.fetch_add(1, std::memory_order_relaxed);
    }
    wake_worker_locked();
    return submitted_.load(std::memory_order_relaxed);
  }

  uint64_t submitted() const override { return submitted_.load(std::memory_order_relaxed); }

  void wait_retired(uint64_t ticket) override {
    std::unique_lock lock(mutex_);
    if (std::this_thread::get_id() == worker_id_) return;
    idle_.wait(lock, [&] { return retired_ >= ticket; });
  }

  void wait_idle() override {
    std::unique_lock lock(mutex_);
    EMBER_INTERNAL_ASSERT(std::this_thread::get_id() != worker_id_,
                          "a CPU stream waited on itself from its own worker");
    idle_.wait(lock, [&] { return pending_ == 0; });
  }

  bool on_worker_thread() const override { return std::this_thread::get_id() == worker_id_; }

 private:
  void wake_worker_locked() {
    if (!worker_.joinable()) {
      worker_ = std::thread([this] { loop(); });
      worker_id_ = worker_.get_id();
    }
    has_work_.notify_one();
  }

  void loop() {
    for (;;) {
      detail::Task task;
      {
        std::unique_lock lock(mutex_);
        has_work_.wait(lock, [&] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
        has_space_.notify_one();
      }
      task();           // tasks never throw: run_node stores errors (G6)
      task = nullptr;   // release what the task held before reporting it done
      {
        std::lock_guard lock(mutex_);
        --pending_;
        ++retired_;
      }
      idle_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable has_work_;
  std::condition_variable has_space_;
  std::condition_variable idle_;
  std::deque<detail::Task> queue_;
  size_t pending_ = 0;   // queued or running
  uint64_t retired_ = 0;  // tasks finished and destroyed, in order
  std::atomic<uint64_t> submitted_{0};
  std::thread worker_;
  std::thread::id worker_id_;
};

}  // namespace

std::unique_ptr<detail::StreamExecutor> make_cpu_executor(int /*stream_index*/) {
  return std::make_unique<CpuExecutor>();
}

}  // namespace ember::backend
