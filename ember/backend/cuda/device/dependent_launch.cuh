// Programmatic dependent launch (Hopper and later): a kernel launched with the programmatic
// stream serialization attribute may start while the kernel before it in the stream is
// still running, once that kernel's blocks have all called launch_dependents() (or exited).
// It must call wait_for_prerequisites() before it reads anything an earlier kernel wrote or
// writes anything an earlier kernel reads: that waits for the earlier kernels to complete
// and their memory to be visible. Both are no-ops without a dependent or prerequisite, and
// on older architectures. Device only; launch_dependent (cuda_utils.h) launches with the
// attribute.
#pragma once

namespace ember::cuda::device {

/// Lets the next kernel of the stream, if launched as a dependent, be scheduled now. Its
/// own wait still sees everything this kernel writes.
__device__ __forceinline__ void launch_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

/// Waits until the kernels this one depends on have completed and their writes are
/// visible (returns at once when launched without the attribute).
__device__ __forceinline__ void wait_for_prerequisites() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

/// Asks L2 for the 16 bytes at p (no register, no wait): a dependent kernel's reads of data
/// no earlier kernel writes (weights) start before wait_for_prerequisites().
__device__ __forceinline__ void prefetch_l2(const void* p) {
  asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
}

}  // namespace ember::cuda::device
