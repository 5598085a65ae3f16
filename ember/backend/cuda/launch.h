// The narrow interface between host code (.cpp: arrays, dtypes, allocation) and kernel
// launchers (.cu: device code only). Launchers take raw pointers, sizes and a collapsed
// layout, enqueue on cuda::current_stream() and never throw for bad data; they check the
// launch itself.
#pragma once

#include <array>
#include <cstdint>

#include "ember/core/dtype.h"

namespace ember::cuda {

/// Most dimensions a strided kernel walks after collapsing contiguous ones.
inline constexpr int kMaxDims = 8;

/// Shape and per-operand strides (in elements), passed to kernels by value.
template <int N>
struct Layout {
  int ndim = 0;
  int32_t shape[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};
};

// ---- copies (copy.cu) ----
/// dst[dst_layout(i)] = convert(src[src_layout(i)]) for every index of the layout's shape.
void launch_copy(Dtype src_dtype, const void* src, Dtype dst_dtype, void* dst,
                 const Layout<2>& layout, int64_t size);
/// The first `bytes` bytes of src to dst (device memory, not overlapping).
void launch_copy_contiguous(const void* src, void* dst, int64_t bytes);
/// dst[i] = convert(src[i]) for i < size, both contiguous.
void launch_convert_contiguous(Dtype src_dtype, const void* src, Dtype dst_dtype, void* dst,
                               int64_t size);

// ---- creation (creation.cu) ----
void launch_arange(Dtype dtype, void* out, int64_t size, double start, double step);

// ---- reductions (reduce.cu, reduce_rows.cu) ----
enum class ReduceOp { sum, prod, max, min, all, any };
/// Scratch bytes per partial result of a split reduction (the widest accumulator).
inline constexpr int64_t kReducePartialBytes = 8;
/// out[r] = op over in[r][0..length) for `rows` contiguous rows. With splits > 1, each row
/// is reduced in `splits` segments into `scratch` (rows * splits partials) first.
void launch_reduce_rows(ReduceOp op, Dtype dtype, const void* in, void* out, int64_t rows,
                        int64_t length, void* scratch, int64_t splits);
/// out[o] (contiguous) = op over r of in[out_layout(o) + reduce_layout(r)]. With splits > 1,
/// `scratch` holds out_size * splits partials.
void launch_reduce_strided(ReduceOp op, Dtype dtype, const void* in, void* out, int64_t out_size,
                           const Layout<1>& out_layout, int64_t reduce_size,
                           const Layout<1>& reduce_layout, void* scratch, int64_t splits);
/// Along the last axis of `rows` contiguous rows of `length` > 0 elements.
void launch_arg_reduce(bool argmax, Dtype dtype, const void* in, uint32_t* out, int64_t rows,
                       int64_t length);
void launch_logsumexp(Dtype dtype, const void* in, void* out, int64_t rows, int64_t length);
void launch_softmax(Dtype dtype, const void* in, void* out, int64_t rows, int64_t length);

/// The kernels for long softmax rows (softmax_rows.cu, Note [Long softmax rows]). The one in
/// force comes from EMBER_CUDA_SOFTMAX, read once (default resident); tests switch with
/// set_softmax_variant. Each falls back to resident for rows it does not take.
enum class SoftmaxVariant { resident, pipelined, cluster, cluster128 };
inline constexpr SoftmaxVariant kSoftmaxVariants[] = {
    SoftmaxVariant::resident, SoftmaxVariant::pipelined, SoftmaxVariant::cluster,
    SoftmaxVariant::cluster128};
const char* softmax_variant_name(SoftmaxVariant variant);
SoftmaxVariant softmax_variant();
void set_softmax_variant(SoftmaxVariant variant);
/// Rows that `variant`'s own kernel works on at once on the calling thread's CUDA device (a
/// persistent grid, or one wave of blocks or clusters) for rows of `length` elements of
/// `dtype`; 0 where that kernel does not take such rows. For tests that need several rows
/// per persistent block.
int64_t softmax_rows_in_flight(SoftmaxVariant variant, Dtype dtype, int64_t length);
/// launch_softmax's path for rows of 1025 or more elements, 16-byte aligned (start and
/// length): false, enqueuing nothing, for rows it does not take.
bool launch_softmax_long_rows(Dtype dtype, const void* in, void* out, int64_t rows, int64_t length);

// ---- elementwise (unary.cu, binary.cu, ternary.cu) ----
/// Operands for a flat launch: each input is contiguous (step 1) or one broadcast element
/// (step 0); the output is contiguous.
template <int N>
struct FlatArgs {
  std::array<const void*, N> in;
  std::array<int, N> step;
  void* out;
  int64_t size;
  bool vectorize;  // every pointer 16-byte aligned: use 16-byte loads and stores
};
template <int N>
struct StridedArgs {
  std::array<const void*, N> in;
  void* out;  // contiguous
  int64_t size;
  Layout<N> layout;
};

/// Elementwise launchers, one per functor (instantiated in the .cu files for every op of
/// EMBER_*_OPS). `dtype` is the inputs' dtype (for a ternary, the value inputs'). Return
/// false if the functor does not accept that dtype.
template <class Op>
bool launch_unary(Dtype dtype, const FlatArgs<1>* flat, const StridedArgs<1>* strided);
template <class Op>
bool launch_binary(Dtype dtype, const FlatArgs<2>* flat, const StridedArgs<2>* strided);
template <class Op>
bool launch_ternary(Dtype dtype, const FlatArgs<3>* flat, const StridedArgs<3>* strided);

}  // namespace ember::cuda
