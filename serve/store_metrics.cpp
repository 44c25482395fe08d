#include "serve/store_metrics.h"

#include <map>
#include <optional>
#include <sstream>

#include "engine/audit/metrics.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

std::optional<int64_t> FinishedUnix(const RunRow& r) {
  auto at = ParseUtc(r.finished_at);
  if (!at) return std::nullopt;
  return UnixMillis(*at) / 1000;
}

void Head(std::ostringstream& o, const char* metric, const char* help) {
  o << "# HELP " << metric << " " << help << "\n# TYPE " << metric << " gauge\n";
}

template <typename Field>
void PerRunbook(std::ostringstream& o, const char* metric, const char* help,
                const std::map<std::string, const RunRow*>& runs, Field field) {
  Head(o, metric, help);
  for (const auto& [name, r] : runs) {
    if (auto v = field(*r)) o << metric << "{runbook=" << PromLabel(name) << "} " << *v << "\n";
  }
}

std::optional<double> Seconds(const std::optional<int64_t>& ms) {
  if (!ms) return std::nullopt;
  return static_cast<double>(*ms) / 1000;
}

// The backup catalog's gauges, per runbook that published dumps.
void BackupMetrics(std::ostringstream& o, const std::map<std::string, BackupSummary>& backups,
                   SysSeconds now) {
  Head(o, "runbook_backups_available", "dumps the runbook published that are available");
  for (const auto& [name, s] : backups)
    o << "runbook_backups_available{runbook=" << PromLabel(name) << "} " << s.available << "\n";
  Head(o, "runbook_backups_verified",
       "available dumps of the runbook that an integrity check proved sound");
  for (const auto& [name, s] : backups)
    o << "runbook_backups_verified{runbook=" << PromLabel(name) << "} " << s.verified << "\n";
  Head(o, "runbook_verified_backup_age_seconds",
       "seconds since the snapshot of the runbook's newest available verified dump");
  for (const auto& [name, s] : backups) {
    auto at = ParseUtc(s.newest_verified);
    if (!at) continue;
    o << "runbook_verified_backup_age_seconds{runbook=" << PromLabel(name) << "} "
      << now.time_since_epoch().count() - UnixMillis(*at) / 1000 << "\n";
  }
}

}  // namespace

std::string StoreMetricsText(const std::vector<RunRow>& rows, bool altered, int64_t running,
                             SysSeconds now, const std::map<std::string, BackupSummary>& backups) {
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  std::map<std::string, const RunRow*> last, last_success, last_backup;
  for (const RunRow& r : rows) {
    ++counts[{r.runbook, r.status}];
    last.emplace(r.runbook, &r);
    if (r.status != "success") continue;
    last_success.emplace(r.runbook, &r);
    if (r.kind == "backup") last_backup.emplace(r.runbook, &r);
  }
  std::ostringstream o;
  Head(o, "runbook_runs", "the runs of the audit store by runbook and status");
  for (const auto& [key, n] : counts)
    o << "runbook_runs{runbook=" << PromLabel(key.first) << ",status=" << PromLabel(key.second)
      << "} " << n << "\n";
  PerRunbook(o, "runbook_last_success_timestamp_seconds",
             "when the runbook's last successful run finished", last_success, FinishedUnix);
  PerRunbook(o, "runbook_last_run_rto_seconds", "the RTO the runbook's last run measured", last,
             [](const RunRow& r) { return Seconds(r.rto_ms); });
  PerRunbook(o, "runbook_last_run_rpo_seconds", "the RPO the runbook's last run measured", last,
             [](const RunRow& r) { return Seconds(r.rpo_ms); });
  PerRunbook(o, "runbook_backup_age_seconds",
             "seconds since the newest verified backup (a backup runbook's last success)",
             last_backup, [&](const RunRow& r) -> std::optional<int64_t> {
               auto at = FinishedUnix(r);
               if (!at) return std::nullopt;
               return now.time_since_epoch().count() - *at;
             });
  BackupMetrics(o, backups, now);
  Head(o, "runbook_serve_running_runs", "runs this serve started that still run");
  o << "runbook_serve_running_runs " << running << "\n";
  Head(o, "runbook_store_altered",
       "1 when the store's runs index disagrees with its chained events (runbook audit verify)");
  o << "runbook_store_altered " << (altered ? 1 : 0) << "\n";
  return o.str();
}

}  // namespace runbook
