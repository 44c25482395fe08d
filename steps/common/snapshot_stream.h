// A consistent snapshot of a live SQLite database compressed straight into a dump, with no
// copy of the database on disk (issue 15): the file is read inside one read transaction in
// which it holds the snapshot itself (Db::BeginFileSnapshot), in bounded pieces, each piece
// compressed on every core (GzipWriter). Where the file cannot hold the snapshot (a reader
// of older pages keeps the WAL from being checkpointed, or the database cannot be locked for
// a moment) it falls back to SQLite's online backup API into a scratch copy beside the dump,
// says so, and removes the copy.
#pragma once

#include <functional>
#include <string>

#include "engine/util/status.h"
#include "engine/util/work.h"
#include "steps/common/gzip.h"
#include "steps/common/sqlite_info.h"

namespace runbook {

struct SnapshotDump {
  GzipResult gzip;    // in_*: the raw database as dumped; out_*: the dump
  DatabaseInfo info;  // of the snapshot: pages, tables and their rows
};

// Writes the snapshot of `database` to `gz` (the scratch name of the dump `dump`, which names
// the fallback's scratch copy) (created, must not exist; fsynced; removed on
// failure) at libdeflate `level`. The raw form is the database file as a rollback-journal
// database: a WAL-mode file's header bytes 18-19 (file format versions, 2 for WAL) are set
// to 1 (https://www.sqlite.org/fileformat2.html, 1.3.3), so the dump opens alone, as the
// online backup API's copies always did. `timeout_ms` bounds each wait for a lock; `work`
// stops it between pieces, is told the bytes read and why it waits; `log` hears about the
// fallback.
Result<SnapshotDump> DumpSnapshot(const std::string& database, const std::string& gz,
                                  const std::string& dump, int level, int timeout_ms,
                                  const Work& work,
                                  const std::function<void(const std::string&)>& log);

}  // namespace runbook
