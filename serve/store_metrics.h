// serve's /metrics: the audit store's runs in Prometheus' text exposition format
// (docs/serve.md). Pure function of the runs index; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/audit/store.h"
#include "engine/schedule/fire_times.h"

namespace runbook {

// `rows` newest first (AuditStore::Runs); `running`: runs serve started that still run;
// `now` for ages. Metrics: runbook_runs{runbook,status}, runbook_last_success_timestamp_seconds,
// runbook_last_run_rto_seconds, runbook_last_run_rpo_seconds, runbook_backup_age_seconds
// (kind backup: seconds since its last successful run finished, whose verify passed),
// runbook_serve_running_runs, and runbook_store_altered (1 when the runs index disagrees with
// the chained events, `altered`: alert on it; breakHH HH1).
std::string StoreMetricsText(const std::vector<RunRow>& rows, bool altered, int64_t running,
                             SysSeconds now);

}  // namespace runbook
