#include "engine/util/value.h"

#include "engine/util/json.h"

namespace runbook {

Value::Value(List l) : kind_(Kind::kList), list_(std::make_shared<List>(std::move(l))) {}
Value::Value(Map m) : kind_(Kind::kMap), map_(std::make_shared<Map>(std::move(m))) {}

Value Value::Unknown(std::string text) {
  Value v;
  v.kind_ = Kind::kUnknown;
  v.str_ = std::move(text);
  return v;
}

Value Value::Written(Value typed, std::string text) {
  if (typed.kind_ != Kind::kNull && typed.kind_ != Kind::kBool && typed.kind_ != Kind::kInt &&
      typed.kind_ != Kind::kDouble)
    return typed;
  typed.written_ = true;
  typed.str_ = typed.kind_ == Kind::kNull ? std::string() : std::move(text);
  return typed;
}

bool Value::has_unknown() const {
  if (is_unknown()) return true;
  for (const Value& x : as_list())
    if (x.has_unknown()) return true;
  for (const auto& [k, x] : as_map())
    if (x.has_unknown()) return true;
  return false;
}

const Value::List& Value::as_list() const {
  static const List kEmpty;
  return list_ ? *list_ : kEmpty;
}

const Value::Map& Value::as_map() const {
  static const Map kEmpty;
  return map_ ? *map_ : kEmpty;
}

Value::List& Value::mutable_list() {
  if (!list_) list_ = std::make_shared<List>();
  if (list_.use_count() > 1) list_ = std::make_shared<List>(*list_);
  kind_ = Kind::kList;
  return *list_;
}

Value::Map& Value::mutable_map() {
  if (!map_) map_ = std::make_shared<Map>();
  if (map_.use_count() > 1) map_ = std::make_shared<Map>(*map_);
  kind_ = Kind::kMap;
  return *map_;
}

const Value* Value::Find(const std::string& key) const {
  if (kind_ != Kind::kMap || !map_) return nullptr;
  auto it = map_->find(key);
  return it == map_->end() ? nullptr : &it->second;
}

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::kNull:
      return false;
    case Kind::kBool:
    case Kind::kInt:
      return int_ != 0;
    case Kind::kDouble:
      return double_ != 0;
    case Kind::kString:
      return !str_.empty();
    case Kind::kList:
      return !as_list().empty();
    case Kind::kMap:
      return !as_map().empty();
    case Kind::kUnknown:
      return true;
  }
  return false;
}

std::string Value::ToText() const {
  switch (kind_) {
    case Kind::kNull:
      return "";
    case Kind::kString:
      return str_;
    case Kind::kUnknown:
      return str_;
    default:
      return written_ ? str_ : ToJson(*this);
  }
}

const char* Value::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "boolean";
    case Kind::kInt:
      return "integer";
    case Kind::kDouble:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "mapping";
    case Kind::kUnknown:
      return "unknown";
  }
  return "?";
}

bool operator==(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return a.int_ == b.int_;
    return a.as_double() == b.as_double();
  }
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.int_ == b.int_;
    case Value::Kind::kString:
    case Value::Kind::kUnknown:
      return a.str_ == b.str_;
    case Value::Kind::kList:
      return a.as_list() == b.as_list();
    case Value::Kind::kMap:
      return a.as_map() == b.as_map();
    default:
      return false;
  }
}

Value StringsValue(const std::vector<std::string>& strings) {
  Value::List list;
  for (const std::string& s : strings) list.push_back(Value(s));
  return Value(std::move(list));
}

std::optional<std::vector<std::string>> StringsOf(const Value* v) {
  if (v == nullptr || !v->is_list()) return std::nullopt;
  std::vector<std::string> out;
  for (const Value& item : v->as_list()) {
    if (!item.is_string()) return std::nullopt;
    out.push_back(item.as_string());
  }
  return out;
}

}  // namespace runbook
