// serve's refusals that quote a value sent (a param, an approval's input) mask a declared
// secret's text in it, as `run --set` and `--input` do (break23a A5: a 400 answered
// "invalid value 'Zq9hunter2Xy7Wv'"). Against a real serve and the real runs it starts.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/serve_process.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const char* kEnvSecret = "Zq9hunter2Xy7Wv";  // secret `pw`: env RUNBOOK_TEST_A5_PW
const char* kFileSecret = "Fk3lemon8Qp2Rt";  // secret `key`: file key.txt beside the runbook
const char* kTokenVar = "Tt5grape1Mm9Ww";    // RUNBOOK_TEST_A5_TOKEN, declared nowhere

// A runbook whose params `e` (enum aa, bb) and `i` (integer) refuse what they are sent, and
// whose gate asks for an integer input `n`.
std::string Refusing() {
  return "version: 1\nname: rf\nsecrets:\n  pw: {env: RUNBOOK_TEST_A5_PW}\n"
         "  key: {file: key.txt}\nparams:\n  e: {type: string, enum: [aa, bb], default: aa}\n"
         "  i: {type: integer, default: 1}\n  l: {type: list, default: [x]}\n"
         "steps:\n"
         "  - id: gate\n    uses: approval\n    with:\n      prompt: 'Go?'\n      inputs:\n"
         "        n: {type: integer, default: 1}\n";
}

// serve's folder holding Refusing() as rb/rf.yaml and its secret file.
std::string RefusingServeDir() {
  std::string dir = ServeDir();
  WriteFile(dir, "rb/rf.yaml", Refusing());
  WriteFile(dir, "rb/key.txt", std::string(kFileSecret) + "\n");
  return dir;
}

// serve's environment: the env secret and a credential-named variable declared nowhere.
std::vector<std::string> SecretsEnv() {
  return {"RUNBOOK_TEST_A5_PW=" + std::string(kEnvSecret),
          "RUNBOOK_TEST_A5_TOKEN=" + std::string(kTokenVar)};
}

}  // namespace

TEST_CASE("serve: a refused param or approval input never echoes a secret's text",
          "[serve][api][secrets]") {
  std::string dir = RefusingServeDir();
  ServeProcess serve(dir, {}, "http", SecretsEnv());
  auto refused = [&](const std::string& path, const std::string& body) {
    std::string error = serve.Json("POST", path, 400, body).Find("error")->as_string();
    for (const char* secret : {kEnvSecret, kFileSecret, kTokenVar})
      CHECK_THAT(error, !Catch::Contains(secret));
    return error;
  };
  const std::string runs = "/api/v1/runbooks/rf/runs";
  SECTION("a param's value, whole or within (the example), each kind of secret") {
    CHECK_THAT(refused(runs, "{\"params\": {\"e\": \"" + std::string(kEnvSecret) + "\"}}"),
               Catch::Contains("invalid value '***'"));
    CHECK_THAT(refused(runs, "{\"params\": {\"i\": \"pre-" + std::string(kEnvSecret) + "\"}}"),
               Catch::Contains("expected a number, found 'pre-***'"));
    CHECK_THAT(refused(runs, "{\"params\": {\"e\": \"" + std::string(kFileSecret) + "\"}}"),
               Catch::Contains("'***'"));
    CHECK_THAT(refused(runs, "{\"params\": {\"e\": \"" + std::string(kTokenVar) + "\"}}"),
               Catch::Contains("'***'"));
  }
  SECTION("a list param given as a text that is no JSON: the error quotes none of it") {
    CHECK_THAT(refused(runs, "{\"params\": {\"l\": \"" + std::string(kEnvSecret) + "\"}}"),
               Catch::Contains("params.l: expected JSON for a list"));
  }
  SECTION("an approval's input") {
    std::string id = serve.Json("POST", runs, 201, "{}").Find("run_id")->as_string();
    REQUIRE(serve.WaitsForApproval(id));
    const std::string gate = "/api/v1/runs/" + id + "/approvals/gate";
    CHECK_THAT(refused(gate, "{\"approve\": true, \"inputs\": {\"n\": \"x-" +
                                 std::string(kEnvSecret) + "\"}}"),
               Catch::Contains("found 'x-***'"));
    CHECK_THAT(refused(gate, "{\"approve\": true, \"inputs\": {\"n\": \"" +
                                 std::string(kFileSecret) + "\"}}"),
               Catch::Contains("found '***'"));
    serve.Json("POST", gate, 202, "{\"approve\": true}");
    CHECK(serve.Finished(id) == "success");
  }
}

TEST_CASE("serve: no answer and no line of its log echoes a secret's text a caller sent",
          "[serve][api][secrets]") {
  // break24a S1: a runbook name, a run id, a step, a cursor or a route holding a secret came
  // back in 404, 405, 409 and 400 answers, and a resume's refused --rerun in serve's log.
  std::string dir = RefusingServeDir();
  ServeProcess serve(dir, {}, "http", SecretsEnv());
  std::string id =
      serve.Json("POST", "/api/v1/runbooks/rf/runs", 201, "{}").Find("run_id")->as_string();
  REQUIRE(serve.WaitsForApproval(id));
  const std::string s = kEnvSecret, f = kFileSecret, t = kTokenVar;
  const std::vector<std::pair<std::string, std::string>> asked = {
      {"GET", "/api/v1/runbooks/" + s},
      {"POST", "/api/v1/runbooks/" + t + "/runs"},
      {"GET", "/api/v1/runs/" + f},
      {"GET", "/api/v1/runs/" + id + "/steps/" + s + "/log"},
      {"POST", "/api/v1/runs/" + id + "/approvals/" + t},
      {"GET", "/api/v1/runs?cursor=" + s},
      {"GET", "/api/v1/" + f},
      {"GET", "/api/v1/runs/" + s + "/cancel"},
  };
  for (const auto& [method, path] : asked) {
    CAPTURE(method, path);
    Command c = serve.Http(method, path, method == "POST" ? "{}" : "");
    CHECK_THAT(c.out, Catch::Contains("\"error\""));
    for (const std::string& secret : {s, f, t}) CHECK_THAT(c.out, !Catch::Contains(secret));
  }
  serve.Json("POST", "/api/v1/runs/" + id + "/cancel", 202, "{}");
  REQUIRE(serve.Finished(id) == "cancelled");
  Command resumed =
      serve.Http("POST", "/api/v1/runs/" + id + "/resume", "{\"rerun\": [\"" + s + "\"]}");
  CHECK_THAT(resumed.out, !Catch::Contains(s));
  for (const std::string& secret : {s, f, t}) CHECK_THAT(serve.Log(), !Catch::Contains(secret));
}

TEST_CASE("serve and schedule: a runbook's declaration holding a secret's text is shown masked",
          "[serve][api][secrets][schedule]") {
  // break24a S2: a param's default, enum and description and a schedule's params were shown
  // whole in GET /api/v1/runbooks and `runbook schedule`, while the run masks them.
  std::string dir = ServeDir();
  const std::string s = kEnvSecret;
  WriteFile(dir, "rb/dc.yaml",
            "version: 1\nname: dc\ndescription: 'd " + s +
                "'\nsecrets:\n  pw: {env: RUNBOOK_TEST_A5_PW}\nparams:\n  who: {default: " + s +
                ", description: 'x " + s + "', enum: [" + s +
                ", b]}\non:\n  schedule:\n    - cron: '0 3 * * *'\n      params: {who: " + s +
                "}\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n");
  ServeProcess serve(dir, {}, "http", {"RUNBOOK_TEST_A5_PW=" + s});
  for (const char* path : {"/api/v1/runbooks", "/api/v1/runbooks/dc"}) {
    CAPTURE(path);
    Command c = serve.Http("GET", path, "");
    CHECK_THAT(c.out, Catch::Contains("***"));
    CHECK_THAT(c.out, !Catch::Contains(s));
  }
  for (const char* format : {"text", "json"}) {
    Command c = Shell("RUNBOOK_TEST_A5_PW=" + s + " " + Binary() + " schedule --format " + format +
                      " " + dir + "/rb/dc.yaml");
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.out, Catch::Contains("***"));
    CHECK_THAT(c.out + c.err, !Catch::Contains(s));
  }
}

TEST_CASE("serve: a runbook refused for a secret's text is reported masked",
          "[serve][api][secrets][schedule]") {
  // break24a S2 (rest): a schedule's param refused at load quoted its value, a secret's text,
  // in the catalog's `problems` and serve's log; the runbook did not load, so its secrets
  // were not known. What could be read of it masks what is said about it.
  std::string dir = ServeDir();
  const std::string s = kEnvSecret;
  WriteFile(dir, "rb/rf.yaml",
            "version: 1\nname: rf\nsecrets:\n  pw: {env: RUNBOOK_TEST_A5_PW}\nparams:\n  who: "
            "{enum: [a, b]}\non:\n  schedule:\n    - cron: '0 3 * * *'\n      params: {who: " +
                s + "}\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n");
  ServeProcess serve(dir, {}, "http", {"RUNBOOK_TEST_A5_PW=" + s});
  Command c = serve.Http("GET", "/api/v1/runbooks", "");
  CHECK_THAT(c.out, Catch::Contains("problems") && Catch::Contains("***"));
  CHECK_THAT(c.out, !Catch::Contains(s));
  CHECK_THAT(serve.Log(), Catch::Contains("not loaded") && !Catch::Contains(s));
  Command listed = Shell("RUNBOOK_TEST_A5_PW=" + s + " " + Binary() + " schedule " + dir + "/rb");
  CHECK(listed.exit_code == 2);
  CHECK_THAT(listed.out + listed.err, Catch::Contains("***") && !Catch::Contains(s));
}
