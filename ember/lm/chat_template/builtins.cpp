// Filters, tests and globals of chat templates: jinja2's builtins (jinja2/filters.py,
// jinja2/tests.py) that templates use, transformers' tojson, raise_exception and
// strftime_now, and the sandbox's range limit. Unknown names fail at parse time.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>

#include <utf8proc.h>

#include "ember/lm/chat_template/interpreter.h"
#include "ember/lm/chat_template/strings.h"

namespace ember::lm::tpl {

Value ArgReader::get(size_t index, const char* name, Value fallback) {
  names_.emplace_back(name);
  max_positional_ = std::max(max_positional_, index + 1);
  if (index < args_.positional.size()) {
    for (const auto& [key, value] : args_.keywords) {
      if (key == name) interp_.fail(function_ + "() got multiple values for argument '" + name + "'");
    }
    return args_.positional[index];
  }
  for (const auto& [key, value] : args_.keywords) {
    if (key == name) return value;
  }
  return fallback;
}

bool ArgReader::has(size_t index, const char* name) const {
  if (index < args_.positional.size()) return true;
  for (const auto& kw : args_.keywords) {
    if (kw.first == name) return true;
  }
  return false;
}

void ArgReader::finish() {
  if (args_.positional.size() > max_positional_) {
    interp_.fail(function_ + "() takes at most " + std::to_string(max_positional_) + " argument(s) (" +
                 std::to_string(args_.positional.size()) + " given)");
  }
  for (const auto& kw : args_.keywords) {
    if (std::find(names_.begin(), names_.end(), kw.first) == names_.end()) {
      interp_.fail(function_ + "() got an unexpected keyword argument '" + kw.first + "'");
    }
  }
}

namespace {

using FilterFn = Value (*)(Interpreter&, const Value&, CallArgs&);
using TestFn = bool (*)(Interpreter&, const Value&, CallArgs&);

int64_t length_of(Interpreter& interp, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return 0;
    case Value::Kind::String: return static_cast<int64_t>(utf8_length(v.as_string()));
    case Value::Kind::List: return static_cast<int64_t>(v.as_list().size());
    case Value::Kind::Dict: return static_cast<int64_t>(v.as_dict().items.size());
    default: interp.fail("object of type '" + v.type_name() + "' has no len()");
  }
}

Value string_value(Interpreter& interp, std::string s) {
  interp.charge(s.size());
  return Value::string(std::move(s));
}

// jinja2's make_attrgetter: "a.b.0" looks up each part with getitem.
Value lookup_path(Interpreter& interp, const Value& item, const std::string& path) {
  Value current = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    current = numeric && part.size() < 18 ? interp.get_item(current, Value::integer(std::stoll(part)))
                                          : interp.get_item(current, Value::string(part));
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

Value key_for_sort(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(lower(v.as_string()));
  return v;
}

void sort_values(Interpreter& interp, std::vector<std::pair<Value, Value>>& keyed, bool reverse) {
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    auto less = reverse ? less_than(b.first, a.first) : less_than(a.first, b.first);
    if (!less) {
      interp.fail("'<' not supported between instances of '" + a.first.type_name() + "' and '" +
                  b.first.type_name() + "'");
    }
    return *less;
  });
}

Value f_length(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "length").finish();
  return Value::integer(length_of(interp, v));
}

Value f_default(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "default");
  Value fallback = reader.get(0, "default_value", Value::string(""));
  bool boolean = reader.get(1, "boolean", Value::boolean(false)).truthy();
  reader.finish();
  if (v.is_undefined() || (boolean && !v.truthy())) return fallback;
  return v;
}

Value f_tojson(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "tojson");
  JsonOptions options;
  options.ensure_ascii = reader.get(0, "ensure_ascii", Value::boolean(false)).truthy();
  Value indent = reader.get(1, "indent", Value::none());
  Value separators = reader.get(2, "separators", Value::none());
  options.sort_keys = reader.get(3, "sort_keys", Value::boolean(false)).truthy();
  reader.finish();
  if (indent.is_int() || indent.is_bool()) {
    options.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(indent.as_int(), 0, 64)), ' ');
  } else if (indent.is_string()) {
    options.indent = indent.as_string();
  } else if (!indent.is_none()) {
    interp.fail("tojson: indent must be an int, a string or None");
  }
  if (separators.is_list()) {
    const auto& parts = separators.as_list();
    if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_string()) {
      interp.fail("tojson: separators must be a pair of strings");
    }
    options.separators = std::make_pair(parts[0].as_string(), parts[1].as_string());
  } else if (!separators.is_none()) {
    interp.fail("tojson: separators must be a pair of strings");
  }
  try {
    return string_value(interp, to_json(v, options));
  } catch (const std::invalid_argument& e) {
    interp.fail(e.what());
  }
}

Value f_items(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "items").finish();
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) interp.fail("Can only get item pairs from a mapping.");
  ValueList pairs;
  for (const auto& [key, value] : v.as_dict().items) pairs.push_back(Value::list({key, value}, true));
  return Value::list(std::move(pairs));
}

Value f_trim(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "trim");
  Value chars = reader.get(0, "chars", Value::none());
  reader.finish();
  return Value::string(strip(v.str(), chars, true, true));
}

Value f_join(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "join");
  Value separator = reader.get(0, "d", Value::string(""));
  Value attribute = reader.get(1, "attribute", Value::none());
  reader.finish();
  std::string out;
  bool first = true;
  for (const auto& item : iterate(interp, v)) {
    if (!first) out += separator.str();
    first = false;
    out += attribute.is_none() ? item.str() : lookup_path(interp, item, attribute.str()).str();
    if (out.size() > interp.limits().max_output_bytes) interp.charge(out.size());
  }
  return string_value(interp, std::move(out));
}

Value f_first(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "first").finish();
  ValueList items = iterate(interp, v);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value f_last(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "last").finish();
  ValueList items = iterate(interp, v);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value f_list(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "list").finish();
  return Value::list(iterate(interp, v));
}

Value f_string(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "string").finish();
  return string_value(interp, v.str());
}

Value f_upper(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "upper").finish();
  return Value::string(upper(v.str()));
}

Value f_lower(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "lower").finish();
  return Value::string(lower(v.str()));
}

Value f_capitalize(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "capitalize").finish();
  return Value::string(capitalize(v.str()));
}

Value f_title(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "title").finish();
  // jinja2 capitalises each chunk after a run of '-', whitespace, '(', '{', '[' or '<'.
  std::string s = v.str();
  std::string out;
  size_t pos = 0;
  bool word_start = true;
  while (pos < s.size()) {
    char32_t cp = utf8_next(s, pos);
    bool separator = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || is_python_space(cp);
    if (separator) {
      utf8_append(out, cp);
      word_start = true;
    } else {
      utf8_append(out, word_start ? to_upper(cp) : to_lower(cp));
      word_start = false;
    }
  }
  return Value::string(std::move(out));
}

Value f_replace(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "replace");
  Value old_text = reader.get(0, "old");
  Value new_text = reader.get(1, "new");
  Value count = reader.get(2, "count", Value::none());
  reader.finish();
  if (old_text.is_undefined() || new_text.is_undefined()) interp.fail("replace() needs 'old' and 'new'");
  int64_t limit = count.is_none() ? -1 : count.as_int();
  return string_value(interp, replace(v.str(), old_text.str(), new_text.str(), limit,
                                      interp.limits().max_output_bytes));
}

Value f_int(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "int");
  Value fallback = reader.get(0, "default", Value::integer(0));
  Value base = reader.get(1, "base", Value::integer(10));
  reader.finish();
  if (v.is_int() || v.is_bool()) return Value::integer(v.as_int());
  if (v.is_float()) {
    double d = std::trunc(v.as_double());
    if (!(std::fabs(d) < 9.2e18)) return fallback;
    return Value::integer(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    if (auto parsed = parse_python_int(v.as_string(), static_cast<int>(base.as_int()))) return Value::integer(*parsed);
    if (auto parsed = parse_python_float(v.as_string()); parsed && std::fabs(*parsed) < 9.2e18) {
      return Value::integer(static_cast<int64_t>(std::trunc(*parsed)));
    }
  }
  return fallback;
}

Value f_float(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "float");
  Value fallback = reader.get(0, "default", Value::floating(0.0));
  reader.finish();
  if (v.is_number()) return Value::floating(v.as_double());
  if (v.is_string()) {
    if (auto parsed = parse_python_float(v.as_string())) return Value::floating(*parsed);
  }
  return fallback;
}

Value f_abs(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "abs").finish();
  if (v.is_float()) return Value::floating(std::fabs(v.as_double()));
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == INT64_MIN) interp.fail("integer overflow");
    return Value::integer(std::llabs(v.as_int()));
  }
  interp.fail("bad operand type for abs(): '" + v.type_name() + "'");
}

Value f_round(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "round");
  int64_t precision = reader.get(0, "precision", Value::integer(0)).as_int();
  std::string method = reader.get(1, "method", Value::string("common")).str();
  reader.finish();
  if (!v.is_number()) interp.fail("round() needs a number");
  double x = v.as_double();
  double scale = std::pow(10.0, static_cast<double>(std::clamp<int64_t>(precision, -300, 300)));
  if (method == "ceil") return Value::floating(std::ceil(x * scale) / scale);
  if (method == "floor") return Value::floating(std::floor(x * scale) / scale);
  if (method != "common") interp.fail("method must be 'common', 'ceil' or 'floor'");
  if (v.is_int() || v.is_bool()) return Value::integer(v.as_int());
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::clamp<int64_t>(precision, 0, 100)), x);
  return Value::floating(std::strtod(buf, nullptr));
}

Value f_reverse(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "reverse").finish();
  ValueList items = iterate(interp, v);
  std::reverse(items.begin(), items.end());
  if (v.is_string()) {
    std::string out;
    for (const auto& item : items) out += item.as_string();
    return Value::string(std::move(out));
  }
  return Value::list(std::move(items));
}

Value f_sort(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "sort");
  bool reverse = reader.get(0, "reverse", Value::boolean(false)).truthy();
  bool case_sensitive = reader.get(1, "case_sensitive", Value::boolean(false)).truthy();
  Value attribute = reader.get(2, "attribute", Value::none());
  reader.finish();
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& item : iterate(interp, v)) {
    Value key = attribute.is_none() ? item : lookup_path(interp, item, attribute.str());
    keyed.emplace_back(key_for_sort(key, case_sensitive), std::move(item));
  }
  sort_values(interp, keyed, reverse);
  ValueList out;
  for (auto& pair : keyed) out.push_back(std::move(pair.second));
  return Value::list(std::move(out));
}

Value f_dictsort(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "dictsort");
  bool case_sensitive = reader.get(0, "case_sensitive", Value::boolean(false)).truthy();
  std::string by = reader.get(1, "by", Value::string("key")).str();
  bool reverse = reader.get(2, "reverse", Value::boolean(false)).truthy();
  reader.finish();
  if (!v.is_dict()) interp.fail("dictsort: expected a mapping");
  if (by != "key" && by != "value") interp.fail("You can only sort by either \"key\" or \"value\"");
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [key, value] : v.as_dict().items) {
    keyed.emplace_back(key_for_sort(by == "key" ? key : value, case_sensitive), Value::list({key, value}, true));
  }
  sort_values(interp, keyed, reverse);
  ValueList out;
  for (auto& pair : keyed) out.push_back(std::move(pair.second));
  return Value::list(std::move(out));
}

Value f_unique(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "unique");
  bool case_sensitive = reader.get(0, "case_sensitive", Value::boolean(false)).truthy();
  Value attribute = reader.get(1, "attribute", Value::none());
  reader.finish();
  ValueList seen;
  ValueList out;
  for (auto& item : iterate(interp, v)) {
    Value key = key_for_sort(attribute.is_none() ? item : lookup_path(interp, item, attribute.str()), case_sensitive);
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) {
      seen.push_back(key);
      out.push_back(std::move(item));
    }
  }
  return Value::list(std::move(out));
}

Value min_max(Interpreter& interp, const Value& v, CallArgs& args, bool want_max) {
  ArgReader reader(interp, args, want_max ? "max" : "min");
  bool case_sensitive = reader.get(0, "case_sensitive", Value::boolean(false)).truthy();
  Value attribute = reader.get(1, "attribute", Value::none());
  reader.finish();
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& item : iterate(interp, v)) {
    Value key = attribute.is_none() ? item : lookup_path(interp, item, attribute.str());
    keyed.emplace_back(key_for_sort(key, case_sensitive), std::move(item));
  }
  if (keyed.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  sort_values(interp, keyed, false);
  return want_max ? keyed.back().second : keyed.front().second;
}

Value f_max(Interpreter& interp, const Value& v, CallArgs& args) { return min_max(interp, v, args, true); }
Value f_min(Interpreter& interp, const Value& v, CallArgs& args) { return min_max(interp, v, args, false); }

Value f_sum(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "sum");
  Value attribute = reader.get(0, "attribute", Value::none());
  Value total = reader.get(1, "start", Value::integer(0));
  reader.finish();
  for (const auto& item : iterate(interp, v)) {
    Value term = attribute.is_none() ? item : lookup_path(interp, item, attribute.str());
    if (!term.is_number() || !total.is_number()) interp.fail("sum: unsupported operand types");
    if (term.is_float() || total.is_float()) {
      total = Value::floating(total.as_double() + term.as_double());
    } else {
      int64_t r;
      if (__builtin_add_overflow(total.as_int(), term.as_int(), &r)) interp.fail("integer overflow");
      total = Value::integer(r);
    }
  }
  return total;
}

Value f_safe(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "safe").finish();
  return Value::string(v.str());
}

Value f_escape(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "escape").finish();
  std::string out;
  for (char c : v.str()) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return string_value(interp, std::move(out));
}

Value f_indent(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "indent");
  Value width = reader.get(0, "width", Value::integer(4));
  bool first = reader.get(1, "first", Value::boolean(false)).truthy();
  bool blank = reader.get(2, "blank", Value::boolean(false)).truthy();
  reader.finish();
  std::string pad = width.is_string() ? width.as_string()
                                      : std::string(static_cast<size_t>(std::clamp<int64_t>(width.as_int(), 0, 1024)), ' ');
  std::string s = v.str();
  // jinja2 splits on str.splitlines() boundaries and rejoins with "\n".
  std::vector<std::string> lines = splitlines(s);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\n";
    bool indent_line = (i == 0 && first) || (i > 0 && (blank || !strip(lines[i], Value::none(), true, true).empty()));
    if (indent_line) out += pad;
    out += lines[i];
    interp.charge(lines[i].size() + pad.size());
  }
  if (!s.empty() && (s.back() == '\n')) out += "\n";
  return Value::string(std::move(out));
}

Value f_map(Interpreter& interp, const Value& v, CallArgs& args) {
  ValueList out;
  ValueList items = iterate(interp, v);
  Value attribute;
  Value fallback;
  for (const auto& [key, value] : args.keywords) {
    if (key == "attribute") attribute = value;
    else if (key == "default") fallback = value;
    else if (!attribute.is_undefined() || args.positional.empty()) interp.fail("map() got an unexpected keyword argument '" + key + "'");
  }
  if (!attribute.is_undefined()) {
    for (const auto& item : items) {
      Value found = lookup_path(interp, item, attribute.str());
      out.push_back(found.is_undefined() && !fallback.is_undefined() ? fallback : found);
    }
    return Value::list(std::move(out));
  }
  if (args.positional.empty()) interp.fail("map requires a filter argument");
  std::string name = args.positional[0].str();
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keywords = args.keywords;
  for (const auto& item : items) {
    CallArgs copy = rest;
    out.push_back(call_filter(interp, name, item, copy));
  }
  return Value::list(std::move(out));
}

Value select_impl(Interpreter& interp, const Value& v, CallArgs& args, bool by_attribute, bool keep) {
  ValueList out;
  size_t first_test_arg = by_attribute ? 1 : 0;
  if (by_attribute && args.positional.empty()) interp.fail("missing parameter for attribute name");
  std::string attribute = by_attribute ? args.positional[0].str() : "";
  bool has_test = args.positional.size() > first_test_arg;
  std::string test = has_test ? args.positional[first_test_arg].str() : "";
  if (has_test && !has_test_named(test)) interp.fail("no test named '" + test + "'");
  CallArgs test_args;
  if (has_test) test_args.positional.assign(args.positional.begin() + first_test_arg + 1, args.positional.end());
  test_args.keywords = args.keywords;
  for (const auto& item : iterate(interp, v)) {
    Value subject = by_attribute ? lookup_path(interp, item, attribute) : item;
    CallArgs copy = test_args;
    bool passed = has_test ? call_test(interp, test, subject, copy) : subject.truthy();
    if (passed == keep) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value f_select(Interpreter& i, const Value& v, CallArgs& a) { return select_impl(i, v, a, false, true); }
Value f_reject(Interpreter& i, const Value& v, CallArgs& a) { return select_impl(i, v, a, false, false); }
Value f_selectattr(Interpreter& i, const Value& v, CallArgs& a) { return select_impl(i, v, a, true, true); }
Value f_rejectattr(Interpreter& i, const Value& v, CallArgs& a) { return select_impl(i, v, a, true, false); }

Value f_attr(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader reader(interp, args, "attr");
  Value name = reader.get(0, "name");
  reader.finish();
  return interp.get_attribute(v, name.str());
}

Value f_wordcount(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgReader(interp, args, "wordcount").finish();
  return Value::integer(static_cast<int64_t>(split_words(v.str(), -1).size()));
}

const std::map<std::string, FilterFn>& filters() {
  static const std::map<std::string, FilterFn> table = {
      {"abs", f_abs},         {"attr", f_attr},           {"capitalize", f_capitalize},
      {"count", f_length},    {"d", f_default},           {"default", f_default},
      {"dictsort", f_dictsort}, {"e", f_escape},          {"escape", f_escape},
      {"first", f_first},     {"float", f_float},         {"indent", f_indent},
      {"int", f_int},         {"items", f_items},         {"join", f_join},
      {"last", f_last},       {"length", f_length},       {"list", f_list},
      {"lower", f_lower},     {"map", f_map},             {"max", f_max},
      {"min", f_min},         {"reject", f_reject},       {"rejectattr", f_rejectattr},
      {"replace", f_replace}, {"reverse", f_reverse},     {"round", f_round},
      {"safe", f_safe},       {"select", f_select},       {"selectattr", f_selectattr},
      {"sort", f_sort},       {"string", f_string},       {"sum", f_sum},
      {"title", f_title},     {"tojson", f_tojson},       {"trim", f_trim},
      {"unique", f_unique},   {"upper", f_upper},         {"wordcount", f_wordcount},
  };
  return table;
}

// ---- tests ----

Value test_arg(Interpreter& interp, CallArgs& args, const char* test) {
  ArgReader reader(interp, args, test);
  Value v = reader.get(0, "other");
  reader.finish();
  return v;
}

bool compare_test(Interpreter& interp, const Value& a, const Value& b, const char* op) {
  auto less = (op[0] == '>') ? less_than(b, a) : less_than(a, b);
  if (!less) interp.fail(std::string("'") + op + "' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
  bool strict = op[1] == '\0';
  return strict ? *less : (*less || equals(a, b));
}

bool no_args(Interpreter& interp, CallArgs& args, const char* test) {
  ArgReader(interp, args, test).finish();
  return true;
}

const std::map<std::string, TestFn>& tests() {
  static const std::map<std::string, TestFn> table = {
      {"defined", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "defined") && !v.is_undefined(); }},
      {"undefined", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "undefined") && v.is_undefined(); }},
      {"none", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "none") && v.is_none(); }},
      {"string", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "string") && v.is_string(); }},
      {"mapping", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "mapping") && v.is_dict(); }},
      {"iterable", [](Interpreter& i, const Value& v, CallArgs& a) {
         return no_args(i, a, "iterable") && (v.is_undefined() || v.is_string() || v.is_list() || v.is_dict());
       }},
      {"sequence", [](Interpreter& i, const Value& v, CallArgs& a) {
         return no_args(i, a, "sequence") && (v.is_undefined() || v.is_string() || v.is_list() || v.is_dict());
       }},
      {"number", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "number") && v.is_number(); }},
      {"integer", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "integer") && v.is_int(); }},
      {"float", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "float") && v.is_float(); }},
      {"boolean", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "boolean") && v.is_bool(); }},
      {"true", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "true") && v.is_bool() && v.as_bool(); }},
      {"false", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "false") && v.is_bool() && !v.as_bool(); }},
      {"callable", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "callable") && (v.is_function() || v.is_undefined()); }},
      {"odd", [](Interpreter& i, const Value& v, CallArgs& a) {
         no_args(i, a, "odd");
         if (!v.is_int() && !v.is_bool()) i.fail("odd: expected an integer");
         return v.as_int() % 2 != 0;
       }},
      {"even", [](Interpreter& i, const Value& v, CallArgs& a) {
         no_args(i, a, "even");
         if (!v.is_int() && !v.is_bool()) i.fail("even: expected an integer");
         return v.as_int() % 2 == 0;
       }},
      {"divisibleby", [](Interpreter& i, const Value& v, CallArgs& a) {
         Value n = test_arg(i, a, "divisibleby");
         if (!(v.is_int() || v.is_bool()) || !(n.is_int() || n.is_bool())) i.fail("divisibleby: expected integers");
         if (n.as_int() == 0) i.fail("integer modulo by zero");
         if (n.as_int() == -1) return true;
         return v.as_int() % n.as_int() == 0;
       }},
      {"eq", [](Interpreter& i, const Value& v, CallArgs& a) { return equals(v, test_arg(i, a, "eq")); }},
      {"equalto", [](Interpreter& i, const Value& v, CallArgs& a) { return equals(v, test_arg(i, a, "equalto")); }},
      {"==", [](Interpreter& i, const Value& v, CallArgs& a) { return equals(v, test_arg(i, a, "==")); }},
      {"ne", [](Interpreter& i, const Value& v, CallArgs& a) { return !equals(v, test_arg(i, a, "ne")); }},
      {"!=", [](Interpreter& i, const Value& v, CallArgs& a) { return !equals(v, test_arg(i, a, "!=")); }},
      {"lt", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, "lt"), "<"); }},
      {"lessthan", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, "lessthan"), "<"); }},
      {"<", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, "<"), "<"); }},
      {"le", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, "le"), "<="); }},
      {"<=", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, "<="), "<="); }},
      {"gt", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, "gt"), ">"); }},
      {"greaterthan", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, "greaterthan"), ">"); }},
      {">", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, ">"), ">"); }},
      {"ge", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, "ge"), ">="); }},
      {">=", [](Interpreter& i, const Value& v, CallArgs& a) { return compare_test(i, v, test_arg(i, a, ">="), ">="); }},
      {"in", [](Interpreter& i, const Value& v, CallArgs& a) { return contains(i, test_arg(i, a, "in"), v); }},
      {"sameas", [](Interpreter& i, const Value& v, CallArgs& a) {
         Value other = test_arg(i, a, "sameas");
         return v.kind() == other.kind() && equals(v, other);
       }},
      {"lower", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "lower") && is_lower(v.str()); }},
      {"upper", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "upper") && is_upper(v.str()); }},
      {"escaped", [](Interpreter& i, const Value&, CallArgs& a) { return !no_args(i, a, "escaped"); }},
      {"filter", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "filter") && v.is_string() && has_filter(v.as_string()); }},
      {"test", [](Interpreter& i, const Value& v, CallArgs& a) { return no_args(i, a, "test") && v.is_string() && has_test(v.as_string()); }},
  };
  return table;
}

}  // namespace

bool has_filter(const std::string& name) { return filters().count(name) != 0; }
bool has_test(const std::string& name) { return tests().count(name) != 0; }
bool has_test_named(const std::string& name) { return has_test(name); }

Value call_filter(Interpreter& interp, const std::string& name, const Value& input, CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) interp.fail("no filter named '" + name + "'");
  return it->second(interp, input, args);
}

bool call_test(Interpreter& interp, const std::string& name, const Value& input, CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) interp.fail("no test named '" + name + "'");
  return it->second(interp, input, args);
}

// ---- globals ----

namespace {
Value g_range(Interpreter& interp, CallArgs& args) {
  if (!args.keywords.empty()) interp.fail("range() takes no keyword arguments");
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) interp.fail("range expected 1 to 3 arguments, got " + std::to_string(p.size()));
  for (const auto& v : p) {
    if (!v.is_int() && !v.is_bool()) interp.fail("'" + v.type_name() + "' object cannot be interpreted as an integer");
  }
  int64_t start = p.size() > 1 ? p[0].as_int() : 0;
  int64_t stop = p.size() > 1 ? p[1].as_int() : p[0].as_int();
  int64_t step = p.size() > 2 ? p[2].as_int() : 1;
  if (step == 0) interp.fail("range() arg 3 must not be zero");
  // The sandbox's MAX_RANGE.
  constexpr int64_t kMaxRange = 100000;
  long double count = step > 0 ? std::ceil((static_cast<long double>(stop) - start) / step)
                               : std::ceil((static_cast<long double>(start) - stop) / -static_cast<long double>(step));
  if (count > kMaxRange) interp.fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  ValueList items;
  for (int64_t i = 0; i < static_cast<int64_t>(std::max<long double>(count, 0)); ++i) items.push_back(Value::integer(start + i * step));
  interp.charge(items.size() * sizeof(Value));
  return Value::list(std::move(items));
}

Value g_dict(Interpreter& interp, CallArgs& args) {
  Dict d;
  if (args.positional.size() > 1) interp.fail("dict expected at most 1 argument");
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.is_dict()) {
      d = source.as_dict();
    } else {
      for (const auto& pair : iterate(interp, source)) {
        ValueList kv = iterate(interp, pair);
        if (kv.size() != 2) interp.fail("dictionary update sequence element has wrong length");
        d.set(kv[0], kv[1]);
      }
    }
  }
  for (auto& [key, value] : args.keywords) d.set(Value::string(key), value);
  return Value::dict(std::move(d));
}

Value g_namespace(Interpreter& interp, CallArgs& args) {
  auto ns = interp.make_namespace();
  Value initial = g_dict(interp, args);
  for (const auto& [key, value] : initial.as_dict().items) {
    if (key.is_string() && !key.as_string().empty() && key.as_string()[0] == '_') {
      interp.fail("Chat templates cannot store underscore-prefixed attributes on a namespace, but got " + key.repr() + ".");
    }
    ns->attrs.set(key, value);
  }
  return Value::object(ns);
}

Value g_raise_exception(Interpreter& interp, CallArgs& args) {
  std::string message = args.positional.empty() ? "" : args.positional[0].str();
  throw TemplateError(interp.line(), message);
}

Value g_strftime_now(Interpreter& interp, CallArgs& args) {
  ArgReader reader(interp, args, "strftime_now");
  std::string format = reader.get(0, "format").str();
  reader.finish();
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[512];
  size_t n = format.size() < 200 ? std::strftime(buf, sizeof(buf), format.c_str(), &local) : 0;
  return Value::string(std::string(buf, n));
}
}  // namespace

Dict globals() {
  Dict d;
  d.set(Value::string("range"), Value::function("range", g_range));
  d.set(Value::string("dict"), Value::function("dict", g_dict));
  d.set(Value::string("namespace"), Value::function("namespace", g_namespace));
  d.set(Value::string("raise_exception"), Value::function("raise_exception", g_raise_exception));
  d.set(Value::string("strftime_now"), Value::function("strftime_now", g_strftime_now));
  return d;
}

}  // namespace ember::lm::tpl
