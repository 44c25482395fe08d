// Files runbook itself writes outside a step obey the steps' rule (engine/util/own_file.h):
// `report --output` and `run --metrics-file` never write through a symbolic link nor into a
// second hard link at their name (breakI I21: the linked file outside was overwritten).
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("report --output and --metrics-file refuse a link at their name", "[cli][own-file]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db").exit_code == 0);
  std::string id = Shell("sqlite3 " + dir + "/a.db 'select run_id from runs'").out;
  id.pop_back();
  REQUIRE(Shell("cd " + dir + " && mkdir out && echo ORIG > out/r.md && echo ORIGH > out/h.md &&" +
                " ln -s out/r.md sym.md && ln out/h.md hard.md && ln -s out/r.md m.prom")
              .exit_code == 0);
  for (const char* name : {"sym.md", "hard.md"}) {
    CAPTURE(name);
    Command c = Shell("cd " + dir + " && " + Binary() + " report " + id +
                      " --audit-db a.db --format md --output " + name);
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains(std::string("refusing to use ") + name));
  }
  CHECK(ReadFile(dir + "/out/r.md") == "ORIG\n");
  CHECK(ReadFile(dir + "/out/h.md") == "ORIGH\n");
  Command m = Shell("cd " + dir + " && " + Binary() +
                    " run t.yaml --audit-db a.db --metrics-file " + "m.prom");
  CHECK_THAT(m.err, Catch::Contains("refusing to use " + dir + "/m.prom"));
  CHECK(ReadFile(dir + "/out/r.md") == "ORIG\n");
  CHECK(Shell("test -L " + dir + "/m.prom").exit_code == 0);
  // A new file and a regular one are written as before.
  Command ok = Shell("cd " + dir + " && " + Binary() + " report " + id +
                     " --audit-db a.db --format md --output new.md");
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ReadFile(dir + "/new.md"), Catch::Contains(id));
}

TEST_CASE("the metrics file's temporary name cannot be planted", "[cli][own-file]") {
  // breakO O20: FILE.tmp.PID was opened without O_EXCL or O_NOFOLLOW; another user in a
  // shared folder planted links at the next pids' names, and root wrote through them.
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  WriteFile(dir, "victim", "precious\n");
  Shell("cd " + dir + " && L=$(cat /proc/sys/kernel/ns_last_pid) && for n in $(seq $L " +
        "$((L+300))); do ln -s " + dir + "/victim m.prom.tmp.$n; mkdir -p d.prom.tmp.$n; done");
  for (const char* name : {"m.prom", "d.prom"}) {
    CAPTURE(name);
    Command c = Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db " +
                      "--metrics-file " + name);
    INFO(c.err);
    CHECK(c.exit_code == 0);
    CHECK(Shell("test -f " + dir + "/" + name + " && test ! -L " + dir + "/" + name).exit_code ==
          0);
    CHECK_THAT(ReadFile(dir + "/" + name), Catch::Contains("runbook_"));
  }
  CHECK(ReadFile(dir + "/victim") == "precious\n");
}
