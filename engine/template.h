// Templated values: strings holding ${{ }} expressions, and trees of them (a step's
// `with`, `env`). Parsed once at load time; resolved against an EvalScope at run time.
// Immutable after loading; safe to share between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/expression.h"
#include "engine/expression_eval.h"
#include "engine/source/location.h"
#include "engine/util/value.h"

namespace runbook {

struct Template {
  struct Part {
    std::string literal;  // text before the expression (or the whole text when no expr)
    ExprPtr expr;         // null for a trailing literal
    std::string source;   // the expression's text
    int offset = 0;       // where the expression's text starts in the string
  };
  std::vector<Part> parts;
  bool whole = false;  // the string is exactly one ${{ }}: the value keeps its type

  bool has_expressions() const;
};

// Splits a string into literal text and expressions. Errors carry offsets into `text`.
std::optional<Template> ParseTemplate(const std::string& text, ExprError& error);
bool HasExpressionMarker(const std::string& text);

// Evaluates a template: a whole expression keeps its type; otherwise the parts are joined
// as text. An Unknown part makes the result Unknown (shown with its ${{ }} in plans). The
// text is at most kMaxValueBytes; the work and the result's bytes (kMaxStepValueBytes) are
// charged to `budget` (a fresh one when null).
Result<Value> RenderTemplate(const Template& t, const EvalScope& scope,
                             EvalBudget* budget = nullptr);

// `error` with " (at line L, column C)" of `loc` appended, and `loc` as its site (Status::site:
// an error placed already keeps its own); unchanged when `loc` is unknown.
Status LocateError(const Status& error, const Loc& loc);
// " (at line L, column C)": what LocateError appends.
std::string LocationWords(int line, int col);
// `message` with each location LocateError wrote "(at line L, column C)" naming `file` too:
// "(at lib/x.yaml line L, column C)", for a step of a used runbook, whose lines are that
// file's (engine/calls.h; break20 #8). A location that names its file already is left as it is.
// `message` unchanged when `file` is "".
std::string InSourceFile(const std::string& message, const std::string& file);

// A tree of values where strings may be templates.
struct TNode {
  enum class Kind { kLiteral, kTemplate, kList, kMap };
  Kind kind = Kind::kLiteral;
  Value literal;
  Template tmpl;
  std::vector<TNode> items;
  std::vector<std::pair<std::string, TNode>> entries;
  Loc loc;
  std::string text;     // templates: the scalar as written, to locate expression errors
  bool quoted = false;  // templates: the scalar was quoted

  // Out of line: `entries` holds TNode, incomplete here (clang rejects inline ones).
  TNode();
  ~TNode();
  TNode(const TNode&);
  TNode(TNode&&) noexcept;
  TNode& operator=(const TNode&);
  TNode& operator=(TNode&&) noexcept;

  bool has_expressions() const;
  // The value when it holds no expressions.
  std::optional<Value> StaticValue() const;
  // The value with each template that holds an expression as an Unknown (its source text):
  // what can be checked at load time around the parts known only at run time (breakR R8).
  Value ShapeValue() const;
};

// The tree's values, charged to `budget` (pass a step's one budget to every tree of the step;
// a fresh one when null). An error from a template names the template's line and column.
Result<Value> ResolveTree(const TNode& node, const EvalScope& scope, EvalBudget* budget = nullptr);

}  // namespace runbook
