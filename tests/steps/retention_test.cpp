// backup retention: parameters out of range are refused at load (and at run time when they
// come from an expression); the age and count arithmetic cannot overflow.
#include "steps/common/retention.h"

#include <catch2/catch.hpp>
#include <cstdint>

#include "engine/util/proc_identity.h"
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

// One backup of app.sqlite into dumps/ as `name`, keeping 1, on a host named `host` (a UTS
// namespace of its own: another machine with the same layout) unless it is "", with `extra`.
Command BackupOn(const Site& s, const std::string& host, const std::string& name,
                 const std::string& extra = "") {
  WriteFile(s.dir, "h.yaml",
            "version: 1\nname: h\nsteps:\n  - {id: b, uses: backup, with: {database: "
            "app.sqlite, dest: dumps, keep_last: 1, name: " +
                name + extra + "}}\n");
  std::string run = Rb("run h.yaml --audit-db " + s.db);
  return Shell("cd " + s.dir + " && " +
               (host.empty() ? run : "unshare --uts sh -c 'hostname " + host + " && " + run + "'"));
}

std::string Listed(const Site& s) {
  return Shell("ls " + s.Path("dumps") + " | grep 'sqlite.gz$'").out;
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
  DumpSource source{s.Path("app.sqlite"), HostName()};
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

TEST_CASE("retention counts only the dumps of the same database instance",
          "[steps][backup][retention]") {
  // breakH H14: host 1's backup deleted host 2's only dump of another database at the same
  // path in a shared dump folder (the metadata named the path only).
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps"));
  REQUIRE(BackupOn(s, "host2", "host2-a").exit_code == 0);
  Command one = BackupOn(s, "", "host1-a");
  INFO(one.err);
  REQUIRE(one.exit_code == 0);
  CHECK(Listed(s) == "host1-a.sqlite.gz\nhost2-a.sqlite.gz\n");
  REQUIRE(BackupOn(s, "", "host1-b").exit_code == 0);  // host 1's own older dump goes
  CHECK(Listed(s) == "host1-b.sqlite.gz\nhost2-a.sqlite.gz\n");
  CHECK_THAT(ReadFile(s.Path("dumps/host2-a.sqlite.gz.meta.json")),
             Catch::Contains("\"instance\": \"host2\""));
  // One `instance` on hosts that take turns (a CronJob's pods): they prune each other's.
  REQUIRE(BackupOn(s, "pod-1", "s-a", ", instance: app-prod").exit_code == 0);
  REQUIRE(BackupOn(s, "pod-2", "s-b", ", instance: app-prod").exit_code == 0);
  CHECK(Listed(s) == "host1-b.sqlite.gz\nhost2-a.sqlite.gz\ns-b.sqlite.gz\n");
}

// breakCC C17: a second backup of the same database into the same folder deleted, by its
// retention, the dump the first step of the run had just made (a safety dump before a swap).
// Retention keeps what its own run made (the metadata's run_id), in a resume of it too.
TEST_CASE("retention never deletes a dump its own run made", "[steps][backup][retention]") {
  Site s;
  ThreeDumps(s);  // d1..d3 from earlier runs
  Command c = s.Run(
      "  - {id: safety, uses: backup, with: {database: app.sqlite, dest: dumps, name: safety}}\n"
      "  - {id: nightly, uses: backup, needs: [safety], with: {database: app.sqlite, dest: dumps, "
      "name: nightly, keep_last: 1}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Listed(s) == "nightly.sqlite.gz\nsafety.sqlite.gz\n");  // d1..d3 went, safety stayed
  CHECK_THAT(Shell("cat " + s.Path("dumps/safety.sqlite.gz.meta.json")).out,
             Catch::Contains("\"run_id\": \""));
  // The next run's retention is free to delete it.
  REQUIRE(BackupOn(s, "", "later").exit_code == 0);
  CHECK(Listed(s) == "later.sqlite.gz\n");
}

// breakCC C25: a safety backup with the nightly job's keep_last deleted the older dump the
// same runbook was about to verify and restore. A dump another step of the run reads (by its
// own name, not a glob) is left alone.
TEST_CASE("retention never deletes a dump another step of the run reads",
          "[steps][backup][retention]") {
  Site s;
  ThreeDumps(s);
  Command c = s.Run(
      "  - {id: safety, uses: backup, with: {database: app.sqlite, dest: dumps, name: safety, "
      "keep_last: 1}}\n"
      "  - {id: verify, uses: hash, needs: [safety], with: {files: [dumps/d1.sqlite.gz], verify: "
      "meta, inventory: ''}}\n"
      "  - {id: check, uses: integrity-check, needs: [safety], with: {source: "
      "dumps/d2.sqlite.gz, workspace: ws/c.sqlite}}\n"
      "  - {id: r, uses: restore, needs: [verify, check], with: {source: dumps/d1.sqlite.gz, "
      "target: live/app.sqlite, force: true}}\n");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  // d3 went (no step reads it); d1 (hash, restore) and d2 (integrity-check) stayed.
  CHECK(Listed(s) == "d1.sqlite.gz\nd2.sqlite.gz\nsafety.sqlite.gz\n");
}

// breakDD D4: a backup step of a new run that found its dump already there (the same snapshot:
// "nothing written") reports it as its output, yet a later backup's retention deleted it (its
// metadata names the earlier run). A dump a passed step of the run reports as made is kept.
TEST_CASE("retention keeps a dump a step of the run adopted", "[steps][backup][retention]") {
  Site s;
  s.MakeDb();
  const std::string steps =
      "  - {id: safety, uses: backup, with: {database: app.sqlite, dest: dumps, name: pre}}\n"
      "  - {id: nightly, uses: backup, needs: [safety], with: {database: app.sqlite, dest: "
      "dumps, keep_last: 1}}\n";
  REQUIRE(s.Run(steps).exit_code == 0);
  Shell("sleep 1.1");  // the nightly dump's default name has a one-second timestamp
  Command again = s.Run(steps);
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("already holds this snapshot"));
  CHECK_THAT(Listed(s), Catch::Contains("pre.sqlite.gz"));
  CHECK(Dumps(s) == 2);  // pre (adopted) and this run's nightly; the first nightly went
}

// breakEE E4: a later step read a dump by a path no check before the backup could know (a
// step's output); retention deleted it, and the read failed. Retention deletes nothing while
// a step still to run reads a path not known yet — unless it waits only for this backup's
// own outputs, which name what the backup made.
TEST_CASE("retention deletes nothing while a later step's read is not known yet",
          "[steps][backup][retention]") {
  Site s;
  ThreeDumps(s);
  SECTION("the read comes from another step's output: every dump stays") {
    Command c = s.Run(
        "  - {id: safety, uses: backup, with: {database: app.sqlite, dest: dumps, name: safety, "
        "keep_last: 1}}\n"
        "  - id: pick\n    uses: exec\n    needs: [safety]\n"
        "    with: {run: [sh, -c, 'echo path=dumps/d1.sqlite.gz >> \"$RUNBOOK_OUTPUT\"']}\n"
        "  - {id: verify, uses: hash, needs: [pick], with: {files: [\"${{ steps.pick.outputs.path "
        "}}\"], verify: meta, inventory: ''}}\n");
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.out + c.err,
               Catch::Contains("retention: deleted nothing this run: step "
                               "'verify' as 'files' will read a path not known yet"));
    CHECK(Listed(s) == "d1.sqlite.gz\nd2.sqlite.gz\nd3.sqlite.gz\nsafety.sqlite.gz\n");
  }
  SECTION("the read waits only for the backup's own output: retention prunes") {
    Command c = s.Run(
        "  - {id: safety, uses: backup, with: {database: app.sqlite, dest: dumps, name: safety, "
        "keep_last: 1}}\n"
        "  - {id: verify, uses: hash, needs: [safety], with: {files: [\"${{ "
        "steps.safety.outputs.path }}\"], verify: meta, inventory: ''}}\n");
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK(Listed(s) == "safety.sqlite.gz\n");
  }
}

TEST_CASE("retention takes only files for dumps: a folder or a link so named is left and unlisted",
          "[steps][backup][retention]") {
  // break18 R6: a folder `x.pgdump` (or here .sqlite.gz) beside a matching old metadata was
  // listed by the dry run as "would delete"; the run could not delete it and said nothing.
  Site s;
  ThreeDumps(s);
  for (const char* odd : {"folder", "link"}) {
    std::string dump = s.Path(std::string("dumps/") + odd + ".sqlite.gz");
    std::string meta = ReadFile(s.Path("dumps/d1.sqlite.gz.meta.json"));
    REQUIRE(Shell(std::string(odd) == std::string("folder") ? "mkdir " + dump
                                                            : "ln -s d1.sqlite.gz " + dump)
                .exit_code == 0);
    WriteFile(s.Path("dumps"), std::string(odd) + ".sqlite.gz.meta.json", meta);
  }
  WriteFile(s.dir, "k.yaml",
            "version: 1\nname: k\nsteps:\n  - {id: b, uses: backup, with: {database: "
            "app.sqlite, dest: dumps, keep_last: 1, name: d4}}\n");
  Command dry = Shell("cd " + s.dir + " && " + Rb("run k.yaml --dry-run --audit-db " + s.db));
  INFO(dry.err);
  CHECK_THAT(dry.err, Catch::Contains("would delete dumps/d1.sqlite.gz"));
  CHECK_THAT(dry.err, !Catch::Contains("folder.sqlite.gz") && !Catch::Contains("link.sqlite.gz"));
  Command run = Shell("cd " + s.dir + " && " + Rb("run k.yaml --audit-db " + s.db));
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(Shell("test -d " + s.Path("dumps/folder.sqlite.gz") + " && test -L " +
              s.Path("dumps/link.sqlite.gz"))
            .exit_code == 0);
}
