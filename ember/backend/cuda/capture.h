// The CUDA side of capture_graph (core/capture.h): a graph captured from a stream's
// tasks, its executable form, and every buffer its kernels touch (held for its life: G1).
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <vector>

#include "ember/core/executor.h"

namespace ember::cuda {

class CudaCapturedKernels final : public detail::CapturedKernels {
 public:
  CudaCapturedKernels(cudaGraph_t graph, cudaGraphExec_t exec,
                      std::vector<std::shared_ptr<const void>> held, size_t num_nodes)
      : graph_(graph), exec_(exec), held_(std::move(held)), num_nodes_(num_nodes) {}
  ~CudaCapturedKernels() override {
    cudaGraphExecDestroy(exec_);
    cudaGraphDestroy(graph_);
  }
  CudaCapturedKernels(const CudaCapturedKernels&) = delete;
  CudaCapturedKernels& operator=(const CudaCapturedKernels&) = delete;
  size_t num_nodes() const override { return num_nodes_; }
  cudaGraphExec_t exec() const { return exec_; }

 private:
  cudaGraph_t graph_;
  cudaGraphExec_t exec_;
  std::vector<std::shared_ptr<const void>> held_;  // storages, temporaries, modules
  size_t num_nodes_;
};

}  // namespace ember::cuda
