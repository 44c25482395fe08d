// Reading one step: its own keys, retry policy, env, condition, and its `with` checked
// against the step type's spec.

#include <map>
#include <memory>

#include "engine/attempt.h"
#include "engine/calls.h"
#include "engine/loader_internal.h"
#include "engine/loops.h"
#include "engine/plugin/check_value.h"
#include "engine/source/snode_value.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

SType STypeOfParam(ParamType t) {
  switch (t) {
    case ParamType::kString:
    case ParamType::kDuration:
      return SType::kString;
    case ParamType::kInteger:
    case ParamType::kNumber:
      return SType::kNumber;
    case ParamType::kBoolean:
      return SType::kBool;
    case ParamType::kStringList:
    case ParamType::kList:
      return SType::kList;
    case ParamType::kStringMap:
    case ParamType::kMap:
      return SType::kMap;
    case ParamType::kAny:
    case ParamType::kValue:
      return SType::kAny;
  }
  return SType::kAny;
}

ContinueOnError ContinueOnErrorOf(const SNode& node) {
  if (node.text == "warn") return ContinueOnError::kWarn;
  return node.text == "true" ? ContinueOnError::kYes : ContinueOnError::kNo;
}

void ReadCondition(FieldReader& r, const SNode& node, StepDecl& out) {
  TNode cond;
  cond.kind = TNode::Kind::kTemplate;
  cond.loc = node.loc;
  cond.text = node.text;
  cond.quoted = node.quoted;
  if (HasExpressionMarker(node.text)) {
    auto t = r.TemplateOf(node);
    if (!t) return;
    cond.tmpl = std::move(*t);
  } else {  // a bare expression, as GitHub Actions allows
    if (!r.ExpressionTextFits(node)) return;
    ExprError error;
    ExprPtr e = ParseExpression(node.text, error);
    if (!e) {
      r.Error(r.LocIn(node, error.offset, error.length), error.message);
      return;
    }
    cond.tmpl.parts.push_back({"", e, node.text, 0});
    cond.tmpl.whole = true;
  }
  out.condition = std::move(cond);
}

// An id that broke its format is still kept: what needs it does not fail a second time.
void ReadIdentity(const SNode& node, const CheckedBlock& c, StepDecl& out) {
  if (const SNode* id = node.Get("id"); id != nullptr && id->is_scalar()) {
    out.id = id->text;
    out.id_loc = id->loc;
  }
  out.name = out.id;
  if (const SNode* n = c.Get("name")) out.name = n->text;
}

void ReadType(FieldReader& r, const SNode* uses, const StepRegistry& registry, Runbook& rb,
              StepDecl& out, UsesLoader& loader) {
  if (uses == nullptr) return;
  out.uses = uses->text;
  out.uses_loc = uses->loc;
  if (UsesRunbookFile(out.uses)) {
    out.callee = LoadUsed(r, out.uses, out.uses_loc, rb, loader);
    if (out.callee) out.type = out.callee->call_type.get();
    if (out.callee) MergeSecrets(r, out, *out.callee, rb);
    return;
  }
  out.type = registry.Find(out.uses);
  if (out.type == nullptr && !out.uses.empty()) {
    std::string message = "unknown step type '" + out.uses + "'";
    std::string close = ClosestName(out.uses, registry.Names());
    if (!close.empty())
      message += "; did you mean '" + close + "'?";
    else
      message +=
          "; known types: " + Join(registry.Names(), ", ") + "; or a runbook file: ./name.yaml";
    r.Error(uses->loc, message);
  }
}

// A parameter given as an expression: its static type must fit the declared type.
void CheckTemplateType(FieldReader& r, const ParamSpec& spec, const TNode& value) {
  if (value.kind != TNode::Kind::kTemplate || value.tmpl.whole) return;  // whole: checked later
  SType want = STypeOfParam(spec.type);
  if (want != SType::kString && want != SType::kAny && spec.type != ParamType::kStringList) {
    r.Error(value.loc, "parameter '" + spec.name + "' expects " + ParamTypeName(spec.type) +
                           ", found text with ${{ }} inside; write the whole value as one "
                           "${{ }} expression");
  }
}

// Where each part inside `node` is written, by JSON Pointer from `node`.
void CollectPartLocs(const TNode& node, const std::string& at, std::map<std::string, Loc>& out) {
  for (size_t i = 0; i < node.items.size(); ++i) {
    const std::string here = at + "/" + std::to_string(i);
    out.emplace(here, node.items[i].loc);
    CollectPartLocs(node.items[i], here, out);
  }
  for (const auto& [key, part] : node.entries) {
    const std::string here = at + "/" + JsonPointerToken(key);
    out.emplace(here, part.loc);
    CollectPartLocs(part, here, out);
  }
}

// ConfigParam::locate for `node`: every place indexed at the first question, so a step that
// places thousands of mistakes takes linear time (break27a #3: a walk of a map's entries per
// question was quadratic, 16,000 mistakes 12 s).
std::function<std::optional<Loc>(const std::string&)> PartLocator(const TNode& node) {
  auto index = std::make_shared<std::map<std::string, Loc>>();
  return [&node, index](const std::string& pointer) -> std::optional<Loc> {
    if (index->empty()) CollectPartLocs(node, "", *index);
    auto found = index->find(pointer);
    if (found == index->end()) return std::nullopt;
    return found->second;
  };
}

// The step type's own load-time checks; what escapes them is a bug, reported at the step.
void Configure(FieldReader& r, const StepDecl& out, std::vector<ConfigParam> view) {
  ConfigureReport report;
  ConfigureView with(std::move(view), out.uses_loc, &out.type->spec());
  std::string bug =
      CallStep(out, "checking its parameters", [&] { out.type->Configure(with, report); });
  if (!bug.empty()) r.Error(out.uses_loc, bug);
  for (const auto& [loc, message] : report.errors()) r.Error(loc, message);
  for (const auto& [loc, message] : report.warnings()) r.Warning(loc, message);
}

void ReadWith(FieldReader& r, const SNode* with, StepDecl& out) {
  const StepSpec& spec = out.type->spec();
  std::vector<ConfigParam> view;
  if (with != nullptr) {
    out.with = r.Tree(*with);
    out.with_loc = with->loc;
    std::vector<std::string> names;
    for (const ParamSpec& p : spec.params) names.push_back(p.name);
    r.CheckKeys(*with, names, "the parameters of step type '" + spec.type + "'");
    for (const auto& [key, tnode] : out.with.entries) {
      const ParamSpec* p = spec.FindParam(key);
      if (p == nullptr) continue;
      std::optional<Value> v = tnode.StaticValue();
      if (v) {  // Configure sees a fitting value in the shape Run will (`part_size: 1000`: text)
        std::string error = CheckValue(*p, *v);
        if (!error.empty()) r.Error(tnode.loc, "parameter '" + key + "': " + error);
        if (error.empty()) v = NormaliseValue(*p, std::move(*v));
      } else {
        CheckTemplateType(r, *p, tnode);
      }
      view.push_back({key, v, tnode.loc, tnode.ShapeValue(),
                      tnode.kind == TNode::Kind::kTemplate && !tnode.tmpl.whole});
      view.back().locate = PartLocator(tnode);
    }
  } else {
    out.with.kind = TNode::Kind::kMap;
  }
  for (const ParamSpec& p : spec.params) {
    bool given = false;
    for (const auto& [key, tnode] : out.with.entries) given = given || key == p.name;
    if (p.required && !given) {
      r.Error(out.uses_loc, "step '" + out.id + "' (" + spec.type +
                                ") is missing required parameter '" + p.name + "'");
    }
  }
  Configure(r, out, std::move(view));
}

}  // namespace

SType StaticTypeOfParam(ParamType t) { return STypeOfParam(t); }

void ReadRetry(FieldReader& r, const SNode& node, RetryPolicy& out) {
  if (!r.ExpectMap(node, "retry")) return;
  CheckedBlock c = CheckBlock(r, node, RunbookBlock("retry"));
  if (const SNode* n = c.Get("max_attempts"))
    out.max_attempts = static_cast<int>(std::min<int64_t>(ScalarValue(*n).as_int(), 1000));
  if (const SNode* n = c.Get("delay")) out.delay = *ParseDuration(n->text);
  if (const SNode* n = c.Get("max_delay")) out.max_delay = *ParseDuration(n->text);
  if (const SNode* n = c.Get("backoff"))
    out.backoff = n->text == "exponential" ? Backoff::kExponential : Backoff::kConstant;
  if (const SNode* n = c.Get("jitter")) out.jitter = ScalarValue(*n).as_bool();
  if (const SNode* n = c.Get("on")) {
    out.on_failure = out.on_timeout = false;
    std::vector<std::string> on = r.StringList(*n, "on").value_or(std::vector<std::string>{});
    for (const std::string& o : on) {
      out.on_failure = out.on_failure || o == "failure";
      out.on_timeout = out.on_timeout || o == "timeout";
    }
  }
  if (const SNode* n = c.Get("exit_codes")) {
    for (const SNode& item : n->items) {
      // An exit status is 0-255 (POSIX wait(2)): 4294967297 was read as 1, 257 never matched
      // (break24a N1), as success_codes refuses them.
      const Value v = ScalarValue(item);
      if (!v.is_int()) continue;  // the key's type check says it
      if (v.as_int() < 0 || v.as_int() > 255) {
        r.Error(item.loc, "retry.exit_codes: '" + item.text + "' is no exit code (0 to 255)");
        continue;
      }
      out.exit_codes.push_back(static_cast<int>(v.as_int()));
    }
  }
}

TemplateMap ReadEnv(FieldReader& r, const SNode& node, const std::string& what) {
  TemplateMap out;
  if (!r.ExpectMap(node, what)) return out;
  for (const auto& [key, value] : node.entries) {
    // POSIX: a name is never empty and holds no '=' (`"C=D": z` set C to "D=z": break23a C3).
    if (key.text.empty() || key.text.find('=') != std::string::npos) {
      r.Error(key.loc, what + " name '" + key.text +
                           "' cannot name an environment variable (empty, or holding '=')");
      continue;
    }
    if (!value.is_scalar() && !value.is_null()) {  // `~` is "", as in GitHub Actions
      r.Error(value.loc,
              what + " value of '" + key.text + "' must be a string, found " + value.KindName());
      continue;
    }
    out.emplace_back(key.text, r.Tree(value));
  }
  return out;
}

namespace {

// Which step a message names: "step 'ID'" when its id is readable, else "a step".
std::string StepWho(const SNode& node) {
  const SNode* id = node.Get("id");
  return id != nullptr && id->is_scalar() ? "step '" + id->text + "'" : "";
}

// `for_each` with its `max_parallel` and `fail_fast` (those two only with it).
void ReadLoop(FieldReader& r, const CheckedBlock& c, StepDecl& out) {
  const SNode* n = c.Get("for_each");
  if (n == nullptr) {
    if (const SNode* k = c.Get("max_parallel"))
      r.Error(k->loc,
              "max_parallel is for a step with for_each (the run's own limit is the top-level "
              "max_parallel)");
    if (const SNode* k = c.Get("fail_fast"))
      r.Error(k->loc, "fail_fast is for a step with for_each");
    return;
  }
  LoopDecl loop;
  loop.loc = n->loc;
  loop.items = r.Tree(*n);
  if (loop.items.kind == TNode::Kind::kTemplate && !loop.items.tmpl.whole)
    r.Error(n->loc,
            "for_each must be a list or one ${{ }} expression that gives one, found text "
            "around an expression");
  if (loop.items.kind == TNode::Kind::kList && loop.items.items.empty())
    r.Error(n->loc, "for_each is an empty list: the step would never run");
  if (loop.items.kind == TNode::Kind::kList && loop.items.items.size() > kMaxLoopItems)
    r.Error(n->loc, "for_each has " + std::to_string(loop.items.items.size()) +
                        " items, over the limit of " + std::to_string(kMaxLoopItems));
  if (const SNode* k = c.Get("max_parallel"))
    loop.max_parallel = static_cast<int>(std::min<int64_t>(ScalarValue(*k).as_int(), 4096));
  if (const SNode* k = c.Get("fail_fast")) loop.fail_fast = ScalarValue(*k).as_bool();
  if (out.rto != RtoMark::kNone)
    if (const SNode* k = c.Get("rto"))
      r.Error(k->loc,
              "rto: a step with for_each cannot mark the RTO clock (its items start and end "
              "apart); mark a step that needs it");
  out.loop = std::make_shared<const LoopDecl>(std::move(loop));
}

}  // namespace

void ReadStep(FieldReader& r, const SNode& node, const StepRegistry& registry, bool is_finally,
              Runbook& rb, StepDecl& out, UsesLoader& uses) {
  out.is_finally = is_finally;
  out.loc = node.loc;
  out.retry = rb.default_retry;
  out.timeout = rb.default_timeout;
  if (!r.ExpectMap(node, "a step")) return;
  CheckedBlock c = CheckBlock(r, node, RunbookBlock("step"), StepWho(node));
  ReadIdentity(node, c, out);
  ReadType(r, c.Get("uses"), registry, rb, out, uses);
  if (out.type != nullptr && out.type->spec().waits_for_people) out.timeout.reset();
  if (out.type != nullptr) ReadWith(r, c.Get("with"), out);
  if (const SNode* n = c.Get("needs")) {
    out.needs = r.StringList(*n, "needs").value_or(std::vector<std::string>{});
    for (size_t i = 0; i < out.needs.size(); ++i)
      out.needs_loc.push_back(n->is_seq() ? n->items[i].loc : n->loc);
  }
  if (const SNode* n = c.Get("if")) ReadCondition(r, *n, out);
  if (const SNode* n = c.Get("timeout")) out.timeout = ParseDuration(n->text);
  if (const SNode* n = c.Get("retry")) ReadRetry(r, *n, out.retry);
  if (const SNode* n = c.Get("continue_on_error")) out.continue_on_error = ContinueOnErrorOf(*n);
  if (const SNode* n = c.Get("env")) out.env = ReadEnv(r, *n, "env");
  if (const SNode* n = c.Get("idempotent")) out.idempotent = ScalarValue(*n).as_bool();
  if (const SNode* n = c.Get("rto")) out.rto = n->text == "start" ? RtoMark::kStart : RtoMark::kEnd;
  ReadLoop(r, c, out);
  if (out.callee) CheckCallStep(r, node, out);
}

}  // namespace runbook
