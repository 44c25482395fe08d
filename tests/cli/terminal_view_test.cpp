// What an operator's terminal shows once a run is over (issue 14 #4), read from a real
// terminal emulator (tmux) rather than from the byte stream: `log` messages and a failed
// step's last lines stay on screen; `show` prints each step's notes and outputs, and
// `show RUN --step ID` its whole recorded output.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"
#include "support/tmux.h"

using namespace runbook::test;

TEST_CASE("log messages and a failed step's last lines stay on the terminal",
          "[cli][tty][display]") {
  std::string dir = TempDir();
  std::string file = WriteFile(
      dir, "t.yaml",
      "version: 1\nname: t\nsteps:\n"
      "  - {id: note, uses: log, with: {message: 'hello: 1234 KiB free'}}\n"
      "  - {id: chatty, uses: exec, needs: [note], with: {shell: true, run: 'for i in 1 2 3; do "
      "echo progress line $i; sleep 0.3; done'}}\n"
      "  - {id: broken, uses: exec, needs: [chatty], with: {shell: true, run: 'echo step one "
      "fine; echo disk full at /var/lib/x; exit 1'}}\n");
  Tmux term("cd " + dir + " && TERM=xterm " + Binary() + " run t.yaml --audit-db a.db");
  int code = -1;
  std::string screen = term.ScreenAtEnd(code);
  CHECK(code == 1);
  CHECK_THAT(screen, Catch::Contains("note: hello: 1234 KiB free"));
  CHECK_THAT(screen, Catch::Contains("disk full at /var/lib/x"));  // stdout of a failed step
  // A passed step's process output was the live line only: not left on screen.
  CHECK_THAT(screen, !Catch::Contains("progress line 1"));
  CHECK_THAT(screen, Catch::Contains("to continue this run: runbook resume"));
}

TEST_CASE("show prints each step's notes and outputs, show --step its whole output",
          "[cli][show]") {
  std::string dir = TempDir();
  std::string file = WriteFile(
      dir, "s.yaml",
      "version: 1\nname: s\nsteps:\n"
      "  - {id: note, uses: log, with: {message: 'hello: 99 KiB free', outputs: {free: 99}}}\n"
      "  - {id: many, uses: exec, needs: [note], with: {shell: true, run: 'seq 1 60; echo "
      "oops >&2'}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run s.yaml --audit-db a.db").exit_code == 0);
  std::string id = Shell(kSqliteWaiting + dir + "/a.db 'select run_id from runs'").out;
  id = id.substr(0, id.size() - 1);
  std::string show = Binary() + " show " + id + " --audit-db " + dir + "/a.db";
  Command all = Shell(show);
  CHECK(all.exit_code == 0);
  CHECK_THAT(all.out, Catch::Contains("log: hello: 99 KiB free") &&
                          Catch::Contains("outputs {\"free\":99}"));
  Command step = Shell(show + " --step many");
  CHECK(step.exit_code == 0);
  for (const char* line :
       {"        1\n", "        30\n", "        60\n", "      stderr:\n        oops"})
    CHECK_THAT(step.out, Catch::Contains(line));
  CHECK_THAT(step.out, !Catch::Contains("hello: 99"));  // only that step
  Command typo = Shell(show + " --step mnay");
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("has no step 'mnay'; did you mean 'many'?"));
}

// breakP P9: the live view counted characters, not the columns they take: a running step's
// last line of CJK text wrapped, the redraw moved up one line too few, and each refresh left
// the other running step's status line behind. Variant: emoji.
TEST_CASE("wide characters in a live line leave no stale status lines", "[cli][tty][display]") {
  std::string dir = TempDir();
  std::string wide;
  for (int i = 0; i < 70; ++i) wide += "漢字";
  std::string emoji;
  for (int i = 0; i < 70; ++i) emoji += "🔥";
  WriteFile(dir, "w.yaml",
            "version: 1\nname: w\nsteps:\n"
            "  - {id: wide, uses: exec, with: {shell: true, run: 'for i in 1 2 3 4 5 6; do echo "
            "\"$i " +
                wide + "\"; echo \"$i " + emoji +
                "\"; sleep 0.4; done'}}\n"
                "  - {id: other, uses: exec, with: {shell: true, run: 'for i in 1 2 3 4 5 6; do "
                "echo other-$i; sleep 0.4; done'}}\n");
  Tmux term("cd " + dir + " && LANG=C TERM=xterm " + Binary() + " run w.yaml --audit-db a.db", 100);
  int code = -1;
  std::string screen = term.ScreenAtEnd(code);
  INFO(screen);
  CHECK(code == 0);
  // Each refresh redrew other's status line in place: once it finished none is left.
  CHECK_THAT(screen, !Catch::Contains("other (exec)"));
}

// breakP P6: Ctrl-C at resume's "type it again (not shown)" question for a masked param left
// the operator's terminal with echo off.
TEST_CASE("Ctrl-C at the hidden question for a masked param gives the terminal its echo back",
          "[cli][tty][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\nsecrets:\n  t: {env: M_TOKEN}\n"
            "params:\n  url: {type: string, default: none}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [test, -f, " +
                dir + "/go]}}\n");
  std::string env = "cd " + dir + " && M_TOKEN=s3cr3t-T0KEN-42 ";
  REQUIRE(Shell(env + Binary() + " run m.yaml --set url=https://u:s3cr3t-T0KEN-42@h --audit-db " +
                "a.db")
              .exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  // The shell in the window outlives the Ctrl-C (a trap, which runbook does not inherit).
  Tmux term("trap : INT; " + env + "TERM=xterm " + Binary() + " resume " + id +
            " --audit-db a.db; stty -a | tr ' ' '\\n' | grep -x -e echo -e -echo");
  REQUIRE_FALSE(term.WaitFor("type it again (not shown)", 20).empty());
  term.Keys("C-c");
  int code = -1;
  std::string screen = term.ScreenAtEnd(code);
  INFO(screen);
  // stty's word for the echo setting, printed after the question runbook left unanswered.
  CHECK(screen.find("-echo") == std::string::npos);
  CHECK(screen.find("echo\n__END__") != std::string::npos);
}
