// restore with `engine: mysql`: a mysqldump of one database (`.sql.gz`, as backup's engine:
// mysql writes it) decompressed into a scratch folder beside `workspace`, restored with the
// client into a new database of the live server, verified there (the client stops at the first
// error; mariadb-check --extended; every table's rows against the dump's manifest), then made
// live: by moving every table of the live database into `<db>_before_<stamp>` and every table
// of the new one into the live database in one RENAME TABLE statement (atomic: MariaDB and
// MySQL have no RENAME DATABASE), or by writing the env file the backend reads (switch: env).
// The live database is never dropped or changed before the new one is verified; a failure
// drops the new one. RENAME TABLE cannot move a table with triggers, nor a view, to another
// database: switch: rename refuses a database with views, triggers, routines or events
// before anything is restored (use switch: env).
#pragma once

#include "engine/plugin/step.h"

namespace runbook {

// Outputs as PostgresRestore's (target "mysql://HOST:PORT/DB"). Failure: as PostgresRestore's;
// also a database with views, triggers, routines or events under switch: rename.
AttemptResult MysqlRestore(StepContext& ctx);

}  // namespace runbook
