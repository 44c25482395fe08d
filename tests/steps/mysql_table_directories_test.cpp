// The check after a mysql restore's replay (breakSS SS3, the scan's second line): tables the
// server made with their files outside its data folder, read from a real MariaDB the test
// starts: DATA DIRECTORY and INDEX DIRECTORY on a table (InnoDB, MyISAM, Aria) and on one
// partition of a partitioned table, which CREATE_OPTIONS does not show.
#include <catch2/catch.hpp>
#include <sstream>

#include "steps/common/mysql_replayed_objects.h"
#include "support/mariadb_server.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// The rows of `sql`'s batch output, its header line dropped, tab-separated.
std::vector<std::vector<std::string>> Rows(const Command& c) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(c.out);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    rows.emplace_back();
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, '\t');) rows.back().push_back(cell);
    if (!line.empty() && line.back() == '\t') rows.back().push_back("");  // an empty last cell
  }
  return rows;
}

}  // namespace

TEST_CASE("a replayed table or partition with its files outside the data folder is named",
          "[mysql][restore]") {
  REQUIRE(Shell("command -v mariadbd mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  std::string away = db.dir + "/elsewhere";
  REQUIRE(Shell("mkdir -p " + away + " && chmod 777 " + away).exit_code == 0);
  std::string at = "'" + away + "'";
  Command made = db.Sql(
      "CREATE DATABASE x; CREATE TABLE x.plain(i int) ENGINE=InnoDB; "
      "CREATE TABLE x.inno(i int) ENGINE=InnoDB DATA DIRECTORY=" +
      at +
      "; "
      "CREATE TABLE x.my(i int) ENGINE=MyISAM INDEX DIRECTORY=" +
      at +
      "; "
      "CREATE TABLE x.aria(i int) ENGINE=Aria DATA DIRECTORY=" +
      at +
      "; "
      "CREATE TABLE x.parts(i int) ENGINE=InnoDB PARTITION BY HASH(i) (PARTITION p0 DATA "
      "DIRECTORY=" +
      at +
      ", PARTITION p1); "
      "CREATE TABLE x.plainparts(i int) ENGINE=InnoDB PARTITION BY HASH(i) PARTITIONS 2");
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  std::string query = kTableOptionsQuery;
  query.replace(query.find("{db}"), 4, "'x'");
  std::map<std::string, std::string> problems;
  for (const auto& row : Rows(db.Sql(query))) {
    REQUIRE(row.size() == 2);
    std::string text = row[1];
    if (PartitionedOptions(text)) text += " " + db.Sql("SHOW CREATE TABLE x." + row[0]).out;
    problems[row[0]] = TableDirectoryProblem(row[0], text);
  }
  REQUIRE(problems.size() == 6);
  CHECK(problems["plain"].empty());
  CHECK(problems["plainparts"].empty());
  CHECK_THAT(problems["inno"], Catch::Contains("table inno keeps its files outside the "
                                               "server's data folder (DATA DIRECTORY)"));
  CHECK_THAT(problems["my"], Catch::Contains("(INDEX DIRECTORY)"));
  CHECK_THAT(problems["aria"], Catch::Contains("(DATA DIRECTORY)"));
  CHECK_THAT(problems["parts"], Catch::Contains("table parts keeps its files outside"));
}
