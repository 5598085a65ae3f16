// Evaluation of chat templates. See Note [Template scopes] and Note [Template bounds].
#include "ember/lm/chat_template/interpreter.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ember::lm::tpl {

// Note [Template scopes]
// jinja2 gives every loop iteration, macro call, `with` and filter block a scope of its
// own: `{% set %}` inside it is invisible outside (hence namespace()), while `if` shares
// the enclosing scope. Frames chain to their parent for reads; writes go to the current
// frame. A macro reads the frame it was defined in, by pointer: frames that a macro
// captured are pinned for the whole render, so closures never own frames and no
// reference cycle can form through them.

// Note [Template bounds]
// Hostile templates must fail, not crash or hang: evaluation depth is counted (macro
// recursion included), every statement, expression and iteration costs a step, and
// every string or list built is charged to a byte budget, so doubling a value in a loop
// stops early. Namespaces created during a render are emptied when it ends, which
// breaks any cycle a template built through them.

const Value* Frame::find(const std::string& name) const {
  for (const Frame* f = this; f; f = f->parent.get()) {
    auto it = f->vars.find(name);
    if (it != f->vars.end()) return &it->second;
  }
  return nullptr;
}

namespace {

/// jinja2's LoopContext.
class LoopContext : public Object {
 public:
  explicit LoopContext(std::shared_ptr<const ValueList> items) : items_(std::move(items)) {}
  size_t index0 = 0;
  Value last_changed;

  std::optional<Value> attribute(const std::string& name) const override {
    auto n = static_cast<int64_t>(items_->size());
    auto i = static_cast<int64_t>(index0);
    if (name == "index") return Value::integer(i + 1);
    if (name == "index0") return Value::integer(i);
    if (name == "revindex") return Value::integer(n - i);
    if (name == "revindex0") return Value::integer(n - i - 1);
    if (name == "first") return Value::boolean(i == 0);
    if (name == "last") return Value::boolean(i == n - 1);
    if (name == "length") return Value::integer(n);
    if (name == "depth") return Value::integer(1);
    if (name == "depth0") return Value::integer(0);
    if (name == "previtem") return i > 0 ? (*items_)[i - 1] : Value::undefined("there is no previous item");
    if (name == "nextitem") return i + 1 < n ? (*items_)[i + 1] : Value::undefined("there is no next item");
    if (name == "cycle") {
      size_t index = index0;
      return Value::function("loop.cycle", [index](Interpreter& interp, CallArgs& args) {
        if (args.positional.empty()) interp.fail("no items for cycling given");
        return args.positional[index % args.positional.size()];
      });
    }
    return std::nullopt;
  }
  std::string repr() const override {
    return "<LoopContext " + std::to_string(index0 + 1) + "/" + std::to_string(items_->size()) + ">";
  }

 private:
  std::shared_ptr<const ValueList> items_;
};

bool checked_add(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }
bool checked_mul(int64_t a, int64_t b, int64_t* out) { return !__builtin_mul_overflow(a, b, out); }

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

double python_fmod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

}  // namespace

struct Interpreter::DepthGuard {
  Interpreter& interp;
  explicit DepthGuard(Interpreter& i) : interp(i) {
    if (++interp.depth_ > interp.limits_.max_render_depth) {
      --interp.depth_;
      interp.fail("recursion too deep (limit " + std::to_string(interp.limits_.max_render_depth) + ")");
    }
  }
  ~DepthGuard() { --interp.depth_; }
};

std::optional<Value> Namespace::attribute(const std::string& name) const {
  if (const Value* found = attrs.find(Value::string(name))) return *found;
  return std::nullopt;
}

std::string Namespace::repr() const {
  // A template can make a namespace contain itself; print such a cycle as jinja2 would not
  // loop forever on: bounded by a per-thread depth.
  thread_local int depth = 0;
  if (depth > 64) return "<Namespace {...}>";
  ++depth;
  std::string out = "<Namespace " + Value::dict(attrs).repr() + ">";
  --depth;
  return out;
}

bool Namespace::set_attribute(const std::string& name, Value value) {
  attrs.set(Value::string(name), std::move(value));
  return true;
}

std::shared_ptr<Namespace> Interpreter::make_namespace() {
  auto ns = std::make_shared<Namespace>();
  namespaces_.push_back(ns);
  return ns;
}

void Interpreter::fail(const std::string& message) const { throw TemplateError(line_, message); }

void Interpreter::step() {
  if (++steps_ > limits_.max_steps) {
    fail("template takes too many steps (limit " + std::to_string(limits_.max_steps) + ")");
  }
}

void Interpreter::charge(size_t bytes) {
  if (bytes > limits_.max_output_bytes) {
    fail("value of " + std::to_string(bytes) + " bytes exceeds the limit of " +
         std::to_string(limits_.max_output_bytes));
  }
  work_bytes_ += bytes;
  if (work_bytes_ > limits_.max_work_bytes) fail("template builds too much text (work limit reached)");
}

void Interpreter::append(std::string& out, std::string_view text) {
  if (out.size() + text.size() > limits_.max_output_bytes) {
    fail("rendered output exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
  }
  work_bytes_ += text.size();
  if (work_bytes_ > limits_.max_work_bytes) fail("template builds too much text (work limit reached)");
  out.append(text);
}

void Interpreter::require_defined(const Value& value) const {
  if (value.is_undefined()) {
    fail(value.undefined_hint().empty() ? "value is undefined" : value.undefined_hint());
  }
}

std::string Interpreter::render(const Program& program, const Dict& context) {
  auto root = std::make_shared<Frame>();
  for (auto& [key, value] : globals().items) root->vars[key.as_string()] = value;
  for (const auto& [key, value] : context.items) {
    if (key.is_string()) root->vars[key.as_string()] = value;
  }
  std::string out;
  struct Cleanup {
    Interpreter& interp;
    ~Cleanup() {
      for (auto& ns : interp.namespaces_) ns->clear();
      for (auto& frame : interp.pinned_frames_) frame->vars.clear();
    }
  } cleanup{*this};
  try {
    exec_body(program.body, root, out);
  } catch (const TemplateError&) {
    throw;
  } catch (const std::bad_alloc&) {
    fail("out of memory while rendering");
  } catch (const std::exception& e) {
    fail(e.what());
  }
  root->vars.clear();
  return out;
}

Interpreter::Flow Interpreter::exec_body(const Body& body, const std::shared_ptr<Frame>& frame,
                                         std::string& out) {
  for (const auto& stmt : body) {
    Flow flow = exec(*stmt, frame, out);
    if (flow != Flow::Normal) return flow;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt, const std::shared_ptr<Frame>& frame, std::string& out) {
  DepthGuard guard(*this);
  step();
  line_ = stmt.line;
  switch (stmt.kind) {
    case StmtKind::Text:
      append(out, stmt.text);
      return Flow::Normal;
    case StmtKind::Output: {
      Value value = eval(*stmt.expr, frame);
      line_ = stmt.line;
      append(out, value.str());
      return Flow::Normal;
    }
    case StmtKind::If:
      for (size_t i = 0; i < stmt.conditions.size(); ++i) {
        if (eval(*stmt.conditions[i], frame).truthy()) return exec_body(stmt.branches[i], frame, out);
      }
      if (stmt.branches.size() > stmt.conditions.size()) return exec_body(stmt.branches.back(), frame, out);
      return Flow::Normal;
    case StmtKind::For:
      exec_for(stmt, frame, out);
      return Flow::Normal;
    case StmtKind::Set:
      exec_set(stmt, frame, eval(*stmt.expr, frame));
      return Flow::Normal;
    case StmtKind::SetAttr: {
      Value object = eval(*stmt.object, frame);
      Value value = eval(*stmt.expr, frame);
      line_ = stmt.line;
      if (!object.is_object() || !object.as_object()->set_attribute(stmt.name, value)) {
        fail("cannot assign attribute on non-namespace object");
      }
      return Flow::Normal;
    }
    case StmtKind::SetBlock: {
      std::string captured;
      exec_body(stmt.body, frame, captured);
      Value value = Value::string(std::move(captured));
      if (stmt.filter) value = apply_filter_chain(*stmt.filter, frame, std::move(value));
      frame->vars[stmt.targets[0]] = std::move(value);
      return Flow::Normal;
    }
    case StmtKind::Macro:
      frame->vars[stmt.name] = make_macro(stmt, frame);
      return Flow::Normal;
    case StmtKind::Break:
      return Flow::Break;
    case StmtKind::Continue:
      return Flow::Continue;
    case StmtKind::Scope: {
      auto inner = std::make_shared<Frame>();
      inner->parent = frame;
      for (const auto& [name, expr] : stmt.assignments) inner->vars[name] = eval(*expr, frame);
      return exec_body(stmt.body, inner, out);
    }
    case StmtKind::FilterBlock: {
      auto inner = std::make_shared<Frame>();
      inner->parent = frame;
      std::string captured;
      Flow flow = exec_body(stmt.body, inner, captured);
      append(out, apply_filter_chain(*stmt.filter, frame, Value::string(std::move(captured))).str());
      return flow;
    }
  }
  return Flow::Normal;
}

// Applies a filter chain parsed with a null innermost input to `input`.
Value Interpreter::apply_filter_chain(const Expr& filter, const std::shared_ptr<Frame>& frame, Value input) {
  if (filter.args[0]) input = apply_filter_chain(*filter.args[0], frame, std::move(input));
  CallArgs args = eval_args(filter, frame, 1);
  line_ = filter.line;
  return call_filter(*this, filter.name, input, args);
}

ValueList iterate(Interpreter& interp, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::Undefined:
      return {};
    case Value::Kind::List:
      return value.as_list();
    case Value::Kind::Dict: {
      ValueList keys;
      for (const auto& item : value.as_dict().items) keys.push_back(item.first);
      return keys;
    }
    case Value::Kind::String: {
      ValueList chars;
      const std::string& s = value.as_string();
      auto offsets = utf8_offsets(s);
      interp.charge(offsets.size() * sizeof(Value));
      for (size_t i = 0; i + 1 < offsets.size(); ++i) {
        chars.push_back(Value::string(s.substr(offsets[i], offsets[i + 1] - offsets[i])));
      }
      return chars;
    }
    default:
      interp.fail("'" + value.type_name() + "' object is not iterable");
  }
}

void bind_targets(Interpreter& interp, Frame& frame, const std::vector<std::string>& targets, const Value& value) {
  if (targets.size() == 1) {
    frame.vars[targets[0]] = value;
    return;
  }
  if (value.is_undefined()) interp.require_defined(value);
  ValueList items = iterate(interp, value);
  if (items.size() < targets.size()) {
    interp.fail("not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " +
                std::to_string(items.size()) + ")");
  }
  if (items.size() > targets.size()) {
    interp.fail("too many values to unpack (expected " + std::to_string(targets.size()) + ")");
  }
  for (size_t i = 0; i < targets.size(); ++i) frame.vars[targets[i]] = items[i];
}

void Interpreter::exec_for(const Stmt& stmt, const std::shared_ptr<Frame>& frame, std::string& out) {
  Value iterable = eval(*stmt.expr, frame);
  line_ = stmt.line;
  ValueList items = iterate(*this, iterable);
  if (stmt.condition) {
    ValueList kept;
    for (auto& item : items) {
      step();
      auto scope = std::make_shared<Frame>();
      scope->parent = frame;
      bind_targets(*this, *scope, stmt.targets, item);
      if (eval(*stmt.condition, scope).truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  auto shared_items = std::make_shared<const ValueList>(std::move(items));
  auto loop = std::make_shared<LoopContext>(shared_items);
  Value loop_value = Value::object(loop);
  for (size_t i = 0; i < shared_items->size(); ++i) {
    step();
    loop->index0 = i;
    auto scope = std::make_shared<Frame>();
    scope->parent = frame;
    line_ = stmt.line;
    bind_targets(*this, *scope, stmt.targets, (*shared_items)[i]);
    scope->vars["loop"] = loop_value;
    if (exec_body(stmt.body, scope, out) == Flow::Break) break;
  }
  if (shared_items->empty() && !stmt.else_body.empty()) {
    auto scope = std::make_shared<Frame>();
    scope->parent = frame;
    exec_body(stmt.else_body, scope, out);
  }
}

void Interpreter::exec_set(const Stmt& stmt, const std::shared_ptr<Frame>& frame, Value value) {
  line_ = stmt.line;
  bind_targets(*this, *frame, stmt.targets, value);
}

Value Interpreter::make_macro(const Stmt& stmt, const std::shared_ptr<Frame>& frame) {
  pinned_frames_.push_back(frame);
  Frame* defined_in = frame.get();
  const Stmt* macro = &stmt;
  return Value::function(stmt.name, [this, defined_in, macro](Interpreter& interp, CallArgs& args) {
    DepthGuard guard(interp);
    auto scope = std::make_shared<Frame>();
    // The parent link is non-owning in effect: pinned_frames_ keeps it alive.
    scope->parent = std::shared_ptr<Frame>(std::shared_ptr<Frame>{}, defined_in);
    const auto& params = macro->params;
    ValueList varargs;
    for (size_t i = 0; i < args.positional.size(); ++i) {
      if (i < params.size()) {
        scope->vars[params[i]] = args.positional[i];
      } else {
        varargs.push_back(args.positional[i]);
      }
    }
    Dict kwargs;
    for (auto& [name, value] : args.keywords) {
      auto it = std::find(params.begin(), params.end(), name);
      if (it == params.end()) {
        kwargs.set(Value::string(name), value);
      } else if (static_cast<size_t>(it - params.begin()) < args.positional.size()) {
        interp.fail("macro '" + macro->name + "' got multiple values for argument '" + name + "'");
      } else {
        scope->vars[name] = value;
      }
    }
    for (size_t i = 0; i < params.size(); ++i) {
      if (scope->vars.count(params[i])) continue;
      scope->vars[params[i]] = macro->defaults[i] ? eval(*macro->defaults[i], scope)
                                                  : Value::undefined("parameter '" + params[i] + "' was not provided");
    }
    scope->vars["varargs"] = Value::list(std::move(varargs), true);
    scope->vars["kwargs"] = Value::dict(std::move(kwargs));
    std::string out;
    int saved_line = line_;
    exec_body(macro->body, scope, out);
    line_ = saved_line;
    return Value::string(std::move(out));
  });
}

CallArgs Interpreter::eval_args(const Expr& expr, const std::shared_ptr<Frame>& frame, size_t first) {
  CallArgs args;
  args.line = expr.line;
  for (size_t i = first; i < expr.args.size(); ++i) args.positional.push_back(eval(*expr.args[i], frame));
  for (const auto& [name, value] : expr.kwargs) args.keywords.emplace_back(name, eval(*value, frame));
  return args;
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  if (callee.is_function()) return callee.as_function().call(*this, args);
  require_defined(callee);
  fail("'" + callee.type_name() + "' object is not callable");
}

namespace {
std::string owner_name(const Value& object) {
  return object.is_none() ? "None" : "'" + object.type_name() + " object'";
}
}  // namespace

Value Interpreter::get_attribute(const Value& object, const std::string& name) {
  require_defined(object);
  if (auto bound = method(object, name)) return *bound;
  if (object.is_dict()) {
    if (const Value* found = object.as_dict().find(Value::string(name))) return *found;
  } else if (object.is_object()) {
    if (auto found = object.as_object()->attribute(name)) return *found;
  }
  return Value::undefined(owner_name(object) + " has no attribute '" + name + "'");
}

Value Interpreter::get_item(const Value& object, const Value& key) {
  require_defined(object);
  if ((object.is_list() || object.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t index = key.as_int();
    if (object.is_list()) {
      auto n = static_cast<int64_t>(object.as_list().size());
      if (index < 0) index += n;
      if (index >= 0 && index < n) return object.as_list()[index];
    } else {
      const std::string& s = object.as_string();
      auto offsets = utf8_offsets(s);
      auto n = static_cast<int64_t>(offsets.size()) - 1;
      if (index < 0) index += n;
      if (index >= 0 && index < n) return Value::string(s.substr(offsets[index], offsets[index + 1] - offsets[index]));
    }
    return Value::undefined(owner_name(object) + " has no element " + std::to_string(key.as_int()));
  }
  if (object.is_dict()) {
    if (const Value* found = object.as_dict().find(key)) return *found;
  }
  if (key.is_string()) {
    if (object.is_dict()) {
      if (auto bound = method(object, key.as_string())) return *bound;
      return Value::undefined(owner_name(object) + " has no attribute '" + key.as_string() + "'");
    }
    return get_attribute(object, key.as_string());
  }
  return Value::undefined(owner_name(object) + " has no element " + key.repr());
}

Value Interpreter::eval_slice(const Value& object, const Value& start, const Value& stop, const Value& step_value) {
  require_defined(object);
  auto as_index = [&](const Value& v, bool* ok) -> std::optional<int64_t> {
    if (v.is_none() || v.is_undefined()) return std::nullopt;
    if (v.is_int() || v.is_bool()) return v.as_int();
    *ok = false;
    return std::nullopt;
  };
  bool ok = true;
  auto lo = as_index(start, &ok);
  auto hi = as_index(stop, &ok);
  auto st = as_index(step_value, &ok);
  if (!ok || !(object.is_list() || object.is_string())) {
    return Value::undefined(owner_name(object) + " cannot be sliced");
  }
  int64_t step = st.value_or(1);
  if (step == 0) fail("slice step cannot be zero");
  std::vector<size_t> offsets;
  int64_t length;
  if (object.is_string()) {
    offsets = utf8_offsets(object.as_string());
    length = static_cast<int64_t>(offsets.size()) - 1;
  } else {
    length = static_cast<int64_t>(object.as_list().size());
  }
  // PySlice_AdjustIndices.
  auto adjust = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t i = *v;
    if (i < 0) {
      i += length;
      if (i < 0) i = step < 0 ? -1 : 0;
    } else if (i >= length) {
      i = step < 0 ? length - 1 : length;
    }
    return i;
  };
  int64_t begin = adjust(lo, step < 0 ? length - 1 : 0);
  int64_t end = adjust(hi, step < 0 ? -1 : length);
  std::vector<int64_t> picks;
  for (int64_t i = begin; step > 0 ? i < end : i > end; i += step) picks.push_back(i);
  if (object.is_string()) {
    std::string out;
    const std::string& s = object.as_string();
    for (int64_t i : picks) out.append(s, offsets[i], offsets[i + 1] - offsets[i]);
    charge(out.size());
    return Value::string(std::move(out));
  }
  ValueList out;
  for (int64_t i : picks) out.push_back(object.as_list()[i]);
  charge(out.size() * sizeof(Value));
  return Value::list(std::move(out), object.is_tuple());
}

bool contains(Interpreter& interp, const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::Undefined:
      return false;
    case Value::Kind::String:
      if (!item.is_string()) {
        interp.require_defined(item);
        interp.fail("'in <string>' requires string as left operand, not " + item.type_name());
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::List:
      for (const auto& v : container.as_list()) {
        if (equals(v, item)) return true;
      }
      return false;
    case Value::Kind::Dict:
      return container.as_dict().find(item) != nullptr;
    default:
      interp.fail("argument of type '" + container.type_name() + "' is not iterable");
  }
}

Value Interpreter::eval_compare(const Expr& expr, const std::shared_ptr<Frame>& frame) {
  Value left = eval(*expr.args[0], frame);
  for (size_t i = 0; i < expr.ops.size(); ++i) {
    Value right = eval(*expr.args[i + 1], frame);
    line_ = expr.line;
    const std::string& op = expr.ops[i];
    bool result;
    if (op == "==") {
      result = equals(left, right);
    } else if (op == "!=") {
      result = !equals(left, right);
    } else if (op == "in" || op == "notin") {
      result = contains(*this, right, left) == (op == "in");
    } else {
      require_defined(left);
      require_defined(right);
      bool swap = op == ">" || op == "<=";
      auto less = swap ? less_than(right, left) : less_than(left, right);
      if (!less) {
        fail("'" + op + "' not supported between instances of '" + left.type_name() + "' and '" +
             right.type_name() + "'");
      }
      result = (op == "<" || op == ">") ? *less : !*less;
    }
    if (!result) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

Value Interpreter::eval_binary(const std::string& op, const Value& left, const Value& right) {
  if (op == "~") {
    std::string text = left.str() + right.str();
    charge(text.size());
    return Value::string(std::move(text));
  }
  require_defined(left);
  require_defined(right);
  auto unsupported = [&]() -> Value {
    fail("unsupported operand type(s) for " + op + ": '" + left.type_name() + "' and '" + right.type_name() + "'");
  };
  if (left.is_number() && right.is_number()) {
    bool ints = !left.is_float() && !right.is_float();
    int64_t a = left.as_int();
    int64_t b = right.as_int();
    double x = left.as_double();
    double y = right.as_double();
    int64_t r = 0;
    if (op == "+") {
      if (!ints) return Value::floating(x + y);
      if (!checked_add(a, b, &r)) fail("integer overflow");
      return Value::integer(r);
    }
    if (op == "-") {
      if (!ints) return Value::floating(x - y);
      if (__builtin_sub_overflow(a, b, &r)) fail("integer overflow");
      return Value::integer(r);
    }
    if (op == "*") {
      if (!ints) return Value::floating(x * y);
      if (!checked_mul(a, b, &r)) fail("integer overflow");
      return Value::integer(r);
    }
    if (op == "/") {
      if (y == 0) fail("division by zero");
      return Value::floating(x / y);
    }
    if (op == "//" || op == "%") {
      if (y == 0) fail(op == "%" ? "integer modulo by zero" : "integer division or modulo by zero");
      if (ints) {
        if (a == std::numeric_limits<int64_t>::min() && b == -1) fail("integer overflow");
        int64_t q = floor_div(a, b);
        return Value::integer(op == "//" ? q : a - q * b);
      }
      return Value::floating(op == "//" ? std::floor(x / y) : python_fmod(x, y));
    }
    if (op == "**") {
      if (!ints || b < 0) return Value::floating(std::pow(x, y));
      int64_t result = 1;
      int64_t base = a;
      for (int64_t e = b; e > 0; e >>= 1) {
        if ((e & 1) && !checked_mul(result, base, &result)) fail("integer overflow");
        if (e > 1 && !checked_mul(base, base, &base)) {
          if (base != 0 && base != 1 && base != -1) fail("integer overflow");
        }
      }
      return Value::integer(result);
    }
    return unsupported();
  }
  if (op == "+") {
    if (left.is_string() && right.is_string()) {
      charge(left.as_string().size() + right.as_string().size());
      return Value::string(left.as_string() + right.as_string());
    }
    if (left.is_list() && right.is_list() && left.is_tuple() == right.is_tuple()) {
      ValueList items = left.as_list();
      charge((items.size() + right.as_list().size()) * sizeof(Value));
      items.insert(items.end(), right.as_list().begin(), right.as_list().end());
      return Value::list(std::move(items), left.is_tuple());
    }
    return unsupported();
  }
  if (op == "*") {
    const Value* seq = (left.is_string() || left.is_list()) ? &left : &right;
    const Value* count = seq == &left ? &right : &left;
    if (!(seq->is_string() || seq->is_list()) || !(count->is_int() || count->is_bool())) return unsupported();
    int64_t times = std::max<int64_t>(0, count->as_int());
    size_t unit = seq->is_string() ? seq->as_string().size() : seq->as_list().size() * sizeof(Value);
    if (unit && static_cast<uint64_t>(times) > limits_.max_output_bytes / unit + 1) {
      fail("repeated value exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
    }
    charge(unit * static_cast<size_t>(times));
    if (seq->is_string()) {
      std::string out;
      for (int64_t i = 0; i < times; ++i) out += seq->as_string();
      return Value::string(std::move(out));
    }
    ValueList items;
    for (int64_t i = 0; i < times; ++i) items.insert(items.end(), seq->as_list().begin(), seq->as_list().end());
    return Value::list(std::move(items), seq->is_tuple());
  }
  if (op == "%" && left.is_string()) fail("printf-style string formatting with % is not supported");
  return unsupported();
}

Value Interpreter::eval(const Expr& expr, const std::shared_ptr<Frame>& frame) {
  DepthGuard guard(*this);
  step();
  switch (expr.kind) {
    case ExprKind::Literal:
      return expr.literal;
    case ExprKind::Name: {
      if (const Value* found = frame->find(expr.name)) return *found;
      return Value::undefined("'" + expr.name + "' is undefined");
    }
    case ExprKind::List:
    case ExprKind::Tuple: {
      ValueList items;
      for (const auto& item : expr.args) items.push_back(eval(*item, frame));
      charge(items.size() * sizeof(Value));
      return Value::list(std::move(items), expr.kind == ExprKind::Tuple);
    }
    case ExprKind::Dict: {
      Dict dict;
      for (size_t i = 0; i + 1 < expr.args.size(); i += 2) {
        Value key = eval(*expr.args[i], frame);
        line_ = expr.line;
        if (key.is_list() || key.is_dict()) fail("unhashable type: '" + key.type_name() + "'");
        dict.set(std::move(key), eval(*expr.args[i + 1], frame));
      }
      charge(dict.items.size() * 2 * sizeof(Value));
      return Value::dict(std::move(dict));
    }
    case ExprKind::GetAttr: {
      Value object = eval(*expr.args[0], frame);
      line_ = expr.line;
      return get_attribute(object, expr.name);
    }
    case ExprKind::GetItem: {
      Value object = eval(*expr.args[0], frame);
      Value key = eval(*expr.args[1], frame);
      line_ = expr.line;
      return get_item(object, key);
    }
    case ExprKind::Slice: {
      Value object = eval(*expr.args[0], frame);
      Value parts[3];
      for (int i = 0; i < 3; ++i) {
        if (expr.args[i + 1]) parts[i] = eval(*expr.args[i + 1], frame);
      }
      line_ = expr.line;
      return eval_slice(object, parts[0], parts[1], parts[2]);
    }
    case ExprKind::Call: {
      Value callee = eval(*expr.args[0], frame);
      CallArgs args = eval_args(expr, frame, 1);
      line_ = expr.line;
      return call(callee, args);
    }
    case ExprKind::Filter: {
      Value input = eval(*expr.args[0], frame);
      CallArgs args = eval_args(expr, frame, 1);
      line_ = expr.line;
      return call_filter(*this, expr.name, input, args);
    }
    case ExprKind::Test: {
      Value input = eval(*expr.args[0], frame);
      CallArgs args = eval_args(expr, frame, 1);
      line_ = expr.line;
      return Value::boolean(call_test(*this, expr.name, input, args) != expr.negated);
    }
    case ExprKind::Negate:
    case ExprKind::Plus: {
      Value v = eval(*expr.args[0], frame);
      line_ = expr.line;
      require_defined(v);
      if (!v.is_number()) fail("bad operand type for unary " + std::string(expr.kind == ExprKind::Negate ? "-" : "+") + ": '" + v.type_name() + "'");
      if (expr.kind == ExprKind::Plus) return v.is_bool() ? Value::integer(v.as_int()) : v;
      if (v.is_float()) return Value::floating(-v.as_double());
      if (v.as_int() == std::numeric_limits<int64_t>::min()) fail("integer overflow");
      return Value::integer(-v.as_int());
    }
    case ExprKind::Not:
      return Value::boolean(!eval(*expr.args[0], frame).truthy());
    case ExprKind::Binary: {
      Value left = eval(*expr.args[0], frame);
      Value right = eval(*expr.args[1], frame);
      line_ = expr.line;
      return eval_binary(expr.name, left, right);
    }
    case ExprKind::And: {
      Value left = eval(*expr.args[0], frame);
      return left.truthy() ? eval(*expr.args[1], frame) : left;
    }
    case ExprKind::Or: {
      Value left = eval(*expr.args[0], frame);
      return left.truthy() ? left : eval(*expr.args[1], frame);
    }
    case ExprKind::Compare:
      return eval_compare(expr, frame);
    case ExprKind::Condition:
      if (eval(*expr.args[1], frame).truthy()) return eval(*expr.args[0], frame);
      return expr.args[2] ? eval(*expr.args[2], frame) : Value::undefined("the inline if-expression evaluated to false and no else section was defined");
  }
  return Value();
}

}  // namespace ember::lm::tpl
