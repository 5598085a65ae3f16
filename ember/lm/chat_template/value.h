// Values of the chat-template interpreter: Python's object model as jinja2 sees it
// (None, bool, int, float, str, list/tuple, dict with insertion order, jinja2's
// Undefined, namespaces, loop objects and callables), with Python's str(), repr(),
// truthiness, equality and ordering, and json.dumps as transformers' tojson calls it.
// Internal to ember/lm/chat_template; the public API is chat_template.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace ember::lm::tpl {

class Value;
class Interpreter;
using ValueList = std::vector<Value>;

/// Python dict: insertion-ordered pairs (keys are usually strings).
struct Dict {
  std::vector<std::pair<Value, Value>> items;
  const Value* find(const Value& key) const;
  void set(Value key, Value value);
};

/// Objects with attributes that templates read (namespace(), loop).
class Object {
 public:
  virtual ~Object() = default;
  /// The attribute, or nullopt when there is none.
  virtual std::optional<Value> attribute(const std::string& name) const = 0;
  virtual std::string repr() const = 0;
  /// Only namespaces accept `{% set obj.attr = ... %}`.
  virtual bool set_attribute(const std::string& name, Value value);
};

/// Positional and keyword arguments of a call.
struct CallArgs {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keywords;
  int line = 0;
};

/// Macros, globals (range, namespace, raise_exception, ...) and bound methods.
struct Function {
  std::string name;
  std::function<Value(Interpreter&, CallArgs&)> call;
};

class Value {
 public:
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Object, Function };

  Value() = default;  // Undefined
  static Value undefined(std::string hint = {});
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value floating(double d);
  static Value string(std::string s);
  static Value list(ValueList items, bool is_tuple = false);
  static Value dict(Dict d);
  static Value object(std::shared_ptr<Object> o);
  static Value function(std::string name, std::function<Value(Interpreter&, CallArgs&)> call);
  /// Throws std::length_error past kMaxNesting levels of arrays and objects.
  static Value from_json(const nlohmann::ordered_json& j, int depth = 0);
  /// Lists and dicts nest at most this deep (keeps recursion in repr/equals/destructors bounded).
  static constexpr int kMaxNesting = 512;

  Kind kind() const { return kind_; }
  /// Depth of list/dict nesting (0 for scalars).
  int nesting() const { return nesting_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  /// int, float or bool (bool is an int in Python).
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const { return kind_ == Kind::List && is_tuple_; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_object() const { return kind_ == Kind::Object; }
  bool is_function() const { return kind_ == Kind::Function; }

  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }  // valid for Int and Bool
  double as_double() const { return kind_ == Kind::Float ? float_ : static_cast<double>(int_); }
  const std::string& as_string() const { return string_; }
  const ValueList& as_list() const { return *list_; }
  const Dict& as_dict() const { return *dict_; }
  const std::shared_ptr<Object>& as_object() const { return object_; }
  const Function& as_function() const { return *function_; }
  /// For Undefined: what was missing, as jinja2 words it ("'x' is undefined").
  const std::string& undefined_hint() const { return string_; }

  /// Python truthiness.
  bool truthy() const;
  /// Python str() (what `{{ value }}` prints; Undefined prints nothing).
  std::string str() const;
  /// Python repr().
  std::string repr() const;
  /// Python's type name, for messages ("dict object", "str object").
  std::string type_name() const;

 private:
  Kind kind_ = Kind::Undefined;
  bool is_tuple_ = false;
  int nesting_ = 0;
  int64_t int_ = 0;
  double float_ = 0;
  std::string string_;
  std::shared_ptr<const ValueList> list_;
  std::shared_ptr<const Dict> dict_;
  std::shared_ptr<Object> object_;
  std::shared_ptr<const Function> function_;
};

/// Python ==.
bool equals(const Value& a, const Value& b);
/// Python <, or nullopt when the types do not order (a TypeError in Python).
std::optional<bool> less_than(const Value& a, const Value& b);

/// Python's float repr: shortest round trip, '1.0', '1e+16', '1e-05', 'nan', 'inf'.
std::string format_python_float(double d);
/// Python's repr of a str.
std::string python_string_repr(std::string_view s);

/// json.dumps(value, ensure_ascii, indent, separators, sort_keys) as transformers' tojson
/// filter calls it. `indent` < 0 means None; `indent_string` overrides it when set.
struct JsonOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;  // None, or the string repeated per level
  std::optional<std::pair<std::string, std::string>> separators;
  bool sort_keys = false;
};
/// Throws std::invalid_argument with Python's message for values JSON cannot hold.
std::string to_json(const Value& value, const JsonOptions& options);

// UTF-8 helpers: strings are UTF-8; Python indexes them by code point.
/// Decodes the code point at `pos`, advancing it; invalid bytes decode as U+FFFD, one byte each.
char32_t utf8_next(std::string_view s, size_t& pos);
void utf8_append(std::string& out, char32_t cp);
/// Byte offsets of each code point start, plus s.size() at the end.
std::vector<size_t> utf8_offsets(std::string_view s);
size_t utf8_length(std::string_view s);
/// Python's str.isspace() for one code point.
bool is_python_space(char32_t cp);
/// Index of the first invalid byte, or npos when `s` is valid UTF-8.
size_t utf8_invalid_at(std::string_view s);

}  // namespace ember::lm::tpl
