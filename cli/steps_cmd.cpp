// runbook steps [TYPE] and runbook schema: the step specs, for people and for editors.
#include <iostream>

#include "cli/commands.h"
#include "engine/schema.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

void PrintStep(const StepSpec& s) {
  std::cout << s.type << " - " << s.summary << "\n";
  if (!s.description.empty()) std::cout << "\n  " << s.description << "\n";
  std::cout << "\n  side effects: " << SideEffectsName(s.side_effects)
            << ", idempotent: " << (s.idempotent ? "yes" : "no") << "\n\n  parameters:\n";
  for (const ParamSpec& p : s.params) {
    std::cout << "    " << p.name << " (" << ParamTypeName(p.type) << (p.required ? ", required" : "");
    if (!p.default_value.is_null()) std::cout << ", default " << p.default_value.ToText();
    if (!p.enum_values.empty()) std::cout << ", one of " << Join(p.enum_values, "|");
    std::cout << ")\n        " << p.doc << "\n";
  }
  std::cout << "\n  outputs:\n";
  for (const OutputSpec& o : s.outputs) {
    std::cout << "    " << o.name << " (" << ParamTypeName(o.type) << ")  " << o.doc << "\n";
  }
  if (s.open_outputs) std::cout << "    (and any other name the step reports)\n";
}

Value SpecJson(const StepSpec& s) {
  Value::List params, outputs;
  for (const ParamSpec& p : s.params) {
    Value::List e;
    for (const std::string& v : p.enum_values) e.push_back(Value(v));
    params.push_back(Value(Value::Map{{"name", Value(p.name)},
                                      {"type", Value(ParamTypeName(p.type))},
                                      {"required", Value(p.required)},
                                      {"default", p.default_value},
                                      {"enum", Value(std::move(e))},
                                      {"doc", Value(p.doc)}}));
  }
  for (const OutputSpec& o : s.outputs) {
    outputs.push_back(Value(Value::Map{{"name", Value(o.name)},
                                       {"type", Value(ParamTypeName(o.type))},
                                       {"doc", Value(o.doc)}}));
  }
  return Value(Value::Map{{"type", Value(s.type)},
                          {"summary", Value(s.summary)},
                          {"description", Value(s.description)},
                          {"side_effects", Value(SideEffectsName(s.side_effects))},
                          {"idempotent", Value(s.idempotent)},
                          {"open_outputs", Value(s.open_outputs)},
                          {"params", Value(std::move(params))},
                          {"outputs", Value(std::move(outputs))}});
}

}  // namespace

int CmdSteps(const StepRegistry& registry, const std::string& type, const std::string& format) {
  if (!type.empty() && registry.Find(type) == nullptr) {
    std::string close = ClosestName(type, registry.Names());
    std::cerr << "runbook: error: unknown step type '" << type << "'"
              << (close.empty() ? "" : "; did you mean '" + close + "'?") << "\n";
    return kExitInvalid;
  }
  Value::List all;
  for (const StepType* t : registry.All()) {
    if (!type.empty() && t->spec().type != type) continue;
    if (format == "json") all.push_back(SpecJson(t->spec()));
    else if (type.empty()) std::cout << "  " << t->spec().type << "\t" << t->spec().summary << "\n";
    else PrintStep(t->spec());
  }
  if (format == "json") std::cout << ToJson(Value(std::move(all)), 2) << "\n";
  return kExitOk;
}

int CmdSchema(const StepRegistry& registry) {
  std::cout << ToJson(RunbookSchema(registry), 2) << "\n";
  return kExitOk;
}

}  // namespace runbook
