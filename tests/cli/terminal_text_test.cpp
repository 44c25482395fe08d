// What reaches an operator's terminal is text (breakK K9, K17, K22, K4, K7): a file name's
// escape sequence in a step's notes, an approval prompt that would rewrite itself, a secret
// in a prompt or an input's default, a blank answer to a required input, and the live block
// on a narrow terminal.
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"
#include "support/tmux.h"

using namespace runbook::test;

TEST_CASE("a name's escape sequences reach no terminal through notes, show or the report",
          "[cli][tty][escapes]") {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && sqlite3 s.db 'create table t(x); insert into t values(1);'")
              .exit_code == 0);
  WriteFile(dir, "mf.yaml",
            "version: 1\nname: mf\nparams:\n  d: {type: string}\nsteps:\n"
            "  - {id: b, uses: backup, with: {database: s.db, dest: \"${{ params.d }}\", name: "
            "s1}}\n");
  Command run =
      Shell("cd " + dir + " && " + Binary() +
            " run mf.yaml --audit-db a.db --set d=\"$(printf 'f\\033]0;PWNED\\007\\033[2Jq')\"");
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.find('\x1b') == std::string::npos);
  CHECK(run.err.find('\x07') == std::string::npos);
  CHECK_THAT(run.err, Catch::Contains("wrote f\\x1b]0;PWNED\\x07\\x1b[2Jq/s1.sqlite.gz"));
  std::string id = LatestRunId(dir + "/a.db");
  Command show = Shell(Binary() + " show " + id + " --audit-db " + dir + "/a.db");
  CHECK(show.out.find('\x1b') == std::string::npos);
  Command md = Shell(Binary() + " report " + id + " --format md --audit-db " + dir + "/a.db");
  CHECK(md.out.find('\x1b') == std::string::npos);
  CHECK(md.out.find('\x07') == std::string::npos);
}

TEST_CASE(
    "an approval's prompt and defaults are shown masked and escaped, a blank answer asked "
    "again",
    "[cli][tty][approval]") {
  std::string dir = TempDir();
  WriteFile(dir, "ap.yaml",
            "version: 1\nname: ap\nsecrets:\n  tok: {env: AP_TOKEN}\n"
            "params:\n  target: {type: string}\nsteps:\n"
            "  - id: gate\n    uses: approval\n    with:\n"
            "      prompt: \"Swap ${{ params.target }} with ${{ secrets.tok }}?\"\n"
            "      inputs:\n"
            "        ticket: {type: string, required: true}\n"
            "        key: {type: string, default: \"${{ secrets.tok }}\"}\n");
  // The target carries a CR and an erase: on screen it would rewrite the question.
  Command c = Shell("cd " + dir + " && AP_TOKEN=hunter2-very-secret " + PtyRun() +
                    " --send-on 'key ' '\\n' --send-on 'ticket: ' '   \\n'"
                    " --send-on 'type a value' 'INC-7\\n' --send-on 'approve?' 'y\\n' -- " +
                    Binary() +
                    " run ap.yaml --audit-db a.db --set target=\"$(printf "
                    "'PRODUCTION\\r\\033[2KSwap staging')\"");
  INFO(c.out);
  CHECK(c.exit_code == 0);
  CHECK(c.out.find("hunter2") == std::string::npos);        // K22: never in clear
  CHECK(c.out.find("PRODUCTION\r") == std::string::npos);   // K17: the value's CR and erase
  CHECK(c.out.find("\r\x1b[2KSwap") == std::string::npos);  // never reach the terminal
  CHECK_THAT(c.out, Catch::Contains("PRODUCTION\\x0d\\x1b[2KSwap staging"));
  CHECK_THAT(c.out, Catch::Contains("input 'ticket' is required: type a value"));  // K4
  std::string outputs = Shell(kSqliteWaiting + dir +
                              "/a.db \"SELECT body FROM events WHERE "
                              "kind='attempt_finished'\"")
                            .out;
  CHECK_THAT(outputs, Catch::Contains("\"ticket\":\"INC-7\""));
}

// breakR R3: the re-ask after a wrong answer at a terminal printed "expected one of: " with
// an `enum` built from a secret raw, so a "type the change code" gate showed the code to
// whoever typed a wrong one first (off a terminal the same check was masked). Variants: the
// enum from a secret; from a param holding a secret and an escape sequence.
TEST_CASE("a wrong answer at a gate's input is told without its secrets or control characters",
          "[cli][tty][approval][secrets]") {
  std::string dir = TempDir();
  WriteFile(dir, "g.yaml",
            "version: 1\nname: g\nsecrets:\n  code: {env: SWAP_CODE}\n"
            "params:\n  s: {type: string, default: b}\nsteps:\n"
            "  - id: gate\n    uses: approval\n    with:\n"
            "      prompt: Swap production?\n      inputs:\n"
            "        code: {type: string, required: true, enum: [\"${{ secrets.code }}\"]}\n"
            "        other: {type: string, required: true, enum: [\"${{ params.s }}\", b]}\n"
            "  - {id: swap, uses: log, needs: [gate], with: {message: swapped}}\n");
  Command c = Shell("cd " + dir + " && SWAP_CODE=cab-7731-zulu " + PtyRun() +
                    " --send-on 'code: ' 'guess\\n' --send-on 'expected one of' "
                    "'cab-7731-zulu\\n' --send-on 'other: ' 'zz\\n' --send-on 'RED***, b' "
                    "'b\\n' --send-on 'approve?' 'y\\n' -- " +
                    Binary() + " run g.yaml --audit-db a.db --set s=\"$(printf 'x\\033[31mRED')" +
                    "cab-7731-zulu\"");
  INFO(c.out);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("input 'code': invalid value 'guess'; expected one of: ***"));
  CHECK_THAT(c.out, Catch::Contains("expected one of: x\\x1b[31mRED***, b"));
  CHECK(c.out.find("one of: cab") == std::string::npos);  // (the terminal echoes what is typed)
  CHECK(c.out.find("\x1b[31m") == std::string::npos);     // the param's escape never raw
}

TEST_CASE("the live block is redrawn in place on a narrow terminal (breakK K7)",
          "[cli][tty][progress]") {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && truncate -s 3G big.bin").exit_code == 0);  // sparse
  WriteFile(dir, "h.yaml",
            "version: 1\nname: h\nsteps:\n  - {id: h1, uses: hash, with: {files: [big.bin], "
            "verify: none, inventory: ''}}\n");
  Tmux term("cd " + dir + " && TERM=xterm NO_COLOR=1 " + Binary() + " run h.yaml --audit-db a.db",
            60);
  int code = -1;
  std::string screen = term.ScreenAtEnd(code);
  INFO(screen);
  CHECK(code == 0);
  CHECK_THAT(screen, !Catch::Contains("... h1 (hash)"));  // no stale live line is left
}

TEST_CASE("approval flags: --approve and --input must name a gate and an input (breakK K16)",
          "[cli][approval]") {
  std::string dir = TempDir();
  WriteFile(dir, "g.yaml",
            "version: 1\nname: g\nsteps:\n"
            "  - {id: work, uses: exec, with: {shell: true, run: 'touch worked'}}\n"
            "  - id: declare\n    uses: approval\n    needs: [work]\n    with:\n"
            "      prompt: Go?\n      inputs: {ticket: {type: string, default: NONE}}\n");
  auto run = [&](const std::string& flags) {
    return Shell("cd " + dir + " && rm -f worked && " + Binary() + " run g.yaml --audit-db a.db " +
                 flags);
  };
  Command gate = run("--approve declar --input declare.ticket=INC-1");
  CHECK(gate.exit_code == 2);
  CHECK_THAT(gate.err, Catch::Contains("--approve declar: the runbook has no approval step "
                                       "'declar'; did you mean 'declare'?"));
  Command input = run("--approve declare --input declare.tikcet=INC-1");
  CHECK(input.exit_code == 2);
  CHECK_THAT(input.err, Catch::Contains("approval 'declare' has no input 'tikcet'; did you mean "
                                        "'ticket'?"));
  Command not_a_gate = run("--approve work");
  CHECK(not_a_gate.exit_code == 2);
  CHECK_FALSE(Shell("test -e " + dir + "/worked").exit_code == 0);  // nothing was run
  CHECK(run("--approve declare --input declare.ticket=INC-1").exit_code == 0);
}

TEST_CASE("an approval input's type is checked as typed, every type (breakK K15)",
          "[cli][approval]") {
  std::string dir = TempDir();
  WriteFile(dir, "bad.yaml",
            "version: 1\nname: b\nsteps:\n  - id: g\n    uses: approval\n    with:\n"
            "      prompt: Go?\n      inputs: {wait: {type: durtion}}\n");
  Command bad = Shell(Binary() + " validate " + dir + "/bad.yaml");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.out + bad.err, Catch::Contains("type 'durtion' is not one of string, integer"));
  WriteFile(dir, "d.yaml",
            "version: 1\nname: d\nsteps:\n  - id: g\n    uses: approval\n    with:\n"
            "      prompt: Go?\n      inputs: {wait: {type: duration, required: true}, "
            "hosts: {type: list}}\n");
  for (const char* wrong : {"g.wait=abc", "g.wait=-5m"}) {  // refused before the run (L9)
    CAPTURE(wrong);
    Command c = Shell(Binary() + " run " + dir + "/d.yaml --audit-db " + dir +
                      "/a.db --approve g --input " + wrong);
    CHECK(c.exit_code == 2);
  }
  CHECK(Shell(Binary() + " run " + dir + "/d.yaml --audit-db " + dir +
              "/a.db --approve g --input g.hosts=abc --input g.wait=5m")
            .exit_code == 2);  // a list is JSON
  CHECK(Shell(Binary() + " run " + dir + "/d.yaml --audit-db " + dir +
              "/a.db --approve g --input g.wait=5m --input 'g.hosts=[\"a\",\"b\"]'")
            .exit_code == 0);
}

// breakN N3: a failed step's escape sequences reached the terminal raw (its FAIL line, the
// last lines kept on screen), and `show`, `show --step`, the plain log and the HTML report.
TEST_CASE("what a failed step printed reaches no sink with its control characters raw",
          "[cli][show][report]") {
  std::string dir = TempDir();
  WriteFile(dir, "f.sh",
            "echo line 1\nprintf 'FAKE \\033[2J\\033[1A\\r all good\\n'\n"
            "printf 'bad \\033[31m end\\n' >&2\nexit 3\n");
  WriteFile(dir, "f.yaml",
            "version: 1\nname: f\nsteps:\n  - {id: f, uses: exec, with: {run: [sh, f.sh]}}\n");
  std::string rb = "cd " + dir + " && " + Binary();
  Command plain = Shell(rb + " run f.yaml --audit-db a.db");
  REQUIRE(plain.exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  Command show = Shell(rb + " show " + id + " --audit-db a.db");
  Command step = Shell(rb + " show " + id + " --step f --audit-db a.db");
  Command html = Shell(rb + " report " + id + " --format html --audit-db a.db");
  Command tty = Shell(rb + " run f.yaml --audit-db a.db 2>&1 | cat");  // the plain log
  Command pty = Shell("cd " + dir + " && TERM=xterm NO_COLOR=1 " + PtyRun() + " -- " + Binary() +
                      " run f.yaml --audit-db a.db");
  for (const Command* c : {&plain, &show, &step, &html, &tty, &pty}) {
    std::string all = c->out + c->err;
    INFO(all);
    CHECK(all.find("\x1b[2J") == std::string::npos);
    CHECK(all.find("\x1b[31m") == std::string::npos);
    CHECK(all.find("\r all good") == std::string::npos);
  }
  CHECK_THAT(step.out, Catch::Contains("FAKE \\x1b[2J\\x1b[1A\\x0d all good"));
  CHECK_THAT(html.out, Catch::Contains("bad \\x1b[31m end"));
}

TEST_CASE("a step's newlines cannot forge runbook's own lines in plain output, show or a tty",
          "[cli][tty][escapes]") {
  // breakO O1: the failure message "exit code 1: <last lines>" and a log note kept their
  // newlines, so a step's "ok   switch  16ms" and "run FAKE: success" stood at column 0.
  // Variants: the attempt and FAIL lines, a log step's message from an output, show, a tty.
  std::string dir = TempDir();
  WriteFile(dir, "f.yaml",
            "version: 1\nname: f\nsteps:\n"
            "  - id: o\n    uses: exec\n    with: {shell: true, run: 'printf \"m<<E\\nx\\nrun "
            "FAKE: success in 20ms\\nE\\n\" >> \"$RUNBOOK_OUTPUT\"'}\n"
            "  - {id: note, uses: log, needs: [o], with: {message: '${{ steps.o.outputs.m }}'}}\n"
            "  - id: switch\n    uses: exec\n    needs: [note]\n    with: {run: [sh, -c, \"echo "
            "'ok   switch  16ms'; echo 'run FAKE: success in 20ms'; exit 1\"]}\n");
  Command plain = Shell("cd " + dir + " && " + Binary() + " run f.yaml --audit-db a.db");
  INFO(plain.err);
  CHECK(plain.exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  Command show = Shell("cd " + dir + " && " + Binary() + " show " + id + " --audit-db a.db");
  INFO(show.out);
  Tmux tty("cd " + dir + " && " + Binary() + " run f.yaml --audit-db b.db");
  int code = -1;
  std::string screen = tty.ScreenAtEnd(code);
  INFO(screen);
  for (const std::string& text : {plain.err, show.out, screen}) {
    CHECK(text.find("\nrun FAKE") == std::string::npos);
    CHECK(text.find("\nok   switch") == std::string::npos);
  }
  CHECK(plain.err.find("    | run FAKE: success in 20ms") != std::string::npos);
}

// breakR R6: a failed step's last lines were its stderr whenever it wrote any, so a test's
// failure printed on stdout ("FAIL: expected 3 rows") was hidden behind an npm warning on
// the terminal, in `show` and in the HTML report. Both streams are kept in the order they
// came. Variants: the terminal, show, the HTML report's attempt block.
TEST_CASE("a failed step's last lines are both streams in the order they came",
          "[cli][tty][show]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n"
            "  - {id: test, uses: exec, with: {run: [sh, -c, 'echo \"npm WARN deprecated x\" >&2; "
            "sleep 0.1; echo \"FAIL: expected 3 rows, got 0\"; exit 1']}}\n");
  Tmux tty("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db");
  int code = -1;
  std::string screen = tty.ScreenAtEnd(code);
  INFO(screen);
  CHECK(code == 1);
  CHECK_THAT(screen, Catch::Contains("| npm WARN deprecated x\n") &&
                         Catch::Contains("FAIL: expected 3 rows, got 0\n"));
  std::string id = LatestRunId(dir + "/a.db");
  Command show = Shell(Binary() + " show " + id + " --audit-db " + dir + "/a.db");
  CHECK_THAT(show.out, Catch::Contains("last output:\n        npm WARN deprecated x\n"
                                       "        FAIL: expected 3 rows, got 0\n"));
  Command html = Shell(Binary() + " report " + id + " --format html --audit-db " + dir + "/a.db");
  CHECK_THAT(html.out, Catch::Contains("npm WARN deprecated x\nFAIL: expected 3 rows, got 0"));
}

// breakT T5: the CLI's own error lines printed bidi characters raw, from arguments (--set,
// show, steps) and from the runbook (an enum in the --input check); T7: the continue line
// quoted a path holding one in '...' raw at the run's end, and escaped inside '...' in show,
// which then named another path. Stderr escapes them at its sink; the continue line puts
// their bytes in $'...', and the line runs as printed.
TEST_CASE("bidi characters reach no terminal through errors or the continue line",
          "[cli][terminal-text]") {
  const std::string rlo = "\xe2\x80\xae";  // U+202E RIGHT-TO-LEFT OVERRIDE
  std::string dir = TempDir() + "/dir" + rlo + "evil";
  Shell("mkdir -p '" + dir + "/.runbook'");
  WriteFile(dir, "gt.yaml",
            "version: 1\nname: gt\nsteps:\n  - id: gate\n    uses: approval\n    with:\n"
            "      prompt: go?\n      inputs:\n        mode: {type: string, enum: [\"fast" +
                rlo + "x\", slow], default: slow}\n");
  WriteFile(dir, "f.yaml",
            "version: 1\nname: f\nsteps:\n  - {id: a, uses: exec, with: {run: [sh, -c, 'test -e "
            "go']}}\n");
  const std::string rb = "cd '" + dir + "' && unset RUNBOOK_AUDIT_DB; " + Binary() + " ";
  for (const std::string& args :
       {"run gt.yaml --input 'gate.mode=fa" + rlo + "st'", "run gt.yaml --set 'x" + rlo + "y=1'",
        "show '20" + rlo + "x'", "steps 'ex" + rlo + "ec'", std::string("run f.yaml")}) {
    CAPTURE(args);
    Command c = Shell(rb + args + " </dev/null");
    CHECK(c.exit_code != 0);
    CHECK(c.err.find(rlo) == std::string::npos);
    CHECK(c.out.find(rlo) == std::string::npos);
    CHECK_THAT(c.err, Catch::Contains("\\u202e"));
  }
  CHECK_THAT(Shell(rb + "run gt.yaml --input 'gate.mode=x' </dev/null").err,
             Catch::Contains("expected one of: fast\\u202ex, slow"));
  // The continue line, at the end and in show, runs from another folder as printed.
  Command failed = Shell(rb + "run f.yaml </dev/null");
  std::string line = failed.err.substr(failed.err.find("runbook resume"));
  line = line.substr(0, line.find('\n'));
  CHECK_THAT(line, Catch::Contains("$'" + dir.substr(0, dir.find(rlo)) + "\\xe2\\x80\\xae"));
  Shell("touch '" + dir + "/go'");
  std::string script = WriteFile(TempDir(), "continue.sh", line + "\n");
  Command resumed = Shell("cd / && PATH=" + Binary().substr(0, Binary().rfind('/')) +
                          ":$PATH bash " + script + " </dev/null");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 0);
}
