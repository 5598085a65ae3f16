// Products built from transposes, reshapes, diagonals, sums and matmul: einsum,
// tensordot, inner, outer, kron, addmm. Floating and complex contractions go through
// matmul; integer einsum contracts by broadcast multiply and sum.
#include <algorithm>
#include <map>
#include <numeric>
#include <string>

#include "ember/core/ops.h"
#include "ember/core/primitives/matmul.h"

namespace ember {

array tensordot(const array& a, const array& b, int axis, StreamOrDevice s) {
  EMBER_CHECK(axis >= 0, ValueError, "[tensordot] axis must be non-negative; got ", axis);
  EMBER_CHECK(axis <= std::min(a.ndim(), b.ndim()), ValueError, "[tensordot] cannot contract ",
              axis, " axes of arrays with ", a.ndim(), " and ", b.ndim(), " dimensions");
  std::vector<int> axes_a, axes_b;
  for (int i = 0; i < axis; ++i) {
    axes_a.push_back(a.ndim() - axis + i);
    axes_b.push_back(i);
  }
  return tensordot(a, b, axes_a, axes_b, s);
}

array tensordot(const array& a, const array& b, const std::vector<int>& axes_a,
                const std::vector<int>& axes_b, StreamOrDevice s) {
  EMBER_CHECK(axes_a.size() == axes_b.size(), ValueError, "[tensordot] got ", axes_a.size(),
              " axes for a and ", axes_b.size(), " for b");
  std::vector<bool> contracted_a(a.ndim(), false), contracted_b(b.ndim(), false);
  std::vector<int> order_a, order_b;
  int32_t csize = 1;
  for (size_t i = 0; i < axes_a.size(); ++i) {
    const int ax = normalize_axis(axes_a[i], a.ndim(), "tensordot");
    const int bx = normalize_axis(axes_b[i], b.ndim(), "tensordot");
    EMBER_CHECK(!contracted_a[ax] && !contracted_b[bx], ValueError,
                "[tensordot] an axis is repeated");
    EMBER_CHECK(a.shape()[ax] == b.shape()[bx], ValueError, "[tensordot] axis ", ax, " of a (",
                a.shape()[ax], ") and axis ", bx, " of b (", b.shape()[bx], ") differ in size");
    contracted_a[ax] = contracted_b[bx] = true;
    csize *= a.shape()[ax];
    order_b.push_back(bx);
  }
  Shape out_shape;
  int32_t m = 1, n = 1;
  for (int d = 0; d < a.ndim(); ++d) {
    if (contracted_a[d]) continue;
    order_a.push_back(d);
    out_shape.push_back(a.shape()[d]);
    m *= a.shape()[d];
  }
  for (size_t i = 0; i < axes_a.size(); ++i) order_a.push_back(normalize_axis(axes_a[i], a.ndim(), "tensordot"));
  for (int d = 0; d < b.ndim(); ++d) {
    if (contracted_b[d]) continue;
    order_b.push_back(d);
    out_shape.push_back(b.shape()[d]);
    n *= b.shape()[d];
  }
  array x = reshape(transpose(a, order_a, s), {m, csize}, s);
  array y = reshape(transpose(b, order_b, s), {csize, n}, s);
  return reshape(matmul(x, y, s), std::move(out_shape), s);
}

array inner(const array& a, const array& b, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) return multiply(a, b, s);
  EMBER_CHECK(a.shape(-1) == b.shape(-1), ValueError, "[inner] the last dimensions differ: ",
              shape_to_string(a.shape()), " and ", shape_to_string(b.shape()));
  return tensordot(a, b, std::vector<int>{-1}, std::vector<int>{-1}, s);
}

array outer(const array& a, const array& b, StreamOrDevice s) {
  return multiply(reshape(a, {static_cast<int32_t>(a.size()), 1}, s), flatten(b, s), s);
}

array kron(const array& a, const array& b, StreamOrDevice s) {
  EMBER_CHECK(a.size() > 0 && b.size() > 0, ValueError, "[kron] the inputs cannot be empty; got ",
              shape_to_string(a.shape()), " and ", shape_to_string(b.shape()));
  const int ndim = std::max(a.ndim(), b.ndim());
  Shape sa(ndim - a.ndim(), 1), sb(ndim - b.ndim(), 1);
  sa.insert(sa.end(), a.shape().begin(), a.shape().end());
  sb.insert(sb.end(), b.shape().begin(), b.shape().end());
  Shape ia, ib, out;
  for (int d = 0; d < ndim; ++d) {
    ia.insert(ia.end(), {sa[d], 1});
    ib.insert(ib.end(), {1, sb[d]});
    out.push_back(sa[d] * sb[d]);
  }
  return reshape(multiply(reshape(a, ia, s), reshape(b, ib, s), s), out, s);
}

array addmm(array c, array a, array b, const float& alpha, const float& beta, StreamOrDevice s) {
  EMBER_CHECK(a.ndim() >= 1 && b.ndim() >= 1, ValueError,
              "[addmm] a and b need at least one dimension; got shapes ",
              shape_to_string(a.shape()), " and ", shape_to_string(b.shape()));
  const Dtype dtype = promote_types(promote_types(a.dtype(), b.dtype()), c.dtype());
  EMBER_CHECK(is_inexact(dtype), TypeError, "[addmm] only floating and complex dtypes are ",
              "supported; ", c.dtype(), ", ", a.dtype(), " and ", b.dtype(), " give ", dtype);
  const Stream stream = to_stream(s);
  array product = matmul(astype(a, dtype, stream), astype(b, dtype, stream), stream);
  c = astype(c, dtype, stream);
  EMBER_CHECK(broadcast_shapes(c.shape(), product.shape(), "addmm") == product.shape(), ValueError,
              "[addmm] c of shape ", shape_to_string(c.shape()),
              " does not broadcast to the product's shape ", shape_to_string(product.shape()));
  // Real floating products of matrices are one AddMM node (the add folds into the product's
  // accumulation); the Matmul node built above only lends its prepared operands.
  if (is_floating_point(dtype) && a.ndim() >= 2 && b.ndim() >= 2 && a.shape(-1) > 0 &&
      beta != 0.0f) {
    const std::vector<array>& operands = product.inputs();
    return array(Shape(product.shape()), dtype, std::make_shared<AddMM>(stream, alpha, beta),
                 {operands[0], operands[1], broadcast_to(c, product.shape(), stream)});
  }
  if (alpha != 1.0f) product = multiply(product, array(alpha, dtype), stream);
  if (beta == 0.0f) return product;
  if (beta != 1.0f) c = multiply(c, array(beta, dtype), stream);
  return add(product, c, stream);
}

// ---- einsum ----
namespace {

using Labels = std::vector<int>;  // letters as chars; ellipsis dims as 1000 + position from the right

struct Operand {
  array value;
  Labels labels;
};

Labels parse_term(const std::string& term, int ndim, bool is_output, int out_ellipsis) {
  Labels labels;
  const size_t dots = term.find("...");
  EMBER_CHECK(dots == std::string::npos || term.find("...", dots + 3) == std::string::npos,
              ValueError, "[einsum] more than one ellipsis in \"", term, "\"");
  const std::string head = dots == std::string::npos ? term : term.substr(0, dots);
  const std::string tail = dots == std::string::npos ? "" : term.substr(dots + 3);
  for (const std::string* part : {&head, &tail}) {
    for (char ch : *part) {
      EMBER_CHECK(std::isalpha(static_cast<unsigned char>(ch)), ValueError,
                  "[einsum] invalid character '", ch, "' in subscripts");
    }
  }
  const int letters = static_cast<int>(head.size() + tail.size());
  int ellipsis = 0;
  if (dots != std::string::npos) {
    ellipsis = is_output ? out_ellipsis : ndim - letters;
    EMBER_CHECK(ellipsis >= 0, ValueError, "[einsum] \"", term, "\" has more labels than the ",
                ndim, " dimensions of its operand");
  } else if (!is_output) {
    EMBER_CHECK(letters == ndim, ValueError, "[einsum] \"", term, "\" has ", letters,
                " labels for an operand with ", ndim, " dimensions");
  }
  for (char ch : head) labels.push_back(ch);
  for (int k = ellipsis - 1; k >= 0; --k) labels.push_back(1000 + k);
  for (char ch : tail) labels.push_back(ch);
  return labels;
}

int position(const Labels& labels, int label) {
  auto it = std::find(labels.begin(), labels.end(), label);
  return it == labels.end() ? -1 : static_cast<int>(it - labels.begin());
}

// Takes diagonals over labels repeated within one operand.
void merge_repeated(Operand& op, StreamOrDevice s) {
  for (size_t p = 0; p < op.labels.size(); ++p) {
    for (size_t q = p + 1; q < op.labels.size(); ++q) {
      if (op.labels[p] != op.labels[q]) continue;
      EMBER_CHECK(op.value.shape()[p] == op.value.shape()[q], ValueError,
                  "[einsum] label '", static_cast<char>(op.labels[p]),
                  "' is repeated with sizes ", op.value.shape()[p], " and ", op.value.shape()[q]);
      const int label = op.labels[p];
      op.value = diagonal(op.value, 0, static_cast<int>(p), static_cast<int>(q), s);
      op.labels.erase(op.labels.begin() + q);
      op.labels.erase(op.labels.begin() + p);
      op.labels.push_back(label);
      p = static_cast<size_t>(-1);  // restart: positions moved
      break;
    }
  }
}

// Sums the axes whose labels are not in `keep`.
void sum_unkept(Operand& op, const std::vector<int>& keep, StreamOrDevice s) {
  std::vector<int> axes;
  Labels labels;
  for (size_t d = 0; d < op.labels.size(); ++d) {
    if (std::find(keep.begin(), keep.end(), op.labels[d]) == keep.end()) {
      axes.push_back(static_cast<int>(d));
    } else {
      labels.push_back(op.labels[d]);
    }
  }
  if (axes.empty()) return;
  const Dtype dtype = op.value.dtype();
  op.value = astype(sum(op.value, axes, false, s), dtype, s);
  op.labels = std::move(labels);
}

array gather_axes(const array& x, const Labels& labels, const Labels& order, StreamOrDevice s) {
  std::vector<int> perm;
  for (int label : order) perm.push_back(position(labels, label));
  return transpose(x, perm, s);
}

Operand contract_pair(const Operand& a, const Operand& b, const std::vector<int>& keep,
                      StreamOrDevice s) {
  Labels batch, contracted, a_free, b_free;
  std::map<int, int32_t> size;
  for (size_t d = 0; d < a.labels.size(); ++d) size[a.labels[d]] = a.value.shape()[d];
  for (size_t d = 0; d < b.labels.size(); ++d) size[b.labels[d]] = b.value.shape()[d];
  for (int label : a.labels) {
    if (position(b.labels, label) < 0) {
      a_free.push_back(label);
    } else if (std::find(keep.begin(), keep.end(), label) != keep.end()) {
      batch.push_back(label);
    } else {
      contracted.push_back(label);
    }
  }
  for (int label : b.labels) {
    if (position(a.labels, label) < 0) b_free.push_back(label);
  }
  auto product = [&](const Labels& ls) {
    int32_t n = 1;
    for (int l : ls) n *= size[l];
    return n;
  };
  auto shape_of = [&](std::initializer_list<const Labels*> groups, bool ones_for_b,
                      bool ones_for_a) {
    Shape shape;
    for (const Labels* g : groups) {
      for (int l : *g) {
        const bool one = (ones_for_b && g == &b_free) || (ones_for_a && g == &a_free);
        shape.push_back(one ? 1 : size[l]);
      }
    }
    return shape;
  };
  Labels out_labels = batch;
  out_labels.insert(out_labels.end(), a_free.begin(), a_free.end());
  out_labels.insert(out_labels.end(), b_free.begin(), b_free.end());
  const Shape out_shape = shape_of({&batch, &a_free, &b_free}, false, false);
  Labels order_a = batch, order_b = batch;
  order_a.insert(order_a.end(), a_free.begin(), a_free.end());
  order_a.insert(order_a.end(), contracted.begin(), contracted.end());
  if (is_inexact(a.value.dtype())) {
    order_b.insert(order_b.end(), contracted.begin(), contracted.end());
    order_b.insert(order_b.end(), b_free.begin(), b_free.end());
    const int32_t nb = product(batch), m = product(a_free), k = product(contracted),
                  n = product(b_free);
    array x = reshape(gather_axes(a.value, a.labels, order_a, s), {nb, m, k}, s);
    array y = reshape(gather_axes(b.value, b.labels, order_b, s), {nb, k, n}, s);
    return {reshape(matmul(x, y, s), out_shape, s), out_labels};
  }
  // Integers and bool: broadcast multiply over (batch, a_free, b_free, contracted), then sum.
  order_b.insert(order_b.end(), b_free.begin(), b_free.end());
  order_b.insert(order_b.end(), contracted.begin(), contracted.end());
  array x = reshape(gather_axes(a.value, a.labels, order_a, s),
                    shape_of({&batch, &a_free, &b_free, &contracted}, true, false), s);
  array y = reshape(gather_axes(b.value, b.labels, order_b, s),
                    shape_of({&batch, &a_free, &b_free, &contracted}, false, true), s);
  array z = multiply(x, y, s);
  if (!contracted.empty()) {
    std::vector<int> axes(contracted.size());
    std::iota(axes.begin(), axes.end(), static_cast<int>(out_labels.size()));
    z = astype(sum(z, axes, false, s), z.dtype(), s);
  }
  return {z, out_labels};
}

}  // namespace

array einsum(const std::string& subscripts_in, const std::vector<array>& operands,
             StreamOrDevice s) {
  std::string subscripts;
  for (char ch : subscripts_in) {
    if (ch != ' ') subscripts.push_back(ch);
  }
  EMBER_CHECK(!operands.empty(), ValueError, "[einsum] no operands");
  const size_t arrow = subscripts.find("->");
  const std::string lhs = subscripts.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  EMBER_CHECK(terms.size() == operands.size(), ValueError, "[einsum] \"", subscripts_in,
              "\" names ", terms.size(), " operands but ", operands.size(), " were given");
  const Stream stream = to_stream(s);
  Dtype dtype = operands[0].dtype();
  for (const auto& op : operands) dtype = promote_types(dtype, op.dtype());

  std::vector<Operand> ops;
  int ellipsis = 0;
  std::map<int, int32_t> size;
  for (size_t i = 0; i < operands.size(); ++i) {
    Operand op{astype(operands[i], dtype, stream),
               parse_term(terms[i], operands[i].ndim(), false, 0)};
    for (size_t d = 0; d < op.labels.size(); ++d) {
      const int label = op.labels[d];
      if (label >= 1000) ellipsis = std::max(ellipsis, label - 999);
      const int32_t n = op.value.shape()[d];
      auto [it, inserted] = size.emplace(label, n);
      if (label >= 1000 && (it->second == 1 || n == 1)) {
        it->second = std::max(it->second, n);  // ellipsis dims broadcast
        continue;
      }
      EMBER_CHECK(inserted || it->second == n, ValueError, "[einsum] label '",
                  static_cast<char>(label), "' has sizes ", it->second, " and ", n);
    }
    ops.push_back(std::move(op));
  }
  // Broadcast size-1 ellipsis dims to their full size.
  for (auto& op : ops) {
    Shape target = op.value.shape();
    for (size_t d = 0; d < op.labels.size(); ++d) {
      if (op.labels[d] >= 1000) target[d] = size[op.labels[d]];
    }
    op.value = broadcast_to(op.value, target, stream);
  }

  Labels output;
  if (arrow != std::string::npos) {
    output = parse_term(subscripts.substr(arrow + 2), 0, true, ellipsis);
    for (size_t d = 0; d < output.size(); ++d) {
      EMBER_CHECK(size.count(output[d]), ValueError, "[einsum] output label '",
                  static_cast<char>(output[d]), "' is not in the inputs");
      EMBER_CHECK(std::count(output.begin(), output.end(), output[d]) == 1, ValueError,
                  "[einsum] output label '", static_cast<char>(output[d]), "' is repeated");
    }
  } else {
    std::map<int, int> count;
    for (const auto& op : ops) {
      for (int l : op.labels) ++count[l];
    }
    for (int k = ellipsis - 1; k >= 0; --k) output.push_back(1000 + k);
    for (auto [label, n] : count) {  // sorted by character code, as NumPy
      if (label < 1000 && n == 1) output.push_back(label);
    }
  }

  // Per operand: diagonals of repeated labels, then sums over labels used nowhere else.
  for (size_t i = 0; i < ops.size(); ++i) {
    merge_repeated(ops[i], stream);
    std::vector<int> keep = output;
    for (size_t j = 0; j < ops.size(); ++j) {
      if (j != i) keep.insert(keep.end(), ops[j].labels.begin(), ops[j].labels.end());
    }
    sum_unkept(ops[i], keep, stream);
  }
  Operand result = ops[0];
  for (size_t i = 1; i < ops.size(); ++i) {
    std::vector<int> keep = output;
    for (size_t j = i + 1; j < ops.size(); ++j) {
      keep.insert(keep.end(), ops[j].labels.begin(), ops[j].labels.end());
    }
    result = contract_pair(result, ops[i], keep, stream);
  }
  return gather_axes(result.value, result.labels, output, stream);
}

}  // namespace ember
