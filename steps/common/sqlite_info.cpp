#include "steps/common/sqlite_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "engine/util/input_file.h"
#include "engine/util/json.h"
#include "steps/common/scratch.h"

namespace runbook {
namespace {

Result<int64_t> One(Db& db, const std::string& sql) {
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  return row.value() ? st.value().Int(0) : 0;
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Tells `waiting` how long the source has waited for a writer's lock, in whole seconds
// (breakK K11: a 12 s wait showed nothing, then "0 B of 250 MiB").
std::function<void(int, int)> LockWaitReport(const Waiting& waiting) {
  return [waiting](int waited_ms, int limit_ms) {
    // The numbers first: a narrow terminal cuts the end of the line (breakL L10).
    waiting("waiting " + std::to_string(waited_ms / 1000) + "s of at most " +
            std::to_string(limit_ms / 1000) + "s for a lock held by another connection");
  };
}

Result<DatabaseInfo> ReadDatabaseShape(Db& db) {
  DatabaseInfo info;
  auto version = db.Prepare("SELECT sqlite_version()");
  if (!version.ok()) return version.status();
  if (auto row = version.value().Step(); row.ok() && row.value())
    info.sqlite_version = version.value().Text(0);
  auto size = One(db, "PRAGMA page_size");
  auto count = One(db, "PRAGMA page_count");
  if (!size.ok()) return size.status();
  if (!count.ok()) return count.status();
  info.page_size = size.value();
  info.page_count = count.value();
  return info;
}

Result<int64_t> CountRows(Db& db, const std::string& table) {
  return One(db, "SELECT count(*) FROM " + QuoteIdentifier(table));
}

Result<std::vector<std::string>> TextColumn(Db& db, const std::string& sql,
                                            const std::string* arg) {
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  if (arg != nullptr) st.value().Bind(1, *arg);
  std::vector<std::string> out;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return out;
    out.push_back(st.value().Text(0));
  }
}

Result<std::vector<std::string>> UserTables(Db& db) {
  return TextColumn(db,
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
                    "'sqlite_%' ORDER BY name");
}

Result<DatabaseInfo> ReadDatabaseInfo(Db& db) {
  auto info = ReadDatabaseShape(db);
  if (!info.ok()) return info.status();
  auto tables = UserTables(db);
  if (!tables.ok()) return tables.status();
  for (const std::string& t : tables.value()) {
    auto rows = CountRows(db, t);
    if (!rows.ok()) return rows.status();
    info.value().tables[t] = Value(rows.value());
  }
  return info;
}

Status SnapshotDatabase(const std::string& source, const std::string& dest, int timeout_ms,
                        bool writable, const Work& work) {
  if (Status regular = CheckInputPath(source); !regular.ok()) return regular;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(source, ec))
    return Status::Error("no database file at " + source);
  // A whole copy of the database: 0600 from its first byte (SQLite would make it 0644, its
  // -journal alike; breakW W7). An existing `dest` (a scratch file of the caller) is kept.
  int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno != EEXIST) return Status::FromErrno("cannot create " + dest, errno);
  if (fd >= 0) ::close(fd);
  Status s;
  {  // the source's connection closes before the copy is settled
    auto src =
        writable ? Db::Open(source, false, timeout_ms) : Db::OpenReadOnly(source, timeout_ms);
    if (src.ok()) src.value()->StopWhen(work.stop);
    if (src.ok() && work.waiting) src.value()->ReportWaits(LockWaitReport(work.waiting));
    s = src.ok() ? src.value()->BackupTo(dest, timeout_ms, work.advance, work.sized) : src.status();
  }
  if (s.ok()) s = SettleJournal(dest, "DELETE");
  if (!s.ok()) RemoveWithCompanions(dest);
  return s;
}

bool IsWalFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[20] = {};
  if (!in.read(head, sizeof head)) return false;
  return head[18] == 2 || head[19] == 2;
}

Status SettleJournal(const std::string& path, const std::string& journal_mode) {
  {
    auto db = Db::Open(path, false, 5000);
    if (!db.ok()) return db.status();
    auto mode = db.value()->Prepare("PRAGMA journal_mode=" + journal_mode);
    if (!mode.ok()) return mode.status();
    auto row = mode.value().Step();
    if (!row.ok()) return row.status();
  }  // the last connection closes: SQLite checkpoints and deletes its -wal and -shm
  for (const char* side : {"-wal", "-shm", "-journal"}) {
    std::error_code ec;
    if (std::filesystem::exists(path + side, ec))
      return Status::Error(path + side + " is still beside the copy after closing it");
  }
  return Status::Ok();
}

std::vector<std::string> CompareManifest(const Value& manifest, const Value::Map& found) {
  if (!manifest.is_map()) return {"the manifest ('tables' of the metadata) is not a mapping"};
  std::vector<std::string> out;
  for (const auto& [table, rows] : manifest.as_map()) {
    auto it = found.find(table);
    if (it == found.end()) {
      out.push_back("table '" + table + "' of the manifest (" + rows.ToText() +
                    " rows) is missing from the copy");
    } else if (!rows.is_int()) {  // break22a #8: "has 100 rows; the manifest says 100"
      out.push_back("the manifest's row count for table '" + table + "' is not an integer (" +
                    ToJson(rows) + ")");
    } else if (it->second.as_int() != rows.as_int()) {
      out.push_back("table '" + table + "' has " + it->second.ToText() +
                    " rows; the manifest says " + rows.ToText());
    }
  }
  for (const auto& [table, rows] : found) {
    if (!manifest.as_map().count(table))
      out.push_back("table '" + table + "' (" + rows.ToText() + " rows) is not in the manifest");
  }
  return out;
}

namespace {

// The lines of an integrity pragma, at most `max`; empty for the single line "ok".
Result<std::vector<std::string>> PragmaLines(Db& db, const std::string& sql, size_t max) {
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  std::vector<std::string> lines;
  for (;;) {
    auto row = st.value().Step();
    // A check that stops on damage it cannot step over (a b-tree page SQLite cannot read
    // while scanning rows) has found a problem: the last one it reports.
    if (!row.ok() && st.value().FailedOnDamage()) {
      if (lines.size() < max) lines.push_back(row.status().message());
      return lines;
    }
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    // One row may hold several lines ("*** in database main ***\nPage 5 is never used").
    std::string text = st.value().Text(0);
    for (size_t at = 0; at < text.size() && lines.size() < max;) {
      size_t end = std::min(text.find('\n', at), text.size());
      if (end > at) lines.push_back(text.substr(at, end - at));
      at = end + 1;
    }
  }
  if (lines.size() == 1 && lines[0] == "ok") lines.clear();
  return lines;
}

}  // namespace

Result<std::vector<std::string>> IntegrityProblems(Db& db, bool quick, size_t max) {
  return PragmaLines(db, quick ? "PRAGMA quick_check" : "PRAGMA integrity_check", max);
}

Result<std::vector<std::string>> TableIntegrityProblems(Db& db, const std::string& table,
                                                        size_t max) {
  return PragmaLines(db, "PRAGMA integrity_check(" + QuoteIdentifier(table) + ")", max);
}

Result<std::vector<std::string>> ForeignKeyProblems(Db& db, size_t max) {
  auto st = db.Prepare("PRAGMA foreign_key_check");
  if (!st.ok()) return st.status();
  std::vector<std::string> lines;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    if (lines.size() < max) {
      lines.push_back("foreign key violation in " + st.value().Text(0) + " row " +
                      st.value().Text(1) + " -> " + st.value().Text(2));
    }
  }
  return lines;
}

}  // namespace runbook
