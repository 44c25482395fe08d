#include "steps/common/pg_restore.h"

#include <charconv>
#include <regex>
#include <sstream>
#include <thread>

#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/pg_check.h"
#include "steps/common/pg_conn.h"
#include "steps/common/server_restore.h"
#include "steps/common/stop.h"

namespace runbook {
namespace {

constexpr size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1

// One restore: the server (a connection to its `postgres` database), the live database's
// name, the new database's.
struct PgRestore {
  StepContext& ctx;
  std::string database;  // as given: names the live database
  const Value* password;
  std::string bin_dir;
  std::string live;
  RestoreNames names;
  PgConn admin;

  ProcessResult Run(std::vector<std::string> argv) const {
    return RunPgProgram(ctx, std::move(argv), password);
  }

  Result<std::vector<std::vector<std::string>>> Sql(const std::string& sql) const {
    return PgQuery(admin.get(), sql);
  }

  // The other sessions on the live database (the backend still running), by application.
  Result<std::vector<std::string>> SessionsOnLive() const {
    auto rows =
        Sql("SELECT coalesce(nullif(application_name, ''), 'pid ' || pid) FROM "
            "pg_stat_activity WHERE datname = " +
            PgLiteral(live) +
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'");  // not
    // autovacuum: the rename ends its workers itself (breakOO OO12)
    if (!rows.ok()) return rows.status();
    std::vector<std::string> out;
    for (const auto& r : rows.value()) out.push_back(r.at(0));
    return out;
  }

  void DropOrphans() const { DropOrphanPgDatabases(admin.get(), ctx.log); }

  // Drops a database of ours whatever ended the attempt: its own 60 s, no cancel (breakKK
  // KK3). WITH (FORCE) ends a pg_restore still connected to it.
  Status Drop(const std::string& db) const {
    auto r = Sql("DROP DATABASE IF EXISTS " + PgIdent(db) + " WITH (FORCE)");
    return r.ok() ? Status::Ok() : r.status();
  }

  // CREATE DATABASE for the new one: the live database's owner, encoding and locale when it
  // exists (pg_dump's archive restores what is inside a database, not these).
  Status Create() const {
    std::string sql = "CREATE DATABASE " + PgIdent(names.fresh) + " TEMPLATE template0";
    auto props =
        Sql("SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype, "
            "datlocprovider, coalesce(daticulocale, '') FROM pg_database WHERE datname = " +
            PgLiteral(live));
    if (!props.ok()) return props.status();
    if (!props.value().empty()) {
      const auto& p = props.value().front();
      sql += " OWNER " + PgIdent(p[0]) + " ENCODING " + PgLiteral(p[1]) + " LC_COLLATE " +
             PgLiteral(p[2]) + " LC_CTYPE " + PgLiteral(p[3]);
      if (p[4] == "i") sql += " LOCALE_PROVIDER icu ICU_LOCALE " + PgLiteral(p[5]);
    }
    // Made closed to connections, marked, then opened: between the CREATE and the COMMENT
    // (a kill there leaves it unmarked) it carries a sign no database in use has
    // (DropOrphanPgDatabases).
    auto made = Sql(sql + " ALLOW_CONNECTIONS false");
    if (!made.ok()) return made.status();
    auto marked = Sql("COMMENT ON DATABASE " + PgIdent(names.fresh) + " IS " +
                      PgLiteral(InProgressMarker(ctx.run_id)));
    if (!marked.ok()) return marked.status();
    auto opened = Sql("ALTER DATABASE " + PgIdent(names.fresh) + " ALLOW_CONNECTIONS true");
    return opened.ok() ? Status::Ok() : opened.status();
  }

  // pg_restore into the new database, then its checks. Problems found go to `problems`.
  Status RestoreAndVerify(const std::string& source, const std::optional<LoadedMeta>& meta,
                          std::vector<std::string>& problems) const {
    auto conninfo = PgConnInfoFor(database, names.fresh);
    if (!conninfo.ok()) return conninfo.status();
    std::vector<std::string> argv = {PostgresProgram("pg_restore", bin_dir, ctx.env),
                                     "--exit-on-error", "--no-password"};
    if (int64_t jobs = ctx.params.Int("jobs"); jobs > 1)
      argv.push_back("--jobs=" + std::to_string(jobs));
    if (ctx.params.Bool("no_owner")) {
      argv.push_back("--no-owner");
      argv.push_back("--no-privileges");
    }
    argv.push_back("--dbname=" + conninfo.value());
    argv.push_back(source);
    ProcessResult restored = Run(argv);
    if (auto stopped = StopFor(ctx); stopped()) return Status::Error(kStoppedMessage);
    if (!restored.exited_ok()) {
      problems.push_back("pg_restore: " + restored.Describe() + ": " +
                         LastLines(restored.err.text, 1));
      return Status::Ok();
    }
    auto fresh = PgConnect(database, password, names.fresh);
    if (!fresh.ok()) return fresh.status();
    if (Status s = Amcheck(fresh.value().get(), conninfo.value(), problems); !s.ok()) return s;
    auto counted = CountRows(fresh.value().get());
    if (!counted.ok()) return counted.status();
    const Value::Map& rows = counted.value();
    ctx.log(JudgeRestored(names.fresh, meta, rows, problems));
    return Status::Ok();
  }

  // Each table of the database `conn` is connected to, and its rows.
  static Result<Value::Map> CountRows(PGconn* conn) {
    auto counted = PgQuery(conn, kPostgresCountRows);
    if (!counted.ok()) return Status::Error("counting rows: " + counted.status().message());
    Value::Map rows;
    for (const auto& r : counted.value()) {
      const std::string& line = r.at(0);
      size_t eq = line.rfind('=');
      int64_t n = 0;
      auto [end, ec] = std::from_chars(line.data() + (eq == std::string::npos ? 0 : eq + 1),
                                       line.data() + line.size(), n);
      if (eq == std::string::npos || ec != std::errc() || end != line.data() + line.size())
        return Status::Error("counting rows: the server said '" + line + "', not table=count");
      rows[line.substr(0, eq)] = Value(n);
    }
    return rows;
  }

  // pg_amcheck on the new database. amcheck is installed for it in a schema of its own and
  // removed after, unless the dump brought it (then it is the application's and stays).
  Status Amcheck(PGconn* fresh, const std::string& conninfo,
                 std::vector<std::string>& problems) const {
    auto had = PgQuery(fresh, "SELECT 1 FROM pg_extension WHERE extname = 'amcheck'");
    if (!had.ok()) return had.status();
    bool ours = had.value().empty();
    if (ours) {
      auto made = PgQuery(fresh,
                          "CREATE SCHEMA runbook_amcheck; CREATE EXTENSION amcheck "
                          "SCHEMA runbook_amcheck");
      if (!made.ok() && made.status().message().find("permission denied") != std::string::npos) {
        // amcheck is no trusted extension (breakOO OO11: no_owner's role could never restore)
        ctx.log(
            "warning: pg_amcheck not run: this role cannot install amcheck (a superuser "
            "can, once: CREATE EXTENSION amcheck in template1); the rows are still counted "
            "against the manifest");
        return Status::Ok();
      }
      if (!made.ok()) return Status::Error("installing amcheck: " + made.status().message());
    }
    ProcessResult checked =
        Run({PostgresProgram("pg_amcheck", bin_dir, ctx.env), "--heapallindexed",
             "--no-dependent-indexes", "--no-password", conninfo});
    if (!checked.exited_ok()) {
      std::istringstream lines(checked.out.text + checked.err.text);
      for (std::string line; std::getline(lines, line) && problems.size() < 20;)
        if (!line.empty()) problems.push_back(line);
      if (problems.empty()) problems.push_back("pg_amcheck: " + checked.Describe());
    }
    if (ours) {
      auto dropped = PgQuery(fresh, "DROP EXTENSION amcheck; DROP SCHEMA runbook_amcheck");
      if (!dropped.ok()) return Status::Error("removing amcheck: " + dropped.status().message());
    }
    return Status::Ok();
  }

  // The switch: one transaction renames the live database to the kept name and the new one
  // to the live name, and marks it with the dump it holds.
  Status SwitchByRename(bool live_exists, const std::string& sha256) const {
    std::string sql = "BEGIN; ";
    if (live_exists)
      sql += "ALTER DATABASE " + PgIdent(live) + " RENAME TO " + PgIdent(names.kept) +
             "; COMMENT ON DATABASE " + PgIdent(names.kept) + " IS " +
             PgLiteral("runbook: kept by a restore at " + FormatUtc(ctx.clock.WallNow())) + "; ";
    sql += "ALTER DATABASE " + PgIdent(names.fresh) + " RENAME TO " + PgIdent(live) +
           "; COMMENT ON DATABASE " + PgIdent(live) + " IS " +
           PgLiteral(RestoredMarker(sha256, ctx.run_id)) + "; COMMIT";
    auto r = Sql(sql);
    if (r.ok()) return Status::Ok();
    (void)Sql("ROLLBACK");
    return r.status();
  }

  Result<bool> Exists(const std::string& db) const {
    auto rows = Sql("SELECT 1 FROM pg_database WHERE datname = " + PgLiteral(db));
    if (!rows.ok()) return rows.status();
    return !rows.value().empty();
  }

  // Whether the live database holds this very dump: its comment says this run (or one it
  // resumes) restored it (breakQQ QQ8), and its tables and rows are still the manifest's
  // (breakOO OO4: the comment alone made a restore after new data loss do nothing).
  bool LiveHolds(const CheckedSource& source) const {
    auto rows =
        Sql("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE "
            "datname = " +
            PgLiteral(live));
    if (!rows.ok() || rows.value().empty() ||
        !RestoredByThisRun(rows.value()[0][0], source.sha256, ctx.run_id, ctx.continues))
      return false;
    auto conn = PgConnect(database, password, live);
    if (!conn.ok()) return false;
    auto live_rows = CountRows(conn.value().get());
    return live_rows.ok() && source.meta && AgainstManifest(source.meta, live_rows.value()).empty();
  }

  std::string Target() const {
    return "postgres://" + std::string(PQhost(admin.get()) ? PQhost(admin.get()) : "") + ":" +
           std::string(PQport(admin.get()) ? PQport(admin.get()) : "") + "/" + live;
  }

  // DATABASE_URL for the env file: postgresql://USER@HOST:PORT/DB, the host percent-encoded
  // (a socket folder is a path).
  std::string Url(const std::string& db) const {
    auto enc = [](const std::string& s) {
      std::string out;
      for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
          out += static_cast<char>(c);
        } else {
          char buf[4];
          std::snprintf(buf, sizeof buf, "%%%02X", c);
          out += buf;
        }
      }
      return out;
    };
    std::string user = PQuser(admin.get()) ? PQuser(admin.get()) : "";
    std::string host = PQhost(admin.get()) ? PQhost(admin.get()) : "";
    std::string port = PQport(admin.get()) ? PQport(admin.get()) : "";
    return "postgresql://" + (user.empty() ? "" : enc(user) + "@") + enc(host) +
           (port.empty() ? "" : ":" + port) + "/" + enc(db);
  }
};

}  // namespace

namespace {

// Whether `name` is runbook's (RunbookNameMade) and made more than an hour ago.
bool StampOverAnHourAgo(const std::string& name) {
  auto made = RunbookNameMade(name);
  return made && std::chrono::system_clock::now() - *made > std::chrono::hours(1);
}

// Integrity-check's scratch names before they held a stamp: `runbook_check_<8 hex>`.
bool OlderCheckName(const std::string& name) {
  static const std::regex kOld("^runbook_check_[0-9a-f]{8}$");
  return std::regex_match(name, kOld);
}

}  // namespace

void DropOrphanPgDatabases(PGconn* admin, const std::function<void(std::string_view)>& log) {
  auto rows = PgQuery(admin,
                      "SELECT datname, coalesce(shobj_description(oid, 'pg_database'), ''), "
                      "datallowconn::text FROM pg_database");
  if (!rows.ok()) return;
  for (const auto& r : rows.value()) {
    // Unmarked: only with all three signs of a kill between runbook's CREATE and COMMENT (a
    // name of runbook's form alone was once enough: a user's database so named, or a live one
    // whose comment a migration lost, would have gone: breakQQ QQ10).
    bool unmarked = r.at(1).empty() && r.at(2) == "false" && StampOverAnHourAgo(r.at(0));
    bool ours = RunbookNameMade(r.at(0)).has_value() || OlderCheckName(r.at(0));
    if (!(ours && IsOrphanMarker(r.at(1))) && !unmarked) continue;
    if (PgQuery(admin, "DROP DATABASE IF EXISTS " + PgIdent(r.at(0)) + " WITH (FORCE)").ok())
      log("dropped database " + r.at(0) +
          (unmarked ? ", unmarked, made over an hour ago by a "
                      "run killed while the server made it"
                    : ", left by a killed run"));
  }
  // The roles integrity-check's archives run as (pg_check.cpp), made and marked in one
  // transaction: a killed check's goes once its database has.
  auto roles = PgQuery(admin,
                       "SELECT rolname, coalesce(shobj_description(oid, 'pg_authid'), '') FROM "
                       "pg_roles WHERE rolname LIKE 'runbook\\_check\\_%'");
  if (!roles.ok()) return;
  for (const auto& r : roles.value())
    if (IsOrphanMarker(r.at(1)) && PgQuery(admin, "DROP ROLE IF EXISTS " + PgIdent(r.at(0))).ok())
      log("dropped role " + r.at(0) + ", left by a killed run");
}

namespace {

AttemptResult Refused(const std::string& live, const std::string& why) {
  return AttemptResult::Failure("restore into database " + live + " refused, " + live +
                                " untouched: " + why);
}

}  // namespace

AttemptResult PostgresRestore(StepContext& ctx) {
  const StepParams& p = ctx.params;
  std::string database = p.Str("database");
  if (Status s = NoPasswordIn(database); !s.ok()) return AttemptResult::Failure(s.message());
  auto live = PgDatabaseName(database);
  if (!live.ok()) return AttemptResult::Failure(live.status().message());
  if (live.value().empty())
    return AttemptResult::Failure(
        "database: name the live database (dbname=... or the URL's "
        "path); restore never guesses which one it replaces");
  CheckedSource source;
  if (std::string why = CheckServerSource(ctx, source); !why.empty())
    return Refused(live.value(), why);
  if (std::string why = SourceMismatch(source, live.value(), p); !why.empty())
    return Refused(live.value(), why);
  ctx.log(source.verified_by.empty()
              ? "restoring an unverified dump (force: true)"
              : "dump verified by step '" + source.verified_by + "'" +
                    (source.authenticated ? "; its metadata's signature is valid" : ""));
  const Value* bin = p.Opt("bin_dir");
  auto admin = PgConnect(database, p.Opt("password"), "postgres");
  if (!admin.ok()) return Refused(live.value(), admin.status().message());
  PgRestore pg{ctx,
               database,
               p.Opt("password"),
               bin ? bin->ToText() : std::string(),
               live.value(),
               NamesFor(live.value(), ctx.clock.WallNow(), kMaxIdentifier),
               std::move(admin.value())};
  auto names = FreeNames(live.value(), ctx.clock.WallNow(), kMaxIdentifier,
                         [&](const std::string& name) { return pg.Exists(name); });
  if (!names.ok()) return Refused(live.value(), names.status().message());
  pg.names = names.value();
  bool by_rename = p.Str("switch") == "rename";
  const std::string final_db = by_rename ? live.value() : pg.names.fresh;
  if (std::string why = EnvValuesProblem(p, pg.Url(final_db), final_db); !why.empty())
    return Refused(live.value(), why);
  if (by_rename && pg.LiveHolds(source)) {
    pg.DropOrphans();
    ctx.log(live.value() +
            " already holds this dump (restored before, or a restore stopped "
            "after its switch): nothing replaced");
    auto env = WriteServerEnvFile(p, pg.Url(live.value()), live.value());
    if (!env.ok()) return AttemptResult::Failure("writing env_file: " + env.status().message());
    return ServerRestored(pg.Target(), live.value(), "", source, env.value());
  }
  if (by_rename) {
    auto sessions = pg.SessionsOnLive();
    if (!sessions.ok()) return Refused(live.value(), sessions.status().message());
    if (!sessions.value().empty())
      return Refused(live.value(), "it is in use (" + Join(sessions.value(), ", ") +
                                       "): stop what uses it first (an exec or service step "
                                       "before this one), or use switch: env");
  }
  pg.DropOrphans();
  auto live_exists = pg.Exists(live.value());
  if (!live_exists.ok()) return Refused(live.value(), live_exists.status().message());
  if (Status s = pg.Create(); !s.ok())
    return Refused(live.value(), "creating " + pg.names.fresh + ": " + s.message());
  std::vector<std::string> problems;
  Status s = pg.RestoreAndVerify(source.path, source.meta, problems);
  if (s.ok() && problems.empty() && by_rename)
    s = pg.SwitchByRename(live_exists.value(), source.sha256);
  if (s.ok() && problems.empty() && !by_rename) {
    auto marked = pg.Sql("COMMENT ON DATABASE " + PgIdent(pg.names.fresh) + " IS " +
                         PgLiteral(RestoredMarker(source.sha256, ctx.run_id)));
    if (!marked.ok()) s = marked.status();
  }
  if (!s.ok() || !problems.empty()) {
    Status dropped = pg.Drop(pg.names.fresh);
    if (!dropped.ok())
      ctx.log("warning: could not drop " + pg.names.fresh + ": " + dropped.message());
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    return Refused(live.value(),
                   (s.ok() ? problems.front() : s.message()) + "; " + pg.names.fresh + " dropped");
  }
  std::string now_live = by_rename ? live.value() : pg.names.fresh;
  std::string previous = by_rename ? (live_exists.value() ? pg.names.kept : "") : live.value();
  ctx.log(by_rename ? "switched: " + live.value() + " is the restored database" +
                          (previous.empty() ? "" : "; the one it replaced is kept as " + previous)
                    : "restored as " + now_live + "; " + live.value() +
                          " is unchanged: the env file points the backend at the new one");
  auto env = WriteServerEnvFile(p, pg.Url(now_live), now_live);
  if (!env.ok())
    return AttemptResult::Failure("restored " + now_live +
                                  ", but writing env_file failed: " + env.status().message());
  return ServerRestored(pg.Target(), now_live, previous, source, env.value());
}

}  // namespace runbook
