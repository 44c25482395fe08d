// restore (engines postgres and mysql) against real servers: nothing of a dump reaches beyond
// the new database it is replayed into; a dump of another database, or one the live database
// only seems to hold, is not taken for this one (breakOO OO1-OO5, OO10, OO11, OO14).
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "support/mariadb_server.h"
#include "support/pg_server.h"
#include "support/server_runbooks.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

// `dump` with `sql` appended as dumps/NAME.sql.gz, its metadata made to match (as anyone who
// can write the folder can, without public_key).
// `sed`, when given, is a sed -E expression applied to the dump's own lines first.
std::string EditedDump(const std::string& dir, const std::string& dump, const std::string& name,
                       const std::string& sql, const std::string& sed = "") {
  std::string out = dir + "/dumps/" + name + ".sql.gz";
  WriteFile(dir, name + ".tail.sql", sql + "\n");
  WriteFile(dir, name + ".sed", sed.empty() ? "s/^//" : sed);
  Shell("cd " + dir + " && (gzip -dc " + dump + " | sed -E -f " + name + ".sed; cat " + name +
        ".tail.sql) | gzip > " + out + " && cp " + dump + ".meta.json " + out +
        ".meta.json && python3 -c \"import "
        "json,hashlib,sys,gzip;m=json.load(open(sys.argv[1]));b=open(sys.argv[2],'rb').read();"
        "m['sha256']=hashlib.sha256(b).hexdigest();m['size']=len(b);r=gzip.decompress(b);"
        "m['raw_sha256']=hashlib.sha256(r).hexdigest();m['raw_size']=len(r);"
        "json.dump(m,open(sys.argv[1],'w'))\" " +
        out + ".meta.json " + out);
  return out;
}

// Databases shop (50 rows backed up, then 51) and victim (one row, 42); restore.yaml (forced:
// no verify step) restores into shop. Returns the dump.
std::string ShopAndVictim(const MariadbServer& db, const std::string& ws) {
  REQUIRE(db.Sql("CREATE DATABASE shop; CREATE TABLE shop.t(id int primary key); INSERT INTO "
                 "shop.t SELECT seq FROM shop.seq_1_to_50; CREATE DATABASE victim; CREATE TABLE "
                 "victim.v(x int); INSERT INTO victim.v VALUES (42)")
              .exit_code == 0);
  std::string live = "mysql://root@localhost/shop?socket=" + db.sock;
  WriteRunbooks(db.dir, "mysql", live, "", ws + "      force: true\n", false);
  REQUIRE(Run(db.dir, "backup.yaml").exit_code == 0);
  std::string dump = NewestDump(db.dir);
  REQUIRE(db.Sql("INSERT INTO shop.t VALUES (1000)").exit_code == 0);
  return dump;
}

}  // namespace

TEST_CASE("mysql restore: a dump that reaches beyond its new database is refused before it runs",
          "[e2e][mysql][restore]") {
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  std::string ws = "      workspace: " + db.dir + "/ws/restore\n";
  std::string dump = ShopAndVictim(db, ws);
  auto edited = [&](const std::string& name, const std::string& sql) {
    return EditedDump(db.dir, dump, name, sql);
  };
  // break18 R3: a killed restore's mark, a dead process of this host, written by anyone with
  // ALTER on a database: the sweep drops only databases runbook named, so `victim` stays, and
  // a real leftover (`shop_restore_<stamp>`, so marked) goes.
  std::string host = Shell("hostname | tr -d '\\n'").out;
  std::string dead = "runbook restore in progress: host=" + host + " pid=4194399 run=x";
  REQUIRE(db.Sql("ALTER DATABASE victim COMMENT '" + dead +
                 "'; CREATE DATABASE shop_restore_20200101T000000Z COMMENT '" + dead + "'")
              .exit_code == 0);
  auto intact = [&] {
    CHECK(db.Value("SELECT count(*) FROM shop.t") == "51");
    CHECK(db.Value("SELECT x FROM victim.v") == "42");
    CHECK(db.Value("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE "
                   "'shop\\_%' OR schema_name = 'evilnew'") == "0");
  };
  for (const char* sql :
       {"DROP DATABASE IF EXISTS victim;", "DROP DATABASE IF EXISTS shop;",
        "CREATE DATABASE evilnew;", "USE victim; DELETE FROM v;",
        "INSERT INTO victim.v VALUES (7);", "GRANT ALL ON *.* TO 'evil'@'%' IDENTIFIED BY 'x';"}) {
    INFO(sql);
    Command r = Run(db.dir, "restore.yaml --set dump=" + edited("e", sql));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("the dump cannot be replayed here") &&
                          Catch::Contains("shop untouched"));
    intact();
  }
  CHECK(db.Value("SELECT count(*) FROM mysql.user WHERE user = 'evil'") == "0");
  // An ordinary `mariadb-dump --databases --add-drop-database` (breakOO OO2): it switches
  // databases itself.
  Shell("mariadb-dump --no-defaults -S " + db.sock + " -u root --single-transaction --databases " +
        "--add-drop-database shop | gzip > " + db.dir + "/dumps/hand.sql.gz");
  // Without metadata nothing says which database it is of (breakQQ QQ9: a bare dump of
  // another database replaced the live one): `from` must say it.
  Command unknown = Run(db.dir, "restore.yaml --set dump=" + db.dir + "/dumps/hand.sql.gz");
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("nothing says which database the dump is of") &&
                              Catch::Contains("set from: shop") &&
                              Catch::Contains("shop untouched"));
  WriteRunbooks(db.dir, "mysql", "mysql://root@localhost/shop?socket=" + db.sock, "",
                ws + "      force: true\n      from: shop\n", false);
  Command hand = Run(db.dir, "restore.yaml --set dump=" + db.dir + "/dumps/hand.sql.gz");
  CHECK(hand.exit_code == 1);
  CHECK_THAT(hand.err, Catch::Contains("DROP DATABASE") || Catch::Contains("USE "));
  intact();
}

TEST_CASE(
    "mysql restore: a trigger named with its database, a sequence, a dump of another "
    "database, a live database that only seems restored",
    "[e2e][mysql][restore]") {
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  REQUIRE(db.Sql("CREATE DATABASE shop; CREATE TABLE shop.t(id int); CREATE TABLE shop.log(id "
                 "int); CREATE SEQUENCE shop.s START WITH 100; INSERT INTO shop.t SELECT seq "
                 "FROM shop.seq_1_to_20; CREATE DATABASE other; CREATE TABLE other.o(x int); "
                 "INSERT INTO other.o VALUES (1)")
              .exit_code == 0);
  std::string live = "mysql://root@localhost/shop?socket=" + db.sock;
  std::string ws = "      workspace: " + db.dir + "/ws/restore\n";
  WriteRunbooks(db.dir, "mysql", live, "workspace: " + db.dir + "/ws/check", ws);
  // A sequence's "doesn't support check" note is no fault (breakOO OO10).
  REQUIRE(Run(db.dir, "backup.yaml").exit_code == 0);
  std::string plain = NewestDump(db.dir);
  REQUIRE(db.Sql("DELETE FROM shop.t WHERE id > 3").exit_code == 0);
  Command restored = Run(db.dir, "restore.yaml --set dump=" + plain + " --set switch=env");
  INFO(restored.err);
  CHECK(restored.exit_code == 0);
  // The live database commented as restored from this dump, then data lost again: a real
  // restore, not "already holds" (breakOO OO4).
  REQUIRE(Run(db.dir, "backup.yaml").exit_code == 0);
  std::string tables = NewestDump(db.dir);
  REQUIRE(Run(db.dir, "restore.yaml --set dump=" + tables).exit_code == 0);
  REQUIRE(db.Sql("DELETE FROM shop.t WHERE id > 2").exit_code == 0);
  Command again = Run(db.dir, "restore.yaml --set dump=" + tables);
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("already holds this dump") == std::string::npos);
  CHECK(db.Value("SELECT count(*) FROM shop.t") == "3");
  // The sequence moved too, both ways (breakSS SS10: the dump's was dropped, the live one
  // left in place).
  CHECK(db.Value("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'shop' "
                 "AND table_name = 's' AND table_type = 'SEQUENCE'") == "1");
  CHECK(db.Value("SELECT count(*) FROM information_schema.tables WHERE table_schema LIKE "
                 "'shop\\_before\\_%' AND table_name = 's' AND table_type = 'SEQUENCE'") != "0");
  // A trigger created with qualified names would be made on the live table (breakOO OO3).
  REQUIRE(db.Sql("CREATE TRIGGER shop.tr AFTER INSERT ON shop.t FOR EACH ROW INSERT INTO "
                 "shop.log VALUES (NEW.id)")
              .exit_code == 0);
  REQUIRE(Run(db.dir, "backup.yaml").exit_code == 0);
  std::string trig = NewestDump(db.dir);
  REQUIRE(db.Sql("DROP TRIGGER shop.tr").exit_code == 0);
  // Verified first, the scratch server's replay fails (its shop.t does not exist); forced,
  // restore itself refuses it before the replay.
  Command verified = Run(db.dir, "restore.yaml --set dump=" + trig);
  CHECK(verified.exit_code == 1);
  WriteRunbooks(db.dir, "mysql", live, "", ws + "      force: true\n", false);
  for (const char* how : {"rename", "env"}) {
    Command r = Run(db.dir, "restore.yaml --set dump=" + trig + " --set switch=" + how);
    INFO(how << ": " << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("shop untouched"));
    CHECK(db.Value("SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = "
                   "'shop'") == "0");
  }
  CHECK(db.Value("SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = "
                 "'shop'") == "0");
  // A dump of another database is not this one's (breakOO OO5), unless `from` says so.
  WriteRunbooks(db.dir, "mysql", "mysql://root@localhost/other?socket=" + db.sock, "", "", false);
  REQUIRE(Run(db.dir, "backup.yaml").exit_code == 0);
  std::string others = NewestDump(db.dir);
  WriteRunbooks(db.dir, "mysql", live, "workspace: " + db.dir + "/ws/check", ws);
  Command mismatch = Run(db.dir, "restore.yaml --set dump=" + others);
  CHECK(mismatch.exit_code == 1);
  CHECK_THAT(mismatch.err, Catch::Contains("the dump is of database 'other'") &&
                               Catch::Contains("set from: other"));
  CHECK(db.Value("SELECT count(*) FROM shop.t") == "3");
  WriteRunbooks(db.dir, "mysql", live, "workspace: " + db.dir + "/ws/check",
                ws + "      from: other\n");
  Command copied = Run(db.dir, "restore.yaml --set dump=" + others);
  INFO(copied.err);
  CHECK(copied.exit_code == 0);
  CHECK(db.Value("SELECT count(*) FROM shop.o") == "1");
}

TEST_CASE(
    "postgres restore: a dump of another database, a live database that only seems "
    "restored, a role that cannot install amcheck",
    "[e2e][postgres][restore]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  REQUIRE(pg.Psql("postgres", "CREATE ROLE restorer LOGIN CREATEDB").exit_code == 0);
  for (const char* name : {"shop", "other"}) {
    REQUIRE(
        pg.Psql("postgres", std::string("CREATE DATABASE ") + name + " OWNER restorer").exit_code ==
        0);
    REQUIRE(pg.Psql(name,
                    "SET ROLE restorer; CREATE TABLE t(id int); INSERT INTO t SELECT "
                    "generate_series(1, 40)")
                .exit_code == 0);
  }
  // As a role that is no superuser: pg_amcheck is skipped, said (breakOO OO11).
  std::string as = pg.Conn() + " user=restorer dbname=";
  WriteRunbooks(pg.dir, "postgres", as + "other", "server: '" + pg.Conn() + "'", "", false);
  REQUIRE(Run(pg.dir, "backup.yaml").exit_code == 0);
  std::string others = NewestDump(pg.dir);
  WriteRunbooks(pg.dir, "postgres", as + "shop", "", "      no_owner: true\n      force: true\n",
                false);
  REQUIRE(Run(pg.dir, "backup.yaml").exit_code == 0);
  std::string mine = NewestDump(pg.dir);
  Command mismatch = Run(pg.dir, "restore.yaml --set dump=" + others);
  CHECK(mismatch.exit_code == 1);
  CHECK_THAT(mismatch.err, Catch::Contains("the dump is of database 'other'"));
  REQUIRE(pg.Psql("shop", "DELETE FROM t WHERE id > 4").exit_code == 0);
  // A run killed while the server made its database left it without a comment (breakOO
  // OO13), closed to connections as runbook makes it: one made over an hour ago goes (a
  // restore's, a second restore's `_2`, a check's); one of now may be a running restore's: it
  // stays. A database merely named like runbook's, open to connections (a user's, or a live
  // one whose comment a migration lost), stays whatever its age (breakQQ QQ10).
  // (psql folds them to lower case, as an unquoted name; the stamp is read either way)
  std::string now_stamp = Shell("date -u +%Y%m%dt%H%M%Sz").out;
  now_stamp.pop_back();
  const std::vector<std::string> killed = {"shop_restore_20200101t000000z",
                                           "shop_restore_20200101t000000z_2",
                                           "runbook_check_20200101t000000z_0123abcd"};
  for (const std::string& name : killed)
    REQUIRE(
        pg.Psql("postgres", "CREATE DATABASE " + name + " OWNER restorer ALLOW_CONNECTIONS false")
            .exit_code == 0);
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop_restore_" + now_stamp +
                                  " OWNER restorer ALLOW_CONNECTIONS false")
              .exit_code == 0);
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop_restore_20200101t000001z OWNER restorer")
              .exit_code == 0);
  Command restored = Run(pg.dir, "restore.yaml --set dump=" + mine);
  INFO(restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK_THAT(restored.err, Catch::Contains("pg_amcheck not run: this role cannot install amcheck"));
  CHECK(pg.Value("shop", "SELECT count(*) FROM t") == "40");
  for (const std::string& name : killed)
    CHECK_THAT(restored.err, Catch::Contains("dropped database " + name + ", unmarked"));
  auto exists = [&](const std::string& name) {
    return pg.Value("postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'");
  };
  CHECK(exists("shop_restore_" + now_stamp) == "1");
  CHECK(exists("shop_restore_20200101t000001z") == "1");
  CHECK(exists("shop_restore_20200101t000000z_2") == "0");
  // Data lost again after that restore: restored again, not "already holds" (breakOO OO4).
  REQUIRE(pg.Psql("shop", "DELETE FROM t WHERE id > 4").exit_code == 0);
  Command again = Run(pg.dir, "restore.yaml --set dump=" + mine);
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("already holds this dump") == std::string::npos);
  CHECK(pg.Value("shop", "SELECT count(*) FROM t") == "40");
}

TEST_CASE("mysql restore: what the dump's scan misses, the replay account cannot do",
          "[e2e][mysql][restore]") {
  // breakQQ QQ1-QQ7: statements the lexical scan let through reached other databases (names
  // split by spaces or comments, a second name in a list, RENAME TO, SET STATEMENT ... FOR,
  // a MERGE table, reads copying other data in). The dump is replayed as an account granted
  // only on the new database: the server refuses each, whatever the scan saw.
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  std::string ws = "      workspace: " + db.dir + "/ws/restore\n";
  std::string dump = ShopAndVictim(db, ws);
  // Accounts killed restores left: one made in 1970 (dropped), one just now (kept: a restore
  // may be using it).
  std::string now = std::to_string(std::time(nullptr));
  REQUIRE(db.Sql("CREATE USER 'rb_restore_1000_abcdef12'@'localhost'; CREATE USER 'rb_restore_" +
                 now + "_abcdef12'@'localhost'")
              .exit_code == 0);
  int by_server = 0;
  for (const std::string& sql : std::vector<std::string>{
           "/*M!999999\\! touch " + db.dir + "/pwned */",  // breakSS SS1
           "CREATE TABLE o (id int) ENGINE=InnoDB DATA DIRECTORY='" + db.dir + "/outside';",
           "INSERT INTO victim . v VALUES (7);",
           "INSERT INTO victim/**/.v VALUES (7);",
           "DROP TABLE t, victim.v;",
           "ALTER TABLE t RENAME TO victim.x;",
           "SET STATEMENT max_statement_time=100 FOR DROP DATABASE victim;",
           "SET @a=1, GLOBAL max_connections=7;",
           "SET SESSION sql_log_bin=0;",
           "CREATE TABLE m (x int) ENGINE=MRG_MyISAM UNION=(victim . v);",
           "CREATE TABLE c AS SELECT * FROM victim . v;",
           "CREATE TABLE l LIKE victim . v;",
           "SET @a = (SELECT x FROM victim . v);",
           "DELETE FROM victim /* x */ . v;",
       }) {
    INFO(sql);
    Command r = Run(db.dir, "restore.yaml --set dump=" + EditedDump(db.dir, dump, "e", sql));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("shop untouched"));
    bool denied = r.err.find("denied") != std::string::npos &&
                  r.err.find("can reach only shop_restore_") != std::string::npos;
    CHECK((denied || r.err.find("the dump cannot be replayed here") != std::string::npos));
    by_server += denied ? 1 : 0;
    CHECK(db.Value("SELECT count(*) FROM shop.t") == "51");
    CHECK(db.Value("SELECT x FROM victim.v") == "42");
    CHECK(db.Value("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                   "'victim'") == "1");
    CHECK(db.Value("SELECT @@global.max_connections") != "7");
    CHECK(db.Value("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE "
                   "'shop\\_%'") == "0");
  }
  // Measured 2026-12-05: 3 of these 14 pass the scan (5 before SS2's whole-statement scan, 9
  // before QQ3's): the server's refusal is what answered those.
  CHECK(by_server >= 3);
  CHECK(Shell("test -e " + db.dir + "/pwned").exit_code != 0);
  CHECK(Shell("ls -A " + db.dir + "/outside 2>/dev/null").out.empty());
  CHECK(db.Value("SELECT group_concat(user) FROM mysql.user WHERE user LIKE "
                 "'rb\\_restore\\_%'") == "rb_restore_" + now + "_abcdef12");

  // An account that cannot make the replay account is refused by default, in words; with
  // replay_account: own it restores as itself.
  REQUIRE(db.Sql("CREATE USER app@localhost IDENTIFIED BY 'App-pw-1'; GRANT ALL ON shop.* TO "
                 "app@localhost; GRANT ALL ON \\`shop\\\\_%\\`.* TO app@localhost")
              .exit_code == 0);
  std::string app = "mysql://app@localhost/shop?socket=" + db.sock;
  WriteRunbooks(db.dir, "mysql", app, "", ws + "      force: true\n      password: App-pw-1\n",
                false);
  Command refused = Run(db.dir, "restore.yaml --set dump=" + dump);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("cannot make the temporary account") &&
                              Catch::Contains("replay_account: own") &&
                              Catch::Contains("shop untouched"));
  CHECK(db.Value("SELECT count(*) FROM shop.t") == "51");
  WriteRunbooks(db.dir, "mysql", app, "",
                ws + "      force: true\n      password: App-pw-1\n      replay_account: own\n",
                false);
  Command own = Run(db.dir, "restore.yaml --set dump=" + dump);
  INFO(own.err);
  CHECK(own.exit_code == 0);
  CHECK(db.Value("SELECT count(*) FROM shop.t") == "50");
  CHECK(refused.err.find("App-pw-1") == std::string::npos);
  CHECK(own.err.find("App-pw-1") == std::string::npos);
  // The live database dropped by someone else while the dump replays: the step never calls
  // a live database it lost "untouched" (breakQQ QQ1).
  WriteRunbooks(db.dir, "mysql", "mysql://root@localhost/shop?socket=" + db.sock, "",
                ws + "      force: true\n", false);
  std::string slow = EditedDump(db.dir, dump, "slow",
                                "CREATE TABLE z (a int);\nINSERT INTO z SELECT SLEEP(3);\n"
                                "INSERT INTO nowhere VALUES (1);");
  int dropper = StartBackground(
      {"sh", "-c",
       "until mariadb --no-defaults -S " + db.sock +
           " -u root -N -e \"SELECT 1 FROM information_schema.processlist WHERE state = "
           "'User sleep'\" | grep -q 1; do sleep 0.1; done; mariadb --no-defaults -S " +
           db.sock + " -u root -e 'DROP DATABASE shop'"},
      db.dir + "/dropper.log");
  Command lost = Run(db.dir, "restore.yaml --set dump=" + slow);
  StopServer(dropper);
  INFO(lost.err);
  CHECK(lost.exit_code == 1);
  CHECK_THAT(lost.err, Catch::Contains("shop NO LONGER EXISTS"));
  CHECK(lost.err.find("untouched") == std::string::npos);
}

TEST_CASE(
    "mysql restore, switch env: a view, trigger or routine the app could not use, or that "
    "would run as the app, is refused",
    "[e2e][mysql][restore]") {
  // breakSS SS4: objects without a DEFINER were owned by the temporary replay account, dropped
  // after the replay: the step said success and the app's first write failed (1449). SS6: an
  // SQL SECURITY INVOKER function ran the dump's code as the app, writing another database.
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  std::string ws = "      workspace: " + db.dir + "/ws/restore\n";
  std::string dump = ShopAndVictim(db, ws);
  REQUIRE(db.Sql("USE shop; CREATE TABLE log(id int); CREATE VIEW w AS SELECT id FROM t; "
                 "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO log VALUES "
                 "(NEW.id); CREATE PROCEDURE p() SELECT count(*) FROM t")
              .exit_code == 0);
  REQUIRE(Run(db.dir, "backup.yaml").exit_code == 0);
  std::string objects = NewestDump(db.dir);
  auto refused = [&](const std::string& edited, const std::string& says) {
    Command r = Run(db.dir, "restore.yaml --set switch=env --set dump=" + edited);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(says) && Catch::Contains("shop untouched"));
    CHECK(db.Value("SELECT count(*) FROM shop.t") == "51");
    CHECK(db.Value("SELECT x FROM victim.v") == "42");
    CHECK(db.Value("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE "
                   "'shop\\_%'") == "0");
  };
  // DEFINER stripped, as operators do for portability: each object would be the replay
  // account's.
  const std::string strip = "s/DEFINER=`[^`]*`@`[^`]*`//g";
  refused(EditedDump(db.dir, objects, "nodefiner", "", strip), "has no DEFINER");
  // Variants: a view alone, a function alone (a definer-less object of each kind).
  refused(EditedDump(db.dir, dump, "view", "CREATE VIEW w2 AS SELECT id FROM t;"),
          "the dump's view w2 has no DEFINER");
  refused(EditedDump(db.dir, dump, "function",
                     "DELIMITER ;;\nCREATE FUNCTION f() RETURNS INT RETURN 1 ;;\nDELIMITER ;"),
          "the dump's function f has no DEFINER");
  // SQL SECURITY INVOKER, replayed as the connecting account (its own definer: no 1449), with
  // a body the scan cannot read: refused all the same, and victim untouched.
  WriteRunbooks(db.dir, "mysql", "mysql://root@localhost/shop?socket=" + db.sock, "",
                ws + "      force: true\n      replay_account: own\n", false);
  refused(EditedDump(db.dir, dump, "invoker",
                     "DELIMITER ;;\nCREATE FUNCTION f() RETURNS INT SQL SECURITY INVOKER MODIFIES "
                     "SQL DATA BEGIN INSERT victim.v VALUES (666); RETURN (SELECT max(x) FROM "
                     "(victim.v)); END ;;\nDELIMITER ;\nCREATE SQL SECURITY INVOKER VIEW w AS "
                     "SELECT f() AS x;"),
          "");
  refused(EditedDump(db.dir, dump, "invoker2",
                     "CREATE SQL SECURITY INVOKER VIEW w3 AS SELECT id FROM t;"),
          "the dump's view w3 runs with its caller's rights (SQL SECURITY INVOKER)");
  // The dump as taken (definers kept), replayed as the connecting account: restored, and its
  // objects work.
  Command ok = Run(db.dir, "restore.yaml --set switch=env --set dump=" + objects);
  INFO(ok.err);
  CHECK(ok.exit_code == 0);

  // breakSS SS8: the temporary account is made by its password's hash: the password is in no
  // log the server keeps (the general log here; the binary log gets the same statement).
  REQUIRE(db.Sql("SET GLOBAL log_output = 'TABLE', GLOBAL general_log = 1").exit_code == 0);
  WriteRunbooks(db.dir, "mysql", "mysql://root@localhost/shop?socket=" + db.sock, "",
                ws + "      force: true\n", false);
  Command temp = Run(db.dir, "restore.yaml --set switch=env --set dump=" + dump);
  INFO(temp.err);
  CHECK(temp.exit_code == 0);
  REQUIRE(db.Sql("SET GLOBAL general_log = 0").exit_code == 0);
  std::string created = db.Value(
      "SELECT group_concat(CONVERT(argument USING utf8mb4) SEPARATOR ' | ') FROM "
      "mysql.general_log WHERE CONVERT(argument USING utf8mb4) LIKE 'CREATE USER%rb_restore_%'");
  CHECK_THAT(created, Catch::Contains("IDENTIFIED BY PASSWORD '*"));
  CHECK(created.find("-Rb9") == std::string::npos);  // the password's fixed tail
}

TEST_CASE(
    "mysql restore: a restore killed mid-replay leaves no client replaying, and the next ends "
    "its session",
    "[e2e][mysql][restore]") {
  // breakSS SS9: kill -9 of runbook left the replay client running as the temporary account
  // (reparented to init); the next restore dropped its database under it and left it going.
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  std::string ws = "      workspace: " + db.dir + "/ws/restore\n";
  std::string dump = ShopAndVictim(db, ws);
  std::string slow = EditedDump(db.dir, dump, "slow", "SET @x = SLEEP(60);");
  const std::string sessions =
      "SELECT count(*) FROM information_schema.processlist WHERE user LIKE 'rb\\_restore\\_%'";
  int pid = StartBackground({"sh", "-c",
                             "cd " + db.dir + " && exec " + Binary() +
                                 " run restore.yaml --audit-db a.db --set dump=" + slow},
                            db.dir + "/killed.log");
  bool replaying = false;
  for (int i = 0; i < 200 && !replaying; ++i) {
    replaying = db.Value(sessions) == "1";
    if (!replaying) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(replaying);
  ::kill(pid, SIGKILL);  // runbook alone: its client is in another process group
  ::waitpid(pid, nullptr, 0);
  CHECK(Shell("for i in $(seq 50); do pgrep -f 'replay[.]cnf' >/dev/null || exit 0; sleep 0.1; "
              "done; exit 1")
            .exit_code == 0);             // the client died with runbook
  std::string left = db.Value(sessions);  // its statement may run on without its client
  Command next = Run(db.dir, "restore.yaml --set dump=" + dump);
  INFO(next.err);
  CHECK(next.exit_code == 0);
  CHECK_THAT(next.err, Catch::Contains("dropped database shop_restore_"));
  if (left == "1") CHECK_THAT(next.err, Catch::Contains("ended session"));
  CHECK(db.Value(sessions) == "0");
  CHECK(db.Value("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE "
                 "'shop\\_restore\\_%'") == "0");
}
