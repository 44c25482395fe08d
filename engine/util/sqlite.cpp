#include "engine/util/sqlite.h"

#include <sqlite3.h>

#include <cstring>
#include <utility>

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
  std::string message = sqlite3_errmsg(db);
  int code = sqlite3_extended_errcode(db) & 0xff;
  int os = sqlite3_system_errno(db);
  if (os == 0 && (code == SQLITE_IOERR || code == SQLITE_FULL)) os = FileErrno(db);
  if (os != 0 && (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN))
    message += std::string(" (") + std::strerror(os) + ")";
  return message;
}

}  // namespace

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool create, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::Error("cannot open " + path + ": " + message);
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Db>(new Db(db, path));
}

Result<std::unique_ptr<Db>> Db::OpenReadOnly(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::Error("cannot open " + path + ": " + message);
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<Db>(new Db(db, path));
}

Status Db::BackupTo(const std::string& dest_path, int timeout_ms) {
  sqlite3* dest = nullptr;
  if (sqlite3_open_v2(dest_path.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    std::string message = dest ? sqlite3_errmsg(dest) : "out of memory";
    sqlite3_close(dest);
    return Status::Error("cannot create " + dest_path + ": " + message);
  }
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", db_, "main");
  if (backup == nullptr) {
    std::string message = sqlite3_errmsg(dest);
    sqlite3_close(dest);
    return Status::Error("cannot start the backup of " + path_ + ": " + message);
  }
  int rc = SQLITE_OK;
  int waited = 0;
  while (true) {
    rc = sqlite3_backup_step(backup, 4096);  // pages per batch; a writer restarts the copy
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_OK) continue;
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && waited < timeout_ms) {
      sqlite3_sleep(20);
      waited += 20;
      continue;
    }
    break;
  }
  sqlite3_backup_finish(backup);
  std::string message = Message(dest);  // the copy's side: where writes fail (EFBIG, ENOSPC)
  sqlite3_close(dest);
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    return Status::Error(path_ + " stayed locked by a writer for longer than " +
                         std::to_string(timeout_ms / 1000) + "s");
  }
  if (sqlite3_errcode(dest) != SQLITE_OK || (rc & 0xff) == SQLITE_IOERR || rc == SQLITE_FULL ||
      rc == SQLITE_READONLY)
    return Status::Error("writing the copy " + dest_path + " failed: " + message);
  return Status::Error("backup of " + path_ + " failed: " + sqlite3_errstr(rc));
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return Status::Ok();
  sqlite3_free(error);  // the same text as sqlite3_errmsg, which Message extends
  std::string message = Message(db_);
  return Status::Error(path_ + ": " + message);
}

Result<Stmt> Db::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return Status::Error(path_ + ": " + Error());
  }
  return Stmt(stmt, db_);
}

std::string Db::Error() const { return Message(db_); }
int64_t Db::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

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
  return Status::Error(Message(db_));
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
