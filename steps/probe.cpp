// probe: checks that observe without changing anything. This file holds the spec and the
// dispatch; each kind lives in steps/probe/ (process: a command line present or absent;
// log: the newest matching log shows the job finished and is recent).
#include "engine/plugin/registry.h"
#include "steps/common/spec_builder.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "probe";
  s.summary = "observe without changing anything: a process, a log, a TCP port";
  s.description =
      "`kind: process` looks for running processes whose command line matches `pattern` (an "
      "extended regular expression; runbook itself and its ancestors are ignored) and passes "
      "when they are `expect: present` or `absent` — the seed's check that the backup job is "
      "not stuck. `kind: log` takes the newest file matching `path` (a glob), requires a "
      "line matching `contains`, and fails when the file is older than `max_age`. `kind: tcp` "
      "connects to `address` (host:port) within `connect_timeout`.";
  s.params = {
      Param("kind", ParamType::kString, "what to probe").Required().Enum({"process", "log", "tcp"}),
      Param("pattern", ParamType::kString, "process: regex over the command line"),
      Param("expect", ParamType::kString, "process: present or absent")
          .Default(Value("present"))
          .Enum({"present", "absent"}),
      Param("path", ParamType::kString, "log: glob of log files; the newest is read"),
      Param("contains", ParamType::kString, "log: regex a line must match"),
      Param("max_age", ParamType::kDuration, "log: the newest file may be at most this old"),
      Param("address", ParamType::kString, "tcp: host:port that must accept a connection"),
      Param("connect_timeout", ParamType::kDuration, "tcp: how long to wait").Default(Value("5s")),
  };
  s.outputs = {
      Output("count", ParamType::kInteger, "process: matching processes"),
      Output("matches", ParamType::kList, "process: pid and command line of each"),
      Output("file", ParamType::kString, "log: the file read"),
      Output("age_s", ParamType::kInteger, "log: its age in seconds"),
      Output("line", ParamType::kString, "log: the last matching line"),
  };
  s.side_effects = SideEffects::kRead;
  s.idempotent = true;
  return s;
}

class Probe final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* kind = with.Find("kind");
    if (kind == nullptr || !kind->value) return;
    std::string k = kind->value->ToText();
    if (k == "process" && !with.Find("pattern"))
      report.Error(kind->loc, "probe kind 'process' needs 'pattern'");
    if (k == "log" && !with.Find("path")) report.Error(kind->loc, "probe kind 'log' needs 'path'");
    if (k == "tcp" && !with.Find("address"))
      report.Error(kind->loc, "probe kind 'tcp' needs 'address' (host:port)");
  }

  std::vector<std::string> Describe(const Value& p) const override {
    if (p.Find("kind")->ToText() == "tcp") return {"connect to " + p.Find("address")->ToText()};
    if (p.Find("kind")->ToText() == "process")
      return {"check that processes matching '" + p.Find("pattern")->ToText() + "' are " +
              p.Find("expect")->ToText()};
    return {"read the newest of " + p.Find("path")->ToText() +
            (p.Find("contains") ? " for '" + p.Find("contains")->ToText() + "'" : "")};
  }

  AttemptResult Run(StepContext& ctx) const override {
    std::string kind = ctx.params.Find("kind")->ToText();
    if (kind == "tcp") return ProbeTcp(ctx);
    return kind == "process" ? ProbeProcess(ctx) : ProbeLog(ctx);
  }

 private:
  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Probe>();
});

}  // namespace
}  // namespace runbook
