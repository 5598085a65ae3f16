// Syntax tree of a parsed chat template. Nodes are plain structs with a kind; children
// that are absent (a slice bound, an else branch) are null. Internal.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/lm/chat_template/value.h"

namespace ember::lm::tpl {

enum class ExprKind {
  Literal,    // literal
  Name,       // name
  List,       // args = items
  Tuple,      // args = items
  Dict,       // args = key0, value0, key1, value1, ...
  GetAttr,    // args[0].name
  GetItem,    // args[0][args[1]]
  Slice,      // args[0][args[1]:args[2]:args[3]]
  Call,       // args[0](args[1:], kwargs)
  Filter,     // args[0] | name(args[1:], kwargs); args[0] null in filter blocks
  Test,       // args[0] is [not] name(args[1:])
  Negate,     // -args[0]
  Plus,       // +args[0]
  Not,        // not args[0]
  Binary,     // args[0] <name> args[1]: + - * / // % ** ~
  And,
  Or,
  Compare,    // args[0] ops[0] args[1] ops[1] args[2] ...: == != < <= > >= in notin
  Condition,  // args[0] if args[1] else args[2]
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  int line = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
};

enum class StmtKind {
  Text,      // text
  Output,    // {{ expr }}
  If,        // conditions[i] -> branches[i]; an extra branch is the else
  For,       // for targets in expr [if condition]: body [else else_body]
  Set,       // set targets = expr (several targets unpack)
  SetAttr,   // set object.name = expr (object is a namespace)
  SetBlock,  // set targets[0] [| filter] %} body {% endset
  Macro,     // macro name(params = defaults) body
  Break,
  Continue,
  Scope,     // with (assignments) / generation: body in a nested scope
  FilterBlock,
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  StmtKind kind;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr object;  // SetAttr
  ExprPtr condition;
  ExprPtr filter;  // SetBlock / FilterBlock: a Filter chain whose innermost args[0] is null
  std::string name;
  std::vector<std::string> targets;
  std::vector<ExprPtr> conditions;
  std::vector<Body> branches;
  Body body;
  Body else_body;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // one per param, null when it has none
  std::vector<std::pair<std::string, ExprPtr>> assignments;  // Scope (with)
};

struct Program {
  Body body;
};

/// Parses a token stream into a Program; throws TemplateError.
std::shared_ptr<const Program> parse_program(std::string_view source, int max_depth);

/// Whether a filter / test of that name exists (checked at parse time, as jinja2 does).
bool has_filter(const std::string& name);
bool has_test(const std::string& name);

}  // namespace ember::lm::tpl
