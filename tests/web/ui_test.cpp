// runbook serve's web UI in a real browser: Debian's chromium driven by playwright-core
// (tests/web/runs_page.mjs) against a real serve on loopback. Screenshots are kept in
// artifacts/web/ in the tests' build folder (wherever the suite is run from, never the
// source tree) and checked to be more than a blank page.
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/util/json.h"
#include "engine/util/strings.h"
#include "serve/ui_assets.h"
#include "support/serve_process.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A serve of `dir`/rb on 127.0.0.1:`port`, its store `dir`/store/audit.db, its log
// `dir`/serve.log: its pid, once it listens.
int StartUiServe(const std::string& dir, int port) {
  return StartServer({Binary(), "serve", "--runbooks", dir + "/rb", "--listen",
                      "127.0.0.1:" + std::to_string(port), "--audit-db", dir + "/store/audit.db"},
                     dir + "/serve.log", port);
}

}  // namespace

TEST_CASE("web UI: the runs page lists a run live and opens it, in chromium", "[web][serve]") {
  REQUIRE(EmbeddedUi().built);  // scripts/setup.sh builds web/ before the binary
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/rb " + dir + "/store");
  WriteFile(dir, "rb/hello.yaml",
            "version: 1\nname: hello\nsteps:\n  - {id: greet, uses: exec, with: {run: [echo, "
            "hi]}}\n");
  int port = FreePort();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  int pid = StartUiServe(dir, port);
  std::string shots = std::string(RUNBOOK_ARTIFACTS_DIR) + "/web";
  std::filesystem::create_directories(shots);
  // The page is open before the run exists: it must appear without a reload.
  Command c = Shell("node " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/web/runs_page.mjs " + base +
                        " hello greet " + shots,
                    120);
  // breakGG G7: a run whose index row was edited is shown as its events say, marked.
  std::string id = LatestRunId(dir + "/store/audit.db");
  Shell("for i in $(seq 100); do sqlite3 " + dir + "/store/audit.db \"select status from runs\" " +
        "| grep -q success && break; sleep 0.1; done");  // finished: nothing writes it after
  std::string script = std::string(RUNBOOK_SOURCE_DIR) + "/tests/web/altered_mark.mjs ";
  Command honest = Shell("node " + script + base + " " + id, 120);
  Shell(kSqliteWaiting + dir + "/store/audit.db \"update runs set status='failure'\"");
  Command edited = Shell("node " + script + base + " " + id, 120);
  // breakHH HH5: the first run's start edited and hashed again, a second run after it.
  Shell("curl -s -X POST " + base + "/api/v1/runbooks/hello/runs");
  Shell("for i in $(seq 100); do sqlite3 " + dir + "/store/audit.db \"select count(*) from " +
        "events where kind='run_finished'\" | grep -q 2 && break; sleep 0.1; done");
  std::string seq =
      runbook::Trim(Shell(kSqliteWaiting + dir + "/store/audit.db \"select seq from events " +
                          "where kind='run_started' and run_id='" + id + "'\"")
                        .out);
  REQUIRE(Shell("python3 " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/cli/rehash_one.py " + dir +
                "/store/audit.db " + seq + " body '\"kind\":\"custom\"' '\"kind\":\"backup\"'")
              .exit_code == 0);
  Command broken = Shell("node " + script + base + " " + id, 120);
  StopServer(pid);
  INFO(honest.out << honest.err << edited.out << edited.err << broken.out << broken.err);
  auto unmarked = ParseJson(honest.out), marked = ParseJson(edited.out),
       chain = ParseJson(broken.out);
  REQUIRE((unmarked.ok() && marked.ok() && chain.ok()));
  CHECK(unmarked.value().Find("error") == nullptr);
  CHECK_FALSE(unmarked.value().Find("marked")->as_bool());
  CHECK(unmarked.value().Find("alert")->as_string().empty());
  CHECK(unmarked.value().Find("run_alert")->as_string().empty());
  CHECK(chain.value().Find("error") == nullptr);
  CHECK_THAT(chain.value().Find("alert")->as_string(),
             Catch::StartsWith("ALTERED: the audit chain is broken: event "));
  CHECK_THAT(chain.value().Find("run_alert")->as_string(),
             Catch::StartsWith("AUDIT CHAIN BROKEN:") && Catch::Contains("event"));
  CHECK(marked.value().Find("marked")->as_bool());
  CHECK_THAT(marked.value().Find("title")->as_string(),
             Catch::Contains("the runs index says status 'failure' (its events: 'success')"));
  CHECK_THAT(marked.value().Find("row")->as_string(), Catch::Contains("success"));
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  auto out = ParseJson(c.out);
  REQUIRE(out.ok());
  const Value& r = out.value();
  CHECK(r.Find("error") == nullptr);
  CHECK(r.Find("listed")->as_bool());
  CHECK(r.Find("step_shown")->as_bool());
  CHECK(r.Find("console_errors")->as_list().empty());
  int64_t blank = r.Find("blank_bytes")->as_int();
  for (const char* page : {"runs", "run"}) {
    const Value* bytes = r.Find("screenshots")->Find(page);
    REQUIRE(bytes != nullptr);
    CHECK(bytes->as_int() > 2 * blank);  // a page with text, not a blank one
  }
}

TEST_CASE("web UI: its files need no token, carry a same-origin CSP, and / leads to it",
          "[web][serve]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/rb " + dir + "/store");
  Command add = Shell(Binary() + " token add viewer1 --role viewer --tokens " + dir + "/tokens");
  REQUIRE(add.exit_code == 0);
  int port = FreePort();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  int pid = StartServer({Binary(), "serve", "--runbooks", dir + "/rb", "--listen",
                         "127.0.0.1:" + std::to_string(port), "--audit-db", dir + "/store/audit.db",
                         "--tokens", dir + "/tokens"},
                        dir + "/serve.log", port);
  Command root = Shell("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' " + base + "/");
  Command page = Shell("curl -s -D - " + base + "/ui/");
  Command js =
      Shell("curl -s -o /dev/null -w '%{http_code} %{content_type}' " + base + "/ui/app.js");
  Command api = Shell("curl -s -o /dev/null -w '%{http_code}' " + base + "/api/v1/runs");
  Command other = Shell("curl -s -o /dev/null -w '%{http_code}' " + base + "/ui/../etc/passwd");
  // What a browser offers: gzip, never Brotli at cpp-httplib's quality 11 (250 ms for this
  // script; a second for the page in chromium: bench/ui_bench.py).
  Command offered = Shell("curl -s -D - -o " + dir + "/app.js.gz -H 'Accept-Encoding: gzip, " +
                          "deflate, br' " + base + "/ui/app.js");
  Command brotli_only =
      Shell("curl -s -D - -o /dev/null -H 'Accept-Encoding: br' " + base + "/ui/app.js");
  StopServer(pid);
  CHECK_THAT(offered.out, Catch::Contains("Content-Encoding: gzip"));
  CHECK(Shell("gzip -t " + dir + "/app.js.gz").exit_code == 0);
  CHECK(brotli_only.out.find("Content-Encoding") == std::string::npos);
  CHECK(root.out == "302 " + base + "/ui/");
  CHECK_THAT(page.out, Catch::Contains("HTTP/1.1 200"));
  CHECK_THAT(page.out, Catch::Contains("Content-Security-Policy: default-src 'self'"));
  CHECK_THAT(page.out, Catch::Contains("<script type=\"module\" src=\"/ui/app.js\">"));
  CHECK(js.out == "200 text/javascript; charset=utf-8");
  CHECK(api.out == "401");  // the data still needs a token
  CHECK(other.out != "200");
}

TEST_CASE(
    "web UI: trigger from the form, watch live, approve, read a failed log, backups, drills, "
    "audit, in chromium",
    "[web][serve]") {
  // Issue 17's flows (tests/web/flows.mjs), with axe-core on every page, at a phone's width and
  // in the dark scheme too, against a real serve whose store holds a real backup and drill.
  REQUIRE(EmbeddedUi().built);
  std::string dir = ServeDir();
  Shell("cd " + dir + "/rb && sqlite3 live.db 'create table t(a); insert into t values (1)'");
  WriteFile(dir, "rb/gated.yaml",
            "version: 1\nname: gated\nkind: drill\ndescription: prepare, check, a gate, switch\n"
            "params:\n  size: {type: integer, default: 3, minimum: 1, maximum: 10}\n"
            "  mode: {type: string, enum: [fast, slow], default: fast}\n"
            "objectives:\n  rto: 2h\nsteps:\n"
            "  - {id: prepare, uses: exec, with: {run: [sh, -c, 'echo size ${{ params.size }}']}}\n"
            "  - {id: check, uses: exec, needs: [prepare], with: {run: ['true']}}\n"
            "  - id: gate\n    uses: approval\n    needs: [check]\n    with:\n"
            "      prompt: Switch traffic?\n"
            "      inputs:\n        ticket: {type: string, required: true}\n"
            "  - {id: switch, uses: exec, needs: [gate], with: {run: ['true']}}\n"
            "finally:\n  - {id: cleanup, uses: exec, with: {run: ['true']}}\n");
  WriteFile(dir, "rb/broken.yaml",
            "version: 1\nname: broken\nsteps:\n  - {id: explode, uses: exec, with: {run: [sh, -c, "
            "'echo the disk is on fire; exit 1']}}\n");
  WriteFile(dir, "rb/nightly.yaml",
            "version: 1\nname: nightly\nkind: backup\nsteps:\n"
            "  - {id: dump, uses: backup, with: {database: live.db, dest: dumps}}\n");
  WriteFile(dir, "rb/drill.yaml",
            "version: 1\nname: drill\nkind: drill\nobjectives:\n  rto: 2h\nsteps:\n"
            "  - {id: newest, uses: exec, with: {run: [sh, -c, 'echo \"file=$(ls dumps/*.gz | "
            "tail -1)\" >> \"$RUNBOOK_OUTPUT\"']}}\n"
            "  - {id: check, uses: integrity-check, needs: [newest], with: {source: "
            "'${{ steps.newest.outputs.file }}', workspace: ws}}\n");
  ServeProcess serve(dir);
  for (const char* book : {"nightly", "drill"}) {
    std::string id =
        serve.Json("POST", std::string("/api/v1/runbooks/") + book + "/runs", 201, "{}")
            .Find("run_id")
            ->as_string();
    REQUIRE(serve.Finished(id) == "success");
  }
  std::string shots = std::string(RUNBOOK_ARTIFACTS_DIR) + "/web-flows";
  std::filesystem::create_directories(shots);
  Command c = Shell("node " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/web/flows.mjs " +
                        serve.Url() + " " + shots,
                    240);
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  auto out = ParseJson(c.out);
  REQUIRE(out.ok());
  const Value& r = out.value();
  CHECK(r.Find("error") == nullptr);
  CHECK(r.Find("passed")->as_list().size() == 10);
  // The PDF the run page links to is the failed run's report, its error in it.
  REQUIRE(r.Find("pdf") != nullptr);
  Command text = Shell("pdftotext " + r.Find("pdf")->as_string() + " -");
  CHECK_THAT(text.out, Catch::Contains("the disk is on fire") && Catch::Contains("explode") &&
                           Catch::Contains("page 1 of"));
  CHECK(r.Find("console_errors")->as_list().empty());
  REQUIRE(r.Find("axe")->as_map().size() >= 13);
  for (const auto& [page, violations] : r.Find("axe")->as_map()) {
    INFO(page);
    CHECK(violations.as_list().empty());
  }
  for (const auto& [page, px] : r.Find("overflow")->as_map()) {
    INFO(page);
    CHECK(px.as_int() <= 0);  // nothing wider than a 390 px screen
  }
  int64_t blank = r.Find("blank_bytes")->as_int();
  for (const auto& [name, bytes] : r.Find("screenshots")->as_map()) {
    INFO(name);
    CHECK(bytes.as_int() > 2 * blank);
  }
}

TEST_CASE("web UI: a run waiting for its lock is listed as starting with what it waits for",
          "[web][serve]") {
  // Newcomer round of issue 16: a run waiting for its lock (not recorded yet) was missing
  // from the runs page while /metrics counted it running.
  REQUIRE(EmbeddedUi().built);
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/rb " + dir + "/store");
  const std::string gate = dir + "/gate";
  WriteFile(dir, "rb/holder.yaml",
            "version: 1\nname: holder\nlock: shared\nsteps:\n  - {id: w, uses: exec, with: {run: "
            "[sh, -c, 'touch " +
                gate + ".held; while [ ! -e " + gate + ".go ]; do sleep 0.05; done']}}\n");
  WriteFile(dir, "rb/victim.yaml",
            "version: 1\nname: victim\nlock: shared\nparams:\n  tag: {default: web-tag}\n"
            "steps:\n  - {id: s, uses: exec, with: {run: [echo, hi]}}\n");
  int port = FreePort();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  int pid = StartUiServe(dir, port);
  auto start = [&](const std::string& runbook) {
    Command posted = Shell("curl -s -X POST -H 'Content-Type: application/json' -d '{}' " + base +
                           "/api/v1/runbooks/" + runbook + "/runs");
    auto v = ParseJson(posted.out);
    return v.ok() && v.value().Find("run_id") != nullptr ? v.value().Find("run_id")->ToText()
                                                         : std::string();
  };
  std::string holder = start("holder");
  REQUIRE(
      Shell("for i in $(seq 200); do [ -e " + gate + ".held ] && exit 0; sleep 0.1; done; exit 1")
          .exit_code == 0);
  std::string id = start("victim");
  REQUIRE(FileSays(dir + "/store/serve/logs/" + id + ".log", "waiting for lock 'shared'", 20));
  Command c = Shell(
      "node " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/web/starting_run.mjs " + base + " " + id,
      120);
  WriteFile(dir, "gate.go", "");
  StopServer(pid);
  INFO(c.out << c.err);
  auto out = ParseJson(c.out);
  REQUIRE(out.ok());
  CHECK(out.value().Find("error") == nullptr);
  CHECK(out.value().Find("console_errors")->as_list().empty());
  CHECK_THAT(out.value().Find("row")->as_string(),
             Catch::Contains("starting") &&
                 Catch::Contains("waiting for lock 'shared', held by run " + holder));
  CHECK(out.value().Find("cancelled")->as_bool());
  CHECK_THAT(out.value().Find("page")->as_string(),
             Catch::StartsWith("It is not recorded yet: waiting for lock 'shared', held by run " +
                               holder));
  // What it will run with, and who started it (newcomer round of issue 16, #10).
  CHECK_THAT(out.value().Find("facts")->as_string(),
             Catch::Contains("tag=web-tag") && Catch::Contains("API (anonymous)"));
}

TEST_CASE("web UI: with a token, the run page's report links save the reports", "[web][serve]") {
  REQUIRE(EmbeddedUi().built);
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/rb " + dir + "/store " + dir + "/saved");
  WriteFile(dir, "rb/broken.yaml",
            "version: 1\nname: broken\nsteps:\n  - {id: explode, uses: exec, with: {run: [sh, -c, "
            "'echo the disk is on fire; exit 1']}}\n");
  Command add =
      Shell(Binary() + " token add op --role viewer,operator --tokens " + dir + "/tokens");
  REQUIRE(add.exit_code == 0);
  std::string token = add.out.substr(0, add.out.find_first_of(" \n"));
  int port = FreePort();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  int pid = StartServer({Binary(), "serve", "--runbooks", dir + "/rb", "--listen",
                         "127.0.0.1:" + std::to_string(port), "--audit-db", dir + "/store/audit.db",
                         "--tokens", dir + "/tokens"},
                        dir + "/serve.log", port);
  Command started = Shell("curl -s -X POST -H 'Authorization: Bearer " + token +
                          "' -H 'Content-Type: application/json' -d '{}' " + base +
                          "/api/v1/runbooks/broken/runs");
  auto run = ParseJson(started.out);
  INFO(started.out);
  REQUIRE(run.ok());
  std::string id = run.value().Find("run_id")->as_string();
  Shell("sleep 2");  // the run ends (one step)
  Command c = Shell("node " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/web/report_links.mjs " +
                        base + " " + token + " " + id + " " + dir + "/saved",
                    120);
  StopServer(pid);
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  auto out = ParseJson(c.out);
  REQUIRE(out.ok());
  const Value& r = out.value();
  CHECK(r.Find("error") == nullptr);
  CHECK(r.Find("alerts")->as_list().empty());
  CHECK(r.Find("console_errors")->as_list().empty());
  const Value* saved = r.Find("saved");
  REQUIRE(saved != nullptr);
  CHECK(saved->Find("pdf")->Find("name")->as_string() == id + ".pdf");
  CHECK(saved->Find("pdf")->Find("head")->as_string().rfind("%PDF-", 0) == 0);
  CHECK(saved->Find("html")->Find("head")->as_string().rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(saved->Find("md")->Find("head")->as_string().rfind("## Runbook", 0) == 0);
  CHECK_THAT(Shell("pdftotext " + dir + "/saved/" + id + ".pdf -").out,
             Catch::Contains("the disk is on fire"));
}
