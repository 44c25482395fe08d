#include "steps/common/json_edit.h"

#include <cctype>

namespace runbook {
namespace {

struct Scanner {
  const std::string& t;
  size_t i = 0;

  void Space() {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
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
      for (;;) {
        if (c == '{') {
          Space();
          if (!String()) return false;
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
  // In the object at i, positions i at the value of `key`.
  bool Member(const std::string& key) {
    Space();
    if (i >= t.size() || t[i] != '{') return false;
    ++i;
    for (;;) {
      Space();
      if (i < t.size() && t[i] == '}') return false;
      auto k = String();
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

}  // namespace runbook
