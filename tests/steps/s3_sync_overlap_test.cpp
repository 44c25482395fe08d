// A local mirror whose source and destination overlap (one is the other or inside it, once
// links are resolved) is refused before anything is listed: its delete would remove the
// source's own files, or each run would nest the mirror one level deeper. The engine's rule
// on a step's own reads says it first (at validate as written, as the step starts with links
// followed: breakEE E6); s3-sync's own check stays for what only identity shows (a bind mount).
#include <catch2/catch.hpp>

#include "steps/common/folder_overlap.h"
#include "steps/common/safe_path.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// One s3-sync step with delete and force_delete, run from `dir`.
Command Mirror(const std::string& dir, const std::string& source, const std::string& dest) {
  WriteFile(dir, "n3.yaml",
            "version: 1\nname: n3\nsteps:\n  - id: s\n    uses: s3-sync\n    with: {source: '" +
                source + "', dest: '" + dest +
                "', delete: true, force_delete: true, inventory: ''}\n");
  return Shell("cd " + dir + " && " + Binary() + " run n3.yaml --audit-db a.db");
}

// Mirror, inside a private mount namespace where `bound` is bind-mounted at `at` (both
// relative to `dir`): the same folder under two paths, as a container or NFS alias shows it.
Command MirrorBound(const std::string& dir, const std::string& bound, const std::string& at,
                    const std::string& source, const std::string& dest) {
  WriteFile(dir, "n3.yaml",
            "version: 1\nname: n3\nsteps:\n  - id: s\n    uses: s3-sync\n    with: {source: '" +
                source + "', dest: '" + dest +
                "', delete: true, force_delete: true, inventory: ''}\n");
  return Shell("cd " + dir + " && unshare -m sh -c 'mount --bind " + bound + " " + at + " && " +
               Binary() + " run n3.yaml --audit-db a.db'");
}

std::string Files(const std::string& dir, const std::string& folder) {
  return Shell("cd " + dir + "/" + folder + " && find . | LC_ALL=C sort").out;
}

}  // namespace

TEST_CASE("s3-sync: a source inside its destination is refused, its files stay",
          "[steps][s3][overlap]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/N2/d/src && echo IMPORTANT > " + dir +
        "/N2/d/src/a && echo other > " + dir + "/N2/d/src/b");
  const std::string before = Files(dir, "N2");
  for (int run = 0; run < 2; ++run) {
    Command c = Mirror(dir, "N2/d/src", "N2/d");
    CHECK(c.exit_code == 2);  // a runbook error, located, before the run starts
    CHECK(StderrHas(c, "n3.yaml:"));
    CHECK(StderrHas(
        c, "the folder " + dir + "/N2/d holds " + dir + "/N2/d/src, which the step also reads"));
    CHECK_FALSE(StderrHas(c, "listed "));
    CHECK(Files(dir, "N2") == before);
  }
}

TEST_CASE(
    "s3-sync: a destination inside its source, the same folder, or one reached by a "
    "link, is refused",
    "[steps][s3][overlap]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/N/src/sub && echo a > " + dir + "/N/src/a && ln -s src/sub " + dir +
        "/N/link && ln -s src " + dir + "/N/alias");
  const std::string before = Files(dir, "N");
  // dest: a folder that does not exist yet, a level below the source (it nested each run):
  // as written, refused at validate (exit 2); through a link, as the step starts (exit 1).
  struct Overlap {
    std::string dest;
    int exit_code;
    std::string how;
  };
  std::string src = dir + "/N/src";
  for (const Overlap& o :
       std::vector<Overlap>{{"N/src/mirror", 2, src + "/mirror is inside " + src},
                            {"N/src/", 2, "the same path, " + src + ","},
                            {"N/link", 1, src + "/sub is inside " + src},
                            {"N/alias/new/deeper", 1, src + "/new/deeper is inside " + src}}) {
    INFO(o.dest);
    Command c = Mirror(dir, "N/src", o.dest);
    CHECK(c.exit_code == o.exit_code);
    CHECK(StderrHas(c, o.how));
    CHECK(StderrHas(c, "which the step also reads"));
    CHECK(Files(dir, "N") == before);
  }
  // Apart (a sibling whose name starts the same) is not an overlap.
  Command apart = Mirror(dir, "N/src", "N/src-mirror");
  CHECK(apart.exit_code == 0);
  CHECK(ReadFile(dir + "/N/src-mirror/a") == "a\n");
  CHECK(TreesOverlap(dir + "/N/src", dir + "/N/src-mirror").empty());
}

TEST_CASE("s3-sync: the same folder through a bind mount is an overlap, decided by identity",
          "[steps][s3][overlap]") {
  // breakH H16: source OV2/alias/sub, dest OV2/data with alias bound to data: run 1 deleted
  // the source's files (seen as the destination's sub/a, sub/b), run 2 deleted the copies.
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/OV2/data/sub " + dir + "/OV2/alias && echo IMPORTANT > " + dir +
        "/OV2/data/sub/a && echo other > " + dir + "/OV2/data/sub/b");
  const std::string before = Files(dir, "OV2/data");
  for (int run = 0; run < 2; ++run) {
    Command c = MirrorBound(dir, "OV2/data", "OV2/alias", "OV2/alias/sub", "OV2/data");
    INFO(c.err);
    CHECK(c.exit_code == 1);
    CHECK(StderrHas(c, "the source and the destination overlap: 'OV2/alias/sub' ("));
    CHECK(StderrHas(c, ") is inside 'OV2/data' ("));
    CHECK(StderrHas(c, "is the same folder as the other, reached by another path"));
    CHECK(StderrHas(c, "nothing was changed"));
    CHECK(Files(dir, "OV2/data") == before);
  }
  // The reverse: a destination under the bound alias of the source (it nested each run).
  Command nested = MirrorBound(dir, "OV2/data", "OV2/alias", "OV2/data", "OV2/alias/mirror");
  CHECK(nested.exit_code == 1);
  CHECK(StderrHas(nested, ") holds 'OV2/alias/mirror' ("));
  CHECK(Files(dir, "OV2/data") == before);
}

TEST_CASE("s3-sync: a bind mount of the other side met inside a side fails the listing",
          "[steps][s3][overlap]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/W/src " + dir + "/W/dest/m " + dir + "/W/dest/keep && echo a > " +
        dir + "/W/src/a && echo k > " + dir + "/W/dest/keep/k");
  const std::string before = Files(dir, "W");
  // The destination holds the source's parent (W) at dest/m: dest/m/src is the source.
  Command parent = MirrorBound(dir, "W", "W/dest/m", "W/src", "W/dest");
  INFO(parent.err);
  CHECK(parent.exit_code == 1);
  // Refused at the bind mount itself (breakDD D8), or where it meets the source.
  CHECK((StderrHas(parent, "'m/src/' in the destination is the source folder itself") ||
         StderrHas(parent, "the destination holds another mount at 'm'")));
  CHECK(StderrHas(parent, "nothing was changed"));
  CHECK(Files(dir, "W") == before);
  // The source holds the destination at src/m (each run would copy the copies again).
  Shell("mkdir -p " + dir + "/W/src/m");
  Command holds = MirrorBound(dir, "W/dest", "W/src/m", "W/src", "W/dest");
  CHECK(holds.exit_code == 1);
  CHECK(StderrHas(holds, "'m/' in the source is the destination folder itself"));
  CHECK(ReadFile(dir + "/W/dest/keep/k") == "k\n");
}
