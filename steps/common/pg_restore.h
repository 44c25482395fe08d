// restore with `engine: postgres`: a pg_dump custom archive restored with pg_restore into a
// new database of the live server, verified there (pg_restore --exit-on-error, pg_amcheck,
// every table's rows against the dump's manifest), then made live: by renaming (the live
// database to `<db>_before_<stamp>` and the new one to its name, in one transaction), or by
// writing the env file the backend reads (switch: env). The live database is never dropped
// or changed before the new one is verified; a failure drops the new one. Where the rules
// come from: PostgreSQL's ALTER DATABASE RENAME (transactional; refused while other sessions
// use the database) and pg_restore's documented options.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <string_view>

#include "engine/plugin/step.h"

namespace runbook {

// Outputs: target ("postgres://HOST:PORT/DB", as a dump's metadata names its source),
// database (what the backend uses now), previous (the kept database, "" when none),
// created_at, authenticated, env_file. Failure: the dump was not verified by this run (and
// no force), the server cannot be reached, the live database is in use (switch: rename),
// pg_restore or pg_amcheck fails, a count differs from the manifest, the rename fails; each
// says the live database is untouched.
AttemptResult PostgresRestore(StepContext& ctx);

// Drops the databases of the server `admin` is connected to whose comment marks them as a
// killed run's (server_restore.h IsOrphanMarker: a restore's new database, a check's scratch
// one), and `<db>_restore_<stamp>` databases with no comment made over an hour ago (a run
// killed while the server made the database), saying each through `log`. Failures are ignored: the
// sweep is best effort.
void DropOrphanPgDatabases(PGconn* admin, const std::function<void(std::string_view)>& log);

}  // namespace runbook
