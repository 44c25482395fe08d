// --input values are checked against the gate's declared inputs before the first step runs
// (breakL L9): a restore's gate typically comes after an hour of download, and a wrong
// ticket number or duration found there wastes it. The same for a required input that no
// terminal can ask, of a gate approved by flag.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "support/support.h"
#include "support/tmux.h"

using namespace runbook::test;

namespace {

std::string GateFixture() {
  std::string dir = TempDir();
  WriteFile(dir, "g.yaml",
            "version: 1\nname: g\nsteps:\n"
            "  - {id: work, uses: exec, with: {shell: true, run: 'touch worked'}}\n"
            "  - id: gate\n    uses: approval\n    needs: [work]\n    with:\n"
            "      prompt: Swap production?\n      inputs:\n"
            "        ticket: {type: string, required: true}\n"
            "        n: {type: integer, required: true}\n"
            "        when: {type: duration, default: 5m}\n"
            "        env: {type: string, enum: [prod, staging]}\n"
            "  - {id: swap, uses: exec, needs: [gate], with: {shell: true, run: 'test -f go'}}\n");
  return dir;
}

Command Run(const std::string& dir, const std::string& flags) {
  return Shell("cd " + dir + " && rm -f worked && " + Binary() + " run g.yaml --audit-db a.db " +
               flags + " </dev/null");
}

bool Worked(const std::string& dir) { return Shell("test -e " + dir + "/worked").exit_code == 0; }

}  // namespace

TEST_CASE("approval inputs: every wrong --input value is refused at once, before any step",
          "[cli][approval]") {
  std::string dir = GateFixture();
  Command c = Run(dir,
                  "--approve gate --input gate.ticket=INC-3 --input gate.n=abc "
                  "--input gate.when=abc --input gate.env=dev --input gate.tikcet=x");
  INFO(c.err);
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err,
             Catch::Contains("--input gate.n: input 'n': expected a number, found 'abc'") &&
                 Catch::Contains("--input gate.when: input 'when': invalid duration 'abc'") &&
                 Catch::Contains("--input gate.env: input 'env': invalid value 'dev'; "
                                 "expected one of: prod, staging") &&
                 Catch::Contains("has no input 'tikcet'; did you mean 'ticket'?") &&
                 Catch::Contains("nothing was run"));
  CHECK_FALSE(Worked(dir));
  Command blank = Run(dir, "--yes --input 'gate.ticket= ' --input gate.n=2");
  CHECK(blank.exit_code == 2);
  CHECK_THAT(blank.err, Catch::Contains("--input gate.ticket: input 'ticket' is required: give a "
                                        "value"));
  CHECK_FALSE(Worked(dir));
  Command right =
      Run(dir, "--yes --input gate.ticket=INC-3 --input gate.n=2 --input gate.env=prod");
  CHECK(right.exit_code == 1);  // swap fails (no `go`): the gate passed
  CHECK(Worked(dir));
  // The gate passed and is carried: nothing is said of approvals a resume would lack
  // (breakHH HH7: "a gate still ahead is asked again" with none ahead).
  CHECK_THAT(right.err, Catch::Contains("to continue this run") &&
                            !Catch::Contains("are not carried into it"));
  // Failed before its gate: the continue line does not carry the approvals, and says so
  // (breakM M29).
  WriteFile(dir, "early.yaml",
            "version: 1\nname: early\nsteps:\n"
            "  - {id: pre, uses: exec, with: {run: [test, -f, ready]}}\n"
            "  - {id: gate, uses: approval, needs: [pre], with: {prompt: 'go?'}}\n");
  Command early =
      Shell("cd " + dir + " && " + Binary() + " run early.yaml --audit-db a.db --yes </dev/null");
  INFO(early.err);
  CHECK(early.exit_code == 1);
  CHECK_THAT(early.err, Catch::Contains("the approvals given (--yes, --approve, --input) are not "
                                        "carried into it: a gate still ahead is asked again"));
}

TEST_CASE("approval inputs: a required input no terminal can ask is named before any step",
          "[cli][approval]") {
  std::string dir = GateFixture();
  Command by_id = Run(dir, "--approve gate --input gate.ticket=INC-3");
  INFO(by_id.err);
  CHECK(by_id.exit_code == 2);
  CHECK_THAT(by_id.err,
             Catch::Contains("approval 'gate' is approved by --approve gate but input 'n' is "
                             "required and has no default, and without a terminal it cannot be "
                             "asked: pass --input gate.n=VALUE"));
  Command by_yes = Run(dir, "--yes");
  CHECK(by_yes.exit_code == 2);
  CHECK_THAT(by_yes.err, Catch::Contains("approved by --yes but input 'ticket'") &&
                             Catch::Contains("approved by --yes but input 'n'"));
  CHECK_FALSE(Worked(dir));
  // Not approved by flag, and no terminal: refused up front too (newcomer N4).
  Command unapproved = Run(dir, "");
  CHECK(unapproved.exit_code == 2);
  CHECK_THAT(unapproved.err, Catch::Contains("approval 'gate' needs a person, and with no "
                                             "terminal no one can be asked"));
  CHECK_FALSE(Worked(dir));
}

TEST_CASE("approval inputs: a gate that may not run, or was carried over, asks nothing up front",
          "[cli][approval]") {
  std::string dir = TempDir();
  WriteFile(dir, "c.yaml",
            "version: 1\nname: c\nsteps:\n"
            "  - id: gate\n    uses: approval\n    if: \"${{ false }}\"\n    with:\n"
            "      prompt: Go?\n      inputs: {ticket: {type: string, required: true}}\n"
            "  - {id: after, uses: exec, with: {run: [echo, ok]}}\n");
  CHECK(Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db --yes </dev/null")
            .exit_code == 0);

  dir = GateFixture();
  Command failed = Run(dir, "--approve gate --input gate.ticket=INC-3 --input gate.n=2");
  REQUIRE(failed.exit_code == 1);  // swap: no `go` yet
  Command resumed = Shell("cd " + dir + " && touch go && " + Binary() + " resume " +
                          LatestRunId(dir + "/a.db") + " --audit-db a.db --yes </dev/null");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);  // the gate and its inputs were carried over
}

TEST_CASE(
    "approval inputs: a blank default answers no required input, and a flag given twice is "
    "refused",
    "[cli][approval]") {
  std::string dir = TempDir();
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsteps:\n"
            "  - {id: work, uses: exec, with: {shell: true, run: 'touch worked'}}\n"
            "  - id: gate\n    uses: approval\n    needs: [work]\n    with:\n"
            "      prompt: Go on\n      inputs: {ticket: {type: string, required: true, default: "
            "''}}\n");
  auto run = [&](const std::string& flags) {
    return Shell("cd " + dir + " && rm -f worked && " + Binary() + " run b.yaml --audit-db a.db " +
                 flags + " </dev/null");
  };
  // breakM M5: `default: ""` let --approve pass a required ticket blank.
  Command blank = run("--approve gate");
  CHECK(blank.exit_code == 2);
  CHECK_THAT(blank.err, Catch::Contains("input 'ticket' is required and has no default"));
  CHECK(Shell("test -e " + dir + "/worked").exit_code != 0);
  // breakM M9: the last of two different values won without a word.
  Command twice = run("--approve gate --input gate.ticket=INC-1 --input gate.ticket=INC-2");
  CHECK(twice.exit_code == 2);
  CHECK_THAT(twice.err, Catch::Contains("--input gate.ticket is given twice with different "
                                        "values; give it once"));
  Command set_twice = run("--approve gate --input gate.ticket=INC-1 --set a=1 --set a=2");
  CHECK(set_twice.exit_code == 2);
  CHECK_THAT(set_twice.err, Catch::Contains("--set a is given twice with different values"));
  CHECK(run("--approve gate --input gate.ticket=INC-1 --input gate.ticket=INC-1").exit_code == 0);
}

TEST_CASE("approval inputs: a default the input's own enum refuses is a validate error",
          "[cli][approval]") {
  // breakM M22: approved as is, by flag and by Enter on a terminal.
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "en.yaml",
                               "version: 1\nname: en\nsteps:\n  - id: g\n    uses: approval\n"
                               "    with:\n      prompt: go\n      inputs:\n"
                               "        env: {type: string, default: PROD, enum: [prod, staging]}\n"
                               "        n: {type: integer, default: 2, enum: [1, 3]}\n"
                               "        ok: {type: string, default: prod, enum: [prod]}\n");
  Command c = Shell(Binary() + " validate " + file);
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.out + c.err, Catch::Contains("input 'env': default: invalid value 'PROD'") &&
                                Catch::Contains("input 'n': default: invalid value '2'") &&
                                !Catch::Contains("input 'ok'"));
}

// breakR R8: one expression anywhere in a gate's inputs (a description naming the target)
// made validate and the --input check skip every input of that gate: a typo'd key and type
// passed validate, and the run failed at the gate after the work before it. What is written
// out is checked; what is an expression is checked at the gate. Variants: the expression in a
// description, a default, an enum item, a whole declaration.
TEST_CASE("approval inputs: an expression in one input hides no mistake in the others",
          "[cli][approval]") {
  std::string dir = TempDir();
  std::string top =
      "version: 1\nname: x\nparams:\n  env: {type: string, default: prod}\nsteps:\n"
      "  - {id: work, uses: exec, with: {shell: true, run: 'touch worked'}}\n"
      "  - id: gate\n    uses: approval\n    needs: [work]\n    with:\n"
      "      prompt: Swap?\n      inputs:\n"
      "        note: {type: string, description: 'for ${{ params.env }}', default: '-'}\n"
      "        dyn: \"${{ fromJSON('{}') }}\"\n"
      "        pick: {type: string, enum: ['${{ params.env }}', b], required: true}\n"
      "        late: {type: integer, required: true, default: '${{ params.env }}'}\n";
  std::string bad = WriteFile(dir, "bad.yaml",
                              top +
                                  "        ticket: {type: strng, requird: true}\n"
                                  "        code: {type: string, minimum: 3}\n");
  Command v = Shell(Binary() + " validate " + bad);
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.out + v.err, Catch::Contains("input 'ticket': unknown key 'requird'") &&
                                Catch::Contains("input 'ticket': type 'strng' is not one of") &&
                                Catch::Contains("input 'code': unknown key 'minimum'") &&
                                !Catch::Contains("input 'note'") &&
                                !Catch::Contains("input 'pick'") &&
                                !Catch::Contains("input 'late'"));
  // Written out, an input is checked before the first step even beside an expression.
  std::string good =
      WriteFile(dir, "good.yaml", top + "        n: {type: integer, required: true}\n");
  REQUIRE(Shell(Binary() + " validate " + good).exit_code == 0);
  Command early = Shell("cd " + dir + " && " + Binary() +
                        " run good.yaml --audit-db a.db --approve gate --input gate.n=abc "
                        "--input gate.pick=b </dev/null");
  CHECK(early.exit_code == 2);
  CHECK_THAT(early.err, Catch::Contains("--input gate.n: input 'n': expected a number"));
  CHECK_FALSE(std::ifstream(dir + "/worked").good());
  // An input required by an expression's enum, not given: named before any step too; the
  // enum's value itself is checked at the gate (prod is the param's value here).
  Command missing =
      Shell("cd " + dir + " && " + Binary() +
            " run good.yaml --audit-db a.db --approve gate --input gate.n=3 </dev/null");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("input 'pick' is required"));
  CHECK_FALSE(std::ifstream(dir + "/worked").good());
  Command ok = Shell("cd " + dir + " && " + Binary() +
                     " run good.yaml --audit-db a.db --approve gate --input gate.n=3 "
                     "--input gate.pick=prod </dev/null");
  INFO(ok.err);
  CHECK(ok.exit_code == 1);  // late's default is an expression giving 'prod': the gate says so
  CHECK_THAT(ok.err, Catch::Contains("input 'late'"));
}

TEST_CASE("a run in the background of its terminal is not stopped by a question",
          "[cli][approval][terminal]") {
  // breakN N24: `runbook run x > log &` from an interactive shell read its terminal at the
  // gate, and the kernel stopped it (SIGTTIN) with its lock held until someone typed `fg`.
  // A background job is treated as having no terminal: the gate fails, saying why.
  std::string dir = TempDir();
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: bg\nlock: L24\nsteps:\n  - id: gate\n    uses: approval\n"
            "    with: {prompt: go}\n");
  // set -m: the job gets its own process group, as in an interactive shell; the terminal
  // is tmux's, its foreground group the script's.
  WriteFile(dir, "bg.sh",
            "set -m\ncd " + dir + "\n" + Binary() +
                " run rb.yaml --audit-db a.db > out 2>&1 &\npid=$!\n"
                "for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; "
                "case $(ps -o stat= -p $pid) in T*) echo STOPPED; kill -9 $pid; break;; esac; "
                "sleep 0.1; done\nwait $pid; echo RC=$?\n");
  Tmux t("bash " + dir + "/bg.sh");
  int code = -1;
  std::string screen = t.ScreenAtEnd(code);
  INFO(screen << ReadFile(dir + "/out"));
  CHECK(screen.find("STOPPED") == std::string::npos);
  CHECK(screen.find("RC=1") != std::string::npos);
  CHECK_THAT(ReadFile(dir + "/out"),
             Catch::Contains("needs a person") &&
                 Catch::Contains("in the foreground (this run is a background job)"));
}

// breakFF F5: keys typed during a long step answered the gate shown after it ("INC-1⏎y⏎"
// approved "Swap production? (irreversible)" in 1 ms). What was typed before a question shows
// is dropped; the gate waits for an answer given to it (here Ctrl-D: declined).
TEST_CASE("a gate on a terminal takes no answer typed before it was shown",
          "[cli][approval][tty]") {
  std::string dir = TempDir();
  WriteFile(dir, "ta.yaml",
            "version: 1\nname: ta\nsteps:\n"
            "  - {id: prep, uses: exec, with: {run: [sleep, '2']}}\n"
            "  - id: gate\n    uses: approval\n    needs: [prep]\n"
            "    with:\n      prompt: Swap production? (irreversible)\n"
            "      inputs:\n        ticket: {type: string, required: true}\n"
            "  - {id: swap, uses: log, needs: [gate], with: {message: SWAPPED}}\n");
  for (const char* flags : {"", " --approve gate"}) {
    INFO("flags: " << flags);
    Command c = Shell("cd " + dir + " && " + PtyRun() +
                      " --send-after 0.5 'INC-1\\ny\\n' --send-on 'ticket: ' '\\x04' -- " +
                      Binary() + " run ta.yaml --audit-db a.db" + flags);
    INFO(c.out);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.out, Catch::Contains("declined by") && Catch::Contains("(end of input)"));
    CHECK(c.out.find("SWAPPED") == std::string::npos);
  }
}

// breakHH HH12: `setsid runbook run` from a terminal asked on a tty it did not own while the
// shell read the same keys: the answer never came and the run hung. A terminal that is not
// the run's controlling terminal is no terminal: the run is refused before its first step.
TEST_CASE("a run on a terminal it does not control asks nothing and is refused up front",
          "[cli][approval][tty]") {
  std::string dir = TempDir();
  WriteFile(dir, "g.yaml",
            "version: 1\nname: g\nsteps:\n  - {id: work, uses: exec, with: {shell: true, run: "
            "'touch worked'}}\n  - {id: gate, uses: approval, needs: [work], with: {prompt: "
            "go}}\n");
  Command c = Shell("cd " + dir + " && " + PtyRun() + " -- setsid -w " + Binary() +
                    " run g.yaml --audit-db a.db");
  INFO(c.out);
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.out, Catch::Contains("approval 'gate' needs a person, and with no terminal"));
  CHECK(Shell("test -e " + dir + "/worked").exit_code != 0);
  // On its own terminal it asks.
  Command asked =
      Shell("cd " + dir + " && " + PtyRun() + " --send-on 'approve? [y/N] ' 'y\\n' -- " + Binary() +
            " run g.yaml --audit-db a.db");
  INFO(asked.out);
  CHECK(asked.exit_code == 0);
}

TEST_CASE("approve: a loop item written with leading zeros is suggested as that item",
          "[cli][approval]") {
  // break23a D3: `--approve gate[01]` suggested gate[0], the closest spelling.
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "l.yaml",
                               "version: 1\nname: l\nsteps:\n  - id: gate\n    uses: approval\n"
                               "    for_each: [a, b]\n    with: {prompt: ok}\n");
  const std::string run = Binary() + " run " + file + " --audit-db " + dir + "/a.db --approve ";
  CHECK_THAT(Shell(run + "'gate[01]'").err, Catch::Contains("did you mean 'gate[1]'?"));
  CHECK_THAT(Shell(run + "'gate[00]'").err, Catch::Contains("did you mean 'gate[0]'?"));
}

// break24a D1: every mistake in a gate's inputs was one message, joined by "; ", at the
// line of `inputs:`. Each is its own error now, at the line of the input or key it is about,
// in every format validate has.
TEST_CASE("approval inputs: each mistake is placed at its own input and key", "[cli][approval]") {
  std::string dir = TempDir();
  std::string bad = WriteFile(dir, "bad.yaml",
                              "version: 1\nname: x\nsteps:\n"
                              "  - id: gate\n    uses: approval\n    with:\n"
                              "      prompt: Swap?\n"
                              "      inputs:\n"                             // 8
                              "        ticket:\n"                           // 9
                              "          type: strng\n"                     // 10
                              "          requird: true\n"                   // 11
                              "        code: {type: string, minimum: 3}\n"  // 12
                              "        plain: 5\n"                          // 13
                              "        env:\n"                              // 14
                              "          enum: [prod, staging]\n"           // 15
                              "          default: PROD\n");                 // 16
  Command v = Shell(Binary() + " validate " + bad);
  CHECK(v.exit_code == 2);
  CHECK(Occurrences(v.err, ": error: ") == 5);
  CHECK_THAT(v.err, Catch::Contains("bad.yaml:10:17: error: input 'ticket': type 'strng'") &&
                        Catch::Contains("bad.yaml:11:20: error: input 'ticket': unknown key "
                                        "'requird'") &&
                        Catch::Contains("bad.yaml:12:39: error: input 'code': unknown key "
                                        "'minimum'") &&
                        Catch::Contains("bad.yaml:13:16: error: input 'plain' must be a mapping") &&
                        Catch::Contains("bad.yaml:16:20: error: input 'env': default:"));
  Command gh = Shell(Binary() + " validate --format github " + bad);
  CHECK_THAT(gh.out, Catch::Contains("line=11,col=20") && Catch::Contains("line=16,col=20"));
}

// break27a #3: placing each mistake walked the inputs' entries once per mistake, quadratic
// (16,000 mistakes took 12 s, a 9 MB file more than 10 minutes). The index of places is built
// once: 40,000 (quadratic: over a minute) stay in seconds.
TEST_CASE("approval inputs: tens of thousands of mistakes are placed in linear time",
          "[cli][approval][limits]") {
  std::string dir = TempDir();
  std::string text =
      "version: 1\nname: x\nsteps:\n  - id: gate\n    uses: approval\n    with:\n"
      "      prompt: Swap?\n      inputs:\n";
  for (int i = 0; i < 40000; ++i)
    text += "        in" + std::to_string(i) + ": {type: string, colour: 1}\n";
  std::string file = WriteFile(dir, "many.yaml", text);
  auto start = std::chrono::steady_clock::now();
  Command v = Shell(Binary() + " validate " + file, 120);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(v.exit_code == 2);
  CHECK(v.err.find("many.yaml:9:37: error: input 'in0': unknown key 'colour'") !=
        std::string::npos);
  CHECK(seconds < 30);
}

// break27a #6: `required:` took any value, and all but `true` meant "not required" (the gate
// passed without the input); `enum: [1, x]` on an integer input was taken.
TEST_CASE("approval inputs: required is a boolean and each enum value is of the input's type",
          "[cli][approval]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "r.yaml",
                               "version: 1\nname: x\nsteps:\n  - id: gate\n    uses: approval\n"
                               "    with:\n      prompt: Swap?\n      inputs:\n"
                               "        a: {type: string, required: ture}\n"
                               "        b: {type: integer, enum: [1, x, 3]}\n"
                               "        c: {type: string, enum: solo}\n"
                               "        d: {type: string, required: \"true\"}\n"
                               "        ok: {type: integer, required: false, enum: [1, 2]}\n");
  Command v = Shell(Binary() + " validate " + file);
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.err,
             Catch::Contains("r.yaml:9:37: error: input 'a': required must be true or false, "
                             "found 'ture'") &&
                 Catch::Contains("r.yaml:10:38: error: input 'b': enum: expected an integer") &&
                 Catch::Contains("r.yaml:11:33: error: input 'c': enum must be a list") &&
                 Catch::Contains("input 'd': required must be true or false, found 'true'") &&
                 !Catch::Contains("input 'ok'"));
}
