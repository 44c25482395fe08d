#include "engine/schema.h"

#include "engine/runbook_keys.h"

namespace runbook {
namespace {

using M = Value::Map;
using L = Value::List;

Value Str(const std::string& s) { return Value(s); }
Value Obj(M m) { return Value(std::move(m)); }

const char* kExprPattern = "^\\$\\{\\{.*\\}\\}$";
const char* kDurationPattern = "^(?=[0-9])([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$";

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
    case ParamType::kValue:
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
  bool plain = p.type == ParamType::kAny || p.type == ParamType::kValue ||
               (p.type == ParamType::kString && p.enum_values.empty());
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

const char* kPositiveDurationPattern = "^(?=[0-9]*[1-9])([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$";
const char* kMarkerPattern = "\\$\\{\\{";

Value Ref(const std::string& definition) {
  return Obj({{"$ref", Str("#/definitions/" + definition)}});
}

Value Enum(const std::vector<std::string>& choices, L head = {}) {
  for (const std::string& c : choices) head.push_back(Str(c));
  return Obj({{"enum", Value(std::move(head))}});
}

// A text as `k` takes it. The loader reads any scalar as its text (`id: 7` is "7"), so a
// number or boolean fits too; with a format, only what matches it (digits: an integer).
Value TextSchema(const KeySpec& k) {
  if (!k.choices.empty())
    return Obj({{"type", Str("string")}, {"enum", Enum(k.choices).as_map().at("enum")}});
  if (k.format == nullptr)
    return Obj({{"type", Value(L{Str("string"), Str("number"), Str("boolean")})}});
  return Obj({{"type", Value(L{Str("string"), Str("integer")})},
              {"minimum", Value(0)},
              {"pattern", Str(k.format->pattern)}});
}

Value IntegerSchema(const KeySpec& k) {
  M s{{"type", Str("integer")}};
  if (k.minimum) s["minimum"] = Value(*k.minimum);
  if (k.maximum) s["maximum"] = Value(*k.maximum);
  return Obj(s);
}

// One case per KeyType (see loader_keys.cpp, CheckValue: the loader's side of each).
Value KeyTypeSchema(const KeySpec& k, const StepRegistry& registry) {
  switch (k.type) {
    case KeyType::kString:
      return TextSchema(k);
    case KeyType::kInteger:
      return IntegerSchema(k);
    case KeyType::kNumber:
      return Obj({{"type", Str("number")}});
    case KeyType::kBoolean:
      return Obj({{"type", Str("boolean")}});
    case KeyType::kDuration:
      return Ref("duration");
    case KeyType::kPositiveDuration:
      return Ref("positive_duration");
    case KeyType::kChoice:
      return Enum(k.choices);
    case KeyType::kBoolOrChoice:
      return Enum(k.choices, L{Value(true), Value(false)});
    case KeyType::kStringList:
      return Obj({{"anyOf", Value(L{TextSchema(k),
                                    Obj({{"type", Str("array")}, {"items", TextSchema(k)}})})}});
    case KeyType::kIntegerList:
      return Obj({{"type", Str("array")}, {"items", Obj({{"type", Str("integer")}})}});
    case KeyType::kList:
      return Obj({{"type", Str("array")}});
    case KeyType::kAny:
      return Obj({});
    case KeyType::kBlock:
      return Ref(k.block);
    case KeyType::kBlockMap:
      return Obj({{"type", Str("object")}, {"additionalProperties", Ref(k.block)}});
    case KeyType::kBlockList:
      return Obj({{"type", Str("array")}, {"items", Ref(k.block)}});
    case KeyType::kEnv:
      return Ref("env");
    case KeyType::kStepType: {
      std::vector<std::string> names;
      for (const StepType* t : registry.All()) names.push_back(t->spec().type);
      // Or a runbook file to use (engine/calls.h): ./ or ../ first.
      return Obj(
          {{"anyOf",
            Value(L{Enum(names), Obj({{"type", Str("string")}, {"pattern", Str("^\\.\\.?/")}})})}});
    }
    case KeyType::kStepParams:
      return Obj({{"type", Str("object")}});
    case KeyType::kCondition:  // a bare expression may be `true` or a number
      return Obj({{"type", Value(L{Str("string"), Str("boolean"), Str("number")})}});
  }
  return Obj({});
}

// Whether a value of `k`'s type may be a text holding ${{ (other types exclude it already).
bool AdmitsAnyText(const KeySpec& k) {
  switch (k.type) {
    case KeyType::kString:
    case KeyType::kAny:
    case KeyType::kList:
      return true;
    case KeyType::kStringList:
      return k.choices.empty();
    default:
      return false;
  }
}

// Where the loader refuses ${{ }} (runbook_keys.h), so does the schema: the value is a
// "literal". Where it evaluates one, a whole expression fits any type.
Value KeySchema(const KeySpec& k, const StepRegistry& registry) {
  Value type = KeyTypeSchema(k, registry);
  bool text = k.type == KeyType::kString || k.type == KeyType::kCondition;
  M s = k.expressions && !text ? OrExpression(type).as_map()
        : !k.expressions && AdmitsAnyText(k)
            ? Obj({{"allOf", Value(L{type, Ref("literal")})}}).as_map()
            : type.as_map();
  s["description"] = Str(k.doc);
  return Obj(s);
}

Value BlockSchema(const BlockSpec& b, const StepRegistry& registry) {
  M props;
  L required;
  for (const KeySpec& k : b.keys) {
    props[k.name] = KeySchema(k, registry);
    if (k.required) required.push_back(Str(k.name));
  }
  M out{{"type", Str("object")},
        {"description", Str(b.doc)},
        {"properties", Obj(props)},
        {"additionalProperties", Value(false)}};
  if (!required.empty()) out["required"] = Value(std::move(required));
  M dependencies;  // draft-07: a key given only beside another
  for (const KeySpec& k : b.keys)
    if (!k.needs_key.empty()) dependencies[k.name] = Value(L{Str(k.needs_key)});
  if (!dependencies.empty()) out["dependencies"] = Obj(dependencies);
  if (!b.exactly_one.empty()) {
    L one;
    for (const std::string& k : b.exactly_one) one.push_back(Obj({{"required", Value(L{Str(k)})}}));
    out["oneOf"] = Value(std::move(one));
  }
  return Obj(out);
}

// A step's `with` depends on its `uses`: one if/then branch per step type.
Value StepSchema(const StepRegistry& registry) {
  L branches;
  for (const StepType* t : registry.All()) {
    branches.push_back(
        Obj({{"if", Obj({{"properties", Obj({{"uses", Obj({{"const", Str(t->spec().type)}})}})}})},
             {"then", Obj({{"properties", Obj({{"with", WithSchema(t->spec())}})}})}}));
  }
  M step = BlockSchema(RunbookBlock("step"), registry).as_map();
  step["allOf"] = Value(std::move(branches));
  return Obj(step);
}

}  // namespace

// Every block of the runbook keys is a definition; the top level ("runbook") is the root.
Value RunbookSchema(const StepRegistry& registry) {
  M defs{{"duration", Obj({{"type", Str("string")}, {"pattern", Str(kDurationPattern)}})},
         {"positive_duration",
          Obj({{"type", Str("string")}, {"pattern", Str(kPositiveDurationPattern)}})},
         {"env",
          Obj({{"type", Str("object")},
               {"additionalProperties", Obj({{"type", Value(L{Str("string"), Str("number"),
                                                              Str("boolean"), Str("null")})}})}})}};
  // No string anywhere in the value holds "${{" (each keyword applies to its kind only).
  defs["literal"] = Obj({{"not", Obj({{"type", Str("string")}, {"pattern", Str(kMarkerPattern)}})},
                         {"items", Ref("literal")},
                         {"additionalProperties", Ref("literal")}});
  for (const BlockSpec& b : RunbookBlocks()) {
    if (b.name != "runbook") defs[b.name] = BlockSchema(b, registry);
  }
  defs["step"] = StepSchema(registry);
  M root = BlockSchema(RunbookBlock("runbook"), registry).as_map();
  root["$schema"] = Str("http://json-schema.org/draft-07/schema#");
  root["title"] = Str("runbook format v1");
  // Extension fields for anchors, ignored by runbook (as Docker Compose's `x-` keys).
  root["patternProperties"] = Obj({{"^x-", Obj({})}});
  root["definitions"] = Obj(defs);
  return Obj(root);
}

}  // namespace runbook
