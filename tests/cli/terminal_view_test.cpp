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
  std::string id = Shell("sqlite3 " + dir + "/a.db 'select run_id from runs'").out;
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
