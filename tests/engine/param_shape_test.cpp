// breakCC C14, C21: a path parameter's shape is checked with its type, at validate for a
// literal and as the step starts for a resolved value. A file's path ending in '/' made a
// folder at the file's name (restore's live target included); an empty path named the run's
// own folder, left a stray .lock there, or ended in "internal error ... please report".
#include <catch2/catch.hpp>
#include <string>

#include "engine/roles_site.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("a file's path ending in a folder, or an empty path, is refused where it is written",
          "[engine][params]") {
  std::string dir = RolesDir();
  Shell("echo a > " + dir + "/a.txt");
  struct Case {
    const char* uses;
    const char* with;
    const char* says;
  };
  const Case cases[] = {
      {"archive", "{output: out/t.zip/, files: [a.txt]}", "names a folder, not a file"},
      {"restore", "{source: src.db, target: tg/db.sqlite/, force: true}", "names a folder"},
      {"restore", "{source: src.db, target: tg/db.sqlite, env_file: tg/env/.}", "names a folder"},
      {"integrity-check", "{source: src.db, workspace: w/..}", "names a folder"},
      {"archive", "{output: '', files: [a.txt]}", "an empty value names nothing"},
      {"flag-update", "{file: '', flag: x, rollout: 5}", "an empty value names nothing"},
      {"s3-sync", "{source: '', dest: m, inventory: ''}", "an empty value names nothing"},
      {"integrity-check", "{source: src.db, workspace: '', keep: true}", "an empty value"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.uses, c.with);
    WriteFile(dir, "x.yaml",
              std::string("version: 1\nname: x\nsteps:\n  - id: a\n    uses: ") + c.uses +
                  "\n    with: " + c.with + "\n");
    Command v = RolesRun(dir, "validate x.yaml");
    CHECK(v.exit_code == 2);
    CHECK_THAT(v.err, Catch::Contains("x.yaml:6:") && Catch::Contains(c.says));
  }
  // A resolved value, as the step starts: nothing is made.
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nparams:\n  out: {type: string, default: ok.zip}\nsteps:\n"
            "  - id: a\n    uses: archive\n    with: {output: '${{ params.out }}', files: "
            "[a.txt]}\n");
  Command run = RolesRun(dir, "run p.yaml --set out=z/t.zip/ --audit-db a.db");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("names a folder, not a file"));
  CHECK(Shell("test -e " + dir + "/z").exit_code != 0);
  // An inventory's '' is none, as documented.
  WriteFile(dir, "h.yaml",
            "version: 1\nname: h\nsteps:\n  - id: h\n    uses: hash\n    with: {files: [a.txt], "
            "verify: none, inventory: ''}\n");
  CHECK(RolesRun(dir, "validate h.yaml").exit_code == 0);
}
