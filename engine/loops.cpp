#include "engine/loops.h"

#include <string>
#include <unordered_map>
#include <utility>

#include "engine/run_scope.h"
#include "engine/template.h"

namespace runbook {
namespace {

// What a `for_each` expression sees: the run's params, nothing else (the list is needed
// before any step runs; the loader refuses other names, this repeats it for safety).
class ParamsScope final : public EvalScope {
 public:
  explicit ParamsScope(const Value::Map& params) : params_(params) {}

  Result<Value> Lookup(const std::vector<std::string>& path) const override {
    if (path[0] != "params") return Status::Error("for_each may read params only");
    return LookupParam(params_, path);
  }
  bool StatusFunction(const std::string&) const override { return false; }

 private:
  const Value::Map& params_;
};

Status Located(const StepDecl& loop, const std::string& message) {
  return LocateError(Status::Error("for_each of step '" + loop.id + "' " + message),
                     loop.loop->loc);
}

// The list a loop runs over; nullopt (no error) when it is not known and `plan_unset`.
Result<std::optional<Value::List>> ItemsOf(const StepDecl& loop, const ParamsScope& scope,
                                           bool plan_unset) {
  auto value = ResolveTree(loop.loop->items, scope);
  if (!value.ok())
    return Status::Error("for_each of step '" + loop.id + "': " + value.status().message());
  if (value.value().is_unknown()) {
    if (plan_unset) return std::optional<Value::List>();
    return Located(loop, "is not known when the run starts");
  }
  if (!value.value().is_list()) {
    std::string kind = Value::KindName(value.value().kind());
    return Located(loop,
                   std::string(kind[0] == 'i' ? "gave an " : "gave a ") + kind + ", not a list");
  }
  const Value::List& items = value.value().as_list();
  if (items.empty())
    return Located(loop,
                   "gave an empty list: nothing would run, and a loop over nothing is more "
                   "often a mistake than a plan");
  if (items.size() > kMaxLoopItems)
    return Located(loop, "gave " + std::to_string(items.size()) + " items, over the limit of " +
                             std::to_string(kMaxLoopItems));
  for (const Value& item : items)
    if (item.has_unknown() && !plan_unset) return Located(loop, "holds an item not known");
  return std::optional<Value::List>(items);
}

StepDecl Item(const StepDecl& loop, size_t index, const Value& value) {
  StepDecl item = loop;
  item.id = loop.id + "[" + std::to_string(index) + "]";
  item.name = loop.name == loop.id ? item.id : loop.name;
  item.loop_of = loop.id;
  item.loop_index = static_cast<int>(index);
  item.loop_item = value;
  return item;
}

// `needs` naming a loop name each of its items instead, at the same location.
void NeedItems(StepDecl& step,
               const std::unordered_map<std::string, std::vector<std::string>>& items) {
  std::vector<std::string> needs;
  std::vector<Loc> locs;
  for (size_t k = 0; k < step.needs.size(); ++k) {
    Loc loc = k < step.needs_loc.size() ? step.needs_loc[k] : step.loc;
    auto it = items.find(step.needs[k]);
    if (it == items.end()) {
      needs.push_back(step.needs[k]);
      locs.push_back(loc);
      continue;
    }
    for (const std::string& id : it->second) {
      needs.push_back(id);
      locs.push_back(loc);
    }
  }
  step.needs = std::move(needs);
  step.needs_loc = std::move(locs);
}

}  // namespace

Status ExpandLoops(Runbook& rb, const Value::Map& params, bool plan_unset) {
  bool any = false;
  for (const StepDecl& s : rb.steps) any = any || (s.loop && s.loop_of.empty());
  if (!any) return Status::Ok();
  ParamsScope scope(params);
  std::vector<StepDecl> out;
  std::unordered_map<std::string, std::vector<std::string>> items;
  size_t finally_begin = rb.steps.size();
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    if (i == rb.finally_begin) finally_begin = out.size();
    StepDecl& s = rb.steps[i];
    if (!s.loop || !s.loop_of.empty()) {
      out.push_back(std::move(s));
      continue;
    }
    auto list = ItemsOf(s, scope, plan_unset);
    if (!list.ok()) return list.status();
    if (!list.value()) {  // plan: shown as one step
      out.push_back(std::move(s));
      continue;
    }
    std::vector<std::string>& ids = items[s.id];
    for (size_t k = 0; k < list.value()->size(); ++k) {
      out.push_back(Item(s, k, (*list.value())[k]));
      ids.push_back(out.back().id);
    }
  }
  if (rb.finally_begin >= rb.steps.size()) finally_begin = out.size();
  for (StepDecl& s : out) NeedItems(s, items);
  rb.steps = std::move(out);
  rb.finally_begin = finally_begin;
  rb.IndexSteps();
  IndexLoops(rb);
  return Status::Ok();
}

void IndexLoops(Runbook& rb) {
  rb.loops.clear();
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const StepDecl& s = rb.steps[i];
    if (!s.loop_of.empty() && s.call_role != CallRole::kStart) rb.loops[s.loop_of].push_back(i);
  }
}

Result<Value> LookupParam(const Value::Map& params, const std::vector<std::string>& path) {
  if (path.size() < 2) return Value(params);
  auto it = params.find(path[1]);
  if (it == params.end()) return Status::Error("param '" + path[1] + "' is not set");
  return Descend(it->second, path, 2);
}

const char* LoopOutcome(const std::vector<Outcome>& items) {
  bool cancelled = false, warned = false, all_skipped = !items.empty();
  for (Outcome o : items) {
    if (o == Outcome::kFailure) return OutcomeName(Outcome::kFailure);
    cancelled = cancelled || o == Outcome::kCancelled;
    warned = warned || o == Outcome::kWarning;
    all_skipped = all_skipped && o == Outcome::kSkipped;
  }
  if (cancelled) return OutcomeName(Outcome::kCancelled);
  if (all_skipped) return OutcomeName(Outcome::kSkipped);
  return OutcomeName(warned ? Outcome::kWarning : Outcome::kSuccess);
}

}  // namespace runbook
