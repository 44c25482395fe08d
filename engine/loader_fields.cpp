#include "engine/loader_fields.h"

#include <algorithm>
#include <string_view>

#include "engine/expression_limits.h"
#include "engine/source/snode_value.h"
#include "engine/util/number_text.h"
#include "engine/util/strings.h"

namespace runbook {

void FieldReader::CheckKeys(const SNode& map, const std::vector<std::string>& allowed,
                            const std::string& where) {
  for (const auto& [key, value] : map.entries) {
    bool known = false;
    for (const std::string& a : allowed) known = known || a == key.text;
    if (known) continue;
    std::string message = "unknown key '" + key.text + "' in " + where;
    std::string close = ClosestName(key.text, allowed);
    if (!close.empty()) message += "; did you mean '" + close + "'?";
    Error(key.loc, message);
  }
}

bool FieldReader::ExpectMap(const SNode& node, const std::string& what) {
  if (node.is_map()) return true;
  Error(node.loc, what + " must be a mapping, found " + node.KindName());
  return false;
}

std::optional<std::string> FieldReader::String(const SNode& node, const std::string& what) {
  if (node.is_scalar()) return node.text;
  Error(node.loc, what + " must be a string, found " + node.KindName());
  return std::nullopt;
}

std::optional<int64_t> FieldReader::Integer(const SNode& node, const std::string& what) {
  Value v = ScalarValue(node);
  if (node.is_scalar() && v.is_int()) return v.as_int();
  // An integer's digits past 64 bits are out of range, not "not an integer" (break24a D3).
  std::string_view digits(node.text);
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (node.is_scalar() && !digits.empty() &&
      digits.find_first_not_of("0123456789") == std::string_view::npos) {
    Error(node.loc, what + ": '" + node.text + "' " + kIntegerOutOfRange);
    return std::nullopt;
  }
  Error(node.loc, what + " must be an integer, found " +
                      (node.is_scalar() ? "'" + node.text + "'" : node.KindName()));
  return std::nullopt;
}

std::optional<bool> FieldReader::Boolean(const SNode& node, const std::string& what) {
  Value v = ScalarValue(node);
  if (node.is_scalar() && v.is_bool()) return v.as_bool();
  Error(node.loc, what + " must be true or false, found " +
                      (node.is_scalar() ? "'" + node.text + "'" : node.KindName()));
  return std::nullopt;
}

std::optional<Millis> FieldReader::PositiveDuration(const SNode& node, const std::string& what) {
  auto d = Duration(node, what);
  if (d && d->count() <= 0) {
    Error(node.loc, what + " must be more than 0, found '" + node.text +
                        "' (a zero timeout would fail every attempt at once)");
    return std::nullopt;
  }
  return d;
}

std::optional<Millis> FieldReader::Duration(const SNode& node, const std::string& what) {
  if (node.is_scalar()) {
    if (auto d = ParseDuration(node.text)) return d;
  }
  std::string why = node.is_scalar() ? DurationProblem(node.text) : "";
  if (why.rfind("duration '", 0) == 0)  // well formed, out of range
    Error(node.loc, why + " for " + what);
  else
    Error(node.loc, "invalid duration " +
                        (node.is_scalar() ? "'" + node.text + "'" : std::string(node.KindName())) +
                        " for " + what +
                        "; expected a duration such as '500ms', '30s', '10m', "
                        "'2h' or '1h30m'");
  return std::nullopt;
}

std::optional<std::vector<std::string>> FieldReader::StringList(const SNode& node,
                                                                const std::string& what) {
  if (node.is_scalar()) return std::vector<std::string>{node.text};
  if (!node.is_seq()) {
    Error(node.loc, what + " must be a list of strings, found " + node.KindName());
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const SNode& item : node.items) {
    auto s = String(item, "each item of " + what);
    if (!s) return std::nullopt;
    out.push_back(*s);
  }
  return out;
}

std::optional<std::string> FieldReader::Choice(const SNode& node, const std::string& what,
                                               const std::vector<std::string>& choices) {
  auto s = String(node, what);
  if (!s) return std::nullopt;
  for (const std::string& c : choices) {
    if (c == *s) return s;
  }
  std::string message =
      "invalid " + what + " '" + *s + "'; expected one of: " + Join(choices, ", ");
  std::string close = ClosestName(*s, choices);
  if (!close.empty()) message += "; did you mean '" + close + "'?";
  Error(node.loc, message);
  return std::nullopt;
}

Loc FieldReader::LocIn(const SNode& scalar, int offset, int length) const {
  return LocIn(scalar.loc, scalar.text, scalar.quoted, offset, length);
}

Loc FieldReader::LocIn(Loc loc, const std::string& text, bool quoted, int offset,
                       int length) const {
  bool single_line = text.find('\n') == std::string::npos;
  std::string line = source_.Line(loc.line);
  // Only plain or simply quoted one-line scalars map offsets to columns exactly.
  size_t start = static_cast<size_t>(std::max(0, loc.col - 1)) + (quoted ? 1 : 0);
  if (single_line && start <= line.size() && line.compare(start, text.size(), text) == 0) {
    loc.col += offset + (quoted ? 1 : 0);
    loc.length = length;
  }
  return loc;
}

bool FieldReader::ExpressionTextFits(const SNode& scalar) {
  const bool fitted = expression_bytes_ <= kMaxRunbookExprBytes;
  expression_bytes_ += scalar.text.size();
  if (expression_bytes_ <= kMaxRunbookExprBytes) return true;
  if (fitted)
    Error(scalar.loc, "the runbook's expressions hold more than " +
                          std::to_string(kMaxRunbookExprBytes >> 20) +
                          " MiB of text in all (an alias counted each time it is used); the "
                          "rest are not read");
  return false;
}

std::optional<Template> FieldReader::TemplateOf(const SNode& scalar) {
  if (!ExpressionTextFits(scalar)) return std::nullopt;
  ExprError error;
  auto t = ParseTemplate(scalar.text, error);
  if (!t) Error(LocIn(scalar, error.offset, error.length), error.message);
  return t;
}

TNode FieldReader::Tree(const SNode& node) {
  TNode out;
  out.loc = node.loc;
  switch (node.kind) {
    case SNode::Kind::kNull:
      out.literal = ScalarValue(node);
      return out;
    case SNode::Kind::kScalar:
      if (HasExpressionMarker(node.text)) {
        if (auto t = TemplateOf(node)) {
          out.kind = TNode::Kind::kTemplate;
          out.tmpl = std::move(*t);
          out.text = node.text;
          out.quoted = node.quoted;
          return out;
        }
      }
      out.literal = ScalarValue(node);
      return out;
    case SNode::Kind::kSeq:
      out.kind = TNode::Kind::kList;
      for (const SNode& item : node.items) out.items.push_back(Tree(item));
      return out;
    case SNode::Kind::kMap:
      out.kind = TNode::Kind::kMap;
      for (const auto& [key, value] : node.entries) out.entries.emplace_back(key.text, Tree(value));
      return out;
  }
  return out;
}

}  // namespace runbook
