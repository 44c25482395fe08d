// backup: a consistent snapshot of a live SQLite database streamed into gzip members
// compressed on every core (steps/common/snapshot_stream.h: the backend may keep writing),
// sha256 of both forms, and a
// signed <dump>.meta.json. Nothing appears under the final names unless all of it worked;
// the metadata's rename is the commit point, and a killed backup's leftovers are rolled
// back by the next one (docs/backup.md, "Crash protocol").
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "engine/plugin/registry.h"
#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/proc_identity.h"
#include "engine/util/sqlite.h"
#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"
#include "steps/common/dump_publish.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/mysql_backup.h"
#include "steps/common/pg_backup.h"
#include "steps/common/progress.h"
#include "steps/common/retention.h"
#include "steps/common/safe_path.h"
#include "steps/common/scratch.h"
#include "steps/common/snapshot_stream.h"
#include "steps/common/spec_builder.h"
#include "steps/common/sqlite_info.h"

namespace runbook {
namespace {

const std::string& kSuffix = DumpSuffix("sqlite");

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "backup";
  s.summary =
      "consistent snapshot of a live SQLite or PostgreSQL database, compressed, sha256, signed "
      ".meta.json with a manifest";
  s.description =
      "Reads a consistent snapshot of the database (one read transaction on a checkpointed "
      "file; the backend keeps writing) and compresses it as it reads, on every core, into "
      "`<dest>/<name>.sqlite.gz` as deterministic gzip members: no copy of the database is "
      "written (SQLite's online backup API into a scratch copy only when a reader of older "
      "pages keeps the WAL from being checkpointed). "
      "Writes `<name>.sqlite.gz.meta.json` with sizes, sha256 of the dump and of the raw "
      "database, tables with row counts, and an Ed25519 signature when `sign_key` is set. "
      "Scratch names, fsync and rename, the .meta.json last (the commit point): a failed "
      "backup leaves nothing under the final names, and the next backup into the folder "
      "rolls back what a killed one left (docs/backup.md). Then applies retention "
      "(keep_last, keep_days) to earlier dumps of the same database. "
      "With `engine: postgres`: one REPEATABLE READ transaction exports its snapshot, counts "
      "every base table's rows in it (the manifest, exact), and `pg_dump --snapshot` writes "
      "that same snapshot in the custom format to `<dest>/<name>.pgdump` (compressed by "
      "pg_dump; restore it with pg_restore, jobs in parallel); `created_at` is the "
      "transaction's start; the same metadata, publish and retention. With `engine: mysql`: "
      "mariadb-dump (or mysqldump) --single-transaction (one consistent snapshot of InnoDB "
      "tables) streams into `<dest>/<name>.sql.gz` through the same parallel gzip, and the "
      "manifest is the rows in the dump, counted as it passes.";
  s.params = {
      Param("engine", ParamType::kString,
            "sqlite: the database file streamed into gzip; postgres: pg_dump's "
            "custom format of one exported snapshot, its manifest counted in that snapshot; "
            "mysql: mariadb-dump --single-transaction streamed into gzip, its rows counted as it "
            "passes")
          .Default(Value("sqlite"))
          .Enum({"sqlite", "postgres", "mysql"}),
      Param("database", ParamType::kString,
            "sqlite: path of the live database; postgres: a libpq connection string or URL "
            "naming the database ('host=/run/postgresql dbname=shop user=backup', "
            "'postgresql://backup@db:5432/shop'); libpq's PG* variables fill what it leaves out; "
            "mysql: a URL mysql://USER@HOST:PORT/DBNAME, or mysql://USER@localhost/DBNAME"
            "?socket=PATH")
          .Required(),
      Param("password", ParamType::kString,
            "postgres, mysql: the password (give a declared secret); never on a command line: "
            "to libpq and pg_dump through their environment, to the MySQL dump tool in a 0600 "
            "option file removed after (default: the client's own sources, ~/.pgpass, "
            "~/.my.cnf)"),
      Param("bin_dir", ParamType::kString,
            "postgres: folder of pg_dump (default: PATH, then the newest "
            "/usr/lib/postgresql/*/bin); mysql: of mariadb-dump or mysqldump (default: PATH)"),
      Param("events", ParamType::kBoolean,
            "mysql: dump the database's events (--events); false leaves them out "
            "(--skip-events), so that `restore` can replay the dump on a live server, whose "
            "scheduler would run an event as soon as it is made (make events after); recorded "
            "in the metadata as `events` (default: true)"),
      Param("dest", ParamType::kString, "folder for the dump (created with mode 0700 when missing)")
          .Path(PathRole::kWritesIn)  // breakY Y2: its dumps, and retention deletes there
          .NamesIn({"*.sqlite.gz", "*.sqlite.gz.meta.json"})
          .Required(),
      Param("name", ParamType::kString,
            "file stem, one file name (no '/', not '.' or '..', no control characters); "
            "default the database's stem plus a UTC timestamp"),
      Param("sign_key", ParamType::kString,
            "Ed25519 private key: a PEM file's path, or the PEM text (e.g. a secret)"),
      Param("instance", ParamType::kString,
            "which instance of the database this is, recorded in the metadata; retention "
            "counts only dumps of the same path and instance (default: this host's name; set "
            "one value where the host name changes each run, as a CronJob's pods)"),
      Param("keep_last", ParamType::kInteger, "keep only this many dumps of this database")
          .Min(1)
          .Max(kMaxKeepLast),
      Param("keep_days", ParamType::kInteger, "delete dumps of this database older than this")
          .Min(1)
          .Max(kMaxKeepDays),
      Param("keep", ParamType::kMap,
            "grandfather-father-son retention, as restic's --keep-*: {last: N, daily: N, "
            "weekly: N, monthly: N} keeps the newest N dumps and the newest of each of the "
            "newest N days, ISO weeks and months (UTC) that have one; not with keep_last or "
            "keep_days. With any retention the newest dump a drill verified (an integrity "
            "check recorded in the audit store) is kept, and with keep the newest verified of "
            "what each tier spans (docs/backups.md)"),
      Param("level", ParamType::kInteger,
            "compression level (libdeflate 1-12; postgres: pg_dump's zlib, at most 9)")
          .Default(Value(6))
          .Min(1)
          .Max(12),
      Param("busy_timeout", ParamType::kDuration,
            "how long to wait for a writer that keeps the database locked")
          .Default(Value("30s"))
          .DurationRange("1ms", "24h"),  // SQLite takes it as an int of milliseconds
  };
  s.outputs = {
      WithRole(KeptForRun(
                   Output("path", ParamType::kString, "the dump (.sqlite.gz, .pgdump or .sql.gz)")),
               OutputRole::kDumpPath),
      Output("meta", ParamType::kString, "its metadata (.meta.json)"),
      WithRole(Output("sha256", ParamType::kString, "sha256 of the dump"), OutputRole::kDumpSha256),
      WithRole(Output("size", ParamType::kInteger, "bytes of the dump"), OutputRole::kDumpSize),
      WithRole(Output("created_at", ParamType::kString, "when the snapshot was taken (RFC 3339)"),
               OutputRole::kDumpCreatedAt),
      Output("raw_sha256", ParamType::kString, "sha256 of the uncompressed database"),
      Output("key_id", ParamType::kString,
             "id of the Ed25519 key that signed the metadata (\"\" when unsigned)"),
      Output("deleted", ParamType::kStringList, "older dumps removed by retention"),
  };
  s.side_effects = SideEffects::kWrite;
  s.idempotent = true;             // another run makes another dump; nothing is overwritten
  s.looks_without = {"password"};  // the retention a dry run lists needs no password
  return s;
}

// The default stem: the database file's stem (up to its first dot) and the time.
std::string Stem(const std::string& database, const Clock::Wall& at) {
  std::string base = BaseName(database);
  size_t dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return TimestampedStem(base, at);
}

std::string AbsoluteDatabase(const std::string& database) {
  return std::filesystem::absolute(database).lexically_normal().string();
}

Value::Map MetaFor(const std::string& gz, const GzipResult& z, const DatabaseInfo& info,
                   const std::string& database, const std::string& instance,
                   const std::string& created_at, const std::string& run_id) {
  return {
      {"format", Value(kBackupFormat)},
      {"file", Value(BaseName(gz))},
      {"size", Value(static_cast<int64_t>(z.out_bytes))},
      {"sha256", Value(z.out_sha256)},
      {"raw_size", Value(static_cast<int64_t>(z.in_bytes))},
      {"raw_sha256", Value(z.in_sha256)},
      {"created_at", Value(created_at)},
      {"source", Value(AbsoluteDatabase(database))},
      {"instance", Value(instance)},
      {"sqlite_version", Value(info.sqlite_version)},
      {"page_size", Value(info.page_size)},
      {"page_count", Value(info.page_count)},
      {"tables", Value(info.tables)},
      {"engine_version", Value(RUNBOOK_VERSION)},
      {"run_id", Value(run_id)},  // retention keeps what its own run made (breakCC C17)
  };
}

class Backup final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  // A literal `name` is checked at load; one from an expression when the step runs.
  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* engine = with.Find("engine");
    // (busy_timeout, sqlite's, has a default: a postgres backup ignores it.)
    if (!engine || engine->value) {  // the engine is known: sqlite by default, or a literal
      bool server = engine && engine->value->ToText() != "sqlite";
      for (const char* key : {"password", "bin_dir"})
        if (const ConfigParam* c = with.Find(key); c && !server)
          report.Error(c->loc, std::string(key) + " applies to engine: postgres or mysql only");
      if (const ConfigParam* c = with.Find("events");
          c && !(engine && engine->value->ToText() == "mysql"))
        report.Error(c->loc, "events applies to engine: mysql only");
    }
    if (const ConfigParam* keep = with.Find("keep")) {
      if (with.Find("keep_last") || with.Find("keep_days"))
        report.Error(keep->loc,
                     "keep (tiers) goes without keep_last and keep_days: give the "
                     "newest count as keep.last");
      if (keep->value)
        if (auto tiers = ParseKeepTiers(*keep->value); !tiers.ok())
          report.Error(keep->loc, tiers.status().message());
    }
    const ConfigParam* name = with.Find("name");
    if (!name || !name->value) return;
    Status s = CheckFileName("name", name->value->ToText());
    if (!s.ok()) report.Error(name->loc, s.message());
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    std::string engine = p.Str("engine");
    return {(engine == "postgres" ? "pg_dump of one snapshot of "
             : engine == "mysql"  ? "mariadb-dump --single-transaction of "
                                  : "snapshot ") +
            p.Str("database") + " into " + p.Str("dest") + "/<name>" + DumpSuffix(engine) +
            " with its .meta.json" + (p.Opt("sign_key") ? ", signed" : std::string())};
  }

  // The dry run says what retention would keep and delete, and why. A postgres dump's
  // database is named by the server: the dry run connects to ask it (and reads nothing else).
  DryLook DryRun(StepContext& ctx) const override {
    const StepParams& p = ctx.params;
    for (const std::string& line : Describe(p)) ctx.log(line);
    std::string engine = p.Str("engine");
    std::string source = engine == "sqlite" ? AbsoluteDatabase(p.Str("database")) : "";
    const bool retains = p.Opt("keep") || p.Opt("keep_last") || p.Opt("keep_days");
    if (engine == "mysql")
      if (auto target = ParseMysqlTarget(p.Str("database")); target.ok())
        source = target.value().Source();
    const Value* password = p.Opt("password");
    if (engine == "postgres" && retains && password != nullptr && password->has_unknown()) {
      // The server names the dump's database; a dry run does not read the password it needs.
      ctx.log(
          "retention: not listed: the server names the database, and a dry run does not "
          "read the password (a secret) to ask it; the run lists what it removes");
      return {true, {}};
    }
    if (engine == "postgres" && retains) {
      auto named = PostgresSource(p);
      if (!named.ok()) return {true, {"postgres: " + named.status().message()}};
      source = named.value();
    }
    if (source.empty() || !retains) return {true, {}};
    std::error_code ec;
    if (std::filesystem::is_directory(p.Str("dest"), ec))
      DescribeRetention(p, p.Str("dest"), {source, InstanceOf(p)}, ctx.clock.WallNow(), ctx);
    return {true, {}};
  }

  // Phases: recover the folder from killed runs; pick the name; snapshot (one file);
  // gzip; metadata (signed); publish (the metadata's rename commits); retention.
  AttemptResult Run(StepContext& ctx) const override {
    if (ctx.params.Str("engine") == "postgres") return PostgresBackup(ctx);
    if (ctx.params.Str("engine") == "mysql") return MysqlBackup(ctx);
    const StepParams& p = ctx.params;
    std::string database = p.Str("database"), dest = p.Str("dest");
    auto made = MakeFolders(dest);
    if (!made.ok()) return AttemptResult::Failure(made.status().message());
    NoteCreated(made.value(), ctx.log);
    Clock::Wall now = ctx.clock.WallNow();
    const Value* name = p.Opt("name");  // checked before anything is touched
    Status named = CheckFileName("name", name ? name->ToText() : Stem(database, now));
    if (!named.ok()) return AttemptResult::Failure(named.message());
    for (const std::string& line : RecoverDumps(dest)) ctx.log(line);
    std::string stem = name ? name->ToText() : FreeStem(dest, Stem(database, now), kSuffix);
    std::string gz = dest + "/" + stem + kSuffix;
    bool taken = DumpTaken(gz);
    int timeout_ms = static_cast<int>(p.Duration("busy_timeout").count());
    if (std::string no = NotThere(database, "database"); !no.empty())
      return AttemptResult::Failure("snapshot: " + no);
    ScratchFiles temps;
    std::string gz_tmp = temps.Add(ScratchBeside(gz));
    Result<SnapshotDump> dumped = Status::Error("not run");
    {
      ProgressMeter meter(ctx, "copying the database", FileSizeOf(database));
      dumped = DumpSnapshot(database, gz_tmp, gz, static_cast<int>(p.Int("level")), timeout_ms,
                            meter.ForWork(), ctx.log);
    }
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    if (!dumped.ok()) return AttemptResult::Failure("snapshot: " + dumped.status().message());
    const GzipResult& z = dumped.value().gzip;
    if (taken) {  // a resume: retention still runs
      AttemptResult r = AlreadyThere(gz, z.in_sha256, database, p, ctx);
      if (r.status != AttemptStatus::kSuccess) return r;
      r.outputs["deleted"] =
          RetainDumps(p, dest, {AbsoluteDatabase(database), InstanceOf(p)}, gz, now, ctx);
      return r;
    }
    std::string created_at = FormatUtc(now);
    const Value* key = p.Opt("sign_key");
    auto meta_for = [&](const std::string& at) -> Result<Value::Map> {
      Value::Map m =
          MetaFor(at, z, dumped.value().info, database, InstanceOf(p), created_at, ctx.run_id);
      Status s = key ? SignMeta(m, key->ToText()) : Status::Ok();
      if (!s.ok()) return Status::Error("sign_key: " + s.message());
      return m;
    };
    // A default name another backup took meanwhile is chosen again (breakFF N21: two steps
    // of one run backing up eu/app.db and us/app.db into one folder at once).
    auto published = PublishDump(gz_tmp, gz, name ? std::string() : Stem(database, now), kSuffix,
                                 meta_for, temps);
    if (!published.ok()) return AttemptResult::Failure(published.status().message());
    const Value::Map& meta = published.value();
    ctx.log("wrote " + gz + " (" + std::to_string(z.out_bytes) + " bytes, sha256 " + z.out_sha256 +
            ")");
    return PublishedBackup(
        gz, meta, RetainDumps(p, dest, {meta.at("source").ToText(), InstanceOf(p)}, gz, now, ctx));
  }

 private:
  // A name already taken: the same snapshot of the same database published under it (the
  // resume of a backup killed past its commit point) is this backup, done; so is a dump of
  // the same database that the run this one continues published (its metadata's run_id),
  // whatever the database holds now: the backend wrote on since the kill, and that dump is
  // the step's result (break22a #5: every resume was refused until someone deleted it).
  // Anything else is refused: a backup never overwrites one.
  static AttemptResult AlreadyThere(const std::string& gz, const std::string& raw_sha256,
                                    const std::string& database, const StepParams& p,
                                    StepContext& ctx) {
    bool want_signed = p.Opt("sign_key") != nullptr;
    std::string refused = gz + " already exists; a backup never overwrites one";
    auto meta = LoadMeta(MetaPathFor(gz));
    auto gz_sha = Sha256File(gz);
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(gz, ec);
    if (!meta.ok() || !gz_sha.ok() || ec) return AttemptResult::Failure(refused);
    const Value::Map& m = meta.value();
    auto text = [&](const char* k) { return m.count(k) ? m.at(k).ToText() : std::string(); };
    bool other_instance = m.count("instance") && text("instance") != InstanceOf(p);
    const bool own = text("run_id") != ctx.run_id && ctx.OwnRun(text("run_id"));
    if ((text("raw_sha256") != raw_sha256 && !own) ||
        text("source") != AbsoluteDatabase(database) || other_instance ||
        (want_signed && text("signature").empty()) ||
        !CheckMetaDescribes(m, gz, size, gz_sha.value()).ok())
      return AttemptResult::Failure(refused + " (holding another snapshot)");
    ctx.log(own ? gz + " was published by run " + text("run_id") +
                      ", which this run continues: its snapshot is this step's, nothing written"
                : gz + " already holds this snapshot (same database, same raw sha256): nothing "
                       "written");
    return AttemptResult::Success({{"path", Value(gz)},
                                   {"meta", Value(MetaPathFor(gz))},
                                   {"sha256", Value(gz_sha.value())},
                                   {"size", Value(static_cast<int64_t>(size))},
                                   {"created_at", Value(text("created_at"))},
                                   {"raw_sha256", Value(text("raw_sha256"))},
                                   {"key_id", Value(text("key_id"))},
                                   {"deleted", Value(Value::List{})}});
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Backup>();
});

}  // namespace
}  // namespace runbook
