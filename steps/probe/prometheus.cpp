// probe kind prometheus: one instant PromQL query against the HTTP API
// (GET <url>/api/v1/query?query=...). The answer must be a scalar or a vector of exactly one
// series (aggregate in the query otherwise); its value is the output `value`, checked
// against `min` and `max` (a value equal to a bound passes, like canary-compare).
#include <cmath>
#include <cstdio>

#include "engine/util/json.h"
#include "steps/common/http.h"
#include "steps/common/sigv4.h"
#include "steps/probe/journey.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

// The sample value of a [timestamp, "value"] pair.
std::optional<double> SampleValue(const Value& pair) {
  if (!pair.is_list() || pair.as_list().size() != 2) return std::nullopt;
  std::string text = pair.as_list()[1].ToText();
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) return std::nullopt;
  return v;
}

// The one value the query answered, or why there is none.
Result<double> OneValue(const Value& doc, const std::string& query) {
  const Value* status = doc.Find("status");
  if (status == nullptr || status->ToText() != "success") {
    const Value* error = doc.Find("error");
    return Status::Error("prometheus rejected '" + query +
                         "': " + (error ? error->ToText() : "no status"));
  }
  const Value* type = JsonPointer(doc, "/data/resultType");
  const Value* result = JsonPointer(doc, "/data/result");
  if (type == nullptr || result == nullptr) return Status::Error("no data in the answer");
  if (type->ToText() == "scalar") {
    auto v = SampleValue(*result);
    if (!v) return Status::Error("the scalar answer has no value");
    return *v;
  }
  if (type->ToText() != "vector") return Status::Error("'" + query + "' is a range query");
  size_t n = result->as_list().size();
  if (n == 0) return Status::Error("'" + query + "' returned no series (no data yet?)");
  if (n > 1)
    return Status::Error("'" + query + "' returned " + std::to_string(n) +
                         " series; aggregate it to one (sum, max, avg ...)");
  const Value* pair = result->as_list()[0].Find("value");
  auto v = pair ? SampleValue(*pair) : std::nullopt;
  if (!v) return Status::Error("the series has no value");
  return *v;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Why `v` fails the step's `min`/`max`, or "".
std::string OutOfBounds(const StepParams& params, const std::string& query, double v) {
  const Value* max = params.Opt("max");
  const Value* min = params.Opt("min");
  if (std::isnan(v)) return "'" + query + "' is NaN (no samples in its window?)";
  if (max && v > max->as_double()) return Number(v) + " is above max " + Number(max->as_double());
  if (min && v < min->as_double()) return Number(v) + " is below min " + Number(min->as_double());
  return "";
}

}  // namespace

AttemptResult ProbePrometheus(StepContext& ctx) {
  std::string base = ctx.params.Str("url");
  std::string query = ctx.params.Str("query");
  if (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest req;
  req.url = base + "/api/v1/query?query=" + UriEncode(query, false);
  req.timeout = ctx.params.Duration("timeout");
  req.max_body = kProbeMaxBody;
  HttpClient client;
  HttpResponse resp = client.Send(req, ctx.cancel);
  if (resp.status == 0) return AttemptResult::Failure("cannot query " + base + ": " + resp.error);
  auto doc = ParseJson(resp.body);
  if (!doc.ok())
    return AttemptResult::Failure("HTTP " + std::to_string(resp.status) + " from " + base +
                                  " is not a Prometheus answer");
  auto value = OneValue(doc.value(), query);
  if (!value.ok()) return AttemptResult::Failure(value.status().message());
  double v = value.value();
  ctx.log(query + " = " + Number(v));
  std::string why = OutOfBounds(ctx.params, query, v);
  AttemptResult r = why.empty() ? AttemptResult::Success() : AttemptResult::Failure(why);
  r.outputs = {{"value", Value(v)}};  // also when out of bounds: the value is the evidence
  return r;
}

}  // namespace runbook
