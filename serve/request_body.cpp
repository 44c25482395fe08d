#include "serve/request_body.h"

#include <algorithm>

#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

bool OfKind(const Value& v, FieldKind kind) {
  switch (kind) {
    case FieldKind::kObject:
      return v.is_map();
    case FieldKind::kBool:
      return v.is_bool();
    case FieldKind::kStringList:
      return v.is_list() && std::all_of(v.as_list().begin(), v.as_list().end(),
                                        [](const Value& item) { return item.is_string(); });
  }
  return false;
}

const char* KindText(FieldKind kind) {
  switch (kind) {
    case FieldKind::kObject:
      return "a JSON object";
    case FieldKind::kBool:
      return "true or false";
    case FieldKind::kStringList:
      return "a list of strings";
  }
  return "";
}

}  // namespace

Result<Value::Map> ReadBody(const std::string& body, const std::vector<BodyField>& known) {
  if (body.empty()) return Value::Map{};
  auto json = ParseJsonAsSent(body);  // a number's text as sent, as --set keeps it
  if (!json.ok()) return Status::Error("the body is not read: " + json.status().message());
  if (!json.value().is_map()) return Status::Error("the body must be a JSON object");
  for (const auto& [key, value] : json.value().as_map()) {
    auto field = std::find_if(known.begin(), known.end(),
                              [&key = key](const BodyField& f) { return f.name == key; });
    if (field == known.end()) {
      std::string names;
      for (const BodyField& f : known) names += (names.empty() ? "\"" : ", \"") + f.name + "\"";
      return Status::Error("unknown field \"" + Printable(key) + "\" (" +
                           (names.empty() ? "this call takes none" : "known: " + names) + ")");
    }
    if (!OfKind(value, field->kind))
      return Status::Error("\"" + field->name + "\" must be " + KindText(field->kind));
  }
  return json.value().as_map();
}

const Value* FieldOf(const Value::Map& body, const std::string& name) {
  auto it = body.find(name);
  return it != body.end() ? &it->second : nullptr;
}

std::string QueryProblem(const std::string& target) {
  const size_t query = target.find('?');
  if (query == std::string::npos) return "";
  size_t start = query + 1;
  while (start <= target.size()) {
    size_t end = target.find('&', start);
    if (end == std::string::npos) end = target.size();
    const std::string piece = target.substr(start, end - start);
    const size_t first = piece.find('=');
    if (first != std::string::npos && piece.find('=', first + 1) != std::string::npos)
      return "query parameter '" + piece.substr(0, first) +
             "' holds a second '=': send a '=' in a value as %3D";
    start = end + 1;
  }
  return "";
}

}  // namespace runbook
