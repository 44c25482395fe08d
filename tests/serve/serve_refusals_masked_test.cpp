// serve's refusals that quote a value sent (a param, an approval's input) mask a declared
// secret's text in it, as `run --set` and `--input` do (break23a A5: a 400 answered
// "invalid value 'Zq9hunter2Xy7Wv'"). Against a real serve and the real runs it starts.
#include <catch2/catch.hpp>
#include <string>

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

}  // namespace

TEST_CASE("serve: a refused param or approval input never echoes a secret's text",
          "[serve][api][secrets]") {
  std::string dir = ServeDir();
  WriteFile(dir, "rb/rf.yaml", Refusing());
  WriteFile(dir, "rb/key.txt", std::string(kFileSecret) + "\n");
  Serve serve(dir, {}, "http",
              {"RUNBOOK_TEST_A5_PW=" + std::string(kEnvSecret),
               "RUNBOOK_TEST_A5_TOKEN=" + std::string(kTokenVar)});
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
