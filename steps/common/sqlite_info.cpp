#include "steps/common/sqlite_info.h"

namespace runbook {
namespace {

std::string Quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Result<int64_t> One(Db& db, const std::string& sql) {
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  return row.value() ? st.value().Int(0) : 0;
}

}  // namespace

Result<DatabaseInfo> ReadDatabaseInfo(Db& db) {
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
  auto names = db.Prepare(
      "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
      "ORDER BY name");
  if (!names.ok()) return names.status();
  std::vector<std::string> tables;
  for (;;) {
    auto row = names.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    tables.push_back(names.value().Text(0));
  }
  for (const std::string& t : tables) {
    auto rows = One(db, "SELECT count(*) FROM " + Quote(t));
    if (!rows.ok()) return rows.status();
    info.tables[t] = Value(rows.value());
  }
  return info;
}

Result<std::vector<std::string>> IntegrityProblems(Db& db, bool quick, size_t max) {
  auto st = db.Prepare(quick ? "PRAGMA quick_check" : "PRAGMA integrity_check");
  if (!st.ok()) return st.status();
  std::vector<std::string> lines;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    if (lines.size() < max) lines.push_back(st.value().Text(0));
  }
  if (lines.size() == 1 && lines[0] == "ok") lines.clear();
  return lines;
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
