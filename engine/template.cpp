#include "engine/template.h"

namespace runbook {

TNode::TNode() = default;
TNode::~TNode() = default;
TNode::TNode(const TNode&) = default;
TNode::TNode(TNode&&) noexcept = default;
TNode& TNode::operator=(const TNode&) = default;
TNode& TNode::operator=(TNode&&) noexcept = default;

bool Template::has_expressions() const {
  for (const Part& p : parts) {
    if (p.expr) return true;
  }
  return false;
}

bool HasExpressionMarker(const std::string& text) { return text.find("${{") != std::string::npos; }

namespace {

// The end of the expression starting at `from`: the first "}}" outside a string literal.
size_t FindClose(const std::string& text, size_t from) {
  bool in_string = false;
  for (size_t i = from; i + 1 < text.size(); ++i) {
    if (text[i] == '\'') in_string = !in_string;  // '' toggles twice: still correct
    if (!in_string && text[i] == '}' && text[i + 1] == '}') return i;
  }
  return std::string::npos;
}

}  // namespace

std::optional<Template> ParseTemplate(const std::string& text, ExprError& error) {
  Template t;
  size_t pos = 0;
  std::string literal;
  while (pos < text.size()) {
    size_t open = text.find("${{", pos);
    if (open == std::string::npos) {
      literal += text.substr(pos);
      break;
    }
    literal += text.substr(pos, open - pos);
    size_t close = FindClose(text, open + 3);
    if (close == std::string::npos) {
      error = {static_cast<int>(open), 3, "unterminated '${{'; expected '}}'"};
      return std::nullopt;
    }
    Template::Part part;
    part.literal = std::move(literal);
    literal.clear();
    part.source = text.substr(open + 3, close - open - 3);
    part.offset = static_cast<int>(open + 3);
    ExprError inner;
    part.expr = ParseExpression(part.source, inner);
    if (!part.expr) {
      error = {part.offset + inner.offset, inner.length, inner.message};
      return std::nullopt;
    }
    t.parts.push_back(std::move(part));
    pos = close + 2;
  }
  if (!literal.empty() || t.parts.empty()) t.parts.push_back({literal, nullptr, "", 0});
  t.whole = t.parts.size() == 1 && t.parts[0].expr && t.parts[0].literal.empty() &&
            text.substr(0, 3) == "${{" && text.substr(text.size() - 2) == "}}";
  return t;
}

Result<Value> RenderTemplate(const Template& t, const EvalScope& scope) {
  if (t.whole) return Evaluate(*t.parts[0].expr, scope);
  std::string out;
  bool unknown = false;
  for (const Template::Part& part : t.parts) {
    out += part.literal;
    if (!part.expr) continue;
    auto v = Evaluate(*part.expr, scope);
    if (!v.ok()) return v;
    unknown = unknown || v.value().is_unknown();
    out += v.value().ToText();
  }
  return unknown ? Value::Unknown(out) : Value(out);
}

bool TNode::has_expressions() const {
  switch (kind) {
    case Kind::kLiteral:
      return false;
    case Kind::kTemplate:
      return true;
    case Kind::kList:
      for (const TNode& item : items) {
        if (item.has_expressions()) return true;
      }
      return false;
    case Kind::kMap:
      for (const auto& [key, item] : entries) {
        if (item.has_expressions()) return true;
      }
      return false;
  }
  return false;
}

std::optional<Value> TNode::StaticValue() const {
  if (has_expressions()) return std::nullopt;
  switch (kind) {
    case Kind::kLiteral:
      return literal;
    case Kind::kList: {
      Value::List list;
      for (const TNode& item : items) list.push_back(*item.StaticValue());
      return Value(std::move(list));
    }
    case Kind::kMap: {
      Value::Map map;
      for (const auto& [key, item] : entries) map[key] = *item.StaticValue();
      return Value(std::move(map));
    }
    default:
      return std::nullopt;
  }
}

Result<Value> ResolveTree(const TNode& node, const EvalScope& scope) {
  switch (node.kind) {
    case TNode::Kind::kLiteral:
      return node.literal;
    case TNode::Kind::kTemplate:
      return RenderTemplate(node.tmpl, scope);
    case TNode::Kind::kList: {
      Value::List list;
      for (const TNode& item : node.items) {
        auto v = ResolveTree(item, scope);
        if (!v.ok()) return v;
        list.push_back(std::move(v).value());
      }
      return Value(std::move(list));
    }
    case TNode::Kind::kMap: {
      Value::Map map;
      for (const auto& [key, item] : node.entries) {
        auto v = ResolveTree(item, scope);
        if (!v.ok()) return v;
        map[key] = std::move(v).value();
      }
      return Value(std::move(map));
    }
  }
  return Value();
}

}  // namespace runbook
