// serve's /metrics lists every run of the store as its chained events record them (ListRuns:
// each run folded, the whole chain walked), which takes seconds on a store of years of
// hourly runs (breakII II5: 5.7-11 s per scrape at 50,000 runs, past Prometheus' default
// 10 s scrape_timeout). The listing is kept between requests and read again only when the
// store changed.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "engine/audit/backup_catalog.h"
#include "engine/audit/run_listing.h"
#include "engine/audit/store.h"
#include "engine/util/status.h"

namespace runbook {

class ListingCache {
 public:
  // Every run of `store` (ListRuns with no runbook filter and no limit short of 100,000),
  // the same listing as the last call's when the store is unchanged since: the same last
  // event (seq and hash), and the same size and modification time (ns) of the store's file
  // and of its write-ahead log — any write by SQLite changes one of them. Limit: someone who
  // edits the file and then sets its times back is seen at serve's next start, or by
  // `runbook audit verify` (docs/audit.md). Thread-safe: concurrent calls wait for one
  // reading. Errors: the store's (nothing is kept).
  Result<RunListing> Every(AuditStore& store);

  // The newest `limit` runs of `runbook` ("" every; ListRuns), kept as Every's listing is:
  // the first page of runs, which the web UI asks for every 2 s (about 100 ms each at 10,000
  // runs: bench/ui_bench.py). The last page asked for is kept. Errors: the store's.
  Result<RunListing> Page(AuditStore& store, const std::string& runbook, int limit);

  // The backup catalog's summaries (engine/audit/backup_catalog.h SummarizeCatalog), kept
  // the same way: read again when the store changed. A dump file deleted by hand while the
  // store is unchanged is seen when the store next changes. Errors: the store's.
  Result<std::map<std::string, BackupSummary>> Backups(AuditStore& store,
                                                       const StepRegistry& registry);

 private:
  // What identifies the store's state (see Every). Errors: the store's.
  static Result<std::string> KeyOf(AuditStore& store);

  std::mutex mu_;
  std::string key_, backups_key_, page_key_;
  std::optional<RunListing> listing_, page_;
  std::optional<std::map<std::string, BackupSummary>> backups_;
};

}  // namespace runbook
