// Tree-walking interpreter for parsed chat templates, with jinja2's scoping (a fresh
// scope per loop iteration, macro call and `with`; `if` shares its scope) and the
// bounds of TemplateLimits. Internal to ember/lm/chat_template.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "ember/lm/chat_template/ast.h"
#include "ember/lm/chat_template/chat_template.h"
#include "ember/lm/chat_template/value.h"

namespace ember::lm::tpl {

struct Frame {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Frame> parent;
  const Value* find(const std::string& name) const;
};

/// jinja2's Namespace: the one mutable object, set through `{% set ns.attr = ... %}`.
class Namespace : public Object {
 public:
  Dict attrs;
  std::optional<Value> attribute(const std::string& name) const override;
  std::string repr() const override;
  bool set_attribute(const std::string& name, Value value) override;
  void clear() { attrs.items.clear(); }
};

class Interpreter {
 public:
  explicit Interpreter(const TemplateLimits& limits) : limits_(limits) {}

  std::string render(const Program& program, const Dict& context);

  /// Throws TemplateError at the line being evaluated.
  [[noreturn]] void fail(const std::string& message) const;
  /// Charges `bytes` of newly built string or list against the limits.
  void charge(size_t bytes);
  /// Calls a function value (macro, global, bound method).
  Value call(const Value& callee, CallArgs& args);
  /// jinja2's environment.getattr / getitem.
  Value get_attribute(const Value& object, const std::string& name);
  Value get_item(const Value& object, const Value& key);
  /// Errors on Undefined the way jinja2's Undefined does on use.
  void require_defined(const Value& value) const;
  int line() const { return line_; }
  /// A namespace that lives until the render ends (see Note [Template bounds]).
  std::shared_ptr<Namespace> make_namespace();
  const TemplateLimits& limits() const { return limits_; }

 private:
  enum class Flow { Normal, Break, Continue };

  Flow exec_body(const Body& body, const std::shared_ptr<Frame>& frame, std::string& out);
  Flow exec(const Stmt& stmt, const std::shared_ptr<Frame>& frame, std::string& out);
  void exec_for(const Stmt& stmt, const std::shared_ptr<Frame>& frame, std::string& out);
  void exec_set(const Stmt& stmt, const std::shared_ptr<Frame>& frame, Value value);
  Value make_macro(const Stmt& stmt, const std::shared_ptr<Frame>& frame);
  Value apply_filter_chain(const Expr& filter, const std::shared_ptr<Frame>& frame, Value input);

  Value eval(const Expr& expr, const std::shared_ptr<Frame>& frame);
  Value eval_binary(const std::string& op, const Value& left, const Value& right);
  Value eval_compare(const Expr& expr, const std::shared_ptr<Frame>& frame);
  Value eval_slice(const Value& object, const Value& start, const Value& stop, const Value& step);
  CallArgs eval_args(const Expr& expr, const std::shared_ptr<Frame>& frame, size_t first);
  void append(std::string& out, std::string_view text);
  void step();

  struct DepthGuard;

  TemplateLimits limits_;
  int line_ = 0;
  int depth_ = 0;
  uint64_t steps_ = 0;
  size_t work_bytes_ = 0;
  std::vector<std::shared_ptr<Namespace>> namespaces_;
  std::vector<std::shared_ptr<Frame>> pinned_frames_;
};

/// Python iteration: list items, dict keys, string characters; Undefined is empty.
ValueList iterate(Interpreter& interp, const Value& value);
/// Python's `item in container`.
bool contains(Interpreter& interp, const Value& container, const Value& item);

/// Values and tests callable from templates (builtins.cpp).
Value call_filter(Interpreter& interp, const std::string& name, const Value& input, CallArgs& args);
bool call_test(Interpreter& interp, const std::string& name, const Value& input, CallArgs& args);
bool has_test_named(const std::string& name);
/// A bound method of a str, dict or list, or nullopt when `name` is none of its methods.
std::optional<Value> method(const Value& object, const std::string& name);
/// The globals every render sees: range, dict, namespace, raise_exception, strftime_now.
Dict globals();

/// Argument binding for builtins: positional first, then by keyword.
class ArgReader {
 public:
  ArgReader(Interpreter& interp, CallArgs& args, std::string function)
      : interp_(interp), args_(args), function_(std::move(function)) {}
  /// Argument `index` / `name`, or `fallback` when absent.
  Value get(size_t index, const char* name, Value fallback = Value());
  bool has(size_t index, const char* name) const;
  /// Fails on arguments that no get() asked for.
  void finish();

 private:
  Interpreter& interp_;
  CallArgs& args_;
  std::string function_;
  size_t max_positional_ = 0;
  std::vector<std::string> names_;
};

}  // namespace ember::lm::tpl
