#include "engine/util/json.h"

#include <nlohmann/json.hpp>

namespace runbook {
namespace {

nlohmann::ordered_json ToNlohmann(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.as_bool();
    case Value::Kind::kInt:
      return v.as_int();
    case Value::Kind::kDouble:
      return v.as_double();
    case Value::Kind::kString:
      return v.as_string();
    case Value::Kind::kUnknown:
      return v.as_string();
    case Value::Kind::kList: {
      auto arr = nlohmann::ordered_json::array();
      for (const Value& item : v.as_list()) arr.push_back(ToNlohmann(item));
      return arr;
    }
    case Value::Kind::kMap: {
      auto obj = nlohmann::ordered_json::object();
      for (const auto& [key, item] : v.as_map()) obj[key] = ToNlohmann(item);
      return obj;
    }
  }
  return nullptr;
}

constexpr int kMaxDepth = 512;

// Recursive; ParseJson checks the depth first so this stays bounded.
Value FromNlohmann(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return Value(static_cast<int64_t>(j.get<uint64_t>()));
    case nlohmann::json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      Value::List list;
      for (const auto& item : j) list.push_back(FromNlohmann(item));
      return Value(std::move(list));
    }
    case nlohmann::json::value_t::object: {
      Value::Map map;
      for (const auto& [key, item] : j.items()) map[key] = FromNlohmann(item);
      return Value(std::move(map));
    }
    default:
      return Value();
  }
}

}  // namespace

std::string ToJson(const Value& value, int indent) {
  return ToNlohmann(value).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Value> ParseJson(const std::string& text) {
  try {
    int depth = 0;
    bool too_deep = false;
    auto guard = [&](int d, nlohmann::json::parse_event_t event, nlohmann::json&) {
      depth = d;
      if (event == nlohmann::json::parse_event_t::object_start ||
          event == nlohmann::json::parse_event_t::array_start) {
        if (depth >= kMaxDepth) too_deep = true;
      }
      return !too_deep;
    };
    auto parsed = nlohmann::json::parse(text, guard);
    if (too_deep) return Status::Error("invalid JSON: nested deeper than 512 levels");
    return FromNlohmann(parsed);
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace runbook
