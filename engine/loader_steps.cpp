// Reading one step: its own keys, retry policy, env, condition, and its `with` checked
// against the step type's spec.

#include "engine/attempt.h"
#include "engine/loader_internal.h"
#include "engine/plugin/check_value.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

const std::vector<std::string> kStepKeys = {
    "id",  "name", "uses", "with", "needs", "if", "timeout", "retry", "continue_on_error",
    "env", "rto"};
const std::vector<std::string> kRetryKeys = {"max_attempts", "delay", "backoff",   "max_delay",
                                             "jitter",       "on",    "exit_codes"};

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
      return SType::kAny;
  }
  return SType::kAny;
}

void ReadContinueOnError(FieldReader& r, const SNode& node, StepDecl& out) {
  if (node.is_scalar() && node.text == "warn") {
    out.continue_on_error = ContinueOnError::kWarn;
  } else if (node.is_scalar() && (node.text == "true" || node.text == "false")) {
    out.continue_on_error = node.text == "true" ? ContinueOnError::kYes : ContinueOnError::kNo;
  } else {
    r.Error(node.loc, "continue_on_error must be true, false or warn, found '" + node.text + "'");
  }
}

void ReadCondition(FieldReader& r, const SNode& node, StepDecl& out) {
  if (!node.is_scalar()) {
    r.Error(node.loc, "if must be an expression, found " + std::string(node.KindName()));
    return;
  }
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

void ReadIdentity(FieldReader& r, const SNode& node, StepDecl& out) {
  if (const SNode* id = node.Get("id")) {
    out.id = r.String(*id, "id").value_or("");
    out.id_loc = id->loc;
    if (!out.id.empty() && !IsLowerName(out.id, true)) {
      r.Error(id->loc, "invalid step id '" + out.id +
                           "'; expected lowercase letters, digits, '_' and '-', starting with a "
                           "letter or digit");
    }
  } else {
    r.Error(node.loc, "step is missing required key 'id'");
  }
  out.name = out.id;
  if (const SNode* n = node.Get("name")) out.name = r.String(*n, "name").value_or(out.id);
}

void ReadType(FieldReader& r, const SNode& node, const StepRegistry& registry, StepDecl& out) {
  const SNode* uses = node.Get("uses");
  if (uses == nullptr) {
    r.Error(node.loc, "step '" + out.id + "' is missing required key 'uses' (its step type)");
    return;
  }
  out.uses = r.String(*uses, "uses").value_or("");
  out.uses_loc = uses->loc;
  out.type = registry.Find(out.uses);
  if (out.type == nullptr && !out.uses.empty()) {
    std::string message = "unknown step type '" + out.uses + "'";
    std::string close = ClosestName(out.uses, registry.Names());
    if (!close.empty())
      message += "; did you mean '" + close + "'?";
    else
      message += "; known types: " + Join(registry.Names(), ", ");
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

// The step type's own load-time checks; what escapes them is a bug, reported at the step.
void Configure(FieldReader& r, const StepDecl& out, std::vector<ConfigParam> view) {
  ConfigureReport report;
  ConfigureView with(std::move(view), out.uses_loc, &out.type->spec());
  std::string bug =
      CallStep(out, "checking its parameters", [&] { out.type->Configure(with, report); });
  if (!bug.empty()) r.Error(out.uses_loc, bug);
  for (const auto& [loc, message] : report.errors()) r.Error(loc, message);
}

void ReadWith(FieldReader& r, const SNode* with, StepDecl& out) {
  const StepSpec& spec = out.type->spec();
  std::vector<ConfigParam> view;
  if (with != nullptr && r.ExpectMap(*with, "with")) {
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
      view.push_back({key, v, tnode.loc});
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
  r.CheckKeys(node, kRetryKeys, "retry");
  if (const SNode* n = node.Get("max_attempts")) {
    auto v = r.Integer(*n, "max_attempts");
    if (v && *v < 1)
      r.Error(n->loc, "max_attempts must be at least 1 (it counts the first attempt), found " +
                          std::to_string(*v));
    if (v && *v >= 1) out.max_attempts = static_cast<int>(std::min<int64_t>(*v, 1000));
  }
  if (const SNode* n = node.Get("delay")) out.delay = r.Duration(*n, "delay").value_or(out.delay);
  if (const SNode* n = node.Get("max_delay")) {
    out.max_delay = r.Duration(*n, "max_delay").value_or(out.max_delay);
  }
  if (const SNode* n = node.Get("backoff")) {
    auto b = r.Choice(*n, "backoff", {"constant", "exponential"});
    if (b) out.backoff = *b == "exponential" ? Backoff::kExponential : Backoff::kConstant;
  }
  if (const SNode* n = node.Get("jitter")) out.jitter = r.Boolean(*n, "jitter").value_or(false);
  if (const SNode* n = node.Get("on")) {
    if (auto list = r.StringList(*n, "on")) {
      out.on_failure = out.on_timeout = false;
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string& o = (*list)[i];
        const SNode& at = n->is_seq() ? n->items[i] : *n;
        if (o == "failure")
          out.on_failure = true;
        else if (o == "timeout")
          out.on_timeout = true;
        else
          r.Choice(at, "retry condition", {"failure", "timeout"});
      }
    }
  }
  if (const SNode* n = node.Get("exit_codes")) {
    if (!n->is_seq()) r.Error(n->loc, "exit_codes must be a list of integers");
    for (const SNode& item : n->items) {
      if (auto v = r.Integer(item, "each exit code"))
        out.exit_codes.push_back(static_cast<int>(*v));
    }
  }
}

TemplateMap ReadEnv(FieldReader& r, const SNode& node, const std::string& what) {
  TemplateMap out;
  if (!r.ExpectMap(node, what)) return out;
  for (const auto& [key, value] : node.entries) {
    if (!value.is_scalar() && !value.is_null()) {  // `~` is "", as in GitHub Actions
      r.Error(value.loc,
              what + " value of '" + key.text + "' must be a string, found " + value.KindName());
      continue;
    }
    out.emplace_back(key.text, r.Tree(value));
  }
  return out;
}

void ReadStep(FieldReader& r, const SNode& node, const StepRegistry& registry, bool is_finally,
              const Runbook& rb, StepDecl& out) {
  out.is_finally = is_finally;
  out.loc = node.loc;
  out.retry = rb.default_retry;
  out.timeout = rb.default_timeout;
  if (!r.ExpectMap(node, "a step")) return;
  r.CheckKeys(node, kStepKeys, "a step");
  ReadIdentity(r, node, out);
  ReadType(r, node, registry, out);
  if (out.type != nullptr && out.type->spec().waits_for_people) out.timeout.reset();
  if (out.type != nullptr) ReadWith(r, node.Get("with"), out);
  if (const SNode* n = node.Get("needs")) {
    if (auto list = r.StringList(*n, "needs")) {
      out.needs = *list;
      for (size_t i = 0; i < list->size(); ++i) {
        out.needs_loc.push_back(n->is_seq() ? n->items[i].loc : n->loc);
      }
    }
  }
  if (const SNode* n = node.Get("if")) ReadCondition(r, *n, out);
  if (const SNode* n = node.Get("timeout")) out.timeout = r.PositiveDuration(*n, "timeout");
  if (const SNode* n = node.Get("retry")) ReadRetry(r, *n, out.retry);
  if (const SNode* n = node.Get("continue_on_error")) ReadContinueOnError(r, *n, out);
  if (const SNode* n = node.Get("env")) out.env = ReadEnv(r, *n, "env");
  if (const SNode* n = node.Get("rto")) {
    if (auto m = r.Choice(*n, "rto mark", {"start", "end"})) {
      out.rto = *m == "start" ? RtoMark::kStart : RtoMark::kEnd;
    }
  }
}

}  // namespace runbook
