// Static checking: every name resolves, every function exists with the right arity,
// operand types that are known agree.
#include <algorithm>

#include "engine/expression_eval.h"
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

}  // namespace

SType CheckExpression(const Expr& e, const CheckScope& scope, ExprError& error) {
  error = {};
  return Checker(scope, error).Check(e);
}

}  // namespace runbook
