// A thin SQLite wrapper: a connection and prepared statements with bind/step/column. The
// only code besides the audit store that touches SQLite; sqlite3.h stays in the .cpp.
// Errors are Status values carrying SQLite's message and the statement's purpose. A Db is
// used from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/util/status.h"
#include "engine/util/work.h"

struct sqlite3;
struct sqlite3_stmt;

namespace runbook {

class Stmt;

class Db {
 public:
  // Every path is opened as a file, never as a special name: `:memory:`, `file:x?mode=memory`
  // or `file:y` name files in the working folder (FileUri). busy_timeout applies to every
  // lock wait. Opens (creating when `create`) a database file. Every open but an immutable
  // one first refuses a -wal, -shm or -journal that is a link or not a regular file
  // (SqliteCompanionProblem, engine/util/own_file.h), unless `companions_vetted`: the caller
  // checked them by a rule of its own (restore: its kept copy's links to them).
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool create, int busy_timeout_ms,
                                          bool companions_vetted = false);
  // Read-only; fails on a file that is not a SQLite database once something is read.
  static Result<std::unique_ptr<Db>> OpenReadOnly(const std::string& path, int busy_timeout_ms);
  // Read-only with SQLite's `immutable=1`: no locks, no -shm, and a -wal beside the file is
  // not read. For files on read-only media, or where nothing can be created beside them.
  static Result<std::unique_ptr<Db>> OpenImmutable(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status Exec(const std::string& sql);  // one or more statements, no results
  Result<Stmt> Prepare(const std::string& sql);
  // A consistent copy into `dest_path` with the online backup API, taken inside one read
  // transaction on this connection: the copy is the database as it was at the start, and
  // other connections' commits neither block nor restart it (in WAL mode). `timeout_ms`
  // bounds the wait for a lock. Pages go in bounded batches; the stop check runs between
  // them and ends the copy with an error whose message starts with "interrupted".
  // `advance` is told the bytes (pages times the page size) each batch copied, `sized` the
  // whole copy's bytes once the first batch tells the page count.
  Status BackupTo(const std::string& dest_path, int timeout_ms, const Advance& advance = {},
                  const Advance& sized = {});
  // Begins a read transaction on this connection in which the main database file itself
  // holds the snapshot, byte for byte, until EndFileSnapshot: a backup then streams the file
  // (ReadMainFile) instead of copying it first (issue 15). WAL mode: for a moment (at most
  // `timeout_ms` of waiting) a second connection holds the write lock while a third runs a
  // PASSIVE checkpoint; when every frame reached the file, this transaction starts on a
  // fully checkpointed WAL and so reads the file alone, and no checkpoint may write the file
  // while it lasts (https://www.sqlite.org/wal.html, "Checkpointing": a checkpoint stops at
  // the end mark of any current reader, here 0). Then the writer lock is released: the
  // backend writes on, into the WAL. Rollback-journal mode: the transaction's shared lock
  // keeps writers from committing. Returns "" once the transaction holds the snapshot;
  // otherwise, holding nothing, why the file cannot hold it ("not checkpointed: ...": a
  // reader of older pages kept the checkpoint from finishing), and the caller copies the
  // database instead. An error, holding nothing, when a lock was not had in time or the
  // database cannot be read.
  Result<std::string> BeginFileSnapshot(int timeout_ms);
  // Reads up to `n` bytes at `offset` of the main database file through SQLite's own open
  // file (never a second descriptor: see MainFileHead); returns the bytes read, fewer only
  // at the end of the file.
  Result<size_t> ReadMainFile(char* buf, size_t n, int64_t offset);
  // Ends the transaction BeginFileSnapshot began.
  void EndFileSnapshot();
  // `stop` (called often, from this thread) returning true interrupts the running statement
  // (SQLITE_INTERRUPT, an error "interrupted"), a lock wait (SQLITE_BUSY) or a backup.
  // Empty: never.
  void StopWhen(std::function<bool()> stop);
  // `on_wait` (called from this thread, about every 10 ms) is told how long a lock wait has
  // lasted so far and the limit, both in milliseconds, while this connection waits for a
  // lock another connection holds; waiting(0, limit) is its first call. Empty: nobody.
  void ReportWaits(std::function<void(int waited_ms, int limit_ms)> on_wait);
  // `stop` (called about every 10 ms while this connection waits for a lock another holds)
  // returning true ends that wait at once (SQLITE_BUSY, a Busy status); running statements
  // are not interrupted. Empty: waits last the busy timeout.
  void StopLockWaitsWhen(std::function<bool()> stop);
  // No checkpoint on close, and none automatic: a -wal stays as it is beside the file (for
  // a file rewritten behind SQLite's back, where a checkpoint would write into foreign bytes).
  void KeepWalOnClose();
  // The main database file's size in bytes and its first `n` bytes (fewer when shorter; the
  // rest zeroed), read through SQLite's own open file (SQLITE_FCNTL_FILE_POINTER). Never
  // open and close the file beside SQLite: POSIX drops a process's locks on a file when any
  // of its descriptors for that file is closed (https://www.sqlite.org/howtocorrupt.html 2.2).
  Result<int64_t> MainFileHead(unsigned char* buf, int n);
  std::string Error() const;  // the last error message
  // Whether the last failure on this connection was a lock another connection held past
  // busy_timeout (SQLITE_BUSY or SQLITE_LOCKED): trying again later may succeed.
  bool LastFailedBusy() const;
  int64_t LastInsertRowid() const;
  // Rows the last INSERT, UPDATE or DELETE on this connection changed.
  int64_t Changes() const;
  const std::string& path() const { return path_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  int StepBackup(void* backup, int timeout_ms, const Advance& advance, const Advance& sized);
  static int OnBusy(void* self, int count);  // waits busy_ms_, polling the stop check
  void WaitForLocks(int busy_timeout_ms);
  sqlite3* db_;
  int busy_ms_ = 0;
  std::string path_;
  std::function<bool()> stop_;
  std::function<bool()> stop_waits_;
  std::function<void(int, int)> on_wait_;
};

// `path` as an SQLite URI naming that file (absolute, percent-encoded): `file:///abs/path`.
std::string FileUri(const std::string& path);

class Stmt {
 public:
  Stmt(Stmt&& other) noexcept;
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;

  // Parameters are 1-based, as in SQLite.
  Stmt& Bind(int index, const std::string& text);
  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, const std::optional<std::string>& text);  // NULL when empty
  Stmt& Bind(int index, const std::optional<int64_t>& value);
  Stmt& BindNull(int index);

  // One step: a row (true), done (false), or an error.
  Result<bool> Step();
  // After a Step that failed: SQLite found the file damaged (SQLITE_CORRUPT), as opposed to
  // a lock, an interruption or an I/O error.
  bool FailedOnDamage() const;
  Status Run();  // steps to the end, ignoring rows
  void Reset();

  std::string Text(int column) const;  // "" for NULL
  int64_t Int(int column) const;       // 0 for NULL
  bool IsNull(int column) const;

 private:
  friend class Db;
  Stmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

// A transaction that rolls back unless committed. BEGIN IMMEDIATE takes the write lock at
// once, so a writer waits (busy_timeout) at the start, never half way through.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) {}
  ~Transaction();
  Status Begin();
  Status Commit();

 private:
  Db& db_;
  bool open_ = false;
};

}  // namespace runbook
