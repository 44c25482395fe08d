#include "engine/source/snode_value.h"

#include <charconv>
#include <optional>

#include "engine/util/number_text.h"

namespace runbook {
namespace {

// [-+]? digits, within int64 (a longer one is read as a float: 12345678901234567890).
std::optional<int64_t> Integer(const std::string& s) {
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i >= s.size()) return std::nullopt;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] < '0' || s[j] > '9') return std::nullopt;
  }
  int64_t n = 0;
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace

Value ScalarValue(const SNode& n) {
  if (n.is_null()) return Value::Written(Value(), "");
  if (n.quoted || n.text.empty()) return Value(n.text);
  const std::string& s = n.text;
  if (s == "true" || s == "false") return Value::Written(Value(s == "true"), s);
  if (auto i = Integer(s)) return Value::Written(Value(*i), s);
  if (IsDecimalNumber(
          s)) {  // one out of range (1e400, 1e-400) stays text: never an infinite number
                 // JSON would carry as null (breakI I13); a typed check then names it
    if (auto d = DoubleInRange(s)) return Value::Written(Value(*d), s);
  }
  return Value(s);
}

Value ToValue(const SNode& node) {
  switch (node.kind) {
    case SNode::Kind::kNull:
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
