// StepParams and the engine's net around step code: a step that reads an undeclared
// parameter, reads an absent optional one as required, or throws, ends as a failed attempt
// in words ("internal error in step ID (TYPE) while ...: ... — please report"), masked,
// never a crash and never a bare exception text. Test-only step types in their own registry.
#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>

#include "engine/graph.h"
#include "engine/plugin/parallel.h"
#include "engine/plugin/registry.h"
#include "engine/preview.h"
#include "steps/common/spec_builder.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// What the test step does in Run and Describe, chosen by its `do` parameter.
void Misbehave(const StepParams& p) {
  std::string what = p.Str("do");
  if (what == "undeclared") (void)p.Str("nmae");
  if (what == "optional") (void)p.Str("note");
  if (what == "wrong-type") (void)p.Int("do");
  if (what == "throw") throw std::runtime_error("boom " + p.Str("word"));
  if (what == "stoi") (void)std::stoi(p.Str("word"));
  if (what == "throw-int") throw 42;
  if (what == "throw-in-thread")  // one of four threads; once std::terminate
    RunParallel(4, [n = std::make_shared<std::atomic<int>>(0)] {
      if ((*n)++ == 2) throw std::runtime_error("boom in a thread");
    });
}

class Misbehaving final : public StepType {
 public:
  Misbehaving() {
    spec_.type = "misbehave";
    spec_.params = {Param("do", ParamType::kString, "what goes wrong").Required(),
                    Param("word", ParamType::kString, "text").Default(Value("x")),
                    Param("note", ParamType::kString, "optional, no default")};
  }
  const StepSpec& spec() const override { return spec_; }
  void Configure(const ConfigureView& with, ConfigureReport&) const override {
    const ConfigParam* what = with.Find("do");
    if (what && what->value && what->value->ToText() == "throw-configure")
      throw std::logic_error("boom at load");
    if (what && what->value && what->value->ToText() == "configure-undeclared")
      (void)with.Find("nmae");
  }
  std::vector<std::string> Describe(const StepParams& p) const override {
    Misbehave(p);
    return {"misbehave"};
  }
  AttemptResult Run(StepContext& ctx) const override {
    Misbehave(ctx.params);
    return AttemptResult::Success();
  }

 private:
  StepSpec spec_;
};

const StepRegistry& TestSteps() {
  static const StepRegistry registry = [] {
    StepRegistry r;
    r.Add(std::make_unique<Misbehaving>());
    return r;
  }();
  return registry;
}

std::string TestRunbook(const std::string& what, const std::string& word = "x") {
  return "version: 1\nname: t\nsecrets:\n  tok: {env: STEP_PARAMS_TEST_TOKEN}\nsteps:\n"
         "  - id: s1\n    uses: misbehave\n    with: {do: " +
         what + ", word: \"" + word + "\"}\n";
}

// The error of the one attempt of step s1 (it must have failed).
std::string FailureOf(const std::string& what, const std::string& word = "x",
                      bool dry_run = false) {
  setenv("STEP_PARAMS_TEST_TOKEN", "hunter2-secret-token", 1);
  std::unique_ptr<runbook::Runbook> rb;
  Ran ran = RunTextWith(TestSteps(), TestRunbook(what, word), rb, dry_run);
  const StepRun& s = ran.Step(*rb, "s1");
  REQUIRE(s.outcome == Outcome::kFailure);
  REQUIRE(s.attempts.size() == 1);
  return s.attempts[0].error;
}

}  // namespace

TEST_CASE("a step misreading its parameters fails its attempt in words", "[step-params]") {
  const std::string reading =
      "internal error in step s1 (misbehave) while reading its parameters: parameter ";
  const std::pair<const char*, const char*> cases[] = {
      {"undeclared", "'nmae' is not declared by the spec"},
      {"optional", "'note' is optional and not given, read as required"},
      {"wrong-type", "'do' is declared as string, read as an integer"},
  };
  for (const auto& [what, says] : cases) {
    INFO(what);
    CHECK(FailureOf(what) == reading + says + " — please report");
  }
}

TEST_CASE("an exception escaping a step is an internal error in words", "[step-params]") {
  CHECK(FailureOf("throw") ==
        "internal error in step s1 (misbehave) while running: boom x — please report");
  std::string stoi = FailureOf("stoi", "99999999999999999999");
  CHECK(stoi == "internal error in step s1 (misbehave) while running: stoi — please report");
  CHECK(stoi.find("crashed") == std::string::npos);
  CHECK(FailureOf("throw-in-thread") ==
        "internal error in step s1 (misbehave) while running: boom in a thread — please report");
  CHECK(FailureOf("throw-int") ==
        "internal error in step s1 (misbehave) while running: an "
        "exception of unknown type — please report");
}

TEST_CASE("an internal error's message is masked like any other", "[step-params]") {
  std::string error = FailureOf("throw", "${{ secrets.tok }}");
  CHECK(error.find("hunter2-secret-token") == std::string::npos);
  CHECK(error.find("internal error in step s1 (misbehave) while running: boom ") == 0);
}

TEST_CASE("a dry run whose Describe throws fails the step in words", "[step-params]") {
  CHECK(FailureOf("undeclared", "x", true) ==
        "internal error in step s1 (misbehave) while reading its parameters: parameter 'nmae' "
        "is not declared by the spec — please report");
}

TEST_CASE("plan shows a throwing Describe as the step's error", "[step-params]") {
  Diagnostics diags;
  auto rb = LoadRunbookText("test.yaml", TestRunbook("throw"), TestSteps(), diags);
  REQUIRE(rb);
  Value plan = PlanPreview(*rb, BuildGraph(*rb), {});
  const Value& step = plan.Find("waves")->as_list()[0].as_list()[0];
  REQUIRE(step.Find("error") != nullptr);
  CHECK(step.Find("error")->ToText() ==
        "internal error in step s1 (misbehave) while describing what it would do: boom x — "
        "please report");
}

TEST_CASE("StepParams reads declared values by type", "[step-params]") {
  StepSpec spec;
  spec.params = {Param("n", ParamType::kInteger, ""), Param("t", ParamType::kDuration, ""),
                 Param("b", ParamType::kBoolean, ""), Param("s", ParamType::kString, "")};
  Value values(Value::Map{{"n", Value(int64_t{7})}, {"t", Value("1m30s")}, {"b", Value(true)}});
  StepParams p(spec, values);
  CHECK(p.Int("n") == 7);
  CHECK(p.Num("n") == 7.0);
  CHECK(p.Duration("t") == Millis(90000));
  CHECK(p.Bool("b"));
  CHECK(p.Str("n") == "7");
  CHECK_FALSE(p.OptStr("s").has_value());
  CHECK_FALSE(p.Has("s"));
  CHECK(p.OptInt("n") == std::optional<int64_t>(7));
  CHECK_THROWS_AS(p.Str("s"), ParamError);
  CHECK_THROWS_AS(p.Bool("n"), ParamError);
  CHECK_THROWS_AS(p.Opt("missing"), ParamError);
}

TEST_CASE("a bug in a step's load-time checks is a located error", "[step-params]") {
  const std::pair<const char*, const char*> cases[] = {
      {"throw-configure", "checking its parameters: boom at load"},
      {"configure-undeclared",
       "reading its parameters: parameter 'nmae' is not declared by the spec"},
  };
  for (const auto& [what, says] : cases) {
    Diagnostics diags;
    auto rb = LoadRunbookText("test.yaml", TestRunbook(what), TestSteps(), diags);
    CHECK_FALSE(rb);
    REQUIRE(diags.all().size() == 1);
    CHECK(diags.all()[0].loc.line == 7);
    CHECK(diags.all()[0].message ==
          std::string("internal error in step s1 (misbehave) while ") + says + " — please report");
  }
}
