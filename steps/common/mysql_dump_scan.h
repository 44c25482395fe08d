// Reads a mariadb-dump / mysqldump SQL stream as it passes (fed in pieces of any size) and
// learns what the backup's manifest records: every table the dump creates with the rows it
// inserts, and the dump tool's and the server's version lines. The counts are exact for the
// dump: they are the rows in it, whatever the server holds by now. Written here (no library
// reads mysqldump's output) for the few line shapes mysqldump writes:
//   -- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)
//   -- Server version	10.11.6-MariaDB-0+deb12u1
//   CREATE TABLE `name` (
//   INSERT INTO `name` VALUES (1,'a'),(2,'it''s (not) \'a\' row');
//   INSERT INTO `name` VALUES
//   (1,'a'),
//   (2,'b');                      (MariaDB 10.11 writes a row a line)
// A string is single-quoted with backslash escapes (mysqldump writes a newline in data as
// \n); a row is a parenthesised tuple at depth 0 after VALUES, up to the statement's `;`. Lines of
// other shapes (comments, SET, LOCK, views' /*!50001 ... */) are passed over.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace runbook {

class MysqlDumpScan {
 public:
  // The next piece of the stream, in order.
  void Feed(std::string_view bytes);
  // Table name -> rows inserted (0 for a table created without rows).
  const std::map<std::string, int64_t>& rows() const { return rows_; }
  // "mariadb-dump 10.19 Distrib 10.11.6-MariaDB" from the first line ("" when absent).
  const std::string& dump_tool() const { return dump_tool_; }
  // The server's version as the dump's header says it ("" when absent).
  const std::string& server_version() const { return server_version_; }

 private:
  void StartLine();
  void HeadByte(char c);
  void ValuesByte(char c);
  bool EnterValues(const std::string& head);
  void EndHead();

  enum class Mode { kHead, kValues, kSkip };
  Mode mode_ = Mode::kHead;
  std::string head_;  // the line's start, up to kHeadMax bytes, until its shape is known
  std::string table_;
  bool in_string_ = false, escaped_ = false;
  int depth_ = 0;
  std::map<std::string, int64_t> rows_;
  std::string dump_tool_, server_version_;
};

}  // namespace runbook
