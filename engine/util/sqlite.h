// A thin SQLite wrapper: a connection and prepared statements with bind/step/column. The
// only code besides the audit store that touches SQLite; sqlite3.h stays in the .cpp.
// Errors are Status values carrying SQLite's message and the statement's purpose. A Db is
// used from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/util/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace runbook {

class Stmt;

class Db {
 public:
  // Opens (creating when `create`) a database file. busy_timeout applies to every lock wait.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool create,
                                          int busy_timeout_ms);
  // Read-only; fails on a file that is not a SQLite database once something is read.
  static Result<std::unique_ptr<Db>> OpenReadOnly(const std::string& path, int busy_timeout_ms);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status Exec(const std::string& sql);  // one or more statements, no results
  Result<Stmt> Prepare(const std::string& sql);
  // A consistent copy into `dest_path` with the online backup API: pages are copied in
  // batches, restarting when another connection writes, until done or `timeout_ms`.
  Status BackupTo(const std::string& dest_path, int timeout_ms);
  std::string Error() const;  // the last error message
  int64_t LastInsertRowid() const;
  const std::string& path() const { return path_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

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
