// What a MySQL/MariaDB dump may hold to be replayed into a new database on the live server
// (steps/common/mysql_dump_reach.h), and what mariadb-check's output says is wrong
// (CheckOutputProblems): by the rules alone, on dumps written here, each kind of statement
// that reaches beyond the new database with variants (breakOO OO1-OO3, OO6, OO10).
#include "steps/common/mysql_dump_reach.h"

#include <catch2/catch.hpp>

#include "steps/common/mysql_check.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// What `mariadb-dump shop` writes for a table, a view and a trigger (10.11), abridged.
const char* kGenuine =
    "/*M!999999\\- enable the sandbox mode */ \n"
    "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n"
    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
    "/*!40103 SET TIME_ZONE='+00:00' */;\n"
    "DROP TABLE IF EXISTS `orders`;\n"
    "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
    "CREATE TABLE `orders` (\n"
    "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
    "  `note` text DEFAULT 'shop.t',\n"
    "  PRIMARY KEY (`id`)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
    "LOCK TABLES `orders` WRITE;\n"
    "/*!40000 ALTER TABLE `orders` DISABLE KEYS */;\n"
    "INSERT INTO `orders` VALUES (1,'USE other; DROP DATABASE x; `shop`.`t`'),(2,NULL);\n"
    "/*!40000 ALTER TABLE `orders` ENABLE KEYS */;\n"
    "UNLOCK TABLES;\n";

const char* kTrigger =
    "DELIMITER ;;\n"
    "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr AFTER INSERT "
    "ON orders FOR EACH ROW\n"
    "BEGIN\n  UPDATE counters SET n = n + 1;\nEND */;;\n"
    "DELIMITER ;\n";

const char* kView =
    "/*!50001 DROP VIEW IF EXISTS `v`*/;\n"
    "/*!50001 CREATE ALGORITHM=UNDEFINED */\n"
    "/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n"
    "/*!50001 VIEW `v` AS select `orders`.`id` AS `id` from `orders` */;\n";

std::vector<std::string> Reach(const std::string& sql, bool tables_only = false) {
  std::string dir = TempDir();
  WriteFile(dir, "d.sql", sql);
  return DumpReachesBeyond(dir + "/d.sql", {{"shop", "shop"}, tables_only});
}

}  // namespace

TEST_CASE("dump reach: what a one-database mariadb-dump writes is replayed", "[restore][mysql]") {
  CHECK(Reach(kGenuine).empty());  // strings that look like statements are data
  CHECK(Reach(std::string(kGenuine) + kTrigger + kView).empty());
  // switch: rename moves tables only: the view and the trigger are refused before the replay.
  CHECK_THAT(Reach(std::string(kGenuine) + kTrigger, true).at(0), Catch::Contains("trigger"));
  CHECK_THAT(Reach(std::string(kGenuine) + kView, true).at(0), Catch::Contains("view"));
}

TEST_CASE("dump reach: every statement that reaches beyond the new database is refused, located",
          "[restore][mysql]") {
  for (const char* bad : {
           "USE victim;",
           "use `victim`;",
           "DROP DATABASE IF EXISTS victim;",
           "/*!40000 DROP DATABASE IF EXISTS `shop`*/;",
           "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `evil`;",
           "CREATE SCHEMA evil;",
           "ALTER DATABASE `shop` CHARACTER SET latin1;",
           "GRANT ALL ON *.* TO 'evil'@'%' WITH GRANT OPTION;",
           "CREATE USER 'evil'@'%' IDENTIFIED BY 'x';",
           "SET PASSWORD FOR root@localhost = PASSWORD('x');",
           "SET GLOBAL event_scheduler = ON;",
           "INSTALL SONAME 'ha_connect';",
           "INSERT INTO victim.v VALUES (1);",
           "INSERT INTO `victim`.`v` VALUES (1);",
           "UPDATE victim.v SET x = 1;",
           "DELETE FROM `shop`.`orders`;",
           "SELECT * FROM orders INTO OUTFILE '/tmp/x';",
           "CREATE TABLE `victim`.`t` (id int);",
           "DROP TABLE IF EXISTS `shop`.`orders`;",
           "CALL p();",
       }) {
    INFO(bad);
    std::vector<std::string> found = Reach(std::string(kGenuine) + bad + "\n");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0], Catch::StartsWith("line 17: "));
  }
  // A trigger written with qualified names (as created: `CREATE TRIGGER shop.tr ... ON
  // shop.t`) would be made on the live table (breakOO OO3).
  std::string qualified =
      "DELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER shop.tr AFTER INSERT ON shop.orders FOR "
      "EACH ROW INSERT INTO log VALUES (NEW.id) */;;\nDELIMITER ;\n";
  CHECK_FALSE(Reach(std::string(kGenuine) + qualified).empty());
  // A table's column that references the live database.
  CHECK_FALSE(Reach("CREATE TABLE `a` (\n  `id` int,\n  FOREIGN KEY (`id`) REFERENCES `shop`.`b` "
                    "(`id`)\n);\n")
                  .empty());
  // Statements the client splits however the lines go, a delimiter of the dump's choosing, a
  // trigger whose body (fired by the dump's own rows) writes elsewhere, an event the live
  // server would run at once.
  for (const char* sneaky : {
           "INSERT INTO `orders` VALUES (3,'a;b'); DROP DATABASE victim;\n",
           "CREATE TABLE `a` (id int)\n; USE victim;\n",
           "DELIMITER $$\nDROP DATABASE victim$$\nDELIMITER ;\n",
           "DELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER tr AFTER INSERT ON orders FOR EACH "
           "ROW\nBEGIN\n  INSERT INTO victim.v VALUES (NEW.id);\nEND */;;\nDELIMITER ;\n",
           "DELIMITER ;;\n/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT "
           "`e` ON SCHEDULE AT CURRENT_TIMESTAMP DO DELETE FROM orders */ ;;\nDELIMITER ;\n",
           "DROP/**/DATABASE victim;\n",
           "/*!50000 drop*/ database victim;\n",
           "CREATE TABLE `copy` SELECT * FROM victim.v;\n",
           "CREATE TABLE `copy` AS\nSELECT * FROM `victim`.`v`;\n",
           // breakQQ QQ3, QQ7: SET is the session's only
           "SET STATEMENT max_statement_time=100 FOR DROP DATABASE victim;\n",
           "SET @a=1, GLOBAL max_connections=7;\n",
           "SET @a=1, @@global.max_connections=7;\n",
           "SET SESSION sql_log_bin=0;\n",
           // break18 R7: what a replica uses to skip or route the restore's writes
           "SET SESSION server_id=77;\n",
           "SET @@session.gtid_domain_id=9;\n",
           "SET skip_replication=1;\n",
           "SET @a = (SELECT x FROM victim . v);\n",
           // breakSS SS1: a client command the client runs; SS3, QQ6: storage elsewhere
           "/*M!999999\\! id > /tmp/pwned */\n",
           "/*!50000\\T /tmp/tee */\n",
           "CREATE TABLE `x` (id int) ENGINE=InnoDB DATA DIRECTORY='/tmp/outside';\n",
           "CREATE TABLE `x` (\n  id int\n) ENGINE=MyISAM\n INDEX DIRECTORY='/dev/shm/x';\n",
           "CREATE TABLE `m` (x int) ENGINE=MRG_MyISAM UNION=(v);\n",
           "CREATE TABLE `f` (x int) ENGINE=FEDERATED CONNECTION='mysql://u@h/db/t';\n",
       }) {
    INFO(sneaky);
    CHECK_FALSE(Reach(std::string(kGenuine) + sneaky).empty());
  }
  // breakSS SS2: literals, quoted names and comments carry over line ends as the client reads
  // them; a scan that read each line afresh took what followed a literal's second line for
  // data. Variants: each way a line's end can fall inside something.
  for (const char* spanning : {
           "INSERT INTO t VALUES (2000+LENGTH('abc\n')); DELETE FROM t WHERE id > 1000; SET @s = "
           "CONCAT('CREATE DATABASE ', REPLACE(DATABASE(), '_', 'X')); PREPARE p FROM @s; "
           "EXECUTE p; SELECT 'x\n';\n",
           "INSERT INTO `orders` VALUES (1,'a'); -- it's\nDROP DATABASE victim;\n",
           "SET @a = 1; # don't\nUSE victim;\n",
           "/* a comment\nover lines */ DROP DATABASE victim;\n",
           "SET @a = \"x\nz\"; USE victim;\n",
           "CREATE TABLE `c` (\n a text DEFAULT '/*',\n b int,\n FOREIGN KEY (b) REFERENCES "
           "`shop`.`x` "
           "(id),\n c text DEFAULT '*/'\n);\n",
           "INSERT INTO `orders` SELECT * FROM victim.v;\n",
           "INSERT INTO `orders` VALUES ((SELECT x FROM victim.v),'a');\n",
           "INSERT INTO `orders` VALUES (1,'a\nb'),(2,(select 1));\n",
           // breakSS SS6: INTO left out, a parenthesised name, a call
           "DELIMITER ;;\nCREATE FUNCTION f() RETURNS INT BEGIN INSERT victim.v VALUES (6); "
           "RETURN 1; END ;;\nDELIMITER ;\n",
           "DELIMITER ;;\nCREATE FUNCTION f() RETURNS INT RETURN (SELECT max(x) FROM (victim.v)) "
           ";;\nDELIMITER ;\n",
           "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN REPLACE `victim`.v VALUES (1); END ;;\n"
           "DELIMITER ;\n",
           "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN CALL victim.q(); END ;;\nDELIMITER ;\n",
       }) {
    INFO(spanning);
    CHECK_FALSE(Reach(std::string(kGenuine) + spanning).empty());
  }
  // What a literal spanning lines holds is data, and blank lines and comments between
  // statements change nothing.
  CHECK(Reach(std::string(kGenuine) +
              "INSERT INTO `orders` VALUES (1,'line 1\nline 2; DROP DATABASE x; -- it''s'),"
              "(2,'select * from victim.v /* x');\n\n-- a comment\n\n" +
              kTrigger + "\n" + kView)
            .empty());
  // A ';' inside a string is no statement's end.
  CHECK(Reach("INSERT INTO `orders` VALUES (1,'x; DROP DATABASE victim; y');\n").empty());
  // At most five said.
  std::string many;
  for (int i = 0; i < 9; ++i) many += "USE victim;\n";
  CHECK(Reach(many).size() == 5);
}

TEST_CASE("mariadb-check's notes are no faults, its errors and warnings are", "[restore][mysql]") {
  CHECK(CheckOutputProblems("shop.orders                                        OK\n"
                            "shop.s\n"
                            "note     : The storage engine for the table doesn't support check\n"
                            "shop.users                                         OK\n")
            .empty());
  std::vector<std::string> bad = CheckOutputProblems(
      "shop.orders\nwarning  : 1 client is using or hasn't closed the table\n"
      "error    : Corrupt\nshop.users   OK\n");
  REQUIRE(bad.size() == 2);
  CHECK(bad[0] ==
        "mariadb-check: shop.orders: warning  : 1 client is using or hasn't closed the table");
  CHECK_THAT(bad[1], Catch::Contains("error    : Corrupt"));
  // A table that says neither OK nor why is a problem too.
  CHECK(CheckOutputProblems("shop.orders   Table is marked as crashed\n").size() == 1);
}
