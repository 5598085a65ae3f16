// Recursive-descent parser for chat templates, with jinja2's grammar and operator
// precedence (jinja2/parser.py): condexpr < or < and < not < compare < +,- < ~ <
// *,/,//,% < ** < unary < postfix/filters/tests. Nesting is bounded by max_depth.
#include <set>

#include "ember/lm/chat_template/ast.h"
#include "ember/lm/chat_template/chat_template.h"
#include "ember/lm/chat_template/lexer.h"

namespace ember::lm::tpl {
namespace {

class Parser {
 public:
  Parser(std::vector<Token> tokens, int max_depth)
      : tokens_(std::move(tokens)), max_depth_(max_depth) {}

  std::shared_ptr<const Program> run() {
    auto program = std::make_shared<Program>();
    program->body = parse_body({});
    if (peek().type != TokenType::End) fail_here("unexpected tag");
    return program;
  }

 private:
  // Guards recursion in both statement and expression parsing.
  struct DepthGuard {
    Parser& parser;
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > parser.max_depth_) {
        parser.fail_here("template nesting is too deep (limit " + std::to_string(parser.max_depth_) + ")");
      }
    }
    ~DepthGuard() { --parser.depth_; }
  };

  [[noreturn]] void fail(int line, const std::string& message) const { throw TemplateError(line, message); }
  [[noreturn]] void fail_here(const std::string& message) const { fail(peek().line, message); }

  const Token& peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& next() {
    const Token& token = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return token;
  }
  bool is_op(std::string_view op, size_t ahead = 0) const {
    return peek(ahead).type == TokenType::Operator && peek(ahead).text == op;
  }
  bool is_name(std::string_view name, size_t ahead = 0) const {
    return peek(ahead).type == TokenType::Name && peek(ahead).text == name;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }
  static std::string describe(const Token& token) {
    switch (token.type) {
      case TokenType::End: return "end of template";
      case TokenType::BlockEnd: return "end of statement block";
      case TokenType::VarEnd: return "end of print statement";
      case TokenType::BlockBegin: return "begin of statement block";
      case TokenType::VarBegin: return "begin of print statement";
      case TokenType::String: return "string";
      case TokenType::Integer: return "integer";
      case TokenType::Float: return "float";
      case TokenType::Text: return "template data";
      default: return "'" + token.text + "'";
    }
  }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail_here("expected '" + std::string(op) + "', got " + describe(peek()));
  }
  std::string expect_name() {
    if (peek().type != TokenType::Name) fail_here("expected a name, got " + describe(peek()));
    return next().text;
  }
  void expect_block_end() {
    if (peek().type != TokenType::BlockEnd) {
      fail_here("expected end of statement block, got " + describe(peek()));
    }
    next();
  }

  ExprPtr node(ExprKind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  // ---- statements ----

  // Parses until a block tag named in `end_tags` (left unconsumed: its name is next) or the end.
  Body parse_body(const std::set<std::string>& end_tags) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& token = peek();
      if (token.type == TokenType::End) {
        if (!end_tags.empty()) {
          std::string needed = *end_tags.begin();
          for (const auto& tag : end_tags) {
            if (tag.rfind("end", 0) == 0) needed = tag;
          }
          fail_here("unexpected end of template; an open block needs '" + needed + "'");
        }
        return body;
      }
      if (token.type == TokenType::Text) {
        auto stmt = std::make_unique<Stmt>();
        stmt->kind = StmtKind::Text;
        stmt->line = token.line;
        stmt->text = next().text;
        body.push_back(std::move(stmt));
      } else if (token.type == TokenType::VarBegin) {
        next();
        auto stmt = std::make_unique<Stmt>();
        stmt->kind = StmtKind::Output;
        stmt->line = token.line;
        stmt->expr = parse_tuple(true, {});
        if (peek().type != TokenType::VarEnd) fail_here("expected end of print statement, got " + describe(peek()));
        next();
        body.push_back(std::move(stmt));
      } else if (token.type == TokenType::BlockBegin) {
        const Token& tag = peek(1);
        if (tag.type != TokenType::Name) fail(tag.line, "tag name expected");
        if (end_tags.count(tag.text)) {
          next();
          return body;
        }
        next();
        body.push_back(parse_statement());
      } else {
        fail_here("unexpected " + describe(token));
      }
    }
  }

  // After an end tag name was reached by parse_body: consume `name %}`.
  void finish_end_tag() {
    next();
    expect_block_end();
  }

  StmtPtr parse_statement() {
    const Token& tag = next();
    int line = tag.line;
    const std::string& name = tag.text;
    auto stmt = std::make_unique<Stmt>();
    stmt->line = line;
    if (name == "if") return parse_if(std::move(stmt));
    if (name == "for") return parse_for(std::move(stmt));
    if (name == "set") return parse_set(std::move(stmt));
    if (name == "macro") return parse_macro(std::move(stmt));
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) fail(line, "'" + name + "' outside of a loop");
      stmt->kind = name == "break" ? StmtKind::Break : StmtKind::Continue;
      expect_block_end();
      return stmt;
    }
    if (name == "with" || name == "generation") {
      stmt->kind = StmtKind::Scope;
      while (name == "with" && peek().type != TokenType::BlockEnd) {
        if (!stmt->assignments.empty()) expect_op(",");
        std::string target = expect_name();
        expect_op("=");
        stmt->assignments.emplace_back(target, parse_expression(true));
      }
      expect_block_end();
      stmt->body = parse_body({"end" + name});
      finish_end_tag();
      return stmt;
    }
    if (name == "filter") {
      stmt->kind = StmtKind::FilterBlock;
      stmt->filter = parse_filters(nullptr, line);
      expect_block_end();
      stmt->body = parse_body({"endfilter"});
      finish_end_tag();
      return stmt;
    }
    static const std::set<std::string> kStray = {"elif", "else", "endif", "endfor", "endset", "endmacro",
                                                 "endwith", "endfilter", "endgeneration", "endraw"};
    if (kStray.count(name)) fail(line, "unexpected '" + name + "' tag");
    static const std::set<std::string> kUnsupported = {
        "call", "include", "import", "from", "extends", "block", "autoescape", "do", "print"};
    if (kUnsupported.count(name)) fail(line, "the '" + name + "' tag is not supported");
    fail(line, "unknown tag '" + name + "'");
  }

  StmtPtr parse_if(StmtPtr stmt) {
    stmt->kind = StmtKind::If;
    stmt->conditions.push_back(parse_tuple(false, {}));
    expect_block_end();
    while (true) {
      stmt->branches.push_back(parse_body({"elif", "else", "endif"}));
      std::string tag = next().text;
      if (tag == "elif") {
        stmt->conditions.push_back(parse_tuple(false, {}));
        expect_block_end();
      } else if (tag == "else") {
        expect_block_end();
        stmt->branches.push_back(parse_body({"endif"}));
        finish_end_tag();
        return stmt;
      } else {
        expect_block_end();
        return stmt;
      }
    }
  }

  // Names of an assignment target: `x`, `a, b` or `(a, b)`.
  std::vector<std::string> parse_targets(const std::set<std::string>& end_names) {
    std::vector<std::string> names;
    bool paren = skip_op("(");
    while (true) {
      names.push_back(expect_name());
      if (!skip_op(",")) break;
      if (paren ? is_op(")") : (peek().type == TokenType::Name && end_names.count(peek().text))) break;
      if (is_op("=")) break;
    }
    if (paren) expect_op(")");
    for (const auto& n : names) {
      if (n == "true" || n == "false" || n == "none" || n == "True" || n == "False" || n == "None") {
        fail_here("can't assign to '" + n + "'");
      }
    }
    return names;
  }

  StmtPtr parse_for(StmtPtr stmt) {
    stmt->kind = StmtKind::For;
    stmt->targets = parse_targets({"in"});
    if (!skip_name("in")) fail_here("expected 'in', got " + describe(peek()));
    stmt->expr = parse_tuple(false, {"recursive"});
    if (skip_name("if")) stmt->condition = parse_expression(true);
    if (is_name("recursive")) fail_here("recursive loops are not supported");
    expect_block_end();
    ++loop_depth_;
    stmt->body = parse_body({"endfor", "else"});
    --loop_depth_;
    if (next().text == "else") {
      expect_block_end();
      stmt->else_body = parse_body({"endfor"});
      finish_end_tag();
    } else {
      expect_block_end();
    }
    return stmt;
  }

  StmtPtr parse_set(StmtPtr stmt) {
    if (peek().type == TokenType::Name && is_op(".", 1)) {
      stmt->kind = StmtKind::SetAttr;
      stmt->object = node(ExprKind::Name, peek().line);
      stmt->object->name = next().text;
      next();
      stmt->name = expect_name();
      expect_op("=");
      stmt->expr = parse_tuple(true, {});
      expect_block_end();
      return stmt;
    }
    stmt->targets = parse_targets({});
    if (skip_op("=")) {
      stmt->kind = StmtKind::Set;
      stmt->expr = parse_tuple(true, {});
      expect_block_end();
      return stmt;
    }
    if (stmt->targets.size() != 1) fail_here("expected '='");
    stmt->kind = StmtKind::SetBlock;
    if (is_op("|")) stmt->filter = parse_filters(nullptr, stmt->line);
    expect_block_end();
    stmt->body = parse_body({"endset"});
    finish_end_tag();
    return stmt;
  }

  StmtPtr parse_macro(StmtPtr stmt) {
    stmt->kind = StmtKind::Macro;
    stmt->name = expect_name();
    expect_op("(");
    while (!is_op(")")) {
      if (!stmt->params.empty()) expect_op(",");
      if (is_op(")")) break;
      stmt->params.push_back(expect_name());
      if (skip_op("=")) {
        stmt->defaults.push_back(parse_expression(true));
      } else {
        if (!stmt->defaults.empty() && stmt->defaults.back()) {
          fail_here("non-default argument follows default argument");
        }
        stmt->defaults.push_back(nullptr);
      }
    }
    next();
    expect_block_end();
    int saved_loops = loop_depth_;
    loop_depth_ = 0;
    stmt->body = parse_body({"endmacro"});
    loop_depth_ = saved_loops;
    next();
    if (peek().type == TokenType::Name) next();  // {% endmacro name %}
    expect_block_end();
    return stmt;
  }

  // ---- expressions ----

  bool at_tuple_end(const std::set<std::string>& extra_end) const {
    const Token& t = peek();
    if (t.type == TokenType::VarEnd || t.type == TokenType::BlockEnd || t.type == TokenType::End) return true;
    if (t.type == TokenType::Operator && t.text == ")") return true;
    return t.type == TokenType::Name && extra_end.count(t.text);
  }

  ExprPtr parse_tuple(bool with_condition, const std::set<std::string>& extra_end,
                      bool explicit_parens = false) {
    int line = peek().line;
    std::vector<ExprPtr> items;
    bool saw_comma = false;
    while (true) {
      if (!items.empty()) {
        if (!skip_op(",")) break;
        saw_comma = true;
      }
      if (at_tuple_end(extra_end)) break;
      items.push_back(parse_expression(with_condition));
    }
    if (!saw_comma) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) fail_here("expected an expression, got " + describe(peek()));
    }
    auto tuple = node(ExprKind::Tuple, line);
    tuple->args = std::move(items);
    return tuple;
  }

  ExprPtr parse_expression(bool with_condition) {
    DepthGuard guard(*this);
    ExprPtr expr = parse_or();
    if (!with_condition) return expr;
    while (is_name("if")) {
      int line = next().line;
      auto cond = node(ExprKind::Condition, line);
      cond->args.push_back(std::move(expr));
      cond->args.push_back(parse_or());
      cond->args.push_back(skip_name("else") ? parse_expression(true) : nullptr);
      expr = std::move(cond);
    }
    return expr;
  }

  ExprPtr binary(ExprKind kind, std::string op, ExprPtr left, ExprPtr right, int line) {
    auto e = node(kind, line);
    e->name = std::move(op);
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      int line = next().line;
      left = binary(ExprKind::Or, "or", std::move(left), parse_and(), line);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      int line = next().line;
      left = binary(ExprKind::And, "and", std::move(left), parse_not(), line);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = node(ExprKind::Not, next().line);
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    int line = peek().line;
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      const Token& t = peek();
      if (t.type == TokenType::Operator &&
          (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "notin";
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(ExprKind::Compare, line);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& op = next();
      left = binary(ExprKind::Binary, op.text, std::move(left), parse_concat(), op.line);
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      int line = next().line;
      left = binary(ExprKind::Binary, "~", std::move(left), parse_math2(), line);
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& op = next();
      left = binary(ExprKind::Binary, op.text, std::move(left), parse_pow(), op.line);
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      int line = next().line;
      left = binary(ExprKind::Binary, "**", std::move(left), parse_unary(true), line);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr expr;
    if (is_op("-") || is_op("+")) {
      const Token& op = next();
      expr = node(op.text == "-" ? ExprKind::Negate : ExprKind::Plus, op.line);
      expr->args.push_back(parse_unary(false));
    } else {
      expr = parse_postfix(parse_primary());
    }
    return with_filter ? parse_filter_expr(std::move(expr)) : std::move(expr);
  }

  ExprPtr parse_primary() {
    const Token& t = peek();
    int line = t.line;
    if (t.type == TokenType::Name) {
      next();
      auto e = node(ExprKind::Literal, line);
      if (t.text == "true" || t.text == "True") {
        e->literal = Value::boolean(true);
      } else if (t.text == "false" || t.text == "False") {
        e->literal = Value::boolean(false);
      } else if (t.text == "none" || t.text == "None") {
        e->literal = Value::none();
      } else {
        e->kind = ExprKind::Name;
        e->name = t.text;
      }
      return e;
    }
    if (t.type == TokenType::String) {
      std::string value;
      while (peek().type == TokenType::String) value += next().text;
      auto e = node(ExprKind::Literal, line);
      e->literal = Value::string(std::move(value));
      return e;
    }
    if (t.type == TokenType::Integer || t.type == TokenType::Float) {
      next();
      auto e = node(ExprKind::Literal, line);
      e->literal = t.type == TokenType::Integer ? Value::integer(t.integer) : Value::floating(t.floating);
      return e;
    }
    if (is_op("(")) {
      next();
      ExprPtr e = parse_tuple(true, {}, true);
      expect_op(")");
      return e;
    }
    if (is_op("[")) {
      next();
      auto e = node(ExprKind::List, line);
      while (!is_op("]")) {
        if (!e->args.empty()) expect_op(",");
        if (is_op("]")) break;
        e->args.push_back(parse_expression(true));
      }
      next();
      return e;
    }
    if (is_op("{")) {
      next();
      auto e = node(ExprKind::Dict, line);
      while (!is_op("}")) {
        if (!e->args.empty()) expect_op(",");
        if (is_op("}")) break;
        e->args.push_back(parse_expression(true));
        expect_op(":");
        e->args.push_back(parse_expression(true));
      }
      next();
      return e;
    }
    fail_here("unexpected " + describe(t));
  }

  ExprPtr parse_postfix(ExprPtr expr) {
    while (true) {
      int line = peek().line;
      if (is_op(".")) {
        next();
        if (peek().type == TokenType::Integer) {
          auto index = node(ExprKind::Literal, line);
          index->literal = Value::integer(next().integer);
          auto e = node(ExprKind::GetItem, line);
          e->args.push_back(std::move(expr));
          e->args.push_back(std::move(index));
          expr = std::move(e);
        } else {
          auto e = node(ExprKind::GetAttr, line);
          e->name = expect_name();
          e->args.push_back(std::move(expr));
          expr = std::move(e);
        }
      } else if (is_op("[")) {
        next();
        expr = parse_subscript(std::move(expr), line);
      } else if (is_op("(")) {
        auto call = node(ExprKind::Call, line);
        call->args.push_back(std::move(expr));
        parse_call_args(*call);
        expr = std::move(call);
      } else {
        return expr;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr object, int line) {
    std::vector<ExprPtr> parts;  // each an index expression or a Slice with null object
    while (!is_op("]")) {
      if (!parts.empty()) {
        expect_op(",");
        if (is_op("]")) break;
      }
      parts.push_back(parse_subscribed());
    }
    next();
    if (parts.empty()) fail(line, "expected an index");
    auto e = node(ExprKind::GetItem, line);
    e->args.push_back(std::move(object));
    if (parts.size() == 1 && parts[0]->kind == ExprKind::Slice && !parts[0]->args[0]) {
      parts[0]->args[0] = std::move(e->args[0]);
      return std::move(parts[0]);
    }
    if (parts.size() == 1) {
      e->args.push_back(std::move(parts[0]));
    } else {
      // x[a:b, c] (a slice inside a tuple key) has no meaning for Jinja's values.
      for (const auto& part : parts) {
        if (part->kind == ExprKind::Slice && !part->args[0]) {
          fail(line, "a slice cannot be part of a tuple subscript");
        }
      }
      auto tuple = node(ExprKind::Tuple, line);
      tuple->args = std::move(parts);
      e->args.push_back(std::move(tuple));
    }
    return e;
  }

  ExprPtr parse_subscribed() {
    int line = peek().line;
    ExprPtr start;
    if (!is_op(":")) {
      start = parse_expression(true);
      if (!is_op(":")) return start;
    }
    next();
    auto slice = node(ExprKind::Slice, line);
    slice->args.push_back(nullptr);
    slice->args.push_back(std::move(start));
    ExprPtr stop;
    ExprPtr step;
    if (!is_op("]") && !is_op(",") && !is_op(":")) stop = parse_expression(true);
    if (skip_op(":") && !is_op("]") && !is_op(",")) step = parse_expression(true);
    slice->args.push_back(std::move(stop));
    slice->args.push_back(std::move(step));
    return slice;
  }

  void parse_call_args(Expr& call) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) {
        expect_op(",");
        if (is_op(")")) break;
      }
      first = false;
      if (is_op("*") || is_op("**")) fail_here("*args and **kwargs in calls are not supported");
      if (peek().type == TokenType::Name && is_op("=", 1)) {
        std::string key = next().text;
        next();
        call.kwargs.emplace_back(key, parse_expression(true));
      } else {
        if (!call.kwargs.empty()) fail_here("invalid syntax for function call expression");
        call.args.push_back(parse_expression(true));
      }
    }
    next();
  }

  ExprPtr parse_filter_expr(ExprPtr expr) {
    while (true) {
      if (is_op("|")) {
        expr = parse_filters(std::move(expr), peek().line, true);
      } else if (is_name("is")) {
        expr = parse_test(std::move(expr));
      } else if (is_op("(")) {
        auto call = node(ExprKind::Call, peek().line);
        call->args.push_back(std::move(expr));
        parse_call_args(*call);
        expr = std::move(call);
      } else {
        return expr;
      }
    }
  }

  std::string dotted_name() {
    std::string name = expect_name();
    while (is_op(".") && peek(1).type == TokenType::Name) {
      next();
      name += "." + next().text;
    }
    return name;
  }

  // One `| name(args)`, or with `single` false the whole `| a | b` chain of a filter block.
  ExprPtr parse_filters(ExprPtr expr, int line, bool single = false) {
    bool first = true;
    do {
      // A filter block names its first filter without a bar: {% filter upper %}.
      if (!(first && !single && peek().type == TokenType::Name)) expect_op("|");
      first = false;
      int filter_line = peek().line;
      std::string name = dotted_name();
      if (!has_filter(name)) fail(filter_line, "no filter named '" + name + "'");
      auto e = node(ExprKind::Filter, filter_line);
      e->name = name;
      e->args.push_back(std::move(expr));
      if (is_op("(")) parse_call_args(*e);
      expr = std::move(e);
    } while (!single && is_op("|"));
    (void)line;
    return expr;
  }

  ExprPtr parse_test(ExprPtr expr) {
    int line = next().line;  // 'is'
    auto e = node(ExprKind::Test, line);
    e->negated = skip_name("not");
    e->name = dotted_name();
    if (!has_test(e->name)) fail(line, "no test named '" + e->name + "'");
    e->args.push_back(std::move(expr));
    const Token& t = peek();
    if (is_op("(")) {
      parse_call_args(*e);
    } else if ((t.type == TokenType::Name || t.type == TokenType::String || t.type == TokenType::Integer ||
                t.type == TokenType::Float || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) fail_here("you cannot chain multiple tests with is");
      e->args.push_back(parse_postfix(parse_primary()));
    }
    return e;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int max_depth_;
  int loop_depth_ = 0;
};

}  // namespace

std::shared_ptr<const Program> parse_program(std::string_view source, int max_depth) {
  return Parser(tokenize(source), max_depth).run();
}

}  // namespace ember::lm::tpl
