// Matmul through cuBLASLt: float32 (TF32 tensor cores when EMBER_CUDA_TF32=1), float16 and
// bfloat16, accumulating in float32. Row-major C = A B is computed as the column-major
// C^T = B^T A^T, so no operand is copied when its last two dims are row- or column-
// contiguous; others are copied first. Batch dims (broadcast ones have stride 0) collapse
// to one strided batch where they can, else the outer ones loop on the host.
#include "ember/core/primitives/matmul.h"

#include <cublasLt.h>

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ember/backend/cuda/cuda_utils.h"
#include "ember/backend/cuda/gemv_launch.h"
#include "ember/backend/cuda/kernels.h"
#include "ember/core/backend.h"

namespace ember {
namespace {

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

void check_cublas(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw RuntimeError(detail::concat("cuBLASLt error ", static_cast<int>(status), " in ", call));
}
#define EMBER_CUBLAS_CHECK(call) check_cublas((call), #call)

// One handle per device for the life of the process (handles are thread-safe).
cublasLtHandle_t handle_for(int device) {
  static std::mutex mutex;
  static std::vector<cublasLtHandle_t> handles;
  std::lock_guard lock(mutex);
  if (handles.empty()) handles.resize(backend::gpu_device_count(), nullptr);
  if (handles[device] == nullptr) EMBER_CUBLAS_CHECK(cublasLtCreate(&handles[device]));
  return handles[device];
}

template <class T, cublasStatus_t (*Destroy)(T)>
struct Destroyer {
  void operator()(T handle) const { Destroy(handle); }
};
using MatmulDesc = std::unique_ptr<std::remove_pointer_t<cublasLtMatmulDesc_t>,
                                   Destroyer<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>>;
using MatrixLayout =
    std::unique_ptr<std::remove_pointer_t<cublasLtMatrixLayout_t>,
                    Destroyer<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>>;
using Preference =
    std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>,
                    Destroyer<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>>;

// A matrix operand as column-major cuBLAS sees the row-major array: `transposed` when its
// last two dims are column-contiguous; `leading` is the stride between its lines.
struct Operand {
  array source;
  bool transposed = false;
  int64_t leading = 0;
};

Operand operand_of(const array& a) {
  const int nd = a.ndim();
  const int64_t rows = a.shape(-2), cols = a.shape(-1);
  const int64_t row_stride = a.strides()[nd - 2], col_stride = a.strides()[nd - 1];
  if (col_stride == 1 && (row_stride >= std::max<int64_t>(cols, 1) || rows == 1)) {
    return {a, false, std::max<int64_t>(rows == 1 ? cols : row_stride, 1)};
  }
  if (row_stride == 1 && (col_stride >= std::max<int64_t>(rows, 1) || cols == 1)) {
    return {a, true, std::max<int64_t>(cols == 1 ? rows : col_stride, 1)};
  }
  array copy = cuda::contiguous_copy(a);
  return {copy, false, std::max<int64_t>(cols, 1)};
}

// The alignment cuBLASLt may assume for a pointer (it defaults to 256 bytes).
uint32_t alignment_of(const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  uint32_t alignment = 256;
  while (alignment > 1 && address % alignment != 0) alignment /= 2;
  return alignment;
}

MatrixLayout make_layout(cudaDataType_t type, int64_t rows, int64_t cols, int64_t leading,
                         int batch, int64_t batch_stride) {
  cublasLtMatrixLayout_t layout = nullptr;
  EMBER_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&layout, type, rows, cols, leading));
  MatrixLayout owned(layout);
  const int32_t count = batch;
  EMBER_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT,
                                                      &count, sizeof(count)));
  EMBER_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(
      layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &batch_stride, sizeof(batch_stride)));
  return owned;
}

// A prepared product: the descriptors and the algorithm cuBLASLt's heuristic chose. Making
// them costs tens of microseconds of host time (the heuristic query most), more than a
// decode-sized GEMV runs on the device; they depend only on the problem, so each problem's
// plan is made once and reused. Plans are read-only once made, so threads share them.
struct Plan {
  MatmulDesc desc;
  MatrixLayout layout_a, layout_b, layout_c;
  cublasLtMatmulHeuristicResult_t heuristic{};
};
struct PlanKey {
  std::array<int64_t, 16> fields;
  bool operator==(const PlanKey&) const = default;
};
struct PlanKeyHash {
  size_t operator()(const PlanKey& key) const {
    size_t h = 0;
    for (int64_t f : key.fields) h = h * 1000003u ^ std::hash<int64_t>()(f);
    return h;
  }
};
class PlanCache {
 public:
  std::shared_ptr<const Plan> find(const PlanKey& key) {
    std::lock_guard lock(mutex_);
    auto it = plans_.find(key);
    return it == plans_.end() ? nullptr : it->second;
  }
  void insert(const PlanKey& key, std::shared_ptr<const Plan> plan) {
    std::lock_guard lock(mutex_);
    if (plans_.size() >= kMaxPlans) plans_.clear();  // shapes that never repeat
    plans_.emplace(key, std::move(plan));
  }

 private:
  static constexpr size_t kMaxPlans = 4096;
  std::mutex mutex_;
  std::unordered_map<PlanKey, std::shared_ptr<const Plan>, PlanKeyHash> plans_;
};
PlanCache& plan_cache() {
  static PlanCache* cache = new PlanCache;  // outlives every stream's launcher thread
  return *cache;
}

struct GemmCall {
  cudaDataType_t type;
  cublasComputeType_t compute;
  int64_t m, n, k;
  const Operand* a;
  const Operand* b;
  float alpha = 1.0f, beta = 0.0f;  // D = alpha A B + beta C, C = D (AddMM's c copied there)
};

struct GemmShape {
  cublasOperation_t op_a, op_b;  // cuBLAS's A is our B and its B our A (C^T = B^T A^T)
  int batch;
  int64_t a_stride, b_stride, c_stride;
  uint32_t align_a, align_b, align_c;
};

std::shared_ptr<const Plan> make_plan(cublasLtHandle_t handle, const GemmCall& call,
                                      const GemmShape& g) {
  const Operand& a = *call.a;
  const Operand& b = *call.b;
  auto plan = std::make_shared<Plan>();
  cublasLtMatmulDesc_t raw_desc = nullptr;
  EMBER_CUBLAS_CHECK(cublasLtMatmulDescCreate(&raw_desc, call.compute, CUDA_R_32F));
  plan->desc.reset(raw_desc);
  EMBER_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc.get(), CUBLASLT_MATMUL_DESC_TRANSA,
                                                    &g.op_a, sizeof(g.op_a)));
  EMBER_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc.get(), CUBLASLT_MATMUL_DESC_TRANSB,
                                                    &g.op_b, sizeof(g.op_b)));
  const int64_t m = call.m, n = call.n, k = call.k;
  plan->layout_a = b.transposed ? make_layout(call.type, k, n, b.leading, g.batch, g.b_stride)
                                : make_layout(call.type, n, k, b.leading, g.batch, g.b_stride);
  plan->layout_b = a.transposed ? make_layout(call.type, m, k, a.leading, g.batch, g.a_stride)
                                : make_layout(call.type, k, m, a.leading, g.batch, g.a_stride);
  plan->layout_c = make_layout(call.type, n, m, n, g.batch, g.c_stride);

  cublasLtMatmulPreference_t raw_preference = nullptr;
  EMBER_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&raw_preference));
  Preference preference(raw_preference);
  const uint64_t workspace_bytes = kWorkspaceBytes;
  EMBER_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      preference.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes,
      sizeof(workspace_bytes)));
  EMBER_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      preference.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &g.align_a, sizeof(g.align_a)));
  EMBER_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      preference.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &g.align_b, sizeof(g.align_b)));
  EMBER_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      preference.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &g.align_c, sizeof(g.align_c)));
  EMBER_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      preference.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &g.align_c, sizeof(g.align_c)));
  int found = 0;
  EMBER_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(
      handle, plan->desc.get(), plan->layout_a.get(), plan->layout_b.get(), plan->layout_c.get(),
      plan->layout_c.get(), preference.get(), 1, &plan->heuristic, &found));
  EMBER_CHECK(found > 0, NotImplementedError, "[Matmul] cuBLASLt has no algorithm for ", m, "x", k,
              " @ ", k, "x", n, " with these layouts");
  return plan;
}

// One strided-batched product: `batch` matrices at the given element offsets and strides.
void gemm(const GemmCall& call, const char* a_data, const char* b_data, char* c_data, int batch,
          int64_t a_stride, int64_t b_stride, int64_t c_stride) {
  const GemmShape g{call.b->transposed ? CUBLAS_OP_T : CUBLAS_OP_N,
                    call.a->transposed ? CUBLAS_OP_T : CUBLAS_OP_N,
                    batch,
                    a_stride,
                    b_stride,
                    c_stride,
                    alignment_of(b_data),
                    alignment_of(a_data),
                    alignment_of(c_data)};
  const int device = cuda::current_device();
  const PlanKey key{{device, call.type, call.compute, g.op_a, g.op_b, call.m, call.n, call.k,
                     call.a->leading, call.b->leading, batch, a_stride, b_stride, c_stride,
                     int64_t{g.align_a} << 32 | g.align_b, g.align_c}};
  cublasLtHandle_t handle = handle_for(device);
  std::shared_ptr<const Plan> plan = plan_cache().find(key);
  if (!plan) {
    plan = make_plan(handle, call, g);
    plan_cache().insert(key, plan);
  }
  const size_t workspace_size = plan->heuristic.workspaceSize;
  void* workspace = workspace_size > 0 ? cuda::temporary(workspace_size) : nullptr;
  const float alpha = call.alpha, beta = call.beta;
  EMBER_CUBLAS_CHECK(cublasLtMatmul(
      handle, plan->desc.get(), &alpha, b_data, plan->layout_a.get(), a_data, plan->layout_b.get(),
      &beta, c_data, plan->layout_c.get(), c_data, plan->layout_c.get(), &plan->heuristic.algo,
      workspace, workspace_size, cuda::current_stream()));
}

// Decode-sized products: at most kGemvMaxRows rows of `a` against a `b` whose columns are
// contiguous ([n, k] row-major, as a Linear layer's transposed weight view is) and the
// same for every batch element. One GEMV kernel then replaces the cuBLASLt call; false if
// the operands do not have that form.
bool try_gemv(const Operand& a, const Operand& b, array& out, int64_t m, int64_t n, int64_t k,
              const cuda::GemvAddend& addend) {
  if (a.transposed || !b.transposed) return false;
  const Shape& shape = out.shape();
  const size_t batch_ndim = shape.size() - 2;
  int64_t rows = m;
  for (size_t d = 0; d < batch_ndim; ++d) rows *= shape[d];
  if (rows > cuda::kGemvMaxRows) return false;
  const Strides b_batch = matmul_batch_strides(b.source, batch_ndim);
  for (size_t d = 0; d < batch_ndim; ++d) {
    if (shape[d] > 1 && b_batch[d] != 0) return false;
  }
  // The batch flattens onto a's rows when it has one element, or when a is row-contiguous
  // and holds every row itself (not one matrix broadcast over the batch).
  if (rows != m &&
      (!a.source.flags().row_contiguous || static_cast<int64_t>(a.source.size()) != rows * k)) {
    return false;
  }
  return cuda::launch_gemv(out.dtype(), a.source.raw_data(), a.leading, b.source.raw_data(),
                           b.leading, out.raw_data(), static_cast<int>(rows), n, k, addend);
}

}  // namespace

namespace {

// The addend of an AddMM that the GEMV kernel can read in place: c's elements of flattened
// output row r at r * stride (each row contiguous), or one row for all (stride 0).
std::optional<int64_t> addend_row_stride(const array& c) {
  const int nd = c.ndim();
  if (nd == 0 || c.strides()[nd - 1] != 1) return std::nullopt;
  if (c.flags().row_contiguous) return c.shape(-1);
  for (int d = 0; d < nd - 1; ++d) {
    if (c.shape(d) > 1 && c.strides()[d] != 0) return std::nullopt;
  }
  return 0;
}

// out = alpha * (a @ b) + beta * c for Matmul (no c) and AddMM.
void eval_product(const char* op, const std::vector<array>& inputs, array& out, float alpha,
                  float beta) {
  const Dtype dtype = out.dtype();
  cuda::check_gpu_dtype(op, dtype);
  EMBER_CHECK(dtype == float32 || dtype == float16 || dtype == bfloat16, NotImplementedError, "[",
              op, "] ", dtype, " has no CUDA kernel (float32, float16 and bfloat16 do)");
  cuda::allocate_output(out);
  const bool has_addend = inputs.size() > 2;
  const int64_t m = out.shape(-2), n = out.shape(-1), k = inputs[0].shape(-1);
  if (m == 0 || n == 0 || out.size() == 0) return;
  if (k == 0) {  // addmm composes its k = 0 case (ops/contract.cpp): no AddMM gets here
    EMBER_INTERNAL_ASSERT(!has_addend, "AddMM with an empty contraction");
    EMBER_CUDA_CHECK(cudaMemsetAsync(out.raw_data(), 0, out.nbytes(), cuda::current_stream()));
    return;
  }
  const Operand a = operand_of(inputs[0]);
  const Operand b = operand_of(inputs[1]);
  // A GEMV reads c where it lies; otherwise c is copied into the output, which the product
  // then accumulates onto.
  cuda::GemvAddend addend;
  if (has_addend) {
    if (const std::optional<int64_t> stride = addend_row_stride(inputs[2])) {
      addend = {inputs[2].raw_data(), *stride, alpha, beta};
      if (try_gemv(a, b, out, m, n, k, addend)) return;
    }
    cuda::copy_strided(inputs[2], out.raw_data(), dtype, out.strides());
    addend = {out.raw_data(), n, alpha, beta};
  }
  if (try_gemv(a, b, out, m, n, k, addend)) return;
  GemmCall call{};
  call.type = dtype == float32 ? CUDA_R_32F : dtype == float16 ? CUDA_R_16F : CUDA_R_16BF;
  call.compute =
      dtype == float32 && cuda::allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  call.m = m;
  call.n = n;
  call.k = k;
  call.a = &a;
  call.b = &b;
  call.alpha = alpha;
  call.beta = has_addend ? beta : 0.0f;

  const int64_t itemsize = static_cast<int64_t>(out.itemsize());
  const char* a_base = static_cast<const char*>(a.source.raw_data());
  const char* b_base = static_cast<const char*>(b.source.raw_data());
  char* c_base = static_cast<char*>(out.raw_data());
  const Shape batch(out.shape().begin(), out.shape().end() - 2);
  const Strides a_batch = matmul_batch_strides(a.source, batch.size());
  const Strides b_batch = matmul_batch_strides(b.source, batch.size());
  const Strides c_batch(out.strides().begin(), out.strides().end() - 2);
  const cuda::Layout<3> layout = cuda::collapse<3>(op, batch, {a_batch, b_batch, c_batch});
  if (layout.ndim == 0) {
    gemm(call, a_base, b_base, c_base, 1, 0, 0, m * n);
    return;
  }
  // The innermost collapsed batch dim is one strided-batched call; outer ones loop here.
  const int inner = layout.ndim - 1;
  int64_t outer = 1;
  for (int d = 0; d < inner; ++d) outer *= layout.shape[d];
  for (int64_t index = 0; index < outer; ++index) {
    int64_t offsets[3] = {0, 0, 0};
    for (int64_t d = inner - 1, rest = index; d >= 0; --d) {
      const int64_t coordinate = rest % layout.shape[d];
      rest /= layout.shape[d];
      for (int o = 0; o < 3; ++o) offsets[o] += coordinate * layout.strides[o][d];
    }
    gemm(call, a_base + offsets[0] * itemsize, b_base + offsets[1] * itemsize,
         c_base + offsets[2] * itemsize, layout.shape[inner], layout.strides[0][inner],
         layout.strides[1][inner], layout.strides[2][inner]);
  }
}

}  // namespace

void Matmul::eval_gpu(const std::vector<array>& inputs, array& out) {
  eval_product(name(), inputs, out, 1.0f, 0.0f);
}

void AddMM::eval_gpu(const std::vector<array>& inputs, array& out) {
  eval_product(name(), inputs, out, alpha(), beta());
}

}  // namespace ember
