// Static checking: every name resolves, every function exists with the right arity,
// operand types that are known agree.
#include <algorithm>
#include <cstdlib>

#include "engine/expression_eval.h"
#include "engine/expression_limits.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

class Checker {
 public:
  Checker(const CheckScope& scope, ExprError& error) : scope_(scope), error_(error) {}

  SType Check(const Expr& e) {
    if (!error_.message.empty()) return SType::kAny;
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return LiteralType(e.literal);
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
    return SType::kAny;
  }

 private:
  SType Fail(const Expr& e, std::string message) {
    if (error_.message.empty()) error_ = {e.offset, e.length, std::move(message)};
    return SType::kAny;
  }

  static SType LiteralType(const Value& v) {
    if (v.is_bool()) return SType::kBool;
    if (v.is_number()) return SType::kNumber;
    if (v.is_string()) return SType::kString;
    return SType::kNull;
  }

  SType Access(const Expr& e) {
    if (auto path = ExprPath(e)) {
      std::string error;
      SType t = scope_.Lookup(*path, error);
      if (!error.empty()) return Fail(e, error);
      return t;
    }
    if (e.kind == Expr::Kind::kName) return Fail(e, "unknown name '" + e.text + "'");
    SType base = Check(*e.kids[0]);
    if (e.kind == Expr::Kind::kIndex) Check(*e.kids[1]);
    if (base != SType::kAny && base != SType::kMap && base != SType::kList) {
      return Fail(e, std::string("cannot index a ") + STypeName(base));
    }
    return SType::kAny;
  }

  SType Unary(const Expr& e) {
    SType t = Check(*e.kids[0]);
    if (e.text == "!") return SType::kBool;
    if (t != SType::kAny && t != SType::kNumber) {
      return Fail(e, std::string("'-' needs a number, found a ") + STypeName(t));
    }
    return SType::kNumber;
  }

  SType Binary(const Expr& e) {
    SType l = Check(*e.kids[0]);
    SType r = Check(*e.kids[1]);
    const std::string& op = e.text;
    if (op == "==" || op == "!=") return SType::kBool;
    if (op == "&&" || op == "||") return l == r ? l : SType::kAny;
    auto known = [](SType t) { return t != SType::kAny; };
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      bool ok = (!known(l) || l == SType::kNumber || l == SType::kString) &&
                (!known(r) || r == SType::kNumber || r == SType::kString) &&
                (!known(l) || !known(r) || l == r);
      if (!ok)
        return Fail(e, "cannot compare a " + std::string(STypeName(l)) + " with a " + STypeName(r));
      return SType::kBool;
    }
    if (op == "+" && (l == SType::kString || r == SType::kString)) {
      if (known(l) && known(r) && l != r) {
        return Fail(e, "cannot add a " + std::string(STypeName(l)) + " and a " + STypeName(r) +
                           "; use format() to build text");
      }
      return SType::kString;
    }
    for (SType t : {l, r}) {
      if (known(t) && t != SType::kNumber) {
        return Fail(e, "'" + op + "' needs numbers, found a " + STypeName(t));
      }
    }
    return SType::kNumber;
  }

  SType Call(const Expr& e) {
    const FunctionInfo* f = FindFunction(e.text);
    if (f == nullptr) {
      std::string message = "unknown function '" + e.text + "'";
      std::string close = ClosestName(e.text, FunctionNames());
      if (!close.empty()) message += "; did you mean '" + close + "'?";
      return Fail(e, message);
    }
    if (f->status && !scope_.AllowStatusFunctions()) {
      return Fail(e, "'" + e.text + "()' can only be used in a step's 'if'");
    }
    int n = static_cast<int>(e.kids.size());
    if (n < f->min_args || (f->max_args >= 0 && n > f->max_args)) {
      std::string want = f->min_args == f->max_args ? std::to_string(f->min_args)
                         : f->max_args < 0
                             ? "at least " + std::to_string(f->min_args)
                             : std::to_string(f->min_args) + " to " + std::to_string(f->max_args);
      return Fail(e, "'" + e.text + "' takes " + want + " argument(s), found " + std::to_string(n));
    }
    for (const ExprPtr& arg : e.kids) Check(*arg);
    return f->result;
  }

  const CheckScope& scope_;
  ExprError& error_;
};

// A lower bound on the text `e` produces, known from its literals alone (0 when nothing is
// known), saturating just past kMaxValueBytes. The first node found over the limit (the
// innermost: children are bounded first) goes to `over`. This finds `format()` nested deep
// around a literal at validation; what depends on run-time values is bounded at run time.
class SizeBound {
 public:
  size_t Of(const Expr& e) {
    size_t n = Raw(e);
    if (n > kMaxValueBytes && over_ == nullptr) over_ = &e;
    return std::min(n, kMaxValueBytes + 1);
  }
  const Expr* over() const { return over_; }

 private:
  size_t Raw(const Expr& e) {
    if (e.kind == Expr::Kind::kLiteral)
      return e.literal.is_string() ? e.literal.as_string().size() : 0;
    if (e.kind == Expr::Kind::kBinary) {
      size_t l = Of(*e.kids[0]), r = Of(*e.kids[1]);
      if (e.text == "+") return l + r;
      return e.text == "&&" || e.text == "||" ? std::min(l, r) : 0;
    }
    if (e.kind != Expr::Kind::kCall) return 0;
    std::vector<size_t> args;
    for (const ExprPtr& k : e.kids) args.push_back(Of(*k));
    if (e.text == "toJSON") return args[0];
    if (e.text != "format" || e.kids[0]->kind != Expr::Kind::kLiteral) return 0;
    return Format(e.kids[0]->literal.ToText(), args);
  }

  // format(), as the evaluator reads it: `{{` and `}}` are one character, `{N}` the bound of
  // argument N. A malformed placeholder ends the count (the evaluator fails there).
  static size_t Format(const std::string& f, const std::vector<size_t>& args) {
    size_t total = 0;
    for (size_t i = 0; i < f.size() && total <= kMaxValueBytes; ++i) {
      bool escape = (f[i] == '{' || f[i] == '}') && i + 1 < f.size() && f[i + 1] == f[i];
      if (escape || f[i] != '{') {
        i += escape ? 1 : 0;
        ++total;
        continue;
      }
      size_t close = f.find('}', i);
      if (close == std::string::npos || close == i + 1 || close - i - 1 > 3) return total;
      if (f.find_first_not_of("0123456789", i + 1) != close) return total;
      size_t index = std::strtoul(f.c_str() + i + 1, nullptr, 10) + 1;
      if (index >= args.size()) return total;
      total += args[index];
      i = close;
    }
    return total;
  }

  const Expr* over_ = nullptr;
};

}  // namespace

SType CheckExpression(const Expr& e, const CheckScope& scope, ExprError& error) {
  error = {};
  SType type = Checker(scope, error).Check(e);
  if (!error.message.empty()) return type;
  SizeBound bound;
  bound.Of(e);
  if (const Expr* over = bound.over()) {
    std::string what = over->kind == Expr::Kind::kCall     ? over->text + "()"
                       : over->kind == Expr::Kind::kBinary ? "'" + over->text + "'"
                                                           : "this value";
    error = {over->offset, over->length,
             what + " would produce more than " + std::to_string(kMaxValueBytes >> 20) +
                 " MiB of text (the limit on a value)"};
  }
  return type;
}

}  // namespace runbook
