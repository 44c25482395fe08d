// Db::BeginFileSnapshot and the reads of the file it holds (engine/util/sqlite.h).
#include <sqlite3.h>

#include <algorithm>

#include "engine/util/sqlite.h"

namespace runbook {
namespace {

constexpr int kCheckpointTries = 40;  // about 1.5 s of sleeps between them

}  // namespace

Result<std::string> Db::BeginFileSnapshot(int timeout_ms) {
  auto writer = Open(path_, false, timeout_ms);
  if (!writer.ok()) return writer.status();
  writer.value()->StopWhen(stop_);
  writer.value()->ReportWaits(on_wait_);
  auto checkpointer = Open(path_, false, timeout_ms);
  if (!checkpointer.ok()) return checkpointer.status();
  checkpointer.value()->StopWhen(stop_);
  checkpointer.value()->ReportWaits(on_wait_);
  // A connection opens the WAL at its first read: before it, a checkpoint says "not in WAL
  // mode" (-1 frames) whatever the file is.
  Status s = checkpointer.value()->Exec("SELECT count(*) FROM sqlite_master");
  if (!s.ok()) return Status::Error("cannot read " + path_ + ": " + s.message());
  // A reader of older frames (often a writer waiting for the lock, holding its snapshot)
  // keeps the checkpoint from finishing: tries again for up to kCheckpointTries rounds.
  int log = 0, done = 0, rc = SQLITE_OK;
  for (int attempt = 0;; ++attempt) {
    s = writer.value()->Exec("BEGIN IMMEDIATE");  // no commit lands from here on
    if (!s.ok()) return Status::Error("cannot lock " + path_ + ": " + s.message());
    rc = sqlite3_wal_checkpoint_v2(checkpointer.value()->db_, "main", SQLITE_CHECKPOINT_PASSIVE,
                                   &log, &done);
    if (rc == SQLITE_OK && log == done) break;
    (void)writer.value()->Exec("ROLLBACK");
    if (stop_ && stop_()) return Status::Error("interrupted: the snapshot of " + path_);
    if (attempt + 1 >= kCheckpointTries)
      return "not checkpointed: " + std::to_string(done) + " of " + std::to_string(log) +
             " WAL frames reached " + path_ +
             (rc != SQLITE_OK ? std::string(" (") + sqlite3_errstr(rc) + ")" : "") + " after " +
             std::to_string(kCheckpointTries) + " tries";
    sqlite3_sleep(std::min(2 + attempt * 4, 50));
  }
  s = Exec("BEGIN");
  if (s.ok()) s = Exec("SELECT count(*) FROM sqlite_master");  // the snapshot starts here
  (void)writer.value()->Exec("ROLLBACK");
  bool wal = false;
  if (auto mode = s.ok() ? Prepare("PRAGMA journal_mode") : Result<Stmt>(s); !mode.ok()) {
    s = mode.status();
  } else if (auto row = mode.value().Step(); !row.ok()) {
    s = row.status();
  } else {
    wal = row.value() && mode.value().Text(0) == "wal";
  }
  if (s.ok() && wal && log < 0) {
    (void)Exec("ROLLBACK");
    return std::string("not checkpointed: the WAL was not read");
  }
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    return Status::Error("cannot read " + path_ + ": " + s.message());
  }
  return std::string();
}

Result<size_t> Db::ReadMainFile(char* buf, size_t n, int64_t offset) {
  sqlite3_file* file = nullptr;
  int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file);
  if (rc != SQLITE_OK || file == nullptr || file->pMethods == nullptr)
    return Status::Error("cannot reach the database file of " + path_);
  sqlite3_int64 size = 0;
  rc = file->pMethods->xFileSize(file, &size);
  if (rc != SQLITE_OK)
    return Status::Error("cannot read the size of " + path_ + ": " + sqlite3_errstr(rc));
  if (offset >= size) return size_t{0};
  size_t want =
      static_cast<size_t>(std::min<sqlite3_int64>(static_cast<sqlite3_int64>(n), size - offset));
  for (size_t done = 0; done < want;) {  // xRead takes an int count
    int chunk = static_cast<int>(std::min<size_t>(want - done, 1u << 30));
    rc = file->pMethods->xRead(file, buf + done, chunk, offset + static_cast<sqlite3_int64>(done));
    if (rc != SQLITE_OK) return Status::Error("cannot read " + path_ + ": " + sqlite3_errstr(rc));
    done += static_cast<size_t>(chunk);
  }
  return want;
}

void Db::EndFileSnapshot() { (void)Exec("ROLLBACK"); }

}  // namespace runbook
