// restore's env file is written in one form every reader agrees on (issue 12 kind B, breakH
// H10; steps/common/env_file.h): a newline in a value or key never injects a variable,
// shell metacharacters are refused, and the demo backend reads back what was written.
#include "steps/common/env_file.h"

#include <catch2/catch.hpp>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A site with a signed dump of a fresh database.
void Prepare(const Site& s) {
  s.MakeDb();
  s.Dump();
}

// A verified restore of the site's signed dump into live/app.sqlite with env_file live/env
// and env {RELEASE_TAG: params.tag}, run with `--set tag=<tag>` (a shell word).
Command RestoreWithTag(const Site& s, const std::string& tag_word) {
  WriteFile(s.dir, "en.yaml",
            "version: 1\nname: en\nparams:\n  tag: {type: string, default: ok}\nsteps:\n"
            "  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: pub.pem}}\n"
            "  - {id: r, uses: restore, needs: [v], with: {source: dumps/app.sqlite.gz, target: "
            "live/app.sqlite, env_file: live/env, env: {RELEASE_TAG: '${{ params.tag }}'}}}\n");
  return Shell("cd " + s.dir + " && " + Rb("run en.yaml --audit-db " + s.db) + " --set " +
               tag_word);
}

}  // namespace

TEST_CASE("env file: a newline in a value never injects a variable", "[steps][env-file]") {
  Site s;
  Prepare(s);
  Command c = RestoreWithTag(s, "\"tag=$(printf 'v1\\nDATABASE_PATH=/tmp/evil.db')\"");
  INFO(c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("env value of RELEASE_TAG holds a line break"));
  CHECK(ReadFile(s.Path("live/env")).empty());                          // not written
  CHECK(Shell("test -e " + s.Path("live/app.sqlite")).exit_code != 0);  // nothing restored
  // Shell metacharacters are refused the same way, before anything is restored.
  Command sub = RestoreWithTag(s, "'tag=v1 $(touch pwned) `id`'");
  CHECK(sub.exit_code == 1);
  CHECK_THAT(sub.err, Catch::Contains("env value of RELEASE_TAG holds '$'"));
  CHECK(Shell("test -e " + s.Path("pwned")).exit_code != 0);
}

TEST_CASE("env file: keys and literal values are checked at load", "[steps][env-file]") {
  std::string d = Diagnose(
      "version: 1\nname: t\nsteps:\n  - id: r\n    uses: restore\n    with:\n      source: a.gz\n"
      "      target: b\n      env_file: e\n      env: {\"A=B\\nDATABASE_PATH\": /tmp/x}\n");
  CHECK_THAT(d, Catch::Contains("test.yaml:10:") && Catch::Contains("is not a variable name"));
  std::string cr = Diagnose(
      "version: 1\nname: t\nsteps:\n  - id: r\n    uses: restore\n    with:\n      source: a.gz\n"
      "      target: b\n      env: {X: \"a\\rb\"}\n");
  CHECK_THAT(cr, Catch::Contains("env value of X holds a line break or NUL"));
}

TEST_CASE("env file: values with spaces and quotes read back the same in the demo backend",
          "[steps][env-file]") {
  Site s;
  Prepare(s);
  Command c = RestoreWithTag(s, "\"tag=v1 (beta) it's #2\"");
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(ReadFile(s.Path("live/env")) == "RELEASE_TAG=\"v1 (beta) it's #2\"\n");
  Command node =
      Shell("node -e \"const c = require('" + std::string(RUNBOOK_SOURCE_DIR) +
            "/examples/demo-backend/src/config.js'); process.stdout.write(c.readEnvFile('" +
            s.Path("live/env") + "').RELEASE_TAG)\"");
  CHECK(node.out == "v1 (beta) it's #2");
  Command sh = Shell("set -a; . " + s.Path("live/env") + "; printf %s \"$RELEASE_TAG\"");
  CHECK(sh.out == "v1 (beta) it's #2");
}

TEST_CASE("env file: EnvFileText writes plain values as is, others quoted", "[steps][env-file]") {
  auto text = EnvFileText({{"DATABASE_PATH", "/srv/app db/app.sqlite"}, {"PORT", "4004"}});
  REQUIRE(text.ok());
  CHECK(text.value() == "DATABASE_PATH=\"/srv/app db/app.sqlite\"\nPORT=4004\n");
  for (const char* key : {"", "1A", "A-B", "A B", "A=B"}) CHECK_FALSE(EnvKeyProblem(key).empty());
  for (const char* value : {"a\nb", "a\rb", "a\"b", "a\\b", "a$b", "a`b"})
    CHECK_FALSE(EnvFileText({{"K", value}}).ok());
  CHECK_FALSE(EnvFileText({{"K", std::string("a\0b", 3)}}).ok());
}

TEST_CASE("env file: new ones are 0600, an existing one keeps its mode (breakW W13)",
          "[steps][env-file]") {
  Site s;
  Prepare(s);
  REQUIRE(RestoreWithTag(s, "tag=v1").exit_code == 0);
  CHECK(Shell("stat -c %a " + s.dir + "/live/env").out == "600\n");
  REQUIRE(Shell("chmod 0640 " + s.dir + "/live/env").exit_code == 0);
  REQUIRE(RestoreWithTag(s, "tag=v2").exit_code == 0);
  CHECK(Shell("stat -c %a " + s.dir + "/live/env").out == "640\n");
  CHECK_THAT(ReadFile(s.dir + "/live/env"), Catch::Contains("v2"));
}

TEST_CASE("env file: a name that only starts like a companion is not one (breakX X4)",
          "[steps][env-file]") {
  Site s;
  Prepare(s);
  WriteFile(s.dir, "x4.yaml",
            "version: 1\nname: x4\nsteps:\n"
            "  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: pub.pem}}\n"
            "  - {id: r, uses: restore, needs: [v], with: {source: dumps/app.sqlite.gz, target: "
            "live/app.sqlite, env_file: live/app.sqlite-walrus}}\n");
  Command ok = Shell("cd " + s.dir + " && " + Rb("run x4.yaml --audit-db " + s.db));
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  WriteFile(s.dir, "x4b.yaml",
            "version: 1\nname: x4\nsteps:\n"
            "  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: pub.pem}}\n"
            "  - {id: r, uses: restore, needs: [v], with: {source: dumps/app.sqlite.gz, target: "
            "live/app.sqlite, env_file: live/app.sqlite-wal}}\n");
  CHECK(Shell("cd " + s.dir + " && " + Rb("run x4b.yaml --audit-db " + s.db)).exit_code != 0);
}
