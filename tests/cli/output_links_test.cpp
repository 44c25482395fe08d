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
  std::string id = Shell(kSqliteWaiting + dir + "/a.db 'select run_id from runs'").out;
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

// breakDD D3: the metrics file was replaced by a new one of runbook's account, 0644, without
// its ACL: node_exporter's textfile folder often holds it owned by the collector's account,
// or readable through an ACL. The file it replaces keeps its owner, group, mode and ACL; one
// whose owner cannot be kept (runbook not root) is refused before the run, not lost after it.
TEST_CASE("the metrics file it replaces keeps its owner and mode and ACL", "[cli][own-file]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {shell: true, run: "
            "'touch ran'}}\n");
  WriteFile(dir, "m.prom", "old\n");
  REQUIRE(Shell("cd " + dir +
                " && chown 65534:65534 m.prom && chmod 0640 m.prom && setfacl -m "
                "u:daemon:r m.prom")
              .exit_code == 0);
  Command c = Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db " +
                    "--metrics-file m.prom");
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(ReadFile(dir + "/m.prom"), Catch::Contains("runbook_"));
  CHECK(Shell("stat -c '%u:%g %a' " + dir + "/m.prom").out == "65534:65534 640\n");
  CHECK_THAT(Shell("getfacl -c " + dir + "/m.prom").out, Catch::Contains("user:daemon:r--"));
  // A new one: readable by the collector's account, as before.
  Command fresh = Shell("cd " + dir + " && umask 022 && " + Binary() +
                        " run t.yaml --audit-db a.db --metrics-file new.prom");
  CHECK(fresh.exit_code == 0);
  CHECK(Shell("stat -c '%a' " + dir + "/new.prom").out == "644\n");
  // Not root: a root-owned file in a folder it may write cannot keep its owner: refused
  // before the run (exit 3), the file as it was.
  Shell("rm -f " + dir + "/ran && chmod 1777 " + dir + " && mkdir -p " + dir + "/nb && chown " +
        "65534 " + dir + "/nb && cp " + dir + "/t.yaml " + dir + "/nb/");
  WriteFile(dir, "root.prom", "root's\n");
  Command refused = Shell("cd " + dir + " && setpriv --reuid=65534 --regid=65534 --clear-groups " +
                          Binary() + " run nb/t.yaml --audit-db nb/a.db --metrics-file root.prom");
  INFO(refused.err);
  CHECK(refused.exit_code == 3);
  CHECK_THAT(refused.err, Catch::Contains("nothing was run"));
  CHECK(ReadFile(dir + "/root.prom") == "root's\n");
  CHECK(Shell("test -e " + dir + "/nb/ran").exit_code != 0);
}
