// A list's or a map's numbers keep their written text on every way into a run, as the same
// list written as the param's default keeps it (break23a C1: `--set`, `--input` and serve's
// API gave `3.1,1000.0` for `[3.10, 1e3]`; C5: a schedule's `params: {l: [3.10, 0755]}` fired
// runs with `3.1,755`). engine/util/json.h TextAsSent; against real runs, a real serve and the
// real scheduler on an injected clock.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "engine/util/json.h"
#include "engine/util/time_format.h"
#include "serve/scheduler.h"
#include "support/fake_clock.h"
#include "support/serve_process.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A runbook `name` whose step appends "L|M|G" to `dir`/got: its list param `l` joined with
// ',', its map param `m`'s `a`, and G: the list input `l` of its gate joined (`gated`), else
// "-"; with `more` after `name` (a schedule).
std::string Lists(const std::string& dir, const std::string& name, const std::string& more,
                  bool gated = true) {
  const std::string gate =
      "  - id: gate\n    uses: approval\n    with:\n      prompt: 'go?'\n      inputs:\n"
      "        l: {type: list, default: [2.50]}\n";
  return "version: 1\nname: " + name + "\n" + more +
         "params:\n  l: {type: list, default: [3.10, 1e3, -0.50, 0755, 7]}\n"
         "  m: {type: map, default: {a: 3.10}}\nsteps:\n" +
         (gated ? gate : "") + "  - id: w\n    uses: exec\n" +
         (gated ? "    needs: [gate]\n" : "") +
         "    env: {L: \"${{ join(params.l, ',') }}\", M: \"${{ params.m.a }}\",\n"
         "          G: \"" +
         (gated ? "${{ join(steps.gate.outputs.l, ',') }}" : "-") +
         "\"}\n    with: {run: [sh, -c, 'echo \"$L|$M|$G\" >> " + dir + "/got']}\n";
}

}  // namespace

TEST_CASE("a list's numbers sent as text come back as written, 0755 as its text",
          "[values][written]") {
  Value l(Value::List{Value::Written(Value(3.1), "3.10"), Value::Written(Value(1000.0), "1e3"),
                      Value::Written(Value(int64_t{755}), "0755"), Value(int64_t{7}),
                      Value("x\"y")});
  Value m(Value::Map{{"a", l}, {"b", Value::Written(Value(-0.5), "-0.50")}});
  const std::string text = TextAsSent(m);
  CHECK(text == "{\"a\":[3.10,1e3,\"0755\",7,\"x\\\"y\"],\"b\":-0.50}");
  auto back = ParseJsonAsSent(text);
  REQUIRE(back.ok());
  CHECK(back.value().Find("a")->as_list()[0].ToText() == "3.10");
  CHECK(back.value().Find("a")->as_list()[0].as_double() == 3.1);
  CHECK(back.value().Find("a")->as_list()[2].ToText() == "0755");
  CHECK(TextAsSent(Value::Written(Value(int64_t{755}), "0755")) == "0755");  // a scalar: its text
}

TEST_CASE("run: --set and --input give a list's numbers as written, as its default does",
          "[values][written][cli]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "l.yaml", Lists(dir, "l", ""));
  const std::string run = Binary() + " run " + file + " --audit-db " + dir + "/audit.db --yes";
  REQUIRE(Shell(run).exit_code == 0);
  REQUIRE(Shell(run + " --set 'l=[3.10, 1e3, -0.50, \"0755\", 7]' --set 'm={\"a\": 3.10}'" +
                " --input 'gate.l=[1e3, 2.50]'")
              .exit_code == 0);
  CHECK(ReadFile(dir + "/got") ==
        "3.10,1e3,-0.50,0755,7|3.10|2.50\n3.10,1e3,-0.50,0755,7|3.10|1e3,2.50\n");
}

TEST_CASE("serve: a list param and a list input sent as JSON reach the run as written",
          "[serve][api][written]") {
  std::string dir = ServeDir();
  WriteFile(dir, "rb/l.yaml", Lists(dir, "l", ""));
  ServeProcess serve(dir);
  std::string id = serve
                       .Json("POST", "/api/v1/runbooks/l/runs", 201,
                             "{\"params\": {\"l\": [3.10, 1e3, -0.50, \"0755\", 7], "
                             "\"m\": {\"a\": 3.10}}}")
                       .Find("run_id")
                       ->as_string();
  REQUIRE(serve.WaitsForApproval(id));
  serve.Json("POST", "/api/v1/runs/" + id + "/approvals/gate", 202,
             "{\"approve\": true, \"inputs\": {\"l\": [1e3, 2.50]}}");
  CHECK(serve.Finished(id) == "success");
  CHECK(ReadFile(dir + "/got") == "3.10,1e3,-0.50,0755,7|3.10|1e3,2.50\n");
  // The catalog gives a default as written beside its JSON (break24a C2: [3.1, 1000.0, ...]).
  const Value rb = serve.Json("GET", "/api/v1/runbooks/l", 200);
  std::map<std::string, std::string> written;
  for (const Value& p : rb.Find("params")->as_list())
    written[p.Find("name")->as_string()] = p.Find("default_written")->ToText();
  CHECK(written["l"] == "[3.10,1e3,-0.50,\"0755\",7]");
  CHECK(written["m"] == "{\"a\":3.10}");
}

TEST_CASE("scheduler on a fake clock: a schedule's list and map params reach the run as written",
          "[serve][schedule][clock][written]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/rb " + dir + "/logs");
  WriteFile(dir + "/rb", "l.yaml",
            Lists(dir, "l",
                  "on:\n  schedule:\n    - cron: '* * * * *'\n      params:\n"
                  "        l: [3.10, 1e3, -0.50, 0755, 7]\n        m: {a: 0755}\n",
                  false));
  Launcher launcher(Binary(), dir + "/audit.db", dir + "/logs");
  std::vector<std::string> said;
  FakeClock clock(ParseUtc("2026-06-01T10:00:30Z").value());
  Scheduler s(clock, launcher, dir + "/audit.db", dir + "/scheduler.json",
              [&](const std::string& line) { said.push_back(line); });
  std::string error;
  auto catalog = Catalog::Load(Builtins(), dir + "/rb", error);
  REQUIRE(error.empty());
  s.Tick(*catalog);
  clock.Advance(std::chrono::minutes(1));
  s.Tick(*catalog);  // 10:01 fires
  INFO([&] {
    std::string all;
    for (const std::string& line : said) all += line + "\n";
    return all;
  }());
  // Waited for here, not through Shell: its process runner reaps any child of this process,
  // the launcher's run included (then never seen to end).
  for (int i = 0; i < 300 && !launcher.Running("l").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(launcher.Running("l").empty());
  CHECK(ReadFile(dir + "/got") == "3.10,1e3,-0.50,0755,7|0755|-\n");
}

TEST_CASE("run: a loop's item from --set is text where a parameter wants text, as from the file",
          "[values][written][cli]") {
  // An integer from `--set 'l=[1, 2.50]'` failed `message: ${{ item }}` ("expected a string,
  // found number 1") where the same list written as the default ran.
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "it.yaml",
                               "version: 1\nname: it\nparams:\n  l: {type: list, default: [1, "
                               "2.50]}\nsteps:\n  - id: a\n    uses: log\n"
                               "    for_each: ${{ params.l }}\n    with:\n"
                               "      message: ${{ item }}\n");
  const std::string run = Binary() + " run " + file + " --audit-db " + dir + "/audit.db";
  for (const std::string& sets : {std::string(), std::string(" --set 'l=[1, 2.50]'")}) {
    CAPTURE(sets);
    Command c = Shell(run + sets);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.out + c.err, Catch::Contains("a[0] | 1\n"));
    CHECK_THAT(c.out + c.err, Catch::Contains("a[1] | 2.50\n"));
  }
}

TEST_CASE("resume: a list's and a map's numbers are the text the first run had",
          "[values][written][cli][resume]") {
  // break24a C1: the store kept params as JSON only, and a resume gave `3.1,1000.0,755`.
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "r.yaml",
                "version: 1\nname: r\nparams:\n  l: {type: list, default: [3.10, 1e3, 0755]}\n"
                "  m: {type: map, default: {k: 2.50}}\nsteps:\n"
                "  - {id: a, uses: exec, with: {run: [sh, -c, 'test -e " +
                    dir + "/flag || { touch " + dir +
                    "/flag; exit 1; }']}}\n"
                    "  - id: b\n    uses: exec\n    needs: [a]\n"
                    "    env: {L: \"${{ join(params.l, ',') }}\", M: \"${{ params.m.k }}\"}\n"
                    "    with: {run: [sh, -c, 'echo \"$L|$M\" >> " +
                    dir + "/got']}\n");
  const std::string db = " --audit-db " + dir + "/a.db";
  for (const std::string& sets : {std::string(), std::string(" --set 'l=[3.10, 1E3, 7]'")}) {
    CAPTURE(sets);
    Shell("rm -f " + dir + "/flag " + dir + "/got");
    REQUIRE(Shell(Binary() + " run " + file + db + sets).exit_code == 1);
    const std::string id = LatestRunId(dir + "/a.db");
    REQUIRE(Shell(Binary() + " resume " + id + db).exit_code == 0);
    CHECK(ReadFile(dir + "/got") == (sets.empty() ? "3.10,1e3,0755|2.50\n" : "3.10,1E3,7|2.50\n"));
  }
}
