// breakBB2 F7: a step carried over by a resume had its paths compared as recorded, and a
// recorded path holding a secret's text is masked ("***/target.sqlite"): compared as a path it
// clashed with nothing, and another step replaced the just-restored live database. The record
// keeps a keyed fingerprint of such a path; the resume resolves it again and takes it when the
// fingerprints match, else it is not known and no step of the other kind may run beside it.
#include <catch2/catch.hpp>
#include <string>

#include "engine/roles_site.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// `guard` restores src.db at a path holding the secret `root` (env ROOTDIR); `gate` fails
// until `go` exists; `writer` (after it) archives onto `writer_path`, which step `p` gives (so
// no check before the writer starts can know it).
std::string SecretRunbook(const std::string& writer_path) {
  return "version: 1\nname: sm\nsecrets:\n  root: {env: ROOTDIR}\nsteps:\n"
         "  - id: guard\n    uses: restore\n    with:\n      source: src.db\n"
         "      target: \"${{ secrets.root }}/target.sqlite\"\n      force: true\n"
         "  - id: gate\n    uses: exec\n    needs: [guard]\n    idempotent: true\n"
         "    with: {run: [test, -e, go]}\n"
         "  - id: p\n    uses: exec\n    needs: [gate]\n"
         "    with: {run: [sh, -c, 'echo path=" +
         writer_path +
         " >> \"$RUNBOOK_OUTPUT\"']}\n"
         "  - id: writer\n    uses: archive\n    needs: [p]\n    with:\n"
         "      output: \"${{ steps.p.outputs.path }}\"\n      files: [src.db]\n";
}

// Runs rb.yaml in `dir` with ROOTDIR=`root` (gate fails), then resumes it with ROOTDIR=
// `resume_root` once `go` exists.
Command FailThenResume(const std::string& dir, const std::string& root,
                       const std::string& resume_root) {
  Command first =
      Shell("cd " + dir + " && ROOTDIR=" + root + " " + Binary() + " run rb.yaml --audit-db a.db");
  REQUIRE(first.exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  REQUIRE_FALSE(id.empty());
  Shell("touch " + dir + "/go");
  return Shell("cd " + dir + " && ROOTDIR=" + resume_root + " " + Binary() + " resume " + id +
               " --audit-db a.db");
}

}  // namespace

TEST_CASE("a resume proves a carried guard's masked path by its fingerprint",
          "[engine][path_roles][secrets]") {
  std::string dir = RolesDir();
  Shell("mkdir " + dir + "/sec1");
  SECTION("the writer at the restored target is refused, the restored database stays (F7)") {
    WriteFile(dir, "rb.yaml", SecretRunbook("sec1/target.sqlite"));
    Command resumed = FailThenResume(dir, "sec1", "sec1");
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 1);
    CHECK_THAT(resumed.err, Catch::Contains("parameter 'output' writes a path that step 'guard' "
                                            "as 'target' guards (the same path, "));
    CHECK(Shell("sqlite3 " + dir + "/sec1/target.sqlite 'select count(*) from t'").out == "1\n");
  }
  SECTION("another spelling of the secret cannot be proven: not known, the writer refused") {
    WriteFile(dir, "rb.yaml", SecretRunbook("elsewhere.zip"));
    Command resumed = FailThenResume(dir, "sec1", "./sec1");
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 1);
    CHECK_THAT(resumed.err, Catch::Contains("parameter 'output' writes a path, and step 'guard' as "
                                            "'target' guarded one in the run this resume "
                                            "continues that was recorded masked") &&
                                Catch::Contains("resume with --rerun guard"));
    CHECK(Shell("test -e " + dir + "/elsewhere.zip").exit_code != 0);
  }
  SECTION("the same secret and an unrelated writer: proven apart, the resume passes") {
    WriteFile(dir, "rb.yaml", SecretRunbook("elsewhere.zip"));
    Command resumed = FailThenResume(dir, "sec1", "sec1");
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(Shell("test -s " + dir + "/elsewhere.zip").exit_code == 0);
  }
  // The record holds the fingerprint, never the path.
  CHECK(Shell("sqlite3 " + dir +
              "/a.db \"select count(*) from events where body like "
              "'%sec1/target%'\"")
            .out == "0\n");
}

TEST_CASE("a carried writer's masked path is proven too: a guard at it in the resume is refused",
          "[engine][path_roles][secrets]") {
  // The guard is added to the runbook before the resume (--force), as in breakW W5.
  std::string dir = RolesDir();
  Shell("mkdir " + dir + "/sec1");
  std::string head =
      "version: 1\nname: sm\nsecrets:\n  root: {env: ROOTDIR}\nsteps:\n"
      "  - id: writer\n    uses: archive\n    with:\n"
      "      output: \"${{ secrets.root }}/target.sqlite\"\n      files: [src.db]\n"
      "  - id: gate\n    uses: exec\n    needs: [writer]\n    idempotent: true\n"
      "    with: {run: [test, -e, go]}\n";
  WriteFile(dir, "rb.yaml", head);
  Command first =
      Shell("cd " + dir + " && ROOTDIR=sec1 " + Binary() + " run rb.yaml --audit-db a.db");
  REQUIRE(first.exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  WriteFile(dir, "rb.yaml",
            head +
                "  - id: guard\n    uses: restore\n    needs: [gate]\n    with:\n"
                "      source: src.db\n      target: sec1/target.sqlite\n      force: true\n");
  Shell("touch " + dir + "/go");
  Command resumed = Shell("cd " + dir + " && ROOTDIR=sec1 " + Binary() + " resume " + id +
                          " --force --audit-db a.db");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 1);
  CHECK_THAT(resumed.err, Catch::Contains("parameter 'target' guards a path that step 'writer' as "
                                          "'output' writes (the same path, "));
  CHECK_THAT(Shell("file " + dir + "/sec1/target.sqlite").out, Catch::Contains("Zip"));
}
