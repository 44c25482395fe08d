// The newcomer's path (issue 14, "Done when"): the README's first command on a copy of the
// project, then a drill on a terminal interrupted with Ctrl-C, continued with the command the
// run printed, `show`, and the report as
// HTML and PDF, checked by the browser (headless Chromium, pdftoppm). Real demo backend, npm,
// SQLite; tmux is the terminal.
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "support/support.h"
#include "support/tmux.h"

using namespace runbook::test;

namespace {

const std::string kSource = RUNBOOK_SOURCE_DIR;

// A copy of what a newcomer clones: scripts, runbooks, the demo backend (its node_modules
// linked, its data left out) and the project's .runbook/ marker.
std::string Clone() {
  std::string root = TempDir() + "/runbook";
  std::string demo = kSource + "/examples/demo-backend";
  REQUIRE(Shell("test -d " + demo + "/node_modules/better-sqlite3").exit_code == 0);
  Command c = Shell(
      "set -e; mkdir -p " + root + "/examples/demo-backend " + root + "/.runbook && cd " + root +
      " && cp -r " + kSource + "/scripts " + kSource + "/runbooks . && cp " + kSource +
      "/.runbook/.gitignore .runbook/ && cd examples/demo-backend && cp -r " + demo + "/src " +
      demo + "/scripts " + demo + "/test " + demo + "/config " + demo + "/package.json " + demo +
      "/package-lock.json . && ln -s " + demo + "/node_modules node_modules");
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  return root;
}

// What follows "to continue this run: " on the screen, joined when the terminal wrapped it.
std::string ContinueCommand(const std::string& screen) {
  size_t at = screen.find("to continue this run: ");
  REQUIRE(at != std::string::npos);
  std::string line = screen.substr(at + 22, screen.find('\n', at) - at - 22);
  return line;
}

}  // namespace

TEST_CASE("a newcomer's path: demo, Ctrl-C in a drill, resume, show, the report in a browser",
          "[e2e][newcomer]") {
  REQUIRE(Shell("command -v chromium && command -v pdftoppm && command -v tmux").exit_code == 0);
  std::string root = Clone();
  std::string rb = Binary();
  // 1. The README's first command (set-up and build skipped: the binary under test).
  Command demo = Shell(
      "cd " + root + " && unset RUNBOOK_AUDIT_DB; RUNBOOK_BIN=" + rb + " bash scripts/demo.sh 2>&1",
      600);
  INFO(demo.out.substr(demo.out.size() > 4000 ? demo.out.size() - 4000 : 0));
  REQUIRE(demo.exit_code == 0);
  CHECK_THAT(demo.out, Catch::Contains("audit store " + root + "/.runbook/audit.db"));
  std::smatch m;
  REQUIRE(std::regex_search(demo.out, m, std::regex("report: (/[^ ]+\\.html)")));
  CHECK_THAT(ReadFile(m[1]), Catch::Contains("RTO"));

  // 2. A drill on a terminal, interrupted while the backend's tests run.
  std::string env = "cd " + root + " && unset RUNBOOK_AUDIT_DB; export TERM=xterm NO_COLOR=1; ";
  std::string first;
  {
    Tmux term(env + rb + " run runbooks/drill.yaml");
    REQUIRE_FALSE(term.WaitFor("test-ci (npm-run)", 240).empty());
    term.Keys("C-c");
    int code = -1;
    std::string screen = term.ScreenAtEnd(code);
    INFO(screen);
    CHECK(code == 130);
    CHECK_THAT(screen, Catch::Contains("--audit-db " + root + "/.runbook/audit.db"));
    first = ContinueCommand(screen);
  }
  REQUIRE(std::regex_match(first, std::regex("runbook resume [0-9TZ]+-[0-9a-f]+ --audit-db /.*")));

  // 3. The printed command, pasted as it is (runbook on PATH), from another folder. The npm
  //    step stopped by Ctrl-C only checks and says so (`idempotent: true` in drill.yaml): it
  //    runs again without a question (docs/operator.md, "Resuming"; breakM M14).
  std::string resumed_id;
  {
    Tmux term("cd /tmp && export TERM=xterm NO_COLOR=1 PATH=" + rb.substr(0, rb.rfind('/')) +
              ":$PATH; " + first);
    int code = -1;
    std::string screen = term.ScreenAtEnd(code);
    INFO(screen);
    CHECK(code == 0);
    REQUIRE(std::regex_search(screen, m, std::regex("resuming run [^ ]+ as ([0-9TZ]+-[0-9a-f]+)")));
    resumed_id = m[1];
    CHECK_THAT(screen, Catch::Contains("RTO"));
  }

  // 4. show: every step, the carried-over ones marked, from the project's folder.
  Command show = Shell(env + rb + " show " + resumed_id);
  CHECK(show.exit_code == 0);
  CHECK_THAT(show.out, Catch::Contains("test-ci") && Catch::Contains("synthetic"));
  std::string first_id = first.substr(15, first.find(' ', 15) - 15);
  CHECK_THAT(show.out, Catch::Contains("resumes " + first_id));
  // Carried steps keep their measurements and attempts, naming the run (breakN N22).
  CHECK_THAT(show.out, Catch::Contains("passed in run " + first_id) &&
                           Catch::Contains("  in run " + first_id + "\n"));

  // 5. The report as HTML and PDF, in the browser.
  REQUIRE(Shell(env + rb + " report " + resumed_id + " --output " + root + "/r.html").exit_code ==
          0);
  std::string html = ReadFile(root + "/r.html");
  CHECK_THAT(html, Catch::Contains(first_id));  // the chain of runs
  const std::string chromium = "timeout 90 chromium --headless=new --no-sandbox --disable-gpu ";
  REQUIRE(Shell(chromium + "--window-size=1400,3400 --screenshot=" + root + "/r.png file://" +
                root + "/r.html 2>/dev/null")
              .exit_code == 0);
  CHECK(PngPixels(root + "/r.png", "ink") > 20000);
  CHECK(PngPixels(root + "/r.png", "2e8540") > 13 * 800);  // the drill's green boxes and bars
  REQUIRE(Shell(chromium + "--no-pdf-header-footer --print-to-pdf=" + root + "/r.pdf file://" +
                root + "/r.html 2>/dev/null")
              .exit_code == 0);
  CHECK_THAT(Shell("pdfinfo " + root + "/r.pdf").out, Catch::Contains("(A4)"));
  REQUIRE(Shell("pdftoppm -png -r 60 -f 1 -l 1 " + root + "/r.pdf " + root + "/p").exit_code == 0);
  std::string page = Shell("ls " + root + "/p-*.png | head -1").out;
  REQUIRE_FALSE(page.empty());
  page.pop_back();
  CHECK(PngPixels(page, "ink") > 2000);
}
