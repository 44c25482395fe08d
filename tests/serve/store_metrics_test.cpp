// serve's /metrics text from the runs index (serve/store_metrics.h), with fixed rows and time.
#include "serve/store_metrics.h"

#include <catch2/catch.hpp>

using namespace runbook;

namespace {

RunRow Row(const std::string& runbook, const std::string& kind, const std::string& status,
           const std::string& finished, std::optional<int64_t> rto_ms = std::nullopt) {
  RunRow r;
  r.runbook = runbook;
  r.kind = kind;
  r.status = status;
  r.finished_at = finished;
  r.rto_ms = rto_ms;
  return r;
}

}  // namespace

TEST_CASE("store metrics: counts, the last success, RTO, and the newest backup's age",
          "[serve][metrics]") {
  // Newest first, as AuditStore::Runs gives them.
  std::vector<RunRow> rows = {Row("backup", "backup", "failure", "2026-12-03T03:00:10.000Z"),
                              Row("backup", "backup", "success", "2026-12-02T03:00:10.000Z"),
                              Row("drill", "drill", "success", "2026-10-01T05:00:00.000Z", 5400000),
                              Row("backup", "backup", "success", "2026-12-01T03:00:10.000Z")};
  SysSeconds now{std::chrono::seconds(1796270410)};  // 2026-12-03T04:00:10Z
  std::string text = StoreMetricsText(rows, false, 1, now);
  CHECK_THAT(text, Catch::Contains("runbook_runs{runbook=\"backup\",status=\"success\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("runbook_runs{runbook=\"backup\",status=\"failure\"} 1\n"));
  // The failure at 03:00 today does not count: the newest verified backup is a day and an
  // hour old.
  CHECK_THAT(text, Catch::Contains("runbook_backup_age_seconds{runbook=\"backup\"} 90000\n"));
  CHECK(text.find("runbook_backup_age_seconds{runbook=\"drill\"}") == std::string::npos);
  CHECK_THAT(text, Catch::Contains("runbook_last_run_rto_seconds{runbook=\"drill\"} 5400\n"));
  CHECK_THAT(text, Catch::Contains(
                       "runbook_last_success_timestamp_seconds{runbook=\"backup\"} 1796180410\n"));
  CHECK_THAT(text, Catch::Contains("runbook_serve_running_runs 1\n"));
  CHECK_THAT(text, Catch::Contains("runbook_store_altered 0\n"));
  CHECK_THAT(StoreMetricsText(rows, true, 1, now), Catch::Contains("runbook_store_altered 1\n"));
}

TEST_CASE(
    "store metrics: the catalog's available and verified dumps, and the newest verified "
    "dump's age",
    "[serve][metrics][catalog]") {
  SysSeconds now{std::chrono::seconds(1796270410)};  // 2026-12-03T04:00:10Z
  BackupSummary nightly;
  nightly.dumps = 5;
  nightly.available = 4;
  nightly.verified = 2;
  nightly.newest = "2026-12-03T03:00:00.000Z";
  nightly.newest_verified = "2026-12-01T04:00:10Z";
  BackupSummary never;  // dumps, none verified: no age sample (absent() alerts on it)
  never.dumps = 1;
  never.available = 1;
  std::string text =
      StoreMetricsText({}, false, 0, now, {{"nightly", nightly}, {"never-checked", never}});
  CHECK_THAT(text, Catch::Contains("runbook_backups_available{runbook=\"nightly\"} 4\n"));
  CHECK_THAT(text, Catch::Contains("runbook_backups_verified{runbook=\"nightly\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("runbook_backups_verified{runbook=\"never-checked\"} 0\n"));
  CHECK_THAT(text,
             Catch::Contains("runbook_verified_backup_age_seconds{runbook=\"nightly\"} 172800\n"));
  CHECK(text.find("runbook_verified_backup_age_seconds{runbook=\"never-checked\"}") ==
        std::string::npos);
}
