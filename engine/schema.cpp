#include "engine/schema.h"

namespace runbook {
namespace {

using M = Value::Map;
using L = Value::List;

Value Str(const std::string& s) { return Value(s); }
Value Obj(M m) { return Value(std::move(m)); }

const char* kExprPattern = "^\\$\\{\\{.*\\}\\}$";
const char* kDurationPattern = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$";

// A value that may also be one whole ${{ }} expression.
Value OrExpression(Value schema) {
  return Obj({{"anyOf", Value(L{std::move(schema),
                                Obj({{"type", Str("string")}, {"pattern", Str(kExprPattern)}})})}});
}

Value TypeSchema(const ParamSpec& p) {
  M s;
  switch (p.type) {
    case ParamType::kString:
      s["type"] = Str("string");
      break;
    case ParamType::kInteger:
      s["type"] = Str("integer");
      break;
    case ParamType::kNumber:
      s["type"] = Str("number");
      break;
    case ParamType::kBoolean:
      s["type"] = Str("boolean");
      break;
    case ParamType::kDuration:
      s["type"] = Str("string");
      s["pattern"] = Str(kDurationPattern);
      break;
    case ParamType::kStringList:
      s["type"] = Value(L{Str("array"), Str("string")});
      s["items"] = Obj({{"type", Str("string")}});
      break;
    case ParamType::kStringMap:
      s["type"] = Str("object");
      s["additionalProperties"] =
          Obj({{"type", Value(L{Str("string"), Str("number"), Str("boolean")})}});
      break;
    case ParamType::kList:
      s["type"] = Str("array");
      break;
    case ParamType::kMap:
      s["type"] = Str("object");
      break;
    case ParamType::kAny:
      break;
  }
  if (!p.enum_values.empty()) {
    L e;
    for (const std::string& v : p.enum_values) e.push_back(Str(v));
    s["enum"] = Value(std::move(e));
  }
  bool numeric = p.type != ParamType::kDuration;  // a duration's bounds are milliseconds
  if (p.minimum && numeric) s["minimum"] = Value(*p.minimum);
  if (p.maximum && numeric) s["maximum"] = Value(*p.maximum);
  // A plain string already admits an expression; an enum or another type needs the option.
  bool plain = p.type == ParamType::kAny || (p.type == ParamType::kString && p.enum_values.empty());
  Value out = plain ? Obj(s) : OrExpression(Obj(s));
  M wrapped = out.as_map();
  if (!p.doc.empty()) wrapped["description"] = Str(p.doc);
  if (!p.default_value.is_null()) wrapped["default"] = p.default_value;
  return Obj(wrapped);
}

Value WithSchema(const StepSpec& spec) {
  M props;
  L required;
  for (const ParamSpec& p : spec.params) {
    props[p.name] = TypeSchema(p);
    if (p.required) required.push_back(Str(p.name));
  }
  M with{
      {"type", Str("object")}, {"properties", Obj(props)}, {"additionalProperties", Value(false)}};
  if (!required.empty()) with["required"] = Value(std::move(required));
  return Obj(with);
}

Value RetrySchema() {
  M props{
      {"max_attempts", OrExpression(Obj({{"type", Str("integer")}, {"minimum", Value(1)}}))},
      {"delay", Obj({{"$ref", Str("#/definitions/duration")}})},
      {"backoff", Obj({{"enum", Value(L{Str("constant"), Str("exponential")})}})},
      {"max_delay", Obj({{"$ref", Str("#/definitions/duration")}})},
      {"jitter", Obj({{"type", Str("boolean")}})},
      {"on", Obj({{"type", Str("array")},
                  {"items", Obj({{"enum", Value(L{Str("failure"), Str("timeout")})}})}})},
      {"exit_codes", Obj({{"type", Str("array")}, {"items", Obj({{"type", Str("integer")}})}})}};
  return Obj({{"type", Str("object")},
              {"properties", Obj(props)},
              {"additionalProperties", Value(false)}});
}

Value StepSchema(const StepRegistry& registry) {
  L names, branches;
  for (const StepType* t : registry.All()) {
    names.push_back(Str(t->spec().type));
    branches.push_back(
        Obj({{"if", Obj({{"properties", Obj({{"uses", Obj({{"const", Str(t->spec().type)}})}})}})},
             {"then", Obj({{"properties", Obj({{"with", WithSchema(t->spec())}})}})}}));
  }
  M props{{"id", Obj({{"type", Str("string")}, {"pattern", Str("^[a-z0-9][a-z0-9_-]*$")}})},
          {"name", Obj({{"type", Str("string")}})},
          {"uses", Obj({{"enum", Value(names)}})},
          {"with", Obj({{"type", Str("object")}})},
          {"needs", Obj({{"type", Value(L{Str("array"), Str("string")})},
                         {"items", Obj({{"type", Str("string")}})}})},
          {"if", Obj({{"type", Str("string")}})},
          {"timeout", Obj({{"$ref", Str("#/definitions/duration")}})},
          {"retry", Obj({{"$ref", Str("#/definitions/retry")}})},
          {"continue_on_error", Obj({{"enum", Value(L{Value(true), Value(false), Str("warn")})}})},
          {"env", Obj({{"$ref", Str("#/definitions/env")}})},
          {"rto", Obj({{"enum", Value(L{Str("start"), Str("end")})}})}};
  return Obj({{"type", Str("object")},
              {"properties", Obj(props)},
              {"required", Value(L{Str("id"), Str("uses")})},
              {"additionalProperties", Value(false)},
              {"allOf", Value(std::move(branches))}});
}

Value ParamDeclSchema() {
  M props{
      {"type", Obj({{"enum", Value(L{Str("string"), Str("integer"), Str("number"), Str("boolean"),
                                     Str("duration"), Str("list"), Str("map")})}})},
      {"default", Obj({})},
      {"description", Obj({{"type", Str("string")}})},
      {"enum", Obj({{"type", Str("array")}})},
      {"minimum", Obj({{"type", Str("number")}})},
      {"maximum", Obj({{"type", Str("number")}})},
      {"required", Obj({{"type", Str("boolean")}})}};
  return Obj({{"type", Str("object")},
              {"properties", Obj(props)},
              {"additionalProperties", Value(false)}});
}

}  // namespace

Value RunbookSchema(const StepRegistry& registry) {
  Value steps =
      Obj({{"type", Str("array")}, {"items", Obj({{"$ref", Str("#/definitions/step")}})}});
  M secret{{"type", Str("object")},
           {"properties", Obj({{"env", Obj({{"type", Str("string")}})},
                               {"file", Obj({{"type", Str("string")}})}})},
           {"additionalProperties", Value(false)}};
  M props{{"version", Obj({{"const", Value(1)}})},
          {"name", Obj({{"type", Str("string")}, {"pattern", Str("^[a-z0-9][a-z0-9-]*$")}})},
          {"description", Obj({{"type", Str("string")}})},
          {"kind", Obj({{"enum", Value(L{Str("backup"), Str("restore"), Str("drill"), Str("canary"),
                                         Str("custom")})}})},
          {"objectives",
           Obj({{"type", Str("object")},
                {"properties", Obj({{"rto", Obj({{"$ref", Str("#/definitions/duration")}})},
                                    {"rpo", Obj({{"$ref", Str("#/definitions/duration")}})}})},
                {"additionalProperties", Value(false)}})},
          {"params", Obj({{"type", Str("object")}, {"additionalProperties", ParamDeclSchema()}})},
          {"secrets", Obj({{"type", Str("object")}, {"additionalProperties", Obj(secret)}})},
          {"env", Obj({{"$ref", Str("#/definitions/env")}})},
          {"defaults",
           Obj({{"type", Str("object")},
                {"properties", Obj({{"timeout", Obj({{"$ref", Str("#/definitions/duration")}})},
                                    {"retry", Obj({{"$ref", Str("#/definitions/retry")}})}})},
                {"additionalProperties", Value(false)}})},
          {"max_parallel", Obj({{"type", Str("integer")}, {"minimum", Value(1)}})},
          {"lock", Obj({{"type", Str("string")}})},
          {"steps", steps},
          {"finally", steps}};
  M defs{{"duration", Obj({{"type", Str("string")}, {"pattern", Str(kDurationPattern)}})},
         {"env", Obj({{"type", Str("object")},
                      {"additionalProperties",
                       Obj({{"type", Value(L{Str("string"), Str("number"), Str("boolean")})}})}})},
         {"retry", RetrySchema()},
         {"step", StepSchema(registry)}};
  return Obj({{"$schema", Str("http://json-schema.org/draft-07/schema#")},
              {"title", Str("runbook format v1")},
              {"type", Str("object")},
              {"required", Value(L{Str("version"), Str("name"), Str("steps")})},
              {"properties", Obj(props)},
              {"additionalProperties", Value(false)},
              {"definitions", Obj(defs)}});
}

}  // namespace runbook
