// integrity-check with `engine: postgres`: restores a pg_dump archive into a scratch
// database on the given server, runs pg_amcheck on it, counts rows, and drops it. Every
// command goes through the engine's process runner (timeouts and Ctrl-C apply).
#pragma once

#include "engine/plugin/step.h"

namespace runbook {

AttemptResult PostgresIntegrityCheck(StepContext& ctx);

// A PostgreSQL client program (psql, pg_dump, pg_restore, pg_amcheck): from `bin_dir` when
// given, else PATH, else the newest /usr/lib/postgresql/*/bin (Debian installs pg_amcheck only
// there); the bare name when none is found (the process runner then reports it missing).
std::string PostgresProgram(const std::string& name, const std::string& bin_dir, const EnvMap& env);

// The query that counts every base table's rows, one "schema.table=N" per line sorted by name:
// the backup's manifest (in its snapshot) and the check's counts (in the scratch restore) are
// made by the same text, so they compare.
extern const char* const kPostgresCountRows;

}  // namespace runbook
