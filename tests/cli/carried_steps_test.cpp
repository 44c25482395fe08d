// A resume carries over the steps that passed; its reports and `show` measure them as they
// ran, in the run they ran in (breakN N22: the restore that was the point of a drill read
// "success | 0 | 0ms | carried over", off the timeline, under an RTO that counted it).
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// `fetch` passes (it prints and takes about 0.3 s); `check` fails until `dir`/ok exists.
std::string TwoSteps(const std::string& dir) {
  return WriteFile(dir, "rb.yaml",
                   "version: 1\nname: carried\nsteps:\n"
                   "  - {id: fetch, uses: exec, with: {run: [sh, -c, 'echo fetched-it; "
                   "sleep 0.3']}}\n"
                   "  - {id: check, needs: [fetch], uses: exec, with: {run: [test, -f, " +
                       dir + "/ok]}}\n");
}

// The step `id` of a JSON report; null when absent.
Value StepOf(const std::string& json, const std::string& id) {
  auto report = ParseJson(json);
  if (!report.ok() || report.value().Find("steps") == nullptr) return Value();
  for (const Value& s : report.value().Find("steps")->as_list())
    if (s.Find("id")->as_string() == id) return s;
  return Value();
}

}  // namespace

TEST_CASE("a resumed run's reports and show measure the steps it carried over",
          "[cli][resume][report]") {
  std::string dir = TempDir();
  TwoSteps(dir);
  std::string rb = "cd " + dir + " && " + Binary() + " ";
  REQUIRE(Shell(rb + "run rb.yaml --audit-db a.db").exit_code == 1);
  std::string first = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/ok");
  Command resumed = Shell(rb + "resume " + first + " --audit-db a.db");
  REQUIRE(resumed.exit_code == 0);
  std::string second = LatestRunId(dir + "/a.db");
  REQUIRE(second != first);
  // The resume's own end-of-run table too (breakO O24: it said 0 attempts, "-").
  std::smatch row;
  REQUIRE(std::regex_search(resumed.err, row,
                            std::regex("\\nfetch +success +([0-9]+) +([0-9.]+)(ms|s)\\n")));
  CHECK(row[1] == "1");
  CHECK((row[3] == "s" || std::stoi(row[2]) >= 250));

  // JSON: fetch keeps its one attempt, naming the run it ran in, and its duration.
  Value carried =
      StepOf(Shell(rb + "report " + second + " --format json --audit-db a.db").out, "fetch");
  REQUIRE(carried.is_map());
  const Value* fetch = &carried;
  CHECK(fetch->Find("restored_from")->as_string() == first);
  REQUIRE(fetch->Find("attempts")->as_list().size() == 1);
  CHECK(fetch->Find("attempts")->as_list()[0].Find("run_id")->as_string() == first);
  CHECK(fetch->Find("duration_ms")->as_int() >= 250);

  // Markdown: one attempt, not 0, and not 0ms.
  Command md = Shell(rb + "report " + second + " --format md --audit-db a.db");
  CHECK_THAT(md.out, Catch::Contains("| fetch | exec | success | 1 | ") &&
                         !Catch::Contains("| fetch | exec | success | 1 | 0ms"));
  // HTML: a bar on the timeline for fetch, saying where it ran.
  Command html = Shell(rb + "report " + second + " --format html --audit-db a.db");
  CHECK_THAT(html.out, Catch::Contains("<title>fetch attempt 1: success") &&
                           Catch::Contains("(in run " + first + ")</title>"));
  // show: the attempt and where it ran; --step: what it printed there.
  Command show = Shell(rb + "show " + second + " --audit-db a.db");
  CHECK_THAT(show.out, Catch::Contains("in run " + first));
  Command step = Shell(rb + "show " + second + " --step fetch --audit-db a.db");
  CHECK_THAT(step.out, Catch::Contains("fetched-it") && Catch::Contains("in run " + first));
  // The first run's own report is unchanged: its steps ran in it.
  Value own = StepOf(Shell(rb + "report " + first + " --format json --audit-db a.db").out, "fetch");
  REQUIRE(own.is_map());
  REQUIRE(own.Find("attempts")->as_list().size() == 1);
  CHECK(own.Find("attempts")->as_list()[0].Find("run_id")->as_string().empty());
}

TEST_CASE("a resume measures the RTO to the end step it carried over", "[cli][resume][report]") {
  // breakO O8: with the step marked `rto: end` carried over, the incident's RTO was "not
  // measured: the step marked 'rto: end' did not run". It ended in the first run: the RTO is
  // from the incident's start (the `rto: start` step there) to that end.
  std::string dir = TempDir();
  WriteFile(dir, "rt.yaml",
            "version: 1\nname: rt\nobjectives: {rto: 1h}\nsteps:\n"
            "  - {id: s, uses: exec, rto: start, with: {run: [sleep, '0.5']}}\n"
            "  - {id: e, uses: exec, needs: [s], rto: end, with: {run: [sleep, '0.5']}}\n"
            "  - {id: post, uses: exec, needs: [e], with: {run: [test, -f, " +
                dir + "/ok]}}\n");
  std::string rb = "cd " + dir + " && " + Binary() + " ";
  REQUIRE(Shell(rb + "run rt.yaml --audit-db a.db").exit_code == 1);
  std::string first = LatestRunId(dir + "/a.db");
  Shell("sleep 1.5; touch " + dir + "/ok");  // the gap before the resume is not in the RTO
  Command resumed = Shell(rb + "resume " + first + " --audit-db a.db");
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.out + resumed.err, !Catch::Contains("not measured"));
  std::string second = LatestRunId(dir + "/a.db");
  Value rto = [&] {
    auto report = ParseJson(Shell(rb + "report " + second + " --format json --audit-db a.db").out);
    REQUIRE(report.ok());
    return *report.value().Find("rto");
  }();
  INFO(ToJson(rto));
  REQUIRE(rto.Find("measured")->as_bool());
  int64_t elapsed = rto.Find("elapsed_ms")->as_int();
  CHECK(elapsed >= 900);  // s and e: two half-second steps
  CHECK(elapsed < 1400);  // not the 1.5 s gap, nor the resume
  CHECK(rto.Find("met")->as_bool());
}

// breakO O12: `show` of a resume of a resume left out the approval given in the first run
// (who approved the gate it carried, with the ticket), which its reports list.
TEST_CASE("show lists the approvals of the earlier runs of its chain, and their inputs",
          "[cli][resume][approval]") {
  std::string dir = TempDir();
  WriteFile(dir, "k.yaml",
            "version: 1\nname: k\nsteps:\n"
            "  - {id: gate, uses: approval, with: {prompt: go, inputs: {ticket: {type: string, "
            "required: true}}}}\n"
            "  - {id: c, needs: [gate], uses: exec, with: {run: [test, -f, " +
                dir + "/ok]}}\n");
  std::string rb = "cd " + dir + " && " + Binary() + " ";
  REQUIRE(Shell(rb + "run k.yaml --yes --input gate.ticket=CHG-17 --audit-db a.db </dev/null")
              .exit_code == 1);
  std::string first = LatestRunId(dir + "/a.db");
  REQUIRE(Shell(rb + "resume " + first + " --audit-db a.db </dev/null").exit_code == 1);
  std::string second = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/ok");
  REQUIRE(Shell(rb + "resume " + second + " --audit-db a.db </dev/null").exit_code == 0);
  std::string third = LatestRunId(dir + "/a.db");
  REQUIRE(third != second);
  Command show = Shell(rb + "show " + third + " --audit-db a.db");
  INFO(show.out);
  CHECK(std::regex_search(
      show.out, std::regex("approval gate by --yes \\(root\\) at [^ ]+ \\(waited [^)]*\\) "
                           "in run " +
                           first + ": ticket=CHG-17\\n")));
  // The run that took the approval names no other run.
  Command own = Shell(rb + "show " + first + " --audit-db a.db");
  CHECK(std::regex_search(own.out, std::regex("approval gate by [^\\n]*\\): ticket=CHG-17\\n")));
}

// breakP P7: the resume's headline counted the finally steps that passed, which it then ran
// again: "2 step(s) carried over" when none was.
TEST_CASE("a resume does not count finally steps as carried over", "[cli][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n"
            "  - {id: a, uses: log, with: {message: a}}\n"
            "  - {id: sw, needs: [a], uses: exec, with: {run: [test, -e, " +
                dir +
                "/go]}}\n"
                "finally:\n  - {id: f1, uses: log, with: {message: one}}\n"
                "  - {id: f2, uses: log, with: {message: two}}\n");
  std::string rb = "cd " + dir + " && " + Binary() + " ";
  REQUIRE(Shell(rb + "run t.yaml --audit-db a.db").exit_code == 1);
  Shell("touch " + dir + "/go");
  Command resumed = Shell(rb + "resume " + LatestRunId(dir + "/a.db") + " --audit-db a.db");
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("; 1 step(s) carried over"));
  CHECK_THAT(resumed.err, Catch::Contains("start f1") && Catch::Contains("start f2"));
}

// breakX X7: a run killed after its finally steps had passed ran them again on resume,
// although no main step ran again (a notification sent twice, a cleanup repeated). Carried
// when every main step is; run again when a main step ran (P7 above).
TEST_CASE("a resume carries a passed finally step when no main step runs again", "[cli][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n"
            "  - {id: a, uses: log, with: {message: a}}\n"
            "  - {id: b, needs: [a], uses: log, with: {message: b}}\n"
            "finally:\n  - {id: f1, uses: exec, with: {shell: true, run: 'echo once >> " +
                dir +
                "/f1.txt'}}\n"
                "  - {id: f2, needs: [f1], uses: log, with: {message: two}}\n");
  std::string rb = "cd " + dir + " && " + Binary() + " ";
  // Events: 1 run_started; a 2-4; b 5-7; f1 8-10; f2 11-13. Killed once f1's end is
  // durable: f2 has started, not finished.
  Command killed = Shell("cd " + dir + " && RUNBOOK_FAULT_KILL_AFTER_EVENTS=10 " + Binary() +
                         " run t.yaml --audit-db a.db");
  REQUIRE(killed.exit_code == 128 + 9);
  REQUIRE(ReadFile(dir + "/f1.txt") == "once\n");
  Command resumed = Shell(rb + "resume " + LatestRunId(dir + "/a.db") + " --audit-db a.db");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, !Catch::Contains("start f1") && Catch::Contains("start f2"));
  CHECK_THAT(resumed.err, Catch::Contains("; 3 step(s) carried over"));  // a, b and f1
  CHECK(ReadFile(dir + "/f1.txt") == "once\n");
}

// breakY Y15: flag-update said it was idempotent whatever its parameters, so a resume after a
// kill past its rename ran `rollback: previous` again without asking: two steps back. A step
// type says it of the values it ran with; `rollout: N` stays idempotent.
TEST_CASE("a resume asks before running rollback: previous again, not rollout: N",
          "[cli][resume]") {
  for (const std::string with : {"rollback: previous", "rollout: 10"}) {
    CAPTURE(with);
    std::string dir = TempDir();
    WriteFile(dir, "flags.json", "{\"flags\": {\"flag.x\": {\"rollout\": 50}}}\n");
    WriteFile(dir, "t.yaml",
              "version: 1\nname: t\nsteps:\n"
              "  - {id: f, uses: flag-update, with: {file: flags.json, flag: flag.x, " +
                  with + "}}\n");
    // plan says what resume will do.
    Command plan = Shell("cd " + dir + " && " + Binary() + " plan t.yaml --format json");
    CHECK_THAT(plan.out, Catch::Contains(std::string("\"idempotent\": ") +
                                         (with == "rollout: 10" ? "true" : "false")));
    // Killed once f's start is durable: it may have acted.
    Command killed = Shell("cd " + dir + " && RUNBOOK_FAULT_KILL_AFTER_EVENTS=2 " + Binary() +
                           " run t.yaml --audit-db a.db");
    REQUIRE(killed.exit_code == 128 + 9);
    Command resumed = Shell("cd " + dir + " && " + Binary() + " resume " +
                            LatestRunId(dir + "/a.db") + " --audit-db a.db");
    INFO(resumed.out << resumed.err);
    if (with == "rollout: 10") {
      CHECK(resumed.exit_code == 0);
    } else {
      CHECK(resumed.exit_code == 2);
      CHECK_THAT(resumed.err, Catch::Contains("step 'f' (flag-update)") &&
                                  Catch::Contains("it is not idempotent") &&
                                  Catch::Contains("--rerun f"));
    }
  }
}

// breakZ Z12: a `rollback: previous` killed after its change landed (history entry written,
// file renamed, end not recorded): `resume --rerun f` rolled back again, putting back the
// rollout just rolled back. The step knows its own change by run and step, and says so.
TEST_CASE("a resume with --rerun does not make a landed rollback twice", "[cli][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "flags.json", "{\"flags\": {\"flag.x\": {\"rollout\": 70}}}\n");
  WriteFile(dir, "flags.json.history.jsonl",
            "{\"at\": \"2026-12-01T00:00:00Z\", \"run_id\": \"earlier\", \"step\": \"up\", "
            "\"flag\": \"flag.x\", \"from\": 50, \"to\": 70, \"good\": false}\n");
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n"
            "  - {id: f, uses: flag-update, with: {file: flags.json, flag: flag.x, rollback: "
            "previous}}\n");
  Command killed = Shell("cd " + dir + " && RUNBOOK_FAULT_KILL_AFTER_EVENTS=2 " + Binary() +
                         " run t.yaml --audit-db a.db");
  REQUIRE(killed.exit_code == 128 + 9);
  std::string id = LatestRunId(dir + "/a.db");
  // What a kill right after f's rename leaves: its entry last, the file at its value.
  Shell("cd " + dir + " && sed -i 's/\"rollout\": 70/\"rollout\": 50/' flags.json && echo " +
        "'{\"at\": \"2026-12-01T00:01:00Z\", \"run_id\": \"" + id +
        "\", \"step\": \"f\", \"flag\": \"flag.x\", \"from\": 70, \"to\": 50, \"good\": false}' " +
        ">> flags.json.history.jsonl");
  Command resumed =
      Shell("cd " + dir + " && " + Binary() + " resume " + id + " --rerun f --audit-db a.db");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(ReadFile(dir + "/flags.json"), Catch::Contains("\"rollout\": 50"));
  CHECK(Shell("wc -l < " + dir + "/flags.json.history.jsonl").out == "2\n");
  Command show = Shell("cd " + dir + " && " + Binary() + " show " + LatestRunId(dir + "/a.db") +
                       " --audit-db a.db");
  CHECK_THAT(show.out, Catch::Contains("was already made by this step in run " + id));
  // A second run is no resume: it rolls back again, as documented.
  Command again = Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db");
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK_THAT(ReadFile(dir + "/flags.json"), Catch::Contains("\"rollout\": 70"));
}

// breakFF F4: `resume --force` carried an approval of "Swap STAGING traffic?" over to the
// edited "Swap PRODUCTION traffic? (irreversible)", and the production swap ran on it. A
// gate is carried only when its parameters resolve to what was approved; else it asks again.
TEST_CASE("a resume carries an approval only of the prompt and inputs it was given",
          "[cli][resume][approval]") {
  std::string dir = TempDir();
  auto gate = [&](const std::string& prompt, const std::string& inputs) {
    WriteFile(dir, "e.yaml",
              "version: 1\nname: edit\nsteps:\n  - id: gate\n    uses: approval\n"
              "    with: {prompt: \"" +
                  prompt + "\"" + inputs +
                  "}\n  - {id: swap, uses: exec, needs: [gate], with: {run: [test, -e, " + dir +
                  "/go]}}\n");
  };
  auto first_run = [&]() {
    Shell("rm -f " + dir + "/go");
    Command first = Shell("cd " + dir + " && " + Binary() +
                          " run e.yaml --audit-db a.db --approve gate --input gate.t=INC-1 "
                          "</dev/null");
    REQUIRE(first.exit_code == 1);
    Shell("touch " + dir + "/go");
    return LatestRunId(dir + "/a.db");
  };
  const std::string input = ", inputs: {t: {type: string}}";
  SECTION("an edited prompt is asked again: without a person or --approve the resume stops") {
    // breakHH HH8: refused before its first step (exit 2), as `run` is, not at the gate
    // after the work beside it; the command to continue carries the --approve.
    gate("Swap STAGING traffic?", input);
    std::string id = first_run();
    gate("Swap PRODUCTION traffic? (irreversible)", input);
    Command r = Shell("cd " + dir + " && " + Binary() + " resume " + id +
                      " --force --audit-db a.db </dev/null");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("its parameters are not those of run " + id) &&
                          Catch::Contains("approval 'gate' needs a person") &&
                          Catch::Contains("nothing was run") &&
                          Catch::Contains("--force --approve gate"));
    CHECK(Shell(kSqliteWaiting + dir +
                "/a.db \"select count(*) from events where kind = "
                "'run_started'\"")
              .out == "1\n");  // the resume recorded nothing
    CHECK_THAT(Shell(kSqliteWaiting + dir +
                     "/a.db \"select count(*) from events where kind = "
                     "'attempt_started' and body like '%test%go%'\"")
                   .out,
               Catch::Contains("1"));  // swap ran once, in the first run only
  }
  SECTION("edited inputs are asked again too; --approve in the resume approves anew") {
    gate("Swap?", input);
    std::string id = first_run();
    gate("Swap?", ", inputs: {t: {type: string}, change: {type: string, default: CHG-1}}");
    Command r = Shell("cd " + dir + " && " + Binary() + " resume " + id +
                      " --force --audit-db a.db --approve gate </dev/null");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out + r.err, Catch::Contains("its parameters are not those of run " + id) &&
                                  Catch::Contains("approved by --approve"));
    // The report says the chain ran an edited runbook, and what each approval approved.
    Command md = Shell("cd " + dir + " && " + Binary() + " report " + LatestRunId(dir + "/a.db") +
                       " --audit-db a.db --format md");
    INFO(md.out);
    CHECK_THAT(md.out, Catch::Contains("(edited since the run before: resumed with --force)"));
    CHECK_THAT(md.out, Catch::Contains("gate: “Swap?”"));
    Command json = Shell("cd " + dir + " && " + Binary() + " report " + LatestRunId(dir + "/a.db") +
                         " --audit-db a.db --format json");
    CHECK_THAT(json.out, Catch::Contains("\"prompt\": \"Swap?\"") &&
                             Catch::Contains("\"runbook_sha256\": \""));
  }
  SECTION("the same gate is carried over, as before") {
    gate("Swap?", input);
    std::string id = first_run();
    Command r =
        Shell("cd " + dir + " && " + Binary() + " resume " + id + " --audit-db a.db </dev/null");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out + r.err, !Catch::Contains("its parameters are not those"));
    CHECK_THAT(r.out + r.err, Catch::Contains("1 step(s) carried over"));
  }
}

// breakFF N10: a restore that failed read "RTO 2s met" in the summary and in history.
TEST_CASE("a run whose rto: end step failed measures no RTO and meets no objective", "[cli][rto]") {
  std::string dir = TempDir();
  WriteFile(dir, "r.yaml",
            "version: 1\nname: n10\nobjectives: {rto: 2h}\nsteps:\n"
            "  - {id: declare, uses: log, rto: start, with: {message: go}}\n"
            "  - {id: restore, uses: exec, rto: end, needs: [declare], with: {run: [test, -e, " +
                dir + "/ok]}}\n");
  Command c = Shell("cd " + dir + " && " + Binary() + " run r.yaml --audit-db a.db");
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.out + c.err, Catch::Contains("RTO not measured: the step marked 'rto: end' "
                                            "('restore') failed: nothing was recovered"));
  CHECK_THAT(c.out + c.err, !Catch::Contains("met"));
  Command h = Shell("cd " + dir + " && " + Binary() + " history --audit-db a.db --format json");
  CHECK_THAT(h.out,
             Catch::Contains("\"objectives_met\": false") && Catch::Contains("\"rto_ms\": null"));
  // The resume that restores measures it, across the chain.
  Shell("touch " + dir + "/ok");
  Command r = Shell("cd " + dir + " && " + Binary() + " resume " + LatestRunId(dir + "/a.db") +
                    " --audit-db a.db");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("RTO ") && Catch::Contains("met"));
}

// breakFF F1: a run stopped before its rto: start step (the gate that declares the
// incident) counted, once resumed, the time before the incident was declared: 1m10s for
// 39 s of recovery. The clock starts at that step's first start, wherever in the chain.
TEST_CASE("a resume starts the RTO clock at the rto: start step's first start in the chain",
          "[cli][rto][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "r.yaml",
            "version: 1\nname: f1\nsteps:\n"
            "  - {id: prep, uses: exec, with: {run: [test, -e, " +
                dir +
                "/ok]}}\n"
                "  - {id: declare, uses: log, rto: start, needs: [prep], with: {message: go}}\n"
                "  - {id: restore, uses: exec, rto: end, needs: [declare], with: {run: [sleep, "
                "'0.2']}}\n");
  Command c = Shell("cd " + dir + " && " + Binary() + " run r.yaml --audit-db a.db");
  REQUIRE(c.exit_code == 1);
  Shell("sleep 3; touch " + dir + "/ok");
  std::string id = LatestRunId(dir + "/a.db");
  Command r = Shell("cd " + dir + " && " + Binary() + " resume " + id + " --audit-db a.db");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string resumed = LatestRunId(dir + "/a.db");
  Command h = Shell(kSqliteWaiting + dir + "/a.db \"select rto_ms from runs where run_id='" +
                    resumed + "'\"");
  INFO(h.out);
  REQUIRE_FALSE(h.out.empty());
  long rto = std::stol(h.out);
  CHECK(rto >= 200);
  CHECK(rto < 2500);  // not the 3 s before the incident was declared
  Command md = Shell("cd " + dir + " && " + Binary() + " report " + resumed +
                     " --audit-db a.db --format md");
  CHECK_THAT(md.out, Catch::Contains("which first started in this run"));
}

// breakFF F8: the chain of runs in a resume's report gave a killed run's end as the moment a
// later command noticed it was gone (20 s after the kill, or the next morning).
TEST_CASE("a report's chain of runs says when a killed run was found gone, not that it ended",
          "[cli][resume][report]") {
  std::string dir = TempDir();
  TwoSteps(dir);
  Command killed = Shell("cd " + dir + " && RUNBOOK_FAULT_KILL_AFTER_EVENTS=4 " + Binary() +
                         " run rb.yaml --audit-db a.db");
  REQUIRE(killed.exit_code != 0);
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/ok");
  Command r =
      Shell("cd " + dir + " && " + Binary() + " resume " + id + " --audit-db a.db --rerun check");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  Command md = Shell("cd " + dir + " && " + Binary() + " report " + LatestRunId(dir + "/a.db") +
                     " --audit-db a.db --format md");
  INFO(md.out);
  CHECK_THAT(md.out, Catch::Contains("original, interrupted, ") &&
                         Catch::Contains("→ never: its process was found gone at "));
  Command json = Shell("cd " + dir + " && " + Binary() + " report " + LatestRunId(dir + "/a.db") +
                       " --audit-db a.db --format json");
  CHECK_THAT(json.out, Catch::Contains("\"end\": \"never: its process was found gone at "));
}

// breakGG G10, G11: a tolerated failure of the rto: end step, or a finally step marked rto:
// end after the main steps failed, still "met" the RTO; an RTO never measured (its step
// skipped) read "met: true". No recovery measures no RTO and misses the objective; nothing
// measured is neither met nor missed (null).
TEST_CASE("the RTO is met only by a recovery that passed, and unknown when not measured",
          "[cli][rto]") {
  struct Case {
    const char* what;
    std::string steps;
    const char* objectives_met;  // in history --format json
    const char* says;
  };
  const std::string declare = "  - {id: declare, uses: log, rto: start, with: {message: go}}\n";
  std::vector<Case> cases = {
      {"a tolerated failure (continue_on_error)",
       declare + "  - {id: restore, uses: exec, rto: end, needs: [declare], continue_on_error: "
                 "true, with: {run: ['false']}}\n",
       "false", "('restore') failed: nothing was recovered"},
      {"a failure tolerated as a warning",
       declare + "  - {id: restore, uses: exec, rto: end, needs: [declare], continue_on_error: "
                 "warn, with: {run: ['false']}}\n",
       "false", "('restore') failed (tolerated as a warning): nothing was recovered"},
      {"a finally step after the main steps failed",
       declare + "  - {id: restore, uses: exec, needs: [declare], with: {run: ['false']}}\n"
                 "finally:\n  - {id: done, uses: log, rto: end, with: {message: end}}\n",
       "false", "('done') ran after main steps that failed: nothing was recovered"},
      {"the end step skipped",
       declare + "  - {id: restore, uses: exec, rto: end, if: 'false', needs: [declare], with: "
                 "{run: ['true']}}\n",
       "null", "('restore') did not run"},
      {"a recovery that passed",
       declare + "  - {id: restore, uses: exec, rto: end, needs: [declare], with: {run: "
                 "['true']}}\n",
       "true", "met"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    std::string dir = TempDir();
    WriteFile(dir, "r.yaml", "version: 1\nname: g\nobjectives: {rto: 2h}\nsteps:\n" + c.steps);
    Command run = Shell("cd " + dir + " && " + Binary() + " run r.yaml --audit-db a.db");
    INFO(run.out << run.err);
    CHECK_THAT(run.out + run.err, Catch::Contains(c.says));
    Command h = Shell("cd " + dir + " && " + Binary() + " history --audit-db a.db --format json");
    CHECK_THAT(h.out, Catch::Contains(std::string("\"objectives_met\": ") + c.objectives_met));
  }
}

// breakGG G9: a gate whose prompt holds a secret was carried after the secret changed
// (stagingdb, then productiondb): both read "Swap *** traffic?". The parameters' keyed
// fingerprint proves them, or the gate asks again.
TEST_CASE("a resume carries a gate whose prompt holds a secret only for the same secret",
          "[cli][resume][approval][secrets]") {
  std::string dir = TempDir();
  WriteFile(dir, "s.yaml",
            "version: 1\nname: sec\nsecrets:\n  tgt: {env: TGT}\nsteps:\n"
            "  - id: gate\n    uses: approval\n    with: {prompt: \"Swap ${{ secrets.tgt }} "
            "traffic?\"}\n"
            "  - {id: swap, uses: exec, needs: [gate], with: {run: [test, -e, " +
                dir + "/go]}}\n");
  auto first = [&]() {
    Shell("rm -f " + dir + "/go");
    REQUIRE(Shell("cd " + dir + " && TGT=stagingdb " + Binary() +
                  " run s.yaml --audit-db a.db --approve gate </dev/null")
                .exit_code == 1);
    Shell("touch " + dir + "/go");
    return LatestRunId(dir + "/a.db");
  };
  SECTION("another secret: asked again") {
    std::string id = first();
    Command r = Shell("cd " + dir + " && TGT=productiondb " + Binary() + " resume " + id +
                      " --audit-db a.db </dev/null");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);  // refused before its first step (breakHH HH8)
    CHECK_THAT(r.out + r.err, Catch::Contains("its parameters are not those of run " + id) &&
                                  Catch::Contains("needs a person"));
    CHECK_THAT(r.out + r.err, !Catch::Contains("productiondb") && !Catch::Contains("stagingdb"));
  }
  SECTION("the same secret: carried") {
    std::string id = first();
    Command r = Shell("cd " + dir + " && TGT=stagingdb " + Binary() + " resume " + id +
                      " --audit-db a.db </dev/null");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out + r.err, !Catch::Contains("its parameters are not those"));
  }
}
