#include "engine/plugin/check_value.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "engine/util/duration.h"
#include "engine/util/json.h"
#include "engine/util/number_text.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

std::string NumberText(double n) {
  if (std::floor(n) == n && std::fabs(n) < 1e15) return std::to_string(static_cast<long long>(n));
  return Value(n).ToText();
}

// A value as an error quotes it: whole, or not at all. A part would be cut before the sinks
// mask secrets, which see only whole ones (breakO O19: the first 37 characters of a 41-
// character secret were printed); a value over 40 bytes is named by its size.
std::string Quote(const std::string& s) {
  if (s.size() > 40) return "(" + std::to_string(s.size()) + " bytes, not shown)";
  return "'" + s + "'";
}

// A string, or a plain YAML scalar that becomes its text as written where text is wanted.
bool IsText(const Value& v) { return v.is_string() || v.written(); }

std::string CheckType(ParamType type, const Value& v) {
  auto expected = [&](const char* what) {
    return std::string("expected ") + what + ", found " + DescribeFound(v);
  };
  switch (type) {
    case ParamType::kString:
      return IsText(v) ? "" : expected("a string");
    case ParamType::kInteger:
      if (v.is_int()) return "";
      // Beyond 2^53 a double is no exact integer (and beyond 2^63 none converts at all).
      if (v.kind() == Value::Kind::kDouble && std::floor(v.as_double()) == v.as_double() &&
          std::fabs(v.as_double()) <= 9007199254740992.0)
        return "";
      if (v.written() && std::floor(v.as_double()) == v.as_double())
        return Quote(v.ToText()) + " " + kIntegerOutOfRange;
      return expected("an integer");
    case ParamType::kNumber:
      return v.is_number() ? "" : expected("a number");
    case ParamType::kBoolean:
      return v.is_bool() ? "" : expected("a boolean (true or false)");
    case ParamType::kDuration:
      if (!IsText(v)) return expected("a duration such as '30s' or '1h30m'");
      if (ParseDuration(v.ToText())) return "";
      if (std::string why = DurationProblem(v.ToText()); why.rfind("duration '", 0) == 0)
        return why;  // well formed, out of range
      return "invalid duration " + Quote(v.ToText()) +
             "; expected a duration such as '500ms', '30s', '10m' or '1h30m'";
    case ParamType::kStringList:
      if (IsText(v)) return "";
      if (!v.is_list()) return expected("a list of strings");
      for (const Value& item : v.as_list()) {  // an item known later is checked then
        if (!IsText(item) && !item.is_unknown())
          return "expected a list of strings, found an item that is " + DescribeFound(item);
      }
      return "";
    case ParamType::kStringMap:
      if (!v.is_map()) return expected("a mapping of strings");
      for (const auto& [key, item] : v.as_map()) {
        // Unknown items pass; a written `~` is "".
        if (item.is_map() || item.is_list() || (item.is_null() && !item.written())) {
          return "expected a string for key '" + key + "', found " + DescribeFound(item);
        }
      }
      return "";
    case ParamType::kList:
      return v.is_list() ? "" : expected("a list");
    case ParamType::kMap:
      return v.is_map() ? "" : expected("a mapping");
    case ParamType::kAny:
    case ParamType::kValue:
      return "";
  }
  return "";
}

}  // namespace

std::string DescribeFound(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      return "string " + Quote(v.as_string());
    case Value::Kind::kInt:
    case Value::Kind::kDouble:
      return "number " + v.ToText();
    case Value::Kind::kBool:
      return std::string("boolean ") + (v.as_bool() ? "true" : "false");
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kList:
      return "a list";
    case Value::Kind::kMap:
      return "a mapping";
    case Value::Kind::kUnknown:
      return "a value known only at run time";
  }
  return "?";
}

// A duration against its range in milliseconds (ParamSpec::minimum, maximum).
static std::string CheckDurationRange(const ParamSpec& spec, const Value& value) {
  auto ms = ParseDuration(value.ToText());
  if (!ms) return "";  // CheckType reported it
  auto bound = [](double b) { return FormatDuration(Millis(static_cast<int64_t>(b))); };
  if (spec.minimum && static_cast<double>(ms->count()) < *spec.minimum)
    return "duration " + value.ToText() + " is below the minimum " + bound(*spec.minimum) +
           (ms->count() == 0 ? " (0 would mean no limit, or none at all)" : "");
  if (spec.maximum && static_cast<double>(ms->count()) > *spec.maximum)
    return "duration " + value.ToText() + " is above the maximum " + bound(*spec.maximum);
  return "";
}

// The shape of a path: not "" (unless its "" means none: breakCC C21), and one written or
// guarded as a file names a file, not a folder (breakCC C14: "out/t.zip/" made a folder at
// the zip's name, at restore's target too).
static std::string CheckShape(const ParamSpec& spec, const Value& value) {
  if (!value.is_string() || spec.path_role == PathRole::kNone) return "";
  const std::string& p = value.as_string();
  if (p.empty()) return spec.empty_is_none ? "" : "an empty value names nothing";
  if (spec.path_role != PathRole::kWritesFile && spec.path_role != PathRole::kGuards) return "";
  if (!spec.remote_prefix.empty() && p.rfind(spec.remote_prefix, 0) == 0) return "";
  std::string last = p.substr(p.find_last_of('/') + 1);
  if (last.empty() || last == "." || last == "..")
    return Quote(p) + " names a folder, not a file (it ends in '" + (last.empty() ? "/" : last) +
           "'); give the file's path";
  return "";
}

std::string CheckValue(const ParamSpec& spec, const Value& value) {
  if (value.is_unknown()) return "";
  std::string error = CheckType(spec.type, value);
  if (!error.empty()) return error;
  if (std::string shape = CheckShape(spec, value); !shape.empty()) return shape;
  if (!spec.enum_values.empty()) {
    std::string text = value.is_string() ? value.as_string() : value.ToText();
    for (const std::string& allowed : spec.enum_values) {
      if (allowed == text) return "";
    }
    std::string message =
        "invalid value " + Quote(text) + "; expected one of: " + Join(spec.enum_values, ", ");
    std::string close = ClosestName(text, spec.enum_values);
    if (!close.empty()) message += "; did you mean '" + close + "'?";
    return message;
  }
  if (spec.type == ParamType::kDuration) return CheckDurationRange(spec, value);
  if (value.is_number()) {
    double n = value.as_double();
    if (spec.minimum && n < *spec.minimum) {
      return "value " + value.ToText() + " is below the minimum " + NumberText(*spec.minimum);
    }
    if (spec.maximum && n > *spec.maximum) {
      return "value " + value.ToText() + " is above the maximum " + NumberText(*spec.maximum);
    }
  }
  return "";
}

// Where text is wanted a written scalar becomes its source text; where a number or a
// boolean is wanted it becomes a plain typed value (its text is no longer kept).
Value NormaliseValue(const ParamSpec& spec, Value value) {
  auto text = [](const Value& v) { return v.written() ? Value(v.ToText()) : v; };
  switch (spec.type) {
    case ParamType::kString:
    case ParamType::kDuration:
      return text(value);
    case ParamType::kStringList: {
      if (IsText(value)) return Value(Value::List{text(value)});
      if (!value.is_list()) return value;
      Value::List out;
      for (const Value& item : value.as_list()) out.push_back(text(item));
      return Value(std::move(out));
    }
    case ParamType::kStringMap: {
      if (!value.is_map()) return value;
      Value::Map out;
      for (const auto& [key, item] : value.as_map()) out[key] = Value(item.ToText());
      return Value(std::move(out));
    }
    case ParamType::kInteger:
      return value.is_number() ? Value(value.as_int()) : value;
    case ParamType::kNumber:
      if (!value.is_number()) return value;
      return value.is_int() ? Value(value.as_int()) : Value(value.as_double());
    case ParamType::kBoolean:
      return value.is_bool() ? Value(value.as_bool()) : value;
    case ParamType::kAny: {  // a command: a string or argv, whose items are text
      if (!value.is_list()) return text(value);
      Value::List out;
      for (const Value& item : value.as_list()) out.push_back(text(item));
      return Value(std::move(out));
    }
    default:  // kList, kMap, kValue: as given (break22c #11: a call's outputs)
      return value;
  }
}

namespace {

// An integer param's text: an integer literal is read exactly (std::from_chars); a value
// outside int64 (literal or not, e.g. 1e30) is an error naming it.
Value ParseInteger(const std::string& text, std::string& error) {
  int64_t n = 0;
  const char* last = text.data() + text.size();
  const char* first = text.data() + (text.size() > 1 && text[0] == '+' ? 1 : 0);
  auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec == std::errc() && ptr == last) return Value(n);
  if (!IsDecimalNumber(text)) {
    error = "expected a number, found " + Quote(text);
    return Value();
  }
  double d = std::strtod(text.c_str(), nullptr);
  if (std::floor(d) != d) return Value(d);  // not an integer: the type check reports it
  if (ec == std::errc::result_out_of_range || !(d >= -0x1p63 && d < 0x1p63)) {
    error = Quote(text) + " " + kIntegerOutOfRange;
    return Value();
  }
  return Value(static_cast<int64_t>(d));
}

}  // namespace

Value ParseTextAs(const ParamSpec& spec, const std::string& text, std::string& error) {
  Value parsed(text);
  switch (spec.type) {
    case ParamType::kInteger:
      parsed = ParseInteger(text, error);
      if (!error.empty()) return Value();
      break;
    case ParamType::kNumber: {
      // Not nan, inf, hex (break25a #8), 1e400 (breakI I13) nor 1e-400 (break24a C4).
      std::optional<double> d = IsDecimalNumber(text) ? DoubleInRange(text) : std::nullopt;
      if (!d) {
        error = "expected a finite number, found " + Quote(text);
        return Value();
      }
      // An integer's text stays an integer, as `default: 12` does (it was 12.0 in text).
      int64_t n = 0;
      auto [last, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      parsed = ec == std::errc() && last == text.data() + text.size() ? Value(n) : Value(*d);
      break;
    }
    case ParamType::kBoolean:
      if (text != "true" && text != "false") {
        error = "expected true or false, found " + Quote(text);
        return Value();
      }
      parsed = Value(text == "true");
      break;
    case ParamType::kStringList:
    case ParamType::kStringMap:
    case ParamType::kList:
    case ParamType::kMap: {
      // A number's text as written (`[3.10, 1e3]`), as the same list written in the file keeps
      // it (break23a C1).
      auto json = ParseJsonAsSent(text);
      if (!json.ok()) {
        error = "expected JSON for a " + std::string(ParamTypeName(spec.type)) + ": " +
                json.status().message();
        return Value();
      }
      parsed = json.value();
      break;
    }
    default:
      break;
  }
  error = CheckValue(spec, parsed);
  return error.empty() ? NormaliseValue(spec, parsed) : Value();
}

}  // namespace runbook
