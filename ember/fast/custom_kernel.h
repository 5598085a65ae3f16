// The primitive behind fast::cuda_kernel (fast/fast.h): one node, one output per output
// name. Source generation is host code here, so it needs no GPU and no CUDA headers; the
// CUDA backend (backend/cuda/custom_kernel.cpp) compiles it with NVRTC and launches it.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/primitive.h"
#include "ember/fast/fast.h"

namespace ember::fast {

/// The CUDA type name of `dtype` in generated kernels ("float", "__nv_bfloat16", ...).
/// Throws NotImplementedError for complex64.
const char* cuda_type_name(Dtype dtype);

class CustomKernel : public Primitive {
 public:
  struct Call {
    std::array<int, 3> grid;         ///< threads
    std::array<int, 3> threadgroup;  ///< threads per block
    std::vector<std::pair<std::string, TemplateArg>> template_args;
    std::optional<float> init_value;
    bool verbose = false;
  };
  CustomKernel(Stream stream, std::shared_ptr<const CustomKernelFunction::Spec> spec, Call call)
      : Primitive(stream), spec_(std::move(spec)), call_(std::move(call)) {}

  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "CustomKernel"; }
  bool is_equivalent(const Primitive& other) const override;

  const CustomKernelFunction::Spec& spec() const { return *spec_; }
  const Call& call() const { return call_; }

  /// Which of x_shape, x_strides and x_ndim the body uses for input `index` (only those
  /// are parameters, as in MLX).
  struct InputParams {
    bool shape = false;
    bool strides = false;
    bool ndim = false;
  };
  InputParams input_params(size_t index) const;

  /// The extern "C" name of the kernel in the generated module.
  std::string kernel_symbol() const { return "ember_kernel_" + spec_->name; }
  /// The extern "C" name of the kernel that fills output `index` with init_value.
  static std::string init_symbol(size_t index) { return "ember_init_" + std::to_string(index); }
  /// The full CUDA C++ source for inputs of these dtypes and ranks (outputs' dtypes come
  /// from `outputs`): preamble, init kernels, header, then the kernel with its signature.
  std::string generate_source(const std::vector<array>& inputs,
                              const std::vector<array>& outputs) const;

 private:
  std::shared_ptr<const CustomKernelFunction::Spec> spec_;
  Call call_;
};

}  // namespace ember::fast
