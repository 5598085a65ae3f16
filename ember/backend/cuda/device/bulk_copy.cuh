// Hopper's bulk asynchronous copy (cp.async.bulk, the TMA engine's 1-D form) from global to
// shared memory, and the shared-memory barriers (mbarrier) that count its bytes in. A copy
// runs without registers or threads: the issuing thread moves on, and waiters on the
// barrier's phase resume once every expected byte has landed. sm_90 or later; device only.
// PTX ISA, "Data Movement and Conversion: cp.async.bulk" and "Parallel Synchronization:
// mbarrier".
#pragma once

#include <cstdint>

namespace ember::cuda::device {

__device__ __forceinline__ uint32_t shared_address(const void* pointer) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(pointer));
}

/// Initialises a barrier whose phases complete after `arrivals` arrivals (and the bytes
/// announced with them). One thread; then fence_barrier_init and a block-wide sync.
__device__ __forceinline__ void barrier_init(uint64_t* barrier, uint32_t arrivals) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(shared_address(barrier)),
               "r"(arrivals)
               : "memory");
}

/// Makes initialised barriers visible to the copy engine (the async proxy), which writes
/// their byte counts.
__device__ __forceinline__ void fence_barrier_init() {
  asm volatile(
      "fence.mbarrier_init.release.cluster;\n"
      "fence.proxy.async.shared::cta;" ::
          : "memory");
}

/// Orders this thread's shared-memory accesses (and those a block-wide sync made visible to
/// it) before the copy engine's later ones.
__device__ __forceinline__ void fence_proxy_async() {
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

/// Arrives on `barrier` and announces `bytes` that copies will complete in this phase.
__device__ __forceinline__ void barrier_arrive_expect_bytes(uint64_t* barrier, uint32_t bytes) {
  asm volatile(
      "mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(shared_address(barrier)),
      "r"(bytes)
      : "memory");
}

/// Waits until the phase of `barrier` with this parity (0 for its first use, then 1, 0, ...)
/// has completed. try_wait suspends in hardware for a while before it reports false.
__device__ __forceinline__ void barrier_wait(uint64_t* barrier, uint32_t parity) {
  const uint32_t address = shared_address(barrier);
  uint32_t done = 0;
  while (!done) {
    asm volatile(
        "{\n"
        ".reg .pred complete;\n"
        "mbarrier.try_wait.parity.shared::cta.b64 complete, [%1], %2;\n"
        "selp.u32 %0, 1, 0, complete;\n"
        "}"
        : "=r"(done)
        : "r"(address), "r"(parity)
        : "memory");
  }
}

/// An L2 policy for data read once: its lines are the first to go.
__device__ __forceinline__ uint64_t evict_first_policy() {
  uint64_t policy;
  asm("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));
  return policy;
}

/// Starts copying `bytes` (a multiple of 16; both addresses 16-byte aligned) from global
/// `source` to shared `destination`; their arrival completes bytes on `barrier`.
__device__ __forceinline__ void bulk_copy_to_shared(void* destination, const void* source,
                                                    uint32_t bytes, uint64_t* barrier,
                                                    uint64_t policy) {
  // A CTA's own shared::cta address is a valid shared::cluster address of itself.
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes.L2::cache_hint"
      " [%0], [%1], %2, [%3], %4;" ::"r"(shared_address(destination)),
      "l"(__cvta_generic_to_global(source)), "r"(bytes), "r"(shared_address(barrier)), "l"(policy)
      : "memory");
}

}  // namespace ember::cuda::device
