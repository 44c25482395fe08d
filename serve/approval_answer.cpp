#include "serve/approval_answer.h"

#include "engine/plugin/check_value.h"
#include "engine/redact.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

const Value* Field(const Value& v, const char* key) { return v.is_map() ? v.Find(key) : nullptr; }

std::string Text(const Value* v) { return v == nullptr || v->is_null() ? "" : v->ToText(); }

// The ParamSpec of one input as approval_waiting lists it ({name, type, required, default},
// the type as ParamTypeName says it); its enum is checked apart, to say it in words.
ParamSpec SpecOf(const Value& input) {
  ParamSpec spec;
  spec.name = Text(Field(input, "name"));
  for (ParamType t : {ParamType::kString, ParamType::kInteger, ParamType::kNumber,
                      ParamType::kBoolean, ParamType::kDuration, ParamType::kStringList,
                      ParamType::kStringMap, ParamType::kList, ParamType::kMap, ParamType::kAny})
    if (Text(Field(input, "type")) == ParamTypeName(t)) spec.type = t;
  const Value* required = Field(input, "required");
  spec.required = required != nullptr && required->is_bool() && required->as_bool();
  return spec;
}

bool Collection(ParamType t) {
  return t == ParamType::kStringList || t == ParamType::kStringMap || t == ParamType::kList ||
         t == ParamType::kMap || t == ParamType::kAny;
}

// What is wrong with `value` for `input`, "" when nothing is.
std::string ValueProblem(const Value& input, const Value& value) {
  ParamSpec spec = SpecOf(input);
  std::string type = ParamTypeName(spec.type), error;
  if ((value.is_map() || value.is_list()) && !Collection(spec.type))
    return "input '" + spec.name + "' must be of type " + type;
  (void)ParseTextAs(spec, TextAsSent(value), error);
  if (!error.empty()) return "input '" + spec.name + "' must be of type " + type + ": " + error;
  const Value* allowed = Field(input, "enum");
  if (allowed == nullptr || !allowed->is_list() || allowed->as_list().empty()) return "";
  for (const Value& a : allowed->as_list())
    if (a.ToText() == TextAsSent(value)) return "";
  return "input '" + spec.name + "' must be one of its choices";
}

}  // namespace

std::string AnswerInputsProblem(const Value& declared, const Value* given, bool approve) {
  if (!approve) return "";
  const Value::List empty;
  const Value::List& inputs = declared.is_list() ? declared.as_list() : empty;
  std::string names;
  for (const Value& in : inputs) names += (names.empty() ? "" : ", ") + Text(Field(in, "name"));
  for (const auto& [name, value] : given != nullptr ? given->as_map() : Value::Map{}) {
    const Value* input = nullptr;
    for (const Value& in : inputs)
      if (Text(Field(in, "name")) == name) input = &in;
    if (input == nullptr)
      return "the gate has no input '" + name + "'" +
             (names.empty() ? " (it asks for none)" : " (its inputs: " + names + ")");
    // As --input refuses it (breakM M27): a value holding the mask was copied from a shown
    // record, not typed; the step would get "***" (break23a C2).
    if (std::string copied = CopiedMaskProblem("input '" + name + "'", TextAsSent(value));
        !copied.empty())
      return copied;
    if (std::string wrong = ValueProblem(*input, value); !wrong.empty()) return wrong;
  }
  for (const Value& in : inputs) {
    std::string name = Text(Field(in, "name"));
    bool given_here = given != nullptr && given->Find(name) != nullptr;
    if (SpecOf(in).required && Text(Field(in, "default")).empty() && !given_here)
      return "input '" + name + "' is required";
  }
  return "";
}

}  // namespace runbook
