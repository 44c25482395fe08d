// probe kind http: runs the journey `iterations` times over `concurrency` virtual users,
// then reports per check (request name) the latency figures of its successful exchanges
// (nearest rank), its requests and errors, and the overall error rate in percent. Writes
// the synthetic report (docs/canary.md shape) atomically.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "engine/plugin/parallel.h"
#include "engine/util/json.h"
#include "engine/util/time_format.h"
#include "steps/common/files.h"
#include "steps/common/stats.h"
#include "steps/probe/journey.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

struct Tally {
  std::vector<double> samples;  // ms of successful exchanges, in completion order
  int64_t requests = 0;
  int64_t errors = 0;
  std::string first_error;
};

// Runs every iteration; the outcomes of all virtual users, merged per check.
std::vector<Tally> RunJourney(StepContext& ctx, const std::vector<JourneyRequest>& journey,
                              int64_t iterations, int64_t users) {
  std::string base = ctx.params.Str("base_url");
  Millis timeout = ctx.params.Duration("timeout");
  std::vector<Tally> tally(journey.size());
  std::mutex mu;
  std::atomic<int64_t> next{0};
  auto user = [&] {
    VirtualUser vu(base, timeout);
    std::vector<RequestOutcome> outcomes;
    while (next++ < iterations && !ctx.cancel.cancelled() &&
           !(ctx.deadline && ctx.clock.Now() >= *ctx.deadline))
      vu.RunOnce(journey, ctx.cancel, outcomes);
    std::lock_guard<std::mutex> lock(mu);
    for (const RequestOutcome& o : outcomes) {
      Tally& t = tally[o.index];
      ++t.requests;
      if (o.ok) t.samples.push_back(o.ms);
      if (!o.ok && t.errors++ == 0) t.first_error = o.error;
    }
  };
  RunParallel(static_cast<int>(users), user);
  return tally;
}

double Rate(int64_t errors, int64_t requests) {
  return requests == 0 ? 0.0 : 100.0 * static_cast<double>(errors) / static_cast<double>(requests);
}

// Three decimals: reports stay readable and exact enough for microsecond latencies.
double Round3(double v) { return static_cast<double>(std::llround(v * 1000.0)) / 1000.0; }

Value CheckValue(const Tally& t, bool with_samples) {
  LatencySummary s = Summarize(t.samples);
  Value::Map m{{"durationMs", Value(Round3(s.p50))},
               {"min", Value(Round3(s.min))},
               {"mean", Value(Round3(s.mean))},
               {"p50", Value(Round3(s.p50))},
               {"p95", Value(Round3(s.p95))},
               {"p99", Value(Round3(s.p99))},
               {"max", Value(Round3(s.max))},
               {"requests", Value(t.requests)},
               {"errors", Value(t.errors)},
               {"errorRate", Value(Rate(t.errors, t.requests))},
               {"ok", Value(t.errors == 0 && t.requests > 0)}};
  if (!t.first_error.empty()) m["firstError"] = Value(t.first_error);
  if (with_samples) {
    Value::List samples;
    for (double ms : t.samples) samples.push_back(Value(Round3(ms)));
    m["samplesMs"] = Value(std::move(samples));
  }
  return Value(std::move(m));
}

// The report, the run's secrets masked (a journey's paths and bodies may carry them).
// Its folder is made as every step makes one: 0700, and said (breakM M11).
Status WriteReport(const StepContext& ctx, const std::string& path, const Value& report) {
  Status made = MakeFolderSaying(DirName(path), ctx.log);
  if (!made.ok()) return made;
  return WriteFileAtomic(path, ctx.Redact(ToJson(report, 2) + "\n"));
}

// What the journey came to: per check (with samples for the report, without for outputs).
struct Totals {
  int64_t requests = 0;
  int64_t errors = 0;
  std::string first_error;
  Value::Map checks;         // for the report
  Value::Map output_checks;  // for the outputs
  double rate() const { return Rate(errors, requests); }
};

void LogCheck(StepContext& ctx, const std::string& name, const Tally& t, const Value& c) {
  char line[256];
  std::snprintf(line, sizeof line, "%-16s n=%-5lld p50=%.1fms p95=%.1fms p99=%.1fms errors=%lld",
                name.c_str(), static_cast<long long>(t.requests), c.Find("p50")->as_double(),
                c.Find("p95")->as_double(), c.Find("p99")->as_double(),
                static_cast<long long>(t.errors));
  ctx.log(line);
}

Totals Summarize(StepContext& ctx, const std::vector<JourneyRequest>& journey,
                 const std::vector<Tally>& tally) {
  Totals t;
  for (size_t i = 0; i < tally.size(); ++i) {
    const std::string& name = journey[i].name;
    t.requests += tally[i].requests;
    t.errors += tally[i].errors;
    if (t.first_error.empty() && !tally[i].first_error.empty())
      t.first_error = name + ": " + tally[i].first_error;
    t.checks[name] = CheckValue(tally[i], true);
    t.output_checks[name] = CheckValue(tally[i], false);
    LogCheck(ctx, name, tally[i], t.output_checks[name]);
  }
  return t;
}

Value ReportDoc(StepContext& ctx, const Totals& t, int64_t iterations, int64_t users) {
  return Value(Value::Map{{"generatedAt", Value(FormatUtc(ctx.clock.WallNow()))},
                          {"baseUrl", Value(ctx.params.Str("base_url"))},
                          {"iterations", Value(iterations)},
                          {"concurrency", Value(users)},
                          {"percentiles", Value("nearest-rank")},
                          {"requests", Value(t.requests)},
                          {"errors", Value(t.errors)},
                          {"errorRate", Value(t.rate())},
                          {"checks", Value(t.checks)}});
}

// Outputs always; a failure when out of time or above max_error_rate.
AttemptResult Verdict(StepContext& ctx, Totals t, const std::string& report) {
  double rate = t.rate();
  AttemptResult r = AttemptResult::Success({{"error_rate", Value(rate)},
                                            {"requests", Value(t.requests)},
                                            {"errors", Value(t.errors)},
                                            {"checks", Value(std::move(t.output_checks))},
                                            {"report", Value(report)}});
  if (ctx.deadline && ctx.clock.Now() >= *ctx.deadline) r.status = AttemptStatus::kTimeout;
  double max_rate = ctx.params.Num("max_error_rate");
  if (r.status == AttemptStatus::kSuccess && rate > max_rate) {
    char why[128];
    std::snprintf(why, sizeof why, "error rate %.2f%% is above max_error_rate %g%%; ", rate,
                  max_rate);
    r.status = AttemptStatus::kFailure;
    r.error = why + t.first_error;
  }
  return r;
}

}  // namespace

AttemptResult ProbeHttp(StepContext& ctx) {
  auto journey = ParseJourney(ctx.params.Get("journey"));
  if (!journey.ok()) return AttemptResult::Failure(journey.status().message());
  int64_t iterations = ctx.params.Int("iterations");
  int64_t users = std::min(ctx.params.Int("concurrency"), iterations);
  Totals t = Summarize(ctx, journey.value(), RunJourney(ctx, journey.value(), iterations, users));
  if (ctx.cancel.cancelled()) {
    AttemptResult cancelled;
    cancelled.status = AttemptStatus::kCancelled;
    return cancelled;
  }
  std::string report = ctx.params.Str("report");
  Status written = WriteReport(ctx, report, ReportDoc(ctx, t, iterations, users));
  if (!written.ok()) return AttemptResult::Failure(written.message());
  ctx.log("report " + report);
  return Verdict(ctx, std::move(t), report);
}

}  // namespace runbook
