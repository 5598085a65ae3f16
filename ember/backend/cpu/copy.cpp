// Strided copies, with and without dtype conversion; the workhorse of AsType, Copy,
// Concatenate and non-contiguous Reshape.
#include <algorithm>
#include <cstring>

#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/elementwise.h"
#include "ember/core/primitives/shape.h"

namespace ember::cpu {
namespace {

template <class Word>
void copy_words(const array& in, void* dst, const Strides& dst_strides) {
  const Word* src = static_cast<const Word*>(in.raw_data());
  Word* out = static_cast<Word*>(dst);
  const bool dense_out = dst_strides == row_major_strides(in.shape());
  if (dense_out && in.flags().row_contiguous) {
    std::memcpy(out, src, in.nbytes());
    return;
  }
  if (dense_out && is_scalar_broadcast(in)) {  // a broadcast scalar (full, zeros, ones)
    std::fill(out, out + in.size(), src[0]);
    return;
  }
  for_each_strided<2>(in.shape(), {in.strides(), dst_strides},
                      [&](const std::array<int64_t, 2>& o) { out[o[1]] = src[o[0]]; });
}

}  // namespace

void copy_strided(const array& in, void* dst, Dtype dst_dtype, const Strides& dst_strides) {
  if (in.dtype() == dst_dtype) {
    switch (in.itemsize()) {
      case 1: return copy_words<uint8_t>(in, dst, dst_strides);
      case 2: return copy_words<uint16_t>(in, dst, dst_strides);
      case 4: return copy_words<uint32_t>(in, dst, dst_strides);
      default: return copy_words<uint64_t>(in, dst, dst_strides);
    }
  }
  dispatch_all_types(in.dtype(), [&](auto in_tag) {
    using From = typename decltype(in_tag)::type;
    dispatch_all_types(dst_dtype, [&](auto out_tag) {
      using To = typename decltype(out_tag)::type;
      const From* src = static_cast<const From*>(in.raw_data());
      To* out = static_cast<To*>(dst);
      for_each_strided<2>(in.shape(), {in.strides(), dst_strides},
                          [&](const std::array<int64_t, 2>& o) {
                            out[o[1]] = convert_value<To>(src[o[0]]);
                          });
    });
  });
}

void copy_to_new(const array& in, array& out) {
  allocate_output(out);
  copy_strided(in, out.raw_data(), out.dtype(), out.strides());
}

}  // namespace ember::cpu

namespace ember {

void AsType::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_to_new(inputs[0], out);
}

void Copy::eval_cpu(const std::vector<array>& inputs, array& out) {
  const array& in = inputs[0];
  if (out.is_donatable(in)) {
    out.move_shared_buffer(in);
    return;
  }
  cpu::copy_to_new(in, out);
}

void Concatenate::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_output(out);
  const Strides& strides = out.strides();
  char* base = static_cast<char*>(out.raw_data());
  int64_t position = 0;
  for (const auto& in : inputs) {
    cpu::copy_strided(in, base + position * strides[axis_] * static_cast<int64_t>(out.itemsize()),
                      out.dtype(), strides);
    position += in.shape(axis_);
  }
}

}  // namespace ember
