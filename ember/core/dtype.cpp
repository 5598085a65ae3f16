#include "ember/core/dtype.h"

namespace ember {
namespace {

constexpr Dtype::Kind kKinds[kNumDtypes] = {
    Dtype::Kind::b, Dtype::Kind::u, Dtype::Kind::u, Dtype::Kind::u, Dtype::Kind::u,
    Dtype::Kind::i, Dtype::Kind::i, Dtype::Kind::i, Dtype::Kind::i, Dtype::Kind::f,
    Dtype::Kind::f, Dtype::Kind::f, Dtype::Kind::V, Dtype::Kind::c,
};

constexpr std::string_view kNames[kNumDtypes] = {
    "bool",  "uint8",   "uint16",  "uint32",  "uint64",   "int8",      "int16",
    "int32", "int64",   "float16", "float32", "float64",  "bfloat16",  "complex64",
};

// MLX's promotion table (JAX's lattice). Rows and columns follow Dtype::Val.
// clang-format off
constexpr Dtype kPromote[kNumDtypes][kNumDtypes] = {
// bool      uint8      uint16     uint32     uint64     int8       int16      int32      int64      float16    float32    float64    bfloat16   complex64
  {bool_,    uint8,     uint16,    uint32,    uint64,    int8,      int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},  // bool
  {uint8,    uint8,     uint16,    uint32,    uint64,    int16,     int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},  // uint8
  {uint16,   uint16,    uint16,    uint32,    uint64,    int32,     int32,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},  // uint16
  {uint32,   uint32,    uint32,    uint32,    uint64,    int64,     int64,     int64,     int64,     float16,   float32,   float64,   bfloat16,  complex64},  // uint32
  {uint64,   uint64,    uint64,    uint64,    uint64,    float32,   float32,   float32,   float32,   float16,   float32,   float64,   bfloat16,  complex64},  // uint64
  {int8,     int16,     int32,     int64,     float32,   int8,      int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},  // int8
  {int16,    int16,     int32,     int64,     float32,   int16,     int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},  // int16
  {int32,    int32,     int32,     int64,     float32,   int32,     int32,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},  // int32
  {int64,    int64,     int64,     int64,     float32,   int64,     int64,     int64,     int64,     float16,   float32,   float64,   bfloat16,  complex64},  // int64
  {float16,  float16,   float16,   float16,   float16,   float16,   float16,   float16,   float16,   float16,   float32,   float64,   float32,   complex64},  // float16
  {float32,  float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float64,   float32,   complex64},  // float32
  {float64,  float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   complex64},  // float64
  {bfloat16, bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  float32,   float32,   float64,   bfloat16,  complex64},  // bfloat16
  {complex64,complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64},  // complex64
};

// Row: a category; column: whether it lies under that category.
constexpr bool kSubcategory[8][8] = {
// complexfloating floating inexact signedint unsignedint integer number generic
  {true,  false, true,  false, false, false, true,  true},  // complexfloating
  {false, true,  true,  false, false, false, true,  true},  // floating
  {false, false, true,  false, false, false, true,  true},  // inexact
  {false, false, false, true,  false, true,  true,  true},  // signedinteger
  {false, false, false, false, true,  true,  true,  true},  // unsignedinteger
  {false, false, false, false, false, true,  true,  true},  // integer
  {false, false, false, false, false, false, true,  true},  // number
  {false, false, false, false, false, false, false, true},  // generic
};

constexpr Dtype::Category kCategory[kNumDtypes] = {
  generic, unsignedinteger, unsignedinteger, unsignedinteger, unsignedinteger,
  signedinteger, signedinteger, signedinteger, signedinteger,
  floating, floating, floating, floating, complexfloating,
};
// clang-format on

constexpr int index_of(const Dtype& t) { return static_cast<int>(t.val()); }

}  // namespace

Dtype promote_types(const Dtype& a, const Dtype& b) { return kPromote[index_of(a)][index_of(b)]; }

Dtype::Kind kindof(const Dtype& t) { return kKinds[index_of(t)]; }

bool issubdtype(const Dtype& a, const Dtype& b) { return a == b; }
bool issubdtype(const Dtype::Category&, const Dtype&) { return false; }
bool issubdtype(const Dtype& a, const Dtype::Category& b) {
  return issubdtype(kCategory[index_of(a)], b);
}
bool issubdtype(const Dtype::Category& a, const Dtype::Category& b) {
  return kSubcategory[static_cast<int>(a)][static_cast<int>(b)];
}

std::string_view dtype_name(const Dtype& t) { return kNames[index_of(t)]; }

std::ostream& operator<<(std::ostream& os, const Dtype& t) { return os << dtype_name(t); }

}  // namespace ember
