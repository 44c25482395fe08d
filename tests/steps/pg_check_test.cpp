// integrity-check engine: postgres against a real PostgreSQL 15 started here on a private
// port and socket folder, owned by the `postgres` account (the server refuses root).
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

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

namespace {

// A dump of `shop` whose table comment is a run of 200 'A's, then that comment edited in the
// archive's TOC (same length: no offset moves) so that restoring it runs `payload` first. As
// anyone who can write where dumps are kept could (a custom archive has no checksum).
std::string ForgedDump(const PgServer& pg, const std::string& payload) {
  std::string pad(200, 'A');
  REQUIRE(
      pg.Psql("shop", "CREATE TABLE IF NOT EXISTS t(id int); COMMENT ON TABLE t IS '" + pad + "'")
          .exit_code == 0);
  std::string dump = pg.dir + "/forged.pgdump";
  REQUIRE(Shell("pg_dump -Fc -Z0 -d '" + pg.Conn() + " dbname=shop' -f " + dump).exit_code == 0);
  std::string bytes = ReadFile(dump);
  size_t at = bytes.find(pad);
  REQUIRE(at != std::string::npos);
  std::string sql = "x'; " + payload + "; SELECT '";
  REQUIRE(sql.size() < pad.size());
  bytes.replace(at, sql.size(), sql);
  WriteFile(pg.dir, "forged.pgdump", bytes);
  return dump;
}

// Runs integrity-check of `dump` on `pg`.
Command CheckDump(const PgServer& pg, const std::string& dump) {
  std::string rb = WriteFile(pg.dir, "c.yaml",
                             "version: 1\nname: c\nsteps:\n  - id: c\n    uses: integrity-check\n"
                             "    with: {engine: postgres, source: '" +
                                 dump + "', server: '" + pg.Conn() + "'}\n");
  return Shell(Binary() + " run " + rb + " --audit-db " + pg.dir + "/a.db");
}

}  // namespace

TEST_CASE("integrity-check runs a postgres archive's SQL as a role of its own, not the superuser",
          "[steps][integrity][postgres][hostile]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop").exit_code == 0);
  std::string proof = pg.dir + "/ran";
  REQUIRE(Shell("chmod 0777 " + pg.dir).exit_code == 0);  // the server's account could write it
  // Kinds: a command through COPY TO PROGRAM; the same after RESET ROLE (which undoes a SET
  // ROLE: why the archive's session must itself be unprivileged); a role made superuser.
  const std::vector<std::string> payloads = {
      "COPY (SELECT 1) TO PROGRAM 'touch " + proof + "'",
      "RESET ROLE; COPY (SELECT 1) TO PROGRAM 'touch " + proof + "'",
      "ALTER ROLE CURRENT_USER SUPERUSER; COPY (SELECT 1) TO PROGRAM 'touch " + proof + "'"};
  for (const std::string& payload : payloads) {
    INFO(payload);
    std::string dump = ForgedDump(pg, payload);
    Command c = CheckDump(pg, dump);
    INFO(c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("failed: pg_restore"));
    CHECK_FALSE(std::filesystem::exists(proof));
    // Nothing of the check is left: neither its database nor its role.
    CHECK(pg.Value("postgres",
                   "SELECT count(*) FROM pg_database WHERE datname LIKE "
                   "'runbook_check_%'") == "0");
    CHECK(pg.Value("postgres",
                   "SELECT count(*) FROM pg_roles WHERE rolname LIKE "
                   "'runbook_check_%'") == "0");
  }
  // The same archive with a plain comment passes (the role can restore a whole dump).
  std::string honest = pg.dir + "/honest.pgdump";
  REQUIRE(pg.Psql("shop",
                  "COMMENT ON TABLE t IS 'fine'; INSERT INTO t SELECT generate_series(1, "
                  "10); CREATE INDEX ON t (abs(id))")
              .exit_code == 0);
  REQUIRE(Shell("pg_dump -Fc -d '" + pg.Conn() + " dbname=shop' -f " + honest).exit_code == 0);
  Command ok = CheckDump(pg, honest);
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.find("warning: the server refused a login") == std::string::npos);
  // A server that lets only its superuser log in: the archive runs under SET ROLE, said.
  std::string hba = pg.data + "/pg_hba.conf";
  REQUIRE(Shell("printf 'local all postgres trust\\nlocal all all reject\\n' > " + hba).exit_code ==
          0);
  REQUIRE(pg.Psql("postgres", "SELECT pg_reload_conf()").exit_code == 0);
  Command refused = CheckDump(pg, honest);
  INFO(refused.err);
  CHECK(refused.exit_code == 0);
  CHECK_THAT(refused.err, Catch::Contains("warning: the server refused a login as runbook_check_"));
  CHECK(pg.Value("postgres",
                 "SELECT count(*) FROM pg_roles WHERE rolname LIKE "
                 "'runbook_check_%'") == "0");
}
