// libpq connections for the postgres engine of backup and restore: a connection string or
// URL (`database`) whose password, if any, must come apart (a declared secret), connected to
// the database it names or to another database of the same server.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/plugin/step.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

// What runbook's own sessions on a server run first: functions and operators are found in
// pg_catalog only. A database's owner can create `public.quote_ident(name)`, an exact match
// that PostgreSQL prefers to pg_catalog's quote_ident(text) on the default search_path; run
// by runbook's role (a superuser) it ran the owner's code as that role (break18 R1). As
// PostgreSQL's own docs advise for security-sensitive sessions (CVE-2018-1058).
inline constexpr const char* kCatalogSearchPath =
    "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false)";
// The same for a psql or other libpq program: its PGOPTIONS (`-c search_path=...`).
inline constexpr const char* kCatalogSearchPathOption = "-c search_path=pg_catalog,pg_temp";

// Sets kCatalogSearchPath on `conn`. Errors: the server refused it.
Status CatalogFirst(PGconn* conn);

// libpq's error text on one line.
std::string PgError(const PGconn* conn);

// Runs `sql`; its rows, each a list of texts (NULL as ""). Errors: libpq's message.
Result<std::vector<std::vector<std::string>>> PgQuery(PGconn* conn, const std::string& sql);

// A password written in the connection string would go onto a client's command line, where
// `ps` shows it (breakKK KK6): refused, as a MySQL URL's is. Errors: libpq cannot parse it.
Status NoPasswordIn(const std::string& database);

// Connects to what `database` names; with `dbname` non-empty, to that database of the same
// server instead (libpq's expand_dbname: a later dbname is a plain name). The session's
// search_path is kCatalogSearchPath's. `password`
// (nullptr: libpq's own sources) goes to libpq, never into a string. connect_timeout 10 s.
// Errors: "cannot connect: " and libpq's words.
Result<PgConn> PgConnect(const std::string& database, const Value* password,
                         const std::string& dbname = "");

// Connects with the libpq connection string `conninfo` (key=value form) as `user` with
// `password`, both overriding the string's. Returns the connection, which may be null or
// not CONNECTION_OK (PgError says why). For a role runbook made (pg_check.cpp). The
// session's search_path is kCatalogSearchPath's (null when that could not be set).
PgConn PgConnectAs(const std::string& conninfo, const std::string& user,
                   const std::string& password);

// The database `database` names (its dbname), "" when it names none. Errors: not a
// connection string or URL.
Result<std::string> PgDatabaseName(const std::string& database);

// `database` as a keyword=value connection string (no password) naming `dbname` instead:
// what a client program's -d takes. Errors: not a connection string or URL.
Result<std::string> PgConnInfoFor(const std::string& database, const std::string& dbname);

// Runs a PostgreSQL client program through the engine's runner (the step's timeout and
// Ctrl-C apply; its lines shown live) with PGPASSWORD set when `password` is given (nullptr:
// libpq's own sources): a password never goes on a command line.
ProcessResult RunPgProgram(StepContext& ctx, std::vector<std::string> argv, const Value* password);

// `name` as an SQL identifier, always double-quoted ("" doubled): PostgreSQL and the
// standard's quoting.
std::string PgIdent(const std::string& name);
// `text` as an SQL string literal ('' doubled; standard_conforming_strings, on by default
// since PostgreSQL 9.1).
std::string PgLiteral(const std::string& text);

}  // namespace runbook
