// probe kinds http and prometheus against real servers: tests/http/server.js (the shop API
// with latency and errors set per test) and Debian's prometheus scraping it.
#include <catch2/catch.hpp>

#include "engine/util/json.h"
#include "steps/common/stats.h"
#include "support/s3rver.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// The seed's journey: login -> catalog -> orders-list -> checkout as the smoke user.
const char* kJourney = R"(      journey:
        - name: login
          method: POST
          path: /api/auth/login
          json: {email: smoke@puranatura.test, password: smoke-password}
          expect: {status: 200, json: {/user/email: smoke@puranatura.test}}
          extract: {token: /token}
        - name: catalog
          path: /api/catalog
          headers: {Authorization: "Bearer {{token}}"}
          expect: {json: {/items/0/sku: TEA-001}}
        - name: orders-list
          path: /api/orders
          headers: {Authorization: "Bearer {{token}}"}
        - name: checkout
          method: POST
          path: /api/checkout
          headers: {Authorization: "Bearer {{token}}"}
          json: {items: [{sku: TEA-001, qty: 1}]}
          expect: {status: 201, json: {/order/status: confirmed}}
)";

std::string Synthetic(const std::string& url, const std::string& with) {
  return "version: 1\nname: synth\nsteps:\n  - id: synthetic\n    uses: probe\n    with:\n"
         "      kind: http\n      base_url: " +
         url + "\n" + with + kJourney;
}

Command RunIn(const std::string& dir, const std::string& file) {
  return Shell("cd " + dir + " && " + Binary() + " run " + file + " --audit-db a.db", 120);
}

Value Report(const std::string& path) {
  auto v = ParseJson(ReadFile(path));
  REQUIRE(v.ok());
  return v.value();
}

double At(const Value& report, const std::string& check, const char* field) {
  const Value* c = report.Find("checks")->Find(check);
  REQUIRE(c != nullptr);
  REQUIRE(c->Find(field) != nullptr);
  return c->Find(field)->as_double();
}

}  // namespace

TEST_CASE("nearest-rank percentiles of known samples", "[probe][stats]") {
  // The textbook example: 15, 20, 35, 40, 50.
  std::vector<double> five{15, 20, 35, 40, 50};
  CHECK(NearestRank(five, 5) == 15);
  CHECK(NearestRank(five, 30) == 20);
  CHECK(NearestRank(five, 40) == 20);
  CHECK(NearestRank(five, 50) == 35);
  CHECK(NearestRank(five, 100) == 50);
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);  // unsorted on purpose
  LatencySummary s = Summarize(hundred);
  CHECK(s.count == 100);
  CHECK(s.min == 1);
  CHECK(s.max == 100);
  CHECK(s.mean == 50.5);
  CHECK(s.p50 == 50);
  CHECK(s.p95 == 95);
  CHECK(s.p99 == 99);
  LatencySummary ten = Summarize({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(ten.p50 == 5);
  CHECK(ten.p95 == 10);
  CHECK(ten.p99 == 10);
  CHECK(Summarize({}).count == 0);
}

TEST_CASE("probe http: the seed's journey with a token, cookies, percentiles and a report",
          "[steps][probe][http]") {
  ShopServer shop("--latency-ms 20");
  std::string dir = TempDir();
  WriteFile(dir, "s.yaml",
            Synthetic(shop.url(), "      iterations: 12\n      concurrency: 3\n") +
                "  - id: after\n    uses: log\n    needs: [synthetic]\n    with: {message: "
                "'p95=${{ steps.synthetic.outputs.checks.checkout.p95 }} "
                "rate=${{ steps.synthetic.outputs.error_rate }}'}\n");
  Command c = RunIn(dir, "s.yaml");
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  Value report = Report(dir + "/reports/synthetic/synthetic-report.json");
  // Its folders are made as every step makes one: 0700, and said (breakM M11).
  CHECK(Shell("stat -c %a " + dir + "/reports/synthetic").out == "700\n");
  CHECK_THAT(c.err, Catch::Contains("created folder " + dir + "/reports/synthetic (mode 0700)"));
  CHECK(report.Find("errorRate")->as_double() == 0.0);
  CHECK(report.Find("requests")->as_int() == 48);
  CHECK(report.Find("percentiles")->ToText() == "nearest-rank");
  for (const char* check : {"login", "catalog", "orders-list", "checkout"}) {
    CHECK(At(report, check, "requests") == 12);
    CHECK(At(report, check, "errors") == 0);
    CHECK(At(report, check, "p50") >= 20.0);  // the server's injected latency
    CHECK(At(report, check, "p95") >= At(report, check, "p50"));
    CHECK(At(report, check, "p99") >= At(report, check, "p95"));
    CHECK(At(report, check, "durationMs") == At(report, check, "p50"));
    CHECK(report.Find("checks")->Find(check)->Find("samplesMs")->as_list().size() == 12);
  }
  // orders-list needs the session cookie set by login: it passed, so cookies were kept.
  CHECK(c.err.find("after | p95=") != std::string::npos);
  CHECK(c.err.find(" rate=0") != std::string::npos);
}

TEST_CASE("probe http: errors count against max_error_rate, the report is still written",
          "[steps][probe][http]") {
  ShopServer shop("--error-every 2");
  std::string dir = TempDir();
  WriteFile(dir, "strict.yaml", Synthetic(shop.url(), "      iterations: 4\n"));
  Command strict = RunIn(dir, "strict.yaml");
  CHECK(strict.exit_code == 1);
  // 4 journeys of 4 requests, every 2nd checkout fails: 2 of 16 requests = 12.5 %.
  CHECK(strict.err.find("error rate 12.50% is above max_error_rate 0%; checkout: HTTP 500") !=
        std::string::npos);
  Value report = Report(dir + "/reports/synthetic/synthetic-report.json");
  CHECK(report.Find("errorRate")->as_double() == 12.5);
  CHECK(At(report, "checkout", "errors") == 2);
  CHECK(At(report, "checkout", "errorRate") == 50.0);
  CHECK(report.Find("checks")->Find("checkout")->Find("ok")->as_bool() == false);

  WriteFile(dir, "lenient.yaml",
            Synthetic(shop.url(),
                      "      iterations: 4\n      max_error_rate: 50\n"
                      "      report: out/r.json\n"));
  CHECK(RunIn(dir, "lenient.yaml").exit_code == 0);
  CHECK(Report(dir + "/out/r.json").Find("errors")->as_int() == 2);
}

TEST_CASE("probe http: a failed expectation stops that journey and says why",
          "[steps][probe][http]") {
  ShopServer shop;
  std::string dir = TempDir();
  std::string yaml = Synthetic(shop.url(), "");
  yaml.replace(yaml.find("smoke-password"), 14, "wrong-password");
  WriteFile(dir, "bad.yaml", yaml);
  Command c = RunIn(dir, "bad.yaml");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("login: HTTP 401") != std::string::npos);
  Value report = Report(dir + "/reports/synthetic/synthetic-report.json");
  CHECK(At(report, "login", "errors") == 1);
  CHECK(At(report, "catalog", "requests") == 0);  // not attempted without a token

  std::string wrong = Synthetic(shop.url(), "");
  wrong.replace(wrong.find("/order/status: confirmed"), 24, "/order/status: shipped");
  WriteFile(dir, "wrong.yaml", wrong);
  Command w = RunIn(dir, "wrong.yaml");
  CHECK(w.err.find("checkout: /order/status is \"confirmed\", expected \"shipped\"") !=
        std::string::npos);
}

TEST_CASE("probe http: journey mistakes are found when the runbook is loaded", "[steps][probe]") {
  std::string dir = TempDir();
  std::string yaml = Synthetic("http://127.0.0.1:1", "");
  yaml.replace(yaml.find("extract: {token: /token}"), 24, "extract: {tok: /token}");
  WriteFile(dir, "v.yaml", yaml);
  Command c = Shell("cd " + dir + " && " + Binary() + " validate v.yaml");
  CHECK(c.exit_code == 2);
  // Each request's mistake at the request (break24a D1's kind: one message at `journey`).
  CHECK(c.err.find("v.yaml:16:11: error: journey[1] ('catalog'): uses {{token}}, which no "
                   "earlier request extracts") != std::string::npos);
  CHECK(c.err.find("v.yaml:20:11: error: journey[2] ('orders-list'): uses {{token}}") !=
        std::string::npos);
  CHECK(c.err.find("v.yaml:23:11: error: journey[3] ('checkout'): uses {{token}}") !=
        std::string::npos);
  WriteFile(dir, "n.yaml",
            "version: 1\nname: n\nsteps:\n  - id: p\n    uses: probe\n"
            "    with: {kind: http, journey: [{name: a, path: /, bogus: 1}]}\n");
  Command n = Shell("cd " + dir + " && " + Binary() + " validate n.yaml");
  CHECK(n.exit_code == 2);
  CHECK(n.err.find("probe kind 'http' needs 'base_url'") != std::string::npos);
  CHECK(n.err.find("journey[0] ('a'): unknown key 'bogus'") != std::string::npos);
  WriteFile(dir, "m.yaml",
            "version: 1\nname: n\nsteps:\n  - id: p\n    uses: probe\n"
            "    with: {kind: http, base_url: 'http://x', journey: [{name: a, path: /, method: "
            "get}, {name: b, path: /, headers: [x]}]}\n");
  Command m = Shell("cd " + dir + " && " + Binary() + " validate m.yaml");
  CHECK(m.err.find("m.yaml:6:56: error: journey[0] ('a'): unknown method 'get' (GET, POST,") !=
        std::string::npos);
  CHECK(m.err.find("m.yaml:6:89: error: journey[1] ('b'): headers must be a mapping") !=
        std::string::npos);
}

TEST_CASE("probe prometheus: instant queries against a real Prometheus scraping the server",
          "[steps][probe][prometheus]") {
  REQUIRE(Shell("command -v prometheus").exit_code == 0);
  ShopServer shop("--latency-ms 30");
  Shell("for i in $(seq 20); do curl -s " + shop.url() + "/api/catalog > /dev/null; done");
  PrometheusServer prom(shop.port());
  std::string dir = TempDir();
  auto query = [&](const std::string& q, const std::string& bounds) {
    WriteFile(dir, "q.yaml",
              "version: 1\nname: q\nsteps:\n  - id: q\n    uses: probe\n    with:\n"
              "      kind: prometheus\n      url: " +
                  prom.url() + "\n      query: '" + q + "'\n" + bounds);
    return RunIn(dir, "q.yaml");
  };
  // The 20 requests above answered 401 (no token): counted, none is an error (5xx).
  Command errors = query("sum(http_request_errors_total)", "      max: 0\n");
  INFO(errors.err);
  CHECK(errors.exit_code == 0);
  CHECK(errors.err.find("sum(http_request_errors_total) = 0") != std::string::npos);
  Command count = query("sum(http_request_duration_seconds_count)", "      min: 20\n");
  CHECK(count.exit_code == 0);
  Command p95 =
      query("histogram_quantile(0.95, sum by (le) (http_request_duration_seconds_bucket))",
            "      max: 0.01\n");
  CHECK(p95.exit_code == 1);  // 30 ms of latency is above 10 ms
  CHECK(p95.err.find("is above max 0.01") != std::string::npos);
  Command many = query("http_request_duration_seconds_bucket", "");
  CHECK(many.exit_code == 1);
  CHECK(many.err.find("series; aggregate it to one") != std::string::npos);
  Command bad = query("sum(", "");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("prometheus rejected 'sum(': ") != std::string::npos);
  Command none = query("sum(no_such_metric_xyz)", "");
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("returned no series") != std::string::npos);
}

TEST_CASE("probe http and prometheus: an answer past the body cap fails naming it",
          "[steps][probe]") {
  // breakI I28: a 2.5 GB answer was read whole and ended in bad_alloc ("please report").
  std::string dir = TempDir();
  for (const std::string& with :
       {std::string("{kind: http, base_url: 'URL', journey: [{name: big, path: /x}]}"),
        std::string("{kind: prometheus, url: 'URL', query: up}")}) {
    CAPTURE(with);
    FaultProxy big(1, "get:oversize");  // 200 and 30 MiB, whatever is asked
    std::string step = with;
    step.replace(step.find("URL"), 3, big.endpoint());
    WriteFile(dir, "b.yaml",
              "version: 1\nname: b\nsteps:\n  - {id: p, uses: probe, with: " + step + "}\n");
    Command c = Shell("cd " + dir + " && " + Binary() + " run b.yaml --audit-db a.db");
    INFO(c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("with a body longer than 16777216 bytes; stopped there"));
    CHECK_THAT(c.err, !Catch::Contains("please report"));
  }
}
