// breakV V5: a path one step guards (restore's target) is written by no other parameter —
// integrity-check's kept workspace, s3-sync's destination folder, an env_file. Refused at load
// where the values are known, and as each step starts where they are known only then, before
// the step acts.
#include "engine/path_roles.h"

#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const char* kClash = "a guarded path is replaced only after its step's own checks pass";

std::string RolesRunbook(const std::string& workspace, const std::string& target,
                         const std::string& extra_steps = "") {
  return "version: 1\nname: roles\nparams:\n  db: {type: string, default: data/app.db}\n"
         "steps:\n"
         "  - id: prep\n    uses: exec\n    with:\n      run: [sh, -c, 'echo p=data/app.db >> "
         "\"$RUNBOOK_OUTPUT\"']\n"
         "  - id: check\n    uses: integrity-check\n    needs: [prep]\n    with:\n"
         "      source: src.db\n      workspace: " +
         workspace +
         "\n      keep: true\n"
         "  - id: restore\n    uses: restore\n    needs: [check]\n    with:\n"
         "      source: src.db\n      target: " +
         target + "\n" + extra_steps;
}

std::string Dir() {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && sqlite3 src.db 'create table t(a); insert into t values(1)'")
              .exit_code == 0);
  return dir;
}

Command In(const std::string& dir, const std::string& args) {
  return Shell("cd " + dir + " && " + Binary() + " " + args);
}

}  // namespace

TEST_CASE("validate locates a written path that another step guards", "[engine][path_roles]") {
  std::string dir = Dir();
  struct Case {
    const char* what;
    std::string text;
    const char* at;
  };
  std::vector<Case> cases = {
      {"the same literal path, spelt differently",
       RolesRunbook("./data/../data/app.db", "data/app.db"),
       "rb.yaml:15:18: error: parameter 'workspace' writes a path that step 'restore' as "
       "'target' guards (the same path, "},
      {"a param's default", RolesRunbook("data/app.db", "${{ params.db }}"),
       "rb.yaml:15:18: error: parameter 'workspace'"},
      {"an absolute and a relative spelling", RolesRunbook(dir + "/data/app.db", "data/app.db"),
       "rb.yaml:15:18: error:"},
      {"a sync destination folder holding the target",
       RolesRunbook("ws/app.db", "data/app.db",
                    "  - id: pull\n    uses: s3-sync\n    with:\n      source: s3://b/p\n"
                    "      dest: data/\n      endpoint: http://127.0.0.1:9\n"),
       "rb.yaml:27:13: error: parameter 'dest' writes a path that step 'restore' as 'target' "
       "guards ("},
      {"a relative path that looks like a URL (breakW W1)",
       RolesRunbook("x://d/app.db", "x://d/app.db"), "error: parameter 'workspace'"},
      {"the step's own env_file",
       RolesRunbook("ws/app.db", "data/app.db\n      env_file: data/app.db"),
       "error: parameter 'env_file' writes a path that its own parameter 'target' guards"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    WriteFile(dir, "rb.yaml", c.text);
    Command v = In(dir, "validate rb.yaml");
    CHECK(v.exit_code == 2);
    CHECK_THAT(v.out + v.err, Catch::Contains(c.at) && Catch::Contains(kClash));
  }
  // Apart: another file in the same folder, a sync to a bucket, a folder beside the target's.
  WriteFile(dir, "rb.yaml",
            RolesRunbook("data/app.db.check", "data/app.db",
                         "  - id: push\n    uses: s3-sync\n    with:\n      source: data\n"
                         "      dest: s3://b/data\n      endpoint: http://127.0.0.1:9\n"
                         "  - id: pull\n    uses: s3-sync\n    with:\n      source: s3://b/p\n"
                         "      dest: data-mirror\n      endpoint: http://127.0.0.1:9\n"));
  Command ok = In(dir, "validate rb.yaml");
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out + ok.err, !Catch::Contains(kClash));
}

TEST_CASE("a clash known only at run time fails the writer before it writes",
          "[engine][path_roles]") {
  std::string dir = Dir();
  // The workspace comes from an output: validate cannot know it.
  WriteFile(dir, "rb.yaml", RolesRunbook("${{ steps.prep.outputs.p }}", "${{ params.db }}"));
  REQUIRE(In(dir, "validate rb.yaml").exit_code == 0);
  Command run = In(dir, "run rb.yaml --audit-db a.db");
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("parameter 'workspace' writes a path that step 'restore' "
                                      "as 'target' guards (the same path, ") &&
                          Catch::Contains(kClash) && Catch::Contains("(at line 15, column 18)"));
  CHECK_THAT(run.err, Catch::Contains("skip restore"));
  CHECK(Shell("test -e " + dir + "/data/app.db").exit_code != 0);  // nothing was placed there
}

TEST_CASE("a clash that --set makes is found by a dry run and by a run", "[engine][path_roles]") {
  std::string dir = Dir();
  WriteFile(dir, "rb.yaml", RolesRunbook("data/ws.db", "${{ params.db }}"));
  REQUIRE(In(dir, "validate rb.yaml").exit_code == 0);  // the default is apart
  for (const char* how : {" --dry-run", ""}) {
    CAPTURE(how);
    Command run = In(dir, std::string("run rb.yaml --audit-db a.db --set db=data/ws.db") + how);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err,
               Catch::Contains("parameter 'workspace' writes a path") && Catch::Contains(kClash));
    CHECK(Shell("test -e " + dir + "/data/ws.db").exit_code != 0);
  }
}

TEST_CASE("a link to the guarded folder is the guarded folder", "[engine][path_roles]") {
  std::string dir = Dir();
  REQUIRE(Shell("cd " + dir + " && mkdir data && ln -s data live").exit_code == 0);
  WriteFile(dir, "rb.yaml", RolesRunbook("live/app.db", "data/app.db"));
  REQUIRE(In(dir, "validate rb.yaml").exit_code == 0);  // lexically apart: validate is no run
  Command run = In(dir, "run rb.yaml --audit-db a.db");
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("parameter 'workspace' writes a path") &&
                          Catch::Contains(kClash) && Catch::Contains("/data/app.db"));
  CHECK(Shell("test -e " + dir + "/data/app.db").exit_code != 0);
}

TEST_CASE("a guard whose path is known only after the writer ran fails and says why",
          "[engine][path_roles]") {
  std::string dir = Dir();
  // The target comes from a step that runs after integrity-check: only restore can see it.
  std::string text = RolesRunbook("data/app.db", "${{ steps.late.outputs.t }}");
  text.replace(text.find("    needs: [check]\n    with:\n      source: src.db\n      target"),
               std::string("    needs: [check]").size(), "    needs: [late]");
  text +=
      "  - id: late\n    uses: exec\n    needs: [check]\n    with:\n"
      "      run: [sh, -c, 'echo t=data/app.db >> \"$RUNBOOK_OUTPUT\"']\n";
  WriteFile(dir, "rb.yaml", text);
  REQUIRE(In(dir, "validate rb.yaml").exit_code == 0);
  Command run = In(dir, "run rb.yaml --audit-db a.db");
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("parameter 'target' guards a path that step 'check' as "
                                      "'workspace' writes (the same path, ") &&
                          Catch::Contains(kClash));
  CHECK_THAT(run.err, !Catch::Contains("untouched"));
}

TEST_CASE("PathClash compares normal absolute paths, by role", "[engine][path_roles]") {
  RolePath file{0, "workspace", PathRole::kWritesFile, "a/b/../db"};
  RolePath inside{1, "dest", PathRole::kWritesInside, "/base/a/"};
  RolePath guard{2, "target", PathRole::kGuards, "/base/a/db"};
  RolePath beside{2, "target", PathRole::kGuards, "/base/a2/db"};
  CHECK(PathClash(file, guard, "/base", false).value() == "the same path, /base/a/db");
  CHECK(PathClash(inside, guard, "/base", false).value() ==
        "/base/a/db is inside the folder /base/a");
  CHECK_FALSE(PathClash(inside, beside, "/base", false));  // "a2" is not inside "a"
  CHECK_FALSE(PathClash(guard, file, "/base", false));     // a guard writes nothing
  CHECK_FALSE(PathClash(file, beside, "/base", false));
  StepSpec spec;
  spec.params.push_back({});
  spec.params.back().name = "dest";
  spec.params.back().path_role = PathRole::kWritesInside;
  spec.params.back().remote_prefix = "s3://";
  CHECK(RolePathsOf(0, spec, {{"dest", Value("s3://b/a")}}).empty());
  // breakW W1: only the step's own prefix is remote; these are local paths.
  CHECK(RolePathsOf(0, spec, {{"dest", Value("S3://b/../../data")}}).size() == 1);
  CHECK(RolePathsOf(0, spec, {{"dest", Value("x://d")}}).size() == 1);
  spec.params.back().remote_prefix.clear();
  CHECK(RolePathsOf(0, spec, {{"dest", Value("s3://b/a")}}).size() == 1);
  CHECK(RolePathsOf(0, spec, {{"dest", Value("")}}).empty());
  CHECK(RolePathsOf(0, spec, {{"dest", Value("d")}}).size() == 1);
}

TEST_CASE("a link followed by .. and a bind mount are the guarded path (breakW W9, breakX X1)",
          "[engine][path_roles]") {
  SECTION("lnk/.. is where the link points, up one") {
    std::string dir = Dir();
    REQUIRE(Shell("cd " + dir + " && mkdir -p data/sub && ln -s data/sub lnk").exit_code == 0);
    WriteFile(dir, "rb.yaml", RolesRunbook("lnk/../app.db", "data/app.db"));
    Command run = In(dir, "run rb.yaml --audit-db a.db");
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err,
               Catch::Contains("parameter 'workspace' writes a path") && Catch::Contains(kClash));
    CHECK(Shell("test -e " + dir + "/data/app.db").exit_code != 0);
  }
  SECTION("a folder bind-mounted under a second name") {
    std::string dir = Dir();
    REQUIRE(Shell("cd " + dir + " && mkdir data alias").exit_code == 0);
    WriteFile(dir, "rb.yaml", RolesRunbook("alias/app.db", "data/app.db"));
    // In a mount namespace of its own: the bind mount goes with it.
    Command run = Shell("cd " + dir + " && unshare -m sh -c 'mount --bind data alias && " +
                        Binary() + " run rb.yaml --audit-db a.db'");
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("under another name") && Catch::Contains(kClash));
    CHECK(Shell("test -e " + dir + "/data/app.db").exit_code != 0);
  }
}
