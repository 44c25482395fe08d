#include "engine/expression.h"

#include <catch2/catch.hpp>

#include "engine/expression_eval.h"
#include "engine/template.h"
#include "support/support.h"

using namespace runbook;
using runbook::test::Shell;
using runbook::test::TempDir;

namespace {

struct MapScope : EvalScope {
  Value::Map root;
  Result<Value> Lookup(const std::vector<std::string>& path) const override {
    Value v(root);
    for (const auto& p : path) {
      const Value* next = v.Find(p);
      if (!next) return Status::Error("no " + p);
      Value copy = *next;
      v = copy;
    }
    return v;
  }
  bool StatusFunction(const std::string& name) const override { return name != "failure"; }
  std::optional<std::string> base;
  std::optional<std::string> RunBase() const override { return base; }
};

Value Eval(const std::string& text) {
  ExprError error;
  ExprPtr e = ParseExpression(text, error);
  REQUIRE(e);
  MapScope scope;
  scope.root["params"] = Value(Value::Map{
      {"n", Value(5)}, {"s", Value("abc")}, {"list", Value(Value::List{Value(1), Value(2)})}});
  auto v = Evaluate(*e, scope);
  REQUIRE(v.ok());
  return v.value();
}

std::string EvalError(const std::string& text) {
  ExprError error;
  ExprPtr e = ParseExpression(text, error);
  if (!e) return "parse: " + error.message;
  MapScope scope;
  auto v = Evaluate(*e, scope);
  return v.ok() ? "ok" : v.status().message();
}

}  // namespace

TEST_CASE("operators and precedence", "[expressions]") {
  CHECK(Eval("1 + 2 * 3") == Value(7));
  CHECK(Eval("(1 + 2) * 3") == Value(9));
  CHECK(Eval("7 / 2") == Value(3.5));
  CHECK(Eval("8 / 2") == Value(4));
  CHECK(Eval("7 % 4") == Value(3));
  CHECK(Eval("-params.n + 1") == Value(-4));
  CHECK(Eval("params.n > 3 && params.s == 'abc'") == Value(true));
  CHECK(Eval("!true || false") == Value(false));
  CHECK(Eval("params.s || 'x'") == Value("abc"));  // yields an operand, like GitHub Actions
  CHECK(Eval("false || 'x'") == Value("x"));
}

TEST_CASE("functions", "[expressions]") {
  CHECK(Eval("contains('Hello', 'ELL')") == Value(true));
  CHECK(Eval("contains(params.list, 2)") == Value(true));
  CHECK(Eval("startsWith('backup.sqlite.gz', 'backup')") == Value(true));
  CHECK(Eval("endsWith('backup.sqlite.gz', '.gz')") == Value(true));
  CHECK(Eval("format('{0}-{1} {{x}}', 'a', 2)") == Value("a-2 {x}"));
  CHECK(Eval("join(params.list, '+')") == Value("1+2"));
  CHECK(Eval("toJSON(params.list)") == Value("[\n  1,\n  2\n]"));
  CHECK(Eval("fromJSON('{\"a\": [1, 2]}').a[1]") == Value(2));
  CHECK(Eval("length('abcd')") == Value(4));
  CHECK(Eval("max(1, 7, 3)") == Value(7));
  CHECK(Eval("min(params.list)") == Value(1));
  CHECK(Eval("abs(-2.5)") == Value(2.5));
  CHECK(Eval("round(2.567, 2)") == Value(2.57));
  CHECK(Eval("success() && !failure()") == Value(true));
}

TEST_CASE("evaluation errors never become empty strings", "[expressions]") {
  CHECK(EvalError("params.nope") == "no params");
  CHECK(EvalError("1 / 0") == "division by zero");
  CHECK(EvalError("fromJSON('{').a").find("invalid JSON") == 0);
  CHECK(EvalError("'a' < 1") == "cannot compare string with integer");
  CHECK(EvalError("fromJSON('{}').missing") == "'fromJSON('{}')' has no key 'missing'");
}

// break22b #10: `n * 10` with n = 1e308 gave the text "null"; [1.9] silently took item 1.
TEST_CASE("a number out of range or an index that is no whole number is an error",
          "[expressions][limits]") {
  const std::string beyond = " gives a number out of range (beyond ±1.8e308)";
  CHECK(EvalError("1e308 * 10") == "'*'" + beyond);
  CHECK(EvalError("1e308 + 1e308") == "'+'" + beyond);
  CHECK(EvalError("-1e308 - 1e308") == "'-'" + beyond);
  CHECK(EvalError("1e308 / 0.5e-10") == "'/'" + beyond);
  CHECK(EvalError("round(1e308, 400)") == "round()" + beyond);
  CHECK(Eval("round(1e300)") == Value(1e300));  // past int64, still a number
  CHECK(Eval("round(2.5)") == Value(3));
  // break23a C6: negative digits rounded to 0 digits (round(1234, -2) was 1234.0).
  CHECK(Eval("round(1234, -2)") == Value(1200));
  CHECK(Eval("round(1250, -2)") == Value(1300));
  CHECK(Eval("round(-1250, -2)") == Value(-1300));
  CHECK(Eval("round(5, -1)") == Value(10));
  CHECK(Eval("round(1.5, -400)") == Value(0));
  CHECK(EvalError("fromJSON('[1, 2, 3]')[1.9]") ==
        "index 1.9 is not a whole number in 'fromJSON('[1, 2, 3]')[1.9]'");
  CHECK(Eval("fromJSON('[1, 2, 3]')[2.0]") == Value(3));
  CHECK(EvalError("1e400") ==
        "parse: number 1e400 is out of range (beyond ±1.8e308, or so small it would read as 0)");
  CHECK_THAT(EvalError("1e-400"), Catch::Contains("number 1e-400 is out of range"));
  // A literal is digits, a fraction and an exponent: hex is no number (strtod took 0x10 as 16).
  CHECK(EvalError("0x10").rfind("parse: ", 0) == 0);
  CHECK(Eval("9223372036854775807") == Value(int64_t{9223372036854775807}));
  CHECK(Eval("1.5e3") == Value(1500.0));
}

TEST_CASE("parse errors carry their offset", "[expressions]") {
  ExprError error;
  CHECK_FALSE(ParseExpression("a +", error));
  CHECK(error.message == "expected an expression");
  CHECK(error.offset == 3);
  CHECK_FALSE(ParseExpression("\"x\"", error));
  CHECK(error.message == "unexpected character '\"'; strings use single quotes: 'text'");
  CHECK_FALSE(ParseExpression(std::string(200, '(') + "1" + std::string(200, ')'), error));
  CHECK(error.message ==
        "expression nested too deeply: more than 64 levels of parentheses, unary operators, "
        "arguments or indexes");
  CHECK_FALSE(ParseExpression("'open", error));
  CHECK(error.message == "unterminated string literal");
}

TEST_CASE("templates keep the type of a whole expression and interpolate otherwise",
          "[expressions]") {
  ExprError error;
  auto whole = ParseTemplate("${{ params.n }}", error);
  auto mixed = ParseTemplate("n=${{ params.n }}!", error);
  REQUIRE(whole);
  REQUIRE(mixed);
  MapScope scope;
  scope.root["params"] = Value(Value::Map{{"n", Value(5)}});
  CHECK(RenderTemplate(*whole, scope).value() == Value(5));
  CHECK(RenderTemplate(*mixed, scope).value() == Value("n=5!"));
  CHECK_FALSE(ParseTemplate("${{ params.n", error));
  CHECK(error.message == "unterminated '${{'; expected '}}'");
}

// breakI I5: the format string may be a secret, and a piece of one is no form the redactor
// knows: errors name the place, never the piece.
TEST_CASE("expression errors name the place of a bad piece, not the piece", "[expressions]") {
  CHECK(EvalError("format('Zq7{Hunter2\"Secret}Value99', 1)") ==
        "format: invalid placeholder (expected {0} to {999}; {{ for a '{') at character 4 of the "
        "format string");
  CHECK(EvalError("format('ab{1}', 1)") ==
        "format: placeholder with no argument (1 given) at character 3 of the format string");
  CHECK(EvalError("format('ab{1', 1)") ==
        "format: unclosed '{' at character 3 of the format string");
  // A key computed from a value (here a piece of a JSON text) is named by its expression.
  std::string keyed = EvalError("fromJSON('{}')[fromJSON('{\"k\": \"Pq8Lm\"}').k]");
  CHECK(keyed == "'fromJSON('{}')' has no key named by 'fromJSON('{\"k\": \"Pq8Lm\"}').k'");
  CHECK(EvalError("fromJSON('{}')['lit']") == "'fromJSON('{}')' has no key 'lit'");
  // An index computed from a value is not quoted either; a literal one is.
  CHECK(EvalError("fromJSON('[1]')[fromJSON('{\"pin\": 48213}').pin]") ==
        "index is out of range in 'fromJSON('[1]')[fromJSON('{\"pin\": 48213}').pin]' (1 items)");
  CHECK(EvalError("fromJSON('[1]')[3]") ==
        "index 3 is out of range in 'fromJSON('[1]')[3]' (1 items)");
}

// breakM M15: a lock keyed on a path was keyed on its spelling (`x`, `./x`, `/base/x`).
TEST_CASE("realpath() names one file one way, against the run's base", "[expressions][lock]") {
  std::string base = TempDir();
  std::string real = base + "/data";
  REQUIRE(
      Shell("mkdir -p " + real + " && touch " + real + "/app.db && ln -s data " + base + "/link")
          .exit_code == 0);
  auto at = [&](const std::string& text) -> Result<Value> {
    ExprError error;
    ExprPtr e = ParseExpression(text, error);
    REQUIRE(e);
    MapScope scope;
    scope.base = base;
    return Evaluate(*e, scope);
  };
  std::string want = real + "/app.db";
  for (const std::string& spelled : std::vector<std::string>{
           "data/app.db", "./data/app.db", "data//app.db", "data/../data/app.db", "link/app.db",
           want, base + "/link/./app.db"}) {
    INFO(spelled);
    auto v = at("realpath('" + spelled + "')");
    REQUIRE(v.ok());
    CHECK(v.value() == Value(want));
  }
  // A file that does not exist yet keeps its name, under its folder's real path.
  CHECK(at("realpath('link/new.db')").value() == Value(real + "/new.db"));
  CHECK(at("realpath('gone/x/../y.db')").value() == Value(base + "/gone/y.db"));
  CHECK(at("realpath('data/')").value() == Value(real));
  CHECK(at("realpath('/')").value() == Value("/"));
  CHECK(at("realpath('')").status().message() == "realpath() of an empty path");
  CHECK(at("realpath(3)").status().message() == "'realpath' needs a string, found integer");
  // Without a run (plan) it is unknown, shown as written.
  ExprError error;
  ExprPtr e = ParseExpression("realpath('x')", error);
  MapScope no_run;
  auto unknown = Evaluate(*e, no_run);
  REQUIRE(unknown.ok());
  CHECK(unknown.value().is_unknown());
}
