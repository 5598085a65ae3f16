// Methods templates call on values: Python's str, dict and list methods that the
// immutable sandbox allows (mutating ones are refused, as ImmutableSandboxedEnvironment does).
#include <algorithm>
#include <set>

#include "ember/lm/chat_template/interpreter.h"
#include "ember/lm/chat_template/strings.h"

namespace ember::lm::tpl {
namespace {

using Method = Value (*)(Interpreter&, const Value& self, CallArgs& args);

Value strings_to_list(Interpreter& interp, const std::vector<std::string>& parts) {
  ValueList items;
  size_t bytes = 0;
  for (const auto& part : parts) {
    bytes += part.size() + sizeof(Value);
    items.push_back(Value::string(part));
  }
  interp.charge(bytes);
  return Value::list(std::move(items));
}

std::string string_arg(Interpreter& interp, const Value& v, const char* method) {
  if (!v.is_string()) {
    interp.require_defined(v);
    interp.fail(std::string(method) + "() argument must be str, not " + v.type_name());
  }
  return v.as_string();
}

int64_t int_arg(Interpreter& interp, const Value& v, const char* method) {
  if (!v.is_int() && !v.is_bool()) {
    interp.require_defined(v);
    interp.fail(std::string(method) + "(): '" + v.type_name() + "' object cannot be interpreted as an integer");
  }
  return v.as_int();
}

bool affix_match(Interpreter& interp, const Value& self, CallArgs& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  ArgReader reader(interp, args, name);
  Value affix = reader.get(0, prefix ? "prefix" : "suffix");
  reader.finish();
  const std::string& s = self.as_string();
  auto test = [&](const Value& v) {
    std::string a = string_arg(interp, v, name);
    return prefix ? s.compare(0, a.size(), a) == 0 && s.size() >= a.size()
                  : s.size() >= a.size() && s.compare(s.size() - a.size(), a.size(), a) == 0;
  };
  if (affix.is_tuple()) {
    return std::any_of(affix.as_list().begin(), affix.as_list().end(), test);
  }
  return test(affix);
}

Value split_method(Interpreter& interp, const Value& self, CallArgs& args, bool from_right) {
  ArgReader reader(interp, args, from_right ? "rsplit" : "split");
  Value sep = reader.get(0, "sep", Value::none());
  int64_t maxsplit = int_arg(interp, reader.get(1, "maxsplit", Value::integer(-1)), "split");
  reader.finish();
  const std::string& s = self.as_string();
  if (sep.is_none()) return strings_to_list(interp, from_right ? rsplit_words(s, maxsplit) : split_words(s, maxsplit));
  std::string separator = string_arg(interp, sep, "split");
  if (separator.empty()) interp.fail("empty separator");
  return strings_to_list(interp, from_right ? rsplit(s, separator, maxsplit) : split(s, separator, maxsplit));
}

Value strip_method(Interpreter& interp, const Value& self, CallArgs& args, bool left, bool right) {
  ArgReader reader(interp, args, "strip");
  Value chars = reader.get(0, "chars", Value::none());
  reader.finish();
  if (!chars.is_none() && !chars.is_string()) interp.fail("strip arg must be None or str");
  return Value::string(strip(self.as_string(), chars, left, right));
}

Value no_arg_string(Interpreter& interp, CallArgs& args, const char* name, std::string result) {
  ArgReader(interp, args, name).finish();
  return Value::string(std::move(result));
}

int64_t find_in(Interpreter& interp, const Value& self, CallArgs& args, bool from_right, const char* name) {
  ArgReader reader(interp, args, name);
  std::string needle = string_arg(interp, reader.get(0, "sub"), name);
  reader.finish();
  const std::string& s = self.as_string();
  size_t found = from_right ? s.rfind(needle) : s.find(needle);
  if (found == std::string::npos) return -1;
  return static_cast<int64_t>(utf8_length(std::string_view(s).substr(0, found)));
}

Value str_format(Interpreter& interp, const Value& self, CallArgs& args) {
  // str.format with plain fields: {}, {0}, {name}; no conversions or format specs.
  const std::string& s = self.as_string();
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '{' && i + 1 < s.size() && s[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < s.size() && s[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      size_t close = s.find('}', i);
      if (close == std::string::npos) interp.fail("Single '{' encountered in format string");
      std::string field = s.substr(i + 1, close - i - 1);
      if (field.find_first_of(":!.[") != std::string::npos) interp.fail("format fields with specs are not supported");
      Value v;
      if (field.empty() || std::all_of(field.begin(), field.end(), ::isdigit)) {
        size_t index = field.empty() ? auto_index++ : std::stoul(field.substr(0, 9));
        if (index >= args.positional.size()) interp.fail("Replacement index " + std::to_string(index) + " out of range for positional args tuple");
        v = args.positional[index];
      } else {
        auto it = std::find_if(args.keywords.begin(), args.keywords.end(), [&](const auto& kw) { return kw.first == field; });
        if (it == args.keywords.end()) interp.fail("KeyError: '" + field + "'");
        v = it->second;
      }
      out += v.str();
      interp.charge(out.size());
      i = close;
    } else if (c == '}') {
      interp.fail("Single '}' encountered in format string");
    } else {
      out += c;
    }
  }
  return Value::string(std::move(out));
}

Value str_join(Interpreter& interp, const Value& self, CallArgs& args) {
  ArgReader reader(interp, args, "join");
  Value iterable = reader.get(0, "iterable");
  reader.finish();
  std::string out;
  bool first = true;
  for (const auto& item : iterate(interp, iterable)) {
    if (!item.is_string()) interp.fail("sequence item: expected str instance, " + item.type_name() + " found");
    if (!first) out += self.as_string();
    first = false;
    out += item.as_string();
    if (out.size() > interp.limits().max_output_bytes) interp.charge(out.size());
  }
  interp.charge(out.size());
  return Value::string(std::move(out));
}

template <bool (*Predicate)(char32_t)>
Value str_is(Interpreter& interp, const Value& self, CallArgs& args) {
  ArgReader(interp, args, "is").finish();
  const std::string& s = self.as_string();
  if (s.empty()) return Value::boolean(false);
  size_t pos = 0;
  while (pos < s.size()) {
    if (!Predicate(utf8_next(s, pos))) return Value::boolean(false);
  }
  return Value::boolean(true);
}

bool digit_cp(char32_t cp) { return cp >= '0' && cp <= '9'; }
bool alpha_cp(char32_t cp) { return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0x80 && !is_python_space(cp)); }
bool alnum_cp(char32_t cp) { return digit_cp(cp) || alpha_cp(cp); }
bool space_cp(char32_t cp) { return is_python_space(cp); }

const std::map<std::string, Method>& string_methods() {
  static const std::map<std::string, Method> table = {
      {"startswith", [](Interpreter& i, const Value& s, CallArgs& a) { return Value::boolean(affix_match(i, s, a, true)); }},
      {"endswith", [](Interpreter& i, const Value& s, CallArgs& a) { return Value::boolean(affix_match(i, s, a, false)); }},
      {"split", [](Interpreter& i, const Value& s, CallArgs& a) { return split_method(i, s, a, false); }},
      {"rsplit", [](Interpreter& i, const Value& s, CallArgs& a) { return split_method(i, s, a, true); }},
      {"strip", [](Interpreter& i, const Value& s, CallArgs& a) { return strip_method(i, s, a, true, true); }},
      {"lstrip", [](Interpreter& i, const Value& s, CallArgs& a) { return strip_method(i, s, a, true, false); }},
      {"rstrip", [](Interpreter& i, const Value& s, CallArgs& a) { return strip_method(i, s, a, false, true); }},
      {"upper", [](Interpreter& i, const Value& s, CallArgs& a) { return no_arg_string(i, a, "upper", upper(s.as_string())); }},
      {"lower", [](Interpreter& i, const Value& s, CallArgs& a) { return no_arg_string(i, a, "lower", lower(s.as_string())); }},
      {"title", [](Interpreter& i, const Value& s, CallArgs& a) { return no_arg_string(i, a, "title", title(s.as_string())); }},
      {"capitalize", [](Interpreter& i, const Value& s, CallArgs& a) { return no_arg_string(i, a, "capitalize", capitalize(s.as_string())); }},
      {"replace", [](Interpreter& i, const Value& s, CallArgs& a) {
         ArgReader reader(i, a, "replace");
         std::string old_text = string_arg(i, reader.get(0, "old"), "replace");
         std::string new_text = string_arg(i, reader.get(1, "new"), "replace");
         int64_t count = int_arg(i, reader.get(2, "count", Value::integer(-1)), "replace");
         reader.finish();
         std::string out = replace(s.as_string(), old_text, new_text, count, i.limits().max_output_bytes);
         i.charge(out.size());
         return Value::string(std::move(out));
       }},
      {"find", [](Interpreter& i, const Value& s, CallArgs& a) { return Value::integer(find_in(i, s, a, false, "find")); }},
      {"rfind", [](Interpreter& i, const Value& s, CallArgs& a) { return Value::integer(find_in(i, s, a, true, "rfind")); }},
      {"index", [](Interpreter& i, const Value& s, CallArgs& a) {
         int64_t at = find_in(i, s, a, false, "index");
         if (at < 0) i.fail("substring not found");
         return Value::integer(at);
       }},
      {"count", [](Interpreter& i, const Value& s, CallArgs& a) {
         ArgReader reader(i, a, "count");
         std::string needle = string_arg(i, reader.get(0, "sub"), "count");
         reader.finish();
         const std::string& text = s.as_string();
         if (needle.empty()) return Value::integer(static_cast<int64_t>(utf8_length(text)) + 1);
         int64_t n = 0;
         for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
         return Value::integer(n);
       }},
      {"join", str_join},
      {"format", str_format},
      {"splitlines", [](Interpreter& i, const Value& s, CallArgs& a) {
         ArgReader(i, a, "splitlines").finish();
         return strings_to_list(i, splitlines(s.as_string()));
       }},
      {"removeprefix", [](Interpreter& i, const Value& s, CallArgs& a) {
         ArgReader reader(i, a, "removeprefix");
         std::string prefix = string_arg(i, reader.get(0, "prefix"), "removeprefix");
         reader.finish();
         const std::string& text = s.as_string();
         return Value::string(text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text);
       }},
      {"removesuffix", [](Interpreter& i, const Value& s, CallArgs& a) {
         ArgReader reader(i, a, "removesuffix");
         std::string suffix = string_arg(i, reader.get(0, "suffix"), "removesuffix");
         reader.finish();
         const std::string& text = s.as_string();
         bool ends = !suffix.empty() && text.size() >= suffix.size() &&
                     text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
         return Value::string(ends ? text.substr(0, text.size() - suffix.size()) : text);
       }},
      {"isdigit", str_is<digit_cp>},
      {"isalpha", str_is<alpha_cp>},
      {"isalnum", str_is<alnum_cp>},
      {"isspace", str_is<space_cp>},
      {"islower", [](Interpreter& i, const Value& s, CallArgs& a) { ArgReader(i, a, "islower").finish(); return Value::boolean(is_lower(s.as_string())); }},
      {"isupper", [](Interpreter& i, const Value& s, CallArgs& a) { ArgReader(i, a, "isupper").finish(); return Value::boolean(is_upper(s.as_string())); }},
  };
  return table;
}

const std::map<std::string, Method>& dict_methods() {
  static const std::map<std::string, Method> table = {
      {"items", [](Interpreter& i, const Value& d, CallArgs& a) {
         ArgReader(i, a, "items").finish();
         ValueList pairs;
         for (const auto& [key, value] : d.as_dict().items) pairs.push_back(Value::list({key, value}, true));
         return Value::list(std::move(pairs));
       }},
      {"keys", [](Interpreter& i, const Value& d, CallArgs& a) {
         ArgReader(i, a, "keys").finish();
         ValueList keys;
         for (const auto& item : d.as_dict().items) keys.push_back(item.first);
         return Value::list(std::move(keys));
       }},
      {"values", [](Interpreter& i, const Value& d, CallArgs& a) {
         ArgReader(i, a, "values").finish();
         ValueList values;
         for (const auto& item : d.as_dict().items) values.push_back(item.second);
         return Value::list(std::move(values));
       }},
      {"get", [](Interpreter& i, const Value& d, CallArgs& a) {
         ArgReader reader(i, a, "get");
         Value key = reader.get(0, "key");
         Value fallback = reader.get(1, "default", Value::none());
         reader.finish();
         const Value* found = d.as_dict().find(key);
         return found ? *found : fallback;
       }},
      {"copy", [](Interpreter& i, const Value& d, CallArgs& a) {
         ArgReader(i, a, "copy").finish();
         return d;
       }},
  };
  return table;
}

const std::map<std::string, Method>& list_methods() {
  static const std::map<std::string, Method> table = {
      {"index", [](Interpreter& i, const Value& l, CallArgs& a) {
         ArgReader reader(i, a, "index");
         Value needle = reader.get(0, "value");
         reader.finish();
         const auto& items = l.as_list();
         for (size_t k = 0; k < items.size(); ++k) {
           if (equals(items[k], needle)) return Value::integer(static_cast<int64_t>(k));
         }
         i.fail(needle.repr() + " is not in list");
       }},
      {"count", [](Interpreter& i, const Value& l, CallArgs& a) {
         ArgReader reader(i, a, "count");
         Value needle = reader.get(0, "value");
         reader.finish();
         const auto& items = l.as_list();
         return Value::integer(std::count_if(items.begin(), items.end(), [&](const Value& v) { return equals(v, needle); }));
       }},
  };
  return table;
}

// Methods that mutate: the immutable sandbox refuses to call them.
const std::set<std::string>& unsafe_methods(const Value& object) {
  static const std::set<std::string> dict_unsafe = {"pop", "popitem", "setdefault", "update", "clear"};
  static const std::set<std::string> list_unsafe = {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"};
  static const std::set<std::string> none;
  return object.is_dict() ? dict_unsafe : object.is_list() && !object.is_tuple() ? list_unsafe : none;
}

}  // namespace

std::optional<Value> method(const Value& object, const std::string& name) {
  const std::map<std::string, Method>* table = nullptr;
  if (object.is_string()) table = &string_methods();
  if (object.is_dict()) table = &dict_methods();
  if (object.is_list()) table = &list_methods();
  if (!table) return std::nullopt;
  auto it = table->find(name);
  if (it == table->end()) {
    if (unsafe_methods(object).count(name)) {
      return Value::undefined("access to attribute '" + name + "' of '" + object.type_name() + "' object is unsafe.");
    }
    return std::nullopt;
  }
  Method fn = it->second;
  Value self = object;
  return Value::function(name, [fn, self](Interpreter& interp, CallArgs& args) { return fn(interp, self, args); });
}

}  // namespace ember::lm::tpl
