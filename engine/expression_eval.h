// Static checking and evaluation of expressions. The scopes say what names mean: the
// loader provides a CheckScope (types of params, declared outputs, upstream steps); the
// executor an EvalScope (the values of this run). Thread-safe given thread-safe scopes.
#pragma once

#include <string>
#include <vector>

#include "engine/expression.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

class CheckScope {
 public:
  virtual ~CheckScope() = default;
  // The static type of a context path (["params","x"]), or an error message saying why
  // the reference is invalid (unknown param, step not upstream, ...). `path` has at
  // least its root.
  virtual SType Lookup(const std::vector<std::string>& path, std::string& error) const = 0;
  // Status functions (success() ...) are allowed only in conditions.
  virtual bool AllowStatusFunctions() const = 0;
};

// The static type of `e`, or kAny when unknown. The first error found is put in `error`
// (with its offset in the expression source).
SType CheckExpression(const Expr& e, const CheckScope& scope, ExprError& error);

class EvalScope {
 public:
  virtual ~EvalScope() = default;
  // The value at a context path; an error when absent. May return Unknown (plan, dry run).
  virtual Result<Value> Lookup(const std::vector<std::string>& path) const = 0;
  // success() failure() always() cancelled() for the step being decided.
  virtual bool StatusFunction(const std::string& name) const = 0;
};

Result<Value> Evaluate(const Expr& e, const EvalScope& scope);

}  // namespace runbook
