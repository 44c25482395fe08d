// restore's env_file is never the dump's own metadata (breakJ J21): the env text replaced
// the signed .meta.json, "ok", and the dump then failed every check. Refused at load when
// literal, at run time through a parameter, the metadata untouched.
#include <catch2/catch.hpp>
#include <vector>

#include "steps/backup_site.h"

using namespace runbook::test;

namespace {

std::string Restore(const std::string& env_file) {
  return "version: 1\nname: rm\nparams:\n  ef: {type: string, default: live/env}\nsteps:\n"
         "  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: pub.pem}}\n"
         "  - {id: r, uses: restore, needs: [v], with: {source: dumps/app.sqlite.gz, target: "
         "live/app.sqlite, env_file: " +
         env_file + "}}\n";
}

}  // namespace

TEST_CASE("restore env_file: the dump's .meta.json is refused", "[steps][env-file][own-file]") {
  Site s;
  s.MakeDb();
  std::string gz = s.Dump();
  std::string meta = ReadFile(gz + ".meta.json");
  REQUIRE_THAT(meta, Catch::Contains("\"signature\""));
  // Literal: a located error at load.
  WriteFile(s.dir, "lit.yaml", Restore("dumps/app.sqlite.gz.meta.json"));
  Command v = Shell("cd " + s.dir + " && " + Rb("validate lit.yaml"));
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.out + v.err, Catch::Contains("lit.yaml:7:") && Catch::Contains("or its metadata"));
  // Through a parameter, in other spellings too: refused before anything is restored.
  WriteFile(s.dir, "par.yaml", Restore("'${{ params.ef }}'"));
  for (const std::string& ef :
       std::vector<std::string>{"dumps/app.sqlite.gz.meta.json",
                                "dumps/../dumps/app.sqlite.gz.meta.json", gz + ".meta.json"}) {
    CAPTURE(ef);
    Command c =
        Shell("cd " + s.dir + " && " + Rb("run par.yaml --audit-db " + s.db) + " --set ef=" + ef);
    INFO(c.out << c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("the dump restored from or its metadata"));
    CHECK(ReadFile(gz + ".meta.json") == meta);
    CHECK(Shell("test -e " + s.Path("live/app.sqlite")).exit_code != 0);
  }
}

TEST_CASE(
    "restore env_file in a folder that does not exist: made (0700) and said, before the "
    "database is replaced (breakL L22)",
    "[steps][env-file]") {
  Site s;
  s.MakeDb();
  s.Dump();
  WriteFile(s.dir, "nd.yaml", Restore("envs/deep/prod.env"));
  Command c = Shell("cd " + s.dir + " && " + Rb("run nd.yaml --audit-db " + s.db));
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.err, Catch::Contains("created folder " + s.Path("envs")));
  CHECK(Shell("stat -c %a " + s.Path("envs/deep")).out == "700\n");
  CHECK_THAT(ReadFile(s.Path("envs/deep/prod.env")), Catch::Contains("DATABASE_PATH="));
  // A folder that cannot be made (a file is in the way): the live database stays as it was.
  std::string live = ReadFile(s.Path("live/app.sqlite"));
  REQUIRE(!live.empty());
  Shell("cd " + s.dir +
        " && rm -rf blocked && echo x > blocked && sqlite3 live/app.sqlite "
        "'create table marker(x)'");
  std::string before = ReadFile(s.Path("live/app.sqlite"));
  WriteFile(s.dir, "bl.yaml", Restore("blocked/prod.env"));
  Command b = Shell("cd " + s.dir + " && " + Rb("run bl.yaml --audit-db " + s.db));
  CHECK(b.exit_code == 1);
  CHECK_THAT(b.err, Catch::Contains("untouched"));
  CHECK(ReadFile(s.Path("live/app.sqlite")) == before);
}
