// restore: places a verified dump where the backend will use it, atomically, keeping the
// database it replaces, and writes the env file the backend reads (BACKEND_ENV_PATH).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "engine/plugin/registry.h"
#include "engine/util/crypto.h"
#include "engine/util/own_file.h"
#include "engine/util/sqlite.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "steps/common/backup_meta.h"
#include "steps/common/env_file.h"
#include "steps/common/files.h"
#include "steps/common/gzip.h"
#include "steps/common/mysql_restore.h"
#include "steps/common/pg_restore.h"
#include "steps/common/progress.h"
#include "steps/common/restore_trust.h"
#include "steps/common/scratch.h"
#include "steps/common/spec_builder.h"
#include "steps/common/sqlite_info.h"
#include "steps/common/workspace_marker.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "restore";
  s.summary = "place a verified dump where the backend will use it; write its env file";
  s.description =
      "Refuses a source that no `hash` (verified) or `integrity-check` (ok) step of this run "
      "checked with its current sha256, unless `force: true`. With `public_key` (or when the "
      "step that verified it checked the signature) the dump's metadata must be signed and "
      "describe it; `authenticated` says whether it was. When an integrity-check of this run "
      "kept its checked copy of the source (keep: true) on the target's filesystem, installs "
      "that very copy (moved, refused if its sha256 changed since the check); otherwise "
      "decompresses it (a database "
      "file is read through SQLite, its -wal included) beside `target`, checks it against "
      "the dump's metadata (raw sha256, tables and row counts) and with quick_check, makes "
      "it one WAL-mode file, fsyncs it and renames it over `target`. The database it "
      "replaces (its -wal checkpointed first) is kept as `<target>.before-restore`. Then "
      "writes `env_file` (KEY=VALUE lines, keys and values checked and quoted as "
      "docs/backup.md says; default DATABASE_PATH=<target>; an existing file keeps its "
      "mode, a new one is 0600). A failure or a "
      "kill before the rename leaves the live database as it was. With `public_key` the "
      "signature is checked before decompressing; the copy never grows past the metadata's "
      "raw_size or the free space less a reserve (docs/backup.md). The target must not be in "
      "use: stop the service first (an `exec` or `service` step before it; a database whose "
      "-wal stays after a checkpoint is refused, untouched). A target that replaces a file "
      "keeps its owner, group, mode and ACL; a new one (a rebuilt host) is no more readable "
      "than the dump, 0600, in folders made 0700 with the owner of the folder they are made "
      "in: give it to the service's account (an `exec` step running `chown`) before starting "
      "the service (newcomer N11, N20).";
  s.params = {
      Param("source", ParamType::kString,
            "the dump (.sqlite.gz, .pgdump, .sql.gz) or a SQLite database file")
          .Path(PathRole::kReads)
          .Required(),
      Param("engine", ParamType::kString,
            "sqlite: `target` replaced by the checked copy; postgres: pg_restore into a new "
            "database of the server `database` names, verified, then renamed to the live name; "
            "mysql: the client restores into a new database, verified, whose tables then "
            "replace the live ones in one RENAME TABLE")
          .Default(Value("sqlite"))
          .Enum({"sqlite", "postgres", "mysql"}),
      Param("target", ParamType::kString,
            "sqlite: where the backend's database goes (required with sqlite)")
          .Path(PathRole::kGuards)
          .Beside({"-wal", "-shm", "-journal", ".before-restore*"}),
      Param("database", ParamType::kString,
            "postgres, mysql: the live database, as backup's `database` names it (a libpq "
            "connection string or URL with its dbname; mysql://USER@HOST:PORT/DBNAME or "
            "?socket=PATH); required with those engines"),
      Param("password", ParamType::kString,
            "postgres, mysql: the password (give a declared secret); never on a command line"),
      Param("bin_dir", ParamType::kString,
            "postgres: folder of pg_restore and pg_amcheck (default: PATH, then the newest "
            "/usr/lib/postgresql/*/bin); mysql: of mariadb and mariadb-check"),
      Param("from", ParamType::kString,
            "postgres, mysql: the database the dump was taken of, when it is restored under "
            "another name (else a dump of another database is refused); required for a dump "
            "without metadata (nothing else says its database)"),
      Param("switch", ParamType::kString,
            "postgres, mysql: how the verified database becomes the live one: rename (the live "
            "one kept as <db>_before_<stamp>; refused while other sessions use it) or env (only "
            "the env file names the new database <db>_restore_<stamp>; the live one is left "
            "as it is)")
          .Default(Value("rename"))
          .Enum({"rename", "env"}),
      Param("replay_account", ParamType::kString,
            "mysql: who replays the dump on the live server: temporary (an account made for "
            "the restore, granted only on the new database, dropped after: what the dump "
            "reaches beyond it the server refuses) or own (the connecting account: only the "
            "dump's scan guards the other databases)")
          .Default(Value("temporary"))
          .Enum({"temporary", "own"}),
      Param("jobs", ParamType::kInteger, "postgres: pg_restore's parallel jobs")
          .Default(Value(int64_t{1}))
          .Min(1)
          .Max(256),
      Param("no_owner", ParamType::kBoolean,
            "postgres: restore without the dump's owners and privileges (pg_restore "
            "--no-owner --no-privileges): for a user that is not a superuser")
          .Default(Value(false)),
      Param("workspace", ParamType::kString,
            "mysql: the scratch folder for the decompressed dump goes beside it "
            "(<workspace>.restore-XXXXXX), removed afterwards; required with mysql")
          .Path(PathRole::kWritesFile),
      Param("env_file", ParamType::kString, "env file to write (what BACKEND_ENV_PATH names)")
          .Path(PathRole::kWritesFile),
      Param("env", ParamType::kStringMap, "variables written to env_file"),
      Param("public_key", ParamType::kString,
            "Ed25519 public key (PEM path or text): the dump's .meta.json must be signed with it "
            "and describe the source (name, size, sha256), even with force"),
      Param("force", ParamType::kBoolean, "restore a source nothing in this run verified")
          .Default(Value(false)),
  };
  s.outputs = {
      Output("target", ParamType::kString,
             "the restored database (postgres, mysql: postgres://HOST:PORT/DB, mysql://...)"),
      Output("database", ParamType::kString,
             "postgres, mysql: the database the backend uses now (switch: env: the new one)"),
      Output("created_at", ParamType::kString, "when the backup was taken (for RPO)"),
      Output("env_file", ParamType::kString, "the env file written"),
      Output("previous", ParamType::kString, "where the replaced database was kept"),
      Output("authenticated", ParamType::kBoolean,
             "the dump's signed metadata was checked (by `public_key` here, or by the hash or "
             "integrity-check step that verified it): it is what the backup job wrote"),
  };
  s.side_effects = SideEffects::kDestructive;
  s.idempotent = true;  // the target is replaced atomically; the first kept copy stays
  s.rpo_output = "created_at";
  s.reads_passed_steps = true;
  return s;
}

std::string Abs(const std::string& p) {
  std::error_code ec;
  return std::filesystem::absolute(p, ec).lexically_normal().string();
}

bool IsGzip(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

// The source copied to `tmp` (a dump decompressed; a database file read through SQLite,
// its -wal included). Returns the sha256s that identify what was copied: the file's, and
// for a database file also the copy's (what integrity-check reports for it).
Result<std::vector<std::string>> CopyIn(const std::string& source, const std::string& tmp,
                                        std::string& raw_sha256, const StepContext& ctx,
                                        const GunzipBound& bound) {
  if (IsGzip(source)) {
    ProgressMeter meter(ctx, "decompressing", FileSizeOf(source));
    auto r = GunzipFile(source, tmp, true, meter.ForWork(), bound);
    if (!r.ok()) return r.status();
    raw_sha256 = r.value().out_sha256;
    return std::vector<std::string>{r.value().in_sha256};
  }
  Status s;
  {
    ProgressMeter meter(ctx, "copying the database", FileSizeOf(source));
    s = SnapshotDatabase(source, tmp, 5000, false, meter.ForWork());
  }
  if (!s.ok()) return s;
  std::optional<uint64_t> sizes;
  if (auto a = FileSizeOf(source), b = FileSizeOf(tmp); a && b) sizes = *a + *b;
  ProgressMeter meter(ctx, "hashing", sizes);
  auto file = Sha256File(source, meter.ForWork());
  auto copy = Sha256File(tmp, meter.ForWork());
  if (!file.ok()) return file.status();
  if (!copy.ok()) return copy.status();
  raw_sha256 = copy.value();
  // Rows in a -wal (or a hot -journal) are in the copy but not in the main file: then only
  // a verification of the copy itself (integrity-check's sha256) vouches for it.
  std::error_code ec;
  bool beside = std::filesystem::file_size(source + "-wal", ec) > 0 && !ec;
  beside = beside || std::filesystem::exists(source + "-journal", ec);
  if (beside) return std::vector<std::string>{copy.value()};
  return std::vector<std::string>{file.value(), copy.value()};
}

// The metadata's raw_sha256, when it has one, against the copy's.
Status RawAgrees(const LoadedMeta* meta, const std::string& raw_sha256) {
  if (meta == nullptr || !meta->fields.count("raw_sha256") ||
      meta->fields.at("raw_sha256").ToText() == raw_sha256)
    return Status::Ok();
  return Status::Error("raw sha256 mismatch: expected " + meta->fields.at("raw_sha256").ToText() +
                       " (metadata), actual " + raw_sha256);
}

// The copy made one WAL-mode file with nothing beside it, fsynced.
Status OneWalFile(const std::string& tmp) {
  Status s = SettleJournal(tmp, "WAL");
  return s.ok() ? FsyncFile(tmp) : s;
}

// The copy is what the dump's metadata (none: nullptr) describes (raw sha256, manifest) and
// passes quick_check; then it becomes one WAL-mode file with nothing beside it, fsynced.
Status Settle(const LoadedMeta* meta, const std::string& tmp, const std::string& raw_sha256) {
  DatabaseInfo info;
  {
    // Read-write (the copy is ours and becomes a WAL file next): with SQLite 3.40 a
    // read-only connection's quick_check skips CHECK constraints (sqlite_check.cpp).
    auto db = Db::Open(tmp, false, 5000);
    if (!db.ok()) return db.status();
    auto problems = IntegrityProblems(*db.value(), true, 5);
    if (!problems.ok())
      return Status::Error("not a SQLite database: " + problems.status().message());
    if (!problems.value().empty())
      return Status::Error("quick_check failed on the restored copy: " + problems.value().front());
    auto i = ReadDatabaseInfo(*db.value());
    if (!i.ok()) return Status::Error("not a SQLite database: " + i.status().message());
    info = i.value();
  }
  if (Status raw = RawAgrees(meta, raw_sha256); !raw.ok()) return raw;
  if (meta != nullptr && meta->fields.count("tables")) {
    std::vector<std::string> diff = CompareManifest(meta->fields.at("tables"), info.tables);
    if (!diff.empty()) return Status::Error("the copy does not match the manifest: " + diff[0]);
  }
  return OneWalFile(tmp);
}

// A copy integrity-check checked in full (Adopt): only what the metadata read here says of it
// (its raw sha256) is compared again; then it becomes one WAL-mode file, fsynced.
Status SettleChecked(const LoadedMeta* meta, const std::string& tmp,
                     const std::string& raw_sha256) {
  Status raw = RawAgrees(meta, raw_sha256);
  return raw.ok() ? OneWalFile(tmp) : raw;
}

// The restored file gets the access of the database it replaces; a new one that of its
// source (a dump is as readable as the database it was made from: breakW W11), group
// included (files.h ShareAccess, breakY Y6). Until here the copy was 0600 (GunzipFile,
// SnapshotDatabase into a 0600 file).
Status MatchMode(const std::string& tmp, const std::string& target, const std::string& source) {
  bool replacing = ModeOf(target, -1) >= 0;
  return ShareAccess(tmp, {replacing ? target : source}, 0600, replacing);
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// SQLite checkpoints the live database's -wal into it (rolls back a hot -journal).
// Its companions were vetted by TargetProblem (CompanionProblem): the -wal and -journal
// KeepPrevious linked to the kept copy have a second link of ours. A wait for the lock of
// what still writes it is told to `work` (breakL L20: 5 s of silence before "in use").
Status Checkpoint(const std::string& target, const Work& work) {
  auto db = Db::Open(target, false, 5000, true);
  if (!db.ok()) return db.status();
  if (work.waiting) db.value()->ReportWaits(LockWaitReport(work.waiting));
  Status s = db.value()->Exec("SELECT count(*) FROM sqlite_master");
  if (!s.ok()) return s;
  auto st = db.value()->Prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!st.ok()) return st.status();
  auto row = st.value().Step();
  return row.ok() ? Status::Ok() : row.status();
}  // closing the last connection deletes the -wal

// The live database made one file by SQLite itself, so the main file alone holds every
// committed row before anything is linked or replaced. Fails, changing nothing, when
// something else holds it open. Returns true when SQLite cannot read it (damaged: often
// why one restores): its -wal/-journal must then be kept beside the kept copy.
Result<bool> Quiesce(const std::string& target, const Work& work) {
  if (!Exists(target)) {
    if (Exists(target + "-wal") || Exists(target + "-journal"))
      return Status::Error(target + "-wal (or -journal) is there without " + target +
                           "; SQLite would mix it into the restored database: move it aside");
    return false;
  }
  if (!Exists(target + "-wal") && !Exists(target + "-journal")) return false;
  Status s = Checkpoint(target, work);
  bool busy = s.message().find("locked") != std::string::npos ||
              s.message().find("busy") != std::string::npos;
  if (s.ok() && (Exists(target + "-wal") || Exists(target + "-journal")))
    return Status::Error(target +
                         " is in use (its -wal stays after a checkpoint): stop what "
                         "uses it first");
  if (busy) return Status::Error(target + " is in use: " + s.message());
  return !s.ok();
}

// After the checkpoint: a readable database's kept companions are redundant (their rows
// are in the kept file) and go; a damaged one's companions leave the live path so they
// never meet the restored file (their links beside the kept copy stay).
Status SettleCompanions(const std::string& target, const std::string& kept, bool damaged) {
  for (const char* side : {"-wal", "-shm", "-journal"}) {
    std::string path = damaged ? target + side : kept + side;
    if (Exists(path) && ::unlink(path.c_str()) != 0)
      return Status::FromErrno("cannot remove " + path, errno);
  }
  return FsyncDir(DirName(target));
}

// Keeps the current database under a second name (hard links, to it and to its -wal and
// -journal: the live names stay) and returns that name. A link left by a killed restore
// (same inode as the target) is reused.
// The kept copies of `target` in its folder (paths): `.before-restore` and
// `.before-restore-<stamp>`, without their -wal/-shm/-journal.
std::vector<std::string> KeptCopies(const std::string& target) {
  std::string prefix = BaseName(target) + ".before-restore";
  std::vector<std::string> kept;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(DirName(target), ec)) {
    std::string name = entry.path().filename().string();
    bool companion = name.size() > 4 && (name.rfind("-wal") == name.size() - 4 ||
                                         name.rfind("-shm") == name.size() - 4);
    if (name.rfind(prefix, 0) == 0 && !companion && name.find("-journal") == std::string::npos)
      kept.push_back(entry.path().string());
  }
  return kept;
}

// A kept copy that is already a link to the live file: a restore killed after keeping it.
// "" when none.
std::string KeptLinkOf(const std::string& target, const struct stat& live) {
  for (const std::string& path : KeptCopies(target)) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && st.st_ino == live.st_ino && st.st_dev == live.st_dev)
      return path;
  }
  return "";
}

// Why a -wal, -shm or -journal beside `target` would be written through (a link, not a
// regular file: breakJ J1), "" when none: SQLite and the restore's renames write them by
// name. A second hard link that is the same companion of a kept copy (KeepPrevious keeps a
// damaged database's -wal so) is ours.
std::string CompanionProblem(const std::string& target) {
  for (const char* side : kSqliteCompanions) {
    std::string path = target + side;
    struct stat st {
    }, kept{};
    if (::lstat(path.c_str(), &st) != 0) continue;
    bool kept_link = false;
    for (const std::string& copy : KeptCopies(target))
      kept_link = kept_link || (S_ISREG(st.st_mode) && st.st_nlink == 2 &&
                                ::lstat((copy + side).c_str(), &kept) == 0 &&
                                kept.st_ino == st.st_ino && kept.st_dev == st.st_dev);
    if (kept_link) continue;
    std::string why = OwnFileProblem(path);
    if (!why.empty()) return why + " (beside the database; SQLite writes it by name)";
  }
  return "";
}

// Why `target` cannot be replaced (engine/util/own_file's rule: a link, a non-regular file,
// a second hard link), "" when it can. A second link that is a kept copy left by a killed
// restore (KeptLinkOf) is ours, not another name: the restore goes on with it.
std::string TargetProblem(const std::string& target) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 2 &&
      !KeptLinkOf(target, st).empty())
    return CompanionProblem(target);
  std::string why = OwnFileProblem(target);
  return why.empty() ? CompanionProblem(target) : why;
}

// Removes kept -wal/-journal links whose kept database is not there (a restore killed
// between linking them and linking the database, by an older order of these steps): only a
// second link of the target's own companion, which a restore made. Any other file at such a
// name is someone's (breakY Y8: an old kept copy moved away, its -wal left) and stays.
void DropOrphanCompanions(const std::string& target) {
  std::string prefix = BaseName(target) + ".before-restore";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(DirName(target), ec)) {
    std::string name = entry.path().filename().string(), path = entry.path().string();
    for (const std::string side : {"-wal", "-journal"}) {
      bool is_side = name.size() > side.size() &&
                     name.compare(name.size() - side.size(), side.size(), side) == 0;
      if (name.rfind(prefix, 0) != 0 || !is_side ||
          Exists(path.substr(0, path.size() - side.size())))
        continue;
      struct stat mine {
      }, live{};
      bool linked = ::lstat(path.c_str(), &mine) == 0 && S_ISREG(mine.st_mode) &&
                    mine.st_nlink == 2 && ::lstat((target + side).c_str(), &live) == 0 &&
                    live.st_ino == mine.st_ino && live.st_dev == mine.st_dev;
      if (linked) ::unlink(path.c_str());
    }
  }
}

// Keeps `target` as `kept`: a hard link (a copy where links are refused). The database
// first, then its -wal/-journal: a kill between leaves a kept database the rerun reuses.
Status LinkOrCopy(const std::string& target, const std::string& kept) {
  if (::link(target.c_str(), kept.c_str()) == 0) return Status::Ok();
  if (errno == EEXIST)  // something came to the name: never replaced (breakY Y8)
    return Status::Error("cannot keep " + target + " as " + kept + ": something is there now");
  std::string tmp = ScratchBeside(kept);
  std::error_code ec;
  Status s = std::filesystem::copy_file(target, tmp, ec)
                 ? FsyncFile(tmp)
                 : Status::Error("cannot copy " + target + ": " + ec.message());
  if (s.ok() && ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, kept.c_str(), RENAME_NOREPLACE) != 0)
    s = Status::FromErrno("cannot keep " + target + " as " + kept, errno);
  if (s.ok()) s = FsyncDir(DirName(kept));
  ::unlink(tmp.c_str());
  return s;
}

Result<std::string> KeepPrevious(const std::string& target, const std::string& stamp) {
  struct stat live {
  }, old{};
  if (::stat(target.c_str(), &live) != 0) return std::string();
  DropOrphanCompanions(target);
  std::string kept = KeptLinkOf(target, live);  // a killed restore's, reused
  if (kept.empty()) {
    kept = target + ".before-restore";
    // The first kept copy stays; anything at the name, a dangling link too, is not replaced.
    if (::lstat(kept.c_str(), &old) == 0) kept += "-" + stamp;
    // Its -wal, -shm and -journal names are made and removed by this restore: files already
    // there are someone's (breakZ Z1), never linked over or removed.
    for (const char* side : kSqliteCompanions)
      if (::lstat((kept + side).c_str(), &old) == 0)
        return Status::Error(kept + side + " is already there, beside the name the current " +
                             "database would be kept under; it is left alone: move it away");
    Status s = LinkOrCopy(target, kept);
    if (!s.ok()) return s;
  }
  for (const char* side : {"-wal", "-journal"}) {
    std::string from = target + side, to = kept + side;
    if (Exists(from) && !Exists(to) && ::link(from.c_str(), to.c_str()) != 0)
      return Status::FromErrno("cannot keep " + from + " as " + to, errno);
  }
  Status s = FsyncDir(DirName(target));
  if (!s.ok()) return s;
  return kept;
}

// The newest copy KeepPrevious kept of `target` ("" when none): `.before-restore-<stamp>`
// names sort by time and are newer than `.before-restore`.
std::string NewestKept(const std::string& target) {
  std::string plain = target + ".before-restore", newest;
  for (const std::string& path : KeptCopies(target))
    if (newest.empty() || (path != plain && path > newest)) newest = path;
  return newest;
}

// A restore killed after its switch, or one that finished before (the live file already is
// this settled copy, byte for byte, and an older one is kept): the copy kept, else "".
std::string AlreadySwitched(const std::string& target, const std::string& tmp) {
  if (!Exists(target) || Exists(target + "-wal") || Exists(target + "-journal")) return "";
  std::string kept = NewestKept(target);
  if (kept.empty()) return "";
  auto live = Sha256File(target), copy = Sha256File(tmp);
  return live.ok() && copy.ok() && live.value() == copy.value() ? kept : "";
}

// Removes the links KeepPrevious made to the live files (same inode as the live name), so
// a refused restore leaves nothing new beside the database. Copies are left alone.
void DropKept(const std::string& target, const std::string& kept) {
  if (kept.empty()) return;
  for (const char* side : {"", "-wal", "-journal"}) {
    struct stat live {
    }, link{};
    std::string from = target + side, to = kept + side;
    if (::stat(from.c_str(), &live) == 0 && ::stat(to.c_str(), &link) == 0 &&
        live.st_ino == link.st_ino && live.st_dev == link.st_dev)
      ::unlink(to.c_str());
  }
}

// The env file, replaced atomically (WriteFileAtomic: a link at its name is refused, the
// scratch files of killed runs go first). The mode an operator gave the file stays; a new
// one is 0600: it may hold credentials (breakW W13: a 0600 file holding a password was
// widened to 0644).
Status WriteEnvFile(const std::string& path, const std::string& text) {
  return WriteFileAtomic(path, text, 0600);
}

// Why `env_file` cannot be written: it names the restored database, one of its companions
// or kept copies, the dump restored from or the dump's metadata (breakI I29, breakJ J21: the
// env text replaced the restored database, the only dump, or its signed metadata). By name
// (absolute, normal) and by identity (a link to them).
std::string EnvFileClash(const std::string& env_file, const std::string& target,
                         const std::string& source) {
  std::string base = BaseName(target);
  std::string name = BaseName(env_file);
  bool beside = DirName(env_file) == DirName(target);
  // Its companions by their exact names (breakX X4: "app.db-walrus" is not one).
  bool companion = std::any_of(std::begin(kSqliteCompanions), std::end(kSqliteCompanions),
                               [&](const char* side) { return name == base + side; });
  bool ours = beside && (name == base || companion || name.rfind(base + ".before-restore", 0) == 0);
  std::error_code ec;
  std::string meta = source.empty() ? "" : MetaPathFor(source);
  for (const std::string& other : {target, source, meta})
    if (!other.empty() && (env_file == other || std::filesystem::equivalent(env_file, other, ec)))
      ours = true;
  if (!ours) return "";
  return "env_file " + env_file + " is the restored database, one of its files, the dump " +
         "restored from or its metadata; name a file of its own";
}

// The env file's text (steps/common/env_file.h): `env`, or DATABASE_PATH=<target>.
Result<std::string> EnvText(const StepParams& params, const std::string& target) {
  std::map<std::string, std::string> vars;
  const Value* env = params.Opt("env");
  if (env == nullptr || env->as_map().empty()) vars["DATABASE_PATH"] = target;
  if (env != nullptr)
    for (const auto& [k, v] : env->as_map()) vars[k] = v.ToText();
  return EnvFileText(vars);
}

bool SameFilesystem(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev;
}

// Why the file at `path` is not the copy `copy` names, "" when it is: a regular file with one
// link, owned by this user, with the device and inode the check recorded (breakV V1: a link
// or another account's file with the same bytes was installed as the live database; V2: a
// later check of another source replaced the workspace). Looked at without following links.
std::string NotTheCopy(const std::string& path, const CheckedCopy& copy) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return std::string("cannot examine it: ") + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (st.st_nlink != 1) return "it has another name (a hard link)";
  if (st.st_uid != ::geteuid()) return "owned by uid " + std::to_string(st.st_uid);
  if (FileIdentity(path) != copy.file) return "another file than the one checked";
  return "";
}

// The copy a passed integrity-check of this run kept of `source` when restore may take it:
// still there, the very file the check recorded, on `target`'s filesystem (a rename moves
// it). Otherwise nothing, and the log says why the dump is decompressed again.
std::optional<CheckedCopy> AdoptableCopy(const StepContext& ctx, const std::string& source,
                                         const std::string& target) {
  std::optional<CheckedCopy> copy =
      ctx.passed ? KeptCheckedCopy(*ctx.passed, source) : std::nullopt;
  if (!copy) return copy;
  std::string kept = "the copy step '" + copy->by + "' kept (" + copy->path + ")";
  std::string why;
  if (!Exists(copy->path))  // taken by an earlier attempt, or removed
    why = kept + " is not there any more: ";
  else if (std::string not_it = NotTheCopy(copy->path, *copy); !not_it.empty())
    why = "the file at " + copy->path + " is not the copy step '" + copy->by + "' kept (" + not_it +
          "): left alone, ";
  else if (!SameFilesystem(copy->path, DirName(target)))
    why = kept + " is on another filesystem than " + target + ": ";
  if (why.empty()) return copy;
  ctx.log(why + "decompressing again");
  return std::nullopt;
}

// Moves the copy an integrity-check kept to `tmp` (beside the target) and drops its marker:
// 0, or the rename's errno (EXDEV: another mount, even of the same filesystem: breakX X2).
int TakeCopy(const CheckedCopy& copy, const std::string& tmp) {
  if (::rename(copy.path.c_str(), tmp.c_str()) != 0) return errno;
  RemoveMarker(copy.path);  // the copy is no longer there
  return 0;
}

// `copy` once TakeCopy moved it to `tmp`; nothing when there is none or it is on another
// mount (the log says the dump is decompressed again); an error when it cannot be moved.
Result<std::optional<CheckedCopy>> TakenCopy(const StepContext& ctx,
                                             std::optional<CheckedCopy> copy,
                                             const std::string& tmp, const std::string& target) {
  int taken = copy ? TakeCopy(*copy, tmp) : 0;
  if (taken == 0) return copy;
  std::string kept = "the copy step '" + copy->by + "' kept (" + copy->path + ")";
  if (taken != EXDEV) return Status::Error("cannot take " + kept + ": " + std::strerror(taken));
  ctx.log(kept + " cannot be moved beside " + target + " (another mount): decompressing again");
  return std::optional<CheckedCopy>();
}

// A file TakeCopy moved to `tmp` that restore will not install goes back to `path`, unless
// something is there now (never replaced): restore removes only what it wrote (breakY
// Y10). Returns what to add to the error: where the file is.
std::string PutBack(const std::string& tmp, const std::string& path) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0)
    return "; the file is back at " + path + ", as it was";
  return "; it could not be put back at " + path + " (" + std::strerror(errno) + ")";
}

// The very copy an integrity-check of this run checked and kept, taken as `tmp` (TakeCopy:
// no second decompression, no second check; issue 15), refused when its sha256 is not the one
// recorded when it was checked. Returns the sha256 of the source that check vouched for.
Result<std::vector<std::string>> Adopt(const StepContext& ctx, const CheckedCopy& copy,
                                       const std::string& source, const std::string& tmp,
                                       std::string& raw_sha256) {
  // The source must still be what the check read: its evidence is about this file (breakZ
  // Z9: a dump swapped after the check was reported verified). Hashing the dump costs far
  // less than decompressing it again. A database file source changes as its application
  // writes; the check's copy is its snapshot, and what its sha256 names.
  if (IsGzip(source)) {
    ProgressMeter meter(ctx, "hashing the source", FileSizeOf(source));
    auto now = Sha256File(source, meter.ForWork());
    if (!now.ok()) return Status::Error(now.status().message() + PutBack(tmp, copy.path));
    if (now.value() != copy.source_sha256)
      return Status::Error(source + " changed since step '" + copy.by + "' checked it: sha256 " +
                           now.value() + ", checked " + copy.source_sha256 + "; verify it again" +
                           PutBack(tmp, copy.path));
  }
  if (std::string why = NotTheCopy(tmp, copy); !why.empty())  // swapped since it was looked at
    return Status::Error("the file taken from " + copy.path + " is not the copy step '" + copy.by +
                         "' kept (" + why + ")" + PutBack(tmp, copy.path));
  ProgressMeter meter(ctx, "hashing the checked copy", FileSizeOf(tmp));
  auto now = Sha256File(tmp, meter.ForWork());
  if (!now.ok()) return Status::Error(now.status().message() + PutBack(tmp, copy.path));
  if (now.value() != copy.sha256)
    return Status::Error("the copy step '" + copy.by + "' kept (" + copy.path +
                         ") changed since it was checked: sha256 " + now.value() + ", checked " +
                         copy.sha256 + "; run the check again" + PutBack(tmp, copy.path));
  raw_sha256 = copy.sha256;
  ctx.log("installing the copy step '" + copy.by + "' checked (" + copy.path +
          "), unchanged since: sha256 " + copy.sha256);
  return std::vector<std::string>{copy.source_sha256};
}

class Restore final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }
  // The env file's keys and values are checked at load when they are literal (and again,
  // with expressions evaluated, before anything is restored).
  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* engine = with.Find("engine");
    std::string kind = engine && engine->value ? engine->value->ToText() : "sqlite";
    if (kind == "sqlite" && !with.Find("target"))
      report.Error(with.step_loc(), "restore needs 'target' (where the database goes)");
    if (kind != "sqlite" && engine && !engine->value) return;  // an expression: known at run time
    if (kind != "sqlite" && !with.Find("database"))
      report.Error(engine->loc, "engine: " + kind + " needs 'database' (the live database)");
    if (kind == "mysql" && !with.Find("workspace"))
      report.Error(engine->loc, "engine: mysql needs 'workspace' (where the scratch folder goes)");
    const ConfigParam* file = with.Find("env_file");
    const ConfigParam* target = with.Find("target");
    const ConfigParam* source = with.Find("source");
    auto literal = [](const ConfigParam* p) {
      return p && p->value ? Abs(p->value->ToText()) : "";
    };
    if (!literal(file).empty() && !literal(target).empty()) {
      std::string clash = EnvFileClash(literal(file), literal(target), literal(source));
      if (!clash.empty()) report.Error(file->loc, clash);
    }
    const ConfigParam* env = with.Find("env");
    if (env == nullptr || !env->value || !env->value->is_map()) return;
    for (const auto& [k, v] : env->value->as_map()) {
      std::string why = EnvKeyProblem(k);
      if (why.empty()) why = EnvValueProblem(k, v.ToText());
      if (!why.empty()) report.Error(env->loc, why);
    }
  }

  std::vector<std::string> Describe(const StepParams& p) const override {
    if (p.Str("engine") != "sqlite") {
      bool rename = p.Str("switch") == "rename";
      std::vector<std::string> out = {
          "restore " + p.Str("source") + " into a new database beside " + p.Str("database") +
              ", check it and count its rows against the dump's manifest",
          rename ? "switch by rename; the live database kept as <db>_before_<stamp>"
                 : "leave the live database as it is; the env file names the new one"};
      if (const Value* env = p.Opt("env_file")) out.push_back("write " + env->ToText());
      return out;
    }
    std::vector<std::string> out = {"restore " + p.Str("source") + " to " + p.Str("target") +
                                    " (the current database kept as .before-restore)"};
    if (p.Opt("public_key"))
      out.insert(out.begin(), "check the signature of " + p.Str("source") + ".meta.json");
    if (const Value* env = p.Opt("env_file")) out.push_back("write " + env->ToText());
    return out;
  }

  // Phases: remove debris of killed runs; copy the source in under a scratch name; refuse
  // it unless verified; check and settle it; make the live database one file; keep it
  // (link); rename the copy over it (the commit point); write the env file.
  AttemptResult Run(StepContext& ctx) const override {
    const StepParams& p = ctx.params;
    if (p.Str("engine") == "postgres") return PostgresRestore(ctx);
    if (p.Str("engine") == "mysql") return MysqlRestore(ctx);
    if (!p.Opt("target"))
      return AttemptResult::Failure("restore needs 'target' with engine: sqlite");
    std::string source = Abs(p.Str("source")), target = Abs(p.Str("target"));
    if (std::string why = TargetProblem(target); !why.empty())
      return Untouched(source, target, why);
    std::error_code same;  // breakCC C15: the dump replaced by the raw database it holds
    if (std::filesystem::equivalent(source, target, same))
      return Untouched(source, target, "the target is the dump restored from; name another path");
    // breakDD D7: nor a dump's metadata, nor another dump: no live database is named so.
    if (EndsWith(target, ".sqlite.gz") || EndsWith(target, ".meta.json"))
      return Untouched(source, target,
                       "the target is named as a dump or its metadata (.sqlite.gz, .meta.json), "
                       "which no live database is; name the database's path");
    auto made = MakeFolders(DirName(target));
    if (!made.ok()) return Untouched(source, target, made.status().message());
    NoteCreated(made.value(), ctx.log);
    std::string own = BaseName(target);  // the database and its kept copies, not a neighbour's
    auto owns = [&own](const std::string& base) {
      return base == own || base.rfind(own + ".before-restore", 0) == 0;
    };
    for (const std::string& gone : RemoveDebris(DirName(target), owns))
      ctx.log("removed " + gone + ", left by a killed run");
    auto env_text = EnvText(p, target);  // refused before anything changes
    const Value* env_file = p.Opt("env_file");
    if (env_file && !env_text.ok())
      return AttemptResult::Failure("restore of " + source +
                                    " refused: " + env_text.status().message());
    if (Status own_env = env_file ? CheckOwnFile(Abs(env_file->ToText())) : Status::Ok();
        !own_env.ok())
      return AttemptResult::Failure("restore of " + source + " refused: " + own_env.message());
    if (std::string clash = env_file ? EnvFileClash(Abs(env_file->ToText()), target, source) : "";
        !clash.empty())
      return AttemptResult::Failure("restore of " + source + " refused: " + clash);
    // Its owner and group can be kept, known before the database is replaced (breakBB2 F4).
    if (std::string why = env_file ? ReplaceProblem(Abs(env_file->ToText())) : ""; !why.empty())
      return Untouched(source, target, "env_file: " + why);
    if (env_file) {  // its folder exists before the database is replaced (breakL L22)
      std::string env_dir = DirName(Abs(env_file->ToText()));
      Status env_made = MakeFolderSaying(env_dir, ctx.log);
      if (!env_made.ok()) return Untouched(source, target, env_made.message());
      // ... and takes a new file, also known before (breakCC C5).
      if (::access(env_dir.c_str(), W_OK | X_OK) != 0)
        return Untouched(source, target,
                         "env_file: cannot write in " + env_dir + ": " + std::strerror(errno));
    }
    std::string tmp = ScratchBeside(target);
    AttemptResult r = Place(ctx, source, target, tmp);
    RemoveWithCompanions(tmp);
    if (r.status != AttemptStatus::kSuccess) return r;
    if (env_file) {
      Status s = WriteEnvFile(Abs(env_file->ToText()), env_text.value());
      if (!s.ok())  // the database is already in place: say so, not only that the step failed
        return AttemptResult::Failure(
            "restored " + target + ", but writing env_file failed: " + s.message() +
            "; the database it replaced is kept as " +
            (r.outputs.count("previous") ? r.outputs.at("previous").ToText()
                                         : std::string("(none: there was none)")));
      r.outputs["env_file"] = Value(Abs(env_file->ToText()));
    }
    return r;
  }

 private:
  static AttemptResult Untouched(const std::string& source, const std::string& target,
                                 const std::string& why) {
    return AttemptResult::Failure("restore of " + source + " failed, " + target +
                                  " untouched: " + why);
  }

  // Before a dump is decompressed (docs/backup.md, "Decompressing a dump"): with
  // `public_key` the metadata `read` must be signed and describe the .gz (size, sha256), so
  // a dump that is not the backup job's is never inflated beside the live database; returns
  // the bound of the decompression (its raw_size, the free space of `dir`).
  static Result<GunzipBound> BeforeCopy(const StepContext& ctx, const std::string& source,
                                        const std::string& dir,
                                        const Result<std::optional<LoadedMeta>>& read) {
    if (!IsGzip(source)) return GunzipBound{};
    if (!read.ok() && ctx.params.Opt("public_key")) return read.status();
    const LoadedMeta* meta = read.ok() && read.value() ? &*read.value() : nullptr;
    if (ctx.params.Opt("public_key")) {
      ProgressMeter meter(ctx, "hashing", FileSizeOf(source));
      auto sha = Sha256File(source, meter.ForWork());
      if (!sha.ok()) return sha.status();
      bool authenticated = false;
      std::string why = Unbelieved(ctx.params, source, sha.value(), Vouch{}, meta, authenticated);
      if (!why.empty()) return Status::Error(why + " (checked before decompressing)");
    }
    return DecompressBound(dir, RawSizeOf(meta));
  }

  static AttemptResult Place(StepContext& ctx, const std::string& source, const std::string& target,
                             const std::string& tmp) {
    auto untouched = [&](const std::string& why) { return Untouched(source, target, why); };
    auto read = ReadMetaOf(source);  // the one read of the metadata from here on
    auto bound = BeforeCopy(ctx, source, DirName(target), read);
    if (!bound.ok()) return untouched(bound.status().message());
    std::string raw_sha256;
    auto checked = TakenCopy(ctx, AdoptableCopy(ctx, source, target), tmp, target);
    if (!checked.ok()) return untouched(checked.status().message());
    auto shas = checked.value() ? Adopt(ctx, *checked.value(), source, tmp, raw_sha256)
                                : CopyIn(source, tmp, raw_sha256, ctx, bound.value());
    if (auto stopped = StoppedResult(ctx)) return *stopped;
    if (!shas.ok()) return untouched(shas.status().message());
    Vouch vouch = ctx.passed ? VerifiedBy(*ctx.passed, source, shas.value()) : Vouch{};
    if (vouch.by.empty() && !ctx.params.Bool("force"))
      return AttemptResult::Failure(
          "refusing to restore " + source +
          ": no hash or integrity-check step of this run verified it (with sha256 " +
          shas.value().front() + "); verify it first, or set force: true");
    if (!read.ok()) return untouched(read.status().message());
    const LoadedMeta* meta = read.value() ? &*read.value() : nullptr;
    bool authenticated = false;
    if (std::string why =
            Unbelieved(ctx.params, source, shas.value().front(), vouch, meta, authenticated);
        !why.empty())
      return untouched(why);
    ctx.log((vouch.by.empty() ? "restoring an unverified source (force: true)"
                              : "source verified by step '" + vouch.by + "'") +
            std::string(authenticated ? "; its metadata's signature is valid"
                                      : "; NOT authenticated: no step checked its signature "
                                        "(set public_key)"));
    Status s =
        checked.value() ? SettleChecked(meta, tmp, raw_sha256) : Settle(meta, tmp, raw_sha256);
    if (!s.ok()) return untouched(s.message());
    if (std::string kept = AlreadySwitched(target, tmp); !kept.empty()) {
      // Restored before by another run, or by this step before a kill: no run can tell which
      // from the files alone, so it says both (breakAA A8).
      ctx.log(target +
              " already holds this copy, byte for byte (restored before, or a restore stopped "
              "after its switch): nothing replaced; the database this copy replaced is kept as " +
              kept);
      return Restored(target, kept, meta, authenticated);
    }
    return Switch(ctx, source, target, tmp, meta, authenticated);
  }

  // The checked copy `tmp` replaces `target`: the current database kept (a link), made one
  // file, then the rename (the commit point).
  static AttemptResult Switch(StepContext& ctx, const std::string& source,
                              const std::string& target, const std::string& tmp,
                              const LoadedMeta* meta, bool authenticated) {
    auto untouched = [&](const std::string& why) { return Untouched(source, target, why); };
    if (Status access = MatchMode(tmp, target, source); !access.ok())
      return untouched(access.message());
    auto kept = KeepPrevious(target, FormatUtc(ctx.clock.WallNow()));
    if (!kept.ok()) return untouched(kept.status().message());
    ProgressMeter meter(ctx, "making the live database one file", std::nullopt);
    auto damaged = Quiesce(target, meter.ForWork());
    if (!damaged.ok()) {
      DropKept(target, kept.value());
      return untouched(damaged.status().message());
    }
    if (damaged.value())
      ctx.log(target + " cannot be read by SQLite: kept with its -wal as they were");
    Status s = kept.value().empty() ? Status::Ok()
                                    : SettleCompanions(target, kept.value(), damaged.value());
    if (!s.ok()) return AttemptResult::Failure(s.message());
    s = RenameDurable(tmp, target);
    if (!s.ok()) return AttemptResult::Failure(s.message());
    ctx.log("restored " + target +
            (kept.value().empty() ? "" : "; previous kept as " + kept.value()));
    return Restored(target, kept.value(), meta, authenticated);
  }

  static AttemptResult Restored(const std::string& target, const std::string& previous,
                                const LoadedMeta* meta, bool authenticated) {
    return AttemptResult::Success(
        {{"target", Value(target)},
         {"previous", Value(previous)},
         {"authenticated", Value(authenticated)},
         {"created_at", Value(meta ? meta->fields.at("created_at").ToText() : std::string())}});
  }

  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Restore>();
});

}  // namespace
}  // namespace runbook
