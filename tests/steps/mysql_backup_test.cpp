// backup and integrity-check with `engine: mysql` against a real MariaDB (Debian's mariadbd,
// support/mariadb_server.h): mariadb-dump --single-transaction under write load is one
// snapshot (two tables written in one transaction keep their difference in the dump), its
// manifest counts the dump's rows, the password a declared secret; the check restores into a
// scratch server of its own and matches the manifest; a damaged dump or manifest is refused
// and the live database is untouched.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <string>

#include "support/mariadb_server.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

const std::string kPassword = "My-Pw\"x\\y-4711";  // a quote and a backslash on purpose

// A backup as `bk` over TCP (the secret from $MY_PW), signed, then its check in a scratch
// server, verified with the public key.
std::string BackupAndCheck(const MariadbServer& db) {
  return "version: 1\nname: myb\nsecrets:\n  pw: {env: MY_PW}\nsteps:\n"
         "  - id: b\n    uses: backup\n    with:\n      engine: mysql\n"
         "      database: mysql://bk@127.0.0.1:" +
         std::to_string(db.port) +
         "/shop\n      password: ${{ secrets.pw }}\n      dest: dumps\n      sign_key: key.pem\n"
         "      keep_last: 2\n"
         "  - id: check\n    uses: integrity-check\n    needs: [b]\n    with:\n"
         "      engine: mysql\n      source: ${{ steps.b.outputs.path }}\n"
         "      workspace: ws/check\n      public_key: pub.pem\n";
}

void Prepare(const MariadbServer& db, const std::string& dir) {
  REQUIRE(db.Sql("CREATE DATABASE seq; CREATE DATABASE shop; CREATE TABLE shop.users(id int "
                 "AUTO_INCREMENT PRIMARY "
                 "KEY, note text) ENGINE=InnoDB; CREATE TABLE shop.orders(id int AUTO_INCREMENT "
                 "PRIMARY KEY, note text) ENGINE=InnoDB; CREATE TABLE shop.empty(x int) "
                 "ENGINE=InnoDB; INSERT INTO shop.users(note) SELECT CONCAT('it''s (', seq, ')') "
                 "FROM seq.seq_1_to_20000; INSERT INTO shop.orders(note) VALUES ('a;b'), "
                 "('c\\\\nd')")
              .exit_code == 0);
  REQUIRE(db.Sql("CREATE USER bk@'%' IDENTIFIED BY 'My-Pw\\\"x\\\\\\\\y-4711'; GRANT ALL ON *.* "
                 "TO bk@'%'")
              .exit_code == 0);
  Shell("cd " + dir + " && openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null && " +
        "openssl pkey -in key.pem -pubout -out pub.pem");
  WriteFile(dir, "b.yaml", BackupAndCheck(db));
}

std::string Env(const std::string& dir) { return "cd " + dir + " && MY_PW='" + kPassword + "' "; }

}  // namespace

TEST_CASE("a mysql backup under write load is one snapshot, and its check matches it",
          "[steps][backup][mysql]") {
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  std::string dir = db.dir;
  Prepare(db, dir);
  // The writer: one row into each table per transaction, so any one snapshot holds
  // users - orders = 20000 - 2.
  int writer = StartBackground(
      {"sh", "-c",
       "while :; do mariadb --no-defaults -S " + db.sock +
           " -u root shop -e \"START TRANSACTION; INSERT INTO users(note) VALUES ('w'); INSERT "
           "INTO orders(note) VALUES ('w'); COMMIT\"; done"},
      dir + "/writer.log");
  std::string before = db.Value("SELECT COUNT(*) FROM shop.orders");
  // A live server's temporary table in the shared /tmp (Debian's default tmpdir): a starting
  // mariadbd deletes every "#sql*" file in its tmpdir, so the check's scratch server must
  // start in its own (a CI run lost a bootstrap's table to another one starting).
  std::string live_temp = "/tmp/#sql-runbook-test-" + std::to_string(::getpid()) + ".MAI";
  REQUIRE(Shell("touch '" + live_temp + "'").exit_code == 0);
  Command run = Shell(Env(dir) + Binary() + " run b.yaml --audit-db a.db");
  CHECK(Shell("test -f '" + live_temp + "'").exit_code == 0);
  Shell("rm -f '" + live_temp + "'");
  std::string after = db.Value("SELECT COUNT(*) FROM shop.orders");
  StopServer(writer);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(std::stol(after) > std::stol(before));  // the writer wrote during the run
  CHECK_THAT(run.err, Catch::Contains("mysql integrity ok: 3 tables, row counts as the manifest "
                                      "says"));
  Command meta = Shell("cat " + dir + "/dumps/*.sql.gz.meta.json");
  CHECK_THAT(
      meta.out,
      Catch::Contains("\"engine\": \"mysql\"") && Catch::Contains("\"row_counts\": \"exact\"") &&
          Catch::Contains("\"empty\": 0") && Catch::Contains("\"server_version\": \"10.") &&
          Catch::Contains("\"dump_tool\": \"MariaDB dump") && Catch::Contains("\"signature\""));
  // One snapshot: the dump's two counts keep the difference every transaction kept.
  std::string users = Shell("python3 -c \"import json,glob; m=json.load(open(glob.glob('" + dir +
                            "/dumps/*.meta.json')[0])); print(m['tables']['users'] - "
                            "m['tables']['orders'])\"")
                          .out;
  CHECK(users == "19998\n");
  // Any gzip reader reads the dump; only its owner does.
  CHECK(Shell("gzip -t " + dir + "/dumps/*.sql.gz").exit_code == 0);
  CHECK(Shell("stat -c %a " + dir + "/dumps/*.sql.gz").out == "600\n");
  // The password: nowhere in the store or the output; the option file is gone.
  CHECK(Shell("grep -c 'My-Pw' " + dir + "/a.db").out == "0\n");
  CHECK(run.err.find("My-Pw") == std::string::npos);
  CHECK(Shell("ls -A " + dir + "/dumps | grep -c cnf").out == "0\n");
  // The scratch server is gone with its folder.
  CHECK(Shell("ls -A " + dir + "/ws").out.empty());
  CHECK(Shell("pgrep -f '" + dir + "/[w]s/check.mysql-'").exit_code != 0);
  // break18 R4: while a backup runs, no file of the dump folder holds the password (an option
  // file there outlived a kill -9, and a sync of the folder copied it out).
  Command watched = Shell("cd " + dir + " && export MY_PW='" + kPassword + "' && (" + Binary() +
                          " run b.yaml --audit-db a.db > /dev/null 2>&1 & P=$!; while kill -0 $P "
                          "2>/dev/null; do grep -rlF 'My-Pw' dumps >> seen 2>/dev/null; done; "
                          "wait $P; echo rc=$?); cat seen");
  CHECK(watched.out == "rc=0\n");
  // break18 R5: a dry run lists the retention though the password is a secret it does not read
  // (three dumps now, keep_last 2: one would go).
  Command dry = Shell(Env(dir) + Binary() + " run b.yaml --audit-db a.db --dry-run");
  INFO(dry.err);
  CHECK_THAT(dry.err, Catch::Contains("retention: would delete "));
  // The wrong password: refused by the server, nothing published.
  Command wrong =
      Shell("cd " + dir + " && MY_PW=wrong-password " + Binary() + " run b.yaml --audit-db a.db");
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.err, Catch::Contains("Access denied for user 'bk'"));
  CHECK(Shell("ls " + dir + "/dumps | grep -c 'sql.gz$'").out == "2\n");
}

TEST_CASE("a damaged mysql dump or manifest is refused, the live database untouched",
          "[steps][backup][mysql][integrity]") {
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  std::string dir = db.dir;
  Prepare(db, dir);
  REQUIRE(Shell(Env(dir) + Binary() + " run b.yaml --audit-db a.db").exit_code == 0);
  std::string live = db.Value("CHECKSUM TABLE shop.users");
  std::string dump = Shell("ls " + dir + "/dumps/*.sql.gz").out;
  dump.pop_back();
  Shell("cp " + dump + " " + dir + "/good");
  std::string check =
      "version: 1\nname: c\nsteps:\n  - id: c\n    uses: integrity-check\n    with: {engine: "
      "mysql, source: '" +
      dump + "', workspace: ws/c";
  // A byte changed: with public_key, refused before anything is decompressed.
  Shell("printf 'X' | dd of=" + dump + " bs=1 seek=300 conv=notrunc 2>/dev/null");
  WriteFile(dir, "c.yaml", check + ", public_key: pub.pem}\n");
  Command forged = Shell(Env(dir) + Binary() + " run c.yaml --audit-db a.db");
  CHECK(forged.exit_code == 1);
  CHECK_THAT(forged.err,
             Catch::Contains("not authentic") && Catch::Contains("checked before decompressing"));
  // Without the key: the damage is found by the decompression, not restored.
  WriteFile(dir, "c.yaml", check + "}\n");
  Command damaged = Shell(Env(dir) + Binary() + " run c.yaml --audit-db a.db");
  CHECK(damaged.exit_code == 1);
  CHECK_THAT(damaged.err, Catch::Contains("integrity check of " + dump + " failed"));
  // The dump intact, its manifest edited: the restored counts disagree.
  Shell("cp " + dir + "/good " + dump + " && sed -i 's/\"orders\": 2/\"orders\": 3/' " + dump +
        ".meta.json");
  Command edited = Shell(Env(dir) + Binary() + " run c.yaml --audit-db a.db");
  CHECK(edited.exit_code == 1);
  CHECK_THAT(edited.err, Catch::Contains("table 'orders' has 2 rows; the manifest says 3"));
  // Nothing of it reached the live server, and no scratch server is left.
  CHECK(db.Value("CHECKSUM TABLE shop.users") == live);
  CHECK(db.Value("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = "
                 "'runbook_check'") == "0");
  CHECK(Shell("pgrep -f '" + dir + "/[w]s/c.mysql-'").exit_code != 0);
  CHECK(Shell("ls -A " + dir + "/ws").out.empty());

  // A check killed (kill -9) while its scratch server runs: the server ends with it (the
  // engine's PR_SET_PDEATHSIG; SweepScratchFolders stops one that did not), and the next
  // check on this host removes its folder (breakKK: it stayed forever).
  Shell("sed -i 's/\"orders\": 3/\"orders\": 2/' " + dump + ".meta.json");
  int killed =
      StartBackground({"sh", "-c", Env(dir) + "exec " + Binary() + " run c.yaml --audit-db k.db"},
                      dir + "/killed.log");
  for (int i = 0; i < 300 && Shell("ls " + dir + "/ws/c.mysql-*/server.pid").exit_code != 0; ++i)
    Shell("sleep 0.1");
  ::kill(killed, SIGKILL);
  Shell("sleep 0.5");
  REQUIRE(Shell("ls -A " + dir + "/ws").out.find("c.mysql-") != std::string::npos);
  Command next = Shell(Env(dir) + Binary() + " run c.yaml --audit-db a.db");
  INFO(next.err);
  CHECK(next.exit_code == 0);
  CHECK_THAT(next.err, Catch::Contains(", left by a killed run"));
  CHECK(Shell("pgrep -f '" + dir + "/[w]s/c.mysql-'").exit_code != 0);
  CHECK(Shell("ls -A " + dir + "/ws").out.empty());
}

TEST_CASE("a mysql database URL with a password or without a database is refused",
          "[steps][backup][mysql]") {
  std::string dir = TempDir();
  for (const auto& [url, says] : std::vector<std::pair<std::string, std::string>>{
           {"mysql://bk:pw@127.0.0.1/shop", "the password goes in 'password'"},
           {"mysql://bk@127.0.0.1/", "database must be a URL mysql://USER@HOST:PORT/DBNAME"},
           {"postgresql://bk@127.0.0.1/shop", "database must be a URL"},
           {"mysql://bk@localhost/shop?sock=/x", "unknown URL option 'sock=/x'"}}) {
    CAPTURE(url);
    WriteFile(dir, "b.yaml",
              "version: 1\nname: b\nsteps:\n  - {id: b, uses: backup, with: {engine: mysql, "
              "database: '" +
                  url + "', dest: d}}\n");
    Command run = Shell("cd " + dir + " && " + Binary() + " run b.yaml --audit-db a.db");
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains(says));
    CHECK(Shell("ls " + dir + "/d 2>/dev/null | wc -l").out == "0\n");
  }
}

TEST_CASE("a mysql dump that runs commands, writes files or fails midway is refused by the check",
          "[steps][mysql][integrity]") {
  // breakKK KK1: the check restored as root with a client that ran `\! cmd` and a server
  // that wrote INTO OUTFILE anywhere; KK4: a statement that failed midway still gave "ok".
  REQUIRE(Shell("command -v mariadbd mariadb >/dev/null").exit_code == 0);
  std::string dir = TempDir();
  const std::vector<std::pair<std::string, std::string>> dumps = {
      {"\\! touch " + dir + "/pwned-shell\n", "sandbox"},
      {"system touch " + dir + "/pwned-system\n", "sandbox"},
      {"SELECT 'x' INTO OUTFILE '" + dir + "/pwned-outfile';\n", "FILE privilege"},
      {"INSERT INTO `nope` VALUES (1);\n", "doesn't exist"},
      // break18 R2: a plugin that reaches other servers or writes files, a log moved out of
      // the scratch folder, the grant tables, a procedure run as root that was defined for it.
      {"INSTALL SONAME 'ha_federatedx';\n", "denied"},
      {"INSTALL SONAME 'server_audit';\n", "denied"},
      {"SET GLOBAL general_log_file='" + dir + "/pwned-log'; SET GLOBAL general_log=1;\n",
       "denied"},
      {"UPDATE mysql.global_priv SET Priv='{}';\n", "denied"},
      {"CREATE DEFINER='root'@'localhost' PROCEDURE p() SQL SECURITY DEFINER SET GLOBAL "
       "general_log_file='" +
           dir + "/pwned-proc';\nCALL p();\n",
       "denied"},
  };
  for (const auto& [line, says] : dumps) {
    CAPTURE(line);
    WriteFile(dir, "h.sql",
              "CREATE TABLE `t` (`id` int);\nINSERT INTO `t` VALUES (1),(2);\n" + line +
                  "INSERT INTO `t` VALUES (3);\n");
    REQUIRE(Shell("cd " + dir + " && gzip -f h.sql").exit_code == 0);
    WriteFile(dir, "c.yaml",
              "version: 1\nname: c\nsteps:\n  - {id: c, uses: integrity-check, with: {engine: "
              "mysql, source: h.sql.gz, workspace: ws/c}}\n");
    Command c = Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db");
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("restore: mariadb") && Catch::Contains(says));
  }
  CHECK(Shell("ls " + dir + " | grep -c pwned").out == "0\n");
  CHECK(Shell("ls -A " + dir + "/ws").out.empty());
}

TEST_CASE("a mysql dump whose tables keep their files elsewhere writes nothing there when checked",
          "[steps][mysql][integrity]") {
  // The kind of KK1 (a checked dump wrote outside the check's folder, as the step's user):
  // DATA DIRECTORY and INDEX DIRECTORY on tables of three engines and on a partition. The
  // scratch server ignores them; the tables are made in its own folder and checked there.
  REQUIRE(Shell("command -v mariadbd mariadb >/dev/null").exit_code == 0);
  std::string dir = TempDir();
  std::string away = dir + "/away";
  REQUIRE(Shell("mkdir -p " + away + " && chmod 777 " + away).exit_code == 0);
  std::string at = "'" + away + "'";
  WriteFile(dir, "h.sql",
            "CREATE TABLE `i` (`id` int) ENGINE=InnoDB DATA DIRECTORY=" + at + ";\n" +
                "CREATE TABLE `m` (`id` int) ENGINE=MyISAM DATA DIRECTORY=" + at +
                " INDEX DIRECTORY=" + at + ";\n" +
                "CREATE TABLE `a` (`id` int) ENGINE=Aria DATA DIRECTORY=" + at + ";\n" +
                "CREATE TABLE `p` (`id` int) ENGINE=InnoDB PARTITION BY HASH(`id`) (PARTITION "
                "p0 DATA DIRECTORY=" +
                at + ", PARTITION p1);\n" +
                "INSERT INTO `i` VALUES (1);\nINSERT INTO `m` VALUES (1);\n"
                "INSERT INTO `a` VALUES (1);\nINSERT INTO `p` VALUES (1),(2);\n");
  REQUIRE(Shell("cd " + dir + " && gzip -f h.sql").exit_code == 0);
  WriteFile(dir, "c.yaml",
            "version: 1\nname: c\nsteps:\n  - {id: c, uses: integrity-check, with: {engine: "
            "mysql, source: h.sql.gz, workspace: ws/c}}\n");
  Command c = Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db");
  INFO(c.err);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.err, Catch::Contains("mysql integrity ok: 4 tables"));  // made in its folder
  CHECK(Shell("find " + away + " -mindepth 1").out.empty());
  CHECK(Shell("ls -A " + dir + "/ws").out.empty());
}

TEST_CASE("a mysql password an option file cannot carry is refused before anything runs",
          "[steps][backup][mysql]") {
  // breakKK KK10: a newline in it started a new option line of the dump tool.
  std::string dir = TempDir();
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsecrets:\n  pw: {env: NL_PW}\nsteps:\n  - {id: b, uses: "
            "backup, with: {engine: mysql, database: 'mysql://u@127.0.0.1:1/shop', password: "
            "'${{ secrets.pw }}', dest: d}}\n");
  Command c =
      Shell("cd " + dir + " && NL_PW=\"$(printf 'ab\\n[mariadb-dump]\\nresult-file=/tmp/x')\" " +
            Binary() + " run b.yaml --audit-db a.db");
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("password: holds a control character"));
  CHECK(Shell("ls -A " + dir + "/d").out.empty());
}
