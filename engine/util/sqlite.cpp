#include "engine/util/sqlite.h"

#include <sqlite3.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "engine/util/input_file.h"
#include "engine/util/own_file.h"

namespace runbook {
namespace {

// The errno of the last failed system call on the main file or, failing that, on its journal
// or WAL (SQLite's sqlite3_system_errno reads the global errno later, often 0 by then).
int FileErrno(sqlite3* db) {
  int e = 0;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e);
  if (e != 0) return e;
  sqlite3_file* journal = nullptr;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &journal);
  if (journal != nullptr && journal->pMethods != nullptr)
    journal->pMethods->xFileControl(journal, SQLITE_FCNTL_LAST_ERRNO, &e);
  return e;
}

// SQLite's message for the last error on `db`, with the operating system's error when it was
// an I/O error ("disk I/O error (File too large)": EFBIG under ulimit -f, ENOSPC, EIO...).
std::string Message(sqlite3* db) {
  // A read-only connection meeting a hot journal: SQLite says "attempt to write a readonly
  // database", which names neither the cause nor the cure (break22a #7).
  if (sqlite3_extended_errcode(db) == SQLITE_READONLY_ROLLBACK)
    return "it has a hot rollback journal beside it (a writer stopped in the middle of a "
           "transaction), which only a connection that may write rolls back: open it once "
           "read-write (sqlite3 FILE 'PRAGMA quick_check'), or back it up first (a backup "
           "rolls it back)";
  std::string message = sqlite3_errmsg(db);
  int code = sqlite3_extended_errcode(db) & 0xff;
  int os = sqlite3_system_errno(db);
  if (os == 0 && (code == SQLITE_IOERR || code == SQLITE_FULL)) os = FileErrno(db);
  if (os != 0 && (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN))
    message += std::string(" (") + std::strerror(os) + ")";
  return message;
}

// The last error on `db` as a Status after `prefix`: Busy for a lock another connection held
// past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED), else an Error.
Status ErrorOf(sqlite3* db, const std::string& prefix) {
  const int code = sqlite3_extended_errcode(db) & 0xff;
  std::string message = prefix + Message(db);
  return code == SQLITE_BUSY || code == SQLITE_LOCKED ? Status::Busy(std::move(message))
                                                      : Status::Error(std::move(message));
}

}  // namespace

namespace {

sqlite3* OpenFile(const std::string& path, int flags, std::string& error, const char* query = "",
                  bool vetted = false) {
  sqlite3* db = nullptr;
  if (Status regular = CheckInputPath(path); !regular.ok()) {
    error = regular.message();
    return nullptr;
  }
  // SQLite writes the -wal, -shm and -journal by name: never through a link planted there
  // (breakJ J1, J12, J29). An immutable open touches none of them.
  std::string companion = std::strlen(query) || vetted ? "" : SqliteCompanionProblem(path);
  if (!companion.empty()) {
    error = companion;
    return nullptr;
  }
  std::string uri = FileUri(path) + query;
  int rc = sqlite3_open_v2(uri.c_str(), &db, flags | SQLITE_OPEN_URI, nullptr);
  if (rc == SQLITE_OK) return db;
  error = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  sqlite3_close(db);
  return nullptr;
}

int OnProgress(void* stop) { return (*static_cast<std::function<bool()>*>(stop))() ? 1 : 0; }

}  // namespace

std::string FileUri(const std::string& path) {
  std::error_code ec;
  std::string abs = std::filesystem::absolute(path, ec).string();
  if (ec) abs = path;
  std::string out = "file://";
  for (unsigned char c : abs) {
    bool plain = std::isalnum(c) || std::strchr("/-._~", c) != nullptr;
    char escaped[4];
    std::snprintf(escaped, sizeof escaped, "%%%02X", c);
    out += plain ? std::string(1, static_cast<char>(c)) : std::string(escaped);
  }
  return out;
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool create, int busy_timeout_ms,
                                     bool companions_vetted) {
  std::string error;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  sqlite3* db = OpenFile(path, flags, error, "", companions_vetted);
  if (db == nullptr) return Status::Error("cannot open " + path + ": " + error);
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Db> out(new Db(db, path));
  out->WaitForLocks(busy_timeout_ms);
  return out;
}

Result<std::unique_ptr<Db>> Db::OpenReadOnly(const std::string& path, int busy_timeout_ms) {
  std::string error;
  sqlite3* db = OpenFile(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, error);
  if (db == nullptr) return Status::Error("cannot open " + path + ": " + error);
  std::unique_ptr<Db> out(new Db(db, path));
  out->WaitForLocks(busy_timeout_ms);
  return out;
}

Result<std::unique_ptr<Db>> Db::OpenImmutable(const std::string& path) {
  std::string error;
  sqlite3* db = OpenFile(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, error, "?immutable=1");
  if (db == nullptr) return Status::Error("cannot open " + path + ": " + error);
  return std::unique_ptr<Db>(new Db(db, path));
}

Result<int64_t> Db::MainFileHead(unsigned char* buf, int n) {
  sqlite3_file* file = nullptr;
  int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file);
  if (rc != SQLITE_OK || file == nullptr || file->pMethods == nullptr) {
    return Status::Error("cannot reach the database file of " + path_);
  }
  sqlite3_int64 size = 0;
  rc = file->pMethods->xFileSize(file, &size);
  if (rc == SQLITE_OK) rc = file->pMethods->xRead(file, buf, n, 0);
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) {
    return Status::Error("cannot read the database file of " + path_ + ": " + sqlite3_errstr(rc));
  }
  return static_cast<int64_t>(size);
}

void Db::KeepWalOnClose() {
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_wal_autocheckpoint(db_, 0);
}

void Db::WaitForLocks(int busy_timeout_ms) {
  busy_ms_ = busy_timeout_ms;
  sqlite3_busy_handler(db_, OnBusy, this);
}

int Db::OnBusy(void* self, int count) {
  auto* db = static_cast<Db*>(self);
  if (count * 10 >= db->busy_ms_ || (db->stop_ && db->stop_()) ||
      (db->stop_waits_ && db->stop_waits_()))
    return 0;
  if (db->on_wait_) db->on_wait_(count * 10, db->busy_ms_);
  sqlite3_sleep(10);
  return 1;
}

void Db::StopLockWaitsWhen(std::function<bool()> stop) { stop_waits_ = std::move(stop); }

void Db::ReportWaits(std::function<void(int waited_ms, int limit_ms)> on_wait) {
  on_wait_ = std::move(on_wait);
}

void Db::StopWhen(std::function<bool()> stop) {
  stop_ = std::move(stop);
  if (stop_)
    sqlite3_progress_handler(db_, 1000, OnProgress, &stop_);
  else
    sqlite3_progress_handler(db_, 0, nullptr, nullptr);
}

namespace {
// The main database's page size in bytes (0 when it cannot be read: no progress then).
uint64_t PageSizeOf(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  uint64_t size = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA main.page_size", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    size = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  return size;
}
}  // namespace

// Copies batches until done, a lock outlasts `timeout_ms`, an error, or the stop check.
int Db::StepBackup(void* handle, int timeout_ms, const Advance& advance, const Advance& sized) {
  auto* backup = static_cast<sqlite3_backup*>(handle);
  int waited = 0;
  const uint64_t page_size = advance ? PageSizeOf(db_) : 0;
  int copied = 0;  // pages
  for (;;) {
    if (stop_ && stop_()) return SQLITE_INTERRUPT;
    int rc = sqlite3_backup_step(backup, 1024);  // pages per batch
    if (advance && (rc == SQLITE_DONE || rc == SQLITE_OK)) {
      if (copied == 0 && sized)
        sized(static_cast<uint64_t>(sqlite3_backup_pagecount(backup)) * page_size);
      int now = sqlite3_backup_pagecount(backup) - sqlite3_backup_remaining(backup);
      if (now > copied) advance(static_cast<uint64_t>(now - copied) * page_size);
      copied = now;
    }
    if (rc == SQLITE_DONE || rc == SQLITE_OK) {
      if (rc == SQLITE_DONE) return rc;
      continue;
    }
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited >= timeout_ms) return rc;
    if (on_wait_) on_wait_(waited, timeout_ms);
    sqlite3_sleep(20);
    waited += 20;
  }
}

Status Db::BackupTo(const std::string& dest_path, int timeout_ms, const Advance& advance,
                    const Advance& sized) {
  // One read transaction for the whole copy: its snapshot is what is copied.
  Status s = Exec("BEGIN");
  if (s.ok()) s = Exec("SELECT count(*) FROM sqlite_master");
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    return Status::Error("cannot read " + path_ + ": " + s.message());
  }
  std::string error;
  sqlite3* dest = OpenFile(dest_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error);
  sqlite3_backup* backup = dest ? sqlite3_backup_init(dest, "main", db_, "main") : nullptr;
  if (backup == nullptr) {
    if (dest) error = sqlite3_errmsg(dest);
    sqlite3_close(dest);
    (void)Exec("ROLLBACK");
    return Status::Error("cannot copy " + path_ + " to " + dest_path + ": " + error);
  }
  int rc = StepBackup(backup, timeout_ms, advance, sized);
  sqlite3_backup_finish(backup);
  std::string message = Message(dest);  // the copy's side: where writes fail (EFBIG, ENOSPC)
  bool dest_failed = sqlite3_errcode(dest) != SQLITE_OK;  // read before the handle is closed
  sqlite3_close(dest);
  (void)Exec("ROLLBACK");
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_INTERRUPT) return Status::Error("interrupted: copy of " + path_ + " stopped");
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    return Status::Error(path_ + " stayed locked by a writer for longer than " +
                         std::to_string(timeout_ms / 1000) + "s");
  }
  if (dest_failed || (rc & 0xff) == SQLITE_IOERR || rc == SQLITE_FULL || rc == SQLITE_READONLY)
    return Status::Error("writing the copy " + dest_path + " failed: " + message);
  return Status::Error("backup of " + path_ + " failed: " + sqlite3_errstr(rc));
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return Status::Ok();
  sqlite3_free(error);  // the same text as sqlite3_errmsg, which Message extends
  return ErrorOf(db_, path_ + ": ");
}

Result<Stmt> Db::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return ErrorOf(db_, path_ + ": ");
  }
  return Stmt(stmt, db_);
}

std::string Db::Error() const { return Message(db_); }
int64_t Db::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
int64_t Db::Changes() const { return sqlite3_changes64(db_); }

Stmt::Stmt(Stmt&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}
Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::Bind(int index, const std::string& text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Stmt& Stmt::Bind(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, *text) : BindNull(index);
}
Stmt& Stmt::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}
Stmt& Stmt::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorOf(db_, "");
}

bool Db::LastFailedBusy() const {
  const int code = sqlite3_extended_errcode(db_) & 0xff;
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

bool Stmt::FailedOnDamage() const {
  return (sqlite3_extended_errcode(db_) & 0xff) == SQLITE_CORRUPT;
}

Status Stmt::Run() {
  for (;;) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return Status::Ok();
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Stmt::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}
int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
bool Stmt::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Transaction::~Transaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Begin() {
  Status s = db_.Exec("BEGIN IMMEDIATE");
  open_ = s.ok();
  return s;
}

Status Transaction::Commit() {
  Status s = db_.Exec("COMMIT");
  if (s.ok()) open_ = false;
  return s;
}

}  // namespace runbook
