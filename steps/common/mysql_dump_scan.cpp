#include "steps/common/mysql_dump_scan.h"

namespace runbook {
namespace {

constexpr size_t kHeadMax = 4096;  // a table name is at most 64 characters
constexpr std::string_view kInsert = "INSERT INTO `", kCreate = "CREATE TABLE `",
                           kValues = " VALUES";

bool StartsWith(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

// The backquoted name at `at` (`` is one backquote); "" when malformed.
std::string Quoted(const std::string& s, size_t at) {
  if (at >= s.size() || s[at] != '`') return "";
  std::string name;
  for (size_t i = at + 1; i < s.size(); ++i) {
    if (s[i] != '`') {
      name += s[i];
    } else if (i + 1 < s.size() && s[i + 1] == '`') {
      name += '`';
      ++i;
    } else {
      return name;
    }
  }
  return "";
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace

void MysqlDumpScan::Feed(std::string_view bytes) {
  for (char c : bytes) {
    if (mode_ == Mode::kValues) {
      ValuesByte(c);  // to the statement's ';', across lines (MariaDB writes a row a line)
    } else if (c == '\n') {
      if (mode_ == Mode::kHead && !EnterValues(Trimmed(head_))) EndHead();
      if (mode_ != Mode::kValues) StartLine();
    } else if (mode_ == Mode::kHead) {
      HeadByte(c);
    }
  }
}

void MysqlDumpScan::StartLine() {
  mode_ = Mode::kHead;
  head_.clear();
}

// `head` is an INSERT's start up to its VALUES: its rows follow.
bool MysqlDumpScan::EnterValues(const std::string& head) {
  if (!StartsWith(head, kInsert) || head.size() <= kInsert.size() + kValues.size() ||
      head.compare(head.size() - kValues.size(), kValues.size(), kValues) != 0)
    return false;
  table_ = Quoted(head, kInsert.size() - 1);
  if (table_.empty()) return false;
  rows_[table_];  // created at 0 when it was not
  mode_ = Mode::kValues;
  in_string_ = escaped_ = false;
  depth_ = 0;
  return true;
}

// Collects the line's start until it is an INSERT's "... VALUES " (then its rows are counted
// as they pass) or cannot be a line of interest.
void MysqlDumpScan::HeadByte(char c) {
  if (c == ' ' && EnterValues(head_)) return;
  head_ += c;
  if (head_.size() == kCreate.size() && head_[0] != '-' && !StartsWith(head_, kInsert) &&
      head_ != kCreate) {
    mode_ = Mode::kSkip;  // no line of interest starts so
    return;
  }
  if (head_.size() > kHeadMax) mode_ = Mode::kSkip;
}

void MysqlDumpScan::ValuesByte(char c) {
  if (in_string_) {
    if (escaped_) {
      escaped_ = false;
    } else if (c == '\\') {
      escaped_ = true;
    } else if (c == '\'') {
      in_string_ = false;
    }
    return;
  }
  if (c == '\'') {
    in_string_ = true;
  } else if (c == '(' && depth_++ == 0) {
    ++rows_[table_];
  } else if (c == ')' && depth_ > 0) {
    --depth_;
  } else if (c == ';' && depth_ == 0) {
    mode_ = Mode::kSkip;  // the statement ends; the rest of its line is passed over
  }
}

// A whole short line: a table created, or a header line.
void MysqlDumpScan::EndHead() {
  std::string line = Trimmed(head_);
  if (StartsWith(line, kCreate)) {
    std::string name = Quoted(line, kCreate.size() - 1);
    if (!name.empty()) rows_[name];
  } else if (dump_tool_.empty() &&
             (StartsWith(line, "-- MariaDB dump ") || StartsWith(line, "-- MySQL dump "))) {
    dump_tool_ = line.substr(3);
  } else if (server_version_.empty() && StartsWith(line, "-- Server version")) {
    std::string v = line.substr(17);
    size_t from = v.find_first_not_of(" \t");
    server_version_ = from == std::string::npos ? "" : v.substr(from);
  }
}

}  // namespace runbook
