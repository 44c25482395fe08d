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

namespace {
Result<Value> JoinParts(const Template& t, const EvalScope& scope, EvalBudget& budget);
}  // namespace

Result<Value> RenderTemplate(const Template& t, const EvalScope& scope, EvalBudget* budget) {
  EvalBudget own;
  if (budget == nullptr) budget = &own;
  if (budget->run_left == nullptr) budget->run_left = scope.RunWorkLeft();
  auto v = t.whole ? Evaluate(*t.parts[0].expr, scope, budget) : JoinParts(t, scope, *budget);
  if (!v.ok()) return v;
  Status kept = budget->Keep(v.value());
  if (!kept.ok()) return kept;
  return v;
}

namespace {

// The parts of a template that is not one whole expression, joined as text.
Result<Value> JoinParts(const Template& t, const EvalScope& scope, EvalBudget& budget) {
  std::string out;
  bool unknown = false;
  for (const Template::Part& part : t.parts) {
    out += part.literal;
    if (!part.expr) continue;
    auto v = Evaluate(*part.expr, scope, &budget);
    if (!v.ok()) return v;
    unknown = unknown || v.value().is_unknown();
    std::string text = v.value().ToText();
    if (out.size() + text.size() > kMaxValueBytes) {
      return Status::Error("the text with its ${{ }} filled in would be more than " +
                           std::to_string(kMaxValueBytes >> 20) + " MiB (the limit on a value)");
    }
    if (!budget.Spend(text.size())) return budget.TooMuchWork();
    out += text;
  }
  return unknown ? Value::Unknown(out) : Value(out);
}

}  // namespace

Status LocateError(const Status& error, const Loc& loc) {
  if (error.ok() || loc.line < 1) return error;
  return Status::Error(error.message() + LocationWords(loc.line, loc.col))
      .Sited(error.site() ? *error.site() : ErrorSite{"", loc.line, loc.col});
}

std::string LocationWords(int line, int col) {
  return " (at line " + std::to_string(line) + ", column " + std::to_string(col) + ")";
}

std::string InSourceFile(const std::string& message, const std::string& file) {
  if (file.empty()) return message;
  static const std::string kMark = "(at line ";
  std::string out;
  size_t at = 0;
  for (size_t hit; (hit = message.find(kMark, at)) != std::string::npos; at = hit + kMark.size())
    out += message.substr(at, hit - at) + "(at " + file + " line ";
  return out + message.substr(at);
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

Value TNode::ShapeValue() const {
  switch (kind) {
    case Kind::kLiteral:
      return literal;
    case Kind::kTemplate:
      return Value::Unknown(text);
    case Kind::kList: {
      Value::List list;
      for (const TNode& item : items) list.push_back(item.ShapeValue());
      return Value(std::move(list));
    }
    case Kind::kMap: {
      Value::Map map;
      for (const auto& [key, item] : entries) map[key] = item.ShapeValue();
      return Value(std::move(map));
    }
  }
  return Value();
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

namespace {

Result<Value> Resolve(const TNode& node, const EvalScope& scope, EvalBudget& budget) {
  switch (node.kind) {
    case TNode::Kind::kLiteral:
      return node.literal;
    case TNode::Kind::kTemplate: {
      auto v = RenderTemplate(node.tmpl, scope, &budget);
      if (!v.ok()) return LocateError(v.status(), node.loc);
      return v;
    }
    case TNode::Kind::kList: {
      Value::List list;
      for (const TNode& item : node.items) {
        auto v = Resolve(item, scope, budget);
        if (!v.ok()) return v;
        list.push_back(std::move(v).value());
      }
      return Value(std::move(list));
    }
    case TNode::Kind::kMap: {
      Value::Map map;
      for (const auto& [key, item] : node.entries) {
        auto v = Resolve(item, scope, budget);
        if (!v.ok()) return v;
        map[key] = std::move(v).value();
      }
      return Value(std::move(map));
    }
  }
  return Value();
}

}  // namespace

Result<Value> ResolveTree(const TNode& node, const EvalScope& scope, EvalBudget* budget) {
  EvalBudget own;
  return Resolve(node, scope, budget ? *budget : own);
}

}  // namespace runbook
