// SliceUpdate, DynamicSlice and DynamicSliceUpdate on the CPU. Updates start from src's
// buffer when it can be donated, else from a row-major copy of src. Dynamic starts wrap
// when negative and clamp so the slice fits (see primitives/indexing.h).
#include <algorithm>
#include <limits>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/indexing.h"

namespace ember {
namespace {

void init_from(const array& src, array& out) {
  if (out.is_donatable(src)) {
    out.move_shared_buffer(src);
  } else {
    cpu::copy_to_new(src, out);
  }
}

// Copies `shape` elements of item size `itemsize` between two strided layouts.
void copy_elements(const void* src, int64_t src_offset, const Strides& src_strides, void* dst,
                   int64_t dst_offset, const Strides& dst_strides, const Shape& shape,
                   size_t itemsize) {
  auto run = [&](auto word) {
    using W = decltype(word);
    const W* from = static_cast<const W*>(src) + src_offset;
    W* to = static_cast<W*>(dst) + dst_offset;
    cpu::for_each_strided<2>(shape, {src_strides, dst_strides},
                             [&](const std::array<int64_t, 2>& o) { to[o[1]] = from[o[0]]; });
  };
  switch (itemsize) {
    case 1: return run(uint8_t{});
    case 2: return run(uint16_t{});
    case 4: return run(uint32_t{});
    default: return run(uint64_t{});
  }
}

// The element offset (through `strides`) of a window of `window` shape that starts at the
// values of `start` on `axes`, each wrapped and clamped into its axis.
int64_t dynamic_offset(const array& start, const std::vector<int>& axes, const Shape& shape,
                       const Shape& window, const Strides& strides) {
  std::vector<int64_t> values(start.size());
  dispatch_all_types(start.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const T* src = static_cast<const T*>(start.raw_data());
      const int64_t step = start.ndim() == 1 ? start.strides()[0] : 0;
      for (size_t j = 0; j < values.size(); ++j) {
        const T v = src[static_cast<int64_t>(j) * step];
        if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
          values[j] = v > static_cast<T>(std::numeric_limits<int64_t>::max())
                          ? std::numeric_limits<int64_t>::max()
                          : static_cast<int64_t>(v);
        } else {
          values[j] = static_cast<int64_t>(v);
        }
      }
    } else {
      EMBER_INTERNAL_ASSERT(false, "start array of dtype ", start.dtype());
    }
  });
  int64_t offset = 0;
  for (size_t j = 0; j < axes.size(); ++j) {
    const int axis = axes[j];
    const int64_t n = shape[axis];
    int64_t v = values[j] < 0 ? values[j] + n : values[j];
    v = std::clamp<int64_t>(v, 0, std::max<int64_t>(n - window[axis], 0));
    offset += v * strides[axis];
  }
  return offset;
}

}  // namespace

void SliceUpdate::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& update = inputs[1];
  init_from(inputs[0], out);
  if (update.size() == 0) return;
  const Strides& strides = out.strides();
  Strides dst_strides(strides.size());
  int64_t offset = 0;
  for (size_t d = 0; d < strides.size(); ++d) {
    offset += static_cast<int64_t>(start_[d]) * strides[d];
    dst_strides[d] = strides[d] * strides_[d];
  }
  copy_elements(update.raw_data(), 0, update.strides(), out.raw_data(), offset, dst_strides,
                update.shape(), out.itemsize());
}

void DynamicSlice::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& a = inputs[0];
  cpu::allocate_output(out);
  if (out.size() == 0) return;
  const int64_t offset = dynamic_offset(inputs[1], axes_, a.shape(), slice_size_, a.strides());
  copy_elements(a.raw_data(), offset, a.strides(), out.raw_data(), 0, out.strides(), out.shape(),
                out.itemsize());
}

void DynamicSliceUpdate::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& update = inputs[1];
  init_from(inputs[0], out);
  if (update.size() == 0) return;
  const int64_t offset =
      dynamic_offset(inputs[2], axes_, out.shape(), update.shape(), out.strides());
  copy_elements(update.raw_data(), 0, update.strides(), out.raw_data(), offset, out.strides(),
                update.shape(), out.itemsize());
}

}  // namespace ember
