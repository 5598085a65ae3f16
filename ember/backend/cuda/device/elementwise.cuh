// Elementwise kernels over the shared functors (core/primitives/functors.h), so CPU and
// CUDA compute the same function. Flat: contiguous or broadcast-scalar operands, W
// elements per thread with 16-byte loads when aligned. Strided: any layout of up to
// kMaxDims collapsed dims, one element per thread. Device only.
#pragma once

#include "ember/backend/cuda/device/layout.cuh"
#include "ember/backend/cuda/device/dependent_launch.cuh"
#include "ember/backend/cuda/device/vector.cuh"
#include "ember/core/primitives/functors.h"

namespace ember::cuda::device {

template <class Op, class Out, class A>
__global__ void unary_flat(FlatArgs<1> args) {
  constexpr int W = kVectorWidth<Out, A>;
  const Op op;
  for (int64_t i = thread_start(W); i < args.size; i += grid_stride(W)) {
    const bool vector = args.vectorize && i + W <= args.size;
    A a[W];
    Out r[W];
    load_chunk<A, W>(args.in[0], args.step[0], i, args.size, vector, a);
#pragma unroll
    for (int j = 0; j < W; ++j) r[j] = op(a[j]);
    store_chunk<Out, W>(args.out, i, args.size, vector, r);
  }
}

template <class Op, class Out, class A, class B>
__global__ void binary_flat(FlatArgs<2> args) {
  device::launch_dependents();  // a GEMV after this one may start (dependent_launch.cuh)
  constexpr int W = kVectorWidth<Out, A, B>;
  const Op op;
  for (int64_t i = thread_start(W); i < args.size; i += grid_stride(W)) {
    const bool vector = args.vectorize && i + W <= args.size;
    A a[W];
    B b[W];
    Out r[W];
    load_chunk<A, W>(args.in[0], args.step[0], i, args.size, vector, a);
    load_chunk<B, W>(args.in[1], args.step[1], i, args.size, vector, b);
#pragma unroll
    for (int j = 0; j < W; ++j) r[j] = op(a[j], b[j]);
    store_chunk<Out, W>(args.out, i, args.size, vector, r);
  }
}

template <class Op, class Out, class A, class B, class C>
__global__ void ternary_flat(FlatArgs<3> args) {
  constexpr int W = kVectorWidth<Out, A, B, C>;
  const Op op;
  for (int64_t i = thread_start(W); i < args.size; i += grid_stride(W)) {
    const bool vector = args.vectorize && i + W <= args.size;
    A a[W];
    B b[W];
    C c[W];
    Out r[W];
    load_chunk<A, W>(args.in[0], args.step[0], i, args.size, vector, a);
    load_chunk<B, W>(args.in[1], args.step[1], i, args.size, vector, b);
    load_chunk<C, W>(args.in[2], args.step[2], i, args.size, vector, c);
#pragma unroll
    for (int j = 0; j < W; ++j) r[j] = op(a[j], b[j], c[j]);
    store_chunk<Out, W>(args.out, i, args.size, vector, r);
  }
}

template <class Op, class Out, class A>
__global__ void unary_strided(StridedArgs<1> args) {
  const Op op;
  const A* a = static_cast<const A*>(args.in[0]);
  Out* out = static_cast<Out*>(args.out);
  for (int64_t i = thread_start(1); i < args.size; i += grid_stride(1)) {
    int64_t o[1];
    strided_offsets<1>(args.layout, i, o);
    out[i] = op(a[o[0]]);
  }
}

template <class Op, class Out, class A, class B>
__global__ void binary_strided(StridedArgs<2> args) {
  const Op op;
  const A* a = static_cast<const A*>(args.in[0]);
  const B* b = static_cast<const B*>(args.in[1]);
  Out* out = static_cast<Out*>(args.out);
  for (int64_t i = thread_start(1); i < args.size; i += grid_stride(1)) {
    int64_t o[2];
    strided_offsets<2>(args.layout, i, o);
    out[i] = op(a[o[0]], b[o[1]]);
  }
}

template <class Op, class Out, class A, class B, class C>
__global__ void ternary_strided(StridedArgs<3> args) {
  const Op op;
  const A* a = static_cast<const A*>(args.in[0]);
  const B* b = static_cast<const B*>(args.in[1]);
  const C* c = static_cast<const C*>(args.in[2]);
  Out* out = static_cast<Out*>(args.out);
  for (int64_t i = thread_start(1); i < args.size; i += grid_stride(1)) {
    int64_t o[3];
    strided_offsets<3>(args.layout, i, o);
    out[i] = op(a[o[0]], b[o[1]], c[o[2]]);
  }
}

}  // namespace ember::cuda::device
