#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/expression.h"
#include "engine/expression_limits.h"
#include "engine/util/number_text.h"

namespace runbook {
namespace {

struct Token {
  enum class Kind { kEnd, kNumber, kString, kIdent, kOp, kError };
  Kind kind = Kind::kEnd;
  std::string text;
  Value value;
  int offset = 0;
  int length = 0;
};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  explicit Lexer(const std::string& s) : s_(s) {}

  Token Next() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    Token t;
    t.offset = static_cast<int>(pos_);
    if (pos_ >= s_.size()) return t;
    char c = s_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c))) return Number(t);
    if (c == '\'') return String(t);
    if (IsIdentStart(c)) return Ident(t);
    return Operator(t);
  }

 private:
  // A number as the grammar has it: digits, an optional fraction, an optional exponent.
  // strtod alone would also take hex (`0x10`) and give infinity for `1e400`.
  Token Number(Token t) {
    size_t i = pos_;
    auto digits_at = [&](size_t k) {
      return k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]));
    };
    while (digits_at(i)) ++i;
    bool integral = true;
    if (i < s_.size() && s_[i] == '.' && digits_at(i + 1)) {
      integral = false;
      for (++i; digits_at(i);) ++i;
    }
    if (i < s_.size() && (s_[i] == 'e' || s_[i] == 'E')) {
      size_t k = i + 1;
      if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
      if (digits_at(k)) {
        integral = false;
        for (i = k; digits_at(i);) ++i;
      }
    }
    std::string text = s_.substr(pos_, i - pos_);
    t.length = static_cast<int>(i - pos_);
    pos_ = i;
    int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (integral && ec == std::errc() && end == text.data() + text.size()) {
      t.kind = Token::Kind::kNumber;
      t.value = Value(n);
      return t;
    }
    std::optional<double> d = DoubleInRange(text);
    if (!d) {
      t.kind = Token::Kind::kError;
      t.text =
          "number " + text + " is out of range (beyond ±1.8e308, or so small it would read as 0)";
      return t;
    }
    t.kind = Token::Kind::kNumber;
    t.value = Value(*d);
    return t;
  }

  Token String(Token t) {
    std::string out;
    size_t i = pos_ + 1;
    while (i < s_.size()) {
      if (s_[i] == '\'') {
        if (i + 1 < s_.size() && s_[i + 1] == '\'') {  // '' is an escaped quote
          out += '\'';
          i += 2;
          continue;
        }
        t.kind = Token::Kind::kString;
        t.value = Value(out);
        t.length = static_cast<int>(i + 1 - pos_);
        pos_ = i + 1;
        return t;
      }
      out += s_[i++];
    }
    t.kind = Token::Kind::kError;
    t.text = "unterminated string literal";
    t.length = static_cast<int>(s_.size() - pos_);
    pos_ = s_.size();
    return t;
  }

  Token Ident(Token t) {
    size_t i = pos_;
    // A '-' inside a name (step ids like "db-restore") when a name character follows.
    while (i < s_.size() &&
           (IsIdentChar(s_[i]) || (s_[i] == '-' && i + 1 < s_.size() && IsIdentChar(s_[i + 1])))) {
      ++i;
    }
    t.kind = Token::Kind::kIdent;
    t.text = s_.substr(pos_, i - pos_);
    t.length = static_cast<int>(i - pos_);
    pos_ = i;
    return t;
  }

  Token Operator(Token t) {
    static const char* kOps[] = {"&&", "||", "==", "!=", "<=", ">=", "!", "<", ">", "+",
                                 "-",  "*",  "/",  "%",  "(",  ")",  "[", "]", ".", ","};
    for (const char* op : kOps) {
      size_t n = std::char_traits<char>::length(op);
      if (s_.compare(pos_, n, op) == 0) {
        t.kind = Token::Kind::kOp;
        t.text = op;
        t.length = static_cast<int>(n);
        pos_ += n;
        return t;
      }
    }
    t.kind = Token::Kind::kError;
    t.text = std::string("unexpected character '") + s_[pos_] + "'";
    if (s_[pos_] == '"') t.text += "; strings use single quotes: 'text'";
    t.length = 1;
    pos_ = s_.size();
    return t;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

// Precedence climbing over the binary operators, lowest first.
const std::vector<std::vector<std::string>> kLevels = {
    {"||"}, {"&&"}, {"==", "!="}, {"<", "<=", ">", ">="}, {"+", "-"}, {"*", "/", "%"}};

class Parser {
 public:
  Parser(const std::string& s, ExprError& error) : lexer_(s), error_(error) { Advance(); }

  ExprPtr ParseAll() {
    ExprPtr e = Binary(0);
    if (e && tok_.kind != Token::Kind::kEnd) {
      return Fail(tok_, "unexpected '" + TokenText() + "' after the expression");
    }
    return e;
  }

 private:
  void Advance() { tok_ = lexer_.Next(); }
  bool IsOp(const char* op) const { return tok_.kind == Token::Kind::kOp && tok_.text == op; }
  std::string TokenText() const {
    return tok_.kind == Token::Kind::kNumber || tok_.kind == Token::Kind::kString
               ? tok_.value.ToText()
               : tok_.text;
  }

  ExprPtr Fail(const Token& t, std::string message) {
    if (error_.message.empty()) error_ = {t.offset, std::max(1, t.length), std::move(message)};
    return nullptr;
  }

  // A new node, or null (and an error at `at`) past kMaxExprNodes or kMaxExprDepth: the
  // tree's height bounds every later recursion over it (check, eval, print, free).
  ExprPtr Make(const Token& at, Expr::Kind kind, std::string text, std::vector<ExprPtr> kids,
               int offset, int length) {
    auto e = std::make_shared<Expr>();
    for (const ExprPtr& k : kids) e->height = std::max(e->height, k->height + 1);
    if (++nodes_ > kMaxExprNodes) {
      return Fail(at, "expression too long: more than " + std::to_string(kMaxExprNodes) +
                          " operands, operators and calls");
    }
    if (e->height > kMaxExprDepth) {
      return Fail(at, "expression too deep: more than " + std::to_string(kMaxExprDepth) +
                          " levels of operators, calls, members and indexes; split it into "
                          "several values");
    }
    e->kind = kind;
    e->text = std::move(text);
    e->kids = std::move(kids);
    e->offset = offset;
    e->length = length;
    return e;
  }

  ExprPtr Literal(const Token& t, Value value) {
    ExprPtr made = Make(t, Expr::Kind::kLiteral, "", {}, t.offset, t.length);
    if (!made) return nullptr;
    auto e = std::const_pointer_cast<Expr>(made);
    e->literal = std::move(value);
    return e;
  }

  ExprPtr Binary(size_t level) {
    if (level == kLevels.size()) return Unary();
    ExprPtr left = Binary(level + 1);
    while (left && tok_.kind == Token::Kind::kOp) {
      const auto& ops = kLevels[level];
      if (std::find(ops.begin(), ops.end(), tok_.text) == ops.end()) break;
      Token op = tok_;
      Advance();
      ExprPtr right = Binary(level + 1);
      if (!right) return nullptr;
      int end = right->offset + right->length;
      left =
          Make(op, Expr::Kind::kBinary, op.text, {left, right}, left->offset, end - left->offset);
    }
    return left;
  }

  ExprPtr Unary() {
    if (IsOp("!") || IsOp("-")) {
      Token op = tok_;
      if (++depth_ > kMaxExprNesting) return TooNested(op);
      Advance();
      ExprPtr operand = Unary();
      --depth_;
      if (!operand) return nullptr;
      int end = operand->offset + operand->length;
      return Make(op, Expr::Kind::kUnary, op.text, {operand}, op.offset, end - op.offset);
    }
    return Postfix(Primary());
  }

  ExprPtr Postfix(ExprPtr e) {
    while (e) {
      if (IsOp(".")) {
        Advance();
        if (tok_.kind != Token::Kind::kIdent) return Fail(tok_, "expected a name after '.'");
        Token name = tok_;
        Advance();
        int end = name.offset + name.length;
        e = Make(name, Expr::Kind::kMember, name.text, {e}, e->offset, end - e->offset);
      } else if (IsOp("[")) {
        Advance();
        ExprPtr index = Nested();
        if (!index) return nullptr;
        if (!IsOp("]")) return Fail(tok_, "expected ']'");
        Token close = tok_;
        Advance();
        int end = close.offset + 1;
        e = Make(close, Expr::Kind::kIndex, "", {e, index}, e->offset, end - e->offset);
      } else {
        break;
      }
    }
    return e;
  }

  ExprPtr TooNested(const Token& at) {
    return Fail(at, "expression nested too deeply: more than " + std::to_string(kMaxExprNesting) +
                        " levels of parentheses, unary operators, arguments or indexes");
  }

  ExprPtr Nested() {
    if (++depth_ > kMaxExprNesting) return TooNested(tok_);
    ExprPtr e = Binary(0);
    --depth_;
    return e;
  }

  ExprPtr Primary() {
    Token t = tok_;
    switch (t.kind) {
      case Token::Kind::kNumber:
      case Token::Kind::kString:
        Advance();
        return Literal(t, t.value);
      case Token::Kind::kIdent:
        return Identifier(t);
      case Token::Kind::kError:
        return Fail(t, t.text);
      case Token::Kind::kEnd:
        return Fail(t, "expected an expression");
      case Token::Kind::kOp:
        break;
    }
    if (IsOp("(")) {
      Advance();
      ExprPtr e = Nested();
      if (!e) return nullptr;
      if (!IsOp(")")) return Fail(tok_, "expected ')'");
      Advance();
      return e;
    }
    return Fail(t, "unexpected '" + t.text + "'");
  }

  ExprPtr Identifier(const Token& t) {
    Advance();
    if (t.text == "true" || t.text == "false" || t.text == "null") {
      return Literal(t, t.text == "null" ? Value() : Value(t.text == "true"));
    }
    if (!IsOp("(")) return Make(t, Expr::Kind::kName, t.text, {}, t.offset, t.length);
    Advance();
    std::vector<ExprPtr> args;
    while (!IsOp(")")) {
      ExprPtr arg = Nested();
      if (!arg) return nullptr;
      args.push_back(arg);
      if (IsOp(",")) {
        Advance();
      } else if (!IsOp(")")) {
        return Fail(tok_, "expected ',' or ')' in the arguments of '" + t.text + "'");
      }
    }
    int end = tok_.offset + 1;
    Advance();
    return Make(t, Expr::Kind::kCall, t.text, std::move(args), t.offset, end - t.offset);
  }

  Lexer lexer_;
  Token tok_;
  ExprError& error_;
  int depth_ = 0;  // syntactic nesting, bounded by kMaxExprNesting
  int nodes_ = 0;  // nodes made, bounded by kMaxExprNodes
};

}  // namespace

ExprPtr ParseExpression(const std::string& source, ExprError& error) {
  error = {};
  Parser parser(source, error);
  ExprPtr e = parser.ParseAll();
  return error.message.empty() ? e : nullptr;
}

std::string ExprToString(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal.is_string() ? "'" + e.literal.as_string() + "'"
                                   : (e.literal.is_null() ? "null" : e.literal.ToText());
    case Expr::Kind::kName:
      return e.text;
    case Expr::Kind::kMember:
      return ExprToString(*e.kids[0]) + "." + e.text;
    case Expr::Kind::kIndex:
      return ExprToString(*e.kids[0]) + "[" + ExprToString(*e.kids[1]) + "]";
    case Expr::Kind::kUnary:
      return e.text + ExprToString(*e.kids[0]);
    case Expr::Kind::kBinary:
      return "(" + ExprToString(*e.kids[0]) + " " + e.text + " " + ExprToString(*e.kids[1]) + ")";
    case Expr::Kind::kCall: {
      std::string out = e.text + "(";
      for (size_t i = 0; i < e.kids.size(); ++i) {
        out += (i ? ", " : "") + ExprToString(*e.kids[i]);
      }
      return out + ")";
    }
  }
  return "";
}

std::optional<std::vector<std::string>> ExprPath(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kName:
      return std::vector<std::string>{e.text};
    case Expr::Kind::kMember: {
      auto base = ExprPath(*e.kids[0]);
      if (base) base->push_back(e.text);
      return base;
    }
    case Expr::Kind::kIndex: {
      const Expr& index = *e.kids[1];
      if (index.kind != Expr::Kind::kLiteral || !index.literal.is_string()) return std::nullopt;
      auto base = ExprPath(*e.kids[0]);
      if (base) base->push_back(index.literal.as_string());
      return base;
    }
    default:
      return std::nullopt;
  }
}

const char* STypeName(SType t) {
  switch (t) {
    case SType::kAny:
      return "any";
    case SType::kNull:
      return "null";
    case SType::kBool:
      return "boolean";
    case SType::kNumber:
      return "number";
    case SType::kString:
      return "string";
    case SType::kList:
      return "list";
    case SType::kMap:
      return "mapping";
  }
  return "?";
}

namespace {
const FunctionInfo kFunctions[] = {
    {"success", 0, 0, SType::kBool, true, false},
    {"failure", 0, 0, SType::kBool, true, false},
    {"always", 0, 0, SType::kBool, true, false},
    {"cancelled", 0, 0, SType::kBool, true, false},
    {"contains", 2, 2, SType::kBool, false, false},
    {"startsWith", 2, 2, SType::kBool, false, false},
    {"endsWith", 2, 2, SType::kBool, false, false},
    {"format", 1, -1, SType::kString, false, false},
    {"join", 1, 2, SType::kString, false, false},
    {"toJSON", 1, 1, SType::kString, false, false},
    {"fromJSON", 1, 1, SType::kAny, false, false},
    {"length", 1, 1, SType::kNumber, false, false},
    {"min", 1, -1, SType::kNumber, false, false},
    {"max", 1, -1, SType::kNumber, false, false},
    {"abs", 1, 1, SType::kNumber, false, false},
    {"round", 1, 2, SType::kNumber, false, false},
    {"realpath", 1, 1, SType::kString, false, true},
};
}  // namespace

const FunctionInfo* FindFunction(const std::string& name) {
  for (const FunctionInfo& f : kFunctions) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::vector<std::string> FunctionNames() {
  std::vector<std::string> names;
  for (const FunctionInfo& f : kFunctions) names.push_back(f.name);
  return names;
}

}  // namespace runbook
