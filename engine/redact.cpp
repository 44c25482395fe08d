#include "engine/redact.h"

#include <algorithm>

namespace runbook {

void Redactor::Add(const std::string& secret) {
  if (secret.size() < 4) return;
  secrets_.push_back(secret);
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::Apply(std::string text) const {
  for (const std::string& s : secrets_) {
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3)) {
      text.replace(pos, s.size(), "***");
    }
  }
  return text;
}

Value Redactor::Apply(const Value& value) const {
  if (secrets_.empty()) return value;
  switch (value.kind()) {
    case Value::Kind::kString:
      return Value(Apply(value.as_string()));
    case Value::Kind::kList: {
      Value::List out;
      for (const Value& v : value.as_list()) out.push_back(Apply(v));
      return Value(std::move(out));
    }
    case Value::Kind::kMap: {
      Value::Map out;
      for (const auto& [k, v] : value.as_map()) out[k] = Apply(v);
      return Value(std::move(out));
    }
    default:
      return value;
  }
}

}  // namespace runbook
