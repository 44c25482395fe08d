// backup with `engine: postgres`: pg_dump's custom format of one consistent snapshot, with a
// manifest counted in that same snapshot, published and retained as every backup is
// (dump_publish.h). Where a rule comes from: PostgreSQL's exported snapshots
// (pg_export_snapshot, `pg_dump --snapshot`), the documented way for a dump and other reads to
// see the same data.
#pragma once

#include "engine/plugin/params.h"
#include "engine/plugin/step.h"
#include "engine/util/status.h"

namespace runbook {

// Connects with libpq (`database`: a connection string or URL naming the database;
// `password`: given to libpq and pg_dump through their environment, never on a command line),
// opens a REPEATABLE READ, READ ONLY transaction, exports its snapshot, counts every base
// table's rows in it, and runs pg_dump --snapshot into a scratch file beside the dump; then
// the metadata (engine, server and pg_dump versions, the exact counts, created_at: the
// transaction's start, at or just before the snapshot) and the publish. Outputs as backup's
// (raw_sha256: "", no uncompressed form is made). Failure: the server cannot be reached,
// the snapshot cannot be exported (a standby without hot_standby_feedback may refuse),
// pg_dump fails; nothing is left under the final names.
AttemptResult PostgresBackup(StepContext& ctx);

// Which database a postgres backup's dumps are of, as its metadata's `source` names it
// ("postgres://HOST:PORT/DBNAME", the server's words): connects, reads, disconnects. For a
// dry run's retention. Errors: the server cannot be reached.
Result<std::string> PostgresSource(const StepParams& p);

}  // namespace runbook
