// Resume and approvals (issue 14 #1): confirming the re-run of an interrupted step that is
// not idempotent is `--rerun STEP` or a question on the terminal, never `--yes`; approval
// gates during a resume follow the rules of `run` (a terminal asks, --approve / --yes pass,
// otherwise the gate fails).
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

// prep (exec, not idempotent) is killed mid-way; the gate and the swap come after it.
std::string SwapRunbook(const std::string& dir) {
  return WriteFile(dir, "swap.yaml",
                   "version: 1\nname: swap\nsteps:\n"
                   "  - {id: prep, uses: exec, with: {shell: true, run: 'echo started >> " +
                       dir + "/marks; test -f " + dir + "/fast && exit 0; " + SleepMarker(7) +
                       "'}}\n"
                       "  - {id: gate, uses: approval, needs: [prep], with: {prompt: 'Swap "
                       "production? (irreversible)'}}\n"
                       "  - {id: swap, uses: exec, needs: [gate], with: {shell: true, run: "
                       "'touch " +
                       dir + "/swapped'}}\n");
}

struct Killed {
  std::string dir, id;
};

Killed KillDuringPrep() {
  Killed k{TempDir(), ""};
  std::string file = SwapRunbook(k.dir);
  // --approve gate: no terminal asks it (the gate is never reached: it is killed in prep).
  k.id = RunUntilStartedThenKill(k.dir, file, "--approve gate");
  REQUIRE_FALSE(k.id.empty());
  REQUIRE(Shell("touch " + k.dir + "/fast").exit_code == 0);  // prep's next run ends at once
  return k;
}

Command Resume(const Killed& k, const std::string& flags) {
  return Shell("cd " + k.dir + " && " + Binary() + " resume " + k.id + " " + flags +
               " --end-leftovers --audit-db a.db </dev/null");
}

std::string Starts(const Killed& k) { return Shell("grep -c started " + k.dir + "/marks").out; }
// The arguments of a refused resume's "after checking, to continue: runbook ..." line; ""
// when there is none.
std::string ContinueLineOf(const std::string& err) {
  std::string marker = "runbook: after checking, to continue: runbook ";
  size_t at = err.find(marker);
  if (at == std::string::npos) return "";
  std::string line = err.substr(at + marker.size());
  return line.substr(0, line.find('\n'));
}

bool Swapped(const Killed& k) { return Shell("test -e " + k.dir + "/swapped").exit_code == 0; }

}  // namespace

TEST_CASE("resume --yes does not confirm re-running an interrupted step, --rerun STEP does",
          "[cli][resume][approval]") {
  Killed k = KillDuringPrep();
  Command yes = Resume(k, "--yes");
  CHECK(yes.exit_code == 2);
  CHECK_THAT(yes.err, Catch::Contains("step 'prep' (exec) started in run " + k.id) &&
                          Catch::Contains("resume with --rerun prep to run it again"));
  // Then the one command with every flag it needs (breakL L13), those given kept (L14).
  CHECK_THAT(yes.err, Catch::Contains("runbook: after checking, to continue: runbook resume " +
                                      k.id + " --audit-db " + k.dir +
                                      "/a.db --rerun prep --end-leftovers --yes\n"));
  CHECK_FALSE(Swapped(k));
  CHECK(Starts(k) == "1\n");

  // Variant: a --rerun naming a step that was not interrupted confirms nothing.
  Command typo = Resume(k, "--rerun prpe");
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err,
             Catch::Contains("--rerun prpe: no step 'prpe' was stopped mid-way in run " + k.id));
  // The command it prints leaves the refused flag out (breakQ Q6).
  CHECK_THAT(typo.err, Catch::Contains("to continue: runbook resume " + k.id) &&
                           Catch::Contains("--rerun prep") && !Catch::Contains("--rerun prpe ") &&
                           !Catch::Contains("--rerun prpe\n"));
  CHECK(Starts(k) == "1\n");

  // --rerun confirms the step; the gate then follows run's rules: no terminal, no --approve,
  // refused before anything runs (newcomer N4).
  Command rerun = Resume(k, "--rerun prep");
  CHECK(rerun.exit_code == 2);
  CHECK_THAT(rerun.err, Catch::Contains("approval 'gate' needs a person, and with no terminal"));
  CHECK(Starts(k) == "1\n");
  CHECK_FALSE(Swapped(k));
  Command approved = Resume(k, "--rerun prep --approve gate");
  CHECK(approved.exit_code == 0);
  CHECK(Starts(k) == "2\n");
  CHECK(Swapped(k));
}

TEST_CASE("resume asks on a terminal before re-running an interrupted step, then asks the gate",
          "[cli][resume][approval][tty]") {
  Killed k = KillDuringPrep();
  std::string resume =
      " -- " + Binary() + " resume " + k.id + " --end-leftovers --audit-db " + k.dir + "/a.db";
  // Yes to the re-run, no to the gate: prep runs again, production is not swapped.
  Command c = Shell(PtyRun() + " --send-on 'run it again? [y/N]' 'y\\n' --send-on " +
                    "'approve? [y/N]' 'n\\n'" + resume);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.out,
             Catch::Contains("Swap production? (irreversible)") && Catch::Contains("declined by"));
  CHECK(Starts(k) == "2\n");
  CHECK_FALSE(Swapped(k));
}

TEST_CASE("Ctrl-D at the re-run question stops the resume and names --rerun",
          "[cli][resume][tty]") {
  Killed k = KillDuringPrep();
  Command c = Shell(PtyRun() + " --send-on 'run it again? [y/N]' '\\x04' -- " + Binary() +
                    " resume " + k.id + " --end-leftovers --audit-db " + k.dir + "/a.db");
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.out, Catch::Contains("resume with --rerun prep to run it again"));
  CHECK(Starts(k) == "1\n");
}

TEST_CASE("an empty answer to a required approval input is asked again, Ctrl-D declines",
          "[cli][approval][tty]") {
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "gate.yaml",
                "version: 1\nname: gate\nsteps:\n"
                "  - id: gate\n    uses: approval\n    with:\n      prompt: Go?\n      inputs:\n"
                "        ticket: {type: string, required: true}\n        hosts: {type: integer}\n"
                "  - {id: after, uses: log, needs: [gate], with: {message: "
                "'ticket=${{ steps.gate.outputs.ticket }}'}}\n");
  std::string run = " -- " + Binary() + " run " + file + " --audit-db " + dir + "/a.db";
  // Enter on the required input asks again; a value of the wrong type too.
  // Inputs are asked in the order of their names: hosts, then ticket.
  Command c = Shell(PtyRun() + " --send-on '  hosts: ' 'many\\n' --send-on '  hosts: ' '3\\n'" +
                    " --send-on '  ticket: ' '\\n' --send-on '  ticket: ' 'INC-7\\n'" +
                    " --send-on 'approve? [y/N]' 'y\\n'" + run);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out,
             Catch::Contains("input 'ticket' is required") && Catch::Contains("input 'hosts': "));
  CHECK_THAT(Shell(Binary() + " show $(sqlite3 " + dir +
                   "/a.db 'select run_id from runs') --audit-db " + dir + "/a.db")
                 .out,
             Catch::Contains("INC-7"));
  // Variant: Ctrl-D at an input declines the gate (the run fails, nothing after it runs).
  Command d = Shell(PtyRun() + " --send-on '  hosts: ' '\\x04'" + run);
  CHECK(d.exit_code == 1);
  CHECK_THAT(d.out, Catch::Contains("(end of input)"));
}

TEST_CASE(
    "with --approve or --yes on a terminal a missing required input is asked, not failed "
    "(breakK K12)",
    "[cli][approval][tty]") {
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "gate.yaml",
                "version: 1\nname: gate\nsteps:\n"
                "  - {id: before, uses: log, with: {message: before ran}}\n"
                "  - id: gate\n    uses: approval\n    needs: [before]\n    with:\n"
                "      prompt: Swap?\n      inputs:\n"
                "        ticket: {type: string, required: true}\n        hosts: {type: integer}\n"
                "        n: {type: integer, required: true}\n"
                "  - {id: after, uses: log, needs: [gate], with: {message: "
                "'ticket=${{ steps.gate.outputs.ticket }} n=${{ steps.gate.outputs.n }}'}}\n");
  std::string db = " --audit-db " + dir + "/a.db";
  // --approve answers the question; the required inputs not given are asked (n, ticket),
  // the optional one (hosts) is not, and "approve? [y/N]" is not asked.
  Command c = Shell(PtyRun() + " --send-on '  n: ' '\n' --send-on '  n: ' '5\n'" +
                    " --send-on '  ticket: ' 'INC-9\n' -- " + Binary() + " run " + file +
                    " --approve gate" + db);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("approval: gate (approved by --approve; it needs input)"));
  CHECK_THAT(c.out, Catch::Contains("input 'n' is required: type a value"));
  CHECK_THAT(c.out, Catch::Contains("ticket=INC-9 n=5"));
  CHECK(c.out.find("  hosts: ") == std::string::npos);
  CHECK(c.out.find("approve? [y/N]") == std::string::npos);
  // --yes with one input given asks only the other.
  Command y = Shell(PtyRun() + " --send-on '  n: ' '7\n' -- " + Binary() + " run " + file +
                    " --yes --input gate.ticket=T-2" + db);
  CHECK(y.exit_code == 0);
  CHECK_THAT(y.out, Catch::Contains("ticket=T-2 n=7"));
  CHECK(y.out.find("  ticket: ") == std::string::npos);
  // Everything given: nothing is asked.
  Command all = Shell(PtyRun() + " -- " + Binary() + " run " + file +
                      " --yes --input gate.ticket=T-3 --input gate.n=1" + db);
  CHECK(all.exit_code == 0);
  CHECK(all.out.find("it needs input") == std::string::npos);
  // Ctrl-D at the asked input declines: nothing after the gate runs.
  Command d = Shell(PtyRun() + " --send-on '  n: ' '\x04' -- " + Binary() + " run " + file +
                    " --approve gate" + db);
  CHECK(d.exit_code == 1);
  CHECK_THAT(d.out, Catch::Contains("(end of input)"));
  CHECK(d.out.find("ticket=") == std::string::npos);
  // Off a terminal nothing can be asked: refused before any step, naming --input (breakL L9).
  Command off = Shell(Binary() + " run " + file + " --approve gate" + db + " < /dev/null");
  CHECK(off.exit_code == 2);
  CHECK_THAT(off.err, Catch::Contains("input 'n' is required and has no default, and without a "
                                      "terminal it cannot be asked: pass --input gate.n=VALUE") &&
                          Catch::Contains("nothing was run"));
}

TEST_CASE("a failed run prints the exact command that continues it, and that command works",
          "[cli][resume]") {
  std::string dir = TempDir(), store = dir + "/it's a store";
  REQUIRE(Shell("mkdir '" + dir + "/it'\"'\"'s a store'").exit_code == 0);
  std::string file = WriteFile(dir, "f.yaml",
                               "version: 1\nname: f\nsteps:\n"
                               "  - {id: a, uses: exec, with: {shell: true, run: 'test -f " +
                                   dir + "/ok'}}\n");
  // Run from another folder with a relative store path: the line names the absolute one.
  Command failed =
      Shell("cd \"" + store + "\" && " + Binary() + " run " + file + " --audit-db ./a.db");
  CHECK(failed.exit_code == 1);
  std::string marker = "runbook: to continue this run: ";
  size_t at = failed.err.find(marker);
  REQUIRE(at != std::string::npos);
  std::string line = failed.err.substr(at + marker.size());
  line = line.substr(0, line.find('\n'));
  CHECK_THAT(line, Catch::StartsWith("runbook resume ") &&
                       Catch::EndsWith(" --audit-db '" + dir + "/it'\\''s a store/a.db'"));
  REQUIRE(Shell("touch " + dir + "/ok").exit_code == 0);
  Command resumed = Shell("cd / && " + Binary() + line.substr(std::string("runbook").size()));
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("resuming run "));
  CHECK_THAT(resumed.err, !Catch::Contains("to continue this run"));
}

TEST_CASE("resume refuses --approve and --input for a gate that passed in the run (breakL L33)",
          "[cli][resume][approval]") {
  std::string dir = TempDir();
  WriteFile(dir, "g.yaml",
            "version: 1\nname: g\nsteps:\n"
            "  - id: declare\n    uses: approval\n    with:\n      prompt: Declare\n"
            "      inputs: {ticket: {type: string, required: true}}\n"
            "  - {id: work, uses: exec, needs: [declare], with: {shell: true, run: 'test -f "
            "go'}}\n");
  std::string rb = "cd " + dir + " && " + Binary() + " ";
  REQUIRE(Shell(rb + "run g.yaml --approve declare --input declare.ticket=INC-OLD --audit-db a.db"
                     " </dev/null")
              .exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/go");
  Command c = Shell(rb + "resume " + id +
                    " --approve declare --input declare.ticket=INC-NEW --audit-db a.db </dev/null");
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("--approve declare: approval 'declare' passed in run " + id +
                                    " and is carried over"));
  CHECK_THAT(c.err, Catch::Contains("--input declare.ticket: approval 'declare' passed in run"));
  CHECK(LatestRunId(dir + "/a.db") == id);  // nothing ran
  CHECK(Shell(rb + "resume " + id + " --audit-db a.db </dev/null").exit_code == 0);
}

namespace {

// A step that counts its starts in dir/marks, then sleeps (7 s) unless dir/fast exists; its
// `idempotent:` as given ("" for none).
std::string CountingStep(const std::string& dir, const std::string& uses_and_key) {
  return "version: 1\nname: c\nsteps:\n  - id: work\n    " + uses_and_key +
         "\n    with: {shell: true, run: 'echo started >> " + dir + "/marks; test -f " + dir +
         "/fast && exit 0; " + SleepMarker(7) + "'}\n";
}

Command ResumeIn(const std::string& dir, const std::string& id, const std::string& flags) {
  return Shell("cd " + dir + " && " + Binary() + " resume " + id + " " + flags +
               " --audit-db a.db </dev/null");
}

}  // namespace

// breakM M14: a non-idempotent step stopped by Ctrl-C did an unknown part of its work, as one
// killed with runbook did; the shipped restore's switch ran twice on a resume.
TEST_CASE("a non-idempotent step stopped by Ctrl-C is run again only when confirmed",
          "[cli][resume][rerun]") {
  std::string dir = TempDir();
  WriteFile(dir, "c.yaml", CountingStep(dir, "uses: exec"));
  std::string id = RunUntilStartedThenInterrupt(dir, "c.yaml");
  REQUIRE_FALSE(id.empty());
  CHECK(Shell(kSqliteWaiting + dir + "/a.db 'select status from runs'").out == "cancelled\n");
  std::string out = ReadFile(dir + "/out");
  INFO(out);
  // The run's own continue line names --rerun, as `show` does.
  CHECK_THAT(out, Catch::Contains("--rerun work"));
  CHECK_THAT(Shell("cd " + dir + " && " + Binary() + " show " + id + " --audit-db a.db").out,
             Catch::Contains("--rerun work"));
  Shell("touch " + dir + "/fast");
  Command plain = ResumeIn(dir, id, "");
  CHECK(plain.exit_code == 2);
  CHECK_THAT(plain.err, Catch::Contains("step 'work' (exec) was stopped mid-way when run " + id +
                                        " was cancelled, and it is not idempotent") &&
                            Catch::Contains("--rerun work"));
  CHECK(Shell("grep -c started " + dir + "/marks").out == "1\n");
  Command confirmed = ResumeIn(dir, id, "--rerun work");
  CHECK(confirmed.exit_code == 0);
  CHECK(Shell("grep -c started " + dir + "/marks").out == "2\n");
  // The operator's word is evidence, like an approval (breakN N2): in the chain, `show` and
  // the reports, with who gave it and how.
  std::string next = LatestRunId(dir + "/a.db");
  Command show = Shell("cd " + dir + " && " + Binary() + " show " + next + " --audit-db a.db");
  CHECK_THAT(show.out, Catch::Matches("(.|\n)*  re-run of work confirmed by [^ ]+ at [0-9T:.Z-]+ "
                                      "\\(--rerun\\)\n(.|\n)*"));
  Command md = Shell("cd " + dir + " && " + Binary() + " report " + next + " --audit-db a.db");
  CHECK_THAT(md.out, Catch::Contains("| work (re-run confirmed: --rerun) |"));
  Command json =
      Shell("cd " + dir + " && " + Binary() + " report " + next + " --format json --audit-db a.db");
  CHECK_THAT(json.out, Catch::Contains("\"rerun\": \"--rerun\""));
  CHECK(Shell("cd " + dir + " && " + Binary() + " audit verify --audit-db a.db").exit_code == 0);
}

// breakN N7: a step its timeout stopped half done is as unknown as one Ctrl-C stopped.
TEST_CASE("a non-idempotent step stopped by its timeout is run again only when confirmed",
          "[cli][resume][rerun]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - id: swap\n    uses: exec\n    timeout: 1s\n"
            "    with: {shell: true, run: 'echo started >> " +
                dir + "/marks; test -f " + dir + "/fast && exit 0; sleep 5'}\n");
  Command run = Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db");
  REQUIRE(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("--rerun swap"));
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/fast");
  Command plain = ResumeIn(dir, id, "");
  CHECK(plain.exit_code == 2);
  CHECK_THAT(plain.err, Catch::Contains("step 'swap' (exec) was stopped mid-way by its timeout in "
                                        "run " +
                                        id + ", and it is not idempotent"));
  CHECK(Shell("grep -c started " + dir + "/marks").out == "1\n");
  CHECK(ResumeIn(dir, id, "--rerun swap").exit_code == 0);
  CHECK(Shell("grep -c started " + dir + "/marks").out == "2\n");
}

TEST_CASE("a step's idempotent: key decides whether a resume asks, whatever its type says",
          "[cli][resume][rerun]") {
  SECTION("idempotent: true on an exec that only checks: it runs again without a question") {
    std::string dir = TempDir();
    WriteFile(dir, "c.yaml", CountingStep(dir, "uses: exec\n    idempotent: true"));
    std::string id = RunUntilStartedThenInterrupt(dir, "c.yaml");
    REQUIRE_FALSE(id.empty());
    CHECK_THAT(ReadFile(dir + "/out"), !Catch::Contains("--rerun"));
    Shell("touch " + dir + "/fast");
    Command resumed = ResumeIn(dir, id, "");
    CHECK(resumed.exit_code == 0);
    CHECK(Shell("grep -c started " + dir + "/marks").out == "2\n");
  }
  SECTION("idempotent: false, killed with runbook: asked, although exec is asked anyway") {
    std::string dir = TempDir();
    WriteFile(dir, "c.yaml", CountingStep(dir, "uses: exec\n    idempotent: false"));
    std::string id = RunUntilStartedThenKill(dir, "c.yaml");
    REQUIRE_FALSE(id.empty());
    Shell("touch " + dir + "/fast");
    Command resumed = ResumeIn(dir, id, "--end-leftovers");
    CHECK(resumed.exit_code == 2);
    CHECK_THAT(resumed.err,
               Catch::Contains("step 'work' (exec) started in run " + id + " and never finished"));
  }
  SECTION("the key is recorded: editing it afterwards does not change what the run was") {
    std::string dir = TempDir();
    WriteFile(dir, "c.yaml", CountingStep(dir, "uses: exec\n    idempotent: false"));
    std::string id = RunUntilStartedThenInterrupt(dir, "c.yaml");
    REQUIRE_FALSE(id.empty());
    WriteFile(dir, "c.yaml", CountingStep(dir, "uses: exec\n    idempotent: true"));
    Shell("touch " + dir + "/fast");
    Command resumed = ResumeIn(dir, id, "--force");
    CHECK(resumed.exit_code == 2);
    CHECK_THAT(resumed.err, Catch::Contains("--rerun work"));
  }
}

// breakM M26: killed while a failed attempt waited for its retry, nothing was in flight.
TEST_CASE("a run killed between a step's attempts resumes it without --rerun",
          "[cli][resume][rerun]") {
  std::string dir = TempDir();
  WriteFile(dir, "c.yaml",
            "version: 1\nname: c\nsteps:\n  - id: work\n    uses: exec\n"
            "    retry: {max_attempts: 3, delay: 30s}\n"
            "    with: {shell: true, run: 'echo started >> " +
                dir + "/marks; test -f " + dir + "/fast'}\n");
  // Killed once the first attempt's failure is recorded, while the 30 s delay runs.
  Command waiting = Shell(
      "cd " + dir + " && setsid " + Binary() +
      " run c.yaml --audit-db a.db > out 2>&1 & echo $! > " + dir + "/pid; " +
      "for i in $(seq 200); do [ \"$(" + kSqliteWaiting + dir +
      "/a.db \"select count(*) from events " +
      "where kind = 'attempt_finished'\" 2>/dev/null)\" = 1 ] && exit 0; sleep 0.05; done; exit 1");
  REQUIRE(waiting.exit_code == 0);
  Shell("kill -9 $(cat " + dir + "/pid); sleep 0.3");
  std::string id = Shell(kSqliteWaiting + dir + "/a.db 'select run_id from runs'").out;
  REQUIRE(id.size() > 1);
  id.pop_back();
  Shell("touch " + dir + "/fast");
  Command resumed = ResumeIn(dir, id, "");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(Shell("grep -c started " + dir + "/marks").out == "2\n");
}

// breakL L21: `show RESUMED --step X` of a carried step showed no attempt and no way to it.
TEST_CASE("show --step of a carried step names the run it ran in and the command to see it",
          "[cli][resume][show]") {
  std::string dir = TempDir();
  WriteFile(dir, "c.yaml",
            "version: 1\nname: c\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [echo, 'first pass']}}\n"
            "  - {id: b, uses: exec, needs: [a], with: {shell: true, run: 'test -f " +
                dir + "/ok'}}\n");
  Command failed = Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db");
  REQUIRE(failed.exit_code == 1);
  std::string first = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/ok");
  REQUIRE(ResumeIn(dir, first, "").exit_code == 0);
  std::string second = LatestRunId(dir + "/a.db");
  REQUIRE(second != first);
  Command shown =
      Shell("cd " + dir + " && " + Binary() + " show " + second + " --step a --audit-db a.db");
  CHECK_THAT(shown.out, Catch::Contains("carried over: it ran in run " + first +
                                        "; its attempts and output: runbook show " + first +
                                        " --step a --audit-db " + dir + "/a.db"));
  // That command shows it.
  Command there =
      Shell("cd /tmp && " + Binary() + " show " + first + " --step a --audit-db " + dir + "/a.db");
  CHECK_THAT(there.out, Catch::Contains("first pass"));
}

// breakN N31: running the same command again after a crash redid the step without a word;
// the --rerun question guarded only `resume`.
TEST_CASE("a new run after one stopped mid-way in a non-idempotent step says how to continue it",
          "[cli][resume][rerun]") {
  std::string dir = TempDir();
  WriteFile(dir, "c.yaml", CountingStep(dir, "uses: exec"));
  std::string id = RunUntilStartedThenKill(dir, "c.yaml");
  REQUIRE_FALSE(id.empty());
  // breakO O16: the killed run's step still runs: the warning says so, and the command it
  // gives ends those processes first.
  Shell("touch " + dir + "/fast");
  Command again = Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db");
  Shell("pkill -f '" + SleepMarker(7) + "'");  // its own call: the pattern is in its line
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err,
             Catch::Contains("warning: the last run of c, " + id +
                             " (interrupted), stopped mid-way in work, not idempotent, which may "
                             "have done part of its work, and processes its steps started still "
                             "run here") &&
                 Catch::Contains("runbook resume " + id + " --audit-db " + dir +
                                 "/a.db --rerun work --end-leftovers\n"));
  // Said once: the run after that one finished well.
  Command third = Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db");
  CHECK_THAT(third.err, !Catch::Contains("stopped mid-way"));
}

TEST_CASE("resume names processes still running before it asks about re-running their step",
          "[cli][resume][tty]") {
  // breakN N13: the terminal asked "run it again?" about a step whose processes still ran,
  // then refused for them and dropped the answer. Now it does not ask: it names them, and
  // the command to continue carries both --rerun and --end-leftovers.
  Killed k = KillDuringPrep();
  Command c = Shell(PtyRun() + " --send-on 'run it again? [y/N]' 'y\\n' -- " + Binary() +
                    " resume " + k.id + " --audit-db " + k.dir + "/a.db");
  Shell("pkill -f '" + SleepMarker(7) + "'");
  INFO(c.out);
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.out, !Catch::Contains("run it again?"));
  CHECK_THAT(c.out, Catch::Contains("(" + SleepMarker(7) + ")") &&
                        Catch::Contains("--rerun prep --end-leftovers"));
  CHECK(Starts(k) == "1\n");
}

TEST_CASE("a refused resume's command to continue leaves out --approve and --input it refuses",
          "[cli][resume][approval]") {
  // breakN N25: `--approve prep` (prep is no gate) was refused only after the command that
  // continues had been printed with it, so that command failed next. Every reason at once,
  // and the printed command runs. Variants: --approve, --input of a step that is no gate,
  // --input of a gate's undeclared input.
  Killed k = KillDuringPrep();
  Command c = Resume(k, "--approve prep --input prep.x=1 --input gate.nope=2");
  INFO(c.err);
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("--approve prep: the runbook has no approval step 'prep'") &&
                        Catch::Contains("--input prep.x: the runbook has no approval step") &&
                        Catch::Contains("--input gate.nope: approval 'gate' has no input") &&
                        Catch::Contains("resume with --rerun prep to run it again"));
  std::string line = ContinueLineOf(c.err);
  REQUIRE(!line.empty());
  // Without a terminal the gate is named before anything runs (newcomer N4), and the line
  // carries the --approve its error names (breakHH HH7): as printed, it runs prep again, then
  // the gate and the swap.
  CHECK_THAT(line, Catch::Contains("--rerun prep") && Catch::Contains("--approve gate") &&
                       !Catch::Contains("--approve prep") && !Catch::Contains("--input"));
  CHECK_THAT(c.err, Catch::Contains("approval 'gate' needs a person, and with no terminal") &&
                        Catch::Contains("runbook: nothing was run\n"));
  CHECK(Starts(k) == "1\n");
  Command next = Shell("cd " + k.dir + " && " + Binary() + " " + line + " </dev/null");
  INFO(next.err);
  CHECK(next.exit_code == 0);
  CHECK(Starts(k) == "2\n");
}

TEST_CASE("a step stopped mid-way then renamed still needs its re-run confirmed",
          "[cli][resume][approval]") {
  // breakN N21: `resume --force` after the stopped step was renamed ran its work again under
  // the new name, unasked. The record of the stopped step is judged by what was recorded.
  std::string dir = TempDir();
  std::string file = SwapRunbook(dir);
  std::string id = RunUntilStartedThenInterrupt(dir, file, "--approve gate");
  REQUIRE_FALSE(id.empty());
  Shell("touch " + dir + "/fast; sed -i 's/prep/prep2/g' " + file);
  std::string rb = "cd " + dir + " && " + Binary() + " resume " + id + " --force --audit-db a.db";
  Command refused = Shell(rb + " --yes </dev/null");
  INFO(refused.err);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("step 'prep' (exec) was stopped mid-way") &&
                              Catch::Contains("resume with --rerun prep to run it again (it is "
                                              "no longer in the runbook"));
  CHECK(Shell("grep -c started " + dir + "/marks").out == "1\n");
  Command confirmed = Shell(rb + " --yes --rerun prep </dev/null");
  INFO(confirmed.err);
  CHECK(confirmed.exit_code == 0);
  CHECK(Shell("grep -c started " + dir + "/marks").out == "2\n");
  CHECK(Shell("test -e " + dir + "/swapped").exit_code == 0);
}

TEST_CASE("time at a gate Ctrl-C'd while it waited is carried into the resume's approval wait",
          "[cli][resume][approval][tty]") {
  // breakN N19: the run's own report counted the wait, the resumed chain dropped it.
  std::string dir = TempDir();
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n"
            "  - {id: gate, uses: approval, needs: [a], with: {prompt: swap}}\n");
  Command c = Shell("cd " + dir + " && " + PtyRun() + " --send-after 3 '\\x03' -- " + Binary() +
                    " run rb.yaml --audit-db a.db");
  REQUIRE(c.exit_code == 130);
  std::string id = LatestRunId(dir + "/a.db");
  Command resumed = Shell("cd " + dir + " && " + Binary() + " resume " + id +
                          " --yes --audit-db a.db </dev/null");
  REQUIRE(resumed.exit_code == 0);
  auto waited = [&](const std::string& sql) {
    std::string out = Shell(kSqliteWaiting + dir + "/a.db \"" + sql + "\"").out;
    return out.empty() ? -1 : std::stoll(out);
  };
  int64_t first = waited(
      "select json_extract(body, '$.rto.approval_wait_ms') from events where kind='run_finished' "
      "and run_id='" +
      id + "'");
  int64_t carried = waited(
      "select json_extract(body, '$.prior_approval_wait_ms') from events where "
      "kind='run_started' and run_id!='" +
      id + "'");
  CHECK(first >= 500);  // 3 s less the start (slower under a sanitizer)
  CHECK(carried == first);
}

TEST_CASE("a resume of a changed runbook lists the change with every other reason",
          "[cli][resume][approval]") {
  // breakM M4/M13: a runbook changed since the run (no --force) stopped the resume before
  // anything else was checked, so each retry found one more reason.
  Killed k = KillDuringPrep();
  Shell("echo '# reviewed' >> " + k.dir + "/swap.yaml");
  Command c = Resume(k, "--approve prep");
  INFO(c.err);
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("changed since run " + k.id) &&
                        Catch::Contains("resume with --rerun prep to run it again") &&
                        Catch::Contains("--approve prep: the runbook has no approval step"));
  std::string line = ContinueLineOf(c.err);
  REQUIRE(!line.empty());
  CHECK_THAT(line, Catch::Contains("--rerun prep") && Catch::Contains("--force") &&
                       Catch::Contains("--approve gate") && !Catch::Contains("--approve prep"));
  CHECK(Starts(k) == "1\n");
  Command next = Shell("cd " + k.dir + " && " + Binary() + " " + line + " </dev/null");
  INFO(next.err);
  CHECK(next.exit_code == 0);  // it runs: prep again, then the gate approved
  CHECK(Starts(k) == "2\n");
}

// breakP P12: the warning's resume command lacked the --set its masked params need, so run
// as printed it was refused; it is now the one command `show` and the run's end line give.
TEST_CASE("the stopped-mid-way warning gives the whole continue command, --set included",
          "[cli][resume][rerun]") {
  std::string dir = TempDir();
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsecrets:\n  card: {env: CARD_PIN}\n"
            "params:\n  pin: {type: integer, default: 0}\nsteps:\n"
            "  - {id: work, uses: exec, timeout: 300ms, with: {shell: true, run: 'test -f " +
                dir + "/fast || sleep 5'}}\n");
  std::string rb = "cd " + dir + " && CARD_PIN=482193 " + Binary();
  REQUIRE(Shell(rb + " run p.yaml --set pin=482193 --audit-db a.db").exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/fast");
  Command again = Shell(rb + " run p.yaml --audit-db a.db");
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("To continue that run instead: runbook resume " + id) &&
                            Catch::Contains("--rerun work") && Catch::Contains("--set pin=VALUE"));
}

// breakO O4: a refused resume's command kept the --input values it had just refused (a
// wrong type, a key given twice with different values), so it was refused again however
// often it was copied. They are kept as STEP.NAME=VALUE, to be given again; a value that
// passed is kept as given.
TEST_CASE("a refused resume's command asks again for the --input values it refused",
          "[cli][resume][approval]") {
  Killed k{TempDir(), ""};
  std::string file = WriteFile(
      k.dir, "swap.yaml",
      "version: 1\nname: swap\nsteps:\n"
      "  - {id: prep, uses: exec, with: {shell: true, run: 'echo started >> " +
          k.dir + "/marks; test -f " + k.dir + "/fast && exit 0; " + SleepMarker(7) +
          "'}}\n"
          "  - id: gate\n    uses: approval\n    needs: [prep]\n    with:\n      prompt: Swap?\n"
          "      inputs:\n        t: {type: integer, required: true}\n"
          "        u: {type: integer, required: true}\n"
          "        ticket: {type: string, required: true}\n");
  k.id = RunUntilStartedThenKill(
      k.dir, file, "--approve gate --input gate.t=1 --input gate.u=1 --input gate.ticket=INC-7");
  REQUIRE_FALSE(k.id.empty());
  Command c = Resume(k,
                     "--approve gate --input gate.t=notnum --input gate.u=1 --input gate.u=2 "
                     "--input gate.ticket=INC-7");
  CHECK(c.exit_code == 2);
  std::string line = ContinueLineOf(c.err);
  INFO(c.err);
  CHECK_THAT(line, Catch::Contains("--rerun prep") && Catch::Contains("--input gate.t=VALUE") &&
                       Catch::Contains("--input gate.u=VALUE") &&
                       Catch::Contains("--input gate.ticket=INC-7") && !Catch::Contains("notnum") &&
                       !Catch::Contains("gate.u=1") && !Catch::Contains("gate.u=2"));
  CHECK(Starts(k) == "1\n");
}
