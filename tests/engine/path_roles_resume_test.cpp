// breakAA: what a resume may still run counts as the engine's rule on paths is applied
// (engine/path_roles.h). A guard skipped or cancelled only for now (a need failed, ^C), one
// whose `if:` reads outputs that held a secret (a resume runs their step again), and one a
// lasting skip keeps away even with `if: success()`; writers kept apart from each other.
#include <catch2/catch.hpp>
#include <string>

#include "engine/path_roles.h"
#include "engine/roles_site.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// `prep` gives the restore's target (so no load can know it), `bad` fails until `go` exists.
const char* kHead =
    "version: 1\nname: roles\nparams:\n  on: {type: boolean, default: false}\nsteps:\n"
    "  - id: prep\n    uses: exec\n    with:\n"
    "      run: [sh, -c, 'echo t=data/app.db >> \"$RUNBOOK_OUTPUT\"']\n"
    "  - id: bad\n    uses: exec\n    needs: [prep]\n    with:\n      run: [test, -e, go]\n";

// A writer at the restore's target, run whatever happened before it.
const char* kWriter =
    "  - id: check\n    uses: integrity-check\n    needs: [restore]\n    if: ${{ always() }}\n"
    "    with:\n      source: src.db\n      workspace: data/app.db\n      keep: true\n";

// A folder with src.db and cfg/flags.json (flag f at 10), and a runbook's start that sets
// f to 20 in step `flags`.
std::string FlagsDir() {
  std::string dir = RolesDir();
  Shell("mkdir " + dir + "/cfg");
  WriteFile(dir, "cfg/flags.json", "{\"f\": {\"rollout\": 10}}\n");
  return dir;
}
const char* kFlagsHead =
    "version: 1\nname: roles\nsteps:\n"
    "  - id: flags\n    uses: flag-update\n    with:\n      file: cfg/flags.json\n"
    "      flag: f\n      rollout: 20\n";

}  // namespace

// breakAA A7: the restore was skipped because `bad` failed; `check` (always) then wrote at its
// target; a resume ran `bad` again, then the restore, over `check`'s unchecked copy.
TEST_CASE("a guard skipped because a need failed still counts: a resume may run it",
          "[engine][path_roles]") {
  const std::string guards[] = {
      // skipped by its implicit success()
      "  - id: restore\n    uses: restore\n    needs: [bad]\n    with:\n      source: src.db\n"
      "      target: ${{ steps.prep.outputs.t }}\n",
      // skipped by an `if:` on the failed step's outcome, which a resume may change
      "  - id: restore\n    uses: restore\n    needs: [bad]\n"
      "    if: ${{ always() && steps.bad.outcome == 'success' }}\n    with:\n"
      "      source: src.db\n      target: ${{ steps.prep.outputs.t }}\n",
  };
  for (const std::string& guard : guards) {
    CAPTURE(guard);
    std::string dir = RolesDir();
    WriteFile(dir, "rb.yaml", kHead + guard + kWriter);
    Command run = RolesRun(dir, "run rb.yaml --audit-db a.db");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("parameter 'workspace' writes a path that step 'restore' "
                                        "as 'target' guards (the same path, " +
                                        dir + "/data/app.db"));
    CHECK(Shell("test -e " + dir + "/data/app.db").exit_code != 0);
  }
  // The same writer in `finally`.
  std::string dir = RolesDir();
  std::string finally_writer = kWriter;
  finally_writer.replace(finally_writer.find("    needs: [restore]\n    if: ${{ always() }}\n"),
                         std::string("    needs: [restore]\n    if: ${{ always() }}\n").size(), "");
  WriteFile(dir, "rb.yaml", std::string(kHead) + guards[0] + "finally:\n" + finally_writer);
  Command run = RolesRun(dir, "run rb.yaml --audit-db a.db");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("as 'target' guards (the same path"));
  CHECK(Shell("test -e " + dir + "/data/app.db").exit_code != 0);
  // Skipped for a lasting reason (a param): the writer writes.
  std::string off = guards[0];
  off.replace(off.find("    with:"), 0, "    if: ${{ params.on }}\n");
  WriteFile(dir, "rb.yaml", kHead + off + kWriter);
  Command lasting = RolesRun(dir, "run rb.yaml --audit-db a.db");
  INFO(lasting.out << lasting.err);
  CHECK(lasting.exit_code == 1);  // `bad` failed
  CHECK_THAT(lasting.err, !Catch::Contains("guards (the same path"));
  CHECK(Shell("test -e " + dir + "/data/app.db").exit_code == 0);
}

// breakAA A5: the restore's `if:` read an output recorded masked (it held a secret): peeked as
// false, so the writer wrote; a resume had to run that step again, and the restore became due.
TEST_CASE("a guard whose if reads a step that gave a secret is not known to be off",
          "[engine][path_roles]") {
  std::string dir = RolesDir();
  std::string text =
      "version: 1\nname: roles\nsecrets:\n  token: {env: TOKEN}\nenv:\n  TARGET: data/app.db\n"
      "steps:\n"
      "  - id: prep\n    uses: exec\n    env:\n      T: ${{ secrets.token }}\n    with:\n"
      "      run: [sh, -c, 'echo t=data/app.db >> \"$RUNBOOK_OUTPUT\"; "
      "echo tok=$T >> \"$RUNBOOK_OUTPUT\"; echo go=no >> \"$RUNBOOK_OUTPUT\"']\n"
      "  - id: check\n    uses: integrity-check\n    needs: [prep]\n    with:\n"
      "      source: src.db\n      workspace: data/app.db\n      keep: true\n"
      "  - id: restore\n    uses: restore\n    needs: [check]\n"
      "    if: ${{ steps.prep.outputs.go == 'yes' }}\n    with:\n      source: src.db\n"
      "      target: ${{ env.TARGET }}\n";
  WriteFile(dir, "rb.yaml", text);
  Command run =
      Shell("cd " + dir + " && TOKEN=s3cr3t-t0ken " + Binary() + " run rb.yaml --audit-db a.db");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("parameter 'workspace' writes a path that step 'restore' "
                                      "as 'target' guards"));
  CHECK_THAT(run.out + run.err, !Catch::Contains("s3cr3t-t0ken"));
  CHECK(Shell("test -e " + dir + "/data/app.db").exit_code != 0);
  // Without the secret in its outputs, the `if:` is known false: the writer writes.
  text.replace(text.find("echo tok=$T >> \"$RUNBOOK_OUTPUT\"; "),
               std::string("echo tok=$T >> \"$RUNBOOK_OUTPUT\"; ").size(), "");
  WriteFile(dir, "rb.yaml", text);
  Command plain =
      Shell("cd " + dir + " && TOKEN=s3cr3t-t0ken " + Binary() + " run rb.yaml --audit-db a.db");
  INFO(plain.out << plain.err);
  CHECK(plain.exit_code == 0);
  CHECK(Shell("test -e " + dir + "/data/app.db").exit_code == 0);
}

// breakAA A4: `if: ${{ success() }}` is what a step without `if:` does; after a need a param
// turns off it is off for good, and a writer before it may write.
TEST_CASE("success() after a need that will not run is known false in a peek",
          "[engine][path_roles]") {
  auto text = [](const std::string& condition) {
    return "version: 1\nname: roles\nparams:\n  on: {type: boolean, default: false}\nsteps:\n"
           "  - id: late\n    uses: exec\n    if: ${{ params.on }}\n    with:\n"
           "      run: [sh, -c, 'echo t=data/app.db >> \"$RUNBOOK_OUTPUT\"']\n"
           "  - id: check\n    uses: integrity-check\n    with:\n"
           "      source: src.db\n      workspace: data/app.db\n      keep: true\n"
           "  - id: restore\n    uses: restore\n    needs: [late, check]\n    if: " +
           condition +
           "\n    with:\n      source: src.db\n      target: " + "${{ steps.late.outputs.t }}\n";
  };
  std::string dir = RolesDir();
  for (const char* off :
       {"${{ success() }}", "${{ success() && params.on }}", "${{ !cancelled() && success() }}"}) {
    CAPTURE(off);
    Shell("rm -rf " + dir + "/data");
    WriteFile(dir, "rb.yaml", text(off));
    Command run = RolesRun(dir, "run rb.yaml --audit-db a.db");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(Shell("test -e " + dir + "/data/app.db").exit_code == 0);
  }
  // These may run after all: the guard still to run is not known, the writer is refused.
  for (const char* maybe : {"${{ always() }}", "${{ failure() }}", "${{ !success() }}"}) {
    CAPTURE(maybe);
    Shell("rm -rf " + dir + "/data");
    WriteFile(dir, "rb.yaml", text(maybe));
    Command run = RolesRun(dir, "run rb.yaml --audit-db a.db");
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("guards one that cannot be known yet"));
    CHECK(Shell("test -e " + dir + "/data/app.db").exit_code != 0);
  }
}

// breakAA A2: writers clashed with writers unseen: an archive over flag-update's
// .history.jsonl, an s3-sync mirror (delete: true) over the folder of the flags file.
TEST_CASE("PathClash keeps writers apart: names beside, folders written inside",
          "[engine][path_roles]") {
  RolePath flags{
      0,  "file",      PathRole::kWritesFile, "/b/cfg/flags.json", {".lock", ".history.jsonl"},
      {}, "flags file"};
  RolePath flags_again{
      3,  "file",      PathRole::kWritesFile, "cfg/flags.json", {".lock", ".history.jsonl"},
      {}, "flags file"};
  RolePath zip{1, "output", PathRole::kWritesFile, "/b/cfg/flags.json.history.jsonl"};
  RolePath mirror{2, "dest", PathRole::kWritesInside, "/b/cfg"};
  RolePath other_mirror{4, "dest", PathRole::kWritesInside, "/b/cfg2"};
  RolePath report{5, "output", PathRole::kWritesFile, "/b/out/report.zip"};
  CHECK_FALSE(PathClash(flags, flags_again, "/b", false));  // one file, two writers: shared
  CHECK(PathClash(zip, flags, "/", false).value() ==
        "the same path, /b/cfg/flags.json.history.jsonl, which the other step keeps beside "
        "/b/cfg/flags.json");
  CHECK(PathClash(flags, zip, "/", false).has_value());  // symmetric
  CHECK(PathClash(mirror, flags, "/", false).value() ==
        "/b/cfg/flags.json is inside the folder /b/cfg, where the step writing into it may "
        "replace or delete any file");
  CHECK(PathClash(flags, mirror, "/", false).has_value());
  CHECK_FALSE(PathClash(other_mirror, flags, "/", false));  // "cfg2" is not "cfg"
  CHECK_FALSE(PathClash(report, flags, "/", false));
  CHECK_FALSE(PathClash(report, mirror, "/", false));
}

TEST_CASE("validate locates writers that would overwrite or delete each other's files",
          "[engine][path_roles]") {
  std::string dir = FlagsDir();
  WriteFile(dir, "rb.yaml",
            std::string(kFlagsHead) +
                "  - id: pack\n    uses: archive\n    needs: [flags]\n    with:\n"
                "      output: cfg/flags.json.history.jsonl\n      files: [src.db]\n"
                "  - id: mirror\n    uses: s3-sync\n    needs: [pack]\n    with:\n"
                "      source: src\n      dest: cfg\n      delete: true\n      inventory: ''\n");
  Command v = RolesRun(dir, "validate rb.yaml");
  INFO(v.out << v.err);
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.err, Catch::Contains("rb.yaml:14:15") &&
                        Catch::Contains("parameter 'output' writes a path that step 'flags' as "
                                        "'file' also writes") &&
                        Catch::Contains("one would overwrite or delete what the other wrote"));
  CHECK_THAT(v.err, Catch::Contains("parameter 'dest' writes a path that step"));
  // Two flag-updates of one file share it.
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: roles\nsteps:\n"
            "  - id: a\n    uses: flag-update\n    with:\n      file: cfg/flags.json\n"
            "      flag: f\n      rollout: 20\n"
            "  - id: b\n    uses: flag-update\n    needs: [a]\n    with:\n"
            "      file: cfg/flags.json\n      flag: f\n      rollout: 30\n");
  Command shared = RolesRun(dir, "run rb.yaml --audit-db a.db");
  INFO(shared.out << shared.err);
  CHECK(shared.exit_code == 0);
  CHECK(Shell("grep -q '\"rollout\": 30' " + dir + "/cfg/flags.json").exit_code == 0);
}

// The same clash known only at run time (the archive's name from an output) fails the step
// before it writes; the history stays.
TEST_CASE("a writer over another writer's file known at run time fails before it writes",
          "[engine][path_roles]") {
  std::string dir = FlagsDir();
  WriteFile(
      dir, "rb.yaml",
      std::string(kFlagsHead) +
          "  - id: name\n    uses: exec\n    needs: [flags]\n    with:\n"
          "      run: [sh, -c, 'echo n=cfg/flags.json.history.jsonl >> \"$RUNBOOK_OUTPUT\"']\n"
          "  - id: pack\n    uses: archive\n    needs: [name]\n    with:\n"
          "      output: ${{ steps.name.outputs.n }}\n      files: [src.db]\n");
  Command run = RolesRun(dir, "run rb.yaml --audit-db a.db");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("parameter 'output' writes a path that step 'flags' as "
                                      "'file' also writes"));
  CHECK(Shell("head -c 1 " + dir + "/cfg/flags.json.history.jsonl").out == "{");
}

// Newcomer round: a param whose default clashes was refused with --set giving another path,
// and the message did not say why --set did not help.
TEST_CASE("a clash made by a param's default says so", "[engine][path_roles]") {
  std::string dir = RolesDir();
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: roles\nparams:\n  db: {type: string, default: data/ws.db}\n"
            "steps:\n"
            "  - id: check\n    uses: integrity-check\n    with:\n      source: src.db\n"
            "      workspace: data/ws.db\n      keep: true\n"
            "  - id: restore\n    uses: restore\n    needs: [check]\n    with:\n"
            "      source: src.db\n      target: ${{ params.db }}\n");
  for (const char* how : {"validate rb.yaml", "run rb.yaml --audit-db a.db --set db=data/x.db"}) {
    CAPTURE(how);
    Command c = RolesRun(dir, how);
    INFO(c.out << c.err);
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("its value is the default of params.db: a default must be "
                                      "apart too, whatever --set gives a run"));
  }
  // A literal clash says nothing of defaults.
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: roles\nsteps:\n"
            "  - id: check\n    uses: integrity-check\n    with:\n      source: src.db\n"
            "      workspace: data/ws.db\n      keep: true\n"
            "  - id: restore\n    uses: restore\n    needs: [check]\n    with:\n"
            "      source: src.db\n      target: data/ws.db\n");
  Command literal = RolesRun(dir, "validate rb.yaml");
  CHECK(literal.exit_code == 2);
  CHECK_THAT(literal.err, !Catch::Contains("default of"));
}
