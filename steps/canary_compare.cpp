// canary-compare: compares a synthetic report with the last one (the seed's §4.5): p95/p99
// relative increase, absolute latency increase, error rate. A regression is a strict `>`
// over a threshold. The step passes either way; `regressed` tells the runbook to roll back.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "engine/plugin/registry.h"
#include "engine/util/duration.h"
#include "engine/util/json.h"
#include "engine/util/own_file.h"
#include "engine/util/strings.h"
#include "steps/common/files.h"
#include "steps/common/spec_builder.h"
#include "steps/common/stop.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "canary-compare";
  s.summary = "compare a synthetic report with a baseline: p95/p99 change, error rate";
  s.description =
      "For every check present in both reports: regressed when p95 or p99 rose by more than "
      "the percentage, or latency (p95, else durationMs) rose by more than "
      "`latency_increase`; and when the current error rate (percent) is above "
      "`error_rate_pct`. Strict `>`: a value exactly at a threshold passes. Passes either "
      "way; `regressed` and `reasons` drive a rollback. `promote: true` copies the current "
      "report over the baseline when not regressed. Report formats: docs/canary.md.";
  s.params = {
      Param("current", ParamType::kString, "the new synthetic report")
          .Path(PathRole::kReads)
          .Required(),
      Param("baseline", ParamType::kString,
            "the last good report (replaced by the current one with promote: true)")
          .Path(PathRole::kWritesFile)  // breakW W8: promote writes it
          .Required(),
      Param("p95_increase_pct", ParamType::kNumber, "max p95 increase, percent")
          .Default(Value(25))
          .Min(0),
      Param("p99_increase_pct", ParamType::kNumber, "max p99 increase, percent")
          .Default(Value(25))
          .Min(0),
      Param("error_rate_pct", ParamType::kNumber, "max error rate, percent")
          .Default(Value(1))
          .Min(0),
      Param("latency_increase", ParamType::kDuration, "max absolute latency increase")
          .Default(Value("300ms")),
      Param("promote", ParamType::kBoolean, "make the current report the baseline if it passed")
          .Default(Value(false)),
      Param("summary", ParamType::kString, "write the markdown summary to this file too")
          .Path(PathRole::kWritesFile),
  };
  s.outputs = {Output("regressed", ParamType::kBoolean, "a threshold was crossed"),
               Output("reasons", ParamType::kStringList, "what regressed"),
               Output("summary", ParamType::kString, "markdown: per check before, after, change"),
               Output("error_rate", ParamType::kNumber, "the current error rate, percent")};
  s.side_effects = SideEffects::kWrite;  // only with promote or summary
  s.idempotent = true;
  return s;
}

struct CheckFigures {
  double p95 = NAN, p99 = NAN, latency = NAN;
};

double Number(const Value& v, const char* key) {
  const Value* f = v.is_map() ? v.Find(key) : nullptr;
  return f != nullptr && f->is_number() ? f->as_double() : NAN;
}

// name -> figures, from `checks` as a map or a list of objects with `name`.
std::map<std::string, CheckFigures> Checks(const Value& report) {
  std::map<std::string, CheckFigures> out;
  auto add = [&](const std::string& name, const Value& c) {
    // The absolute rule reads p95 when the report has percentiles, else durationMs.
    CheckFigures f{Number(c, "p95"), Number(c, "p99"), Number(c, "durationMs")};
    if (!std::isnan(f.p95)) f.latency = f.p95;
    if (std::isnan(f.p95)) f.p95 = f.latency;
    if (std::isnan(f.p99)) f.p99 = f.latency;
    out[name] = f;
  };
  const Value* checks = report.Find("checks");
  if (checks && checks->is_map())
    for (const auto& [name, c] : checks->as_map()) add(name, c);
  if (checks && checks->is_list())
    for (const Value& c : checks->as_list())
      if (c.Find("name")) add(c.Find("name")->ToText(), c);
  return out;
}

// Percent: `errorRate`/`error_rate`, else errors over requests of the checks.
double ErrorRate(const Value& report) {
  for (const char* key : {"errorRate", "error_rate"})
    if (double v = Number(report, key); !std::isnan(v)) return v;
  double errors = 0, requests = 0;
  const Value* checks = report.Find("checks");
  auto count = [&](const Value& c) {
    double e = Number(c, "errors"), n = Number(c, "requests");
    if (!std::isnan(e)) errors += e;
    requests += std::isnan(n) ? 1 : n;
    if (const Value* ok = c.Find("ok"); ok && ok->is_bool() && !ok->as_bool() && std::isnan(e))
      errors += 1;
  };
  if (checks && checks->is_map())
    for (const auto& [n, c] : checks->as_map()) count(c);
  if (checks && checks->is_list())
    for (const Value& c : checks->as_list()) count(c);
  return requests > 0 ? 100.0 * errors / requests : 0.0;
}

// Why the current report measured nothing that can be judged, or "": no check, a check that
// made 0 requests, or (with a baseline) no check the baseline has. A canary that cannot be
// judged is not healthy (Argo Rollouts aborts on an analysis with no data): it counts as
// regressed, and is never promoted to be the baseline (breakI I26).
// Why a check's figures cannot be believed, or "": 0 requests (nothing measured); a count or
// a latency that is given but is null, not a number, negative, or not whole for a count;
// more errors than requests (breakJ J28: -5 requests passed and was promoted, -10 errors
// gave an error rate of -20 %, null errors counted as 0).
std::string Unbelievable(const Value& c) {
  if (Number(c, "requests") == 0) return "made 0 requests";
  for (const char* key : {"requests", "errors", "p95", "p99", "durationMs"}) {
    const Value* f = c.is_map() ? c.Find(key) : nullptr;
    if (f == nullptr) continue;
    bool count = std::string(key) == "requests" || std::string(key) == "errors";
    if (!f->is_number() || !std::isfinite(f->as_double()) || f->as_double() < 0 ||
        (count && f->as_double() != std::floor(f->as_double())))
      return "gives " + std::string(key) + " " + Printable(ToJson(*f)) + ", which cannot be " +
             (count ? "a count" : "a latency");
  }
  double e = Number(c, "errors"), n = Number(c, "requests");
  if (!std::isnan(e) && !std::isnan(n) && e > n) return "gives more errors than requests";
  return "";
}

std::string NothingMeasured(const Value& current, const Value* baseline) {
  auto now = Checks(current);
  if (now.empty()) return "nothing measured: the current report holds no checks";
  for (const char* key : {"errorRate", "error_rate"})
    if (const Value* rate = current.Find(key);
        rate && (!rate->is_number() || !(rate->as_double() >= 0 && rate->as_double() <= 100)))
      return "cannot be judged: the report's " + std::string(key) + " " + Printable(ToJson(*rate)) +
             " is not a percentage";
  const Value* checks = current.Find("checks");
  auto judge = [](const std::string& name, const Value& c) -> std::string {
    std::string why = Unbelievable(c);
    if (why.empty()) return "";
    return (why == "made 0 requests" ? "nothing measured: check " : "cannot be judged: check ") +
           Printable(name) + " " + why;
  };
  if (checks && checks->is_map())
    for (const auto& [name, c] : checks->as_map())
      if (std::string why = judge(name, c); !why.empty()) return why;
  if (checks && checks->is_list())
    for (const Value& c : checks->as_list())
      if (std::string why = c.Find("name") ? judge(c.Find("name")->ToText(), c) : ""; !why.empty())
        return why;
  if (baseline == nullptr) return "";
  auto before = Checks(*baseline);
  for (const auto& entry : now)
    if (before.count(entry.first)) return "";
  return "nothing compared: no check of the current report is in the baseline";
}

Result<Value> LoadReport(const std::string& path, const StopCheck& stop) {
  auto text = ReadWholeFile(path, 64u << 20);
  if (!text.ok()) return text.status();
  auto v = ParseJson(text.value(), stop);
  if (!v.ok() || !v.value().is_map())
    return Status::Error(path + " is not a JSON report" +
                         (v.ok() ? "" : " (" + v.status().message() + ")"));
  return v.value();
}

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Change(double before, double after) {
  if (std::isnan(before) || std::isnan(after) || before <= 0) return "n/a";
  return (after >= before ? "+" : "") + Fmt(100.0 * (after - before) / before) + " %";
}

class CanaryCompare final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  void Configure(const ConfigureView&, ConfigureReport&) const override {}

  std::vector<std::string> Describe(const StepParams& p) const override {
    return {"compare " + p.Str("current") + " with " + p.Str("baseline") + " (p95/p99 +" +
            p.Str("p95_increase_pct") + "%/+" + p.Str("p99_increase_pct") + "%, +" +
            p.Str("latency_increase") + ", errors " + p.Str("error_rate_pct") + "%)"};
  }

  AttemptResult Run(StepContext& ctx) const override {
    const StepParams& p = ctx.params;
    // Work grows with the reports: the stop is asked while parsing and every 1024 checks.
    StopCheck stop = StopFor(ctx);
    if (Status own = Writable(p); !own.ok()) return AttemptResult::Failure(own.message());
    auto current = LoadReport(p.Str("current"), stop);
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    if (!current.ok()) return AttemptResult::Failure(current.status().message());
    auto baseline = LoadReport(p.Str("baseline"), stop);
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    Value::List reasons;
    std::string summary;
    if (baseline.ok()) {
      summary = Compare(p, baseline.value(), current.value(), reasons, stop);
      if (auto stopped = StoppedResult(ctx)) return *stopped;
    } else {
      summary = "No baseline (" + baseline.status().message() + "): nothing to compare.\n";
      reasons.push_back(Value("no baseline to compare with"));
    }
    std::string unmeasured =
        NothingMeasured(current.value(), baseline.ok() ? &baseline.value() : nullptr);
    if (!unmeasured.empty()) reasons.insert(reasons.begin(), Value(unmeasured));
    double rate = ErrorRate(current.value());
    double max_rate = p.Num("error_rate_pct");
    if (rate > max_rate)
      reasons.push_back(Value("error rate " + Fmt(rate) + " % > " + Fmt(max_rate) + " %"));
    summary += "\nError rate: " + Fmt(rate) + " % (threshold " + Fmt(max_rate) + " %)\n";
    bool regressed =
        rate > max_rate || !unmeasured.empty() || (baseline.ok() && reasons.size() > 0);
    Status s = Publish(ctx, regressed, summary);
    if (!s.ok()) return AttemptResult::Failure(s.message());
    ctx.log(regressed ? "REGRESSED: " + reasons.front().ToText() : "no regression");
    return AttemptResult::Success({{"regressed", Value(regressed)},
                                   {"reasons", Value(std::move(reasons))},
                                   {"summary", Value(summary)},
                                   {"error_rate", Value(rate)}});
  }

 private:
  static std::string Compare(const StepParams& p, const Value& before, const Value& after,
                             Value::List& reasons, const StopCheck& stop) {
    double p95_pct = p.Num("p95_increase_pct");
    double p99_pct = p.Num("p99_increase_pct");
    double max_ms = static_cast<double>(p.Duration("latency_increase").count());
    auto old_checks = Checks(before);
    std::ostringstream md;
    md << "| check | p95 before | p95 after | change | p99 before | p99 after | change |\n"
       << "|---|---|---|---|---|---|---|\n";
    size_t seen = 0;
    for (const auto& [check, now] : Checks(after)) {
      if ((++seen & 1023) == 0 && stop()) break;  // the caller turns it into the result
      const std::string& name = check;  // lambdas may not capture structured bindings (C++20)
      auto it = old_checks.find(name);
      if (it == old_checks.end()) continue;
      const CheckFigures& was = it->second;
      auto rose = [&](double a, double b, double pct, const char* what) {
        if (std::isnan(a) || std::isnan(b) || a <= 0) return;
        double change = 100.0 * (b - a) / a;
        if (change > pct)
          reasons.push_back(Value(name + ": " + what + " " + Fmt(a) + " -> " + Fmt(b) + " ms (+" +
                                  Fmt(change) + " % > " + Fmt(pct) + " %)"));
      };
      rose(was.p95, now.p95, p95_pct, "p95");
      rose(was.p99, now.p99, p99_pct, "p99");
      if (!std::isnan(was.latency) && !std::isnan(now.latency) &&
          now.latency - was.latency > max_ms)
        reasons.push_back(Value(name + ": latency " + Fmt(was.latency) + " -> " + Fmt(now.latency) +
                                " ms (+" + Fmt(now.latency - was.latency) + " ms > " + Fmt(max_ms) +
                                " ms)"));
      md << "| " << name << " | " << Fmt(was.p95) << " | " << Fmt(now.p95) << " | "
         << Change(was.p95, now.p95) << " | " << Fmt(was.p99) << " | " << Fmt(now.p99) << " | "
         << Change(was.p99, now.p99) << " |\n";
    }
    return md.str();
  }

  // The files Publish may write are not runbook's own (the audit store: breakJ J22), checked
  // before anything is written; the link rule is WriteFileAtomic's.
  static Status Writable(const StepParams& p) {
    std::string why =
        p.Opt("summary") ? RunbookFileProblem(p.Opt("summary")->ToText(), "write") : "";
    if (why.empty() && p.Bool("promote")) why = RunbookFileProblem(p.Str("baseline"), "write");
    return why.empty() ? Status::Ok() : Status::Error(why);
  }

  // Each file's folder is made as every step makes one (MakeFolderSaying, issue 14 #9), and
  // the promotion is said only once it is written (breakM M11).
  static Status Publish(StepContext& ctx, bool regressed, const std::string& summary) {
    // The baseline's owner is known before the summary is written (breakDD D1).
    bool promote = ctx.params.Bool("promote") && !regressed;
    if (std::string why = promote ? ReplaceProblem(ctx.params.Str("baseline")) : ""; !why.empty())
      return Status::Error(why);
    if (const Value* file = ctx.params.Opt("summary")) {
      Status s = MakeFolderSaying(DirName(file->ToText()), ctx.log);
      if (s.ok()) s = WriteFileAtomic(file->ToText(), "# Canary comparison\n\n" + summary);
      if (!s.ok()) return s;
    }
    if (!promote) return Status::Ok();
    auto text = ReadWholeFile(ctx.params.Str("current"), 64u << 20);
    if (!text.ok()) return text.status();
    Status s = MakeFolderSaying(DirName(ctx.params.Str("baseline")), ctx.log);
    if (s.ok())  // no more readable than the report it copies (breakDD D2)
      s = WriteFileAtomic(ctx.params.Str("baseline"), text.value(), 0600,
                          {ctx.params.Str("current")});
    if (s.ok()) ctx.log("promoted the current report to the baseline");
    return s;
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<CanaryCompare>();
});

}  // namespace
}  // namespace runbook
