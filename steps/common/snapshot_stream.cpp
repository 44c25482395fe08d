#include "steps/common/snapshot_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/util/input_file.h"
#include "steps/common/files.h"
#include "steps/common/gzip_io.h"
#include "steps/common/scratch.h"

namespace runbook {
namespace {

// Header bytes 18 and 19: the file format write and read versions (2: WAL, 1: legacy).
void AsRollbackJournal(std::vector<char>& first_piece) {
  if (first_piece.size() < 20) return;
  for (int i : {18, 19})
    if (first_piece[i] == 2) first_piece[i] = 1;
}

// Streams the held snapshot of `db` into `writer`: its `info`'s page_count * page_size bytes.
Status Stream(Db& db, const DatabaseInfo& info, GzipWriter& writer, const Work& work) {
  uint64_t total = static_cast<uint64_t>(info.page_size) * static_cast<uint64_t>(info.page_count);
  if (work.sized) work.sized(total);
  if (work.advance) writer.TellWritten(work.advance);  // counted as compressed and written
  for (uint64_t at = 0; at < total;) {
    if (work.Stopped()) return Status::Error(kStoppedMessage);
    std::vector<char> piece(std::min<uint64_t>(writer.member_bytes(), total - at));
    auto got = db.ReadMainFile(piece.data(), piece.size(), static_cast<int64_t>(at));
    if (!got.ok()) return got.status();
    if (got.value() != piece.size())
      return Status::Error(db.path() + " is shorter than its " + std::to_string(info.page_count) +
                           " pages");
    if (at == 0) AsRollbackJournal(piece);
    at += piece.size();
    if (Status s = writer.Add(std::move(piece)); !s.ok()) return s;
  }
  return Status::Ok();
}

bool Busy(const Status& s) {
  return s.message().find("locked") != std::string::npos ||
         s.message().find("busy") != std::string::npos;
}

Result<SnapshotDump> Streamed(Db& db, int out, const std::string& gz, int level, const Work& work) {
  auto info = ReadDatabaseInfo(db);  // inside the snapshot: its rows
  if (!info.ok()) return info.status();
  GzipWriter writer(out, gz, level);
  Status s = Stream(db, info.value(), writer, work);
  auto z = s.ok() ? writer.Finish() : Result<GzipResult>(s);
  if (!z.ok()) return z.status();
  return SnapshotDump{z.value(), info.value()};
}

// The fallback: the online backup API into a scratch copy beside the dump, compressed. The
// copy's scratch name is that of `<dump stem>.sqlite` (not of the dump's own scratch name),
// so the next backup into the folder knows it as debris after a kill -9 (breakU U5);
// SnapshotDatabase makes it 0600 before SQLite writes into it: a full copy of the database.
Result<SnapshotDump> Copied(const std::string& database, const std::string& gz,
                            const std::string& dump, int level, int timeout_ms, const Work& work) {
  std::string raw = ScratchBeside(dump.substr(0, dump.size() - 3));  // x.sqlite.gz -> x.sqlite
  Status s = SnapshotDatabase(database, raw, timeout_ms, true, work);
  Result<SnapshotDump> r = s;
  if (s.ok()) {
    auto copy = Db::OpenReadOnly(raw, timeout_ms);
    auto info = copy.ok() ? ReadDatabaseInfo(*copy.value()) : Result<DatabaseInfo>(copy.status());
    auto z = info.ok() ? GzipFile(raw, gz, level, kGzipMemberBytes, Work(work.stop), 0600)
                       : Result<GzipResult>(info.status());
    r = z.ok() ? Result<SnapshotDump>(SnapshotDump{z.value(), info.value()}) : z.status();
  }
  RemoveWithCompanions(raw);
  return r;
}

// The dump as readable as the database, no more, set once it is whole (files.h ShareAccess;
// breakV V7, breakW W7, breakY Y6): 0600 until then. Its -wal counts too: the rows committed
// there are in the dump (breakZ Z4 variant: a 0600 -wal of a 0644 database).
Result<SnapshotDump> WithAccess(Result<SnapshotDump> r, const std::string& gz,
                                const std::string& database) {
  if (!r.ok()) return r;
  if (Status s = ShareAccess(gz, {database, database + "-wal"}); !s.ok()) {
    ::unlink(gz.c_str());
    return s;
  }
  return r;
}

}  // namespace

Result<SnapshotDump> DumpSnapshot(const std::string& database, const std::string& gz,
                                  const std::string& dump, int level, int timeout_ms,
                                  const Work& work,
                                  const std::function<void(const std::string&)>& log) {
  if (Status regular = CheckInputPath(database); !regular.ok()) return regular;
  auto db = Db::Open(database, false, timeout_ms);
  if (!db.ok()) return db.status();
  db.value()->StopWhen(work.stop);
  if (work.waiting) db.value()->ReportWaits(LockWaitReport(work.waiting));
  auto held = db.value()->BeginFileSnapshot(timeout_ms);
  if (!held.ok() || !held.value().empty()) {
    db.value().reset();
    if (work.Stopped()) return Status::Error(kStoppedMessage);
    if (!held.ok() && Busy(held.status())) return held.status();
    if (log)
      log("copying the database first: " + (held.ok() ? held.value() : held.status().message()));
    return WithAccess(Copied(database, gz, dump, level, timeout_ms, work), gz, database);
  }
  gzip_io::Fd out(::open(gz.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.get() < 0) {
    db.value()->EndFileSnapshot();
    return Status::FromErrno("cannot create " + gz, errno);
  }
  auto r = Streamed(*db.value(), out.get(), gz, level, work);
  db.value()->EndFileSnapshot();
  if (r.ok() && (::fsync(out.get()) != 0 || ::close(out.release()) != 0))
    r = Status::FromErrno("cannot write " + gz, errno);
  if (!r.ok()) ::unlink(gz.c_str());
  return WithAccess(std::move(r), gz, database);
}

}  // namespace runbook
