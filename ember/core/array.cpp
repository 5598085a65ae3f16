#include "ember/core/array.h"

#include <algorithm>
#include <utility>
#include <cstring>

#include "ember/core/dispatch.h"
#include "ember/core/eval.h"
#include "ember/core/node.h"
#include "ember/core/primitive.h"
#include "ember/core/spin_wait.h"
#include "ember/core/transfer.h"

namespace ember {
namespace detail {

// ---- Output ----

Output::Output(Output&& other) noexcept
    : shape(std::move(other.shape)),
      dtype(other.dtype),
      strides(std::move(other.strides)),
      flags(other.flags),
      storage(std::move(other.storage)),
      offset(other.offset),
      owns(std::exchange(other.owns, false)),
      reach_bytes(std::exchange(other.reach_bytes, 0)),
      host_copy(std::move(other.host_copy)),
      host_offset(other.host_offset) {}

Output::~Output() { release_storage(); }

void Output::release_storage() {
  host_copy.reset();
  if (!storage) return;
  auto held = std::move(storage);  // keeps the storage alive through the bookkeeping
  if (owns) {
    held->release_owner();
  } else {
    held->release_view(reach_bytes);
  }
  owns = false;
  reach_bytes = 0;
}

// ---- Node ----

namespace {
std::atomic<int64_t> g_live_nodes{0};
}

int64_t live_node_count() { return g_live_nodes.load(std::memory_order_relaxed); }

Node::Node(std::shared_ptr<Primitive> primitive, std::vector<array> inputs,
           std::vector<Output> outputs)
    : primitive(std::move(primitive)), inputs(std::move(inputs)), outputs(std::move(outputs)) {
  g_live_nodes.fetch_add(1, std::memory_order_relaxed);
}

// Note [Iterative destruction] (G3)
// Dropping the last handle of a long unevaluated chain would destroy node after node
// recursively and overflow the stack. The outermost ~Node on a thread becomes a drain loop;
// nested destructors hand their inputs to it instead of releasing them.
namespace {
thread_local std::vector<array>* t_drain = nullptr;
}

Node::~Node() {
  g_live_nodes.fetch_sub(1, std::memory_order_relaxed);
  outputs.clear();  // release storage (and maybe compact views) before inputs go
  if (inputs.empty()) return;
  if (t_drain != nullptr) {
    for (auto& input : inputs) t_drain->push_back(std::move(input));
    return;
  }
  std::vector<array> drain = std::move(inputs);
  t_drain = &drain;
  while (!drain.empty()) {
    array last = std::move(drain.back());
    drain.pop_back();
  }  // `last` dies here; its node's destructor appends to `drain`
  t_drain = nullptr;
}

namespace {
thread_local void (*t_before_block)(void*) = nullptr;
thread_local void* t_before_block_context = nullptr;
void before_block() {
  if (t_before_block) t_before_block(t_before_block_context);
}
}  // namespace

void Node::set_before_block_hook(void (*hook)(void*), void* context) {
  t_before_block = hook;
  t_before_block_context = context;
}

void Node::wait() const {
  Status s{};
  auto done = [&] {
    s = load_status();
    return s == Status::available || s == Status::failed;
  };
  if (done()) return;
  before_block();
  // A GPU result usually comes soon, and a sleeping waiter pays the wake-up latency on top;
  // CPU results are computed by threads this one must not take cores from.
  if (executor && executor->is_asynchronous() && spin_until(done)) return;
  while (s != Status::available && s != Status::failed) {
    status.wait(s, std::memory_order_acquire);
    s = load_status();
  }
}

void Node::wait_enqueued() const {
  Status s = load_status();
  if (s < Status::enqueued) before_block();
  while (s < Status::enqueued) {
    status.wait(s, std::memory_order_acquire);
    s = load_status();
  }
}

void Node::finish(std::exception_ptr failure) {
  error = std::move(failure);
  {
    // Drop inputs before publishing, so that memory they held is released by the time a
    // waiter sees the result (G3: evaluated nodes drop their inputs).
    std::vector<array> old_inputs = std::move(inputs);
    inputs.clear();
    primitive.reset();
  }
  status.store(error ? Status::failed : Status::available, std::memory_order_release);
  status.notify_all();
  if (error) return;
  // Views that an earlier release of their storage's owners left uncompacted because they
  // were not complete yet (Note [View compaction]).
  std::vector<StoragePtr> shared;
  {
    std::lock_guard lock(data_lock);
    for (const auto& out : outputs) {
      if (out.storage && !out.owns) shared.push_back(out.storage);
    }
  }
  for (const auto& storage : shared) storage->maybe_compact();
}

}  // namespace detail

// ---- array: construction ----

void array::init_from_host(const void* source, Dtype source_dtype, size_t count,
                           const Shape& shape, Dtype dtype) {
  std::vector<detail::Output> outputs;
  outputs.emplace_back(shape, dtype);
  node_ = std::make_shared<detail::Node>(nullptr, std::vector<array>{}, std::move(outputs));
  auto storage = detail::Storage::allocate(count * size_of(dtype), Device(Device::cpu));
  dispatch_all_types(source_dtype, [&](auto source_tag) {
    using From = typename decltype(source_tag)::type;
    dispatch_all_types(dtype, [&](auto tag) {
      using To = typename decltype(tag)::type;
      const From* in = static_cast<const From*>(source);
      To* out = static_cast<To*>(storage->data());
      for (size_t i = 0; i < count; ++i) out[i] = convert_value<To>(in[i]);
    });
  });
  set_data(std::move(storage));
  node_->status.store(detail::Status::available, std::memory_order_release);
}

array::array(const complex64_t& value, Dtype dtype) {
  init_from_host(&value, complex64, 1, {}, dtype);
}

array::array(void* data, const Shape& shape, Dtype dtype, std::function<void(void*)> deleter) {
  std::vector<detail::Output> outputs;
  outputs.emplace_back(shape, dtype);
  node_ = std::make_shared<detail::Node>(nullptr, std::vector<array>{}, std::move(outputs));
  set_data(detail::Storage::wrap(data, shape_size(shape) * size_of(dtype), Device(Device::cpu),
                                 std::move(deleter)));
  node_->status.store(detail::Status::available, std::memory_order_release);
}

namespace {
// G3: the depth of a new node, evaluating its inputs first when they are too deep.
uint32_t depth_for(std::vector<array>& inputs) {
  uint32_t depth = 0;
  for (const auto& input : inputs) {
    if (input.node()->load_status() == detail::Status::unscheduled) {
      depth = std::max(depth, input.node()->depth);
    }
  }
  const int64_t limit = get_max_graph_depth();
  if (limit > 0 && depth >= limit && detail::depth_guard_active()) {
    // Evaluate and wait, so the unevaluated graph never exceeds the limit by more than one
    // round. Errors stay on the nodes and streams: they surface at the next eval or read,
    // not while an op is being built (G6).
    detail::eval_and_wait_quietly(inputs);
    return 1;
  }
  return depth + 1;
}
}  // namespace

array::array(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive,
             std::vector<array> inputs) {
  const uint32_t depth = depth_for(inputs);
  std::vector<detail::Output> outputs;
  outputs.emplace_back(std::move(shape), dtype);
  node_ = std::make_shared<detail::Node>(std::move(primitive), std::move(inputs),
                                         std::move(outputs));
  node_->depth = depth;
}

std::vector<array> array::make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                      std::shared_ptr<Primitive> primitive,
                                      std::vector<array> inputs) {
  EMBER_INTERNAL_ASSERT(shapes.size() == dtypes.size() && !shapes.empty());
  const uint32_t depth = depth_for(inputs);
  std::vector<detail::Output> outputs;
  for (size_t i = 0; i < shapes.size(); ++i) outputs.emplace_back(std::move(shapes[i]), dtypes[i]);
  auto node = std::make_shared<detail::Node>(std::move(primitive), std::move(inputs),
                                             std::move(outputs));
  node->depth = depth;
  std::vector<array> result;
  for (uint32_t i = 0; i < node->outputs.size(); ++i) result.emplace_back(node, i);
  return result;
}

// ---- array: accessors ----

Dtype array::dtype() const { return node_->outputs[index_].dtype; }
const Shape& array::shape() const { return node_->outputs[index_].shape; }
int32_t array::shape(int dim) const {
  return shape()[normalize_axis(dim, ndim(), "array::shape")];
}
const Strides& array::strides() const { return node_->outputs[index_].strides; }
int64_t array::strides(int dim) const {
  return strides()[normalize_axis(dim, ndim(), "array::strides")];
}
size_t array::size() const { return shape_size(shape()); }
Flags array::flags() const { return node_->outputs[index_].flags; }

bool array::is_available() const {
  const auto s = node_->load_status();
  return s == detail::Status::available || s == detail::Status::failed;
}
bool array::has_primitive() const { return node_->primitive != nullptr; }
Primitive& array::primitive() const {
  EMBER_CHECK(node_->primitive != nullptr, ValueError,
              "[array::primitive] the array is evaluated or holds data, and has no primitive");
  return *node_->primitive;
}
const std::vector<array>& array::inputs() const { return node_->inputs; }
std::vector<array> array::outputs() const {
  std::vector<array> result;
  for (uint32_t i = 0; i < node_->outputs.size(); ++i) result.emplace_back(node_, i);
  return result;
}

void array::eval() { ::ember::eval({*this}); }

void* array::checked_data(Dtype requested, const char* what) {
  EMBER_CHECK(requested == dtype(), TypeError, "[", what, "] asked for ", requested,
              " elements but the array holds ", dtype());
  if (node_->load_status() == detail::Status::unscheduled) eval();
  node_->wait();
  if (node_->load_status() == detail::Status::failed) std::rethrow_exception(node_->error);
  return detail::host_readable_data(*this);
}

void* array::raw_data() const {
  std::lock_guard lock(node_->data_lock);
  const auto& out = node_->outputs[index_];
  if (!out.storage) return nullptr;
  return static_cast<char*>(out.storage->data()) + out.offset;
}

detail::StoragePtr array::storage() const {
  std::lock_guard lock(node_->data_lock);
  return node_->outputs[index_].storage;
}

int64_t array::offset() const {
  std::lock_guard lock(node_->data_lock);
  return node_->outputs[index_].offset;
}

// ---- array: setting data (kernels) ----

void array::set_data(detail::StoragePtr storage) {
  set_data(std::move(storage), row_major_strides(shape()), 0);
}

void array::set_data(detail::StoragePtr storage, Strides strides, int64_t offset_bytes) {
  storage->add_owner();
  auto& out = node_->outputs[index_];
  detail::StoragePtr old;
  {
    std::lock_guard lock(node_->data_lock);
    out.flags = compute_flags(out.shape, strides);
    out.strides = std::move(strides);
    old = std::exchange(out.storage, std::move(storage));
    EMBER_INTERNAL_ASSERT(old == nullptr, "set_data on an output that already has data");
    out.offset = offset_bytes;
    out.owns = true;
  }
}

void array::copy_shared_buffer(const array& source, Strides strides, int64_t element_offset) {
  auto storage = source.storage();
  EMBER_INTERNAL_ASSERT(storage != nullptr, "copy_shared_buffer from an array without data");
  auto& out = node_->outputs[index_];
  const int64_t itemsize = static_cast<int64_t>(size_of(out.dtype));
  const Span span = reachable_span(out.shape, strides);
  const int64_t reach = size() == 0 ? 0 : (span.high - span.low + 1) * itemsize;
  if (reach == static_cast<int64_t>(storage->size()) && !storage->is_external()) {
    // A view of all of its storage (a reshape, a full transpose) needs every byte: it
    // counts as an owner, so the storage is never compacted away from under it.
    set_data(std::move(storage), std::move(strides), source.offset() + element_offset * itemsize);
    return;
  }
  storage->add_view(node_, index_, reach);
  {
    std::lock_guard lock(node_->data_lock);
    out.flags = compute_flags(out.shape, strides);
    out.strides = std::move(strides);
    out.storage = storage;
    out.offset = source.offset() + element_offset * itemsize;
    out.owns = false;
    out.reach_bytes = reach;
  }
}

bool array::is_donatable(const array& source) const {
  // Referenced only by the consumer's input list; its storage only by this output; owned,
  // row-contiguous and exactly as large as this output.
  if (source.node_.use_count() != 1 || source.node_->outputs.size() != 1) return false;
  const auto& in = source.node_->outputs[0];
  return in.storage && in.owns && in.storage.use_count() == 1 && !in.storage->is_external() &&
         in.offset == 0 && in.flags.row_contiguous && in.storage->size() == nbytes() &&
         source.size() == size();
}

void array::move_shared_buffer(const array& source) {
  auto& in = source.node_->outputs[0];
  detail::StoragePtr storage;
  {
    std::lock_guard lock(source.node_->data_lock);
    storage = std::move(in.storage);
    in.owns = false;
  }
  auto& out = node_->outputs[index_];
  std::lock_guard lock(node_->data_lock);
  out.strides = row_major_strides(out.shape);
  out.flags = compute_flags(out.shape, out.strides);
  out.storage = std::move(storage);  // ownership moves with it: the owner count is unchanged
  out.offset = 0;
  out.owns = true;
}

// ---- printing ----

namespace {
template <class T>
void print_element(std::ostream& os, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    os << (value ? "true" : "false");
  } else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>) {
    os << static_cast<int>(value);
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    os << value.real() << (value.imag() < 0 ? "-" : "+") << std::abs(value.imag()) << "j";
  } else {
    os << value;
  }
}

// MLX's layout: rows of an axis separated by ",\n" and 7 + axis spaces; an axis longer
// than 6 shows its first and last 3 entries around "...".
template <class T>
void print_recursive(std::ostream& os, const T* data, const Shape& shape, const Strides& strides,
                     int dim) {
  constexpr int32_t kEdge = 3;
  const bool innermost = dim + 1 == static_cast<int>(shape.size());
  const std::string separator = innermost ? ", " : ",\n" + std::string(7 + dim, ' ');
  const int32_t n = shape[dim];
  const bool summarize = n > 2 * kEdge;
  os << "[";
  for (int32_t i = 0; i < n; ++i) {
    if (summarize && i == kEdge) {
      os << separator << "...";
      i = n - kEdge;
    }
    if (i > 0) os << separator;
    const T* element = data + i * strides[dim];
    if (innermost) {
      print_element(os, *element);
    } else {
      print_recursive(os, element, shape, strides, dim + 1);
    }
  }
  os << "]";
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const array& a) {
  array evaluated = a;
  evaluated.eval();
  os << "array(";
  dispatch_all_types(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* data = static_cast<const T*>(detail::host_readable_data(evaluated));
    if (a.ndim() == 0) {
      print_element(os, *data);
    } else {
      print_recursive(os, data, a.shape(), evaluated.strides(), 0);
    }
  });
  return os << ", dtype=" << a.dtype() << ")";
}

}  // namespace ember
