// Debris of a killed run is recovered even when its pid now belongs to another process
// (a fresh container, a reboot, a pid namespace): scratch names carry the pid's start time.
#include <catch2/catch.hpp>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Kills a backup into dumps/ (name: app) at its `n`-th rename; returns the scratch names left.
// `where`: a command prefix to run it elsewhere (another pid namespace).
std::string KilledBackup(const Site& s, int n, const std::string& where = "") {
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: b, uses: backup, with: {database: "
            "app.sqlite, dest: dumps, name: app}}\n");
  Command c = Shell("cd " + s.dir + " && " + where + std::string(kStrace) +
                    " -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e "
                    "inject=rename,renameat,renameat2:signal=KILL:when=" +
                    std::to_string(n) + " " + Rb("run rb.yaml --audit-db " + s.db));
  REQUIRE(c.exit_code == 128 + 9);
  return Shell("ls -A " + s.Path("dumps") + " | grep -- '\\.tmp-'; true").out;
}

// Renames each scratch file of dumps/ as if its pid were now that of a live process.
void ReusePid(const Site& s) {
  REQUIRE(Shell("cd " + s.Path("dumps") +
                " && (setsid sleep 30 > /dev/null 2>&1 & echo $! > ../live.pid) && sleep 0.2 && "
                "python3 -c \"import os, re; q = open('../live.pid').read().strip(); "
                "[os.rename(f, re.sub(r'\\.tmp-[0-9]+-', '.tmp-' + q + '-', f)) for f in "
                "os.listdir('.') if '.tmp-' in f]\"")
              .exit_code == 0);
}

}  // namespace

TEST_CASE("debris of a killed backup whose pid is in use again is recovered",
          "[steps][backup][scratch-reuse]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps"));
  for (int n : {1, 2}) {  // before the dump's rename; between it and the metadata's
    INFO("killed at rename " << n);
    Shell("rm -rf " + s.Path("dumps") + " && mkdir " + s.Path("dumps"));
    REQUIRE(KilledBackup(s, n) != "");
    ReusePid(s);
    Command c = s.Run(
        "  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, "
        "name: app}}\n");
    Shell("kill $(cat " + s.Path("live.pid") + ")");
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK(Shell("ls -A " + s.Path("dumps")).out == "app.sqlite.gz\napp.sqlite.gz.meta.json\n");
  }
}

TEST_CASE("restore removes its own dead debris and leaves a neighbour database's alone",
          "[steps][restore][scratch-reuse]") {
  Site s;
  std::string gz = s.UnsignedDump();
  Shell("mkdir -p " + s.Path("live"));
  // Scratch files of a dead run (pid 4194303, the highest a Linux pid can be: in practice
  // never running) of this target, of its kept copy, and of a neighbour whose name merely
  // starts with the target's.
  const std::string tail = ".tmp-4194303-1-0123456789abcdef";
  for (const char* base : {"app.sqlite", "app.sqlite.before-restore", "app.sqlite2"})
    WriteFile(s.Path("live"), std::string(".") + base + tail, "debris");
  Command c = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
      "force: true}}\n");
  CHECK(c.exit_code == 0);
  auto exists = [&](const std::string& base) {
    return Shell("test -e " + s.Path("live/." + base + tail)).exit_code == 0;
  };
  CHECK_FALSE(exists("app.sqlite"));
  CHECK_FALSE(exists("app.sqlite.before-restore"));
  CHECK(exists("app.sqlite2"));
}

TEST_CASE("debris made in another pid namespace is left alone until it is a week old",
          "[steps][backup][scratch-reuse]") {
  // breakH H13: a backup in another container sharing the folder removed a running backup's
  // scratch file (its pid was not running here), and that backup failed.
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps"));
  REQUIRE(Shell("unshare --pid --fork --mount-proc readlink /proc/self/ns/pid").out !=
          Shell("readlink /proc/self/ns/pid").out);
  std::string left = KilledBackup(s, 1, "unshare --pid --fork --mount-proc ");
  REQUIRE(left != "");
  const std::string other =
      "  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: other}}\n";
  Command here = s.Run(other);
  INFO(here.out << here.err);
  CHECK(here.exit_code == 0);
  CHECK_THAT(here.out + here.err, !Catch::Contains("left by a killed run"));
  CHECK(Shell("ls -A " + s.Path("dumps") + " | grep -- '\\.tmp-'; true").out == left);
  // Unchanged for more than 7 days: debris wherever it was made.
  REQUIRE(Shell("cd " + s.Path("dumps") + " && touch -d '8 days ago' .*.tmp-*").exit_code == 0);
  Command later = s.Run(other);
  CHECK(later.exit_code == 0);
  CHECK(Shell("ls -A " + s.Path("dumps") + " | grep -c -- '\\.tmp-'; true").out == "0\n");
}
