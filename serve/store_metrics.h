// serve's /metrics: the audit store's runs in Prometheus' text exposition format
// (docs/serve.md). Pure function of the runs index; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/audit/backup_catalog.h"
#include "engine/audit/store.h"
#include "engine/schedule/fire_times.h"

namespace runbook {

// `rows` newest first (AuditStore::Runs); `running`: runs serve started that still run;
// `now` for ages. Metrics: runbook_runs{runbook,status}, runbook_last_success_timestamp_seconds,
// runbook_last_run_rto_seconds, runbook_last_run_rpo_seconds, runbook_backup_age_seconds
// (kind backup: seconds since its last successful run finished, whose verify passed),
// runbook_serve_running_runs, and runbook_store_altered (1 when the runs index disagrees with
// the chained events, `altered`: alert on it; breakHH HH1). From the backup catalog
// (`backups`, per runbook that published dumps): runbook_backups_available{runbook},
// runbook_backups_verified{runbook} (available and proved sound by an integrity check) and
// runbook_verified_backup_age_seconds{runbook}: seconds since the newest available verified
// dump's snapshot (its created_at), the RPO of what a drill proved (issue 18).
std::string StoreMetricsText(const std::vector<RunRow>& rows, bool altered, int64_t running,
                             SysSeconds now,
                             const std::map<std::string, BackupSummary>& backups = {});

}  // namespace runbook
