// Calling a generic lambda with the C++ type of a dtype:
//
//   dispatch_all_types(a.dtype(), [&](auto tag) {
//     using T = typename decltype(tag)::type;
//     fill(a.data<T>(), ...);
//   });
#pragma once

#include <cstdint>
#include <utility>

#include "ember/core/dtype.h"
#include "ember/core/errors.h"

namespace ember {

template <class T>
struct TypeTag {
  using type = T;
};

template <class F>
decltype(auto) dispatch_all_types(Dtype dtype, F&& f) {
  switch (dtype.val()) {
    case Dtype::Val::bool_: return f(TypeTag<bool>{});
    case Dtype::Val::uint8: return f(TypeTag<uint8_t>{});
    case Dtype::Val::uint16: return f(TypeTag<uint16_t>{});
    case Dtype::Val::uint32: return f(TypeTag<uint32_t>{});
    case Dtype::Val::uint64: return f(TypeTag<uint64_t>{});
    case Dtype::Val::int8: return f(TypeTag<int8_t>{});
    case Dtype::Val::int16: return f(TypeTag<int16_t>{});
    case Dtype::Val::int32: return f(TypeTag<int32_t>{});
    case Dtype::Val::int64: return f(TypeTag<int64_t>{});
    case Dtype::Val::float16: return f(TypeTag<float16_t>{});
    case Dtype::Val::float32: return f(TypeTag<float>{});
    case Dtype::Val::float64: return f(TypeTag<double>{});
    case Dtype::Val::bfloat16: return f(TypeTag<bfloat16_t>{});
    case Dtype::Val::complex64: return f(TypeTag<complex64_t>{});
  }
  throw RuntimeError("internal error: unknown dtype");
}

/// Like dispatch_all_types, for the real floating types only; others are an internal error.
template <class F>
decltype(auto) dispatch_float_types(Dtype dtype, F&& f) {
  switch (dtype.val()) {
    case Dtype::Val::float16: return f(TypeTag<float16_t>{});
    case Dtype::Val::float32: return f(TypeTag<float>{});
    case Dtype::Val::float64: return f(TypeTag<double>{});
    case Dtype::Val::bfloat16: return f(TypeTag<bfloat16_t>{});
    default: break;
  }
  throw RuntimeError(detail::concat("internal error: ", dtype, " is not a floating type"));
}

/// Converts one value between element types the way astype does (complex -> real keeps
/// the real part; anything -> bool is != 0).
template <class To, class From>
inline To convert_value(const From& value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<From, complex64_t>) {
    return convert_value<To>(value.real());
  } else if constexpr (std::is_same_v<To, complex64_t>) {
    return complex64_t(static_cast<float>(value), 0.0f);
  } else if constexpr (std::is_same_v<To, bool> && HalfFloat<From>) {
    return static_cast<float>(value) != 0.0f;
  } else if constexpr (std::is_same_v<To, bool>) {
    return value != From(0);
  } else if constexpr (HalfFloat<To> || HalfFloat<From>) {
    return static_cast<To>(static_cast<float>(value));
  } else {
    return static_cast<To>(value);
  }
}

}  // namespace ember
