// The mysqldump stream reader behind a MySQL/MariaDB backup's manifest: rows per table, exact,
// whatever the pieces the stream arrives in, strings holding what looks like tuples.
#include "steps/common/mysql_dump_scan.h"

#include <catch2/catch.hpp>
#include <string>

using namespace runbook;

namespace {

const char* kDump =
    "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n"
    "--\n-- Host: localhost    Database: shop\n"
    "-- Server version\t10.11.6-MariaDB-0+deb12u1\n\n"
    "/*!40101 SET NAMES utf8mb4 */;\n"
    "DROP TABLE IF EXISTS `users`;\n"
    "CREATE TABLE `users` (\n  `id` int(11) NOT NULL,\n  `note` text\n) ENGINE=InnoDB;\n"
    "INSERT INTO `users` VALUES (1,'a'),(2,'it\\'s (not) a row: (3,\\'x\\')'),(3,'x\\\\'),"
    "(4,NULL);\n"
    "INSERT INTO `users` VALUES (5,'line\\none'),(6,0x28292C28);\n"
    "CREATE TABLE `empty` (\n  `x` int\n);\n"
    "CREATE TABLE `lines` (\n  `x` text\n);\n"
    "INSERT INTO `lines` VALUES\n(1,'a;b'),\n(2,'(x)\\n;'),\n(3,NULL);\n"
    "CREATE TABLE `we``ird` (\n  `x` int\n);\n"
    "INSERT INTO `we``ird` (`x`) VALUES (1),(2);\n"
    "/*!50001 CREATE TABLE `v` (\n  `id` tinyint NOT NULL\n) ENGINE=MyISAM */;\n"
    "-- Dump completed on 2026-12-04 20:00:00\n";

}  // namespace

TEST_CASE("mysqldump rows are counted per table, strings and pieces notwithstanding",
          "[steps][mysql]") {
  std::string dump = kDump;
  for (size_t piece : {dump.size(), size_t{1}, size_t{2}, size_t{7}, size_t{64}}) {
    CAPTURE(piece);
    MysqlDumpScan scan;
    for (size_t at = 0; at < dump.size(); at += piece) scan.Feed(dump.substr(at, piece));
    CHECK(scan.rows().at("users") == 6);
    CHECK(scan.rows().at("empty") == 0);
    CHECK(scan.rows().at("we`ird") == 2);
    CHECK(scan.rows().count("v") == 0);  // a view's placeholder is no table
    CHECK(scan.rows().at("lines") == 3);
    CHECK(scan.rows().size() == 4);
    CHECK(scan.dump_tool() ==
          "MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu "
          "(x86_64)");
    CHECK(scan.server_version() == "10.11.6-MariaDB-0+deb12u1");
  }
}

TEST_CASE("a line too long to be of interest is passed over", "[steps][mysql]") {
  MysqlDumpScan scan;
  scan.Feed("/* " + std::string(10000, 'x') + " INSERT INTO `t` VALUES (1); */\n");
  scan.Feed("INSERT INTO `t` VALUES (1),(2);\n");
  CHECK(scan.rows().at("t") == 2);
}
