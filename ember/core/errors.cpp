#include "ember/core/errors.h"

namespace ember::detail {

void internal_error(const char* file, int line, const char* condition, const std::string& message) {
  throw RuntimeError(concat("internal error at ", file, ":", line, ": ", condition,
                            message.empty() ? "" : " (", message, message.empty() ? "" : ")"));
}

}  // namespace ember::detail
