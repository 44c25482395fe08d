// What the store keeps of an attempt's parameters is bounded (breakJ J30): a string longer
// than kRecordedParamBytes is kept as its start, its length and its sha256; the secrets are
// masked before the cut, so no piece of one is kept; the run's own parameters, which resume
// reads back, are whole, and a resumed run gets them whole.
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

int64_t Sql(const std::string& db, const std::string& sql) {
  Command c = Shell("sqlite3 " + db + " \"" + sql + "\"");
  REQUIRE(c.exit_code == 0);
  return std::stoll(c.out);
}

}  // namespace

TEST_CASE("an attempt's long parameters are recorded cut, the run's whole",
          "[cli][audit][bounds]") {
  std::string dir = TempDir();
  // A 125 KB argument built by an expression, the secret right where the cut falls, a
  // 70 KB run parameter, three attempts that fail.
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsecrets:\n  token: {env: BIG_TOKEN}\n"
            "params:\n  pad: {type: string, default: " +
                std::string(65530, 'a') +
                "}\n  tail: {type: string, default: " + std::string(60000, 'b') +
                "}\n  whole: {type: string, default: " + std::string(70000, 'w') +
                "}\nsteps:\n"
                "  - id: s\n    uses: exec\n    retry: {max_attempts: 3, delay: 10ms}\n"
                "    with: {run: [sh, -c, 'test -e go && test ${#1} -gt 100000', x, "
                "\"${{ format('{0}{1}{2}', params.pad, secrets.token, params.tail) }}\"]}\n");
  Command run = Shell("cd " + dir + " && BIG_TOKEN=SECRET-0123456789-XYZ " + Binary() +
                      " run b.yaml --audit-db a.db");
  REQUIRE(run.exit_code == 1);
  std::string db = dir + "/a.db";
  CHECK(Sql(db, "SELECT count(*) FROM events WHERE kind='attempt_started'") == 3);
  // Each attempt: about 64 KiB, not 125 KB (the masked value is 125533 bytes).
  CHECK(Sql(db, "SELECT max(length(body)) FROM events WHERE kind='attempt_started'") < 70000);
  CHECK(Sql(db,
            "SELECT count(*) FROM events WHERE kind='attempt_started' AND body LIKE "
            "'%... [cut by runbook: %bytes in all, sha256 %'") == 3);
  // The secret straddled the cut: masked first, so not one character of it is kept.
  CHECK(Sql(db,
            "SELECT count(*) FROM events WHERE body LIKE '%SECRET-0%' OR body LIKE "
            "'%0123456789%'") == 0);
  // The run's parameters are whole: the 70 KB one too.
  CHECK(Sql(db, "SELECT length(body) FROM events WHERE kind='run_started'") > 195000);
  // show prints the cut value, and the chain is intact.
  Command show =
      Shell(Binary() + " show --audit-db " + db + " $(" + Binary() + " history --audit-db " + db +
            " --format json | python3 -c 'import json,"
            "sys; print(json.load(sys.stdin)[0][\"run_id\"])') 2>&1");
  CHECK(show.exit_code == 0);
  CHECK(Shell(Binary() + " audit verify --audit-db " + db).exit_code == 0);
  // resume runs with the whole values: the step's argument is over 100 KB again.
  Shell("touch " + dir + "/go");
  std::string id = Shell(Binary() + " history --audit-db " + db +
                         " --format json | python3 -c 'import json,sys; "
                         "print(json.load(sys.stdin)[0][\"run_id\"])'")
                       .out;
  id.pop_back();
  Command resumed = Shell("cd " + dir + " && BIG_TOKEN=SECRET-0123456789-XYZ " + Binary() +
                          " resume " + id + " --audit-db a.db");
  CHECK(resumed.exit_code == 0);
}
