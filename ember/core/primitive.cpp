#include "ember/core/primitive.h"

#include "ember/core/errors.h"

namespace ember {

std::vector<array> Primitive::vjp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>&) {
  throw NotImplementedError(detail::concat("[vjp] not implemented for ", name()));
}

std::vector<array> Primitive::jvp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&) {
  throw NotImplementedError(detail::concat("[jvp] not implemented for ", name()));
}

std::pair<std::vector<array>, std::vector<int>> Primitive::vmap(const std::vector<array>&,
                                                                const std::vector<int>&) {
  throw NotImplementedError(detail::concat("[vmap] not implemented for ", name()));
}

}  // namespace ember
