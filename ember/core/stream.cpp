#include "ember/core/stream.h"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "ember/core/backend.h"
#include "ember/core/errors.h"
#include "ember/core/executor.h"

namespace ember {
namespace {

// Note [Stream registry]
// Streams live for the life of the process: an array node names its stream by index and
// may be evaluated long after the thread that built it is gone. Lookups are lock-free
// (a fixed table of atomic pointers); creation takes a mutex. Threads' default streams
// are recycled through a free list when a thread exits, so a server that starts and ends
// threads does not grow the table.
constexpr int kMaxStreams = 16384;

struct StreamRecord {
  Device device;
  std::unique_ptr<detail::StreamExecutor> executor;
};

struct Registry {
  std::array<std::atomic<StreamRecord*>, kMaxStreams> records{};
  std::atomic<int> count{0};
  std::mutex mutex;                   // guards creation and the free lists
  std::vector<Stream> free_defaults;  // default streams of threads that have exited
};

Registry& registry() {
  static Registry* instance = new Registry();  // never destroyed: workers may outlive main
  return *instance;
}

Stream create_stream(const Device& device) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  const int index = reg.count.load(std::memory_order_relaxed);
  EMBER_CHECK(index < kMaxStreams, RuntimeError, "[new_stream] too many streams (", kMaxStreams,
              ")");
  Stream stream(index, device);
  auto record = std::make_unique<StreamRecord>(StreamRecord{
      device, device.type == Device::cpu ? backend::make_cpu_executor(index)
                                         : backend::make_gpu_executor(stream)});
  reg.records[index].store(record.release(), std::memory_order_release);
  reg.count.store(index + 1, std::memory_order_release);
  return stream;
}

// Per-thread default streams. `own` are the streams this thread took for itself (returned
// to the free list at thread exit); `current` may be a stream set by set_default_stream.
struct ThreadStreams {
  std::vector<Stream> own;
  std::vector<Stream> current;

  Stream* find(std::vector<Stream>& list, const Device& device) {
    for (auto& s : list) {
      if (s.device == device) return &s;
    }
    return nullptr;
  }

  ~ThreadStreams() {
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    for (auto& s : own) reg.free_defaults.push_back(s);
  }
};

thread_local ThreadStreams t_streams;

Stream take_default_stream(const Device& device) {
  {
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    for (auto it = reg.free_defaults.begin(); it != reg.free_defaults.end(); ++it) {
      if (it->device == device) {
        Stream s = *it;
        reg.free_defaults.erase(it);
        return s;
      }
    }
  }
  return create_stream(device);
}

}  // namespace

Stream default_stream(Device device) {
  if (Stream* s = t_streams.find(t_streams.current, device)) return *s;
  detail::check_device(device, "default_stream");
  Stream s = take_default_stream(device);
  t_streams.own.push_back(s);
  t_streams.current.push_back(s);
  return s;
}

void set_default_stream(Stream stream) {
  if (Stream* s = t_streams.find(t_streams.current, stream.device)) {
    *s = stream;
  } else {
    default_stream(stream.device);  // take this thread's own stream so it is recycled later
    *t_streams.find(t_streams.current, stream.device) = stream;
  }
}

Stream new_stream(Device device) {
  detail::check_device(device, "new_stream");
  return create_stream(device);
}

void synchronize(Stream stream) {
  auto& queue = detail::executor(stream);
  queue.wait_idle();
  if (auto error = queue.take_error()) std::rethrow_exception(error);
}

void synchronize() { synchronize(default_stream(default_device())); }

Stream to_stream(StreamOrDevice s) {
  if (auto* stream = std::get_if<Stream>(&s)) return *stream;
  if (auto* device = std::get_if<Device>(&s)) return default_stream(*device);
  return default_stream(default_device());
}

std::ostream& operator<<(std::ostream& os, const Stream& stream) {
  return os << "Stream(" << stream.device << ", " << stream.index << ")";
}

namespace detail {

StreamExecutor& executor(const Stream& stream) {
  auto& reg = registry();
  EMBER_CHECK(stream.index >= 0 && stream.index < reg.count.load(std::memory_order_acquire),
              ValueError, "[stream] ", stream, " does not exist");
  return *reg.records[stream.index].load(std::memory_order_acquire)->executor;
}

namespace {
thread_local Submission* t_submission = nullptr;
}

Submission* current_submission() { return t_submission; }
void set_current_submission(Submission* submission) { t_submission = submission; }
void keep_until_complete(std::shared_ptr<const void> buffer) {
  if (t_submission != nullptr) t_submission->keep_alive.push_back(std::move(buffer));
}

void StreamExecutor::wait_for(const Node&) {
  EMBER_INTERNAL_ASSERT(false, "wait_for on a synchronous (CPU) stream");
}

void StreamExecutor::finish_async(std::shared_ptr<Node>, Submission, std::exception_ptr) {
  EMBER_INTERNAL_ASSERT(false, "finish_async on a synchronous (CPU) stream");
}

void StreamExecutor::begin_capture() {
  throw NotImplementedError("[capture_graph] only GPU streams can be captured");
}

std::shared_ptr<CapturedKernels> StreamExecutor::end_capture() {
  throw NotImplementedError("[capture_graph] only GPU streams can be captured");
}

void StreamExecutor::record_error(std::exception_ptr error) {
  std::lock_guard lock(error_mutex_);
  if (!error_) error_ = std::move(error);
}

std::exception_ptr StreamExecutor::take_error() {
  std::lock_guard lock(error_mutex_);
  return std::exchange(error_, nullptr);
}

void StreamExecutor::clear_error_if(const std::exception_ptr& error) {
  std::lock_guard lock(error_mutex_);
  if (error_ == error) error_ = nullptr;
}

}  // namespace detail
}  // namespace ember
