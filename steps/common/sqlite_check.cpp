#include "steps/common/sqlite_check.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace runbook {
namespace {

// Per connection: a 128 MiB mmap window and a 64 MiB page cache. The check walks every
// b-tree and index checks revisit table pages; two connections stay under 512 MiB together.
constexpr const char* kReadTuning = "PRAGMA mmap_size=134217728; PRAGMA cache_size=-65536";

// One piece of the work, run on whichever connection is free; `weight` orders the queue.
struct Task {
  int64_t weight = 0;
  std::function<Status(Db&)> run;
};

// The tasks, biggest first, taken by two threads; the first error stops both.
class TaskQueue {
 public:
  void Add(std::vector<Task> tasks) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Task& t : tasks) queue_.push_back(std::move(t));
    std::stable_sort(queue_.begin(), queue_.end(),
                     [](const Task& a, const Task& b) { return a.weight > b.weight; });
  }
  // Runs tasks on `db` until there are none or one failed.
  void Work(Db& db) {
    for (;;) {
      Task task;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (queue_.empty() || !error_.ok()) return;
        task = std::move(queue_.front());
        queue_.erase(queue_.begin());
      }
      Status s = task.run(db);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        if (error_.ok()) error_ = s;
        failed_ = true;
        return;
      }
    }
  }
  bool failed() const { return failed_; }
  Status error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Task> queue_;
  Status error_;
  std::atomic<bool> failed_{false};
};

// Read-write, though nothing is written: with SQLite 3.40 a read-only connection's
// integrity_check and quick_check skip CHECK constraints (a test holds it), and the copy is
// our own rollback-journal file, so reading it read-write creates nothing beside it.
Result<std::unique_ptr<Db>> OpenTuned(const std::string& path, const StopCheck& stop,
                                      const TaskQueue& queue) {
  auto db = Db::Open(path, false, 5000);
  if (!db.ok()) return db.status();
  db.value()->StopWhen([&stop, &queue] { return queue.failed() || (stop && stop()); });
  if (Status s = db.value()->Exec(kReadTuning); !s.ok()) return s;
  return std::move(db.value());
}

// A table (not a virtual one) as the scheduler sees it: its indexes, and its rows as
// max(rowid) estimates them at no cost (0 for a WITHOUT ROWID table or an empty one).
struct TableShape {
  int indexes = 0;
  int64_t rows = 0;
  int64_t weight() const { return std::max<int64_t>(rows, 1) * (1 + indexes); }
};

// From SQLite's parsed schema (PRAGMA table_list, index_list), never from the text of
// sqlite_master: SQLite matches names without case and ignores its `type` column, so a row
// edited to `tbl_name='T1'` or `type='INDEX'` would hide an index from a text query while
// integrity_check still checks it (breakX X6). Virtual tables and views have no b-tree.
Result<std::map<std::string, TableShape>> TableShapes(Db& db, bool& unusual) {
  auto tables = TextColumn(db,
                           "SELECT name FROM pragma_table_list WHERE schema='main' AND "
                           "type IN ('table', 'shadow')");
  if (!tables.ok()) return tables.status();
  std::map<std::string, TableShape> out;
  int64_t parsed_indexes = 0;
  for (const std::string& t : tables.value()) {
    auto top = db.Prepare("SELECT max(rowid) FROM " + QuoteIdentifier(t));
    auto row = top.ok() ? top.value().Step() : Result<bool>(false);
    out[t].rows = row.ok() && row.value() ? top.value().Int(0) : 0;
    auto list = TextColumn(db, "SELECT name FROM pragma_index_list(?)", &t);
    if (!list.ok()) return list.status();
    out[t].indexes = static_cast<int>(list.value().size());
    parsed_indexes += out[t].indexes;
  }
  // The text disagrees with what SQLite parsed: something was edited by hand; check whole.
  auto written = TextColumn(db, "SELECT count(*) FROM sqlite_master WHERE type='index'");
  unusual = !written.ok() || written.value().empty() ||
            written.value()[0] != std::to_string(parsed_indexes);
  return out;
}

// Whether integrity_check splits into quick_check plus integrity_check(T) per indexed table:
// only when no table outweighs the rest (that table's check, alone on one connection, would
// take as long as the whole check; the split would only add a second walk of its pages).
bool WorthSplitting(const std::map<std::string, TableShape>& tables) {
  int64_t total = 0, biggest = 0;
  for (const auto& [name, t] : tables) {
    if (t.indexes == 0) continue;
    total += t.weight();
    biggest = std::max(biggest, t.weight());
  }
  return total > 0 && biggest * 2 <= total;
}

// What the threads found, each under its own key so the merge has one order whatever ran
// first: quick_check's lines, then each table's in name order.
struct Found {
  std::mutex mu;
  std::vector<std::string> whole;                          // quick_check or integrity_check
  std::map<std::string, std::vector<std::string>> tables;  // integrity_check(T)
  std::vector<std::string> foreign;
  std::map<std::string, int64_t> rows;
  std::map<std::string, std::string> uncounted;  // table -> why its rows could not be counted
};

std::vector<std::string> Merge(Found& f, size_t max) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::vector<std::string>& lines) {
    for (const std::string& l : lines)
      if (out.size() < max && seen.insert(l).second) out.push_back(l);
  };
  add(f.whole);
  for (const auto& [table, lines] : f.tables) add(lines);
  for (const auto& [table, why] : f.uncounted)
    out.push_back("cannot count the rows of " + table + ": " + why);
  out.insert(out.end(), f.foreign.begin(), f.foreign.end());
  return out;
}

// The work on the copy, as tasks weighed in estimated rows: the whole file's check, each
// indexed table's when split, the row counts (the manifest's) and foreign_key_check.
std::vector<Task> Tasks(const std::map<std::string, TableShape>& tables,
                        const std::vector<std::string>& counted, bool quick, bool split, size_t max,
                        Found& found) {
  std::vector<Task> out;
  int64_t all = 0;
  for (const auto& [name, t] : tables) all += t.weight();
  out.push_back({all, [quick, split, max, &found](Db& db) -> Status {
                   auto lines = IntegrityProblems(db, quick || split, max);
                   if (!lines.ok()) return lines.status();
                   std::lock_guard<std::mutex> lock(found.mu);
                   found.whole = lines.value();
                   return Status::Ok();
                 }});
  for (const auto& [name, t] : tables) {
    if (!split || t.indexes == 0) continue;
    out.push_back({t.weight(), [table = name, max, &found](Db& db) -> Status {
                     auto lines = TableIntegrityProblems(db, table, max);
                     if (!lines.ok()) return lines.status();
                     std::lock_guard<std::mutex> lock(found.mu);
                     found.tables[table] = lines.value();
                     return Status::Ok();
                   }});
  }
  for (const std::string& table : counted) {
    int64_t rows = tables.count(table) ? tables.at(table).rows : 0;
    out.push_back({rows / 8, [table, &found](Db& db) -> Status {
                     // A damaged table: a problem to report beside the checks' own.
                     auto n = CountRows(db, table);
                     if (!n.ok() && n.status().message().rfind("interrupted", 0) == 0)
                       return n.status();
                     std::lock_guard<std::mutex> lock(found.mu);
                     if (n.ok())
                       found.rows[table] = n.value();
                     else
                       found.uncounted[table] = n.status().message();
                     return Status::Ok();
                   }});
  }
  out.push_back({0, [max, &found](Db& db) -> Status {
                   // As before the split: a foreign_key_check that cannot run (a damaged
                   // table) adds nothing; the integrity checks report the damage.
                   auto lines = ForeignKeyProblems(db, max);
                   std::lock_guard<std::mutex> lock(found.mu);
                   if (lines.ok()) found.foreign = lines.value();
                   return Status::Ok();
                 }});
  return out;
}

}  // namespace

Result<CopyCheck> CheckCopy(const std::string& path, bool quick, size_t max,
                            const StopCheck& stop) {
  TaskQueue queue;
  auto first = OpenTuned(path, stop, queue);
  if (!first.ok()) return first.status();
  auto second = OpenTuned(path, stop, queue);
  if (!second.ok()) return second.status();
  auto info = ReadDatabaseShape(*first.value());
  if (!info.ok()) return info.status();
  bool unusual = false;
  auto tables = TableShapes(*first.value(), unusual);
  if (!tables.ok()) return tables.status();
  auto counted = UserTables(*first.value());  // ReadDatabaseInfo's tables
  if (!counted.ok()) return counted.status();

  CopyCheck out;
  out.split = !quick && !unusual && WorthSplitting(tables.value());
  Found found;
  queue.Add(Tasks(tables.value(), counted.value(), quick, out.split, max, found));
  std::thread helper([&] { queue.Work(*second.value()); });
  queue.Work(*first.value());
  helper.join();
  if (!queue.error().ok()) return queue.error();

  out.problems = Merge(found, max);
  out.info = info.value();
  for (const auto& [table, n] : found.rows) out.info.tables[table] = Value(n);
  return out;
}

}  // namespace runbook
