#include "steps/common/mysql_dump_reach.h"

#include <cctype>
#include <fstream>

#include "engine/util/strings.h"

namespace runbook {
namespace {

bool Starts(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The text as the server runs it: the content of /*!NNNNN ... */ and /*M!NNNNNN ... */ kept,
// other comments and the client's commands (/*M!999999\- ... */) dropped, spaces collapsed
// outside literals (a "/*" in a literal is data).
std::string Effective(const std::string& line) {
  std::string out;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '\'' || line[i] == '"' || line[i] == '`') {  // a literal: kept as it is
      char quote = line[i];
      size_t j = i + 1;
      for (; j < line.size() && line[j] != quote; ++j)
        if (line[j] == '\\' && quote != '`') ++j;
      j = std::min(j + 1, line.size());
      out += line.substr(i, j - i);
      i = j;
      continue;
    }
    if (line.compare(i, 2, "/*") != 0) {
      char c = line[i++];
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!out.empty() && out.back() != ' ') out += ' ';
      } else {
        out += c;
      }
      continue;
    }
    size_t j = i + 2;
    if (j < line.size() && line[j] == 'M') ++j;
    bool runs = j < line.size() && line[j] == '!';
    if (runs) ++j;
    while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
    if (j < line.size() && line[j] == '\\') runs = false;  // a client command
    size_t end = line.find("*/", j);
    if (runs) out += line.substr(j, end == std::string::npos ? std::string::npos : end - j);
    if (!out.empty() && out.back() != ' ') out += ' ';
    i = end == std::string::npos ? line.size() : end + 2;
  }
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

// The identifier at `at` in `s` (`quoted` or bare) and where it ends; "" when none.
std::string IdentAt(const std::string& s, size_t& at) {
  while (at < s.size() && s[at] == ' ') ++at;
  std::string out;
  if (at < s.size() && s[at] == '`') {
    for (++at; at < s.size(); ++at) {
      if (s[at] == '`' && at + 1 < s.size() && s[at + 1] == '`') {
        out += '`';
        ++at;
      } else if (s[at] == '`') {
        ++at;
        break;
      } else {
        out += s[at];
      }
    }
    return out;
  }
  while (at < s.size() &&
         (std::isalnum(static_cast<unsigned char>(s[at])) || s[at] == '_' || s[at] == '$'))
    out += s[at++];
  return out;
}

// Whether the name after `keyword` in `s` (its upper-case copy `up`) is qualified
// (`db`.`t`): it names a database. IF [NOT] EXISTS is skipped.
bool QualifiedAfter(const std::string& s, const std::string& up, const std::string& keyword) {
  size_t at = up.find(keyword);
  if (at == std::string::npos) return false;
  at += keyword.size();
  while (at < up.size() && up[at] == ' ') ++at;
  for (const char* skip : {"IF NOT EXISTS ", "IF EXISTS "})
    if (up.compare(at, std::string(skip).size(), skip) == 0) at += std::string(skip).size();
  if (IdentAt(s, at).empty()) return false;
  while (at < s.size() && s[at] == ' ') ++at;
  return at < s.size() && s[at] == '.';
}

// `s` with its string literals ('...' and "...", their '' and \' escapes) blanked: what
// they hold is data, not names.
std::string WithoutStrings(const std::string& s) {
  std::string out = s;
  char quote = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (quote == 0) {
      if (c == '\'' || c == '"') quote = c;
      continue;
    }
    if (c == '\\' && i + 1 < out.size()) {
      out[i] = out[i + 1] = ' ';
      ++i;
    } else if (c == quote && i + 1 < out.size() && out[i + 1] == quote) {
      out[i] = out[i + 1] = ' ';
      ++i;
    } else if (c == quote) {
      quote = 0;
    } else {
      out[i] = ' ';
    }
  }
  return out;
}

// Whether `s` names `db` as a qualifier: `db`. or db. after a non-identifier character, outside
// string literals.
bool Names(const std::string& text, const std::string& db) {
  const std::string s = WithoutStrings(text);
  std::string quoted = "`";
  for (char c : db) quoted += c == '`' ? std::string("``") : std::string(1, c);
  quoted += "`.";
  if (s.find(quoted) != std::string::npos) return true;
  for (size_t at = s.find(db + "."); at != std::string::npos; at = s.find(db + ".", at + 1)) {
    char before = at == 0 ? ' ' : s[at - 1];
    if (!std::isalnum(static_cast<unsigned char>(before)) && before != '_' && before != '`')
      return true;
  }
  return false;
}

const char* const kNeverHere[] = {
    "USE ",           "CREATE DATABASE", "CREATE SCHEMA",    "DROP DATABASE", "DROP SCHEMA",
    "ALTER DATABASE", "ALTER SCHEMA",    "GRANT ",           "REVOKE ",       "CREATE USER",
    "DROP USER",      "ALTER USER",      "RENAME USER",      "SET PASSWORD",  "CREATE ROLE",
    "DROP ROLE",      "SET ROLE",        "SET DEFAULT ROLE", "SET GLOBAL",    "SET @@GLOBAL",
    "INSTALL ",       "UNINSTALL ",      "CREATE SERVER",    "LOAD DATA",     "SHUTDOWN",
    "KILL ",          "FLUSH ",          "RESET ",           "CHANGE MASTER", "PURGE "};

const char* const kTableStatements[] = {
    "SET ", "CREATE TABLE ", "CREATE TEMPORARY TABLE ", "DROP TABLE ", "ALTER TABLE ",
    "LOCK TABLES ", "UNLOCK TABLES", "INSERT INTO ", "DELIMITER ", "COMMIT", "START TRANSACTION",
    // a MariaDB sequence (a table): made, then set
    "CREATE SEQUENCE ", "DROP SEQUENCE ", "DO SETVAL(", "SELECT SETVAL("};

const char* const kObjects[] = {"VIEW ", "TRIGGER ", "PROCEDURE ", "FUNCTION ", "EVENT "};

// The kind of object a CREATE or DROP statement makes ("" when none of kObjects).
std::string ObjectOf(const std::string& up) {
  if (!Starts(up, "CREATE ") && !Starts(up, "DROP ")) return "";
  for (const char* o : kObjects)
    if (up.find(std::string(" ") + o) != std::string::npos) return o;
  // A view's CREATE split over lines (/*!50001 CREATE ALGORITHM=... */ then its DEFINER and
  // VIEW lines), as mariadb-dump writes it.
  for (const char* view :
       {"CREATE ALGORITHM", "CREATE DEFINER", "CREATE OR REPLACE", "CREATE SQL SECURITY"})
    if (Starts(up, view)) return "VIEW ";
  return "";
}

// Why a SET statement (upper `up`) is more than the session settings mariadb-dump writes
// (SET NAMES, SET @saved = @@x, SET x = 0): another statement run through it (SET STATEMENT
// ... FOR), a global or the binary log's setting in a list, a query (breakQQ QQ3, QQ7).
std::string SetProblem(const std::string& up) {
  if (Starts(up, "SET STATEMENT"))
    return "SET STATEMENT ... FOR runs another statement, which is not what a one-database "
           "dump holds";
  // The binary log's and replication's session settings as well: a replica skips events of
  // its own server_id, or of a domain it filters (break18 R7: SET SESSION server_id=77).
  for (const char* never :
       {"GLOBAL ", "GLOBAL.", "SQL_LOG_BIN", "SELECT ", "SELECT(", "SERVER_ID", "GTID_",
        "SKIP_REPLICATION", "PSEUDO_SLAVE_MODE", "PSEUDO_THREAD_ID", "WSREP_"})
    if (up.find(never) != std::string::npos)
      return "a SET that holds '" + std::string(never) +
             "...' reaches beyond the session (a dump's SET only sets the session's variables)";
  return "";
}

// One statement's first line (effective `s`, upper `up`): why it cannot be replayed here.
std::string Judge(const std::string& s, const std::string& up, const DumpScanRules& rules) {
  if (Starts(up, "SET "))
    if (std::string why = SetProblem(up); !why.empty()) return why;
  for (const char* never : kNeverHere)
    if (Starts(up, never))
      return "'" + std::string(never) +
             "...' would reach beyond the new database (a dump for restore holds one "
             "database's tables, as `mariadb-dump DB` writes it)";
  if (up.find("INTO OUTFILE") != std::string::npos || up.find("INTO DUMPFILE") != std::string::npos)
    return "it writes a file on the server (INTO OUTFILE)";
  std::string object = ObjectOf(up);
  bool allowed = !object.empty();
  for (const char* start : kTableStatements) allowed = allowed || Starts(up, start);
  if (!allowed) return "'" + s.substr(0, 40) + "' is not what a one-database dump holds";
  if (object == "EVENT " && Starts(up, "CREATE"))
    return "the dump holds an event, which the live server's scheduler would run as soon as it "
           "is made, before the new database is verified: back up with mariadb-dump "
           "--skip-events and make events after the restore";
  if (!object.empty() && rules.tables_only)
    return "the dump holds a " + AsciiLower(object.substr(0, object.size() - 1)) +
           ", which switch: rename cannot move (only tables); use switch: env";
  for (const char* target : {"TABLE ", "TABLES ", "INTO ", "SEQUENCE ", "SETVAL(", " VIEW ",
                             " TRIGGER ", " PROCEDURE ", " FUNCTION ", " EVENT ", " ON "})
    if (QualifiedAfter(s, up, target))
      return "it names another database's object (a qualified name after " + std::string(target) +
             ")";
  for (const std::string& db : rules.databases)
    if (!db.empty() && Names(s, db)) return "it names database " + db + " itself";
  return "";
}

}  // namespace

namespace {

// The client's reading of a dump (mariadb's add_line): where statements end, whatever the
// lines. String literals ('...', "...", their \ escapes), quoted names (`...`) and /* ... */
// comments carry over line ends; "-- " and "#" comments end with their line. A delimiter
// counts only outside all of them (breakSS SS2: a literal spanning two lines hid the
// statements after it from a scan that read each line afresh).
class StatementLexer {
 public:
  // Reads `line` (its '\n' dropped) from `from`: the offset just past the first delimiter
  // outside literals and comments, or npos when the statement goes on past the line. What the
  // server reads of it (all but "-- " and "#" comments) is appended to `code`; what is
  // outside literals and comments to `outside`.
  size_t FindEnd(const std::string& line, size_t from, const std::string& delimiter,
                 std::string& code, std::string& outside) {
    for (size_t i = from; i < line.size(); ++i) {
      char c = line[i];
      if (comment_) {
        code += c;
        if (line.compare(i, 2, "*/") == 0) {
          comment_ = false;
          code += line[++i];
        }
        continue;
      }
      if (quote_ != 0) {
        code += c;
        if (c == '\\' && quote_ != '`' && i + 1 < line.size())
          code += line[++i];
        else if (c == quote_)
          quote_ = 0;
        continue;
      }
      if (c == '\'' || c == '"' || c == '`') {
        quote_ = c;
        code += c;
      } else if (line.compare(i, 2, "/*") == 0) {
        comment_ = true;
        code += line.substr(i, 2);
        ++i;
      } else if (c == '#' || (line.compare(i, 2, "--") == 0 &&
                              (i + 2 == line.size() ||
                               std::isspace(static_cast<unsigned char>(line[i + 2]))))) {
        return std::string::npos;  // the rest of the line is a comment
      } else if (line.compare(i, delimiter.size(), delimiter) == 0) {
        code += delimiter;
        return i + delimiter.size();
      } else {
        code += c;
        outside += c;
      }
    }
    return std::string::npos;
  }
  // Whether a literal, quoted name or comment is open at the line's end.
  bool open() const { return quote_ != 0 || comment_; }

 private:
  char quote_ = 0;
  bool comment_ = false;
};

// A statement (or a body's: `INSERT INTO other.t` in a trigger fired by the dump's own rows)
// that writes to or reads from a table named with its database (`CREATE TABLE x SELECT * FROM
// other.t`): names after INTO, UPDATE, FROM, JOIN, TABLE, INSERT, REPLACE, DELETE, CALL.
bool BodyReachesOut(const std::string& s, const std::string& up) {
  // INTO is optional after INSERT and REPLACE, a name may be parenthesised (breakSS SS6:
  // `INSERT other.t VALUES`, `FROM (other.t)`), a procedure called by its qualified name.
  for (const char* verb : {"INTO ", "UPDATE ", "FROM ", "JOIN ", "TABLE ", "INSERT ", "REPLACE ",
                           "IGNORE ", "DELETE ", "CALL "}) {
    for (size_t at = up.find(verb); at != std::string::npos; at = up.find(verb, at + 1)) {
      size_t after = at + std::string(verb).size();
      while (after < s.size() && (s[after] == ' ' || s[after] == '(')) ++after;
      if (IdentAt(s, after).empty()) continue;
      while (after < s.size() && s[after] == ' ') ++after;
      if (after < s.size() && s[after] == '.') return true;
    }
  }
  return false;
}

}  // namespace

// A client command in a versioned comment (`/*M!999999\! sh */`): the client runs those
// (mariadb-dump's own is `\-`, which turns the sandbox on). Returns the command ("\!"), or ""
// (breakSS SS1: a dump ran shell commands as runbook's user).
std::string ClientCommandIn(const std::string& line) {
  for (size_t at = line.find("/*"); at != std::string::npos; at = line.find("/*", at + 2)) {
    size_t j = at + 2;
    if (j < line.size() && line[j] == 'M') ++j;
    if (j >= line.size() || line[j] != '!') continue;
    ++j;
    while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
    if (j + 1 < line.size() && line[j] == '\\' && line[j + 1] != '-') return line.substr(j, 2);
  }
  return "";
}

// Storage a table's definition puts outside the new database (breakSS SS3, breakQQ QQ6): its
// files in a folder the dump names, or rows that live in another table or server.
std::string StorageElsewhere(const std::string& up) {
  for (const char* clause : {"DATA DIRECTORY", "INDEX DIRECTORY"})
    if (up.find(clause) != std::string::npos)
      return std::string(clause) +
             " puts the table's files where the dump says, outside the "
             "server's data folder";
  for (const char* engine :
       {"ENGINE=MRG_MYISAM", "ENGINE=MERGE", "ENGINE=FEDERATED", "ENGINE=CONNECT", "ENGINE=SPIDER",
        "ENGINE = MRG_MYISAM", "ENGINE = MERGE", "ENGINE = FEDERATED", "ENGINE = CONNECT",
        "ENGINE = SPIDER"})
    if (up.find(engine) != std::string::npos)
      return "a table whose rows live elsewhere (" + std::string(engine) + ")";
  return "";
}

namespace {

// The largest statement judged whole (a table's rows excepted, which are not kept): what
// mariadb-dump writes for a table, view, trigger or routine is far smaller.
constexpr size_t kMaxStatement = 16u << 20;

// Whether `head` (a statement's start, effective) is a table's rows as mariadb-dump writes
// them: INSERT INTO `t` [(`a`,...)] VALUES; `table_qualified` says whether `t` names a
// database. False for anything else (INSERT ... SELECT is judged whole).
bool RowsHead(const std::string& head, bool& table_qualified) {
  std::string up = AsciiUpper(head);
  if (!Starts(up, "INSERT INTO ")) return false;
  size_t at = 12;
  if (IdentAt(head, at).empty()) return false;
  table_qualified = at < head.size() && head[at] == '.';
  if (table_qualified) return true;
  while (at < head.size() && head[at] == ' ') ++at;
  if (at < head.size() && head[at] == '(') {
    size_t close = head.find(')', at);
    if (close == std::string::npos) return false;
    at = close + 1;
    while (at < head.size() && head[at] == ' ') ++at;
  }
  return up.compare(at, 6, "VALUES") == 0 || up.compare(at, 5, "VALUE") == 0;
}

// Why the whole statement `text` (its delimiter included) cannot be replayed, "" when it can.
// `in_body`: it was written between DELIMITER ;; and DELIMITER ; (a trigger or a routine).
std::string JudgeStatement(const std::string& text, bool in_body, const DumpScanRules& rules) {
  std::string s = Effective(text);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.empty()) return "";
  std::string up = AsciiUpper(s);
  std::string why = Judge(s, up, rules);
  if (why.empty()) why = StorageElsewhere(up);
  // A routine's or trigger's body runs in the database it was made in, when called or fired
  // (a trigger by the dump's own rows): it may not name another database's table.
  if (why.empty() && BodyReachesOut(s, up))  // CREATE TABLE ... SELECT FROM other.t too
    why = in_body ? "a body names another database's table"
                  : "it reads or writes another database's table";
  return why;
}

// A dump read statement by statement, each judged once it is whole.
class DumpReader {
 public:
  explicit DumpReader(const DumpScanRules& rules) : rules_(rules) {}

  void Line(const std::string& line, size_t n) {
    // Only blank lines (and comments) since the last statement: the next one starts here.
    const bool at_start =
        !rows_ && !lexer_.open() && pending_.find_first_not_of(" \t\r\n") == std::string::npos;
    if (at_start) pending_.clear();
    if (at_start && Starts(line, "--")) return;
    if (std::string command = ClientCommandIn(line); !command.empty())
      return Say(n, "a client command (" + command + ") in a comment: the client would run it");
    // The client's DELIMITER command takes the whole line (its delimiter may hold ';').
    if (at_start && Starts(AsciiUpper(line.substr(0, 10)), "DELIMITER ")) return Delimiter(line);
    for (size_t from = 0; from <= line.size();) {
      if (pending_.empty() && !rows_) began_ = n;
      std::string code, outside;
      size_t end = lexer_.FindEnd(line, from, delimiter_, code, outside);
      if (rows_) {
        Rows(outside);
      } else {
        pending_ += code;
        outside_ += outside;
        if (end == std::string::npos) pending_ += '\n';
        if (pending_.size() > kMaxStatement) {
          Say(began_, "a statement over 16 MiB that is not a table's rows");
          pending_.clear();
          outside_.clear();
          rows_ = true;  // not kept: read to its end
        }
        Head();
      }
      if (end == std::string::npos) break;
      if (!rows_) {
        if (std::string why = JudgeStatement(pending_, delimiter_ != ";", rules_); !why.empty())
          Say(began_, why);
      }
      pending_.clear();
      outside_.clear();
      rows_ = false;
      from = end;
      if (from == line.size()) break;
    }
  }

  // After the last line: a statement left open is one the client would still run.
  void End() {
    if (!pending_.empty() && !rows_)
      if (std::string why = JudgeStatement(pending_, delimiter_ != ";", rules_); !why.empty())
        Say(began_, why);
  }
  bool full() const { return problems_.size() >= 5; }
  std::vector<std::string> problems() && { return std::move(problems_); }

 private:
  const DumpScanRules& rules_;
  StatementLexer lexer_;
  std::string delimiter_ = ";";  // DELIMITER changes it (routines and triggers: ";;")
  std::string pending_;          // the statement so far, judged when whole
  std::string outside_;          // what of it is outside literals and comments
  bool rows_ = false;            // the statement is a table's rows: its rest is data, not kept
  size_t began_ = 0;             // the line the statement began on

  void Say(size_t n, const std::string& why) {
    if (!full()) problems_.push_back("line " + std::to_string(n) + ": " + why);
  }
  void Delimiter(const std::string& line) {
    delimiter_ = line.substr(10);
    while (!delimiter_.empty() && (delimiter_.back() == ' ' || delimiter_.back() == '\r'))
      delimiter_.pop_back();
    while (!delimiter_.empty() && delimiter_.front() == ' ') delimiter_.erase(0, 1);
    if (delimiter_.empty()) delimiter_ = ";";
  }
  // Once the statement's start is a table's rows, its rest is data: only its table is judged
  // (and what is outside its literals, Rows), and it is not kept.
  void Head() {
    if (delimiter_ != ";" || pending_.size() > 4096) return;
    std::string head = Effective(pending_);
    bool qualified = false;
    if (!RowsHead(head, qualified)) return;
    if (qualified) Say(began_, "it inserts into another database's table");
    Rows(outside_);
    pending_.clear();
    outside_.clear();
    rows_ = true;
  }
  // What a table's rows hold outside their literals is numbers, NULL and _binary: a query
  // there (VALUES ((SELECT ... FROM other.t))) reads beyond the new database.
  void Rows(const std::string& outside) {
    if (AsciiUpper(outside).find("SELECT") != std::string::npos)
      Say(began_, "a row's value is a query, which is not what a dump's rows hold");
  }

  std::vector<std::string> problems_;
};

}  // namespace

std::vector<std::string> DumpReachesBeyond(const std::string& path, const DumpScanRules& rules) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {"cannot read " + path};
  DumpReader reader(rules);
  std::string line;
  for (size_t n = 1; !reader.full() && std::getline(in, line); ++n) reader.Line(line, n);
  reader.End();
  return std::move(reader).problems();
}

}  // namespace runbook
