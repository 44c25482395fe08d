// The command line's mistakes (issue 14 #10): an unknown command or option is named with the
// closest valid word, a number option says what it expects in words, and --metrics-file
// into a folder that does not exist stops the run before it starts (exit 3).
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

Command Rb(const std::string& args) { return Shell(Binary() + " " + args + " </dev/null"); }

}  // namespace

TEST_CASE("an unknown command or option gets the closest valid word", "[cli][words]") {
  struct Case {
    std::string args, says;
  };
  for (const Case& c : {
           Case{"rnu", "runbook: error: unknown command 'rnu'; did you mean 'run'?"},
           Case{"run x.yaml --dryrun",
                "unknown option '--dryrun' of 'runbook run'; did you "
                "mean '--dry-run'?"},
           Case{"audit verfy",
                "unknown command 'verfy' of 'runbook audit'; did you mean 'verify'?"},
           Case{"history --limt 3",
                "unknown option '--limt' of 'runbook history'; did you "
                "mean '--limit'?"},
           Case{"resume abc --rerunn x", "did you mean '--rerun'?"},
       }) {
    CAPTURE(c.args);
    Command r = Rb(c.args);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(c.says));
    CHECK_THAT(r.err, !Catch::Contains("A subcommand is required"));
  }
  // Nothing close: named, no suggestion.
  Command far = Rb("zzzzqqq");
  CHECK(far.exit_code == 2);
  CHECK_THAT(far.err,
             Catch::Contains("unknown command 'zzzzqqq'") && !Catch::Contains("did you mean"));
}

// breakFF F7: the suggestions were uneven.
TEST_CASE("an unknown command is one mistake and a prefix names its command", "[cli][words]") {
  // What follows an unknown command is its arguments, not more unknown commands.
  Command run = Rb("rnu a.yaml --audit-db x.db");
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("did you mean 'run'?") && !Catch::Contains("'a.yaml'") &&
                          !Catch::Contains("--audit-db") && !Catch::Contains("'x.db'"));
  // The start of one command only: that command.
  CHECK_THAT(Rb("hist").err, Catch::Contains("unknown command 'hist'; did you mean 'history'?"));
  CHECK_THAT(Rb("audit exp").err, Catch::Contains("did you mean 'export'?"));
  // A command group alone names its commands, never CLI11's "A subcommand is required".
  Command audit = Rb("audit");
  CHECK(audit.exit_code == 2);
  CHECK_THAT(audit.err, Catch::Contains("'runbook audit' needs a command: verify, export, sign") &&
                            !Catch::Contains("A subcommand is required"));
  // An unknown step type with nothing close lists the types.
  Command steps = Rb("steps nope");
  CHECK(steps.exit_code == 2);
  CHECK_THAT(steps.err, Catch::Contains("unknown step type 'nope'; the step types: approval, ") &&
                            Catch::Contains("s3-sync"));
}

TEST_CASE("a count option says what it expects, never a 300-digit range", "[cli][words]") {
  for (const std::string args :
       {"history --limit abc", "history --limit 0", "history --limit 99999999999999999999",
        "run x.yaml "
        "--max-parallel -3"}) {
    CAPTURE(args);
    Command r = Rb(args);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("expects a whole number from 1 to"));
    CHECK(r.err.size() < 300);
  }
  CHECK(Rb("history --limit 5 --audit-db /nonexistent/a.db").err.find("expects") ==
        std::string::npos);
}

TEST_CASE("metrics file into a folder that does not exist stops the run before it starts",
          "[cli][words][metrics]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "m.yaml",
                               "version: 1\nname: m\nsteps:\n"
                               "  - {id: a, uses: exec, with: {shell: true, run: 'touch " +
                                   dir + "/ran'}}\n");
  Command r = Rb("run " + file + " --audit-db " + dir + "/a.db --metrics-file " + dir +
                 "/missing/runbook.prom");
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("--metrics-file: folder " + dir + "/missing does not exist") &&
                        Catch::Contains("nothing was run"));
  CHECK(Shell("test -e " + dir + "/ran").exit_code != 0);
  // A device at the name (breakFF F7: exit 2 here, 3 for report --output's same check).
  Command device = Rb("run " + file + " --audit-db " + dir + "/a.db --metrics-file /dev/full");
  CHECK(device.exit_code == 3);
  CHECK_THAT(device.err, Catch::Contains("character device") && Catch::Contains("nothing was run"));
  CHECK(Shell("test -e " + dir + "/ran").exit_code != 0);

  // Variant: the folder is there at the start and gone at the end: the run says so, exit 3.
  REQUIRE(Shell("mkdir " + dir + "/m").exit_code == 0);
  std::string gone = WriteFile(dir, "g.yaml",
                               "version: 1\nname: g\nsteps:\n"
                               "  - {id: a, uses: exec, with: {shell: true, run: 'rmdir " +
                                   dir + "/m'}}\n");
  Command late =
      Rb("run " + gone + " --audit-db " + dir + "/a.db --metrics-file " + dir + "/m/runbook.prom");
  CHECK(late.exit_code == 3);
  CHECK_THAT(late.err, Catch::Contains("runbook: error: --metrics-file: cannot write"));
}
