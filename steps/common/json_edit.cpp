#include "steps/common/json_edit.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

namespace runbook {
namespace {

struct Scanner {
  const std::string& t;
  size_t i = 0;
  std::optional<JsonDuplicate> duplicate =
      std::nullopt;  // the first key repeated in its object, if any

  void Space() {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  }
  // A key starting at i: its decoded text, so "fl\u0061g" and "flag" are one key (breakH H1).
  std::optional<std::string> Key() {
    size_t start = i;
    auto raw = String();
    if (!raw) return std::nullopt;
    auto decoded = nlohmann::json::parse(t.substr(start, i - start), nullptr, false);
    if (!decoded.is_string()) return std::nullopt;
    return decoded.get<std::string>();
  }
  // A string starting at i (the quote); returns its raw contents (escapes kept).
  std::optional<std::string> String() {
    if (i >= t.size() || t[i] != '"') return std::nullopt;
    size_t start = ++i;
    while (i < t.size() && t[i] != '"') i += t[i] == '\\' ? 2 : 1;
    if (i >= t.size()) return std::nullopt;
    return t.substr(start, i++ - start);
  }
  // Skips any value; false on malformed text.
  bool Skip() {
    Space();
    if (i >= t.size()) return false;
    char c = t[i];
    if (c == '"') return String().has_value();
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++i;
      Space();
      if (i < t.size() && t[i] == close) return ++i, true;
      std::set<std::string> keys;
      for (;;) {
        if (c == '{') {
          Space();
          size_t at = i;
          auto key = Key();
          if (!key) return false;
          if (!keys.insert(*key).second && !duplicate) duplicate = JsonDuplicate{*key, LineOf(at)};
          Space();
          if (i >= t.size() || t[i++] != ':') return false;
        }
        if (!Skip()) return false;
        Space();
        if (i < t.size() && t[i] == ',') {
          ++i;
          continue;
        }
        return i < t.size() && t[i++] == close;
      }
    }
    while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '-' ||
                            t[i] == '+' || t[i] == '.'))
      ++i;
    return true;
  }
  size_t LineOf(size_t at) const {
    return 1 + static_cast<size_t>(std::count(t.begin(), t.begin() + static_cast<long>(at), '\n'));
  }
  // In the object at i, positions i at the value of `key`.
  bool Member(const std::string& key) {
    Space();
    if (i >= t.size() || t[i] != '{') return false;
    ++i;
    for (;;) {
      Space();
      if (i < t.size() && t[i] == '}') return false;
      auto k = Key();
      if (!k) return false;
      Space();
      if (i >= t.size() || t[i++] != ':') return false;
      Space();
      if (*k == key) return true;
      if (!Skip()) return false;
      Space();
      if (i < t.size() && t[i] == ',') ++i;
    }
  }
};

}  // namespace

std::optional<JsonSpan> FindJsonValue(const std::string& text,
                                      const std::vector<std::string>& path) {
  Scanner s{text};
  for (const std::string& key : path)
    if (!s.Member(key)) return std::nullopt;
  s.Space();
  size_t begin = s.i;
  if (!s.Skip()) return std::nullopt;
  return JsonSpan{begin, s.i};
}

std::optional<JsonDuplicate> FindDuplicateKey(const std::string& text) {
  Scanner s{text};
  if (!s.Skip()) return std::nullopt;
  return s.duplicate;
}

}  // namespace runbook
