// The params a run under serve keeps (serve/kept_params.h): written whole, read back with
// what a helper and serve need (acceptance, runbook, trigger, withheld and lost names),
// secrets never written, a file of an older version read with its defaults.
#include "serve/kept_params.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/redact.h"
#include "engine/util/json.h"
#include "serve/launcher.h"
#include "serve/run_log.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("kept params: a run's acceptance round-trips, a secret's text is withheld",
          "[serve][owed]") {
  std::string dir = TempDir();
  const std::string path = dir + "/r.params";
  Redactor redactor;
  redactor.Add("kp-secret-value");
  Value trigger(Value::Map{{"kind", Value("api")}, {"by", Value("ops")}});
  KeepParams(path, {{"tag", Value("t1")}, {"token", Value("kp-secret-value")}}, redactor,
             Acceptance{"2026-12-06T10:00:00.000Z", "shared", "dr", trigger});
  CHECK(ReadFile(path).find("kp-secret-value") == std::string::npos);
  auto kept = ReadKeptParams(path);
  REQUIRE(kept.has_value());
  CHECK(kept->accepted);
  CHECK(kept->accepted_at == "2026-12-06T10:00:00.000Z");
  CHECK(kept->lock == "shared");
  CHECK(kept->runbook == "dr");
  CHECK(ToJson(kept->trigger) == ToJson(trigger));
  CHECK(ToJson(Value(kept->params)) == "{\"tag\":\"t1\"}");
  CHECK(kept->withheld == std::vector<std::string>{"token"});
  CHECK(kept->lost.empty());
  // Kept as its mask, by which a resume tells the value given again.
  CHECK(ToJson(Value(kept->masks)) == "{\"token\":\"***\"}");
  CHECK(kept->fingerprints.empty());  // no key given: none
  // With the store's key: its keyed fingerprint, never the value (breakEE EE2).
  const std::string key(64, 'a');
  KeepParams(path, {{"token", Value("kp-secret-value")}}, redactor, std::nullopt, key);
  CHECK(ReadFile(path).find("kp-secret-value") == std::string::npos);
  auto printed = ReadKeptParams(path);
  REQUIRE(printed.has_value());
  Redactor keyed = redactor;
  keyed.SetFingerprintKey(key);
  REQUIRE(printed->fingerprints.count("token") == 1);
  CHECK(printed->fingerprints.at("token").as_string() ==
        keyed.Fingerprint(ToJson(Value("kp-secret-value"))));
  // A planted "mask" that is no mask, or of a name not withheld, is not taken.
  WriteFile(dir, "planted.params",
            "{\"params\": {}, \"withheld\": [\"token\"], \"masks\": {\"token\": \"plain\", "
            "\"tag\": \"x-***\"}}\n");
  auto planted = ReadKeptParams(dir + "/planted.params");
  REQUIRE(planted.has_value());
  CHECK(planted->masks.empty());
}

TEST_CASE("kept params: lost names are kept apart from withheld secrets, and older files read",
          "[serve][owed]") {
  std::string dir = TempDir();
  const std::string path = dir + "/r.params";
  KeptParams lost;
  lost.withheld = {"tag", "token"};
  lost.lost = {"tag"};
  REQUIRE(WriteKeptParams(path, lost).ok());
  auto kept = ReadKeptParams(path);
  REQUIRE(kept.has_value());
  CHECK(kept->lost == std::vector<std::string>{"tag"});
  CHECK_FALSE(kept->accepted);
  // An older helper's file: no lost, no acceptance.
  WriteFile(dir, "old.params", "{\"params\": {\"tag\": \"x\"}, \"withheld\": []}\n");
  auto old = ReadKeptParams(dir + "/old.params");
  REQUIRE(old.has_value());
  CHECK(old->lost.empty());
  CHECK(old->runbook.empty());
  CHECK(old->trigger.is_null());
  // Damaged: not whole, or a name that is no text.
  WriteFile(dir, "bad.params", "{\"params\": {}, \"withheld\": [], \"lost\": [1]}\n");
  CHECK_FALSE(ReadKeptParams(dir + "/bad.params").has_value());
  WriteFile(dir, "cut.params", "{\"params\": {\"tag\"");
  CHECK_FALSE(ReadKeptParams(dir + "/cut.params").has_value());
  // An acceptance time that is no time is not taken.
  WriteFile(dir, "when.params",
            "{\"params\": {}, \"withheld\": [], \"accepted\": true, \"accepted_at\": \"soon\"}\n");
  auto when = ReadKeptParams(dir + "/when.params");
  REQUIRE(when.has_value());
  CHECK(when->accepted);
  CHECK(when->accepted_at.empty());
}

TEST_CASE("kept params: a request was taken when they say so, or, lost, unless the run refused",
          "[serve][owed]") {
  std::string dir = TempDir();
  KeptParams accepted;
  accepted.accepted = true;
  CHECK(RequestTaken(accepted, dir + "/none.log"));
  CHECK_FALSE(RequestTaken(KeptParams{}, dir + "/none.log"));  // a helper's: refused
  // Lost (breakCC CC4): the run's own output is the evidence.
  WriteFile(dir, "waited.log",
            "runbook: audit store x (--audit-db)\nrunbook: waiting for lock 'l', held by run r\n");
  CHECK(RequestTaken(std::nullopt, dir + "/waited.log"));
  WriteFile(dir, "busy.log",
            "runbook: the audit store is busy: waiting to record the run (--wait)\n");
  CHECK(RequestTaken(std::nullopt, dir + "/busy.log"));
  WriteFile(dir, "refused.log", "runbook: error: param 'tag': not one of a, b\n");
  CHECK_FALSE(RequestTaken(std::nullopt, dir + "/refused.log"));
  WriteFile(
      dir, "both.log",
      "runbook: waiting for lock 'l', held by run r\nrunbook: error: cannot open the store\n");
  CHECK_FALSE(RequestTaken(std::nullopt, dir + "/both.log"));
  // Killed before it said anything (breakDD DD1: serve killed just after answering 201):
  // nothing says it refused.
  WriteFile(dir, "silent.log", "runbook: audit store x (--audit-db)\n");
  CHECK(RequestTaken(std::nullopt, dir + "/silent.log"));
  CHECK(RequestTaken(std::nullopt, dir + "/none.log"));
  // A lost-run helper's own errors after it (its params unwritable: disk full; the store
  // refusing the record) are not the run's: it still said no refusal.
  WriteFile(dir, "helped.log",
            "runbook: audit store x (--audit-db)\n" + HelperHeader(137) +
                "runbook: error: cannot write x.params: No space left on device\n" +
                HelperHeader(137) + "runbook: error: the store refused the record\n");
  CHECK(RequestTaken(std::nullopt, dir + "/helped.log"));
  CHECK(Launcher::FirstError(dir + "/helped.log").empty());
  WriteFile(dir, "refused-helped.log",
            "runbook: error: secret 'k': cannot read\n" + HelperHeader(3) +
                "runbook: error: the store refused the record\n");
  CHECK_FALSE(RequestTaken(std::nullopt, dir + "/refused-helped.log"));
  CHECK(Launcher::FirstError(dir + "/refused-helped.log") == "secret 'k': cannot read");
  WriteFile(dir, "only-helper.log", HelperHeader(137) + "runbook: error: x\n");
  CHECK(RequestTaken(std::nullopt, dir + "/only-helper.log"));
  // Judged: said it waited (past its checks: breakFF FF5), said nothing, or refused.
  using J = RequestJudgement;
  CHECK(JudgeRequest(accepted, dir + "/refused.log") == J::kTaken);  // kept params first
  CHECK(JudgeRequest(KeptParams{}, dir + "/waited.log") == J::kRefused);
  CHECK(JudgeRequest(std::nullopt, dir + "/waited.log") == J::kTaken);
  CHECK(JudgeRequest(std::nullopt, dir + "/busy.log") == J::kTaken);
  CHECK(JudgeRequest(std::nullopt, dir + "/silent.log") == J::kTakenIfReadable);
  CHECK(JudgeRequest(std::nullopt, dir + "/none.log") == J::kTakenIfReadable);
  CHECK(JudgeRequest(std::nullopt, dir + "/both.log") == J::kRefused);
  WriteFile(dir, "helper-waited.log", HelperHeader(137) + "runbook: waiting for lock 'l'\n");
  CHECK(JudgeRequest(std::nullopt, dir + "/helper-waited.log") == J::kTakenIfReadable);
}

TEST_CASE("serve: a lost-run helper's output follows a line of its own in the run's log",
          "[serve][owed]") {
  std::string dir = TempDir();
  const std::string log = dir + "/r.log";
  WriteFile(dir, "r.log", "runbook: waiting to record the run (--wait)\n");
  AppendHelperHeader(log, 137);
  CHECK(ReadFile(log) ==
        "runbook: waiting to record the run (--wait)\n"
        "runbook serve: the lost-run helper of this run (the run ended with exit 137) says:\n");
  CHECK(RunOwnOutput(log, 1 << 16) == "runbook: waiting to record the run (--wait)\n");
  CHECK(RunOwnOutput(log, 10) == "runbook: w");  // at most its first bytes
  CHECK_FALSE(RunOwnOutput(dir + "/none.log", 100).has_value());
  CHECK(HelperHeader(kDiedWithServe) ==  // breakFF FF6: "exit 1000" is no exit code
        "runbook serve: the lost-run helper of this run (the run died with serve) says:\n");
  ::symlink(log.c_str(), (dir + "/link.log").c_str());
  AppendHelperHeader(dir + "/link.log", 1);  // never through a symlink
  CHECK(ReadFile(log).find("exit 1)") == std::string::npos);
}
