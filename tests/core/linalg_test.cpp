// Linear algebra (ops/linalg.h, ember::linalg): each factorization checked by what defines it
// on random well-conditioned inputs, against float64 loops here: A = QR with Q^T Q = I and R
// upper triangular, A = U S V^T, A = V diag(w) V^T, A x = b, A inv(A) = I, A = L L^T; norms
// against loops (singular values from a Jacobi eigensolver of the Gram matrix, independent of
// LAPACK); cross against its formula. Batched, transposed and strided inputs; build-time and
// eval-time errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ember/ember.h"
#include "tests/core/shape_test_util.h"

namespace {

using namespace ember;

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- float64 matrix helpers over row-major batches ----

struct Mats {
  int batch, rows, cols;
  Vec v;
  double at(int b, int i, int j) const { return v[(size_t(b) * rows + i) * cols + j]; }
};

Mats mats(const array& a) {
  const int n = a.ndim();
  const int rows = a.shape(n - 2), cols = a.shape(n - 1);
  return {static_cast<int>(a.size() / std::max<size_t>(size_t(rows) * cols, 1)), rows, cols,
          to_vec(a)};
}

Mats product(const Mats& a, const Mats& b) {
  Mats c{a.batch, a.rows, b.cols, Vec(size_t(a.batch) * a.rows * b.cols)};
  for (int t = 0; t < a.batch; ++t)
    for (int i = 0; i < a.rows; ++i)
      for (int j = 0; j < b.cols; ++j) {
        double s = 0;
        for (int k = 0; k < a.cols; ++k) s += a.at(t, i, k) * b.at(t, k, j);
        c.v[(size_t(t) * c.rows + i) * c.cols + j] = s;
      }
  return c;
}

Mats transposed(const Mats& a) {
  Mats t{a.batch, a.cols, a.rows, Vec(a.v.size())};
  for (int b = 0; b < a.batch; ++b)
    for (int i = 0; i < a.rows; ++i)
      for (int j = 0; j < a.cols; ++j) t.v[(size_t(b) * t.rows + j) * t.cols + i] = a.at(b, i, j);
  return t;
}

Mats identity_mats(int batch, int n) {
  Mats m{batch, n, n, Vec(size_t(batch) * n * n, 0.0)};
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < n; ++i) m.v[(size_t(b) * n + i) * n + i] = 1.0;
  return m;
}

double max_abs(const Vec& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// |got - want| <= tol * max(1, max|want|) everywhere.
void expect_all_near(const Vec& got, const Vec& want, double tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const double scale = std::max(1.0, max_abs(want));
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol * scale) << what << " at " << i;
  }
}

double tol_of(Dtype dt) { return dt == float64 ? 1e-11 : 2e-5; }

// ---- random inputs ----

Vec random_values(std::mt19937& g, size_t n, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  Vec v(n);
  for (auto& x : v) x = u(g);
  return v;
}

// Random matrices with n added to the diagonal: well conditioned and invertible.
Vec well_conditioned(std::mt19937& g, int batch, int n) {
  Vec v = random_values(g, size_t(batch) * n * n);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < n; ++i) v[(size_t(b) * n + i) * n + i] += n;
  return v;
}

// Symmetric positive definite: B B^T + n I.
Vec spd(std::mt19937& g, int batch, int n) {
  Mats b{batch, n, n, random_values(g, size_t(batch) * n * n)};
  Mats a = product(b, transposed(b));
  for (int t = 0; t < batch; ++t)
    for (int i = 0; i < n; ++i) a.v[(size_t(t) * n + i) * n + i] += n;
  return a.v;
}

Shape with_batch(const Shape& batch, int rows, int cols) {
  Shape s = batch;
  s.push_back(rows);
  s.push_back(cols);
  return s;
}

enum class Layout { contiguous, transposed, strided };
const Layout kLayouts[] = {Layout::contiguous, Layout::transposed, Layout::strided};

// An array whose logical values are `v` (row-major in `shape`), stored as asked: plainly, as a
// swapaxes view of the transposed data, or as every other column of a wider array whose
// other columns hold large garbage.
array laid_out(const Vec& v, const Shape& shape, Dtype dt, Layout layout) {
  const int nd = static_cast<int>(shape.size());
  if (layout == Layout::contiguous) return make(v, shape, dt);
  if (layout == Layout::transposed) {
    Shape t = shape;
    std::swap(t[nd - 1], t[nd - 2]);
    Vec tv(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      auto idx = unravel(i, shape);
      std::swap(idx[nd - 1], idx[nd - 2]);
      tv[ravel(idx, t)] = v[i];
    }
    return swapaxes(make(tv, t, dt), -1, -2);
  }
  Shape wide = shape;
  wide[nd - 1] *= 2;
  Vec wv(numel(wide), 1e6);
  for (size_t i = 0; i < v.size(); ++i) {
    auto idx = unravel(i, shape);
    idx[nd - 1] *= 2;
    wv[ravel(idx, wide)] = v[i];
  }
  Shape start(nd, 0), step(nd, 1);
  step[nd - 1] = 2;
  return slice(make(wv, wide, dt), start, wide, step);
}

// The stored values (after rounding to dt) of a matrix batch.
Mats stored(const array& a) { return mats(a); }

// ---- references independent of LAPACK ----

// Eigenvalues (ascending) of a symmetric n x n matrix by cyclic Jacobi rotations.
Vec jacobi_eigenvalues(Vec a, int n) {
  auto at = [&](int i, int j) -> double& { return a[size_t(i) * n + j]; };
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, diag = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) (i == j ? diag : off) += at(i, j) * at(i, j);
    if (off <= 1e-30 * std::max(diag, 1e-300)) break;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) {
        if (at(p, q) == 0) continue;
        const double theta = (at(q, q) - at(p, p)) / (2 * at(p, q));
        const double t =
            (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {
          const double kp = at(k, p), kq = at(k, q);
          at(k, p) = c * kp - s * kq;
          at(k, q) = s * kp + c * kq;
        }
        for (int k = 0; k < n; ++k) {
          const double pk = at(p, k), qk = at(q, k);
          at(p, k) = c * pk - s * qk;
          at(q, k) = s * pk + c * qk;
        }
      }
  }
  Vec w(n);
  for (int i = 0; i < n; ++i) w[i] = at(i, i);
  std::sort(w.begin(), w.end());
  return w;
}

// Singular values (descending) of a rows x cols matrix, from the smaller Gram matrix.
Vec singular_values_ref(const Vec& m, int rows, int cols) {
  const int k = std::min(rows, cols);
  Vec gram(size_t(k) * k, 0.0);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      double s = 0;
      if (rows <= cols) {
        for (int t = 0; t < cols; ++t) s += m[size_t(i) * cols + t] * m[size_t(j) * cols + t];
      } else {
        for (int t = 0; t < rows; ++t) s += m[size_t(t) * cols + i] * m[size_t(t) * cols + j];
      }
      gram[size_t(i) * k + j] = s;
    }
  Vec w = jacobi_eigenvalues(gram, k);
  for (auto& x : w) x = std::sqrt(std::max(x, 0.0));
  std::reverse(w.begin(), w.end());
  return w;
}

TEST(Linalg, JacobiReferenceIsRight) {
  // diag(1, 2, 3) rotated: eigenvalues 1, 2, 3.
  const double c = std::cos(0.3), s = std::sin(0.3);
  Mats r{1, 3, 3, {c, -s, 0, s, c, 0, 0, 0, 1}};
  Mats d{1, 3, 3, {1, 0, 0, 0, 2, 0, 0, 0, 3}};
  const Vec w = jacobi_eigenvalues(product(product(r, d), transposed(r)).v, 3);
  expect_all_near(w, {1, 2, 3}, 1e-13, "jacobi");
}

// ---- factorizations ----

TEST(Linalg, InvTimesAIsIdentity) {
  std::mt19937 g(1);
  for (Dtype dt : {float32, float64}) {
    for (Layout layout : kLayouts) {
      for (const Shape& batch : {Shape{}, Shape{3}, Shape{2, 2}}) {
        const int n = 5;
        int count = static_cast<int>(numel(batch));
        const array a =
            laid_out(well_conditioned(g, count, n), with_batch(batch, n, n), dt, layout);
        const array x = linalg::inv(a);
        ASSERT_EQ(x.shape(), a.shape());
        ASSERT_EQ(x.dtype(), dt);
        const std::string what = std::string(dtype_name(dt)) + " layout " +
                                 std::to_string(int(layout)) + " batch " + shape_to_string(batch);
        expect_all_near(product(stored(a), mats(x)).v, identity_mats(count, n).v, tol_of(dt), what);
        expect_all_near(product(mats(x), stored(a)).v, identity_mats(count, n).v, tol_of(dt), what);
      }
    }
  }
}

TEST(Linalg, SolveMatchesTheEquations) {
  std::mt19937 g(2);
  for (Dtype dt : {float32, float64}) {
    for (Layout layout : kLayouts) {
      const int n = 6;
      const array a = laid_out(well_conditioned(g, 3, n), {3, n, n}, dt, layout);
      // Matrix right-hand sides, batch matching.
      const array b = laid_out(random_values(g, 3 * n * 2), {3, n, 2}, dt, layout);
      const array x = linalg::solve(a, b);
      ASSERT_EQ(x.shape(), (Shape{3, n, 2}));
      expect_all_near(product(stored(a), mats(x)).v, stored(b).v, tol_of(dt), "matrix rhs");
      // A vector right-hand side broadcast against the batch of a.
      const array bv = make(random_values(g, n), {n}, dt);
      const array xv = linalg::solve(a, bv);
      ASSERT_EQ(xv.shape(), (Shape{3, n}));
      const Mats xm{3, n, 1, to_vec(xv)};
      const Vec bvals = to_vec(bv);
      Vec want;
      for (int t = 0; t < 3; ++t) want.insert(want.end(), bvals.begin(), bvals.end());
      expect_all_near(product(stored(a), xm).v, want, tol_of(dt), "vector rhs");
      // One matrix a, a batch of right-hand sides.
      const array a0 = make(well_conditioned(g, 1, n), {n, n}, dt);
      const array bb = make(random_values(g, 4 * n * 3), {4, n, 3}, dt);
      const array xb = linalg::solve(a0, bb);
      ASSERT_EQ(xb.shape(), (Shape{4, n, 3}));
      Mats a0b{4, n, n, {}};
      const Vec a0v = to_vec(a0);
      for (int t = 0; t < 4; ++t) a0b.v.insert(a0b.v.end(), a0v.begin(), a0v.end());
      expect_all_near(product(a0b, mats(xb)).v, stored(bb).v, tol_of(dt), "broadcast a");
    }
  }
  // Mixed dtypes promote: float32 a with float64 b solves in float64.
  EXPECT_EQ(linalg::solve(eye(3, float32), ones({3}, float64)).dtype(), float64);
}

TEST(Linalg, CholeskyReconstructs) {
  std::mt19937 g(3);
  for (Dtype dt : {float32, float64}) {
    for (Layout layout : kLayouts) {
      const int n = 6;
      const Vec values = spd(g, 2, n);
      const array a = laid_out(values, {2, n, n}, dt, layout);
      const Mats l = mats(linalg::cholesky(a));
      const Mats u = mats(linalg::cholesky(a, /*upper=*/true));
      for (int t = 0; t < 2; ++t)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j) {
            if (j > i) {
              EXPECT_EQ(l.at(t, i, j), 0.0);
            }
            if (j < i) {
              EXPECT_EQ(u.at(t, i, j), 0.0);
            }
          }
      expect_all_near(product(l, transposed(l)).v, stored(a).v, tol_of(dt), "L L^T");
      expect_all_near(product(transposed(u), u).v, stored(a).v, tol_of(dt), "U^T U");
    }
  }
}

TEST(Linalg, CholeskyReadsOnlyItsTriangle) {
  std::mt19937 g(4);
  const int n = 5;
  Vec values = spd(g, 1, n);
  const array clean = make(values, {n, n}, float64);
  Vec lower_only = values, upper_only = values;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      if (j > i) lower_only[i * n + j] = 1e3;  // garbage above the diagonal
      if (j < i) upper_only[i * n + j] = -1e3;
    }
  expect_all_near(to_vec(linalg::cholesky(make(lower_only, {n, n}, float64))),
                  to_vec(linalg::cholesky(clean)), 1e-14, "lower");
  expect_all_near(to_vec(linalg::cholesky(make(upper_only, {n, n}, float64), true)),
                  to_vec(linalg::cholesky(clean, true)), 1e-14, "upper");
}

TEST(Linalg, QrReconstructsWithOrthonormalQ) {
  std::mt19937 g(5);
  for (Dtype dt : {float32, float64}) {
    for (Layout layout : kLayouts) {
      for (auto [m, n] : {std::pair{6, 4}, std::pair{4, 6}, std::pair{5, 5}}) {
        const array a = laid_out(random_values(g, 3 * m * n), {3, m, n}, dt, layout);
        auto [q, r] = linalg::qr(a);
        const int k = std::min(m, n);
        ASSERT_EQ(q.shape(), (Shape{3, m, k}));
        ASSERT_EQ(r.shape(), (Shape{3, k, n}));
        const Mats qm = mats(q), rm = mats(r);
        const std::string what = std::string(dtype_name(dt)) + " " + std::to_string(m) + "x" +
                                 std::to_string(n) + " layout " + std::to_string(int(layout));
        expect_all_near(product(qm, rm).v, stored(a).v, tol_of(dt), what + " QR");
        expect_all_near(product(transposed(qm), qm).v, identity_mats(3, k).v, tol_of(dt),
                        what + " Q^T Q");
        for (int t = 0; t < 3; ++t)
          for (int i = 0; i < k; ++i)
            for (int j = 0; j < i; ++j) EXPECT_EQ(rm.at(t, i, j), 0.0) << what;
      }
    }
  }
}

TEST(Linalg, SvdReconstructs) {
  std::mt19937 g(6);
  for (Dtype dt : {float32, float64}) {
    for (Layout layout : kLayouts) {
      for (auto [m, n] : {std::pair{6, 4}, std::pair{3, 5}, std::pair{4, 4}}) {
        const array a = laid_out(random_values(g, 2 * m * n), {2, m, n}, dt, layout);
        const auto usv = linalg::svd(a);
        ASSERT_EQ(usv.size(), 3u);
        const int k = std::min(m, n);
        ASSERT_EQ(usv[0].shape(), (Shape{2, m, m}));
        ASSERT_EQ(usv[1].shape(), (Shape{2, k}));
        ASSERT_EQ(usv[2].shape(), (Shape{2, n, n}));
        const Mats u = mats(usv[0]), vt = mats(usv[2]);
        const Vec s = to_vec(usv[1]);
        const std::string what =
            std::string(dtype_name(dt)) + " " + std::to_string(m) + "x" + std::to_string(n);
        // U[:, :k] diag(S) Vt[:k, :]
        Mats us{2, m, n, Vec(size_t(2) * m * n, 0.0)};
        for (int t = 0; t < 2; ++t)
          for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
              double acc = 0;
              for (int p = 0; p < k; ++p) acc += u.at(t, i, p) * s[t * k + p] * vt.at(t, p, j);
              us.v[(size_t(t) * m + i) * n + j] = acc;
            }
        expect_all_near(us.v, stored(a).v, tol_of(dt), what + " U S Vt");
        expect_all_near(product(transposed(u), u).v, identity_mats(2, m).v, tol_of(dt),
                        what + " U");
        expect_all_near(product(vt, transposed(vt)).v, identity_mats(2, n).v, tol_of(dt),
                        what + " Vt");
        // Descending, non-negative, equal to the Jacobi reference; compute_uv=false agrees.
        const Mats am = stored(a);
        for (int t = 0; t < 2; ++t) {
          const Vec one(am.v.begin() + size_t(t) * m * n, am.v.begin() + size_t(t + 1) * m * n);
          const Vec want = singular_values_ref(one, m, n);
          for (int p = 0; p < k; ++p) {
            EXPECT_NEAR(s[t * k + p], want[p], tol_of(dt) * 4) << what;
            if (p > 0) {
              EXPECT_LE(s[t * k + p], s[t * k + p - 1]) << what;
            }
          }
        }
        const auto only_s = linalg::svd(a, false);
        ASSERT_EQ(only_s.size(), 1u);
        expect_all_near(to_vec(only_s[0]), s, tol_of(dt), what + " S only");
      }
    }
  }
}

TEST(Linalg, EighReconstructs) {
  std::mt19937 g(7);
  for (Dtype dt : {float32, float64}) {
    for (Layout layout : kLayouts) {
      const int n = 6;
      Mats r{2, n, n, random_values(g, 2 * n * n)};
      const Mats sym{2, n, n, [&] {
                       Mats t = transposed(r);
                       Vec v(r.v.size());
                       for (size_t i = 0; i < v.size(); ++i) v[i] = r.v[i] + t.v[i];
                       return v;
                     }()};
      const array a = laid_out(sym.v, {2, n, n}, dt, layout);
      auto [w, v] = linalg::eigh(a);
      ASSERT_EQ(w.shape(), (Shape{2, n}));
      ASSERT_EQ(v.shape(), (Shape{2, n, n}));
      const Vec wv = to_vec(w);
      const Mats vm = mats(v);
      // V diag(w) V^T
      Mats vw = vm;
      for (int t = 0; t < 2; ++t)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j) vw.v[(size_t(t) * n + i) * n + j] *= wv[t * n + j];
      const Mats as = stored(a);
      expect_all_near(product(vw, transposed(vm)).v, as.v, tol_of(dt), "V diag(w) V^T");
      expect_all_near(product(transposed(vm), vm).v, identity_mats(2, n).v, tol_of(dt), "V^T V");
      for (int t = 0; t < 2; ++t) {
        const Vec want = jacobi_eigenvalues(
            Vec(as.v.begin() + size_t(t) * n * n, as.v.begin() + size_t(t + 1) * n * n), n);
        for (int i = 0; i < n; ++i) EXPECT_NEAR(wv[t * n + i], want[i], tol_of(dt) * 8);
      }
      expect_all_near(to_vec(linalg::eigvalsh(a)), wv, tol_of(dt), "eigvalsh");
    }
  }
}

TEST(Linalg, EighReadsOnlyTheChosenTriangle) {
  std::mt19937 g(8);
  const int n = 5;
  Vec m = random_values(g, n * n);
  // Lower triangle defines L-symmetric; upper defines U-symmetric; they differ.
  Vec lower_sym(n * n), upper_sym(n * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      lower_sym[i * n + j] = i >= j ? m[i * n + j] : m[j * n + i];
      upper_sym[i * n + j] = i <= j ? m[i * n + j] : m[j * n + i];
    }
  const array a = make(m, {n, n}, float64);
  expect_all_near(to_vec(linalg::eigvalsh(a, "L")), jacobi_eigenvalues(lower_sym, n), 1e-12, "L");
  expect_all_near(to_vec(linalg::eigvalsh(a, "U")), jacobi_eigenvalues(upper_sym, n), 1e-12, "U");
  expect_all_near(to_vec(linalg::eigh(a, "U").first), jacobi_eigenvalues(upper_sym, n), 1e-12,
                  "eigh U");
}

TEST(Linalg, TriInvInvertsTheTriangle) {
  std::mt19937 g(9);
  for (Dtype dt : {float32, float64}) {
    for (bool upper : {false, true}) {
      const int n = 6;
      Vec v = random_values(g, 2 * n * n);
      Vec clean = v;
      for (int t = 0; t < 2; ++t)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j) {
            double& x = clean[(size_t(t) * n + i) * n + j];
            if (i == j) x = 2.0 + std::fabs(x);
            if (upper ? j < i : j > i) x = 0.0;
            v[(size_t(t) * n + i) * n + j] = i == j ? x : v[(size_t(t) * n + i) * n + j];
          }
      // v: the same triangle as clean, garbage in the other one (ignored).
      const Mats inv = mats(linalg::tri_inv(make(v, {2, n, n}, dt), upper));
      const Mats tri = stored(make(clean, {2, n, n}, dt));
      expect_all_near(product(inv, tri).v, identity_mats(2, n).v, tol_of(dt), "tri_inv");
      for (int t = 0; t < 2; ++t)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j)
            if (upper ? j < i : j > i) {
              EXPECT_EQ(inv.at(t, i, j), 0.0);
            }
    }
  }
}

TEST(Linalg, CholeskyInvAndPinv) {
  std::mt19937 g(10);
  for (Dtype dt : {float32, float64}) {
    const int n = 5;
    const array a = make(spd(g, 2, n), {2, n, n}, dt);
    for (bool upper : {false, true}) {
      const array inv = linalg::cholesky_inv(linalg::cholesky(a, upper), upper);
      expect_all_near(product(stored(a), mats(inv)).v, identity_mats(2, n).v, tol_of(dt) * 10,
                      "cholesky_inv");
    }
    // Full column rank: pinv(A) A = I.
    const array tall = make(random_values(g, 2 * 7 * 4), {2, 7, 4}, dt);
    const array p = linalg::pinv(tall);
    ASSERT_EQ(p.shape(), (Shape{2, 4, 7}));
    expect_all_near(product(mats(p), stored(tall)).v, identity_mats(2, 4).v, tol_of(dt) * 10,
                    "pinv tall");
    // Rank one: the Moore-Penrose conditions A P A = A and P A P = P.
    Vec x = random_values(g, 4), y = random_values(g, 6), outer(24);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 6; ++j) outer[i * 6 + j] = x[i] * y[j];
    const array r1 = make(outer, {4, 6}, dt);
    const Mats am = stored(r1), pm = mats(linalg::pinv(r1));
    expect_all_near(product(product(am, pm), am).v, am.v, tol_of(dt) * 10, "A P A");
    expect_all_near(product(product(pm, am), pm).v, pm.v, tol_of(dt) * 10, "P A P");
  }
}

TEST(Linalg, EmptyAndZeroSizedBatches) {
  EXPECT_EQ(linalg::inv(zeros({0, 3, 3}, float32)).shape(), (Shape{0, 3, 3}));
  EXPECT_EQ(linalg::inv(zeros({2, 0, 0}, float32)).size(), 0u);
  linalg::inv(zeros({2, 0, 0}, float32)).eval();
  auto [q, r] = linalg::qr(zeros({0, 4, 3}, float64));
  EXPECT_EQ(q.shape(), (Shape{0, 4, 3}));
  EXPECT_EQ(r.shape(), (Shape{0, 3, 3}));
  eval(q, r);
  const auto usv = linalg::svd(zeros({3, 0}, float32));
  EXPECT_EQ(usv[1].shape(), (Shape{0}));
  // U and V^T of an empty matrix are identities of their sizes.
  expect_all_near(to_vec(usv[0]), identity_mats(1, 3).v, 0.0, "U of 3x0");
}

// ---- norms ----

// Reference vector norm of `v` along `axis` of `shape` (keepdims layout = same order).
Vec vector_norm_ref(const Vec& v, const Shape& shape, int axis, double ord) {
  Shape outer = shape;
  outer[axis] = 1;
  Vec out;
  for (size_t o = 0; o < numel(outer); ++o) {
    auto idx = unravel(o, outer);
    Vec row;
    for (int j = 0; j < shape[axis]; ++j) {
      idx[axis] = j;
      row.push_back(std::fabs(v[ravel(idx, shape)]));
    }
    double r = 0;
    if (ord == kInf) {
      r = *std::max_element(row.begin(), row.end());
    } else if (ord == -kInf) {
      r = *std::min_element(row.begin(), row.end());
    } else if (ord == 0) {
      for (double x : row) r += x != 0;
    } else {
      for (double x : row) r += std::pow(x, ord);
      r = std::pow(r, 1 / ord);
    }
    out.push_back(r);
  }
  return out;
}

// Reference matrix norm over (row, col) of `shape`; ord 1, -1, inf, -inf, 2, -2, or
// 100 for Frobenius and 200 for nuclear.
Vec matrix_norm_ref(const Vec& v, const Shape& shape, int row, int col, double ord) {
  Shape outer = shape;
  outer[row] = 1;
  outer[col] = 1;
  const int m = shape[row], n = shape[col];
  Vec out;
  for (size_t o = 0; o < numel(outer); ++o) {
    auto idx = unravel(o, outer);
    Vec mat(size_t(m) * n);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        idx[row] = i;
        idx[col] = j;
        mat[size_t(i) * n + j] = v[ravel(idx, shape)];
      }
    double r = 0;
    if (std::fabs(ord) == 1 || std::fabs(ord) == kInf) {
      const bool columns = std::fabs(ord) == 1;
      Vec sums(columns ? n : m, 0.0);
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) sums[columns ? j : i] += std::fabs(mat[size_t(i) * n + j]);
      r = ord > 0 ? *std::max_element(sums.begin(), sums.end())
                  : *std::min_element(sums.begin(), sums.end());
    } else if (ord == 100) {
      for (double x : mat) r += x * x;
      r = std::sqrt(r);
    } else {
      const Vec s = singular_values_ref(mat, m, n);
      if (ord == 2) r = s.front();
      if (ord == -2) r = s.back();
      if (ord == 200)
        for (double x : s) r += x;
    }
    out.push_back(r);
  }
  return out;
}

Shape drop_axes(Shape s, std::vector<int> axes, bool keepdims) {
  std::sort(axes.rbegin(), axes.rend());
  for (int ax : axes) {
    if (keepdims) {
      s[ax] = 1;
    } else {
      s.erase(s.begin() + ax);
    }
  }
  return s;
}

TEST(LinalgNorm, VectorNormsMatchLoops) {
  std::mt19937 g(11);
  const Shape shape{3, 4, 5};
  for (Dtype dt : {float32, float64}) {
    for (Layout layout : kLayouts) {
      Vec v = random_values(g, numel(shape), -2.0, 2.0);
      v[3] = 0.0;  // ord 0 counts non-zeros
      const array a = laid_out(v, shape, dt, layout);
      const Vec stored_v = to_vec(a);
      for (double ord : {2.0, 1.0, kInf, -kInf, 0.0, 3.0, 0.5, -1.0}) {
        for (int axis : {0, 1, 2, -1}) {
          for (bool keepdims : {false, true}) {
            const int ax = axis < 0 ? axis + 3 : axis;
            const array got = linalg::norm(a, ord, axis, keepdims);
            const std::string what = "ord " + std::to_string(ord) + " axis " +
                                     std::to_string(axis) + " " + std::string(dtype_name(dt));
            ASSERT_EQ(got.shape(), drop_axes(shape, {ax}, keepdims)) << what;
            EXPECT_EQ(got.dtype(), dt);
            expect_all_near(to_vec(got), vector_norm_ref(stored_v, shape, ax, ord), tol_of(dt) * 4,
                            what);
          }
        }
      }
      // 1-d input with an ord and no axis is a vector norm.
      const array flat = reshape(a, {-1});
      expect_all_near(to_vec(linalg::norm(flat, 3.0)),
                      vector_norm_ref(stored_v, {int(stored_v.size())}, 0, 3.0), tol_of(dt) * 4,
                      "1-d");
    }
  }
}

TEST(LinalgNorm, MatrixNormsMatchLoops) {
  std::mt19937 g(12);
  const Shape shape{4, 3, 5};
  for (Dtype dt : {float32, float64}) {
    const Vec v = random_values(g, numel(shape), -2.0, 2.0);
    const array a = laid_out(v, shape, dt, Layout::transposed);
    const Vec sv = to_vec(a);
    for (auto [row, col] :
         {std::pair{1, 2}, std::pair{2, 1}, std::pair{0, 2}, std::pair{2, 0}, std::pair{-2, -1}}) {
      const int r = row < 0 ? row + 3 : row, c = col < 0 ? col + 3 : col;
      for (bool keepdims : {false, true}) {
        const std::string where = " axes " + std::to_string(row) + "," + std::to_string(col) +
                                  (keepdims ? " keepdims " : " ") + std::string(dtype_name(dt));
        for (double ord : {1.0, -1.0, kInf, -kInf, 2.0, -2.0}) {
          const array got = linalg::norm(a, ord, std::vector<int>{row, col}, keepdims);
          ASSERT_EQ(got.shape(), drop_axes(shape, {r, c}, keepdims)) << ord << where;
          expect_all_near(to_vec(got), matrix_norm_ref(sv, shape, r, c, ord), tol_of(dt) * 8,
                          "ord " + std::to_string(ord) + where);
        }
        const array fro = linalg::norm(a, "fro", std::vector<int>{row, col}, keepdims);
        expect_all_near(to_vec(fro), matrix_norm_ref(sv, shape, r, c, 100), tol_of(dt) * 4,
                        "fro" + where);
        const array nuc = linalg::norm(a, "nuc", std::vector<int>{row, col}, keepdims);
        ASSERT_EQ(nuc.shape(), drop_axes(shape, {r, c}, keepdims));
        expect_all_near(to_vec(nuc), matrix_norm_ref(sv, shape, r, c, 200), tol_of(dt) * 8,
                        "nuc" + where);
      }
    }
    // 2-d input with an ord and no axis is a matrix norm.
    const array m = slice(a, {0, 0, 0}, {1, 3, 5});
    const array m2 = reshape(m, {3, 5});
    expect_all_near(to_vec(linalg::norm(m2, kInf)), matrix_norm_ref(to_vec(m2), {3, 5}, 0, 1, kInf),
                    tol_of(dt) * 4, "2-d inf");
    expect_all_near(to_vec(linalg::norm(m2, "nuc")), matrix_norm_ref(to_vec(m2), {3, 5}, 0, 1, 200),
                    tol_of(dt) * 8, "2-d nuc");
  }
}

TEST(LinalgNorm, DefaultIsTwoNormOfTheFlattenedArray) {
  std::mt19937 g(13);
  const Shape shape{3, 4, 2};
  const Vec v = random_values(g, numel(shape), -3.0, 3.0);
  const array a = make(v, shape, float64);
  double ss = 0;
  for (double x : v) ss += x * x;
  array n = linalg::norm(a);
  EXPECT_EQ(n.ndim(), 0);
  EXPECT_NEAR(n.item<double>(), std::sqrt(ss), 1e-12);
  const array k = linalg::norm(a, std::nullopt, true);
  EXPECT_EQ(k.shape(), (Shape{1, 1, 1}));
  EXPECT_NEAR(to_vec(k)[0], std::sqrt(ss), 1e-12);
  // An axis: the 2-norm along it; two axes: Frobenius over them.
  expect_all_near(to_vec(linalg::norm(a, 1)), vector_norm_ref(v, shape, 1, 2.0), 1e-12, "axis");
  expect_all_near(to_vec(linalg::norm(a, std::vector<int>{0, 2})),
                  matrix_norm_ref(v, shape, 0, 2, 100), 1e-12, "two axes");
  // Braced axes are axes (without an overload for them, {0, 2} would become a string ord).
  expect_all_near(to_vec(linalg::norm(a, {0, 2})), matrix_norm_ref(v, shape, 0, 2, 100), 1e-12,
                  "braced axes");
  expect_all_near(to_vec(linalg::norm(a, 1.0, {0, 2})), matrix_norm_ref(v, shape, 0, 2, 1.0), 1e-12,
                  "braced axes with ord");
  expect_all_near(to_vec(linalg::norm(a, "fro", {2, 0})), matrix_norm_ref(v, shape, 2, 0, 100),
                  1e-12, "braced axes with string ord");
  // Integers give float32.
  const array ints = array({3, 4});
  EXPECT_EQ(linalg::norm(ints).dtype(), float32);
  EXPECT_FLOAT_EQ(linalg::norm(ints).item<float>(), 5.0f);
  EXPECT_FLOAT_EQ(linalg::norm(ints, 1.0).item<float>(), 7.0f);
}

// ---- cross ----

TEST(Linalg, CrossMatchesTheFormula) {
  std::mt19937 g(14);
  for (Dtype dt : {float32, float64}) {
    const Vec av = random_values(g, 4 * 3), bv = random_values(g, 4 * 3);
    const array a = make(av, {4, 3}, dt), b = make(bv, {4, 3}, dt);
    const Vec as = to_vec(a), bs = to_vec(b);
    Vec want(12);
    for (int i = 0; i < 4; ++i) {
      const double* x = &as[i * 3];
      const double* y = &bs[i * 3];
      want[i * 3 + 0] = x[1] * y[2] - x[2] * y[1];
      want[i * 3 + 1] = x[2] * y[0] - x[0] * y[2];
      want[i * 3 + 2] = x[0] * y[1] - x[1] * y[0];
    }
    const array c = linalg::cross(a, b);
    ASSERT_EQ(c.shape(), (Shape{4, 3}));
    EXPECT_EQ(c.dtype(), dt);
    expect_all_near(to_vec(c), want, tol_of(dt), "cross");
    // Along axis 0 of the transposed inputs: the transposed result.
    const array ct = linalg::cross(transpose(a), transpose(b), 0);
    ASSERT_EQ(ct.shape(), (Shape{3, 4}));
    expect_all_near(to_vec(transpose(ct)), want, tol_of(dt), "cross axis 0");
    // Broadcast: one vector against a batch.
    const array c1 = linalg::cross(slice(a, {0, 0}, {1, 3}), b);
    ASSERT_EQ(c1.shape(), (Shape{4, 3}));
    const Vec c1v = to_vec(c1);
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(c1v[i * 3 + 2], as[0] * bs[i * 3 + 1] - as[1] * bs[i * 3 + 0], tol_of(dt));
    }
    // Orthogonal to both inputs.
    const Vec cv = to_vec(c);
    for (int i = 0; i < 4; ++i) {
      double da = 0, db = 0;
      for (int k = 0; k < 3; ++k) {
        da += cv[i * 3 + k] * as[i * 3 + k];
        db += cv[i * 3 + k] * bs[i * 3 + k];
      }
      EXPECT_NEAR(da, 0.0, tol_of(dt) * 4);
      EXPECT_NEAR(db, 0.0, tol_of(dt) * 4);
    }
  }
  // Size-2 vectors take a zero third component; integers stay integers.
  const array c2 = linalg::cross(array({1, 2}), array({3, 4, 5}));
  EXPECT_EQ(c2.dtype(), int32);
  EXPECT_EQ(to_vec(c2), (Vec{2 * 5 - 0 * 4, 0 * 3 - 1 * 5, 1 * 4 - 2 * 3}));
}

// ---- errors ----

TEST(Linalg, ShapeAndDtypeErrorsAtBuildTime) {
  const array sq = eye(3, float32), rect = zeros({3, 4}, float32), vec = zeros({3}, float32);
  EXPECT_NE(error_of<ValueError>([&] { linalg::inv(rect); }).find("[linalg::inv]"),
            std::string::npos);
  EXPECT_NE(error_of<ValueError>([&] { linalg::inv(vec); }).find("[linalg::inv]"),
            std::string::npos);
  EXPECT_THROW(linalg::cholesky(rect), ValueError);
  EXPECT_THROW(linalg::tri_inv(rect), ValueError);
  EXPECT_THROW(linalg::eigh(rect), ValueError);
  EXPECT_THROW(linalg::eigvalsh(vec), ValueError);
  EXPECT_THROW(linalg::qr(vec), ValueError);
  EXPECT_THROW(linalg::svd(vec), ValueError);
  EXPECT_THROW(linalg::pinv(vec), ValueError);
  EXPECT_THROW(linalg::solve(rect, vec), ValueError);
  EXPECT_THROW(linalg::solve(sq, zeros({4}, float32)), ValueError);
  EXPECT_THROW(linalg::solve(sq, zeros({2, 3}, float32)), ValueError);
  EXPECT_THROW(linalg::eigh(sq, "X"), ValueError);
  EXPECT_THROW(linalg::cross(zeros({4}), zeros({3})), ValueError);
  EXPECT_THROW(linalg::cross(zeros({3}), zeros({3}), 1), IndexError);
  // dtypes: float32 and float64 only.
  EXPECT_NE(error_of<TypeError>([&] { linalg::inv(eye(3, int32)); }).find("[linalg::inv]"),
            std::string::npos);
  EXPECT_THROW(linalg::qr(eye(3, float16)), TypeError);
  EXPECT_THROW(linalg::svd(eye(3, bfloat16)), TypeError);
  EXPECT_THROW(linalg::cholesky(eye(3, int64)), TypeError);
  EXPECT_THROW(linalg::eigh(eye(3, complex64)), TypeError);
  EXPECT_THROW(linalg::solve(eye(3, int32), array({1, 2, 3})), TypeError);
  EXPECT_THROW(linalg::norm(eye(3, float16), 2.0), TypeError);  // needs singular values
  // norm arguments.
  EXPECT_THROW(linalg::norm(zeros({2, 2, 2}), 2.0), ValueError);  // ord, no axis, 3-d
  EXPECT_THROW(linalg::norm(sq, 3.0), ValueError);                // no matrix 3-norm
  EXPECT_THROW(linalg::norm(vec, "fro"), ValueError);             // matrix norm of a vector
  EXPECT_THROW(linalg::norm(sq, "max", std::vector<int>{0, 1}), ValueError);
  EXPECT_THROW(linalg::norm(sq, std::vector<int>{0, 0}), ValueError);
  EXPECT_THROW(linalg::norm(zeros({2, 2, 2}), std::vector<int>{0, 1, 2}), ValueError);
}

template <class F>
std::string eval_error(F&& f) {
  try {
    array x = f();
    x.eval();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Linalg, NumericalFailuresAtEvalNameThePrimitive) {
  // Rank one: singular. The second matrix of the batch fails.
  const array singular = array({{{2.0f, 0.0f}, {0.0f, 1.0f}}, {{1.0f, 2.0f}, {2.0f, 4.0f}}});
  const std::string inv_error = eval_error([&] { return linalg::inv(singular); });
  EXPECT_EQ(inv_error.rfind("[Inverse]", 0), 0u) << inv_error;
  EXPECT_NE(inv_error.find("singular"), std::string::npos) << inv_error;
  EXPECT_NE(inv_error.find("matrix 1"), std::string::npos) << inv_error;
  const std::string solve_error = eval_error([&] {
    return linalg::solve(singular, array({1.0f, 1.0f}));
  });
  EXPECT_EQ(solve_error.rfind("[Solve]", 0), 0u) << solve_error;
  const std::string tri_error = eval_error([&] {
    return linalg::tri_inv(array({{1.0, 0.0}, {3.0, 0.0}}, float64));
  });
  EXPECT_EQ(tri_error.rfind("[Inverse]", 0), 0u) << tri_error;
  // Indefinite: eigenvalues 3 and -1.
  const std::string chol_error = eval_error([&] {
    return linalg::cholesky(array({{1.0f, 2.0f}, {2.0f, 1.0f}}));
  });
  EXPECT_EQ(chol_error.rfind("[Cholesky]", 0), 0u) << chol_error;
  EXPECT_NE(chol_error.find("positive definite"), std::string::npos) << chol_error;
  // The process stays healthy: a good matrix still inverts afterwards.
  EXPECT_NEAR(linalg::inv(array({{2.0f}})).item<float>(), 0.5f, 1e-7);
}

}  // namespace
