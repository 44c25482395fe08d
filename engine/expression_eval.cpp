// Evaluation. Errors (a missing key, a type mismatch, division by zero) are returned as a
// Status and fail the step that needed the value; nothing becomes an empty string.
#include "engine/expression_eval.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>

#include "engine/expression_limits.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

using Args = std::vector<Value>;
using Fn = std::function<Result<Value>(const Args&)>;

Status TypeError(const char* fn, const char* want, const Value& found) {
  return Status::Error(std::string("'") + fn + "' needs " + want + ", found " +
                       Value::KindName(found.kind()));
}

// -v; an integer whose negation does not fit (the most negative one) becomes a double.
Value Negate(const Value& v) {
  if (v.is_int() && v.as_int() != INT64_MIN) return Value(-v.as_int());
  return Value(-v.as_double());
}

Status TooLarge(const char* what) {
  return Status::Error(std::string(what) + " would produce more than " +
                       std::to_string(kMaxValueBytes >> 20) +
                       " MiB of text (the limit on a value)");
}

// A result past the range of a double (±1.8e308: infinity, or NaN) is an error, not the
// text "null" (break22b #10).
Status OutOfRange(const std::string& what) {
  return Status::Error(what + " gives a number out of range (beyond ±1.8e308)");
}

Result<Value> Contains(const Args& a) {
  if (a[0].is_list()) {
    for (const Value& item : a[0].as_list()) {
      if (item == a[1]) return Value(true);
    }
    return Value(false);
  }
  if (!a[0].is_string()) return TypeError("contains", "a string or a list", a[0]);
  return Value(AsciiLower(a[0].as_string()).find(AsciiLower(a[1].ToText())) != std::string::npos);
}

Result<Value> Affix(const Args& a, bool start) {
  const char* name = start ? "startsWith" : "endsWith";
  if (!a[0].is_string() || !a[1].is_string()) return TypeError(name, "strings", a[0]);
  std::string s = AsciiLower(a[0].as_string()), p = AsciiLower(a[1].as_string());
  return Value(start ? StartsWith(s, p) : EndsWith(s, p));
}

// Errors in a format string name the place (the 1-based character position), never a piece
// of the text: the format string may be a secret, and a piece of one is no form the redactor
// knows (breakI I5).
Status FormatError(const std::string& what, size_t at) {
  return Status::Error("format: " + what + " at character " + std::to_string(at + 1) +
                       " of the format string");
}

Result<Value> Format(const Args& a) {
  if (!a[0].is_string()) return TypeError("format", "a format string", a[0]);
  const std::string& f = a[0].as_string();
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (f[i] == '}' && i + 1 < f.size() && f[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (f[i] == '{') {
      size_t close = f.find('}', i);
      if (close == std::string::npos) return FormatError("unclosed '{'", i);
      std::string digits = f.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
          digits.size() > 3) {
        return FormatError("invalid placeholder (expected {0} to {999}; {{ for a '{')", i);
      }
      size_t index = std::stoul(digits) + 1;
      if (index >= a.size())
        return FormatError(
            "placeholder with no argument (" + std::to_string(a.size() - 1) + " given)", i);
      out += a[index].ToText();
      if (out.size() > kMaxValueBytes) return TooLarge("format()");
      i = close;
    } else {
      out += f[i];
    }
  }
  return Value(out);
}

Result<Value> JoinFn(const Args& a) {
  std::string sep = a.size() > 1 ? a[1].ToText() : ",";
  if (!a[0].is_list()) return Value(a[0].ToText());
  std::vector<std::string> parts;
  size_t total = 0;
  for (const Value& item : a[0].as_list()) {
    parts.push_back(item.ToText());
    total += parts.back().size() + sep.size();
    if (total > kMaxValueBytes + sep.size()) return TooLarge("join()");
  }
  return Value(Join(parts, sep));
}

Result<Value> Length(const Args& a) {
  if (a[0].is_string()) return Value(static_cast<int64_t>(a[0].as_string().size()));
  if (a[0].is_list()) return Value(static_cast<int64_t>(a[0].as_list().size()));
  if (a[0].is_map()) return Value(static_cast<int64_t>(a[0].as_map().size()));
  return TypeError("length", "a string, list or mapping", a[0]);
}

Result<Value> MinMax(const Args& a, bool want_min) {
  Args items = a.size() == 1 && a[0].is_list() ? a[0].as_list() : a;
  if (items.empty()) return Status::Error(want_min ? "min: no values" : "max: no values");
  Value best = items[0];
  for (const Value& v : items) {
    if (!v.is_number()) return TypeError(want_min ? "min" : "max", "numbers", v);
    if (want_min ? v.as_double() < best.as_double() : v.as_double() > best.as_double()) best = v;
  }
  return best;
}

// round(n, digits): digits from -15 to 12 (a wider one is clamped); a negative one rounds to
// tens, hundreds, ... as spreadsheets do, an integer then (break23a C6: round(1234, -2) was
// 1234.0). Half away from zero.
Result<Value> Round(const Args& a) {
  if (!a[0].is_number()) return TypeError("round", "a number", a[0]);
  double wanted = a.size() > 1 && a[1].is_number() ? a[1].as_double() : 0;
  // Clamped as a double: converting a huge or NaN double to an integer is undefined.
  int64_t digits = std::isnan(wanted) ? 0 : static_cast<int64_t>(std::clamp(wanted, -15.0, 12.0));
  double x = a[0].as_double();
  if (digits == 0 && std::fabs(x) < 9.2e18) return Value(static_cast<int64_t>(std::llround(x)));
  double scale = std::pow(10.0, static_cast<double>(digits < 0 ? -digits : digits));
  double out = digits < 0 ? std::round(x / scale) * scale : std::round(x * scale) / scale;
  if (!std::isfinite(out)) return OutOfRange("round()");
  if (digits < 0 && std::fabs(out) < 9.2e18) return Value(static_cast<int64_t>(out));
  return Value(out);
}

// At most kMaxValueItems values: the parser is asked to stop every 4,096 values it builds.
Result<Value> FromJson(const Args& a) {
  if (!a[0].is_string()) return TypeError("fromJSON", "a string", a[0]);
  size_t asked = 0;
  StopCheck stop = [&asked] { return ++asked * 4096 > kMaxValueItems; };
  // Its numbers as the text has them, as a runbook's own are (break24a C3: `1e3` gave 1000.0).
  auto v = ParseJsonAsSent(a[0].as_string(), stop);
  if (!v.ok() && v.status().message() == kStoppedMessage) {
    return Status::Error("fromJSON() would build more than " + std::to_string(kMaxValueItems) +
                         " items (the limit on a value)");
  }
  return v;
}

// realpath(PATH): PATH made absolute against the run's base, its `.` and `..` removed and the
// links of the part that exists resolved; a part that does not exist yet is kept as written
// (std::filesystem::weakly_canonical, as `realpath -m` does). So `x`, `./x` and the base's
// absolute `x` are one name, for a `lock` keyed on a file (breakM M15).
Result<Value> RealPath(const Args& a, const std::string& base) {
  if (!a[0].is_string()) return TypeError("realpath", "a string", a[0]);
  const std::string& path = a[0].as_string();
  if (path.empty()) return Status::Error("realpath() of an empty path");
  if (path.find('\0') != std::string::npos)
    return Status::Error("realpath() of a path holding NUL");
  std::error_code ec;
  std::filesystem::path out =
      std::filesystem::weakly_canonical(std::filesystem::path(base) / path, ec);
  if (ec) return Status::Error("realpath('" + path + "'): " + ec.message());
  out = out.lexically_normal();
  if (!out.has_filename() && out.has_parent_path() && out != out.root_path())
    out = out.parent_path();
  return Value(out.string());
}

const std::map<std::string, Fn>& Functions() {
  static const std::map<std::string, Fn> kTable = {
      {"contains", Contains},
      {"startsWith", [](const Args& a) { return Affix(a, true); }},
      {"endsWith", [](const Args& a) { return Affix(a, false); }},
      {"format", Format},
      {"join", JoinFn},
      {"toJSON", [](const Args& a) -> Result<Value> { return Value(ToJson(a[0], 2)); }},
      {"fromJSON", FromJson},
      {"length", Length},
      {"min", [](const Args& a) { return MinMax(a, true); }},
      {"max", [](const Args& a) { return MinMax(a, false); }},
      {"abs",
       [](const Args& a) -> Result<Value> {
         if (!a[0].is_number()) return TypeError("abs", "a number", a[0]);
         if (a[0].is_int()) return a[0].as_int() < 0 ? Negate(a[0]) : a[0];
         return Value(std::fabs(a[0].as_double()));
       }},
      {"round", Round},
  };
  return kTable;
}

Result<Value> Compare(const std::string& op, const Value& l, const Value& r) {
  if (op == "==") return Value(l == r);
  if (op == "!=") return Value(!(l == r));
  int c;
  if (l.is_number() && r.is_number()) {
    c = l.as_double() < r.as_double() ? -1 : l.as_double() > r.as_double() ? 1 : 0;
  } else if (l.is_string() && r.is_string()) {
    c = l.as_string().compare(r.as_string());
  } else {
    return Status::Error(std::string("cannot compare ") + Value::KindName(l.kind()) + " with " +
                         Value::KindName(r.kind()));
  }
  if (op == "<") return Value(c < 0);
  if (op == "<=") return Value(c <= 0);
  if (op == ">") return Value(c > 0);
  return Value(c >= 0);
}

Result<Value> Arithmetic(const std::string& op, const Value& l, const Value& r) {
  if (op == "+" && l.is_string() && r.is_string()) {
    if (l.as_string().size() + r.as_string().size() > kMaxValueBytes) return TooLarge("'+'");
    return Value(l.as_string() + r.as_string());
  }
  if (!l.is_number() || !r.is_number()) {
    return Status::Error("'" + op + "' needs numbers, found " + Value::KindName(l.kind()) +
                         " and " + Value::KindName(r.kind()));
  }
  bool ints = l.is_int() && r.is_int();
  if ((op == "/" || op == "%") && r.as_double() == 0) return Status::Error("division by zero");
  if (ints && op != "/") {
    int64_t a = l.as_int(), b = r.as_int(), out = 0;
    bool overflow = op == "+"   ? __builtin_add_overflow(a, b, &out)
                    : op == "-" ? __builtin_sub_overflow(a, b, &out)
                    : op == "*" ? __builtin_mul_overflow(a, b, &out)
                                : (b == -1 ? (out = 0, false) : (out = a % b, false));
    if (!overflow) return Value(out);
  }
  double a = l.as_double(), b = r.as_double();
  double out = op == "+"   ? a + b
               : op == "-" ? a - b
               : op == "*" ? a * b
               : op == "%" ? std::fmod(a, b)
                           : a / b;
  if (!std::isfinite(out)) return OutOfRange("'" + op + "'");
  if (op == "/" && ints && std::floor(out) == out && std::fabs(out) < 9.2e18) {
    return Value(static_cast<int64_t>(out));
  }
  return Value(out);
}

class Evaluator {
 public:
  Evaluator(const EvalScope& scope, EvalBudget& budget) : scope_(scope), budget_(budget) {
    if (budget_.run_left == nullptr) budget_.run_left = scope.RunWorkLeft();
  }

  Result<Value> Eval(const Expr& e) {
    if (!budget_.Spend(1)) return budget_.TooMuchWork();
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return e.literal;
      case Expr::Kind::kName:
      case Expr::Kind::kMember:
      case Expr::Kind::kIndex:
        return Access(e);
      case Expr::Kind::kUnary:
        return Unary(e);
      case Expr::Kind::kBinary:
        return Binary(e);
      case Expr::Kind::kCall:
        return Call(e);
    }
    return Status::Error("bad expression");
  }

 private:
  static Value UnknownOf(const Expr& e) { return Value::Unknown("${{ " + ExprToString(e) + " }}"); }

  // The key an access names, as written: a key computed from a value is named by its
  // expression, never quoted (it may be a piece of a secret).
  static std::string KeyName(const Expr& e) {
    if (e.kind == Expr::Kind::kMember) return "'" + e.text + "'";
    const Expr& k = *e.kids[1];
    if (k.kind == Expr::Kind::kLiteral) return "'" + k.literal.ToText() + "'";
    return "named by '" + ExprToString(k) + "'";
  }

  Result<Value> Access(const Expr& e) {
    if (auto path = ExprPath(e)) return scope_.Lookup(*path);
    auto base = Eval(*e.kids[0]);
    if (!base.ok()) return base;
    Value key = e.kind == Expr::Kind::kMember ? Value(e.text) : Value();
    if (e.kind == Expr::Kind::kIndex) {
      auto index = Eval(*e.kids[1]);
      if (!index.ok()) return index;
      key = index.value();
    }
    const Value& b = base.value();
    if (b.is_unknown() || key.is_unknown()) return UnknownOf(e);
    if (b.is_list() && key.is_number()) {
      double d = key.as_double();
      if (!(d >= 0 && d < static_cast<double>(b.as_list().size()))) {
        bool literal = e.kids[1]->kind == Expr::Kind::kLiteral;  // else it may be a secret's
        return Status::Error("index " + (literal ? key.ToText() + " " : "") +
                             "is out of range in '" + ExprToString(e) + "' (" +
                             std::to_string(b.as_list().size()) + " items)");
      }
      if (std::floor(d) != d) {  // [1.9] is no item (break22b #10)
        return Status::Error("index " +
                             (e.kids[1]->kind == Expr::Kind::kLiteral ? key.ToText() + " " : "") +
                             "is not a whole number in '" + ExprToString(e) + "'");
      }
      return b.as_list()[static_cast<size_t>(d)];
    }
    if (const Value* v = b.Find(key.ToText())) return *v;
    return Status::Error("'" + ExprToString(*e.kids[0]) + "' has no key " + KeyName(e));
  }

  Result<Value> Unary(const Expr& e) {
    auto v = Eval(*e.kids[0]);
    if (!v.ok() || v.value().is_unknown()) return v.ok() ? UnknownOf(e) : v;
    if (e.text == "!") return Value(!v.value().Truthy());
    if (!v.value().is_number()) return Status::Error("'-' needs a number");
    return Negate(v.value());
  }

  Result<Value> Binary(const Expr& e) {
    auto l = Eval(*e.kids[0]);
    if (!l.ok()) return l;
    const std::string& op = e.text;
    if (op == "&&" || op == "||") {  // short-circuit; yields an operand, like GitHub Actions
      if (l.value().is_unknown()) {
        // Decided whatever the unknown side is: `x && false` is falsy, `x || true` truthy
        // (three-valued logic; a peek at a guard's `if:`, breakZ Z3). The known operand stands
        // for the result; its truth is the result's.
        auto r = Eval(*e.kids[1]);
        if (r.ok() && !r.value().is_unknown() && (op == "&&") != r.value().Truthy()) return r;
        return UnknownOf(e);
      }
      if ((op == "&&") != l.value().Truthy()) return l;
      return Eval(*e.kids[1]);
    }
    auto r = Eval(*e.kids[1]);
    if (!r.ok()) return r;
    if (l.value().is_unknown() || r.value().is_unknown()) return UnknownOf(e);
    if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") {
      return Compare(op, l.value(), r.value());
    }
    return Arithmetic(op, l.value(), r.value());
  }

  Result<Value> Call(const Expr& e) {
    const FunctionInfo* info = FindFunction(e.text);
    if (info == nullptr) return Status::Error("unknown function '" + e.text + "'");
    // The checker reports a wrong count at validation; an unchecked expression must not
    // read past its arguments (found by fuzz_expression).
    int n = static_cast<int>(e.kids.size());
    if (n < info->min_args || (info->max_args >= 0 && n > info->max_args)) {
      return Status::Error("'" + e.text + "' is given " + std::to_string(n) +
                           " argument(s), a wrong count");
    }
    if (info->status && scope_.Peeking()) {  // may change before the step, unless it stays
      std::optional<bool> known = scope_.PeekedStatus(e.text);
      return known ? Value(*known) : UnknownOf(e);
    }
    if (info->status) return Value(scope_.StatusFunction(e.text));
    if (info->place && !scope_.RunBase()) return UnknownOf(e);
    Args args;
    for (const ExprPtr& k : e.kids) {
      auto v = Eval(*k);
      if (!v.ok()) return v;
      if (v.value().is_unknown()) return UnknownOf(e);
      args.push_back(v.value());
    }
    auto out = info->place ? RealPath(args, *scope_.RunBase()) : Functions().at(e.text)(args);
    if (!out.ok()) return out;
    if (out.value().is_string() && out.value().as_string().size() > kMaxValueBytes) {
      return TooLarge((e.text + "()").c_str());
    }
    if (out.value().is_string() && !budget_.Spend(out.value().as_string().size())) {
      return budget_.TooMuchWork();
    }
    return out;
  }

  const EvalScope& scope_;
  EvalBudget& budget_;
};

}  // namespace

bool EvalBudget::Spend(size_t units) {
  // Once spent it stays spent (left -1: as uint64 that read as the largest budget of all).
  if (left < 0 || static_cast<uint64_t>(units) > static_cast<uint64_t>(left)) {
    left = -1;
    return false;
  }
  if (run_left != nullptr) {
    // Taken only when all of it is there, so the total never goes below zero.
    int64_t total = run_left->load(std::memory_order_relaxed);
    do {
      if (static_cast<uint64_t>(units) > static_cast<uint64_t>(total)) {
        // Spent for the rest of the run: what is left would let each later evaluation build
        // its first big value before it fails (break24a W1, W2: ~30 ms an item, ~50 ms an
        // attempt, past the total). Now every later one fails at its first node.
        run_left->store(0, std::memory_order_relaxed);
        left = -1;
        run_spent = true;
        return false;
      }
    } while (!run_left->compare_exchange_weak(total, total - static_cast<int64_t>(units),
                                              std::memory_order_relaxed));
  }
  left -= static_cast<int64_t>(units);
  return true;
}

Status EvalBudget::TooMuchWork() const {
  if (run_spent)
    return Status::Error("the run's expressions take too much work in all (more than " +
                         std::to_string(kMaxRunEvalWork >> 20) +
                         " Mi steps and bytes produced, every step and loop item together); "
                         "simplify them");
  return Status::Error("expression evaluation takes too much work (more than " +
                       std::to_string(kMaxEvalWork >> 20) +
                       " Mi steps and bytes produced); simplify it");
}

size_t ValueBytes(const Value& v) {
  if (v.is_string()) return v.as_string().size();
  size_t n = 8;
  if (v.is_list())
    for (const Value& x : v.as_list()) n += ValueBytes(x);
  if (v.is_map())
    for (const auto& [k, x] : v.as_map()) n += k.size() + ValueBytes(x);
  if (v.is_unknown()) n += v.ToText().size();
  return n;
}

Status EvalBudget::Keep(const Value& value) {
  size_t bytes = ValueBytes(value);
  if (bytes_left >= 0 && static_cast<uint64_t>(bytes) <= static_cast<uint64_t>(bytes_left)) {
    bytes_left -= static_cast<int64_t>(bytes);
    return Status::Ok();
  }
  bytes_left = -1;
  return Status::Error("the values " + owner + " computes would be more than " +
                       std::to_string(kMaxStepValueBytes >> 20) +
                       " MiB in total (the limit on the values of one step's expressions)");
}

Result<Value> Evaluate(const Expr& e, const EvalScope& scope, EvalBudget* budget) {
  EvalBudget own;
  return Evaluator(scope, budget ? *budget : own).Eval(e);
}

}  // namespace runbook
