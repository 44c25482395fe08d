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
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/progress.h"
#include "steps/common/retention.h"
#include "steps/common/safe_path.h"
#include "steps/common/scratch.h"
#include "steps/common/snapshot_stream.h"
#include "steps/common/spec_builder.h"
#include "steps/common/sqlite_info.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "backup";
  s.summary = "consistent snapshot of a live SQLite database, gzip, sha256, signed .meta.json";
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
      "(keep_last, keep_days) to earlier dumps of the same database.";
  s.params = {
      Param("database", ParamType::kString, "path of the live SQLite database").Required(),
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
      Param("level", ParamType::kInteger, "compression level (libdeflate 1-12)")
          .Default(Value(6))
          .Min(1)
          .Max(12),
      Param("busy_timeout", ParamType::kDuration,
            "how long to wait for a writer that keeps the database locked")
          .Default(Value("30s"))
          .DurationRange("1ms", "24h"),  // SQLite takes it as an int of milliseconds
  };
  s.outputs = {
      KeptForRun(Output("path", ParamType::kString, "the dump (.sqlite.gz)")),
      Output("meta", ParamType::kString, "its metadata (.meta.json)"),
      Output("sha256", ParamType::kString, "sha256 of the dump"),
      Output("size", ParamType::kInteger, "bytes of the dump"),
      Output("created_at", ParamType::kString, "when the snapshot was taken (RFC 3339)"),
      Output("raw_sha256", ParamType::kString, "sha256 of the uncompressed database"),
      Output("key_id", ParamType::kString,
             "id of the Ed25519 key that signed the metadata (\"\" when unsigned)"),
      Output("deleted", ParamType::kStringList, "older dumps removed by retention"),
  };
  s.side_effects = SideEffects::kWrite;
  s.idempotent = true;  // another run makes another dump; nothing is overwritten
  return s;
}

std::string Stem(const std::string& database, const Clock::Wall& at) {
  std::string base = BaseName(database);
  size_t dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  std::string ts = FormatUtc(at);  // 2026-11-27T19:02:03.456Z -> 20261127T190203Z
  std::string compact;
  for (char c : ts.substr(0, 19))
    if (c != '-' && c != ':') compact += c;
  return base + "-" + compact + "Z";
}

// A dump or its metadata is at `gz` already; a path that cannot be examined counts as free
// (what writes there then fails with the reason).
bool Taken(const std::string& gz) {
  std::error_code ec;
  return std::filesystem::exists(gz, ec) || std::filesystem::exists(MetaPathFor(gz), ec);
}

// The default name, made unique: a resume in the same second gets "-2", "-3", ...
std::string FreeStem(const std::string& dest, const std::string& stem) {
  std::string name = stem;
  for (int n = 2; n < 1000; ++n) {
    std::string gz = dest + "/" + name + ".sqlite.gz";
    if (!Taken(gz)) break;
    name = stem + "-" + std::to_string(n);
  }
  return name;
}

std::string AbsoluteDatabase(const std::string& database) {
  return std::filesystem::absolute(database).lexically_normal().string();
}

// Which instance of the database the dumps are of (breakH H14): `instance`, else this host's
// name. Retention counts only the dumps of the same source path and instance.
std::string InstanceOf(const StepParams& p) {
  const Value* v = p.Opt("instance");
  return v ? v->ToText() : HostName();
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

Status Sign(Value::Map& meta, const std::string& key) {
  auto id = KeyId(key);
  if (!id.ok()) return id.status();
  meta["key_id"] = Value(id.value());
  auto sig = Ed25519Sign(key, MetaSigningText(meta));
  if (!sig.ok()) return sig.status();
  meta["signature"] = Value(sig.value());
  return Status::Ok();
}

class Backup final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  // A literal `name` is checked at load; one from an expression when the step runs.
  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* name = with.Find("name");
    if (!name || !name->value) return;
    Status s = CheckFileName("name", name->value->ToText());
    if (!s.ok()) report.Error(name->loc, s.message());
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    return {"snapshot " + p.Str("database") + " into " + p.Str("dest") +
            "/<name>.sqlite.gz with its .meta.json" +
            (p.Opt("sign_key") ? ", signed" : std::string())};
  }

  // Phases: recover the folder from killed runs; pick the name; snapshot (one file);
  // gzip; metadata (signed); publish (the metadata's rename commits); retention.
  AttemptResult Run(StepContext& ctx) const override {
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
    std::string stem = name ? name->ToText() : FreeStem(dest, Stem(database, now));
    std::string gz = dest + "/" + stem + ".sqlite.gz", meta_path = MetaPathFor(gz);
    bool taken = Taken(gz);
    int timeout_ms = static_cast<int>(p.Duration("busy_timeout").count());
    if (std::string no = NotThere(database, "database"); !no.empty())
      return AttemptResult::Failure("snapshot: " + no);
    Temps temps;
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
      r.outputs["deleted"] = Retain(p, dest, AbsoluteDatabase(database), gz, now, ctx);
      return r;
    }
    std::string created_at = FormatUtc(now);
    const Value* key = p.Opt("sign_key");
    auto meta_for = [&](const std::string& at) -> Result<Value::Map> {
      Value::Map m =
          MetaFor(at, z, dumped.value().info, database, InstanceOf(p), created_at, ctx.run_id);
      Status s = key ? Sign(m, key->ToText()) : Status::Ok();
      if (!s.ok()) return Status::Error("sign_key: " + s.message());
      return m;
    };
    // A default name another backup took meanwhile is chosen again (breakFF N21: two steps
    // of one run backing up eu/app.db and us/app.db into one folder at once).
    auto published =
        Publish(gz_tmp, gz, name ? std::string() : Stem(database, now), meta_for, temps);
    if (!published.ok()) return AttemptResult::Failure(published.status().message());
    const Value::Map& meta = published.value();
    meta_path = MetaPathFor(gz);
    ctx.log("wrote " + gz + " (" + std::to_string(z.out_bytes) + " bytes, sha256 " + z.out_sha256 +
            ")");
    AttemptResult r = AttemptResult::Success({
        {"path", Value(gz)},
        {"meta", Value(meta_path)},
        {"sha256", Value(z.out_sha256)},
        {"size", Value(static_cast<int64_t>(z.out_bytes))},
        {"created_at", Value(created_at)},
        {"raw_sha256", Value(z.in_sha256)},
        {"key_id", meta.count("key_id") ? meta.at("key_id") : Value(std::string())},
    });
    r.outputs["deleted"] = Retain(p, dest, meta.at("source").ToText(), gz, now, ctx);
    return r;
  }

 private:
  // Removes its files unless released: whatever happens, no temporary is left behind.
  struct Temps {
    std::vector<std::string> paths;
    std::string Add(std::string p) {
      paths.push_back(p);
      return p;
    }
    ~Temps() {
      for (const std::string& p : paths) RemoveWithCompanions(p);
    }
  };

  // A name already taken: the same snapshot of the same database published under it (the
  // resume of a backup killed past its commit point) is this backup, done. Anything else
  // is refused: a backup never overwrites one.
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
    if (text("raw_sha256") != raw_sha256 || text("source") != AbsoluteDatabase(database) ||
        other_instance || (want_signed && text("signature").empty()) ||
        !CheckMetaDescribes(m, gz, size, gz_sha.value()).ok())
      return AttemptResult::Failure(refused + " (holding another snapshot)");
    ctx.log(gz + " already holds this snapshot (same database, same raw sha256): nothing written");
    return AttemptResult::Success({{"path", Value(gz)},
                                   {"meta", Value(MetaPathFor(gz))},
                                   {"sha256", Value(gz_sha.value())},
                                   {"size", Value(static_cast<int64_t>(size))},
                                   {"created_at", Value(text("created_at"))},
                                   {"raw_sha256", Value(raw_sha256)},
                                   {"key_id", Value(text("key_id"))},
                                   {"deleted", Value(Value::List{})}});
  }

  // Publishes the dump at `gz_tmp` as `gz` with the metadata `meta_for(gz)` gives (signed),
  // returned. The metadata is written first under a scratch name, then the dump is renamed
  // into place, then the metadata: its rename is the commit point (docs/backup.md). A dump
  // without its .meta.json whose pending metadata belongs to a dead run is rolled back by
  // the next backup into the folder (RecoverDumps). Two backups publishing one name at the
  // same moment (breakM M15: both wrote the dump, each saying it did): the name's check, its
  // metadata and the renames are one step under a lock on the folder. A name found taken
  // there is refused, unless `stem` is given (the default name): then `gz` becomes the next
  // free "<stem>-N" (FreeStem), as if it had been free when chosen.
  static Result<Value::Map> Publish(
      const std::string& gz_tmp, std::string& gz, const std::string& stem,
      const std::function<Result<Value::Map>(const std::string&)>& meta_for, Temps& temps) {
    int dir = ::open(DirName(gz).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return Status::FromErrno("cannot open folder " + DirName(gz), errno);
    ::flock(dir, LOCK_EX);
    struct Unlock {
      int fd;
      ~Unlock() { ::close(fd); }
    } unlock{dir};
    if (Taken(gz) && !stem.empty())
      gz = DirName(gz) + "/" + FreeStem(DirName(gz), stem) + ".sqlite.gz";
    struct stat st {};
    if (::lstat(gz.c_str(), &st) == 0 || Taken(gz))
      return Status::Error(gz +
                           " already exists; a backup never overwrites one (another backup "
                           "of the same name published it a moment ago)");
    auto meta = meta_for(gz);
    if (!meta.ok()) return meta.status();
    std::string meta_path = MetaPathFor(gz), meta_tmp = temps.Add(ScratchBeside(meta_path));
    // The metadata is as readable as the dump (breakV V7, breakY Y6).
    Status s = WriteNewFile(meta_tmp, ToJson(Value(meta.value()), 2) + "\n", 0600);
    if (s.ok()) s = ShareAccess(meta_tmp, {gz_tmp});
    if (s.ok()) s = RenameDurable(gz_tmp, gz);
    if (!s.ok()) return s;
    s = RenameDurable(meta_tmp, meta_path);
    if (!s.ok()) std::remove(gz.c_str());
    if (!s.ok()) return s;
    return meta;
  }

  static Value Retain(const StepParams& p, const std::string& dest, const std::string& source,
                      const std::string& keep, Clock::Wall now, StepContext& ctx) {
    RetentionPolicy policy;
    if (const Value* n = p.Opt("keep_last")) policy.keep_last = n->as_int();
    if (const Value* d = p.Opt("keep_days")) policy.keep_days = d->as_int();
    if (const Value* key = p.Opt("sign_key")) policy.verify_key = key->ToText();
    policy.own_run = [&ctx](const std::string& id) { return ctx.OwnRun(id); };
    policy.still_read = [&ctx](const std::string& path) { return ctx.ReadElsewhere(path); };
    Value::List deleted;
    if (!policy.keep_last && !policy.keep_days) return Value(std::move(deleted));
    // A step still to run reads a path not known yet: it may be any dump here (breakEE E4).
    if (ctx.reads_unknown != nullptr && !ctx.reads_unknown->empty()) {
      ctx.log("retention: deleted nothing this run: " + Join(*ctx.reads_unknown, ", ") +
              " will read a path not known yet, which may be a dump here; the next run prunes");
      return Value(std::move(deleted));
    }
    for (const std::string& gone :
         ApplyRetention(dest, {source, InstanceOf(p)}, keep, policy, now)) {
      ctx.log("retention: removed " + gone);
      deleted.push_back(Value(gone));
    }
    return Value(std::move(deleted));
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Backup>();
});

}  // namespace
}  // namespace runbook
