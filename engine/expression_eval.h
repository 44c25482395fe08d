// Static checking and evaluation of expressions. The scopes say what names mean: the
// loader provides a CheckScope (types of params, declared outputs, upstream steps); the
// executor an EvalScope (the values of this run). Thread-safe given thread-safe scopes.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "engine/expression.h"
#include "engine/expression_limits.h"
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
  // True while values are looked at ahead of their step (engine/path_roles.h, a peek):
  // status functions then give PeekedStatus, else Unknown, as what they read may change
  // before the step runs.
  virtual bool Peeking() const { return false; }
  // While peeking: the value of status function `name` (success, failure, always, cancelled)
  // that stays whatever happens until the step runs, a resume included; nullopt when it may
  // change.
  virtual std::optional<bool> PeekedStatus(const std::string& name) const {
    (void)name;
    return std::nullopt;
  }
  // The absolute folder realpath() resolves relative paths against (the run's base), or
  // nullopt where there is no run (plan): realpath() is then unknown.
  virtual std::optional<std::string> RunBase() const { return std::nullopt; }
  // The work units the whole run may still spend (kMaxRunEvalWork), shared by every budget
  // evaluated through this scope; null where there is no such total.
  virtual std::atomic<int64_t>* RunWorkLeft() const { return nullptr; }
};

// The bytes a value holds as the budgets count them: its strings' text, a mapping's keys, and
// 8 per value.
size_t ValueBytes(const Value& v);

// The work one evaluation may still do (kMaxEvalWork): a node evaluated costs one unit, a
// byte of text produced one unit; and the bytes of values it may still keep
// (kMaxStepValueBytes). Share one budget across every expression of a step (its `env` and
// `with`) so the step is bounded, not each expression alone.
struct EvalBudget {
  int64_t left = kMaxEvalWork;
  int64_t bytes_left = static_cast<int64_t>(kMaxStepValueBytes);
  std::string owner = "this step";  // who spends it, for the message: "step 'a'"
  // The run's total (EvalScope::RunWorkLeft), spent from as well; set from the scope by the
  // first evaluation when null. Atomic: attempts resolve on worker threads.
  std::atomic<int64_t>* run_left = nullptr;
  bool run_spent = false;  // the run's total ran out (not this budget's own)
  // Spends `units` from this budget and the run's total; false (and the budget exhausted)
  // when they exceed either.
  bool Spend(size_t units);
  // Why Spend failed, in words: this evaluation's limit or the run's total.
  Status TooMuchWork() const;
  // Charges a value kept (its size: text, keys, 8 bytes per other item); on failure the
  // error names the owner and the limit.
  Status Keep(const Value& value);
};

// The value of `e`. Errors: a missing name, a type mismatch, division by zero, and the
// limits of engine/expression_limits.h (a value over kMaxValueBytes or kMaxValueItems, the
// budget spent). Without `budget`, a fresh one.
Result<Value> Evaluate(const Expr& e, const EvalScope& scope, EvalBudget* budget = nullptr);

}  // namespace runbook
