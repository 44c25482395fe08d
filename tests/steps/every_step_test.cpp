// Every registered step type, given only its required parameters (then also every optional
// one without a default), each a plausible minimal value of its declared type (paths into a
// temporary folder): plan, dry run and run end as a located load error, a pass or a clean
// failure with a message — never a crash, an exception's text or an internal error.
#include <catch2/catch.hpp>
#include <map>
#include <regex>

#include "engine/graph.h"
#include "engine/preview.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A YAML flow value of `spec`'s type; `dir` is a folder for paths.
std::string Plausible(const ParamSpec& spec, const std::string& dir) {
  std::string path = "\"" + dir + "/" + spec.name + "\"";
  if (!spec.enum_values.empty()) return "\"" + spec.enum_values.front() + "\"";
  switch (spec.type) {
    case ParamType::kInteger:
    case ParamType::kNumber:
      return spec.minimum ? std::to_string(static_cast<long long>(*spec.minimum)) : "1";
    case ParamType::kBoolean:
      return "false";
    case ParamType::kDuration:
      return "1s";
    case ParamType::kStringList:
    case ParamType::kList:
      return "[" + path + "]";
    case ParamType::kStringMap:
    case ParamType::kMap:
      return "{K: " + path + "}";
    default:
      return path;
  }
}

using Given = std::map<std::string, std::string>;  // parameter -> YAML value

std::string StepRunbook(const StepSpec& spec, bool optional_too, const Given& given,
                        const std::string& dir) {
  std::string with;
  for (const ParamSpec& p : spec.params) {
    auto it = given.find(p.name);
    bool give = p.required || (optional_too && p.default_value.is_null());
    if (it != given.end() || give)
      with +=
          "      " + p.name + ": " + (it != given.end() ? it->second : Plausible(p, dir)) + "\n";
  }
  return "version: 1\nname: every\nsteps:\n  - id: s\n    uses: " + spec.type +
         "\n    timeout: 20s\n" + (with.empty() ? "    with: {}\n" : "    with:\n" + with);
}

// Loads the step's runbook; when its Configure says the step "needs 'x'" (a parameter the
// value of another demands), gives x a plausible value too and loads again. `text` is the
// last runbook tried; null when it stays invalid (`rendered`: its diagnostics).
std::unique_ptr<Runbook> LoadAsked(const StepSpec& spec, bool optional_too, Given given,
                                   std::string& text, std::string& rendered) {
  std::string dir = TempDir();
  static const std::regex needs("needs '([a-z_]+)'");
  for (;;) {
    text = StepRunbook(spec, optional_too, given, dir);
    std::unique_ptr<Runbook> rb = Load(text, &rendered);
    bool more = false;
    for (std::sregex_iterator m(rendered.begin(), rendered.end(), needs), end; m != end; ++m) {
      const ParamSpec* p = spec.FindParam((*m)[1]);
      if (p != nullptr && !given.count(p->name))
        more = given.emplace(p->name, Plausible(*p, dir)).second;
    }
    if (rb || !more) return rb;
  }
}

// Words of an exception or a crash that must not reach people.
void CheckWords(const std::string& message) {
  INFO(message);
  CHECK(message.find("internal error") == std::string::npos);
  CHECK(message.find("crashed") == std::string::npos);
  CHECK(message.find("std::") == std::string::npos);
  CHECK(message.find("basic_string") == std::string::npos);
}

void CheckStep(const StepSpec& spec, bool optional_too, const Given& given = {}) {
  std::string text, rendered;
  std::unique_ptr<Runbook> rb = LoadAsked(spec, optional_too, given, text, rendered);
  INFO(text);
  if (!rb) {  // the step's Configure wants more: a located error is a clean end
    CHECK(rendered.find("test.yaml:") == 0);
    return;
  }
  Value plan = PlanPreview(*rb, BuildGraph(*rb), {});
  const Value& step = plan.Find("waves")->as_list()[0].as_list()[0];
  if (const Value* error = step.Find("error")) CheckWords(error->ToText());
  for (bool dry_run : {true, false}) {
    Ran ran = RunText(text, rb, dry_run);
    const StepRun& s = ran.Step(*rb, "s");
    INFO("dry run: " << dry_run << ", outcome: " << OutcomeName(s.outcome));
    REQUIRE(!s.attempts.empty());
    const AttemptRecord& a = s.attempts.back();
    if (a.status != AttemptStatus::kSuccess) CHECK_FALSE(a.error.empty());
    CheckWords(a.error);
  }
}

}  // namespace

TEST_CASE("every step type with only its required parameters ends cleanly", "[every-step]") {
  for (const StepType* type : Builtins().All()) {
    SECTION(type->spec().type) { CheckStep(type->spec(), false); }
  }
}

TEST_CASE("every step type with all its optional parameters given ends cleanly", "[every-step]") {
  for (const StepType* type : Builtins().All()) {
    SECTION(type->spec().type) { CheckStep(type->spec(), true); }
  }
}

TEST_CASE("every step type with each value of each enumerated parameter ends cleanly",
          "[every-step]") {
  for (const StepType* type : Builtins().All()) {
    for (const ParamSpec& p : type->spec().params) {
      for (const std::string& value : p.enum_values) {
        SECTION(type->spec().type + " " + p.name + ": " + value) {
          CheckStep(type->spec(), false, {{p.name, "\"" + value + "\""}});
        }
      }
    }
  }
}

namespace {

// `runbook run` and `plan` of `yaml` in a fresh folder (with a file f.txt).
std::pair<Command, Command> RunAndPlan(const std::string& yaml) {
  std::string dir = TempDir();
  WriteFile(dir, "f.txt", "hi\n");
  WriteFile(dir, "rb.yaml", yaml);
  std::string cd = "cd " + dir + " && " + Binary();
  return {Shell(cd + " run rb.yaml --audit-db a.db"), Shell(cd + " plan rb.yaml")};
}

}  // namespace

// A parameter Configure demands for one value of another is absent when that value came from
// an expression: once a null dereference (SIGSEGV) in run and in plan.
TEST_CASE("probe: a kind from an expression without the parameter it needs fails cleanly",
          "[every-step][step-errors]") {
  auto [run, plan] = RunAndPlan(
      "version: 1\nname: kind\nparams:\n  kind: {type: string, default: tcp}\nsteps:\n"
      "  - id: p\n    uses: probe\n    with:\n      kind: ${{ params.kind }}\n");
  INFO(run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("probe kind 'tcp' needs 'address'") != std::string::npos);
  INFO(plan.out);
  CHECK(plan.exit_code == 0);
  CHECK(plan.out.find("probe kind 'tcp' needs 'address'") != std::string::npos);
}

TEST_CASE("hash: verify sums from an expression without sums_file fails cleanly",
          "[every-step][step-errors]") {
  auto [run, plan] = RunAndPlan(
      "version: 1\nname: hashv\nparams:\n  mode: {type: string, default: sums}\nsteps:\n"
      "  - id: h\n    uses: hash\n    with:\n      files: [f.txt]\n"
      "      verify: ${{ params.mode }}\n");
  INFO(run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("verify: sums needs 'sums_file'") != std::string::npos);
  CHECK(plan.exit_code == 0);
}

// A path that cannot be examined (a name longer than PATH_MAX): once `step crashed:
// filesystem error: status: File name too long [...]`.
TEST_CASE("a path that cannot be examined is said in words", "[every-step][step-errors]") {
  std::string dir = TempDir(), long_path = "/tmp/" + std::string(5000, 'a');
  const std::pair<std::string, std::string> cases[] = {
      {"integrity-check", "{source: \"" + long_path + "\", workspace: " + dir + "/ws}"},
      {"backup", "{database: \"" + long_path + "\", dest: " + dir + "}"},
      {"backup", "{database: " + dir + "/db, dest: \"" + long_path + "\"}"},
  };
  for (const auto& [type, with] : cases) {
    std::unique_ptr<Runbook> rb;
    Ran ran = RunText("version: 1\nname: long\nsteps:\n  - id: s\n    uses: " + type +
                          "\n    with: " + with + "\n",
                      rb);
    const StepRun& s = ran.Step(*rb, "s");
    REQUIRE(!s.attempts.empty());
    INFO(s.attempts.back().error);
    CHECK(s.attempts.back().error.find("cannot examine /tmp/aaaa") != std::string::npos);
    CHECK(s.attempts.back().error.find("File name too long") != std::string::npos);
    CheckWords(s.attempts.back().error);
  }
}
