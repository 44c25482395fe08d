// backup retention: parameters out of range are refused at load (and at run time when they
// come from an expression); the age and count arithmetic cannot overflow.
#include "steps/common/retention.h"

#include <catch2/catch.hpp>
#include <cstdint>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Three dumps d1..d3 of app.sqlite, made a second apart, in dumps/.
void ThreeDumps(const Site& s) {
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps"));
  for (const char* name : {"d1", "d2", "d3"}) {
    REQUIRE(s.Run(std::string("  - {id: b, uses: backup, with: {database: app.sqlite, dest: "
                              "dumps, name: ") +
                  name + "}}\n")
                .exit_code == 0);
  }
}

int Dumps(const Site& s) {
  return std::stoi(Shell("ls " + s.Path("dumps") + " | grep -c 'sqlite.gz$'").out);
}

}  // namespace

TEST_CASE("keep_days 89478486 and keep_last 4294967295 are refused at load, nothing deleted",
          "[steps][backup][retention][ranges]") {
  Site s;
  ThreeDumps(s);
  for (const char* keep : {"keep_days: 89478486", "keep_last: 4294967295"}) {
    INFO(keep);
    Command c = s.Run(std::string("  - {id: b, uses: backup, with: {database: app.sqlite, dest: "
                                  "dumps, name: d4, ") +
                      keep + "}}\n");
    CHECK(c.exit_code == 2);
    CHECK(c.err.find("is above the maximum") != std::string::npos);
    CHECK(Dumps(s) == 3);
  }
}

TEST_CASE("keep_last from a runbook parameter out of range is refused when resolved",
          "[steps][backup][retention][ranges]") {
  Site s;
  ThreeDumps(s);
  WriteFile(s.dir, "p.yaml",
            "version: 1\nname: p\nparams:\n  n: {type: integer, default: 1}\nsteps:\n"
            "  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: d5, "
            "keep_last: '${{ params.n }}'}}\n");
  Command c =
      Shell("cd " + s.dir + " && " + Rb("run p.yaml --set n=4294967296 --audit-db " + s.db));
  CHECK(c.exit_code != 0);
  CHECK(c.err.find("above the maximum") != std::string::npos);
  CHECK(Dumps(s) == 3);
}

TEST_CASE("retention arithmetic: huge keep_days and keep_last delete nothing",
          "[steps][backup][retention][ranges]") {
  Site s;
  ThreeDumps(s);
  std::string source = s.Path("app.sqlite");
  std::string keep = s.Path("dumps/d3.sqlite.gz");
  Clock::Wall now = std::chrono::system_clock::now() + std::chrono::hours(24 * 400);
  RetentionPolicy days;
  days.keep_days = INT64_MAX;
  CHECK(ApplyRetention(s.Path("dumps"), source, keep, days, now).empty());
  RetentionPolicy last;
  last.keep_last = 4294967295;
  CHECK(ApplyRetention(s.Path("dumps"), source, keep, last, now).empty());
  RetentionPolicy year;  // and a sensible one still works: 400 days later, 1 day kept
  year.keep_days = 1;
  CHECK(ApplyRetention(s.Path("dumps"), source, keep, year, now).size() == 2);
  CHECK(Dumps(s) == 1);
}

TEST_CASE("a backup whose name already holds this snapshot still applies retention",
          "[steps][backup][retention]") {
  Site s;
  ThreeDumps(s);  // d3 holds the database as it is now
  for (const char* keep : {"keep_last: 2", "keep_last: 1"}) {
    INFO(keep);
    Command c = s.Run(std::string("  - {id: b, uses: backup, with: {database: app.sqlite, dest: "
                                  "dumps, name: d3, ") +
                      keep +
                      "}}\n  - {id: out, uses: exec, needs: [b], with: {run: [echo, "
                      "'DELETED=${{ steps.b.outputs.deleted }}']}}\n");
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK((c.out + c.err).find("already holds this snapshot") != std::string::npos);
    CHECK((c.out + c.err).find("DELETED=[") != std::string::npos);
    CHECK(Dumps(s) == (std::string(keep) == "keep_last: 2" ? 2 : 1));
  }
  CHECK(Shell("ls " + s.Path("dumps")).out == "d3.sqlite.gz\nd3.sqlite.gz.meta.json\n");
}
