#include "serve/approval_answer.h"

#include <cstdlib>

namespace runbook {
namespace {

const Value* Field(const Value& v, const char* key) { return v.is_map() ? v.Find(key) : nullptr; }

std::string Text(const Value* v) { return v == nullptr || v->is_null() ? "" : v->ToText(); }

// Whether `value` reads as `type` ("string", "integer", "number", "boolean", ...).
bool Reads(const std::string& type, const Value& value) {
  if (value.is_map() || value.is_list())
    return type == "list of strings" || type == "mapping of strings";
  std::string text = value.ToText();
  char* end = nullptr;
  if (type == "integer") {
    if (value.is_bool() || text.empty()) return false;
    (void)std::strtoll(text.c_str(), &end, 10);
    return *end == '\0';
  }
  if (type == "number") {
    if (value.is_bool() || text.empty()) return false;
    (void)std::strtod(text.c_str(), &end);
    return *end == '\0';
  }
  if (type == "boolean") return text == "true" || text == "false";
  return true;
}

}  // namespace

std::string AnswerInputsProblem(const Value& declared, const Value* given, bool approve) {
  if (!approve) return "";
  const Value::List empty;
  const Value::List& inputs = declared.is_list() ? declared.as_list() : empty;
  std::string names;
  for (const Value& in : inputs) names += (names.empty() ? "" : ", ") + Text(Field(in, "name"));
  if (given != nullptr) {
    for (const auto& [name, value] : given->as_map()) {
      const Value* spec = nullptr;
      for (const Value& in : inputs)
        if (Text(Field(in, "name")) == name) spec = &in;
      if (spec == nullptr)
        return "the gate has no input '" + name + "'" +
               (names.empty() ? " (it asks for none)" : " (its inputs: " + names + ")");
      std::string type = Text(Field(*spec, "type"));
      if (!Reads(type, value)) return "input '" + name + "' must be of type " + type;
      const Value* allowed = Field(*spec, "enum");
      if (allowed != nullptr && allowed->is_list() && !allowed->as_list().empty()) {
        bool found = false;
        for (const Value& a : allowed->as_list()) found = found || a.ToText() == value.ToText();
        if (!found) return "input '" + name + "' must be one of its choices";
      }
    }
  }
  for (const Value& in : inputs) {
    std::string name = Text(Field(in, "name"));
    const Value* req = Field(in, "required");
    bool required = req != nullptr && req->is_bool() && req->as_bool();
    bool given_here = given != nullptr && given->Find(name) != nullptr;
    if (required && Text(Field(in, "default")).empty() && !given_here)
      return "input '" + name + "' is required";
  }
  return "";
}

}  // namespace runbook
