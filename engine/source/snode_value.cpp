#include "engine/source/snode_value.h"

#include <cerrno>
#include <cstdlib>

namespace runbook {
namespace {

bool IsInteger(const std::string& s) {
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i >= s.size() || s.size() > 19) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// [-+]? (digits [. digits?] | . digits) ([eE] [-+]? digits)?
bool IsFloat(const std::string& s) {
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  size_t whole = digits();
  size_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac = digits();
  }
  if (whole == 0 && frac == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

}  // namespace

Value ScalarValue(const SNode& n) {
  if (n.is_null()) return Value();
  if (n.quoted || n.text.empty()) return Value(n.text);
  const std::string& s = n.text;
  if (s == "true") return Value(true);
  if (s == "false") return Value(false);
  if (IsInteger(s)) return Value(static_cast<int64_t>(std::strtoll(s.c_str(), nullptr, 10)));
  if (IsFloat(s)) return Value(std::strtod(s.c_str(), nullptr));
  return Value(s);
}

Value ToValue(const SNode& node) {
  switch (node.kind) {
    case SNode::Kind::kNull:
      return Value();
    case SNode::Kind::kScalar:
      return ScalarValue(node);
    case SNode::Kind::kSeq: {
      Value::List list;
      for (const SNode& item : node.items) list.push_back(ToValue(item));
      return Value(std::move(list));
    }
    case SNode::Kind::kMap: {
      Value::Map map;
      for (const auto& [key, value] : node.entries) map[key.text] = ToValue(value);
      return Value(std::move(map));
    }
  }
  return Value();
}

}  // namespace runbook
