// The real binary: exit codes, output formats, signals, approvals.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "support/support.h"

using namespace runbook::test;

namespace {
const char* kValid =
    "version: 1\nname: t\nobjectives: {rto: 1h}\nsteps:\n"
    "  - {id: a, uses: exec, with: {run: [echo, hi]}}\n";
}  // namespace

TEST_CASE("validate: exit codes and the three formats", "[cli]") {
  std::string dir = TempDir();
  std::string good = WriteFile(dir, "good.yaml", kValid);
  std::string bad =
      WriteFile(dir, "bad.yaml", "version: 1\nname: t\nsteps:\n  - {id: a, uses: hsah}\n");
  CHECK(Shell(BinaryWith("validate " + good)).exit_code == 0);
  Command text = Shell(BinaryWith("validate " + bad));
  CHECK(text.exit_code == 2);
  CHECK(text.err == bad +
                        ":4:19: error: unknown step type 'hsah'; did you mean 'hash'?\n"
                        "    4 |   - {id: a, uses: hsah}\n"
                        "      |                   ^~~~\n");
  Command gh = Shell(BinaryWith("validate --format github " + bad));
  CHECK(gh.out ==
        "::error file=" + bad + ",line=4,col=19::unknown step type 'hsah'; did you mean 'hash'?\n");
  Command json = Shell(BinaryWith("validate --format json " + good + " " + bad));
  CHECK(json.exit_code == 2);
  CHECK(json.out.find("\"valid\": false") != std::string::npos);
  CHECK(json.out.find("\"line\": 4") != std::string::npos);
}

TEST_CASE("run: success, failure and a missed objective map to exit codes", "[cli]") {
  std::string dir = TempDir();
  CHECK(Shell(BinaryWith("run " + WriteFile(dir, "ok.yaml", kValid))).exit_code == 0);
  CHECK(Shell(BinaryWith("run " +
                         WriteFile(dir, "fail.yaml",
                                   "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: "
                                   "{run: ['false']}}\n")))
            .exit_code == 1);
  Command missed = Shell(
      BinaryWith("run " + WriteFile(dir, "slow.yaml",
                                    "version: 1\nname: t\nobjectives: {rto: 100ms}\nsteps:\n  - "
                                    "{id: a, uses: exec, with: {run: [sleep, '0.3']}}\n")));
  CHECK(missed.exit_code == 4);
  CHECK(missed.err.find("MISSED (objective 100ms)") != std::string::npos);
  CHECK(Shell(BinaryWith("run " + WriteFile(dir, "p.yaml", kValid) + " --set nope=1")).exit_code ==
        2);
}

TEST_CASE("SIGINT: the child group is gone, finally ran, exit 130", "[cli][signals]") {
  std::string dir = TempDir();
  std::string marker = "sleep 61." + std::to_string(getpid() % 1000);
  std::string file = WriteFile(dir, "long.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: long, uses: exec, with: {shell: true, run: '" +
                                   marker +
                                   "'}}\n"
                                   "finally:\n  - {id: cleanup, uses: exec, with: {run: [touch, '" +
                                   dir + "/cleaned']}}\n");
  Command c = Shell(BinaryWith("run " + file) +
                    " & pid=$!; sleep 1; kill -INT $pid; wait $pid; echo rc=$?");
  CHECK(c.out == "rc=130\n");
  CHECK_FALSE(ProcessAlive(marker));
  CHECK(std::ifstream(dir + "/cleaned").good());
  // SIGTERM (systemctl stop, timeout): the same, exit 143, as docs/operator.md says (breakT T9).
  std::remove((dir + "/cleaned").c_str());
  Command term = Shell(BinaryWith("run " + file) +
                       " & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo rc=$?");
  CHECK(term.out == "rc=143\n");
  CHECK_FALSE(ProcessAlive(marker));
  CHECK(std::ifstream(dir + "/cleaned").good());
  CHECK_THAT(ReadFile(std::string(RUNBOOK_SOURCE_DIR) + "/docs/operator.md"),
             Catch::Contains("130 for Ctrl-C (SIGINT), 143 for\nSIGTERM"));
}

TEST_CASE("a failure is not hidden by Ctrl-C during finally or beside a step still running",
          "[cli][signals]") {
  // breakRR RR1: the run was recorded cancelled (exit 130) and raised no failure.
  std::string dir = TempDir();
  // The exit code of `run FILE ARGS` interrupted (SIGINT) after `seconds`.
  auto interrupted = [&dir](const std::string& name, const std::string& steps,
                            const std::string& args, const char* seconds) {
    std::string file = WriteFile(dir, name + ".yaml", "version: 1\nname: " + name + "\n" + steps);
    return Shell(BinaryWith("run " + file + args) + " & pid=$!; sleep " + seconds +
                 "; kill -INT $pid; wait $pid; echo rc=$?")
        .out;
  };
  CHECK(interrupted("fin",
                    "steps:\n  - {id: boom, uses: exec, with: {run: [sh, -c, 'exit 1']}}\n"
                    "finally:\n  - {id: cleanup, uses: exec, with: {run: [sleep, '3']}}\n",
                    "", "1") == "rc=1\n");
  // Two steps side by side: one fails while the other still runs, then Ctrl-C.
  CHECK(interrupted("side",
                    "steps:\n  - {id: boom, uses: exec, with: {run: [sh, -c, 'exit 1']}}\n"
                    "  - {id: slow, uses: exec, with: {run: [sleep, '30']}}\n",
                    " --max-parallel 2", "1.5") == "rc=1\n");
  // A finally step that failed on its own before the cancel (breakUU UU7: a failed cleanup
  // was recorded cancelled, and paged nobody).
  CHECK(interrupted("clean",
                    "steps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n"
                    "finally:\n  - {id: unfreeze, uses: exec, with: {run: [sh, -c, 'exit 1']}}\n"
                    "  - {id: slow, uses: exec, needs: [unfreeze], if: always(), with: {run: "
                    "[sleep, '4']}}\n",
                    "", "1.5") == "rc=1\n");
  // ... and one retried after the cancel that failed again (breakVV VV3).
  CHECK(interrupted("retried",
                    "steps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n"
                    "finally:\n  - {id: unfreeze, uses: exec, retry: {max_attempts: 2, delay: 2s, "
                    "jitter: false}, with: {run: [sh, -c, 'exit 1']}}\n",
                    "", "1") == "rc=1\n");
}

TEST_CASE("approval never hangs without a terminal", "[cli][approval]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "gate.yaml",
                               "version: 1\nname: t\nsteps:\n  - {id: freeze, uses: approval, "
                               "with: {prompt: 'Freeze writes?'}}\n"
                               "  - {id: after, uses: exec, needs: [freeze], with: {run: [echo, "
                               "'${{ steps.freeze.outputs.approved_by }}']}}\n");
  // Newcomer N4: refused before the first step, not at the gate after the work before it.
  Command denied = Shell(BinaryWith("run " + file) + " < /dev/null", 20);
  CHECK(denied.exit_code == 2);
  CHECK_THAT(denied.err, Catch::Contains("approval 'freeze' needs a person, and with no terminal "
                                         "no one can be asked: pass --approve freeze (or --yes)") &&
                             Catch::Contains("nothing was run"));
  CHECK(Shell(BinaryWith("run --approve freeze " + file) + " < /dev/null", 20).exit_code == 0);
  CHECK(Shell(BinaryWith("run --yes " + file) + " < /dev/null", 20).exit_code == 0);
  // A dry run asks no one, and ends as the run would (breakHH HH10).
  CHECK(Shell(BinaryWith("run --dry-run " + file) + " < /dev/null", 20).exit_code == 2);
  CHECK(Shell(BinaryWith("run --dry-run --yes " + file) + " < /dev/null", 20).exit_code == 0);
  // A gate whose `if:` reads a step may never be reached: it fails only when it is, saying
  // how to approve (one known before the run is refused up front: breakHH HH9).
  std::string maybe = WriteFile(dir, "maybe.yaml",
                                "version: 1\nname: t\nsteps:\n  - {id: work, uses: exec, with: "
                                "{run: ['true']}}\n  - {id: freeze, uses: approval, needs: [work], "
                                "if: \"${{ steps.work.outcome == 'success' }}\", with: {prompt: "
                                "'Freeze writes?'}}\n");
  Command reached = Shell(BinaryWith("run " + maybe) + " < /dev/null", 20);
  CHECK(reached.exit_code == 1);
  CHECK_THAT(reached.err,
             Catch::Contains("approval 'freeze' needs a person: \"Freeze writes?\"; "
                             "run on a terminal, or pass --approve freeze (or --yes)"));
}

TEST_CASE("plan and graph run nothing and describe everything", "[cli]") {
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "p.yaml",
                "version: 1\nname: t\nparams: {target: {type: string, default: here}}\nsteps:\n"
                "  - {id: a, uses: exec, with: {run: [touch, '" +
                    dir +
                    "/${{ params.target }}']}}\n"
                    "  - {id: b, uses: exec, needs: [a], with: {run: [echo, '${{ "
                    "steps.a.outputs.exit_code }}']}}\n");
  Command plan = Shell(BinaryWith("plan --format json " + file));
  CHECK(plan.exit_code == 0);
  CHECK(plan.out.find("\"run: touch " + dir + "/here\"") != std::string::npos);
  CHECK(plan.out.find("${{ steps.a.outputs.exit_code }}") != std::string::npos);
  CHECK_FALSE(std::ifstream(dir + "/here").good());
  CHECK(Shell(BinaryWith("run --dry-run " + file)).exit_code == 0);
  CHECK_FALSE(std::ifstream(dir + "/here").good());
  CHECK(Shell(BinaryWith("graph --format mermaid " + file)).out ==
        "flowchart LR\n  a[\"a (exec)\"]\n  b[\"b (exec)\"]\n  a --> b\n");
}

TEST_CASE("the checked-in schema is the generated one", "[cli][schema]") {
  std::ifstream in(std::string(RUNBOOK_SOURCE_DIR) + "/schemas/runbook.schema.json");
  std::stringstream checked_in;
  checked_in << in.rdbuf();
  CHECK(Shell(BinaryWith("schema")).out == checked_in.str());
}

TEST_CASE("the checked-in step reference is the generated one", "[cli][docs]") {
  std::ifstream in(std::string(RUNBOOK_SOURCE_DIR) + "/docs/steps.md");
  std::stringstream checked_in;
  checked_in << in.rdbuf();
  CHECK(Shell(BinaryWith("steps --format md")).out == checked_in.str());
}

TEST_CASE("on a terminal the live view redraws in place, NO_COLOR drops colour", "[cli][tty]") {
  REQUIRE(Shell("command -v script").exit_code == 0);  // bsdutils, essential on Debian
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "tty.yaml",
                               "version: 1\nname: tty\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [sleep, '0.5']}}\n"
                               "  - {id: b, uses: exec, needs: [a], with: {run: [echo, hi]}}\n");
  // `script` gives the command a pseudo-terminal and copies what it drew to stdout.
  Command tty = Shell("unset NO_COLOR; TERM=xterm script -q -e -c '" + BinaryWith("run " + file) +
                      "' /dev/null");
  CHECK(tty.exit_code == 0);
  CHECK(tty.out.find("\033[1A\033[2K") != std::string::npos);  // a line redrawn in place
  CHECK(tty.out.find("\033[36m...\033[0m a (exec)") != std::string::npos);  // running, timed
  CHECK(tty.out.find("\033[32mok") != std::string::npos);
  Command plain =
      Shell("TERM=xterm NO_COLOR=1 script -q -e -c '" + BinaryWith("run " + file) + "' /dev/null");
  CHECK(plain.exit_code == 0);
  CHECK(plain.out.find("\033[32m") == std::string::npos);
  CHECK(plain.out.find("ok   b") != std::string::npos);
}

TEST_CASE("validate --format github escapes the file property, a name cannot forge one",
          "[cli][github]") {
  // breakJ J23: a file named "g,line=9::x.yaml" gave "::error file=g,line=9::x.yaml,...",
  // which GitHub reads as file g, line 9 and a message of the name's choosing.
  std::string dir = TempDir();
  for (std::string name : {"g,line=9::x.yaml", "p%41,col=1.yaml"}) {
    CAPTURE(name);
    std::string bad =
        WriteFile(dir, name, "version: 1\nname: t\nsteps:\n  - {id: a, uses: hsah}\n");
    Command gh = Shell(BinaryWith("validate --format github '" + bad + "'"));
    CHECK(gh.exit_code == 2);
    std::string escaped;
    for (char c : bad)
      escaped += c == '%' ? "%25" : c == ':' ? "%3A" : c == ',' ? "%2C" : std::string(1, c);
    CHECK(gh.out == "::error file=" + escaped +
                        ",line=4,col=19::unknown step type 'hsah'; did you mean 'hash'?\n");
    // Exactly one "::" ends the properties.
    CHECK(gh.out.find("::", 2) == gh.out.find(",line=4,col=19::") + 14);
  }
}

TEST_CASE("history --runbook with a name the store has no runs of says so, with the closest",
          "[cli]") {
  // breakM M28: an empty table read as "the restore never ran".
  std::string dir = TempDir();
  WriteFile(
      dir, "r.yaml",
      "version: 1\nname: restore\nsteps:\n  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run r.yaml --audit-db a.db").exit_code == 0);
  Command typo = Shell(Binary() + " history --runbook restor --audit-db " + dir + "/a.db");
  CHECK(typo.exit_code == 0);
  CHECK_THAT(typo.err, Catch::Contains("no runs of 'restor' in this store; it has runs of: "
                                       "restore; did you mean 'restore'?"));
  Command right = Shell(Binary() + " history --runbook restore --audit-db " + dir + "/a.db");
  CHECK_THAT(right.err, !Catch::Contains("no runs of"));
}

// breakN N18, N11: a run id is a prefix compared as text (LIKE read `_` as any character, and
// an empty id matched the only run); a busy timeout that is no duration is said.
TEST_CASE("a run id prefix is text, an empty one is refused, a bad busy timeout is said",
          "[cli][store]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db").exit_code == 0);
  std::string id = LatestRunId(dir + "/a.db");
  REQUIRE(id.size() > 8);
  std::string rb = "cd " + dir + " && " + Binary() + " show ";
  CHECK(Shell(rb + id.substr(0, 8) + " --audit-db a.db").exit_code == 0);
  std::string pattern = id.substr(0, 3) + "_" + id.substr(4, 4);
  CHECK(Shell(rb + pattern + " --audit-db a.db").exit_code == 2);
  CHECK(Shell(rb + "'%' --audit-db a.db").exit_code == 2);
  Command empty = Shell(rb + "'' --audit-db a.db");
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.err, Catch::Contains("give a run id"));
  Command busy = Shell("cd " + dir + " && RUNBOOK_AUDIT_BUSY_TIMEOUT=abc " + Binary() +
                       " history --audit-db a.db");
  CHECK(busy.exit_code == 0);
  CHECK_THAT(busy.err, Catch::Contains("RUNBOOK_AUDIT_BUSY_TIMEOUT='abc' is not a duration"));
}

// Newcomer N9: after Ctrl-C, "stop offsite (run cancelled)" came before the running step's own
// cancellation, which read "killed by SIGTERM" as if something else had killed it. The running
// step ends first, naming runbook as the one that ended it; then the steps never started.
TEST_CASE("after Ctrl-C the running step's end comes before the steps never started",
          "[cli][cancel]") {
  std::string dir = TempDir();
  WriteFile(dir, "c.yaml",
            "version: 1\nname: c\nsteps:\n  - {id: soak, uses: exec, with: {run: [sleep, '30']}}\n"
            "  - {id: offsite, uses: log, needs: [soak], with: {message: x}}\n"
            "finally:\n  - {id: tidy, uses: log, with: {message: bye}}\n");
  Command c = Shell("cd " + dir + " && (" + Binary() +
                    " run c.yaml --audit-db a.db > out 2>&1 & echo $! > pid); for i in $(seq 100); "
                    "do grep -q 'start soak' out && break; sleep 0.1; done; kill -INT $(cat pid); "
                    "for i in $(seq 100); do kill -0 $(cat pid) 2>/dev/null || break; sleep 0.1; "
                    "done; cat out");
  INFO(c.out);
  size_t soak = c.out.find("stop soak"), offsite = c.out.find("stop offsite  (run cancelled)"),
         tidy = c.out.find("start tidy");
  REQUIRE(soak != std::string::npos);
  REQUIRE(offsite != std::string::npos);
  CHECK(soak < offsite);
  CHECK(offsite < tidy);
  CHECK_THAT(c.out, Catch::Contains("cancelled (runbook ended its processes: SIGTERM)") &&
                        !Catch::Contains("killed by"));
}

// breakFF N17: `${{ }}` inside a `shell: true` script is pasted into the script's text (GitHub
// Actions' "script injection"); validate now warns where it is, and stays valid (exit 0). A
// script that is one whole expression (a command given as a param) and the list form do not.
TEST_CASE("validate warns of an expression pasted inside a shell script", "[cli][validate]") {
  std::string dir = TempDir();
  WriteFile(
      dir, "s.yaml",
      "version: 1\nname: s\nparams:\n  dump: {type: string, default: x}\n"
      "  cmd: {type: string, default: 'true'}\nsteps:\n"
      "  - {id: a, uses: exec, with: {shell: true, run: 'echo \"chosen ${{ params.dump }}\"'}}\n"
      "  - {id: b, uses: exec, with: {shell: true, run: '${{ params.cmd }}'}}\n"
      "  - {id: c, uses: exec, with: {run: [echo, 'chosen ${{ params.dump }}']}}\n"
      "  - {id: d, uses: exec, env: {DUMP: '${{ params.dump }}'}, with: {shell: true, run: "
      "'echo \"$DUMP\"'}}\n");
  Command v = Shell("cd " + dir + " && " + Binary() + " validate s.yaml");
  INFO(v.err);
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.err, Catch::Contains("s.yaml:7:50: warning: an expression inside a shell script is "
                                    "pasted into its text"));
  CHECK(v.err.find("warning", v.err.find("warning") + 1) == std::string::npos);  // only a
  Command json = Shell("cd " + dir + " && " + Binary() + " validate s.yaml --format json");
  CHECK_THAT(json.out,
             Catch::Contains("\"severity\": \"warning\"") && Catch::Contains("\"valid\": true"));
}

TEST_CASE("the binary loads no library from the folder it is run in", "[cli]") {
  // Its runpath once ended in an empty entry, which the loader takes as the current folder:
  // a libyaml-cpp.so.0.7 there was loaded in place of the system's.
  std::string dir = TempDir();
  WriteFile(dir, "libyaml-cpp.so.0.7", "not a library\n");
  WriteFile(dir, "libstdc++.so.6", "not a library\n");
  Command version = Shell("cd " + dir + " && " + BinaryWith("--version"));
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("runbook ", 0) == 0);
  CHECK(version.err == "");
}
