#pragma once

namespace ember {
/// The library version, "major.minor.patch".
const char* version();
}  // namespace ember
