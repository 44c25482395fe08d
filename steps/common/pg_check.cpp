#include "steps/common/pg_check.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <optional>
#include <random>
#include <sstream>

#include "engine/util/crypto.h"
#include "engine/util/strings.h"
#include "steps/common/backup_meta.h"
#include "steps/common/files.h"
#include "steps/common/pg_conn.h"
#include "steps/common/pg_restore.h"
#include "steps/common/server_check.h"
#include "steps/common/server_restore.h"

namespace runbook {
namespace {}  // namespace

std::string PostgresProgram(const std::string& name, const std::string& bin_dir,
                            const EnvMap& env) {
  if (!bin_dir.empty()) return bin_dir + "/" + name;
  auto path = env.find("PATH");
  std::istringstream dirs(path == env.end() ? std::string() : path->second);
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return name;
  auto found = ExpandGlobs({"/usr/lib/postgresql/*/bin/" + name});
  if (found.ok() && !found.value().empty()) return found.value().back();
  return name;  // the runner reports it missing
}

const char* const kPostgresCountRows =
    "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) || '=' || "
    "(xpath('/row/c/text()', "
    "query_to_xml(format('select count(*) as c from %I.%I', table_schema, table_name), false, "
    "true, '')))[1]::text FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND "
    "table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";

namespace {

// The step's PGOPTIONS with runbook's search_path after it (a later -c wins).
std::string CatalogOptions(const EnvMap& env) {
  auto given = env.find("PGOPTIONS");
  std::string options = given == env.end() ? std::string() : given->second;
  return (options.empty() ? "" : options + " ") + kCatalogSearchPathOption;
}

struct Pg {
  StepContext& ctx;
  std::string server;  // libpq connection string without dbname
  std::string bin_dir;

  std::string Bin(const std::string& name) const { return PostgresProgram(name, bin_dir, ctx.env); }

  std::string Conn(const std::string& db) const { return server + " dbname=" + db; }

  // `password` (non-empty): PGPASSWORD of the child only.
  ProcessResult Exec(std::vector<std::string> argv, const std::string& password = "") const {
    ProcessRequest req;
    req.argv = std::move(argv);
    req.env = ctx.env;
    if (!password.empty()) req.env["PGPASSWORD"] = password;
    req.deadline = ctx.deadline;
    req.grace = ctx.kill_grace;
    req.on_line = [this](bool, std::string_view line) { ctx.output(line); };
    return ctx.processes.Run(req, ctx.cancel);
  }

  // Runs SQL in `db` (as `user` with `password` when given), pg_catalog first on the
  // search_path (kCatalogSearchPath); returns stdout (unaligned, tuples only) or the failure.
  Result<std::string> Sql(const std::string& db, const std::string& sql,
                          const std::string& user = "", const std::string& password = "") const {
    ProcessRequest req;
    req.argv = {Bin("psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                Conn(db) + (user.empty() ? "" : " user=" + user),
                "-c",
                sql};
    req.env = ctx.env;
    req.env["PGOPTIONS"] = CatalogOptions(ctx.env);
    if (!password.empty()) req.env["PGPASSWORD"] = password;
    req.deadline = ctx.deadline;
    req.grace = ctx.kill_grace;
    req.on_line = [this](bool, std::string_view line) { ctx.output(line); };
    ProcessResult r = ctx.processes.Run(req, ctx.cancel);
    if (!r.exited_ok()) return Status::Error("psql: " + r.Describe() + ": " + Last(r.err.text));
    return r.out.text;
  }

  // Drops the scratch database whatever ended the attempt (breakKK KK3: a timeout or Ctrl-C
  // killed the drop too, and left a whole restored copy on the server): its own 60 s, no
  // cancel. WITH (FORCE) ends a pg_restore still connected to it.
  Result<std::string> Drop(const std::string& db) const {
    ProcessRequest req;
    req.argv = {Bin("psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                Conn("postgres"),
                "-c",
                "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"};
    req.env = ctx.env;
    req.deadline = ctx.clock.Now() + std::chrono::seconds(60);
    CancelToken never;
    ProcessResult r = ctx.processes.Run(req, never);
    if (!r.exited_ok()) return Status::Error("psql: " + r.Describe() + ": " + Last(r.err.text));
    return r.out.text;
  }

  static std::string Last(const std::string& text) {
    std::string t = text;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    size_t nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
  }
};

// runbook_check_<stamp>_<8 hex>: the stamp lets the sweep tell its age (pg_restore.h).
std::string ScratchName(Clock::Wall now) {
  std::mt19937_64 rng{std::random_device{}()};
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08llx", static_cast<unsigned long long>(rng() >> 32));
  // Lower case: the name is written unquoted too (PostgreSQL folds it) and quoted.
  return "runbook_check_" + AsciiLower(NameStamp(now)) + "_" + hex;
}

std::string RandomHex(int bytes) {
  std::random_device rd;
  std::string out;
  char two[3];
  for (int i = 0; i < bytes; ++i) {
    std::snprintf(two, sizeof two, "%02x", static_cast<unsigned>(rd() & 0xff));
    out += two;
  }
  return out;
}

// The role the archive's SQL runs as: made for this check (LOGIN, no other attribute), owner
// of the scratch database, dropped after. The archive is not trusted: run as the server's
// superuser, a forged entry (`COPY ... TO PROGRAM`) would run a command on the server's
// host. When the server refuses that role's login (pg_hba.conf: `peer` on a socket), the
// archive runs as the given user with SET ROLE to it (pg_restore --role), which an entry can
// undo: said as a warning.
struct RestoreRole {
  std::string name, password;
  bool logs_in = false;
};

Result<RestoreRole> MakeRestoreRole(PGconn* admin, const Pg& pg, const std::string& db) {
  RestoreRole role{db, RandomHex(24)};
  // The verifier, not the password, goes to the server (its log may keep statements).
  char* verifier = PQencryptPasswordConn(admin, role.password.c_str(), role.name.c_str(), nullptr);
  if (verifier == nullptr) return Status::Error("cannot encrypt a password: " + PgError(admin));
  std::string secret = verifier;
  PQfreemem(verifier);
  // One transaction: never a role without its mark (the sweep drops marked roles of killed runs).
  auto made =
      PgQuery(admin, "BEGIN; CREATE ROLE " + PgIdent(role.name) +
                         " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                         "NOBYPASSRLS PASSWORD " +
                         PgLiteral(secret) + "; COMMENT ON ROLE " + PgIdent(role.name) + " IS " +
                         PgLiteral(InProgressMarker(pg.ctx.run_id)) + "; ALTER DATABASE " +
                         PgIdent(db) + " OWNER TO " + PgIdent(role.name) + "; COMMIT");
  if (!made.ok()) {
    (void)PgQuery(admin, "ROLLBACK");
    return made.status();
  }
  PgConn as = PgConnectAs(pg.Conn(db), role.name, role.password);
  role.logs_in = as && PQstatus(as.get()) == CONNECTION_OK;
  if (!role.logs_in)
    pg.ctx.log("warning: the server refused a login as " + role.name + " (" + PgError(as.get()) +
               "): the archive's SQL ran as the given user with SET ROLE to it, which an archive "
               "can undo (allow password logins from this host in pg_hba.conf)");
  return role;
}

// Restore, amcheck, count; the caller drops the database whatever happens.
Status CheckInScratch(const Pg& pg, const RestoreRole& role, const std::string& source,
                      const std::string& db, Value::Map& rows, std::vector<std::string>& problems) {
  std::vector<std::string> argv = {pg.Bin("pg_restore"), "--exit-on-error", "--no-owner",
                                   "--no-privileges"};
  if (role.logs_in) {
    argv.push_back("--dbname=" + pg.Conn(db) + " user=" + role.name);
  } else {
    argv.push_back("--role=" + role.name);
    argv.push_back("--dbname=" + pg.Conn(db));
  }
  argv.push_back(source);
  ProcessResult restored = pg.Exec(argv, role.logs_in ? role.password : std::string());
  if (!restored.exited_ok()) {
    problems.push_back("pg_restore: " + restored.Describe() + ": " + Pg::Last(restored.err.text));
    return Status::Ok();
  }
  ProcessResult checked = pg.Exec({pg.Bin("pg_amcheck"), "--install-missing", "--heapallindexed",
                                   "--no-dependent-indexes", pg.Conn(db)});
  if (!checked.exited_ok()) {
    std::istringstream lines(checked.out.text + checked.err.text);
    for (std::string line; std::getline(lines, line) && problems.size() < 20;)
      if (!line.empty()) problems.push_back(line);
    if (problems.empty()) problems.push_back("pg_amcheck: " + checked.Describe());
  }
  // As the check's role: the archive's functions (an index's, a type's) run with its rights.
  auto counted = role.logs_in ? pg.Sql(db, kPostgresCountRows, role.name, role.password)
                              : pg.Sql(db, kPostgresCountRows);
  if (!counted.ok()) return counted.status();
  std::istringstream in(counted.value());
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.rfind('=');
    if (eq == std::string::npos) continue;
    int64_t n = 0;
    auto [end, ec] = std::from_chars(line.data() + eq + 1, line.data() + line.size(), n);
    if (ec != std::errc() || end != line.data() + line.size())
      return Status::Error("counting rows: psql printed '" + line + "', not table=count");
    rows[line.substr(0, eq)] = Value(n);
  }
  return Status::Ok();
}

}  // namespace

AttemptResult PostgresIntegrityCheck(StepContext& ctx) {
  const StepParams& p = ctx.params;
  std::string source = p.Str("source"), sha256;
  std::optional<LoadedMeta> meta;
  if (std::string why = FirstLook(ctx, source, "restoring", sha256, meta); !why.empty())
    return AttemptResult::Failure(why);
  const Value* server = p.Opt("server");
  if (server == nullptr)
    return AttemptResult::Failure("engine: postgres needs 'server' (a libpq connection string)");
  const Value* bin_dir = p.Opt("bin_dir");
  Pg pg{ctx, server->ToText(), bin_dir ? bin_dir->ToText() : std::string()};
  auto started = std::chrono::steady_clock::now();
  // The step's environment (a declared secret as PGPASSWORD) reaches libpq as psql gets it.
  auto env_password = ctx.env.find("PGPASSWORD");
  std::optional<Value> password;
  if (env_password != ctx.env.end()) password = Value(env_password->second);
  auto admin = PgConnect(server->ToText(), password ? &*password : nullptr, "postgres");
  if (!admin.ok()) return AttemptResult::Failure(admin.status().message());
  // Scratch databases and roles of checks killed on this host (kill -9, a lost machine's
  // power: breakKK KK3) go first; these are marked the same way (InProgressMarker).
  DropOrphanPgDatabases(admin.value().get(), ctx.log);
  std::string db = ScratchName(ctx.clock.WallNow());
  // Closed to connections until marked: a kill between the two leaves a database the sweep
  // can tell from any in use (pg_restore.h DropOrphanPgDatabases).
  auto created = pg.Sql("postgres", "CREATE DATABASE " + db + " ALLOW_CONNECTIONS false");
  if (!created.ok()) return AttemptResult::Failure(created.status().message());
  auto marked = pg.Sql("postgres", "COMMENT ON DATABASE " + db + " IS " +
                                       PgLiteral(InProgressMarker(ctx.run_id)) +
                                       "; ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
  if (!marked.ok()) {
    (void)pg.Drop(db);
    return AttemptResult::Failure(marked.status().message());
  }
  auto role = MakeRestoreRole(admin.value().get(), pg, db);
  if (!role.ok()) {
    (void)pg.Drop(db);
    return AttemptResult::Failure("creating the role the archive runs as: " +
                                  role.status().message());
  }
  ScratchFindings found;
  Status s = CheckInScratch(pg, role.value(), source, db, found.rows, found.problems);
  auto dropped = pg.Drop(db);
  if (dropped.ok()) dropped = pg.Sql("postgres", "DROP ROLE IF EXISTS " + PgIdent(db));
  if (!s.ok()) return AttemptResult::Failure(s.message());
  if (!dropped.ok()) ctx.log("warning: could not drop " + db + ": " + dropped.status().message());
  found.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return ServerCheckResult(ctx, "postgres", source, sha256, meta, std::move(found));
}

}  // namespace runbook
