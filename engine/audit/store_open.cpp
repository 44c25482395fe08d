// Opening an audit store and keeping its identity: create and migrate (Open), open an
// existing one for reading (OpenExisting), and the checks that the file at the path is still
// the one opened (CheckIdentity, Verify). Split from store.cpp, which appends and reads.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "engine/audit/store.h"
#include "engine/util/clock.h"
#include "engine/util/own_file.h"
#include "engine/util/proc_identity.h"
#include "engine/util/sqlite.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

const char* kSchemaV1 = R"sql(
CREATE TABLE events(
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  at TEXT NOT NULL,
  step TEXT NOT NULL DEFAULT '',
  attempt INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE INDEX events_by_run ON events(run_id, seq);
CREATE TABLE runs(
  run_id TEXT PRIMARY KEY,
  runbook TEXT NOT NULL,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  duration_ms INTEGER,
  rto_ms INTEGER, rto_objective_ms INTEGER,
  rpo_ms INTEGER, rpo_objective_ms INTEGER,
  objectives_met INTEGER,
  resumed_from TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL, pid INTEGER NOT NULL, pid_start TEXT NOT NULL);
CREATE INDEX runs_by_start ON runs(started_at);
CREATE TABLE locks(
  name TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  host TEXT NOT NULL, pid INTEGER NOT NULL, pid_start TEXT NOT NULL,
  acquired_at TEXT NOT NULL);
CREATE TABLE heads(
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  signed_at TEXT NOT NULL);
)sql";

// A run is resumed once only (breakI I17): two resumes of one run at once cannot both
// record their start. Added to stores of schema 1 when they are opened for writing.
const char* kResumedOnce =
    "CREATE UNIQUE INDEX IF NOT EXISTS runs_resumed_once ON runs(resumed_from) "
    "WHERE resumed_from != ''";

// Listings read the chained run_started events of every run (run_listing.h, breakGG G7):
// added to stores when they are opened for writing.
const char* kEventsByKind = "CREATE INDEX IF NOT EXISTS events_by_kind ON events(kind, seq)";

// The runs that resumed a run another run had resumed first (the store had the I17 bug):
// every resume of a run but its first, by start time then row order.
const char* kLaterResumes =
    "SELECT r.run_id FROM runs r WHERE r.resumed_from != '' AND EXISTS (SELECT 1 FROM runs o "
    "WHERE o.resumed_from = r.resumed_from AND (o.started_at < r.started_at OR "
    "(o.started_at = r.started_at AND o.rowid < r.rowid))) ORDER BY r.run_id";

std::string Quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// kResumedOnce on a store that already holds a run resumed twice (breakJ J15): the index
// leaves out, by run id, the later resumes already recorded (their history stays as it is)
// and holds every other, so no run can be resumed twice from now on.
Status ResumedOnceAroundDuplicates(Db& db) {
  auto st = db.Prepare(kLaterResumes);
  if (!st.ok()) return st.status();
  std::string ids;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    ids += (ids.empty() ? "" : ", ") + Quoted(st.value().Text(0));
  }
  if (ids.empty()) return Status::Error("no duplicate resume found");
  return db.Exec(std::string(kResumedOnce) + " AND run_id NOT IN (" + ids + ")");
}

// The unique index, made or there; never skipped silently: a store that cannot get it is
// not written (two resumes at once would both run the steps).
Status EnsureResumedOnce(Db& db) {
  Status s = db.Exec(kResumedOnce);
  if (s.ok() || s.message().find("UNIQUE") == std::string::npos) return s;
  Status around = ResumedOnceAroundDuplicates(db);
  if (around.ok()) return around;
  return Status::Error("cannot add the index that keeps a run from being resumed twice (" +
                       s.message() + "; then " + around.message() + ")");
}

Result<int64_t> ReadInt(Db& db, const std::string& sql) {
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  return row.value() ? st.value().Int(0) : 0;
}

Result<int64_t> ApplicationId(Db& db) { return ReadInt(db, "PRAGMA application_id"); }

Status NotAStore(const std::string& why) {
  return Status::Error("not a runbook audit store (" + why +
                       "); give --audit-db a new file or an existing store");
}

Status Newer(int64_t version) {
  return Status::Error("written by a newer runbook (schema " + std::to_string(version) +
                       ", this one knows " + std::to_string(kAuditSchemaVersion) + ")");
}

// A file about to receive our schema holds nothing else: never add tables to someone's
// database because --audit-db named it by mistake.
Status CheckEmpty(Db& db) {
  auto id = ApplicationId(db);
  if (!id.ok()) return id.status();
  if (id.value() != 0 && id.value() != kAuditApplicationId) {
    return NotAStore("its application id is " + std::to_string(id.value()));
  }
  auto tables = ReadInt(db, "SELECT count(*) FROM sqlite_schema");
  if (!tables.ok()) return tables.status();
  if (tables.value() > 0) return NotAStore("it holds other tables");
  return Status::Ok();
}

// Whether the database has runbook's tables (a store written before the application id
// was stamped has them; another application's file with a user_version of its own does not).
Result<bool> HasOurTables(Db& db) {
  auto n = ReadInt(db,
                   "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name IN "
                   "('events','runs','locks','heads')");
  if (!n.ok()) return n.status();
  return n.value() == 4;
}

// Whether `path` is the root of a mount: a file bind-mounted there (`docker run -v
// /srv/audit.db:/data/audit.db`) is one inode under two names, like a hard link (breakJ J2).
bool IsMountRoot(const std::string& path) {
  struct statx sx {};
  if (::statx(AT_FDCWD, path.c_str(), 0, STATX_BASIC_STATS, &sx) != 0) return false;
  return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

// Why the store's file, or its -wal or -shm, cannot be written through `path`: a second hard
// link or a file bind mount (SQLite names its write-ahead log by path: writers through two
// names would each have their own, and one's records would never reach the other's readers,
// breakI I9, breakJ J2), or a -wal/-shm that is a link or not a regular file (its writes
// would land elsewhere, I10).
Status LinkProblem(const std::string& path) {
  if (IsMountRoot(path))
    return Status::Error(path +
                         " is a mount point (a file bind mount): SQLite keys the write-ahead log "
                         "by name, so runs through the other path would not be recorded here; "
                         "mount the folder that holds the store instead");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1)
    return Status::Error(path + " has " + std::to_string(st.st_nlink) +
                         " hard links: SQLite keys the write-ahead log by name, so runs "
                         "through another name would not be recorded here; use one name");
  for (const char* side : {"-wal", "-shm"}) {
    std::string companion = path + side;
    if (::lstat(companion.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode) || st.st_nlink > 1)
      return Status::Error("refusing " + companion +
                           ": it is a link or not a regular file of its own; runbook writes "
                           "only its own files (remove it if no run is going on)");
  }
  return Status::Ok();
}

// Why a store that could not be opened to write cannot be written, in words, "" when none is
// seen: SQLite says "unable to open database file (No such file or directory)" for a store
// that exists on read-only media (break22b #8). A run writes the file and, beside it, its
// -wal and -shm.
std::string NotWritable(const std::string& path) {
  std::string folder = std::filesystem::path(path).parent_path().string();
  if (folder.empty()) folder = ".";
  for (const std::string& p : {path, folder}) {
    if (::access(p.c_str(), W_OK) == 0 || (errno != EROFS && errno != EACCES)) continue;
    const bool media = errno == EROFS;
    const std::string what = p == path ? "the store" : "its folder " + folder;
    return what + (media ? " is on a read-only file system" : " is not writable by this user") +
           ": a run records into the store and writes its -wal and -shm beside it (history, "
           "show and audit still read it)";
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<AuditStore>> AuditStore::Open(const std::string& path, int busy_timeout_ms) {
  if (Status links = LinkProblem(path); !links.ok())
    return Status::Error("audit store " + path + ": " + links.message());
  // A new store is 0600 from its first byte (its -wal and -shm take its mode): it holds
  // params, outputs and the tails of every command's output (breakZ, the store's 0644).
  int made = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (made >= 0) ::close(made);
  // Runs started at once on a store that does not exist yet race to create it: switching
  // a new file to WAL takes a lock SQLite's busy handler does not wait for, so the losers
  // try again, up to the busy timeout (breakI I4: all but one failed "database is locked").
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    auto db = Db::Open(path, true, busy_timeout_ms);
    Status s = db.status();
    std::unique_ptr<AuditStore> store;
    if (s.ok()) {
      store.reset(new AuditStore(std::move(db).value()));
      s = store->CheckNotForeign();  // before anything is written, the journal mode too
    }
    if (s.ok()) s = store->db_->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    if (s.ok()) s = store->Migrate();
    if (s.ok()) s = store->NoteIdentity();
    if (s.ok()) return store;
    if (!s.busy() || std::chrono::steady_clock::now() >= until) {
      if (std::string why = NotWritable(path); !s.busy() && !why.empty())
        return Status::Error("audit store " + path + ": " + why);
      return s.Prefixed("audit store " + path + ": ");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

namespace {

enum class ReadMode { kWrite, kReadOnly, kImmutable };

Result<std::unique_ptr<Db>> OpenAs(const std::string& path, ReadMode mode, int busy_ms) {
  if (mode == ReadMode::kWrite) return Db::Open(path, false, busy_ms);
  if (mode == ReadMode::kReadOnly) return Db::OpenReadOnly(path, busy_ms);
  return Db::OpenImmutable(path);
}

Status NoStoreAt(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return Status::Ok();
  if (errno == ENOENT) {
    return Status::Error("no audit store at " + path +
                         ": nothing has been recorded there (check --audit-db or "
                         "RUNBOOK_AUDIT_DB)");
  }
  return Status::Error("audit store " + path + ": " + std::strerror(errno));
}

}  // namespace

namespace {

const std::string kCopyPrefix = "runbook-store-copy-";

// Removes the private copies (OpenPrivateCopy) of readers of this place that are gone (a
// reader killed before it removed its own: break22c #9): named PREFIX-WHERE-PID-START-XXXXXX.
void SweepDeadCopies(const std::filesystem::path& temp) {
  std::error_code ec;
  const std::string where = kCopyPrefix + WhereToken() + "-";
  for (auto it = std::filesystem::directory_iterator(temp, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(where, 0) != 0) continue;
    std::string rest = name.substr(where.size());
    size_t dash = rest.find('-');
    size_t dash2 = dash == std::string::npos ? dash : rest.find('-', dash + 1);
    if (dash2 == std::string::npos) continue;
    ProcessIdentity who{HostName(), std::atoi(rest.substr(0, dash).c_str()),
                        rest.substr(dash + 1, dash2 - dash - 1)};
    if (who.pid > 0 && !IsAlive(who)) {
      std::error_code gone;
      std::filesystem::remove_all(it->path(), gone);
    }
  }
}

// The size of the store's -wal, 0 when there is none.
uint64_t WalBytes(const std::string& path) {
  std::error_code ec;
  uintmax_t n = std::filesystem::file_size(path + "-wal", ec);
  return ec ? 0 : n;
}

}  // namespace

// A store that can be opened neither to write nor read-only (read-only media, no -shm beside
// it) while its -wal holds events: SQLite's immutable mode would read it without them. The
// store and its -wal are copied into a private folder (0700) and read there, with a note.
Result<std::unique_ptr<AuditStore>> AuditStore::OpenPrivateCopy(const std::string& path,
                                                                int busy_timeout_ms) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path temp = fs::temp_directory_path(ec);
  if (ec) temp = "/tmp";
  SweepDeadCopies(temp);
  const ProcessIdentity self = SelfIdentity();
  std::string pattern = (temp / (kCopyPrefix + WhereToken() + "-" + std::to_string(self.pid) + "-" +
                                 self.start + "-XXXXXX"))
                            .string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return Status::FromErrno("audit store " + path +
                                 ": its -wal holds events that only a copy "
                                 "could read here, and no folder for one can be made in " +
                                 temp.string(),
                             errno);
  const std::string copy = pattern + "/audit.db";
  for (const char* suffix : {"", "-wal"}) {
    fs::copy_file(path + suffix, copy + suffix, ec);
    if (ec) {
      std::string why = ec.message();
      fs::remove_all(pattern, ec);
      return Status::Error("audit store " + path +
                           ": its -wal holds events that only a copy "
                           "could read here, and the copy into " +
                           temp.string() + " failed: " + why);
    }
  }
  auto db = Db::OpenReadOnly(copy, busy_timeout_ms);
  Status s = db.status();
  std::unique_ptr<AuditStore> store;
  if (s.ok()) {
    store.reset(new AuditStore(std::move(db).value()));
    store->read_only_ = true;
    store->private_copy_ = pattern;
    store->copied_from_ = path;
    s = store->CheckReadable();
  }
  if (!s.ok()) {
    store.reset();
    fs::remove_all(pattern, ec);
    return s;
  }
  store->read_note_ = "its folder cannot be written and it has no -shm beside its -wal (" +
                      std::to_string(WalBytes(path)) +
                      " bytes): read from a private copy of both, so the events the -wal holds "
                      "are included";
  return store;
}

Result<std::unique_ptr<AuditStore>> AuditStore::OpenExisting(const std::string& path,
                                                             int busy_timeout_ms) {
  if (Status there = NoStoreAt(path); !there.ok()) return there;
  // Readers too: even a read-only open writes the -shm (breakJ J29), and an immutable one
  // would silently leave out the -wal's events.
  if (std::string why = SqliteCompanionProblem(path); !why.empty())
    return Status::Error("audit store " + path + ": " + why);
  Status first;
  for (ReadMode mode : {ReadMode::kWrite, ReadMode::kReadOnly, ReadMode::kImmutable}) {
    if (mode == ReadMode::kWrite && !LinkProblem(path).ok()) continue;  // read, never write
    if (mode == ReadMode::kImmutable && WalBytes(path) > 0)             // immutable would skip it
      return OpenPrivateCopy(path, busy_timeout_ms);                    // its error says why not
    auto db = OpenAs(path, mode, busy_timeout_ms);
    Status s = db.status();
    if (s.ok()) {
      std::unique_ptr<AuditStore> store(new AuditStore(std::move(db).value()));
      store->read_only_ = mode != ReadMode::kWrite;
      s = store->CheckReadable();
      if (s.ok()) s = store->NoteIdentity();
      if (s.ok()) return store;
    }
    if (first.ok()) first = s;
  }
  return first.Prefixed("audit store " + path + ": ");
}

namespace {

// The device and inode at `path`; {0, 0} when nothing is there.
std::pair<dev_t, ino_t> FileId(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

// Unlinks `path` only while it is still the file `id` names (never another store's).
void RemoveIfSame(const std::string& path, std::pair<dev_t, ino_t> id) {
  if (id.second != 0 && FileId(path) == id) unlink(path.c_str());
}

// Renames `path` to `aside` only while it is still the file `id` names.
void KeepAsideIfSame(const std::string& path, std::pair<dev_t, ino_t> id,
                     const std::string& aside) {
  if (id.second != 0 && FileId(path) == id) (void)rename(path.c_str(), aside.c_str());
}

}  // namespace

Status AuditStore::Verify() {
  Status s = CheckIdentity();
  if (s.ok() || salvaged_ || read_only_) return s;
  salvaged_ = true;
  if (rewritten_) {  // the inode is ours but its bytes are not: never merge into them
    db_->KeepWalOnClose();
    KeepAsideIfSame(abs_path_ + "-wal", wal_id_, wal_aside_);
    RemoveIfSame(abs_path_ + "-shm", shm_id_);
    return s;
  }
  // SQLite names the WAL by path and neither checkpoints nor deletes it once the database
  // has moved: the committed events would stay in a -wal that the next store opened at the
  // path would merge into itself. The checkpoint goes through this connection's open files
  // into the file it opened; then our -wal and -shm leave the path, if they are ours.
  (void)db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  RemoveIfSame(abs_path_ + "-wal", wal_id_);
  RemoveIfSame(abs_path_ + "-shm", shm_id_);
  return s;
}

Status AuditStore::NoteIdentity() {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path(), ec);
  abs_path_ = ec ? path() : abs.lexically_normal().string();
  struct stat st;
  if (stat(path().c_str(), &st) != 0) return Status::Error(std::string(std::strerror(errno)));
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  owner_ = st.st_uid;
  // No step and no command output may write over it (own_file.h, breakJ J22).
  ClaimRunbookFile(abs_path_, "runbook's audit store " + abs_path_, true);
  auto facts = ReadStoreFile(*db_);
  if (!facts.ok()) return facts.status();
  file_ = facts.value();
  wal_id_ = FileId(abs_path_ + "-wal");  // WAL mode: both exist once the store was read
  shm_id_ = FileId(abs_path_ + "-shm");
  return Status::Ok();
}

Status AuditStore::CheckIdentity() const {
  struct stat st;
  if (stat(abs_path_.c_str(), &st) != 0) {
    return Status::Error("audit store " + abs_path_ + " is gone during the run (" +
                         std::strerror(errno) +
                         "): it was deleted, renamed away or its folder removed; events "
                         "written now would be lost");
  }
  if (st.st_dev != dev_ || st.st_ino != ino_) {
    return Status::Error("audit store " + abs_path_ + " was replaced during the run (" +
                         (S_ISDIR(st.st_mode) ? "a folder" : "another file") +
                         " is at its path now); events written now would be lost");
  }
  return CheckContent();
}

Status AuditStore::CheckContent() const {
  auto now = ReadStoreFile(*db_);
  Status same = now.ok() ? SameStoreFile(file_, now.value()) : now.status();
  if (same.ok()) {
    file_ = now.value();  // other writers' checkpoints only grow it: the floor rises
    return same;
  }
  rewritten_ = true;
  std::string stamp = FormatUtc(SystemClock().WallNow());
  stamp.erase(std::remove(stamp.begin(), stamp.end(), ':'), stamp.end());
  wal_aside_ = abs_path_ + "-wal.rewritten-" + stamp;
  return Status::Error("audit store " + abs_path_ + " was " + same.message() +
                       " during the run, by another program: its earlier records may be lost; "
                       "runbook's write-ahead log (the events not yet in the file) is kept "
                       "aside as " +
                       wal_aside_ + ", never merged into the rewritten file");
}

Status AuditStore::Migrate() {
  auto st = db_->Prepare("PRAGMA user_version");
  if (!st.ok()) return st.status();
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  int64_t version = st.value().Int(0);
  if (version == kAuditSchemaVersion) {
    Status own = CheckOwnFormat();
    if (!own.ok()) return own;
    Status once = EnsureResumedOnce(*db_);
    if (once.ok()) once = db_->Exec(kEventsByKind);
    return once.ok() ? EnsureLiveness() : once;
  }
  if (version > kAuditSchemaVersion) return Newer(version);
  Transaction tx(*db_);
  Status s = tx.Begin();
  if (!s.ok()) return s;
  // Re-read under the write lock: another process may have migrated meanwhile.
  auto again = db_->Prepare("PRAGMA user_version");
  if (!again.ok()) return again.status();
  (void)again.value().Step();
  if (again.value().Int(0) == 0) {
    s = CheckEmpty(*db_);
    if (s.ok()) s = db_->Exec(kSchemaV1);
    if (s.ok()) s = db_->Exec(kResumedOnce);
    if (s.ok()) s = db_->Exec(kEventsByKind);
    if (s.ok()) s = EnsureLiveness();
    if (s.ok()) s = db_->Exec("PRAGMA user_version=" + std::to_string(kAuditSchemaVersion));
    if (s.ok()) s = db_->Exec("PRAGMA application_id=" + std::to_string(kAuditApplicationId));
    if (!s.ok()) return s;
  }
  return tx.Commit();
}

// A store of this schema names itself with our application id; stores written before the id
// existed (0) get it now, once.
Status AuditStore::CheckOwnFormat() {
  auto id = ApplicationId(*db_);
  if (!id.ok()) return id.status();
  if (id.value() == kAuditApplicationId) return Status::Ok();
  if (id.value() != 0) return NotAStore("its application id is " + std::to_string(id.value()));
  auto ours = HasOurTables(*db_);  // never stamp another application's file
  if (!ours.ok()) return ours.status();
  if (!ours.value()) return NotAStore("it has a user_version but not runbook's tables");
  if (read_only_) return Status::Ok();
  return db_->Exec("PRAGMA application_id=" + std::to_string(kAuditApplicationId));
}

Status AuditStore::CheckNotForeign() {
  auto version = ReadInt(*db_, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (version.value() == 0) return CheckEmpty(*db_);
  auto id = ApplicationId(*db_);
  if (!id.ok()) return id.status();
  if (id.value() != 0 && id.value() != kAuditApplicationId) {
    return NotAStore("its application id is " + std::to_string(id.value()));
  }
  if (id.value() == 0) {  // a store from before the id, or another application's schema
    auto ours = HasOurTables(*db_);
    if (!ours.ok()) return ours.status();
    if (!ours.value()) {
      return NotAStore("its user_version is " + std::to_string(version.value()) +
                       " but it has not runbook's tables");
    }
  }
  return Status::Ok();
}

Status AuditStore::CheckReadable() {
  auto version = ReadInt(*db_, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (version.value() == 0) return NotAStore("it has no runbook schema");
  if (version.value() > kAuditSchemaVersion) {  // a newer runbook's store carries our id
    auto id = ApplicationId(*db_);
    if (!id.ok()) return id.status();
    if (id.value() != kAuditApplicationId)
      return NotAStore("its user_version is " + std::to_string(version.value()) +
                       " and its application id " + std::to_string(id.value()));
    return Newer(version.value());
  }
  Status s = CheckOwnFormat();
  if (s.ok()) s = ReadInt(*db_, "SELECT count(*) FROM heads").status();  // reads through the WAL
  return s;
}

}  // namespace runbook
