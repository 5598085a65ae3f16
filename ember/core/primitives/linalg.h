// Linear algebra primitives (ops/linalg.cpp builds them): factorizations and solves of the
// last two dimensions, batched over the leading ones. float32 and float64 only, CPU only
// (through LAPACK), as in MLX. Numerical failures (a singular matrix, a matrix that is not
// positive definite, no convergence) throw ValueError at eval, named after the primitive.
#pragma once

#include "ember/core/primitive.h"

namespace ember {

/// The inverse of each square matrix: general (LU), or of its lower or upper triangle.
class Inverse : public UnaryPrimitive {
 public:
  Inverse(Stream stream, bool triangular, bool upper)
      : UnaryPrimitive(stream), triangular_(triangular), upper_(upper) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Inverse"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Inverse*>(&other);
    return o && o->triangular_ == triangular_ && o->upper_ == upper_;
  }

 private:
  bool triangular_;
  bool upper_;
};

/// The Cholesky factor L (A = L L^T) or U (A = U^T U) of each symmetric positive definite
/// matrix; only the chosen triangle of A is read, the other triangle of the output is zero.
class Cholesky : public UnaryPrimitive {
 public:
  Cholesky(Stream stream, bool upper) : UnaryPrimitive(stream), upper_(upper) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Cholesky"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Cholesky*>(&other);
    return o && o->upper_ == upper_;
  }

 private:
  bool upper_;
};

/// X with A X = B for square A (..., N, N) and B (..., N, K) of the same batch shape.
class Solve : public UnaryPrimitive {
 public:
  explicit Solve(Stream stream) : UnaryPrimitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>& inputs, array& out) override;
  const char* name() const override { return "Solve"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Solve*>(&other) != nullptr;
  }
};

/// Reduced QR: outputs Q (..., M, K) with orthonormal columns and upper triangular
/// R (..., K, N), K = min(M, N).
class QRF : public Primitive {
 public:
  explicit QRF(Stream stream) : Primitive(stream) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "QRF"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const QRF*>(&other) != nullptr;
  }
};

/// Singular values (..., K) in descending order; with compute_uv, outputs U (..., M, M),
/// S and V^T (..., N, N) (full matrices, as in MLX).
class SVD : public Primitive {
 public:
  SVD(Stream stream, bool compute_uv) : Primitive(stream), compute_uv_(compute_uv) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "SVD"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const SVD*>(&other);
    return o && o->compute_uv_ == compute_uv_;
  }
  bool compute_uv() const { return compute_uv_; }

 private:
  bool compute_uv_;
};

/// Eigenvalues (..., N) in ascending order of each symmetric matrix, reading only its
/// lower ('L') or upper ('U') triangle; with eigenvectors, also the orthonormal
/// eigenvectors as the columns of (..., N, N).
class Eigh : public Primitive {
 public:
  Eigh(Stream stream, char uplo, bool compute_eigenvectors)
      : Primitive(stream), uplo_(uplo), compute_eigenvectors_(compute_eigenvectors) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  const char* name() const override { return "Eigh"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Eigh*>(&other);
    return o && o->uplo_ == uplo_ && o->compute_eigenvectors_ == compute_eigenvectors_;
  }

 private:
  char uplo_;
  bool compute_eigenvectors_;
};

}  // namespace ember
