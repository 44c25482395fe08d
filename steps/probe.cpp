// probe: checks that observe without changing anything. This file holds the spec and the
// dispatch; each kind lives in steps/probe/ (http: a synthetic journey with percentiles;
// tcp; process: a command line present or absent; log: the newest matching log shows the
// job finished and is recent; prometheus: an instant PromQL query with bounds).
#include <map>

#include "engine/plugin/registry.h"
#include "steps/common/net.h"
#include "steps/common/spec_builder.h"
#include "steps/probe/journey.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

const char* kDescription =
    "`kind: http` runs `journey` (requests in order as one virtual user: `name`, `method`, "
    "`path`, `headers`, `json` body, `expect: {status, json: {pointer: value}}`, `extract: "
    "{var: /json/pointer}`, then `{{var}}` in later paths, headers and bodies; cookies kept) "
    "`iterations` times over `concurrency` virtual users, and writes `report` with, per "
    "check, `durationMs` (the median), min, mean, p50, p95, p99 (nearest rank), max, "
    "requests, errors and the samples (docs/probe.md). It fails when the error rate (percent) "
    "is above `max_error_rate`. `kind: tcp` connects to `address` (host:port) within "
    "`connect_timeout`. `kind: process` looks for running processes whose command line "
    "matches `pattern` (a regular expression in PCRE2's syntax, which takes POSIX extended "
    "ones; runbook itself and its ancestors are ignored) and passes when they are `expect: "
    "present` or `absent` — the seed's check that the backup job is not stuck. `kind: log` "
    "takes the newest file matching `path` (a glob), requires a line matching `contains` (the "
    "same syntax), and fails when the file is older than `max_age`. Every match is bounded "
    "(PCRE2's limits: 1,000,000 steps, 16 MiB): an expression that would take longer on some "
    "line fails the step (\"the regular expression takes too much work\") instead of running "
    "past the step's timeout. "
    "`kind: prometheus` runs the instant PromQL `query` against `url`; the answer must be one "
    "value (a scalar or one series), returned as `value` and checked against `min` and `max`.";

std::vector<ParamSpec> Params() {
  return {
      Param("kind", ParamType::kString, "what to probe")
          .Required()
          .Enum({"http", "tcp", "process", "log", "prometheus"}),
      Param("base_url", ParamType::kString, "http: the service's URL, e.g. http://127.0.0.1:4004"),
      Param("journey", ParamType::kList, "http: the requests, in order"),
      Param("iterations", ParamType::kInteger, "http: how many times to run the journey")
          .Default(Value(1))
          .Min(1)
          .Max(1000000),
      Param("concurrency", ParamType::kInteger, "http: virtual users running it at once")
          .Default(Value(1))
          .Min(1)
          .Max(256),
      Param("timeout", ParamType::kDuration, "http, prometheus: per request")
          .Default(Value("10s"))
          .DurationRange("1ms"),
      Param("report", ParamType::kString, "http: where the synthetic report is written")
          .Path(PathRole::kWritesFile)
          .RoleIf("kind", "http")
          .Default(Value("reports/synthetic/synthetic-report.json")),
      Param("max_error_rate", ParamType::kNumber, "http: fail above this error rate (percent)")
          .Default(Value(0))
          .Min(0)
          .Max(100),
      Param("pattern", ParamType::kString, "process: regex over the command line"),
      Param("expect", ParamType::kString, "process: present or absent")
          .Default(Value("present"))
          .Enum({"present", "absent"}),
      Param("path", ParamType::kString, "log: glob of log files; the newest is read"),
      Param("contains", ParamType::kString, "log: regex a line must match"),
      Param("max_age", ParamType::kDuration, "log: the newest file may be at most this old"),
      Param("address", ParamType::kString, "tcp: host:port that must accept a connection"),
      Param("connect_timeout", ParamType::kDuration, "tcp: how long to wait")
          .Default(Value("5s"))
          .DurationRange("1ms"),
      Param("url", ParamType::kString, "prometheus: the server, e.g. http://127.0.0.1:9090"),
      Param("query", ParamType::kString, "prometheus: an instant PromQL query with one value"),
      Param("min", ParamType::kNumber, "prometheus: fail below this value"),
      Param("max", ParamType::kNumber, "prometheus: fail above this value"),
  };
}

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "probe";
  s.summary =
      "observe without changing anything: an HTTP journey, a port, a process, a log, "
      "a Prometheus query";
  s.description = kDescription;
  s.params = Params();
  s.outputs = {
      Output("error_rate", ParamType::kNumber, "http: failed requests, percent"),
      Output("requests", ParamType::kInteger, "http: requests made"),
      Output("errors", ParamType::kInteger, "http: requests that failed"),
      Output("checks", ParamType::kMap,
             "http: per check: durationMs, min, mean, p50, p95, p99, max, requests, errors, "
             "errorRate (steps.<id>.outputs.checks.<name>.p95)"),
      Output("report", ParamType::kString, "http: the report file"),
      Output("value", ParamType::kNumber, "prometheus: the query's value"),
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

struct Kind {
  std::vector<const char*> needs;
  AttemptResult (*run)(StepContext&);
};

const std::map<std::string, Kind>& Kinds() {
  static const std::map<std::string, Kind> kinds{
      {"http", {{"base_url", "journey"}, ProbeHttp}},
      {"tcp", {{"address"}, ProbeTcp}},
      {"process", {{"pattern"}, ProbeProcess}},
      {"log", {{"path"}, ProbeLog}},
      {"prometheus", {{"url", "query"}, ProbePrometheus}},
  };
  return kinds;
}

class Probe final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* kind = with.Find("kind");
    if (kind == nullptr || !kind->value) return;
    auto it = Kinds().find(kind->value->ToText());
    if (it == Kinds().end()) return;  // the enum check reports it
    for (const char* need : it->second.needs)
      if (!with.Find(need))
        report.Error(kind->loc, "probe kind '" + it->first + "' needs '" + need + "'");
    CheckPortAtLoad(with, "address", false, report);
    CheckPortAtLoad(with, "base_url", true, report);
    CheckPortAtLoad(with, "url", true, report);
    const ConfigParam* journey = with.Find("journey");
    if (it->first == "http" && journey && journey->value) {
      for (const auto& [index, mistake] : JourneyMistakes(*journey->value))
        report.Error(journey->value->is_list() && !journey->value->as_list().empty()
                         ? journey->LocOf("/" + std::to_string(index))
                         : journey->loc,
                     mistake.message());
    }
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    std::string kind = p.Str("kind"), missing = MissingNeed(p);
    if (!missing.empty()) return {"fail: " + missing};
    if (kind == "http") return {DescribeHttp(p)};
    if (kind == "tcp") return {"connect to " + p.Str("address")};
    if (kind == "prometheus") return {"query " + p.Str("url") + ": " + p.Str("query")};
    if (kind == "process")
      return {"check that processes matching '" + p.Str("pattern") + "' are " + p.Str("expect")};
    return {"read the newest of " + p.Str("path") +
            (p.Opt("contains") ? " for '" + p.Str("contains") + "'" : "")};
  }

  AttemptResult Run(StepContext& ctx) const override {
    std::string missing = MissingNeed(ctx.params);
    if (!missing.empty()) return AttemptResult::Failure(missing);
    return Kinds().at(ctx.params.Str("kind")).run(ctx);
  }

 private:
  // What Configure checks, again once the kind is known: it may come from an expression.
  static std::string MissingNeed(const StepParams& p) {
    auto it = Kinds().find(p.Str("kind"));
    if (it == Kinds().end()) return "";  // an Unknown kind in a plan
    for (const char* need : it->second.needs)
      if (!p.Has(need)) return "probe kind '" + it->first + "' needs '" + need + "'";
    return "";
  }

  static std::string DescribeHttp(const StepParams& p) {
    std::string names;
    const Value* journey = p.Opt("journey");
    if (journey && journey->is_list())
      for (const Value& r : journey->as_list())
        if (const Value* n = r.is_map() ? r.Find("name") : nullptr)
          names += (names.empty() ? "" : " -> ") + n->ToText();
    return "run the journey " + names + " against " + p.Str("base_url") + " " +
           p.Str("iterations") + " time(s), report to " + p.Str("report");
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Probe>();
});

}  // namespace
}  // namespace runbook
