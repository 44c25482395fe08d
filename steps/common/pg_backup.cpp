#include "steps/common/pg_backup.h"

#include <charconv>
#include <filesystem>
#include <memory>
#include <sstream>

#include "engine/util/crypto.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"
#include "steps/common/dump_publish.h"
#include "steps/common/files.h"
#include "steps/common/pg_check.h"
#include "steps/common/pg_conn.h"
#include "steps/common/safe_path.h"
#include "steps/common/scratch.h"
#include "steps/common/stop.h"

namespace runbook {
namespace {

// What the backup learned from the server inside its snapshot.
struct Snapshot {
  std::string id;          // pg_export_snapshot()
  std::string created_at;  // the transaction's start, UTC RFC 3339 with milliseconds
  std::string server_version;
  std::string source;  // "postgres://HOST:PORT/DB": retention's identity of the database
  std::string dbname;
  Value::Map rows;  // "schema.table" -> count, exact (counted in the snapshot)
};

// As OpenSnapshot names it.
std::string SourceName(PGconn* conn, const std::string& dbname) {
  std::string host = PQhost(conn) ? PQhost(conn) : "", port = PQport(conn) ? PQport(conn) : "";
  return "postgres://" + host + ":" + port + "/" + dbname;
}

Result<Snapshot> OpenSnapshot(PGconn* conn) {
  auto begun = PgQuery(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  if (!begun.ok()) return begun.status();
  auto info = PgQuery(conn,
                      "SELECT pg_export_snapshot(), to_char(now() AT TIME ZONE 'UTC', "
                      "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), current_setting('server_version'), "
                      "current_database()");
  if (!info.ok()) return Status::Error("exporting a snapshot: " + info.status().message());
  const std::vector<std::string>& row = info.value().at(0);
  Snapshot s{row[0], row[1], row[2], "", row[3], {}};
  s.source = SourceName(conn, s.dbname);
  auto counted = PgQuery(conn, kPostgresCountRows);
  if (!counted.ok()) return Status::Error("counting rows: " + counted.status().message());
  for (const auto& r : counted.value()) {
    const std::string& line = r.at(0);
    size_t eq = line.rfind('=');
    int64_t n = 0;
    auto [end, ec] = std::from_chars(line.data() + eq + 1, line.data() + line.size(), n);
    if (eq == std::string::npos || ec != std::errc() || end != line.data() + line.size())
      return Status::Error("counting rows: the server said '" + line + "', not table=count");
    s.rows[line.substr(0, eq)] = Value(n);
  }
  return s;
}

Value::Map MetaFor(const std::string& path, uint64_t size, const std::string& sha256,
                   const Snapshot& snap, const std::string& dump_version,
                   const std::string& instance, const std::string& run_id) {
  return {
      {"format", Value(kBackupFormat)},
      {"engine", Value("postgres")},
      {"dump_format", Value("pg_dump custom")},
      {"file", Value(BaseName(path))},
      {"size", Value(static_cast<int64_t>(size))},
      {"sha256", Value(sha256)},
      {"created_at", Value(snap.created_at)},
      {"source", Value(snap.source)},
      {"instance", Value(instance)},
      {"server_version", Value(snap.server_version)},
      {"dump_tool", Value(dump_version)},
      {"tables", Value(snap.rows)},
      {"row_counts", Value("exact")},  // counted in the dump's own snapshot
      {"engine_version", Value(RUNBOOK_VERSION)},
      {"run_id", Value(run_id)},
  };
}

}  // namespace

Result<std::string> PostgresSource(const StepParams& p) {
  auto conn = PgConnect(p.Str("database"), p.Opt("password"));
  if (!conn.ok()) return conn.status();
  auto db = PgQuery(conn.value().get(), "SELECT current_database()");
  if (!db.ok()) return db.status();
  return SourceName(conn.value().get(), db.value().at(0).at(0));
}

AttemptResult PostgresBackup(StepContext& ctx) {
  const StepParams& p = ctx.params;
  std::string dest = p.Str("dest");
  const Value* password = p.Opt("password");
  const Value* bin = p.Opt("bin_dir");
  std::string bin_dir = bin ? bin->ToText() : std::string();
  const std::string& suffix = DumpSuffix("postgres");
  auto made = MakeFolders(dest);
  if (!made.ok()) return AttemptResult::Failure(made.status().message());
  NoteCreated(made.value(), ctx.log);
  const Value* name = p.Opt("name");
  if (name) {
    Status named = CheckFileName("name", name->ToText());
    if (!named.ok()) return AttemptResult::Failure(named.message());
  }
  for (const std::string& line : RecoverDumps(dest)) ctx.log(line);
  if (Status s = NoPasswordIn(p.Str("database")); !s.ok())
    return AttemptResult::Failure(s.message());
  auto conn = PgConnect(p.Str("database"), password);
  if (!conn.ok()) return AttemptResult::Failure(conn.status().message());
  auto snap = OpenSnapshot(conn.value().get());
  if (!snap.ok()) return AttemptResult::Failure(snap.status().message());
  Clock::Wall now = ctx.clock.WallNow();
  std::string stem = name ? name->ToText() : TimestampedStem(snap.value().dbname, now);
  Status named = CheckFileName("name", stem);  // a database name may hold a '/'
  if (!named.ok()) return AttemptResult::Failure(named.message());
  std::string path = dest + "/" + (name ? stem : FreeStem(dest, stem, suffix)) + suffix;
  if (name && DumpTaken(path))
    return AttemptResult::Failure(path + " already exists; a backup never overwrites one");
  ScratchFiles temps;
  std::string tmp = temps.Add(ScratchBeside(path));
  // Made first, 0600: pg_dump truncates and fills it, keeping the mode (it would make a new
  // file with the umask's, readable by all, and a dump holds every row).
  if (Status s = WriteNewFile(tmp, "", 0600); !s.ok()) return AttemptResult::Failure(s.message());
  int64_t level = std::min<int64_t>(p.Int("level"), 9);  // pg_dump's zlib: 0-9
  ProcessResult dumped =
      RunPgProgram(ctx,
                   {PostgresProgram("pg_dump", bin_dir, ctx.env), "--format=custom",
                    "--compress=" + std::to_string(level), "--snapshot=" + snap.value().id,
                    // A DDL statement queued behind this backup's snapshot would queue pg_dump's
                    // locks behind it, and the snapshot waits for pg_dump: a wait PostgreSQL cannot
                    // see (breakKK KK2), with the table's every query queued meanwhile. pg_dump
                    // gives up after 10 s instead (the step's retry tries again).
                    "--lock-wait-timeout=10s", "--no-password", "--file=" + tmp,
                    "--dbname=" + p.Str("database")},
                   password);
  (void)PgQuery(conn.value().get(), "COMMIT");  // the snapshot is no longer needed
  conn.value().reset();
  if (auto stopped = StoppedResult(ctx)) return *stopped;
  if (!dumped.exited_ok())
    return AttemptResult::Failure("pg_dump: " + dumped.Describe() + ": " +
                                  LastLines(dumped.err.text, 1));
  ProcessResult version =
      RunPgProgram(ctx, {PostgresProgram("pg_dump", bin_dir, ctx.env), "--version"}, nullptr);
  auto sha = Sha256File(tmp);
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(tmp, ec);
  if (!sha.ok() || ec) return AttemptResult::Failure("reading the dump " + tmp + " failed");
  const Value* key = p.Opt("sign_key");
  auto meta_for = [&](const std::string& at) -> Result<Value::Map> {
    Value::Map m = MetaFor(at, size, sha.value(), snap.value(), LastLines(version.out.text, 1),
                           InstanceOf(p), ctx.run_id);
    Status s = key ? SignMeta(m, key->ToText()) : Status::Ok();
    if (!s.ok()) return Status::Error("sign_key: " + s.message());
    return m;
  };
  auto published = PublishDump(tmp, path, name ? std::string() : stem, suffix, meta_for, temps);
  if (!published.ok()) return AttemptResult::Failure(published.status().message());
  const Value::Map& meta = published.value();
  ctx.log("wrote " + path + " (" + std::to_string(size) + " bytes, sha256 " + sha.value() + ", " +
          CountOf(static_cast<int64_t>(snap.value().rows.size()), "table") +
          " counted in its snapshot)");
  return PublishedBackup(
      path, meta, RetainDumps(p, dest, {snap.value().source, InstanceOf(p)}, path, now, ctx));
}

}  // namespace runbook
