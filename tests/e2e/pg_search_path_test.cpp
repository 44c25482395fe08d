// break18 R1: a database's owner (no superuser) created `public.quote_ident(name)`, an exact
// match PostgreSQL prefers to pg_catalog's quote_ident(text) on the default search_path.
// runbook's row counts called it as runbook's role, a superuser: backup, integrity-check (on a
// dump signed by the backup job) and restore each ran the owner's code as the superuser. Now
// every session runbook opens puts pg_catalog first, and the check counts as its own role.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/pg_server.h"
#include "support/server_runbooks.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

// In `db`, as its owner `app`: functions that shadow pg_catalog's for the `name` type (and a
// `||` for name and text), each writing `proof` through COPY TO PROGRAM when a superuser
// calls it.
std::string Shadows(const std::string& proof) {
  std::string body =
      "BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch " + proof + "'''; RETURN $1::text; END";
  return "SET ROLE app; "
         "CREATE FUNCTION public.quote_ident(name) RETURNS text LANGUAGE plpgsql AS $f$" +
         body +
         "$f$; "
         "CREATE FUNCTION public.lower(name) RETURNS text LANGUAGE plpgsql AS $f$" +
         body + "$f$;";
}

}  // namespace

TEST_CASE("postgres: a database owner's functions never run as runbook's role",
          "[e2e][postgres][hostile]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  REQUIRE(Shell("chmod 0777 " + pg.dir).exit_code == 0);  // where the server's account writes
  std::string proof = pg.dir + "/ran-as-superuser";
  REQUIRE(pg.Psql("postgres", "CREATE ROLE app LOGIN").exit_code == 0);
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop OWNER app").exit_code == 0);
  REQUIRE(pg.Psql("shop",
                  "SET ROLE app; CREATE TABLE t(id int); INSERT INTO t SELECT "
                  "generate_series(1, 20)")
              .exit_code == 0);
  REQUIRE(
      Shell("psql -X -q -d '" + pg.Conn() + " dbname=shop' <<'SQL'\n" + Shadows(proof) + "\nSQL")
          .exit_code == 0);
  // The shadow works where a superuser does not guard its search_path: the test's own proof.
  REQUIRE(pg.Psql("shop", "SELECT quote_ident(relname) FROM pg_class LIMIT 1").exit_code == 0);
  REQUIRE(std::filesystem::exists(proof));
  std::filesystem::remove(proof);
  WriteRunbooks(pg.dir, "postgres", pg.Conn() + " dbname=shop", "server: '" + pg.Conn() + "'", "");
  Command backup = Run(pg.dir, "backup.yaml");
  INFO(backup.err);
  REQUIRE(backup.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(proof));
  Command restore = Run(pg.dir, "restore.yaml --set dump=" + NewestDump(pg.dir));
  INFO(restore.err);
  CHECK(restore.exit_code == 0);  // the check and the restore, both counting rows
  CHECK_THAT(restore.err, Catch::Contains("row counts as the manifest says"));
  CHECK_FALSE(std::filesystem::exists(proof));
  CHECK(pg.Value("shop", "SELECT count(*) FROM t") == "20");
}
