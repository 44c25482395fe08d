// serve's API for auditors and the web UI: the backup catalog, the audit chain's state, who
// calls and what started each run, against a real serve and real SQLite backups.
#include <catch2/catch.hpp>

#include "engine/util/json.h"
#include "support/serve_process.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("serve: the backup catalog and the audit chain's state, as the CLI gives them",
          "[serve][api][backups]") {
  std::string dir = ServeDir();
  Shell("cd " + dir + "/rb && sqlite3 live.db 'create table t(a); insert into t values (1)'");
  WriteFile(dir, "rb/nightly.yaml",
            "version: 1\nname: nightly\nkind: backup\nsteps:\n"
            "  - {id: dump, uses: backup, with: {database: live.db, dest: dumps}}\n");
  WriteFile(dir, "rb/drill.yaml",
            "version: 1\nname: drill\nkind: drill\nsteps:\n"
            "  - {id: newest, uses: exec, with: {run: [sh, -c, 'echo \"file=$(ls dumps/*.gz | "
            "tail -1)\" >> \"$RUNBOOK_OUTPUT\"']}}\n"
            "  - {id: check, uses: integrity-check, needs: [newest], with: {source: "
            "'${{ steps.newest.outputs.file }}', workspace: ws}}\n");
  ServeProcess serve(dir);
  std::string backup =
      serve.Json("POST", "/api/v1/runbooks/nightly/runs", 201, "{}").Find("run_id")->as_string();
  REQUIRE(serve.Finished(backup) == "success");
  std::string drill =
      serve.Json("POST", "/api/v1/runbooks/drill/runs", 201, "{}").Find("run_id")->as_string();
  REQUIRE(serve.Finished(drill) == "success");

  Value api = serve.Json("GET", "/api/v1/backups", 200);
  auto cli = ParseJson(
      Shell(Binary() + " backups --format json --audit-db " + dir + "/store/audit.db").out);
  REQUIRE(cli.ok());
  REQUIRE(api.Find("dumps")->as_list().size() == 1);
  const Value& dump = api.Find("dumps")->as_list()[0];
  CHECK(dump.Find("sha256")->as_string() ==
        cli.value().Find("dumps")->as_list()[0].Find("sha256")->as_string());
  REQUIRE(dump.Find("verified_by")->as_list().size() == 1);
  CHECK(dump.Find("verified_by")->as_list()[0].Find("run_id")->as_string() == drill);
  CHECK(serve.Json("GET", "/api/v1/backups?runbook=drill", 200).Find("dumps")->as_list().empty());

  // What started each run, and who: in the run list.
  Value runs = serve.Json("GET", "/api/v1/runs", 200);
  REQUIRE(runs.as_list().size() == 2);
  CHECK(runs.as_list()[0].Find("trigger")->Find("kind")->as_string() == "api");
  CHECK_FALSE(runs.as_list()[0].Find("user")->as_string().empty());

  Value audit = serve.Json("GET", "/api/v1/audit", 200);
  CHECK(audit.Find("ok")->as_bool());
  CHECK(audit.Find("events")->as_int() > 4);
  CHECK(audit.Find("head")->Find("seq")->as_int() == audit.Find("events")->as_int());
  CHECK(audit.Find("head")->Find("hash")->as_string().size() == 64);
  // An event edited behind the store's back: the chain's state says where.
  std::string db = dir + "/store/audit.db";
  std::string seq = Shell(kSqliteWaiting + db +
                          " \"select seq from events where kind = "
                          "'run_started' and run_id = '" +
                          backup + "'\"")
                        .out;
  REQUIRE(Shell(kSqliteWaiting + db + " \"update events set body = body || ' ' where seq = " + seq +
                "\"")
              .exit_code == 0);
  audit = serve.Json("GET", "/api/v1/audit", 200);
  CHECK_FALSE(audit.Find("ok")->as_bool());
  CHECK(std::to_string(audit.Find("first_bad_seq")->as_int()) + "\n" == seq);
  CHECK_THAT(Shell("curl -sI " + serve.Url() + "/api/v1/backups").out,
             Catch::Contains("X-Store-Altered: the audit chain is broken"));

  Value me = serve.Json("GET", "/api/v1/me", 200);
  CHECK(me.Find("name")->as_string() == "anonymous");
  CHECK(me.Find("roles")->as_list().size() == 3);
}

TEST_CASE("serve: /api/v1/me names the token and only the roles it has", "[serve][api][tokens]") {
  std::string dir = ServeDir();
  WriteFile(dir, "rb/hello.yaml",
            "version: 1\nname: hello\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
  std::string tokens = dir + "/tokens";
  std::string viewer = Shell(Binary() + " token add vera --role viewer --tokens " + tokens).out;
  std::string approver = Shell(Binary() + " token add abe --role approver --tokens " + tokens).out;
  viewer = viewer.substr(0, viewer.find('\n'));
  approver = approver.substr(0, approver.find('\n'));
  ServeProcess serve(dir, {"--tokens", tokens});
  serve.Token(viewer);
  Value me = serve.Json("GET", "/api/v1/me", 200);
  CHECK(me.Find("name")->as_string() == "vera");
  CHECK(me.Find("roles")->as_list().size() == 1);
  serve.Token(approver);
  me = serve.Json("GET", "/api/v1/me", 200);
  CHECK(me.Find("name")->as_string() == "abe");
  REQUIRE(me.Find("roles")->as_list().size() == 2);
  CHECK(me.Find("roles")->as_list()[1].as_string() == "approver");
  serve.Token("");
  CHECK_THAT(serve.Http("GET", "/api/v1/me").out, Catch::EndsWith("401"));
}

// The run page's report links (issue 17): the HTML, the Markdown and the PDF report, each as
// `runbook report` writes it for the same run, none with a script allowed to run.
TEST_CASE("serve gives a run's report as html, md and pdf, the cli's bytes",
          "[serve][api][report][pdf]") {
  std::string dir = ServeDir();
  WriteFile(dir, "rb/broken.yaml",
            "version: 1\nname: broken\nsteps:\n  - {id: explode, uses: exec, with: {run: [sh, "
            "-c, 'echo the disk is on fire; exit 1']}}\n");
  ServeProcess serve(dir);
  std::string id =
      serve.Json("POST", "/api/v1/runbooks/broken/runs", 201, "{}").Find("run_id")->as_string();
  REQUIRE(serve.Finished(id) == "failure");
  std::string db = dir + "/store/audit.db";
  for (const char* format : {"html", "md", "pdf"}) {
    CAPTURE(format);
    std::string url = serve.Url() + "/api/v1/runs/" + id + "/report." + format;
    Command got = Shell("curl -s -D " + dir + "/h -o " + dir + "/got '" + url + "'");
    REQUIRE(got.exit_code == 0);
    std::string headers = ReadFile(dir + "/h");
    CHECK_THAT(headers, Catch::Contains("HTTP/1.1 200") &&
                            Catch::Contains("Content-Security-Policy: default-src 'none'"));
    Shell(Binary() + " report " + id + " --format " + format + " --audit-db " + db + " > " + dir +
          "/cli 2>/dev/null");
    CHECK(ReadFile(dir + "/got") == ReadFile(dir + "/cli"));
    // Not an empty body: the run's id is in the text (the PDF's is compressed: pdftotext).
    CHECK_THAT(std::string(format) == "pdf" ? Shell("pdftotext " + dir + "/got -").out
                                            : ReadFile(dir + "/got"),
               Catch::Contains(id));
  }
  CHECK_THAT(ReadFile(dir + "/h"),
             Catch::Contains("Content-Type: application/pdf") &&
                 Catch::Contains("Content-Disposition: inline; filename=\"" + id + ".pdf\""));
  CHECK_THAT(Shell("pdftotext " + dir + "/got -").out, Catch::Contains("the disk is on fire"));
  serve.Json("GET", "/api/v1/runs/20990101T000000Z-000000/report.pdf", 404);
}

// breakHH HH1: reports drawn at once by serve's request threads crashed it in Graphviz
// (libcgraph), and the runs it was running were interrupted. Reports of both formats that
// draw the graph, many at a time; serve answers them all and its running run goes on.
TEST_CASE("serve draws reports for many callers at once and keeps running",
          "[serve][api][report][pdf]") {
  std::string dir = ServeDir();
  std::string steps;
  for (int i = 0; i < 12; ++i)
    steps += "  - {id: s" + std::to_string(i) + ", uses: exec, " +
             (i ? "needs: [s" + std::to_string(i - 1) + "], " : std::string()) +
             "with: {run: ['true']}}\n";
  WriteFile(dir, "rb/chain.yaml", "version: 1\nname: chain\nsteps:\n" + steps);
  WriteFile(
      dir, "rb/slow.yaml",
      "version: 1\nname: slow\nsteps:\n  - {id: a, uses: exec, with: {run: [sleep, '60']}}\n");
  ServeProcess serve(dir);
  std::string id =
      serve.Json("POST", "/api/v1/runbooks/chain/runs", 201, "{}").Find("run_id")->as_string();
  REQUIRE(serve.Finished(id) == "success");
  std::string slow =
      serve.Json("POST", "/api/v1/runbooks/slow/runs", 201, "{}").Find("run_id")->as_string();
  std::string url = serve.Url() + "/api/v1/runs/" + id + "/report.";
  Command codes =
      Shell("for i in $(seq 120); do echo " + url + "pdf; echo " + url +
                "html; done | xargs -P 8 -n 1 curl -s -o /dev/null -w '%{http_code}\\n' "
                "| sort | uniq -c",
            240);
  CHECK_THAT(codes.out, Catch::Equals("    240 200\n"));
  CHECK(serve.Json("GET", "/api/v1/runs/" + slow, 200).Find("status")->as_string() == "running");
  serve.Json("POST", "/api/v1/runs/" + slow + "/cancel", 202, "{}");
}
