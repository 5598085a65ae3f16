// GatherMM on the GPU: out[i] = a[lhs[i]] @ b[rhs[i]] for int32 index arrays, with a tiled
// SIMT kernel (16 x 16 output tiles through shared memory, float32 accumulation) that reads
// the operands through their strides, so transposed expert weights are never copied. One
// grid z-slice per output matrix. Fine for mixture-of-experts decode and small prefills;
// a grouped tensor-core GEMM is the next step for large prefills.
#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/device/convert.cuh"
#include "ember/backend/cuda/gather_mm_launch.h"
#include "ember/backend/cuda/gpu_dispatch.h"
#include "ember/core/errors.h"

namespace ember::cuda {
namespace {

constexpr int kTile = 16;

__device__ __forceinline__ int64_t batch_offset(int64_t flat, const MatrixBatch& m) {
  int64_t offset = 0;
  for (int d = m.batch_ndim - 1; d >= 0; --d) {
    offset += (flat % m.batch_shape[d]) * m.batch_strides[d];
    flat /= m.batch_shape[d];
  }
  return offset;
}

template <class T>
__global__ void gather_mm_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ c,
                                 const int32_t* __restrict__ lhs, const int32_t* __restrict__ rhs,
                                 MatrixBatch a_desc, MatrixBatch b_desc, int m, int n, int k,
                                 int64_t a_count, int64_t b_count) {
  __shared__ float a_tile[kTile][kTile + 1];
  __shared__ float b_tile[kTile][kTile + 1];
  const int64_t index = blockIdx.z;
  const int64_t left = lhs[index], right = rhs[index];
  const int row = blockIdx.y * kTile + threadIdx.y;
  const int col = blockIdx.x * kTile + threadIdx.x;
  // An index out of range (the CPU raises IndexError) reads nothing and yields NaN.
  const bool valid = left >= 0 && left < a_count && right >= 0 && right < b_count;
  const T* a_base = a + (valid ? batch_offset(left, a_desc) : 0);
  const T* b_base = b + (valid ? batch_offset(right, b_desc) : 0);
  float acc = valid ? 0.0f : __int_as_float(0x7fc00000);
  for (int k0 = 0; valid && k0 < k; k0 += kTile) {
    const int ak = k0 + threadIdx.x, bk = k0 + threadIdx.y;
    a_tile[threadIdx.y][threadIdx.x] =
        row < m && ak < k ? device::convert<float>(a_base[row * a_desc.row_stride + ak * a_desc.col_stride]) : 0.0f;
    b_tile[threadIdx.y][threadIdx.x] =
        bk < k && col < n ? device::convert<float>(b_base[bk * b_desc.row_stride + col * b_desc.col_stride]) : 0.0f;
    __syncthreads();
#pragma unroll
    for (int i = 0; i < kTile; ++i) acc += a_tile[threadIdx.y][i] * b_tile[i][threadIdx.x];
    __syncthreads();
  }
  if (row < m && col < n) c[index * m * n + static_cast<int64_t>(row) * n + col] = device::convert<T>(acc);
}

}  // namespace

void launch_gather_mm(Dtype dtype, const void* a, const void* b, void* c, const int32_t* lhs,
                      const int32_t* rhs, const MatrixBatch& a_desc, const MatrixBatch& b_desc,
                      int m, int n, int k, int64_t count, int64_t a_count, int64_t b_count) {
  if (count == 0 || m == 0 || n == 0) return;
  const dim3 threads(kTile, kTile);
  const dim3 blocks((n + kTile - 1) / kTile, (m + kTile - 1) / kTile, static_cast<unsigned>(count));
  const bool launched = dispatch_gpu_type(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, float> || HalfFloat<T>) {
      gather_mm_kernel<T><<<blocks, threads, 0, current_stream()>>>(
          static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(c), lhs, rhs, a_desc,
          b_desc, m, n, k, a_count, b_count);
      return true;
    } else {
      return false;
    }
  });
  EMBER_INTERNAL_ASSERT(launched, "gather_mm of ", dtype, " on the GPU");
  EMBER_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ember::cuda
