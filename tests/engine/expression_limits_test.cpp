// engine/expression_limits.h: deep or long expressions are refused when parsed, at the token
// that crosses the limit; values past the size limit and evaluations past the work budget
// are errors, never a crash or an allocation failure.
#include "engine/expression_limits.h"

#include <catch2/catch.hpp>

#include "engine/expression.h"
#include "engine/expression_eval.h"
#include "engine/template.h"

using namespace runbook;

namespace {

struct EmptyScope : EvalScope {
  Result<Value> Lookup(const std::vector<std::string>& path) const override {
    return Status::Error("no " + path[0]);
  }
  bool StatusFunction(const std::string&) const override { return true; }
};

std::string Repeat(const std::string& s, int n) {
  std::string out;
  out.reserve(s.size() * n);
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// The parse error of `text`, which must be refused.
ExprError Refused(const std::string& text) {
  ExprError error;
  ExprPtr e = ParseExpression(text, error);
  CHECK(e == nullptr);
  CHECK(!error.message.empty());
  CHECK(error.offset >= 0);
  CHECK(error.offset < static_cast<int>(text.size()));
  return error;
}

std::string LimitError(const std::string& text) {
  ExprError error;
  ExprPtr e = ParseExpression(text, error);
  if (!e) return "parse: " + error.message;
  auto v = Evaluate(*e, EmptyScope());
  return v.ok() ? "ok" : v.status().message();
}

}  // namespace

TEST_CASE("a flat chain of 50,000 || operands is refused at the operand past the limit",
          "[limits]") {
  std::string text = "false" + Repeat(" || false", 49'999);
  ExprError error = Refused(text);
  CHECK(error.message.find("expression too deep") != std::string::npos);
  // The operator that joins operand kMaxExprDepth + 1: "false" then " || false" each.
  CHECK(error.offset == 5 + 9 * (kMaxExprDepth - 1) + 1);
}

TEST_CASE("chains of every operator, members and indexes are bounded", "[limits]") {
  for (const char* op : {" && ", " + ", " * ", " == ", " < "}) {
    INFO(op);
    CHECK(Refused("1" + Repeat(std::string(op) + "1", 100'000)).message.find("too deep") !=
          std::string::npos);
  }
  CHECK(Refused("params" + Repeat(".a", 100'000)).message.find("too deep") != std::string::npos);
  CHECK(Refused("params" + Repeat("[0]", 100'000)).message.find("too deep") != std::string::npos);
  // Just under the limit parses and evaluates.
  CHECK(LimitError("true" + Repeat(" && true", kMaxExprDepth - 1)) == "ok");
}

TEST_CASE("deep nesting of parentheses, unary operators and calls is refused", "[limits]") {
  int n = 100'000;
  CHECK(
      Refused(std::string(n, '(') + "1" + std::string(n, ')')).message.find("nested too deeply") !=
      std::string::npos);
  CHECK(Refused(std::string(n, '!') + "true").message.find("nested too deeply") !=
        std::string::npos);
  CHECK(Refused(Repeat("- ", n) + "1").message.find("nested too deeply") != std::string::npos);
  CHECK(Refused(Repeat("length(", n) + "'x'" + std::string(n, ')'))
            .message.find("nested too deeply") != std::string::npos);
  CHECK(Refused(Repeat("format('{0}', ", n) + "'x'" + std::string(n, ')'))
            .message.find("nested too deeply") != std::string::npos);
  CHECK(LimitError(std::string(kMaxExprNesting, '!') + "true") == "ok");
}

TEST_CASE("an expression with more nodes than the limit is refused", "[limits]") {
  // Flat: one call with many arguments stays shallow but is long.
  std::string text = "max(1" + Repeat(", 1", kMaxExprNodes) + ")";
  CHECK(Refused(text).message.find("expression too long") != std::string::npos);
  CHECK(LimitError("max(1" + Repeat(", 1", 1000) + ")") == "ok");
}

TEST_CASE("format() nested nine deep stops at the value size limit", "[limits]") {
  std::string ten = "'{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}'";
  std::string text = Repeat("format(" + ten + ", ", 9) + "'x'" + std::string(9, ')');
  CHECK(LimitError(text).find("format() would produce more than 4 MiB") != std::string::npos);
  // Three levels (1,000 characters) are fine.
  CHECK(LimitError(Repeat("format(" + ten + ", ", 3) + "'x'" + std::string(3, ')')) == "ok");
}

TEST_CASE("toJSON, join, + and fromJSON blow-ups stop at the limits", "[limits]") {
  // Each toJSON doubles the backslashes before a quote: exponential growth.
  std::string json = Repeat("toJSON(", 40) + "'\"'" + std::string(40, ')');
  CHECK(LimitError(json).find("more than 4 MiB") != std::string::npos);
  std::string big = "format('" + Repeat("{0}", 1000) + "', '" + std::string(1000, 'x') + "')";
  CHECK(LimitError(big + " + " + big + " + " + big + " + " + big + " + " + big)
            .find("'+' would produce more than 4 MiB") != std::string::npos);
  std::string list =
      "fromJSON(format('[{0}]', join(fromJSON('[" + Repeat("1,", 999) + "1]'), ',')))";
  CHECK(LimitError("length(" + list + ")") == "ok");
  std::string many = "fromJSON(format('[{0}0]', format('" + Repeat("{0}", 1000) + "', '" +
                     Repeat("0,", 200) + "')))";
  CHECK(LimitError(many).find("fromJSON() would build more than") != std::string::npos);
  CHECK(LimitError("join(fromJSON('[1,2,3,4,5,6]'), " + big + ")").find("join() would produce") !=
        std::string::npos);
}

TEST_CASE("the work budget is shared by a template's expressions", "[limits]") {
  // Each part is 2 MiB, under the value limit alone; three together are over it.
  std::string two = "format('" + Repeat("{0}", 2048) + "', '" + std::string(1024, 'x') + "')";
  ExprError error;
  auto t = ParseTemplate(Repeat("${{ " + two + " }}", 3), error);
  REQUIRE(t);
  auto v = RenderTemplate(*t, EmptyScope());
  REQUIRE(!v.ok());
  CHECK(v.status().message().find("filled in would be more than 4 MiB") != std::string::npos);
  // A budget nearly spent refuses the next node.
  EvalBudget budget;
  budget.left = 3;
  ExprPtr e = ParseExpression("1 + 2 + 3", error);
  REQUIRE(e);
  auto spent = Evaluate(*e, EmptyScope(), &budget);
  REQUIRE(!spent.ok());
  CHECK(spent.status().message().find("too much work") != std::string::npos);
}

TEST_CASE("integer edge cases give values or errors, not undefined behaviour", "[limits]") {
  std::string min = "(-922337203685477580 * 10 - 8)";  // the most negative 64-bit integer
  CHECK(LimitError("-" + min) == "ok");
  CHECK(LimitError("abs(" + min + ")") == "ok");
  CHECK(LimitError(min + " / -1") == "ok");
  CHECK(LimitError("round(1.5, 1e300)") == "ok");
  CHECK(LimitError("fromJSON('[1]')[1e300]").find("out of range") != std::string::npos);
  CHECK(LimitError("fromJSON('[1]')[-1]").find("out of range") != std::string::npos);
}

namespace {

struct AnyCheckScope : CheckScope {
  SType Lookup(const std::vector<std::string>&, std::string&) const override {
    return SType::kString;
  }
  bool AllowStatusFunctions() const override { return true; }
};

ExprError CheckError(const std::string& text) {
  ExprError error;
  ExprPtr e = ParseExpression(text, error);
  REQUIRE(e);
  CheckExpression(*e, AnyCheckScope(), error);
  return error;
}

}  // namespace

TEST_CASE("the checker finds text over the limit built from literals alone", "[limits]") {
  std::string ten = "format('{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}', ";
  ExprError error = CheckError(Repeat(ten, 9) + "'x'" + std::string(9, ')'));
  CHECK(error.message.find("more than 4 MiB") != std::string::npos);
  CHECK(error.offset == 2 * static_cast<int>(ten.size()));  // the innermost one over
  // Escaped braces are text, not placeholders; a parameter's size is not known here.
  CHECK(CheckError(Repeat("format('{{0}{0}}}{{0}}', ", 9) + "'x'" + std::string(9, ')'))
            .message.empty());
  CHECK(CheckError(Repeat(ten, 9) + "params.s" + std::string(9, ')')).message.empty());
  CHECK(CheckError(Repeat("toJSON(", 5) + Repeat(ten, 7) + "'x'" + std::string(12, ')'))
            .message.find("more than 4 MiB") != std::string::npos);
  CHECK(CheckError(Repeat(ten, 6) + "'x'" + std::string(6, ')')).message.empty());
}

TEST_CASE("an unchecked call with a wrong argument count is an error, not a bad read", "[limits]") {
  // Found by fuzz_expression: endsWith with one argument read a second one.
  CHECK(LimitError("endsWith('[1,1]')").find("wrong count") != std::string::npos);
  CHECK(LimitError("length()").find("wrong count") != std::string::npos);
  CHECK(LimitError("abs(1, 2)").find("wrong count") != std::string::npos);
}

TEST_CASE("one budget per step bounds the bytes its templates keep, naming the step", "[limits]") {
  // breakI I22: each value is under the 4 MiB limit; many of them are not.
  struct BigScope : EvalScope {
    Result<Value> Lookup(const std::vector<std::string>&) const override {
      return Value(std::string(size_t{1} << 20, 'B'));
    }
    bool StatusFunction(const std::string&) const override { return true; }
  };
  ExprError error;
  auto whole = ParseTemplate("${{ params.big }}", error);
  auto text = ParseTemplate("x ${{ params.big }}", error);
  REQUIRE(whole);
  REQUIRE(text);
  EvalBudget budget;
  budget.owner = "step 'a'";
  for (int i = 0; i < 15; ++i) CHECK(RenderTemplate(*whole, BigScope(), &budget).ok());
  auto last = RenderTemplate(*text, BigScope(), &budget);  // 16 MiB and 2 bytes
  REQUIRE(!last.ok());
  CHECK(last.status().message() ==
        "the values step 'a' computes would be more than 16 MiB in total (the limit on the "
        "values of one step's expressions)");
  // Without a shared budget each template has its own: 16 of them pass.
  for (int i = 0; i < 16; ++i) CHECK(RenderTemplate(*text, BigScope()).ok());
}
