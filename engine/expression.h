// The ${{ }} expression language: lexer and parser to an AST, the static checker's types
// and the function table. Grammar and semantics: docs/expressions.md. The AST is immutable
// and shared between threads once parsed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/util/value.h"

namespace runbook {

struct Expr {
  enum class Kind { kLiteral, kName, kMember, kIndex, kUnary, kBinary, kCall };
  Kind kind = Kind::kLiteral;
  std::string text;  // name, member, operator or function name
  Value literal;
  std::vector<std::shared_ptr<const Expr>> kids;
  int offset = 0;  // position in the expression source (0-based), for diagnostics
  int length = 1;
  int height = 1;  // levels below and including this node; at most kMaxExprDepth
};
using ExprPtr = std::shared_ptr<const Expr>;

struct ExprError {
  int offset = 0;
  int length = 1;
  std::string message;
};

// Parses the text between ${{ and }}. Nesting, tree height and node count are bounded
// (engine/expression_limits.h); past a limit the error names the offending token.
ExprPtr ParseExpression(const std::string& source, ExprError& error);

// The source form of an expression, for messages and plan output.
std::string ExprToString(const Expr& e);

// If `e` is a chain of names, members and literal-string indexes rooted at a context name
// ("steps.a.outputs.x", "params['p']"), its parts; otherwise nullopt.
std::optional<std::vector<std::string>> ExprPath(const Expr& e);

// Static types known at validate time.
enum class SType { kAny, kNull, kBool, kNumber, kString, kList, kMap };
const char* STypeName(SType t);

struct FunctionInfo {
  const char* name;
  int min_args;
  int max_args;  // -1: any number
  SType result;
  bool status;  // success() failure() always() cancelled(): only in conditions
  bool place;   // realpath(): reads the file system at the run's base (EvalScope::RunBase)
};
const FunctionInfo* FindFunction(const std::string& name);
std::vector<std::string> FunctionNames();

}  // namespace runbook
