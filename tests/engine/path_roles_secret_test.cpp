// breakBB2 F7: a step carried over by a resume had its paths compared as recorded, and a
// recorded path holding a secret's text is masked ("***/target.sqlite"): compared as a path it
// clashed with nothing, and another step replaced the just-restored live database. The record
// keeps a keyed fingerprint of such a path; the resume resolves it again and takes it when the
// fingerprints match, else it is not known and no step of the other kind may run beside it.
#include <catch2/catch.hpp>
#include <string>

#include "engine/roles_site.h"
#include "support/s3rver.h"
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
    CHECK(Shell(kSqliteWaiting + dir + "/sec1/target.sqlite 'select count(*) from t'").out ==
          "1\n");
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
  CHECK(Shell(kSqliteWaiting + dir +
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

// breakCC C26: a path holding both a secret and run.id was resolved again with the resume's
// run.id, so it could never be proven; and the refusal's --rerun was not in the printed
// command that continues, which then failed the same way for ever.
TEST_CASE(
    "a carried path is resolved again as in its own run, and its refusal names --rerun in "
    "the command that continues",
    "[engine][path_roles][secrets]") {
  std::string dir = RolesDir();
  Shell("mkdir " + dir + "/sec1");
  std::string text = SecretRunbook("elsewhere.zip");
  text.replace(text.find("/target.sqlite"), 14, "/db-${{ run.id }}.sqlite");
  WriteFile(dir, "rb.yaml", text);
  SECTION("the same secret: proven, the resume passes") {
    Command resumed = FailThenResume(dir, "sec1", "sec1");
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 0);
  }
  SECTION("another spelling: refused, and the printed command runs the guard again") {
    Command resumed = FailThenResume(dir, "sec1", "./sec1");
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 1);
    std::string id = LatestRunId(dir + "/a.db");
    std::string line = "runbook resume " + id + " --audit-db " + dir + "/a.db --rerun guard";
    CHECK_THAT(resumed.err, Catch::Contains("to continue this run: " + line));
    Command again =
        Shell("cd " + dir + " && ROOTDIR=./sec1 " + Binary() + line.substr(7) + " </dev/null");
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
    CHECK(Shell("test -s " + dir + "/elsewhere.zip").exit_code == 0);
  }
}

// breakCC C16: one root run on another account's store left its fingerprint key root's 0600;
// the owner's runs could not read it and recorded no fingerprints (F7 back for them).
TEST_CASE("a fingerprint key root makes beside another account's store is that account's",
          "[engine][path_roles][secrets]") {
  std::string dir = RolesDir();
  Shell("mkdir " + dir + "/st && chown nobody " + dir + "/st && chmod 0755 " + dir);
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: k\nsecrets:\n  root: {env: ROOTDIR}\nsteps:\n  - id: a\n    uses: "
            "archive\n    with: {output: \"${{ secrets.root }}/x.zip\", files: [src.db]}\n");
  Shell("chmod 0644 " + dir + "/rb.yaml " + dir + "/src.db && mkdir -m 0777 " + dir + "/outdir");
  const std::string as_nobody =
      "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=" + dir + "/st ROOTDIR=outdir " +
      Binary() + " ";
  // The store is the account's: made by its own first run (one with no secret: no key yet).
  WriteFile(dir, "plain.yaml",
            "version: 1\nname: p\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
  Shell("chmod 0644 " + dir + "/plain.yaml");
  REQUIRE(Shell("cd " + dir + " && " + as_nobody + "run plain.yaml --audit-db st/a.db").exit_code ==
          0);
  REQUIRE(Shell("test -e " + dir + "/st/a.db-fingerprint-key").exit_code != 0);
  Command root = Shell("cd " + dir + " && ROOTDIR=outdir " + Binary() + " run rb.yaml --audit-db " +
                       "st/a.db");
  INFO(root.out << root.err);
  REQUIRE(root.exit_code == 0);
  CHECK(Shell("stat -c '%U %a' " + dir + "/st/a.db-fingerprint-key").out == "nobody 600\n");
  Shell("rm " + dir + "/outdir/x.zip");  // root's: its owner could not be kept by nobody
  Command owner = Shell("cd " + dir + " && " + as_nobody + "run rb.yaml --audit-db st/a.db");
  INFO(owner.out << owner.err);
  CHECK(owner.exit_code == 0);
  CHECK_THAT(owner.err, !Catch::Contains("fingerprint"));
  CHECK(Shell(kSqliteWaiting + dir +
              "/st/a.db \"select count(*) from events where kind = "
              "'attempt_started' and body like '%masked_path_fingerprints%'\"")
            .out == "2\n");
}

// breakDD D6: a carried writer whose path came from an output recorded masked cannot be
// proven; a second archive in the resume replaced its ticket zip (one run refuses the pair).
TEST_CASE("a resume refuses a writer beside a carried writer it cannot prove",
          "[engine][path_roles][secrets]") {
  std::string dir = RolesDir();
  Shell("mkdir " + dir + "/sec1");
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: d6\nsecrets:\n  root: {env: ROOTDIR}\nsteps:\n"
            "  - id: p\n    uses: exec\n    env: {R: '${{ secrets.root }}'}\n"
            "    with: {run: [sh, -c, 'echo path=$R/ticket.zip >> \"$RUNBOOK_OUTPUT\"']}\n"
            "  - id: w1\n    uses: archive\n    needs: [p]\n"
            "    with: {output: '${{ steps.p.outputs.path }}', files: [src.db]}\n"
            "  - id: gate\n    uses: exec\n    needs: [w1]\n    idempotent: true\n"
            "    with: {run: [test, -e, go]}\n"
            "  - id: q\n    uses: exec\n    needs: [gate]\n"
            "    with: {run: [sh, -c, 'echo path=sec1/ticket.zip >> \"$RUNBOOK_OUTPUT\"']}\n"
            "  - id: w2\n    uses: archive\n    needs: [q]\n"
            "    with: {output: '${{ steps.q.outputs.path }}', files: [rb.yaml]}\n");
  Command resumed = FailThenResume(dir, "sec1", "sec1");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 1);
  CHECK_THAT(resumed.err, Catch::Contains("parameter 'output' writes a path, and step 'w1' as "
                                          "'output' wrote one in the run this resume continues"));
  CHECK(Shell("unzip -l " + dir + "/sec1/ticket.zip | grep -c src.db").out == "1\n");
}

// breakEE E5: an upload carried over by a resume whose endpoint held a secret was recorded
// with the endpoint masked, so its service compared as "***" met no other: a second upload
// deleting in the same prefix of the same server passed and removed what the first put.
// The fingerprint covers the service with the path (PathIdentity); an unproven one is not known.
TEST_CASE("a resume proves a carried upload's service from a secret by its fingerprint",
          "[engine][path_roles][secrets][s3]") {
  S3rver s3("bkt");
  std::string dir = RolesDir();
  Shell("mkdir -p " + dir + "/a " + dir + "/b && echo one > " + dir + "/a/one.txt && echo two > " +
        dir + "/b/two.txt");
  // up2's endpoint comes from step p: no check before up2 starts can know it.
  auto runbook = [&](const std::string& second_endpoint, const std::string& second_prefix) {
    return "version: 1\nname: up\nsecrets:\n  ep: {env: EP}\nsteps:\n"
           "  - id: up\n    uses: s3-sync\n    with: {source: a, dest: 's3://bkt/dr', endpoint: "
           "\"${{ secrets.ep }}\", inventory: ''}\n"
           "  - id: gate\n    uses: exec\n    needs: [up]\n    idempotent: true\n"
           "    with: {run: [test, -e, go]}\n"
           "  - id: p\n    uses: exec\n    needs: [gate]\n"
           "    with: {run: [sh, -c, 'echo ep=" +
           second_endpoint +
           " >> \"$RUNBOOK_OUTPUT\"']}\n"
           "  - id: up2\n    uses: s3-sync\n    needs: [p]\n    with: {source: b, dest: "
           "'s3://bkt/" +
           second_prefix +
           "', endpoint: \"${{ steps.p.outputs.ep }}\", delete: true, inventory: ''}\n";
  };
  std::string env = "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER ";
  auto fail_then_resume = [&](const std::string& ep, const std::string& resume_ep) {
    Command first = Shell("cd " + dir + " && rm -f go && " + env + "EP=" + ep + " " + Binary() +
                          " run rb.yaml --audit-db a.db");
    REQUIRE(first.exit_code == 1);
    std::string id = LatestRunId(dir + "/a.db");
    Shell("touch " + dir + "/go");
    return Shell("cd " + dir + " && " + env + "EP=" + resume_ep + " " + Binary() + " resume " + id +
                 " --audit-db a.db");
  };
  std::string localhost = "http://localhost:" + std::to_string(s3.port()) + "/";
  auto listed = [&]() {
    return Shell("cd " + dir + " && " + env + "aws --endpoint-url " + s3.endpoint() +
                 " s3 ls --recursive s3://bkt/")
        .out;
  };
  SECTION("the same server spelled another way: the deleting upload is refused (E5, E2)") {
    WriteFile(dir, "rb.yaml", runbook(localhost, "dr"));
    Command resumed = fail_then_resume(s3.endpoint(), s3.endpoint());
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 1);
    CHECK_THAT(resumed.err, Catch::Contains("parameter 'dest' writes a path that step 'up' as "
                                            "'dest' also writes (the same path, s3://bkt/dr on "
                                            "one service ('" +
                                            localhost + "' and '***'))"));
    CHECK_THAT(listed(), Catch::Contains("dr/one.txt") && !Catch::Contains("two.txt"));
  }
  SECTION("the secret changed between the runs: not proven, refused with --rerun") {
    WriteFile(dir, "rb.yaml", runbook(localhost, "dr"));
    Command resumed = fail_then_resume(s3.endpoint(), localhost);
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 1);
    CHECK_THAT(resumed.err,
               Catch::Contains("recorded masked") && Catch::Contains("resume with --rerun up"));
    CHECK_THAT(listed(), Catch::Contains("dr/one.txt") && !Catch::Contains("two.txt"));
  }
  SECTION("another prefix: proven apart, the resume passes") {
    WriteFile(dir, "rb.yaml", runbook(localhost, "other"));
    Command resumed = fail_then_resume(s3.endpoint(), s3.endpoint());
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(listed(), Catch::Contains("dr/one.txt") && Catch::Contains("other/two.txt"));
  }
  // The record holds the endpoint's fingerprint, never the endpoint.
  CHECK(Shell(kSqliteWaiting + dir +
              "/a.db \"select count(*) from events where body like '%127.0.0.1:" +
              std::to_string(s3.port()) + "%'\"")
            .out == "0\n");
}
