#include "steps/common/pg_check.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
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

struct Pg {
  StepContext& ctx;
  std::string server;  // libpq connection string without dbname
  std::string bin_dir;

  std::string Bin(const std::string& name) const { return PostgresProgram(name, bin_dir, ctx.env); }

  std::string Conn(const std::string& db) const { return server + " dbname=" + db; }

  ProcessResult Exec(std::vector<std::string> argv) const {
    ProcessRequest req;
    req.argv = std::move(argv);
    req.env = ctx.env;
    req.deadline = ctx.deadline;
    req.grace = ctx.kill_grace;
    req.on_line = [this](bool, std::string_view line) { ctx.output(line); };
    return ctx.processes.Run(req, ctx.cancel);
  }

  // Runs SQL in `db`; returns stdout (unaligned, tuples only) or the failure.
  Result<std::string> Sql(const std::string& db, const std::string& sql) const {
    ProcessResult r = Exec(
        {Bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", Conn(db), "-c", sql});
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

std::string ScratchName() {
  std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "runbook_check_%08llx",
                static_cast<unsigned long long>(rng() >> 32));
  return buf;
}

// Restore, amcheck, count; the caller drops the database whatever happens.
Status CheckInScratch(const Pg& pg, const std::string& source, const std::string& db,
                      Value::Map& rows, std::vector<std::string>& problems) {
  ProcessResult restored = pg.Exec({pg.Bin("pg_restore"), "--exit-on-error", "--no-owner",
                                    "--no-privileges", "-d", pg.Conn(db), source});
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
  auto counted = pg.Sql(db, kPostgresCountRows);
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
  // Scratch databases of checks killed on this host (kill -9, a lost machine's power: breakKK
  // KK3) go first; this one is marked the same way (server_restore.h InProgressMarker).
  if (auto admin = PgConnect(server->ToText(), nullptr, "postgres"); admin.ok())
    DropOrphanPgDatabases(admin.value().get(), ctx.log);
  std::string db = ScratchName();
  auto created = pg.Sql("postgres", "CREATE DATABASE " + db);
  if (!created.ok()) return AttemptResult::Failure(created.status().message());
  auto marked = pg.Sql(
      "postgres", "COMMENT ON DATABASE " + db + " IS " + PgLiteral(InProgressMarker(ctx.run_id)));
  if (!marked.ok()) {
    (void)pg.Drop(db);
    return AttemptResult::Failure(marked.status().message());
  }
  ScratchFindings found;
  Status s = CheckInScratch(pg, source, db, found.rows, found.problems);
  auto dropped = pg.Drop(db);
  if (!s.ok()) return AttemptResult::Failure(s.message());
  if (!dropped.ok()) ctx.log("warning: could not drop " + db + ": " + dropped.status().message());
  found.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return ServerCheckResult(ctx, "postgres", source, sha256, meta, std::move(found));
}

}  // namespace runbook
