// eval_gpu of the random primitives (core/primitives/random.h); kernels in random.cu.
#include "ember/core/primitives/random.h"

#include <cstdint>

#include "ember/backend/cuda/kernels.h"
#include "ember/backend/cuda/random_launch.h"
#include "ember/core/errors.h"

namespace ember {

void RandomBits::eval_gpu(const std::vector<array>& inputs, array& out) {
  cuda::allocate_output(out);
  const array keys = cuda::contiguous_copy(inputs[0]);
  const int64_t num_keys = static_cast<int64_t>(keys.size() / 2);
  if (num_keys == 0 || out.size() == 0) return;
  cuda::launch_random_bits(static_cast<const uint32_t*>(keys.raw_data()), num_keys,
                           static_cast<uint8_t*>(out.raw_data()),
                           static_cast<int64_t>(out.nbytes()) / num_keys);
}

void RandomTransform::eval_gpu(const std::vector<array>& inputs, array& out) {
  cuda::allocate_output(out);
  const int64_t size = static_cast<int64_t>(out.size());
  if (size == 0) return;
  auto map = [&](cuda::RandomMap kind) {
    cuda::launch_random_map(kind, param_, inputs[0].raw_data(), static_cast<float*>(out.raw_data()),
                            size, cuda::collapse<1>(name(), out.shape(), {inputs[0].strides()}));
  };
  switch (kind_) {
    case Kind::unit_interval:
      return map(cuda::RandomMap::unit_interval);
    case Kind::erfinv:
      return map(cuda::RandomMap::erfinv);
    case Kind::erf:
      return map(cuda::RandomMap::erf);
    case Kind::laplace:
      return map(cuda::RandomMap::laplace);
    case Kind::less: {
      const array &a = inputs[0], &b = inputs[1];
      cuda::check_gpu_dtype(name(), a.dtype());
      const bool launched = cuda::launch_random_less(
          a.dtype(), a.raw_data(), static_cast<const float*>(b.raw_data()),
          static_cast<bool*>(out.raw_data()), size,
          cuda::collapse<2>(name(), out.shape(), {a.strides(), b.strides()}));
      EMBER_INTERNAL_ASSERT(launched, "[", name(), "] less has no kernel for ", a.dtype());
      return;
    }
    case Kind::randint: {
      const bool launched = cuda::launch_random_randint(
          out.dtype(), param_ != 0.0f, inputs[2].dtype() == uint64,
          static_cast<const uint32_t*>(inputs[0].raw_data()),
          static_cast<const uint32_t*>(inputs[1].raw_data()),
          static_cast<const uint64_t*>(inputs[2].raw_data()),
          static_cast<const uint64_t*>(inputs[3].raw_data()), out.raw_data(), size,
          cuda::collapse<4>(name(), out.shape(),
                            {inputs[0].strides(), inputs[1].strides(), inputs[2].strides(),
                             inputs[3].strides()}));
      EMBER_INTERNAL_ASSERT(launched, "[", name(), "] randint has no kernel for ", out.dtype());
      return;
    }
  }
}

}  // namespace ember
