// integrity-check engine: postgres against a real PostgreSQL 15 started here on a private
// port and socket folder, owned by the `postgres` account (the server refuses root).
#include <catch2/catch.hpp>

#include "support/pg_server.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("integrity-check of a pg_dump archive in a scratch database with pg_amcheck",
          "[steps][integrity][postgres]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop").exit_code == 0);
  REQUIRE(pg.Psql("shop",
                  "CREATE TABLE users(id serial PRIMARY KEY, email text UNIQUE); INSERT INTO "
                  "users(email) SELECT 'u' || i || '@x' FROM generate_series(1, 500) i;")
              .exit_code == 0);
  std::string dump = pg.dir + "/shop.pgdump";
  REQUIRE(Shell("pg_dump -Fc -d '" + pg.Conn() + " dbname=shop' -f " + dump).exit_code == 0);
  std::string rb = WriteFile(pg.dir, "c.yaml",
                             "version: 1\nname: c\nsteps:\n  - id: c\n    uses: integrity-check\n"
                             "    with: {engine: postgres, source: '" +
                                 dump + "', server: '" + pg.Conn() + "'}\n");
  Command ok = Shell(Binary() + " run " + rb + " --audit-db " + pg.dir + "/a.db");
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.find("postgres integrity ok: 1 table") != std::string::npos);
  CHECK(ok.err.find("1 tables") == std::string::npos);  // newcomer round: "1 tables"
  // The scratch database is gone afterwards.
  CHECK(pg.Psql("postgres",
                "SELECT 1/(count(*) = 0)::int FROM pg_database WHERE datname LIKE "
                "'runbook_check_%'")
            .exit_code == 0);
  // A damaged archive: pg_restore fails and the step says so.
  Shell("printf 'garbage' | dd of=" + dump + " bs=1 seek=2000 conv=notrunc 2>/dev/null");
  Command bad = Shell(Binary() + " run " + rb + " --audit-db " + pg.dir + "/a.db");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("integrity check of " + dump + " failed: pg_restore") != std::string::npos);
}
