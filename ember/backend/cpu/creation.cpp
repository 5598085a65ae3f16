// Arange: start + i * step, computed in double and converted once.
#include "ember/backend/cpu/strided.h"
#include "ember/core/dispatch.h"
#include "ember/core/primitives/creation.h"

namespace ember {

void Arange::eval_cpu(const std::vector<array>&, array& out) {
  cpu::allocate_output(out);
  dispatch_all_types(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = static_cast<T*>(out.raw_data());
    for (size_t i = 0; i < out.size(); ++i) {
      dst[i] = convert_value<T>(start_ + static_cast<double>(i) * step_);
    }
  });
}

}  // namespace ember
