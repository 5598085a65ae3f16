// eval_gpu of fast::cuda_kernel: generate the module source for these inputs, JIT it
// (jit.h: memory, disk or NVRTC), fill outputs with init_value, launch the kernel on the
// node's stream. G1: run_node holds every input and output storage until the completion
// event, allocate()/contiguous_copy() hold the copies and outputs, and jit::launch holds
// the module (Note [JIT module lifetime] in jit.cpp).
#include "ember/fast/custom_kernel.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "ember/backend/cuda/jit.h"
#include "ember/backend/cuda/kernels.h"

namespace ember::fast {
namespace {

uint32_t blocks_for(int threads, int per_block) {
  return static_cast<uint32_t>((int64_t{threads} + per_block - 1) / per_block);
}

// Backing bytes for kernel parameters passed by value (shapes, strides, ndims).
// cuLaunchKernel copies them at launch, so they only need to outlive that call.
class ParamStore {
 public:
  template <class T>
  void* add_array(const std::vector<T>& values) {
    auto& slot = slots_.emplace_back(std::max<size_t>(values.size(), 1), 0);
    for (size_t i = 0; i < values.size(); ++i) slot[i] = static_cast<int64_t>(values[i]);
    return slot.data();
  }
  void* add_int32_array(const Shape& shape) {
    // int32 values are 4 bytes apart: store them packed in the int64 slot.
    auto& slot = slots_.emplace_back((std::max<size_t>(shape.size(), 1) + 1) / 2, 0);
    auto* packed = reinterpret_cast<int32_t*>(slot.data());
    for (size_t i = 0; i < shape.size(); ++i) packed[i] = shape[i];
    return slot.data();
  }
  void* add_pointer(const void* pointer) {
    pointers_.push_back(const_cast<void*>(pointer));
    return &pointers_.back();
  }

 private:
  std::deque<std::vector<int64_t>> slots_;  // deque: addresses stay put as it grows
  std::deque<void*> pointers_;
};

}  // namespace

void CustomKernel::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const auto& spec = this->spec();
  std::vector<array> kernel_inputs;
  kernel_inputs.reserve(inputs.size());
  for (const auto& in : inputs) {
    kernel_inputs.push_back(spec.ensure_row_contiguous ? cuda::contiguous_copy(in) : in);
  }
  for (auto& out : outputs) cuda::allocate_output(out);

  const std::string source = generate_source(kernel_inputs, outputs);
  if (call().verbose) {
    std::fprintf(stderr, "[cuda_kernel] generated source of '%s':\n%s\n", spec.name.c_str(),
                 source.c_str());
  }
  const cuda::jit::ModulePtr module = cuda::jit::get_module(spec.name, source);

  if (call().init_value) {
    constexpr int kBlock = 256;
    for (size_t i = 0; i < outputs.size(); ++i) {
      uint64_t size = outputs[i].size();
      if (size == 0) continue;
      void* data = outputs[i].raw_data();
      void* args[] = {&data, &size};
      const uint32_t blocks = static_cast<uint32_t>((size + kBlock - 1) / kBlock);
      cuda::jit::launch(module, init_symbol(i), {blocks, 1, 1}, {kBlock, 1, 1}, 0, args);
    }
  }

  const auto& grid = call().grid;
  const auto& block = call().threadgroup;
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return;
  ParamStore store;
  std::vector<void*> args;
  for (size_t i = 0; i < kernel_inputs.size(); ++i) {
    const array& in = kernel_inputs[i];
    const InputParams params = input_params(i);
    args.push_back(store.add_pointer(in.raw_data()));
    if (params.shape) args.push_back(store.add_int32_array(in.shape()));
    if (params.strides) args.push_back(store.add_array(in.strides()));
    if (params.ndim) {
      args.push_back(store.add_int32_array(Shape{static_cast<int32_t>(in.ndim())}));
    }
  }
  for (auto& out : outputs) args.push_back(store.add_pointer(out.raw_data()));
  cuda::jit::launch(
      module, kernel_symbol(),
      {blocks_for(grid[0], block[0]), blocks_for(grid[1], block[1]), blocks_for(grid[2], block[2])},
      {static_cast<uint32_t>(block[0]), static_cast<uint32_t>(block[1]),
       static_cast<uint32_t>(block[2])},
      static_cast<size_t>(spec.shared_memory), args.data());
}

}  // namespace ember::fast
