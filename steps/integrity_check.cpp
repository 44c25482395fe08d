// integrity-check: decompresses a dump into an isolated workspace (never the live path),
// opens the copy read-only and runs PRAGMA integrity_check (or quick_check) and
// foreign_key_check. The workspace goes afterwards unless `keep`.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "engine/plugin/registry.h"
#include "engine/util/crypto.h"
#include "engine/util/own_file.h"
#include "engine/util/sqlite.h"
#include "engine/util/strings.h"
#include "steps/common/backup_meta.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/mysql_check.h"
#include "steps/common/pg_check.h"
#include "steps/common/progress.h"
#include "steps/common/restore_trust.h"
#include "steps/common/scratch.h"
#include "steps/common/spec_builder.h"
#include "steps/common/sqlite_check.h"
#include "steps/common/sqlite_info.h"
#include "steps/common/workspace_marker.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "integrity-check";
  s.summary = "decompress into an isolated workspace and run PRAGMA integrity_check";
  s.description =
      "Decompresses `source` (.sqlite.gz; a database file is read through SQLite, its -wal "
      "included) into a scratch copy beside `workspace`, checks the raw sha256 and the "
      "manifest (tables and row counts) against the dump's metadata when there is one, and "
      "runs `PRAGMA integrity_check` (mode full) or `quick_check` (mode quick) and `PRAGMA "
      "foreign_key_check` on two connections: in mode full, when no table outweighs the "
      "rest, as quick_check of the whole file plus `integrity_check(T)` of each indexed "
      "table, which together are the full check (docs/backup.md). Fails with the first "
      "problems found. The "
      "copy becomes `workspace` with `keep: true` (when it passed; a later restore of the "
      "same source installs that very copy), otherwise it is removed; "
      "scratch files of a killed run are removed by the next. With `public_key` the "
      "signature is checked before decompressing; the copy never grows past the metadata's "
      "raw_size or the free space less a reserve (docs/backup.md).";
  s.params = {
      Param("source", ParamType::kString, "the dump (.sqlite.gz) or a database file")
          .Path(PathRole::kReads)
          .Required(),
      Param("workspace", ParamType::kString,
            "sqlite: where the decompressed copy goes (e.g. backend/tmp/db-restore.sqlite); "
            "mysql: the scratch server's folder goes beside it (<workspace>.mysql-XXXXXX), "
            "removed afterwards")
          .Path(PathRole::kWritesFile)
          .Beside({"-wal", "-shm", "-journal", ".integrity-check"})
          // Two checks may share one (a loop over databases): its marker says whose copy it
          // is, and a restore adopts it only when it is the one its check kept.
          .SharedAs("checked copy")
          .InTurn(),  // breakDD D10: copy and marker are written whole, not under a lock
      Param("engine", ParamType::kString,
            "sqlite; postgres: a pg_dump archive restored into a scratch database and "
            "checked with pg_amcheck; mysql: a mysqldump (.sql.gz) restored into a scratch "
            "server the step starts in `workspace`, checked with mariadb-check --extended")
          .Default(Value("sqlite"))
          .Enum({"sqlite", "postgres", "mysql"}),
      Param("server", ParamType::kString,
            "postgres: libpq connection string of a server where a scratch database may be "
            "created (e.g. 'host=/run/pg port=5432 user=postgres')"),
      Param("bin_dir", ParamType::kString,
            "postgres: folder of psql, pg_restore and pg_amcheck (default: PATH, then the "
            "newest /usr/lib/postgresql/*/bin); mysql: of mariadb-install-db, mariadbd and "
            "mariadb (default: PATH, then /usr/sbin and /usr/bin)"),
      Param("mode", ParamType::kString,
            "full (PRAGMA integrity_check) or quick (PRAGMA quick_check: faster, skips UNIQUE "
            "and index checks)")
          .Default(Value("full"))
          .Enum({"full", "quick"}),
      Param("keep", ParamType::kBoolean, "keep the workspace copy (for a later restore)")
          .Default(Value(false)),
      Param("public_key", ParamType::kString,
            "Ed25519 public key (PEM path or text): the dump's .meta.json must be signed with "
            "it and describe this file (name, size, sha256) before its manifest is believed"),
      Param("max_errors", ParamType::kInteger, "problems reported at most")
          .Default(Value(20))
          .Min(1)
          .Max(10000),
  };
  s.outputs = {
      Output("ok", ParamType::kBoolean, "no problem found"),
      Output("integrity", ParamType::kString,
             "one line for reports: 'ok: 100 % (N tables, M rows)' (manifest matched), 'ok: no "
             "manifest to compare (...)' or 'failed: <first problem>'"),
      Output("errors", ParamType::kStringList, "the first problems found"),
      Output("tables", ParamType::kStringList, "table names"),
      Output("rows", ParamType::kMap, "rows per table"),
      Output("page_count", ParamType::kInteger, "pages of the database"),
      Output("manifest", ParamType::kString,
             "matched (tables and row counts as the dump's .meta.json says), none (no "
             "manifest: the report says so) or not matched"),
      Output("authenticated", ParamType::kBoolean,
             "the metadata was signed with `public_key` and describes this file: the manifest "
             "matched is the backup job's (false without public_key)"),
      Output("meta_sha256", ParamType::kString,
             "sha256 of the .meta.json the checks read (\"\" without one): a later step can "
             "tell it still reads the same metadata"),
      Output("duration_ms", ParamType::kInteger, "time of the checks"),
      Output("source", ParamType::kString, "the checked file (absolute)"),
      WithRole(Output("sha256", ParamType::kString, "sha256 of the checked file"),
               OutputRole::kVerifiedSha256),
      Output("workspace", ParamType::kString, "the kept copy (absolute), when keep"),
      Output("workspace_file", ParamType::kString,
             "the kept copy's identity when keep, 'DEV:INODE:SIZE:MTIME': restore adopts only "
             "that file"),
      Output("workspace_sha256", ParamType::kString,
             "sha256 of the kept copy as checked, when keep: a restore of the same source in "
             "this run installs that very copy (moved, not decompressed again) once it still "
             "has this sha256"),
  };
  s.side_effects = SideEffects::kWrite;  // the workspace only
  s.idempotent = true;
  return s;
}

// Nothing is at `workspace`, or what is there is the copy an earlier run placed, as its
// marker says (steps/common/workspace_marker.h). Companions without the file itself are
// never ours: a copy's are removed before it (RemoveWithCompanions), so a -wal or -journal
// alone was made by someone else, even beside a marker left by a killed run (breakY Y8).
bool OwnsWorkspace(const std::string& workspace, const std::string& marker) {
  struct stat st {};
  if (::lstat(workspace.c_str(), &st) == 0)
    return !marker.empty() && marker == MarkerLine(workspace);
  for (const char* side : {"-wal", "-shm", "-journal"})
    if (::lstat((workspace + side).c_str(), &st) == 0) return false;
  return true;
}

// Why the check cannot start ("" when it can): no source, or a workspace that is the
// source or a file integrity-check did not place there.
std::string Unusable(const std::string& source, const std::string& workspace) {
  if (std::string no = NotThere(source, "file"); !no.empty()) return no;
  std::error_code ec;
  if (std::filesystem::equivalent(source, workspace, ec))
    return "the workspace " + workspace + " is the source itself";
  if (std::string own = RunbookFileProblem(workspace, "write"); !own.empty())
    return own;  // the audit store's -journal is missing in WAL mode: never placed there (J22)
  auto marker = ReadMarker(workspace);  // a file there that is not a marker: refused (W2)
  if (!marker.ok()) return marker.status().message();
  struct stat st {};
  if (::lstat(workspace.c_str(), &st) != 0 && !OwnsWorkspace(workspace, marker.value()))
    return "a -wal, -shm or -journal of " + workspace + " is there without it: not made by " +
           "integrity-check; it is left alone: remove it, or choose another path";
  if (!OwnsWorkspace(workspace, marker.value()))
    return "the workspace " + workspace +
           " already exists and is not a copy integrity-check placed there (no matching " +
           MarkerPath(workspace) + "): it is left alone; remove it, or choose another path";
  return "";
}

bool IsGzip(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

// The copy at `tmp` (a scratch name), and the sha256 of the source (and of the copy). A
// database file is read through SQLite (its -wal included); its sha256 is that of the
// consistent copy, the same restore computes.
Result<GzipResult> Unpack(const std::string& source, const std::string& tmp, const StepContext& ctx,
                          const GunzipBound& bound) {
  if (IsGzip(source)) {
    ProgressMeter meter(ctx, "decompressing", FileSizeOf(source));
    return GunzipFile(source, tmp, false, meter.ForWork(), bound);  // a scratch copy: no fsync
  }
  Status s;
  {
    ProgressMeter meter(ctx, "copying the database", FileSizeOf(source));
    s = SnapshotDatabase(source, tmp, 5000, false, meter.ForWork());
  }
  if (!s.ok()) return s;
  ProgressMeter meter(ctx, "hashing the copy", FileSizeOf(tmp));
  auto h = Sha256File(tmp, meter.ForWork());
  if (!h.ok()) return h.status();
  return GzipResult{0, 0, h.value(), h.value()};
}

// What the copy holds against what its metadata (none: nullptr) says: the raw sha256 and
// the manifest. Sets `manifest`: "none" without one, else "matched" or "not matched".
std::vector<std::string> AgainstMeta(const LoadedMeta* meta, const std::string& raw_sha256,
                                     const DatabaseInfo& info, std::string& manifest) {
  std::vector<std::string> problems;
  if (meta == nullptr) return problems;
  const Value::Map& m = meta->fields;
  if (m.count("raw_sha256") && m.at("raw_sha256").ToText() != raw_sha256)
    problems.push_back("raw sha256 mismatch: expected " + m.at("raw_sha256").ToText() +
                       " (metadata), actual " + raw_sha256);
  if (!m.count("tables")) return problems;
  std::vector<std::string> diff = CompareManifest(m.at("tables"), info.tables);
  manifest = diff.empty() && problems.empty() ? "matched" : "not matched";
  problems.insert(problems.end(), diff.begin(), diff.end());
  return problems;
}

class IntegrityCheck final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* engine = with.Find("engine");
    bool pg = engine && engine->value && engine->value->ToText() == "postgres";
    if (pg && !with.Find("server")) report.Error(engine->loc, "engine: postgres needs 'server'");
    if (!pg && !with.Find("workspace"))
      report.Error(with.step_loc(), "integrity-check needs 'workspace' (where the copy goes)");
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    if (p.Str("engine") == "postgres")
      return {"restore " + p.Str("source") +
              " into a scratch database, run pg_amcheck, count rows against its .meta.json's "
              "manifest when there is one, drop it"};
    if (p.Str("engine") == "mysql")
      return {"start a scratch server beside " + p.Str("workspace") + ", restore " +
              p.Str("source") +
              " into it, run mariadb-check --extended, count rows against its .meta.json's "
              "manifest when there is one, stop it and remove its folder"};
    std::vector<std::string> out;
    if (p.Opt("public_key"))
      out.push_back("check the signature of " + p.Str("source") + ".meta.json");
    out.push_back("decompress " + p.Str("source") + " into " + p.Str("workspace") +
                  " and run PRAGMA " +
                  (p.Str("mode") == "quick" ? "quick_check" : "integrity_check"));
    out.push_back(p.Bool("keep") ? "keep the workspace" : "remove the workspace");
    return out;
  }

  AttemptResult Run(StepContext& ctx) const override {
    const std::string engine = ctx.params.Str("engine");
    AttemptResult r = engine == "postgres" ? PostgresIntegrityCheck(ctx)
                      : engine == "mysql"  ? MysqlIntegrityCheck(ctx)
                                           : RunSqlite(ctx);
    if (r.outputs.count("ok") && !r.outputs.count("manifest"))
      r.outputs["manifest"] = Value("none");
    if (r.outputs.count("ok") && !r.outputs.count("authenticated"))
      r.outputs["authenticated"] = Value(false);
    if (r.outputs.count("ok") && !r.outputs.count("meta_sha256"))
      r.outputs["meta_sha256"] = Value("");
    if (r.outputs.count("ok")) r.outputs["integrity"] = Value(Verdict(r.outputs));
    return r;
  }

 private:
  // One line for reports: "ok: 100 % (4 tables, 1,234 rows)" when the copy matched the
  // dump's manifest, "ok: no manifest to compare (...)" without one, or "failed: ...".
  static std::string Verdict(const Value::Map& out) {
    if (!out.at("ok").as_bool()) {
      const Value& errors = out.at("errors");
      return "failed: " +
             (errors.as_list().empty() ? std::string("see errors") : errors.as_list()[0].ToText());
    }
    int64_t rows = 0;
    for (const auto& [table, n] : out.at("rows").as_map()) rows += n.as_int();
    auto it = out.find("manifest");
    bool matched = it != out.end() && it->second.ToText() == "matched";
    return std::string(matched ? "ok: 100 % (" : "ok: no manifest to compare (") +
           CountOf(static_cast<int64_t>(out.at("rows").as_map().size()), "table") + ", " +
           CountOf(rows, "row") + ")";
  }

  // Phases: clear debris of killed runs; copy the source under a scratch name; check it
  // there; then either move it to `workspace` (keep, passed) or remove it. A kill leaves
  // only scratch files, which the next run removes; `workspace` itself is replaced only
  // after its stale -wal/-shm/-journal are gone (docs/backup.md).
  static AttemptResult RunSqlite(StepContext& ctx) {
    const StepParams& p = ctx.params;
    std::string source = p.Str("source"), workspace = p.Str("workspace");
    if (std::string why = Unusable(source, workspace); !why.empty())
      return AttemptResult::Failure(why);
    auto made = MakeFolders(DirName(workspace));
    if (!made.ok()) return AttemptResult::Failure(made.status().message());
    NoteCreated(made.value(), ctx.log);
    std::string own = BaseName(workspace);
    auto owns = [&own](const std::string& base) { return base == own; };
    for (const std::string& gone : RemoveDebris(DirName(workspace), owns))
      ctx.log("removed " + gone + ", left by a killed run");
    auto bound = BeforeUnpack(ctx, source, DirName(workspace));
    if (!bound.ok())
      return AttemptResult::Failure("integrity check of " + source +
                                    " failed: " + bound.status().message());
    std::string tmp = ScratchBeside(workspace);
    auto unpacked = Unpack(source, tmp, ctx, bound.value());
    std::optional<AttemptResult> stopped = StoppedResult(ctx);
    if (!unpacked.ok() || stopped) {
      RemoveWithCompanions(tmp);
      return stopped ? *stopped : AttemptResult::Failure(unpacked.status().message());
    }
    bool settled = IsWalFile(tmp);
    AttemptResult r = Check(ctx, tmp, source, unpacked.value());
    if (auto late = StoppedResult(ctx)) r = *late;
    bool keep = p.Bool("keep") && r.status == AttemptStatus::kSuccess;
    // The copy as kept: as decompressed, unless a WAL-mode copy was made one file to open it.
    std::string kept_sha256 = unpacked.value().out_sha256;
    if (keep && settled) {
      auto h = Sha256File(tmp, StopFor(ctx));
      if (!h.ok()) r = AttemptResult::Failure(h.status().message());
      keep = h.ok();
      if (h.ok()) kept_sha256 = h.value();
    }
    // A copy it replaces keeps its owner, group and ACL, no wider than it and the source
    // (breakCC C9: the copy handed to its users came back root's 0600); where they cannot be
    // kept, the earlier copy stays.
    if (keep && ModeOf(workspace, -1) >= 0) {
      if (Status s = ReplaceAccess(tmp, workspace, {source}); !s.ok()) {
        RemoveWithCompanions(tmp);
        return AttemptResult::Failure(s.message());
      }
    }
    RemoveWithCompanions(workspace);  // nothing, or an earlier copy (OwnsWorkspace)
    // The marker names the copy before the rename makes it the workspace (a rename keeps
    // the inode and mtime): a kill on either side leaves a state the next run owns.
    Status placed = keep ? WriteMarker(workspace, tmp) : Status::Ok();
    if (keep && placed.ok()) placed = RenameDurable(tmp, workspace);
    if (!keep) RemoveMarker(workspace);
    RemoveWithCompanions(tmp);
    if (!placed.ok()) return AttemptResult::Failure(placed.message());
    if (keep) {
      std::error_code ec;
      r.outputs["workspace"] =
          Value(std::filesystem::absolute(workspace, ec).lexically_normal().string());
      r.outputs["workspace_sha256"] = Value(kept_sha256);
      r.outputs["workspace_file"] = Value(FileIdentity(workspace));
    }
    return r;
  }

  // Opens the copy at `path` read-only (a dump's copy is first made one rollback-journal
  // file, so no -wal appears beside it) and runs the checks.
  static Status Inspect(const StepContext& ctx, const std::string& path,
                        std::vector<std::string>& problems, DatabaseInfo& info) {
    const StepParams& p = ctx.params;
    Status s = IsWalFile(path) ? SettleJournal(path, "DELETE") : Status::Ok();
    if (!s.ok()) return s;
    ProgressMeter meter(ctx, p.Str("mode") == "quick" ? "quick check" : "integrity check",
                        std::nullopt);  // PRAGMA integrity_check tells no total
    auto checked = CheckCopy(path, p.Str("mode") == "quick",
                             static_cast<size_t>(p.Int("max_errors")), StopFor(ctx));
    if (!checked.ok()) return checked.status();
    problems = std::move(checked.value().problems);
    info = std::move(checked.value().info);
    return Status::Ok();
  }

  // What the checks found about the copy at `path`.
  struct Findings {
    std::vector<std::string> problems;
    DatabaseInfo info;
    std::string manifest = "none";  // matched | not matched | none
    bool authenticated = false;     // the metadata is the backup job's (public_key)
    std::string meta_sha256;        // of the one read of the metadata, "" without one
  };

  // With `public_key`, the metadata must be signed with it and describe the source (name,
  // size, sha256) before anything it says is believed; "" when it is, else the problem.
  static std::string Unauthentic(const StepContext& ctx, const std::string& source,
                                 const std::string& sha256, const LoadedMeta* meta) {
    if (meta == nullptr) return "not authentic: there is no " + MetaPathFor(source);
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(source, ec);
    if (ec) return "cannot read the size of " + source + ": " + ec.message();
    Status s = CheckAuthentic(*meta, source, size, sha256, ctx.params.Str("public_key"));
    return s.ok() ? "" : "not authentic: " + s.message();
  }

  // Before a dump is decompressed (docs/backup.md, "Decompressing a dump"): with
  // `public_key` its metadata must be signed and describe the .gz (size, sha256), so a dump
  // that is not the backup job's is never inflated; returns the bound of the decompression
  // (the metadata's raw_size, the free space of `dir`). Examine checks all again on the copy.
  static Result<GunzipBound> BeforeUnpack(const StepContext& ctx, const std::string& source,
                                          const std::string& dir) {
    if (!IsGzip(source)) return GunzipBound{};
    auto read = ReadMetaOf(source);
    if (!read.ok() && ctx.params.Opt("public_key")) return read.status();
    const LoadedMeta* meta = read.ok() && read.value() ? &*read.value() : nullptr;
    if (ctx.params.Opt("public_key")) {
      ProgressMeter meter(ctx, "hashing", FileSizeOf(source));
      auto sha = Sha256File(source, meter.ForWork());
      if (!sha.ok()) return sha.status();
      if (std::string why = Unauthentic(ctx, source, sha.value(), meta); !why.empty())
        return Status::Error(why + " (checked before decompressing)");
    }
    return DecompressBound(dir, RawSizeOf(meta));
  }

  static Findings Examine(const StepContext& ctx, const std::string& path,
                          const std::string& source, const GzipResult& unpacked) {
    Findings f;
    auto read = ReadMetaOf(source);  // the one read every check below uses
    if (!read.ok()) f.problems.push_back(read.status().message());
    const LoadedMeta* meta = read.ok() && read.value() ? &*read.value() : nullptr;
    if (meta) f.meta_sha256 = meta->sha256;
    if (ctx.params.Opt("public_key")) {
      std::string why = Unauthentic(ctx, source, unpacked.in_sha256, meta);
      f.authenticated = why.empty();
      if (!why.empty()) f.problems.push_back(why);
    }
    std::vector<std::string> found;
    Status s = Inspect(ctx, path, found, f.info);
    if (!s.ok()) found.push_back("not a readable SQLite database: " + s.message());
    std::vector<std::string> meta_problems =
        AgainstMeta(meta, unpacked.out_sha256, f.info, f.manifest);
    f.problems.insert(f.problems.end(), meta_problems.begin(), meta_problems.end());
    f.problems.insert(f.problems.end(), found.begin(), found.end());
    return f;
  }

  static AttemptResult Check(StepContext& ctx, const std::string& path, const std::string& source,
                             const GzipResult& unpacked) {
    auto started = std::chrono::steady_clock::now();
    Findings f = Examine(ctx, path, source, unpacked);
    const std::vector<std::string>& problems = f.problems;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    Value::List errors, tables;
    for (const std::string& e : problems) errors.push_back(Value(e));
    for (const auto& [name, rows] : f.info.tables) tables.push_back(Value(name));
    AttemptResult r = problems.empty() ? AttemptResult::Success()
                                       : AttemptResult::Failure("integrity check of " + source +
                                                                " failed: " + problems.front());
    std::error_code ec;
    r.outputs = {
        {"ok", Value(problems.empty())},
        {"errors", Value(std::move(errors))},
        {"tables", Value(std::move(tables))},
        {"rows", Value(f.info.tables)},
        {"page_count", Value(f.info.page_count)},
        {"manifest", Value(f.manifest)},
        {"authenticated", Value(f.authenticated && problems.empty())},
        {"meta_sha256", Value(f.meta_sha256)},
        {"duration_ms", Value(static_cast<int64_t>(ms.count()))},
        {"source", Value(std::filesystem::absolute(source, ec).lexically_normal().string())},
        {"sha256", Value(unpacked.in_sha256)}};
    // The live line is the documented verdict (docs/backup.md), then what else was read
    // (newcomer round: the two said it differently).
    ctx.log("integrity " + Verdict(r.outputs) +
            (problems.empty() ? ", " + CountOf(f.info.page_count, "page") +
                                    (f.authenticated ? ", signed metadata" : "")
                              : std::string()));
    return r;
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<IntegrityCheck>();
});

}  // namespace
}  // namespace runbook
