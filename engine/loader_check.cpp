// Whole-runbook checks: ids, needs, cycles, RTO marks, and every expression against what
// it may see (params, secrets, env, upstream steps and their declared outputs, run).
#include <filesystem>
#include <set>
#include <unordered_map>

#include "engine/graph.h"
#include "engine/loader_internal.h"
#include "engine/path_roles.h"
#include "engine/util/strings.h"

namespace runbook {

namespace {

// "Did you mean" costs a comparison with every step id, so only the first few unknown step
// references get one: 100,000 unknown needs stay linear instead of quadratic.
constexpr int kMaxStepSuggestions = 20;

// Steps whose downstream set is kept while checking `steps.X` references (a flag per step
// each: 64 x 100,000 steps is 6.4 MB). References to other steps fall back to a search.
constexpr size_t kMaxReachCache = 64;

// The closest step id to `name` while `budget` lasts (it counts down); "" after.
std::string ClosestStep(const std::string& name, const Runbook& rb, int& budget) {
  if (budget <= 0) return "";
  --budget;
  std::vector<std::string> ids;
  for (const StepDecl& s : rb.steps) ids.push_back(s.id);
  return ClosestName(name, ids);
}

void CheckNeeds(FieldReader& r, const Runbook& rb,
                const std::unordered_map<std::string, int>& index) {
  std::vector<std::vector<int>> needs(rb.steps.size());
  int suggestions = kMaxStepSuggestions;
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepDecl& s = rb.steps[i];
    for (size_t k = 0; k < s.needs.size(); ++k) {
      auto it = index.find(s.needs[k]);
      if (it == index.end()) {
        std::string message = "step '" + s.id + "' needs unknown step '" + s.needs[k] + "'";
        std::string close = ClosestStep(s.needs[k], rb, suggestions);
        if (!close.empty()) message += "; did you mean '" + close + "'?";
        r.Error(s.needs_loc[k], message);
      } else if (!s.is_finally && rb.steps[it->second].is_finally) {
        r.Error(s.needs_loc[k], "step '" + s.id + "' needs '" + s.needs[k] +
                                    "', a finally step; finally steps run after all steps");
      } else if (s.is_finally && !rb.steps[it->second].is_finally) {  // breakM M21
        r.Error(s.needs_loc[k], "finally step '" + s.id + "' needs '" + s.needs[k] +
                                    "', a main step; a finally step runs after every main step "
                                    "whatever its outcome, so it may need only finally steps "
                                    "(to act on a main step's result, use `if:`)");
      } else {
        needs[i].push_back(it->second);
      }
    }
  }
  if (auto cycle = FindCycle(needs)) {
    std::vector<std::string> names;
    for (int n : *cycle) names.push_back(rb.steps[n].id);
    const StepDecl& first = rb.steps[(*cycle)[0]];
    Loc loc = first.needs_loc.empty() ? first.loc : first.needs_loc[0];
    for (size_t k = 0; k < first.needs.size(); ++k) {
      if (first.needs[k] == names[1]) loc = first.needs_loc[k];
    }
    r.Error(loc, "dependency cycle: " + Join(names, " -> "));
  }
}

void CheckRtoMarks(FieldReader& r, const Runbook& rb) {
  const StepDecl* start = nullptr;
  const StepDecl* end = nullptr;
  for (const StepDecl& s : rb.steps) {
    const StepDecl*& seen = s.rto == RtoMark::kStart ? start : end;
    if (s.rto == RtoMark::kNone) continue;
    if (seen != nullptr) {
      r.Error(s.loc, "more than one step marked 'rto: " +
                         std::string(s.rto == RtoMark::kStart ? "start" : "end") + "' ('" +
                         seen->id + "' and '" + s.id + "')");
    }
    seen = &s;
  }
  if (start == nullptr || end == nullptr || start == end) return;
  // The clock must start before it stops: the end step needs the start step, directly or
  // through others, or is a finally step while the start is not (those run after every main
  // step). Otherwise it may finish first (breakP P15: a start step that needed the end step;
  // breakQ Q10: two unrelated branches) and the RTO comes out negative, and "met".
  bool after = end->is_finally && !start->is_finally;
  std::vector<const StepDecl*> work{end};
  std::set<std::string> seen;
  while (!after && !work.empty()) {
    const StepDecl* s = work.back();
    work.pop_back();
    for (const std::string& need : s->needs) {
      const StepDecl* up = rb.FindStep(need);
      if (up == nullptr || !seen.insert(need).second) continue;
      after = after || up == start;
      work.push_back(up);
    }
  }
  if (!after && start->is_finally && !end->is_finally)  // breakR R7: needs could not fix it
    r.Error(end->loc, "step '" + end->id + "' is marked 'rto: end' but '" + start->id +
                          "', marked 'rto: start', is a finally step: it runs after every main "
                          "step, so the clock would stop before it starts; mark a main step "
                          "'rto: start', or a finally step that needs '" +
                          start->id + "' 'rto: end'");
  else if (!after)
    r.Error(end->loc, "step '" + end->id + "' is marked 'rto: end' but does not need '" +
                          start->id +
                          "', marked 'rto: start' (directly or through other steps): "
                          "it may finish before the RTO clock starts; add '" +
                          start->id + "' to its needs");
}

// What an expression in one place of the runbook may refer to.
class Scope : public CheckScope {
 public:
  Scope(const Runbook& rb, const std::unordered_map<std::string, int>& index)
      : rb_(rb), index_(index), seen_(rb.steps.size(), 0) {}

  void Enter(const StepDecl* step, bool in_condition) {
    step_ = step;
    in_condition_ = in_condition;
    in_lock_ = false;
    in_loop_list_ = false;
    in_outputs_ = false;
    env_index_.reset();
  }
  // A used runbook's `outputs:` (engine/calls.h): read once every main step is done.
  void EnterOutputs() {
    Enter(nullptr, false);
    in_outputs_ = true;
  }
  // A step's `for_each`, evaluated when the run starts, before any step (engine/loops.h):
  // params only.
  void EnterLoopList(const StepDecl* step) {
    Enter(step, false);
    in_loop_list_ = true;
  }
  // The value of entry `index` of an `env:` (the runbook's when `step` is null, else the
  // step's): entries are resolved in order, so it reads only those before it (breakJJ JJ1:
  // a forward, self or cyclic reference passed validate and failed the run).
  void EnterEnv(const StepDecl* step, size_t index) {
    Enter(step, false);
    env_index_ = index;
  }
  // The runbook's `lock:`, taken before the run starts: params and secrets only (breakJJ
  // JJ2: env and run.* passed validate, then the run refused the lock).
  void EnterLock() {
    Enter(nullptr, false);
    in_lock_ = true;
  }

  bool AllowStatusFunctions() const override { return in_condition_; }

  SType Lookup(const std::vector<std::string>& path, std::string& error) const override {
    const std::string& root = path[0];
    if (in_lock_ && root != "params" && root != "secrets") {
      error =
          "a lock is taken before the run starts: it may read params and secrets only, "
          "not '" +
          root + "'";
      return SType::kAny;
    }
    if (in_loop_list_ && root != "params") {
      error =
          "for_each is evaluated when the run starts, before any step: it may read params "
          "only, not '" +
          root + "'";
      return SType::kAny;
    }
    if (root == "item" || root == "index") return LoopName(path, error);
    if (root == "params") return Params(path, error);
    if (root == "secrets") return Named(path, SecretNames(), "secret", error);
    if (root == "env") return Env(path, error);
    if (root == "steps") return Steps(path, error);
    if (root == "run")
      return Named(path, {"id", "status", "elapsed", "dry_run"}, "run field", error, true);
    std::string close = ClosestName(root, {"params", "secrets", "env", "steps", "run"});
    error = "unknown name '" + root + "'" +
            (close.empty() ? "; expected params, secrets, env, steps or run"
                           : "; did you mean '" + close + "'?");
    return SType::kAny;
  }

 private:
  // `item` (the item's value: any type) and `index` (from 0), in a step with for_each.
  SType LoopName(const std::vector<std::string>& path, std::string& error) const {
    if (step_ == nullptr || !step_->loop) {
      error = "'" + path[0] + "' is defined only in a step with for_each";
      return SType::kAny;
    }
    if (path[0] == "index") return Leaf(path, 0, SType::kNumber, error);
    return ItemField(path, error);
  }

  // `item.KEY` of a loop over a list written in the file: every item must have KEY (break19
  // L10: a typo passed validate and failed each item at run time). A list from params is
  // known only when the run starts.
  SType ItemField(const std::vector<std::string>& path, std::string& error) const {
    if (path.size() < 2) return SType::kAny;
    std::optional<Value> items = step_->loop->items.StaticValue();
    if (!items || !items->is_list()) return SType::kAny;
    std::vector<std::string> keys;
    for (const Value& item : items->as_list()) {
      if (!item.is_map()) {
        error = "'item." + path[1] + "': the items of for_each are not all mappings";
        return SType::kAny;
      }
      if (item.Find(path[1]) == nullptr) {
        for (const auto& [k, v] : item.as_map()) keys.push_back(k);
        std::string close = ClosestName(path[1], keys);
        error =
            "an item of for_each has no key '" + path[1] + "'" +
            (close.empty() ? "; it has: " + Join(keys, ", ") : "; did you mean '" + close + "'?");
        return SType::kAny;
      }
    }
    return SType::kAny;
  }

  static SType Leaf(const std::vector<std::string>& path, size_t leaf, SType t,
                    std::string& error) {
    if (path.size() > leaf + 1 && t != SType::kAny && t != SType::kMap && t != SType::kList) {
      error = "'" + Join(std::vector<std::string>(path.begin(), path.begin() + leaf + 1), ".") +
              "' is a " + STypeName(t) + " and has no field '" + path[leaf + 1] + "'";
    }
    return path.size() > leaf + 1 ? SType::kAny : t;
  }

  SType Named(const std::vector<std::string>& path, const std::vector<std::string>& names,
              const std::string& what, std::string& error, bool run = false) const {
    if (path.size() < 2) return SType::kMap;
    for (const std::string& n : names) {
      if (n != path[1]) continue;
      SType t = !run             ? SType::kString
                : n == "elapsed" ? SType::kNumber
                : n == "dry_run" ? SType::kBool
                                 : SType::kString;
      return Leaf(path, 1, t, error);
    }
    std::string close = ClosestName(path[1], names);
    error = "unknown " + what + " '" + path[1] + "'" +
            (close.empty() ? "" : "; did you mean '" + close + "'?");
    if (what == "env variable" && close.empty()) {
      error += "; declare it in the runbook's or the step's env";
    }
    return SType::kAny;
  }

  // `env.<NAME>`: the runbook's env, and the step's own except in its `if:`, judged before
  // the step's env is set (as in GitHub Actions; breakII2 II2-4: validate passed it, the run
  // failed the step "env 'X' is not set"). Bare `env` names no variable, at run time either.
  SType Env(const std::vector<std::string>& path, std::string& error) const {
    if (path.size() < 2) {
      error = "'env' must name a variable: env.<NAME>";
      return SType::kAny;
    }
    auto has = [&](const TemplateMap& env) {
      return std::any_of(env.begin(), env.end(),
                         [&](const auto& kv) { return kv.first == path[1]; });
    };
    if (in_condition_ && step_ != nullptr && has(step_->env) && !has(rb_.env)) {
      error = "env '" + path[1] + "' is set by this step's own env:, which is not set yet when " +
              "its if: is judged; read the value it is made from (a param, a secret, a step's " +
              "output), or set it in the runbook's env";
      return SType::kAny;
    }
    std::vector<std::string> visible = EnvNames();
    if (env_index_ && std::find(visible.begin(), visible.end(), path[1]) == visible.end()) {
      const TemplateMap& env = step_ != nullptr ? step_->env : rb_.env;
      for (size_t i = *env_index_; i < env.size(); ++i)
        if (env[i].first == path[1]) {
          error = "env '" + path[1] + "' is " +
                  (i == *env_index_ ? std::string("this entry itself")
                                    : "set after this entry (env entries are resolved in "
                                      "order)") +
                  ": read only entries above it";
          return SType::kAny;
        }
    }
    return Named(path, visible, "env variable", error);
  }

  SType Params(const std::vector<std::string>& path, std::string& error) const {
    if (path.size() < 2) return SType::kMap;
    std::vector<std::string> names;
    for (const ParamSpec& p : rb_.params) {
      if (p.name == path[1]) return Leaf(path, 1, StaticTypeOfParam(p.type), error);
      names.push_back(p.name);
    }
    std::string close = ClosestName(path[1], names);
    error = "unknown param '" + path[1] + "'" +
            (close.empty() ? "" : "; did you mean '" + close + "'?");
    return SType::kAny;
  }

  std::vector<std::string> SecretNames() const {
    std::vector<std::string> names;
    for (const SecretDecl& s : rb_.secrets) names.push_back(s.name);
    return names;
  }

  // The env names visible here: the runbook's, then the step's; in an env value, only the
  // entries before it (of the runbook's env for its own values).
  std::vector<std::string> EnvNames() const {
    std::vector<std::string> names;
    size_t own = env_index_.value_or(SIZE_MAX);
    for (size_t i = 0; i < rb_.env.size() && (step_ != nullptr || i < own); ++i)
      names.push_back(rb_.env[i].first);
    if (step_ != nullptr)
      for (size_t i = 0; i < step_->env.size() && i < own; ++i)
        names.push_back(step_->env[i].first);
    return names;
  }

  // Whether `target` is among the transitive needs of `step`: a search from `step` that
  // stops at the first hit (usually a direct need), so a long chain stays linear.
  bool Reaches(int step, int target) const {
    ++epoch_;
    std::vector<int>& work = work_;
    work.assign(1, step);
    while (!work.empty()) {
      int s = work.back();
      work.pop_back();
      for (const std::string& need : rb_.steps[s].needs) {
        auto it = index_.find(need);
        if (it == index_.end() || seen_[it->second] == epoch_) continue;
        if (it->second == target) return true;
        seen_[it->second] = epoch_;
        work.push_back(it->second);
      }
    }
    return false;
  }

  SType Steps(const std::vector<std::string>& path, std::string& error) const {
    if (path.size() < 2) {
      error = "'steps' must name a step: steps.<id>.outputs.<name> or steps.<id>.outcome";
      return SType::kAny;
    }
    auto it = index_.find(path[1]);
    if (it == index_.end()) {
      std::string close = ClosestStep(path[1], rb_, suggestions_);
      error = "unknown step '" + path[1] + "'" +
              (close.empty() ? "" : "; did you mean '" + close + "'?");
      return SType::kAny;
    }
    const StepDecl& target = rb_.steps[it->second];
    if (!IsUpstream(it->second)) {
      error = "step '" + target.id + "' is not upstream of " +
              (step_ ? "step '" + step_->id + "'" : std::string("this expression")) +
              (in_outputs_ ? " (outputs read main steps, not finally ones)" : "; add it to needs");
      return SType::kAny;
    }
    if (path.size() < 3 || (path[2] != "outputs" && path[2] != "outcome")) {
      error = "expected steps." + target.id + ".outputs.<name> or steps." + target.id + ".outcome";
      return SType::kAny;
    }
    if (path[2] == "outcome") return Leaf(path, 2, SType::kString, error);
    if (path.size() < 4) return SType::kMap;
    SType t = Output(target, path, error);
    // A loop's output is the list of its items' (engine/loops.h), in item order.
    return target.loop && error.empty() ? Leaf(path, 3, SType::kList, error) : t;
  }

  bool IsUpstream(int target) const {
    if (in_outputs_) return !rb_.steps[target].is_finally;
    if (step_ == nullptr) return false;
    int self = index_.at(step_->id);
    if (step_->is_finally && !rb_.steps[target].is_finally) return true;
    for (const std::string& need : step_->needs) {
      if (need == rb_.steps[target].id) return true;
    }
    if (const std::vector<char>* below = Below(target)) return (*below)[self] != 0;
    return Reaches(self, target);
  }

  // The steps downstream of `target`, a flag per step, for the first kMaxReachCache targets
  // referenced: a long chain whose steps all read one step's outputs costs one pass over the
  // graph, not a search per step (that was quadratic: 20,000 steps took over a minute).
  const std::vector<char>* Below(int target) const {
    auto it = below_.find(target);
    if (it != below_.end()) return &it->second;
    if (below_.size() >= kMaxReachCache) return nullptr;
    if (dependents_.empty()) {
      dependents_.resize(rb_.steps.size());
      for (size_t i = 0; i < rb_.steps.size(); ++i) {
        for (const std::string& need : rb_.steps[i].needs) {
          auto n = index_.find(need);
          if (n != index_.end()) dependents_[n->second].push_back(static_cast<int>(i));
        }
      }
    }
    std::vector<char> below(rb_.steps.size(), 0);
    std::vector<int> work{target};
    while (!work.empty()) {
      int s = work.back();
      work.pop_back();
      for (int d : dependents_[s]) {
        if (!below[d]) work.push_back(d);
        below[d] = 1;
      }
    }
    return &below_.emplace(target, std::move(below)).first->second;
  }

  static SType Output(const StepDecl& target, const std::vector<std::string>& path,
                      std::string& error) {
    if (target.type == nullptr) return SType::kAny;
    const StepSpec& spec = target.type->spec();
    if (const OutputSpec* o = spec.FindOutput(path[3])) {
      return Leaf(path, 3, StaticTypeOfParam(o->type), error);
    }
    if (spec.open_outputs) return Leaf(path, 3, SType::kAny, error);
    std::vector<std::string> names;
    for (const OutputSpec& o : spec.outputs) names.push_back(o.name);
    std::string close = ClosestName(path[3], names);
    error = "step '" + target.id + "' (" + spec.type + ") has no output '" + path[3] + "'" +
            (close.empty() ? "; it has: " + Join(names, ", ") : "; did you mean '" + close + "'?");
    return SType::kAny;
  }

  const Runbook& rb_;
  const std::unordered_map<std::string, int>& index_;
  mutable std::vector<unsigned> seen_;  // Reaches(): visited marks, by epoch
  mutable std::vector<int> work_;
  mutable unsigned epoch_ = 0;
  mutable int suggestions_ = kMaxStepSuggestions;             // ClosestStep()
  mutable std::vector<std::vector<int>> dependents_;          // Below(), built once
  mutable std::unordered_map<int, std::vector<char>> below_;  // Below(), by target
  const StepDecl* step_ = nullptr;
  bool in_condition_ = false;
  bool in_lock_ = false;
  bool in_loop_list_ = false;
  bool in_outputs_ = false;
  std::optional<size_t> env_index_;
};

bool Compatible(SType have, ParamType want) {
  if (have == SType::kAny || have == SType::kNull || want == ParamType::kAny ||
      want == ParamType::kValue)
    return true;
  switch (want) {
    case ParamType::kString:
    case ParamType::kDuration:
      return have == SType::kString;
    case ParamType::kInteger:
    case ParamType::kNumber:
      return have == SType::kNumber;
    case ParamType::kBoolean:
      return have == SType::kBool;
    case ParamType::kStringList:
      return have == SType::kList || have == SType::kString;
    case ParamType::kList:
      return have == SType::kList;
    case ParamType::kStringMap:
    case ParamType::kMap:
      return have == SType::kMap;
    case ParamType::kAny:
    case ParamType::kValue:
      return true;
  }
  return true;
}

bool CallsStatus(const Expr& e) {
  if (e.kind == Expr::Kind::kCall) {
    const FunctionInfo* f = FindFunction(e.text);
    if (f && f->status) return true;
  }
  for (const ExprPtr& k : e.kids) {
    if (CallsStatus(*k)) return true;
  }
  return false;
}

class ExpressionChecker {
 public:
  ExpressionChecker(FieldReader& r, Scope& scope) : r_(r), scope_(scope) {}

  // Checks every expression in `node`; returns the static type when it is one whole one.
  SType Tree(const TNode& node) {
    switch (node.kind) {
      case TNode::Kind::kLiteral:
        return SType::kAny;
      case TNode::Kind::kTemplate:
        return Template(node);
      case TNode::Kind::kList:
        for (const TNode& item : node.items) Tree(item);
        return SType::kList;
      case TNode::Kind::kMap:
        for (const auto& [k, item] : node.entries) Tree(item);
        return SType::kMap;
    }
    return SType::kAny;
  }

  SType Template(const TNode& node) {
    SType result = SType::kString;
    for (const Template::Part& part : node.tmpl.parts) {
      if (!part.expr) continue;
      ExprError error;
      SType t = CheckExpression(*part.expr, scope_, error);
      if (!error.message.empty()) {
        r_.Error(
            r_.LocIn(node.loc, node.text, node.quoted, part.offset + error.offset, error.length),
            error.message);
      }
      if (node.tmpl.whole) result = t;
    }
    return result;
  }

 private:
  FieldReader& r_;
  Scope& scope_;
};

void CheckStepExpressions(FieldReader& r, Scope& scope, StepDecl& step) {
  ExpressionChecker check(r, scope);
  if (step.loop) {
    scope.EnterLoopList(&step);
    SType t = check.Tree(step.loop->items);
    if (step.loop->items.kind == TNode::Kind::kTemplate && step.loop->items.tmpl.whole &&
        t != SType::kAny && t != SType::kList)
      r.Error(step.loop->loc,
              std::string("for_each must give a list, but the expression is a ") + STypeName(t));
  }
  scope.Enter(&step, false);
  for (const auto& [key, value] : step.with.entries) {
    SType t = check.Tree(value);
    const ParamSpec* p = step.type ? step.type->spec().FindParam(key) : nullptr;
    if (p != nullptr && value.kind == TNode::Kind::kTemplate && value.tmpl.whole &&
        !Compatible(t, p->type)) {
      r.Error(value.loc, "parameter '" + key + "' expects " + ParamTypeName(p->type) +
                             ", but the expression is a " + STypeName(t));
    }
  }
  for (size_t i = 0; i < step.env.size(); ++i) {
    scope.EnterEnv(&step, i);
    check.Tree(step.env[i].second);
  }
  if (step.condition) {
    scope.Enter(&step, true);
    SType t = check.Tree(*step.condition);
    if (t != SType::kAny && t != SType::kBool && step.condition->tmpl.whole) {
      r.Error(step.condition->loc,
              std::string("if must be a boolean expression, found a ") + STypeName(t));
    }
    for (const auto& part : step.condition->tmpl.parts) {
      if (part.expr && CallsStatus(*part.expr)) step.condition_has_status = true;
    }
  }
}

}  // namespace

void CheckSteps(FieldReader& r, const Runbook& rb) {
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepDecl& s = rb.steps[i];
    if (s.id.empty()) continue;
    auto [it, inserted] = index.emplace(s.id, static_cast<int>(i));
    if (!inserted) {
      r.Error(s.id_loc, "duplicate step id '" + s.id + "' (first defined at line " +
                            std::to_string(rb.steps[it->second].id_loc.line) + ")");
    }
  }
  CheckNeeds(r, rb, index);
  CheckRtoMarks(r, rb);
}

void CheckExpressions(FieldReader& r, Runbook& rb) {
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < rb.steps.size(); ++i) index.emplace(rb.steps[i].id, static_cast<int>(i));
  Scope scope(rb, index);
  ExpressionChecker check(r, scope);
  for (size_t i = 0; i < rb.env.size(); ++i) {
    scope.EnterEnv(nullptr, i);
    check.Tree(rb.env[i].second);
  }
  scope.EnterLock();
  if (rb.lock) check.Tree(*rb.lock);
  scope.Enter(nullptr, false);
  for (const NotifyDecl& n : rb.notify) check.Tree(n.config);
  for (StepDecl& step : rb.steps) CheckStepExpressions(r, scope, step);
}

void CheckOutputs(FieldReader& r, const Runbook& rb) {
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < rb.steps.size(); ++i) index.emplace(rb.steps[i].id, static_cast<int>(i));
  Scope scope(rb, index);
  scope.EnterOutputs();
  ExpressionChecker check(r, scope);
  for (const auto& [name, value] : rb.outputs) check.Tree(value);
}

void CheckPathRoles(FieldReader& r, const Runbook& rb) {
  std::error_code ec;
  std::filesystem::path folder = std::filesystem::path(rb.path()).parent_path();
  std::filesystem::path base = std::filesystem::absolute(folder.empty() ? "." : folder, ec);
  if (ec) return;
  if (!rb.working_directory.empty()) base /= rb.working_directory;
  for (const LoadClash& c : LoadTimeClashes(rb, base.lexically_normal().string())) {
    const StepDecl& step = rb.steps[c.step];
    const TNode* node = step.With(c.param);
    r.Error(node != nullptr ? node->loc : step.with_loc, c.message);
  }
}

}  // namespace runbook
