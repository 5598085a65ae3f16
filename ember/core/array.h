// array: a handle to a node of the lazy graph (DESIGN.md section 3).
//
//   array a({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});   // data on the CPU, evaluated
//   array b = exp(a) + 1.0f;                     // lazy: a node holding Exp and Add
//   b.eval();                                    // runs on b's stream
//   float x = b.data<float>()[3];                // (also item<T>() for size-1 arrays)
//
// Copies of an array share its node. A multi-output primitive owns all its outputs through
// one node; each output array names (node, index), so siblings never hold each other.
#pragma once

#include <algorithm>
#include <complex>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <ostream>
#include <type_traits>
#include <vector>

#include "ember/core/device.h"
#include "ember/core/dtype.h"
#include "ember/core/errors.h"
#include "ember/core/shape.h"
#include "ember/core/stream.h"

namespace ember {

class Primitive;
class array;

namespace detail {
struct Node;
class Storage;
using StoragePtr = std::shared_ptr<Storage>;
}  // namespace detail

class array {
 public:
  /// A 0-d array holding `value` converted to `dtype`.
  template <class T>
    requires std::is_arithmetic_v<T> || HalfFloat<T>
  explicit array(T value, Dtype dtype = TypeToDtype<T>());
  explicit array(const complex64_t& value, Dtype dtype = complex64);
  /// `shape`'s worth of elements read from `data`, converted to `dtype`.
  template <std::input_iterator It>
  array(It data, const Shape& shape,
        Dtype dtype = TypeToDtype<typename std::iterator_traits<It>::value_type>());
  /// A 1-d array of the listed values.
  template <class T>
  array(std::initializer_list<T> data, Dtype dtype = TypeToDtype<T>());
  /// The listed values in `shape`; throws ValueError if the counts differ.
  template <class T>
  array(std::initializer_list<T> data, const Shape& shape, Dtype dtype = TypeToDtype<T>());
  /// A 2-d array from nested lists, as NumPy's array([[1, 2], [3, 4]]): shape {2, 2}, the
  /// dtype deduced from the element type as for a 1-d list. Ragged lists are a ValueError.
  template <class T>
  array(std::initializer_list<std::initializer_list<T>> data, Dtype dtype = TypeToDtype<T>());
  /// A 3-d array from nested lists, as the 2-d one.
  template <class T>
  array(std::initializer_list<std::initializer_list<std::initializer_list<T>>> data,
        Dtype dtype = TypeToDtype<T>());
  /// Wraps memory the caller owns, without a copy; `deleter(data)` runs when ember is done
  /// with it. The memory is not counted as allocated by ember.
  array(void* data, const Shape& shape, Dtype dtype, std::function<void(void*)> deleter);

  /// A lazy output of `primitive` applied to `inputs` (used by ops).
  array(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive, std::vector<array> inputs);
  /// The lazy outputs of a multi-output primitive, all owned by one node.
  static std::vector<array> make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                        std::shared_ptr<Primitive> primitive,
                                        std::vector<array> inputs);

  array(const array&) = default;
  array(array&&) noexcept = default;
  array& operator=(const array&) = default;
  array& operator=(array&&) noexcept = default;
  ~array() = default;

  Dtype dtype() const;
  const Shape& shape() const;
  /// The extent of dimension `dim` (negative counts from the end).
  int32_t shape(int dim) const;
  /// Strides in elements; known once the array is evaluated.
  const Strides& strides() const;
  int64_t strides(int dim) const;
  size_t size() const;
  int ndim() const { return static_cast<int>(shape().size()); }
  size_t itemsize() const { return size_of(dtype()); }
  size_t nbytes() const { return size() * itemsize(); }
  /// Layout of the evaluated data.
  Flags flags() const;

  /// Evaluates this array (and what it depends on) and waits for it.
  void eval();
  /// The single element, evaluating first. T must be the dtype's storage type.
  template <class T>
  T item();
  /// Pointer to the first element, evaluating first. T must be the dtype's storage type.
  /// Valid while this array lives; for a view, ember may move the data into compact storage
  /// once its base array is dropped (G2), so take the pointer again after such a change.
  template <class T>
  T* data();
  template <class T>
  const T* data() const;

  /// Whether the data is computed and readable (or failed: reading rethrows the error).
  bool is_available() const;
  /// Unique per node; outputs of one multi-output primitive share it.
  uintptr_t id() const { return reinterpret_cast<uintptr_t>(node_.get()); }
  /// Index of this output of its primitive.
  uint32_t output_index() const { return index_; }
  bool has_primitive() const;
  Primitive& primitive() const;
  /// The node's inputs; empty once evaluated (G3: evaluated nodes drop their inputs).
  const std::vector<array>& inputs() const;
  /// All outputs of this array's node, this one included.
  std::vector<array> outputs() const;

  // ---- For kernels: setting an output's data (called inside eval_*) ----
  /// Gives the output freshly allocated, row-contiguous storage of nbytes().
  void set_data(detail::StoragePtr storage);
  /// Gives the output storage it owns, with explicit strides and a byte offset.
  void set_data(detail::StoragePtr storage, Strides strides, int64_t offset_bytes);
  /// Makes the output a view of `source`'s storage (G2 tracks it).
  void copy_shared_buffer(const array& source, Strides strides, int64_t element_offset);
  /// Moves `source`'s storage into this output (donation); `source` must be donatable.
  void move_shared_buffer(const array& source);
  /// Whether `source`'s storage can be reused for this output: nothing else refers to
  /// `source` or its storage, it owns exactly nbytes() of row-contiguous data.
  bool is_donatable(const array& source) const;
  /// The storage behind the data (null before evaluation).
  detail::StoragePtr storage() const;
  /// Byte offset of the first element within storage().
  int64_t offset() const;
  /// Raw pointer to the first element (no evaluation, no checks).
  void* raw_data() const;

  /// Internal: the node (used by eval and transforms).
  const std::shared_ptr<detail::Node>& node() const { return node_; }
  array(std::shared_ptr<detail::Node> node, uint32_t index) : node_(std::move(node)), index_(index) {}

 private:
  void init_from_host(const void* source, Dtype source_dtype, size_t count, const Shape& shape,
                      Dtype dtype);
  void* checked_data(Dtype requested, const char* what);

  std::shared_ptr<detail::Node> node_;
  uint32_t index_ = 0;
};

std::ostream& operator<<(std::ostream& os, const array& a);

// ---- template definitions ----

template <class T>
  requires std::is_arithmetic_v<T> || HalfFloat<T>
array::array(T value, Dtype dtype) {
  init_from_host(&value, storage_dtype_of<T>(), 1, {}, dtype);
}

template <std::input_iterator It>
array::array(It data, const Shape& shape, Dtype dtype) {
  using T = typename std::iterator_traits<It>::value_type;
  const size_t count = shape_size(shape);
  std::unique_ptr<T[]> values(new T[count]);  // not std::vector: vector<bool> has no data()
  for (size_t i = 0; i < count; ++i) values[i] = *data++;
  init_from_host(values.get(), storage_dtype_of<T>(), count, shape, dtype);
}

template <class T>
array::array(std::initializer_list<T> data, Dtype dtype) {
  init_from_host(data.begin(), storage_dtype_of<T>(), data.size(),
                 {static_cast<int32_t>(data.size())}, dtype);
}

template <class T>
array::array(std::initializer_list<T> data, const Shape& shape, Dtype dtype) {
  EMBER_CHECK(data.size() == shape_size(shape), ValueError, "[array] ", data.size(),
              " values cannot fill shape ", shape_to_string(shape));
  init_from_host(data.begin(), storage_dtype_of<T>(), data.size(), shape, dtype);
}

namespace detail {
template <class T>
struct IsInitializerList : std::false_type {};
template <class T>
struct IsInitializerList<std::initializer_list<T>> : std::true_type {};

// Appends the elements of nested lists in row-major order; the first list met at each depth
// sets that dimension (-1 until then) and every later one must match it.
template <class L, class V>
void flatten_nested(const L& list, size_t depth, Shape& shape, std::vector<V>& values) {
  if constexpr (IsInitializerList<L>::value) {
    const auto size = static_cast<int32_t>(list.size());
    if (shape[depth] < 0) shape[depth] = size;
    EMBER_CHECK(shape[depth] == size, ValueError, "[array] ragged nested lists: a list of ",
                size, " elements at depth ", depth, " where the first list there had ",
                shape[depth]);
    for (const auto& item : list) flatten_nested(item, depth + 1, shape, values);
  } else {
    values.push_back(static_cast<V>(list));
  }
}

// Shape and values of `data`, nested `depth` lists deep; empty lists leave trailing 0 dims.
template <class T, class L>
void nested_to_host(const L& data, size_t depth, Shape& shape, std::vector<T>& values) {
  shape.assign(depth, -1);
  flatten_nested(data, 0, shape, values);
  for (auto& d : shape) d = std::max(d, 0);
}
}  // namespace detail

template <class T>
array::array(std::initializer_list<std::initializer_list<T>> data, Dtype dtype) {
  // bool goes through uint8 (same bytes) because std::vector<bool> has no data().
  using V = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
  Shape shape;
  std::vector<V> values;
  detail::nested_to_host(data, 2, shape, values);
  init_from_host(values.data(), storage_dtype_of<T>(), values.size(), shape, dtype);
}

template <class T>
array::array(std::initializer_list<std::initializer_list<std::initializer_list<T>>> data,
             Dtype dtype) {
  using V = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
  Shape shape;
  std::vector<V> values;
  detail::nested_to_host(data, 3, shape, values);
  init_from_host(values.data(), storage_dtype_of<T>(), values.size(), shape, dtype);
}

template <class T>
T array::item() {
  EMBER_CHECK(size() == 1, ValueError, "[item] the array has ", size(),
              " elements; item() needs exactly one");
  return *data<T>();
}

template <class T>
T* array::data() {
  return static_cast<T*>(checked_data(storage_dtype_of<T>(), "data"));
}

template <class T>
const T* array::data() const {
  return static_cast<const T*>(const_cast<array*>(this)->checked_data(storage_dtype_of<T>(), "data"));
}

}  // namespace ember
