// Typed errors and the check macros every layer uses (CONVENTIONS.md, "Errors").
//
//   EMBER_CHECK(a.ndim() >= 1, ValueError, "[matmul] got a ", a.ndim(), "-d array");
//   EMBER_INTERNAL_ASSERT(offset <= size, "offset past the storage");
//
// User errors name the op first ("[op] ..."); internal invariants say "internal error".
// Python bindings map each type to the Python exception of the same name.
#pragma once

#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ember {

/// Base of every error ember throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// The same error, of the same dynamic type, with `context` put before the message.
  /// Used where an error crosses a thread (G6) and gains the op's name.
  [[nodiscard]] virtual std::exception_ptr with_context(std::string_view context) const = 0;
};

namespace detail {
template <class Self>
class ErrorKind : public Error {
 public:
  using Error::Error;
  [[nodiscard]] std::exception_ptr with_context(std::string_view context) const override {
    return std::make_exception_ptr(Self(std::string(context) + what()));
  }
};
}  // namespace detail

/// A value is out of its domain: wrong shape, bad axis, bad argument.
class ValueError final : public detail::ErrorKind<ValueError> {
  using ErrorKind::ErrorKind;
};
/// An argument has the wrong dtype or kind.
class TypeError final : public detail::ErrorKind<TypeError> {
  using ErrorKind::ErrorKind;
};
/// An index is out of range.
class IndexError final : public detail::ErrorKind<IndexError> {
  using ErrorKind::ErrorKind;
};
/// An allocation could not be met within the memory limit, even after releasing the cache (G4).
class OutOfMemory final : public detail::ErrorKind<OutOfMemory> {
  using ErrorKind::ErrorKind;
};
/// A feature that exists in the API but not for these arguments or on this device.
class NotImplementedError final : public detail::ErrorKind<NotImplementedError> {
  using ErrorKind::ErrorKind;
};
/// A file could not be read or written, or its contents are malformed.
class IOError final : public detail::ErrorKind<IOError> {
  using ErrorKind::ErrorKind;
};
/// A failure while running work: a kernel, a device or library call, an internal error.
class RuntimeError final : public detail::ErrorKind<RuntimeError> {
  using ErrorKind::ErrorKind;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
[[noreturn]] void internal_error(const char* file, int line, const char* condition,
                                 const std::string& message);
}  // namespace detail

}  // namespace ember

/// Throws `ErrorType` built from the remaining arguments when `condition` is false.
#define EMBER_CHECK(condition, ErrorType, ...)                  \
  do {                                                          \
    if (!(condition)) [[unlikely]] {                            \
      throw ::ember::ErrorType(::ember::detail::concat(__VA_ARGS__)); \
    }                                                           \
  } while (0)

/// An invariant of ember itself; on in release builds. Throws RuntimeError("internal error ...").
#define EMBER_INTERNAL_ASSERT(condition, ...)                                            \
  do {                                                                                   \
    if (!(condition)) [[unlikely]] {                                                     \
      ::ember::detail::internal_error(__FILE__, __LINE__, #condition,                    \
                                      ::ember::detail::concat("" __VA_OPT__(, ) __VA_ARGS__)); \
    }                                                                                    \
  } while (0)
