// The seed as code, end to end with real parts: the demo backend (Node, better-sqlite3)
// under write load, runbooks/backup.yaml into s3rver, runbooks/drill.yaml restoring from the
// bucket (the local backups are deleted first), a corrupted dump stopping the drill before
// anything is restored, and runbooks/canary-check.yaml rolling a flag back on +40 % latency.
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <thread>

#include "engine/util/json.h"
#include "support/s3rver.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const std::string kSource = RUNBOOK_SOURCE_DIR;
const std::string kAws =
    "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 ";

// A scratch root with a copy of the demo backend (its node_modules linked, not copied), the
// shipped runbooks in runbooks/ (their working_directory, `..`, is the root: paths below
// resolve there, as in a team's project that adopted them) and the backup signing keys
// where the runbooks look for them by default.
std::string DemoRoot() {
  std::string root = TempDir(), demo = kSource + "/examples/demo-backend";
  REQUIRE(Shell("test -d " + demo + "/node_modules/better-sqlite3").exit_code == 0);
  Command c =
      Shell("set -e; cd " + root + " && mkdir -p backend runbooks .runbook/keys && cp " + kSource +
            "/runbooks/*.yaml runbooks/ && cp -r " + kSource + "/runbooks/lib runbooks/ && cp -r " +
            demo + "/src " + demo + "/scripts " + demo + "/test " + demo + "/config " + demo +
            "/package.json " + demo + "/package-lock.json backend/ && ln -s " + demo +
            "/node_modules backend/node_modules && openssl genpkey -algorithm ed25519 "
            "-out .runbook/keys/backup-signing.pem && openssl pkey -in "
            ".runbook/keys/backup-signing.pem -pubout -out "
            ".runbook/keys/backup-signing.pub.pem && cd backend && npm run --silent seed "
            "-- --force");
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  return root;
}

Command RunShipped(const std::string& root, const std::string& name, const std::string& sets,
                   int timeout = 180) {
  return Shell("cd " + root + " && " + kAws + Binary() + " run runbooks/" + name +
                   ".yaml --audit-db audit.db --set backend=backend " + sets,
               timeout);
}

std::string S3Sets(const S3rver& s3) {
  return "--set remote=s3://backups/daily --set endpoint=" + s3.endpoint();
}

Value LastRun(const std::string& root, const std::string& runbook) {
  Command h = Shell("cd " + root + " && " + Binary() + " history --audit-db audit.db --runbook " +
                    runbook + " --limit 1 --format json");
  auto v = ParseJson(h.out);
  REQUIRE(v.ok());
  REQUIRE(v.value().as_list().size() == 1);
  return v.value().as_list()[0];
}

std::string Sqlite(const std::string& db, const std::string& sql) {
  return Shell("sqlite3 '" + db + "' \"" + sql + "\"").out;
}

// The live backend on a free port with the write-load generator against it.
struct LiveBackend {
  explicit LiveBackend(const std::string& root) : port(FreePort()) {
    std::string p = std::to_string(port);
    server = StartServer(
        {"sh", "-c", "cd " + root + "/backend && PORT=" + p + " exec node src/server.js"},
        root + "/live.log", port);
    load = StartBackground({"sh", "-c",
                            "cd " + root +
                                "/backend && exec node scripts/write-load.js "
                                "--url http://127.0.0.1:" +
                                p + " --rate 100"},
                           root + "/load.log");
  }
  ~LiveBackend() { Stop(); }
  void Stop() {
    StopServer(load);
    StopServer(server);
    load = server = 0;
  }
  int port;
  int server = 0;
  int load = 0;
};

}  // namespace

TEST_CASE("seed as code: backup under write load to S3, drill from the bucket, RTO met",
          "[e2e][seed][s3]") {
  std::string root = DemoRoot();
  S3rver s3("backups");
  std::string live_db = root + "/backend/data/app.sqlite";
  LiveBackend live(root);
  // Orders are being written (on a loaded machine the first one may take a few seconds).
  std::string before_backup = "0";
  for (int i = 0; i < 150 && std::atoi(before_backup.c_str()) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    before_backup = Sqlite(live_db, "SELECT count(*) FROM orders");
  }

  Command backup =
      RunShipped(root, "backup", S3Sets(s3) + " --set database=backend/data/app.sqlite");
  INFO(backup.err);
  REQUIRE(backup.exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  live.Stop();
  // The dump was taken while the backend wrote: orders before it and after it.
  CHECK(std::stoi(before_backup) > 0);
  CHECK(std::stoi(Sqlite(live_db, "SELECT count(*) FROM orders")) > std::stoi(before_backup));
  CHECK(ReadFile(root + "/load.log").find("wrote ") != std::string::npos);
  // The dump and its signed metadata are in the bucket; the inventory has the ETags.
  Command listed =
      Shell(kAws + "aws --endpoint-url " + s3.endpoint() + " s3 ls s3://backups/daily/");
  CHECK(listed.out.find(".sqlite.gz.meta.json") != std::string::npos);
  CHECK(ReadFile(root + "/backend/docs/inventory.json").find("\"etag\"") != std::string::npos);

  // The drill must come from the bucket: the local backups are gone.
  Shell("rm -rf " + root + "/backend/backups");
  std::string live_sum = Shell("sha256sum " + live_db).out;
  int drill_port = FreePort();
  Command drill = RunShipped(root, "drill",
                             S3Sets(s3) + " --set port=" + std::to_string(drill_port) +
                                 " --set 'provision_command=echo staging > provisioned'");
  INFO(drill.err);
  REQUIRE(drill.exit_code == 0);
  CHECK(drill.err.find("test-ci") != std::string::npos);
  CHECK(ReadFile(root + "/provisioned") == "staging\n");  // the IaC hook ran first
  CHECK(drill.err.find("RTO ") != std::string::npos);
  Value run = LastRun(root, "drill");
  CHECK(run.Find("status")->ToText() == "success");
  CHECK(run.Find("objectives_met")->as_bool());
  CHECK(run.Find("rto_ms")->as_int() < run.Find("rto_objective_ms")->as_int());
  CHECK(run.Find("rto_objective_ms")->as_int() == 2 * 3600 * 1000);
  // Restored in isolation: the live database is byte for byte what it was.
  CHECK(Shell("sha256sum " + live_db).out == live_sum);
  CHECK_FALSE(Shell("test -e " + live_db + ".before-restore").exit_code == 0);
  std::string restored = root + "/backend/tmp/db-restore.sqlite";
  CHECK(Sqlite(restored, "PRAGMA integrity_check") == "ok\n");
  CHECK(std::stoi(Sqlite(restored, "SELECT count(*) FROM orders")) > 0);
  std::string report = Shell("ls " + root + "/backend/reports/drill/drill-*.md").out;
  REQUIRE_FALSE(report.empty());
  std::string md = ReadFile(report.substr(0, report.size() - 1));
  CHECK(md.find("integrity: ok: 100 % (4 tables, ") != std::string::npos);
  CHECK(md.find("test:ci: success, test:contract: success, synthetic checks: success") !=
        std::string::npos);
  CHECK_FALSE(Accepts(drill_port));  // the backend it started is stopped
  Command verify = Shell("cd " + root + " && " + Binary() + " audit verify --audit-db audit.db");
  CHECK(verify.exit_code == 0);
  Command run_md = Shell("cd " + root + " && " + Binary() + " report " +
                         run.Find("run_id")->ToText() + " --audit-db audit.db --format md");
  CHECK(run_md.out.find("- `dump.integrity.integrity = ok: 100 % (4 tables, ") !=
        std::string::npos);
  Command html = Shell("cd " + root + " && " + Binary() + " report " +
                       run.Find("run_id")->ToText() + " --audit-db audit.db --format html");
  CHECK(html.out.find("drill") != std::string::npos);
  CHECK(html.out.find("service 'backend' (pid ") != std::string::npos);  // and how it stopped
  CHECK(html.out.find("stopped with SIGTERM (exit code 0)") != std::string::npos);
  CHECK(html.out.find("<li><code>dump.integrity.integrity = ok: 100 % (4 tables, ") !=
        std::string::npos);
}

TEST_CASE("seed as code: a corrupted dump in the bucket stops the drill before any restore",
          "[e2e][seed][s3]") {
  std::string root = DemoRoot();
  S3rver s3("backups");
  // Two backups (a second apart: dumps are named by the second); the newer gets damaged.
  REQUIRE(RunShipped(root, "backup", S3Sets(s3) + " --set database=backend/data/app.sqlite")
              .exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  REQUIRE(RunShipped(root, "backup", S3Sets(s3) + " --set database=backend/data/app.sqlite")
              .exit_code == 0);
  std::string dumps = Shell("cd " + root + "/backend/backups && ls *.sqlite.gz | sort").out;
  std::string older = dumps.substr(0, dumps.find('\n'));
  std::string dump = dumps.substr(older.size() + 1);
  dump.pop_back();
  REQUIRE(dump.size() == older.size());
  // Replace the newer dump in the bucket with a damaged copy (same name, one byte changed).
  Shell("cd " + root + " && cp backend/backups/" + dump +
        " bad.gz && printf 'X' | dd of=bad.gz "
        "bs=1 seek=100 conv=notrunc 2>/dev/null");
  REQUIRE(Shell(kAws + "aws --endpoint-url " + s3.endpoint() + " s3 cp " + root +
                "/bad.gz s3://backups/daily/" + dump + " --only-show-errors")
              .exit_code == 0);
  Command drill =
      RunShipped(root, "drill", S3Sets(s3) + " --set port=" + std::to_string(FreePort()));
  CHECK(drill.exit_code == 1);
  CHECK(drill.err.find("FAIL dump.verify") != std::string::npos);
  CHECK(drill.err.find("sha256") != std::string::npos);
  CHECK(drill.err.find("skip restore") != std::string::npos);
  CHECK(drill.err.find("skip backend") != std::string::npos);
  // A resume would verify the same dump again: the drill names the way on (breakM M20).
  CHECK(drill.err.find("start a new run with an older dump, --set dump=NAME, one of:") !=
        std::string::npos);
  CHECK(drill.err.find("other-dump | " + older) != std::string::npos);
  CHECK(Shell("test -e " + root + "/backend/tmp/db-restore.sqlite").exit_code != 0);
  std::string report = Shell("cat " + root + "/backend/reports/drill/drill-*.md").out;
  CHECK(report.find("result: failure") != std::string::npos);
  // The operator's way out: the previous dump, by name.
  Command previous =
      RunShipped(root, "drill",
                 S3Sets(s3) + " --set dump=" + older + " --set port=" + std::to_string(FreePort()));
  INFO(previous.err);
  CHECK(previous.exit_code == 0);
  CHECK(previous.err.find("dump: backend/tmp/drill/download/" + older) != std::string::npos);
  Command missing = RunShipped(root, "drill", S3Sets(s3) + " --set dump=no-such.sqlite.gz");
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("no dump 'no-such.sqlite.gz' in the off-site copy; it has:") !=
        std::string::npos);
}

TEST_CASE("seed as code: canary-check rolls the flag back on +40 % latency, marks a clean one good",
          "[e2e][seed][canary][timing]") {
  std::string root = DemoRoot();
  std::string port = std::to_string(FreePort());
  AlertmanagerServer am;  // "debe disparar un alerta": the regression is an alert there
  std::string sets = "--set port=" + port + " --set alertmanager=" + am.url() +
                     " --set flags=backend/config/flags.json --set reports=backend/reports "
                     "--set iterations=6 --set inject_latency_ms=";
  auto rollout = [&] {
    auto flags = ParseJson(ReadFile(root + "/backend/config/flags.json"));
    REQUIRE(flags.ok());
    return flags.value().Find("flags")->Find("flag.analyticsIngest")->Find("rollout")->as_int();
  };
  // The first clean run: no baseline yet, so it becomes the baseline and 25 % is good.
  // 300 ms a request: a scheduling hiccup of tens of ms stays far below the 25 % thresholds.
  Command first = RunShipped(root, "canary-check", sets + "300");
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.err.find("canary healthy: flag.analyticsIngest at 25 % marked good") !=
        std::string::npos);
  // A canary step raises the rollout; the release under it is 40 % slower.
  WriteFile(root, "raise.yaml",
            "version: 1\nname: raise\nsteps:\n  - {id: raise, uses: flag-update, with: {file: "
            "backend/config/flags.json, flag: flag.analyticsIngest, rollout: 50}}\n");
  REQUIRE(
      Shell("cd " + root + " && " + Binary() + " run raise.yaml --audit-db audit.db").exit_code ==
      0);
  REQUIRE(rollout() == 50);
  Command slow = RunShipped(root, "canary-check", sets + "420");
  INFO(slow.err);
  CHECK(slow.exit_code == 1);
  CHECK(slow.err.find("canary regressed: ") != std::string::npos);
  CHECK(slow.err.find("flag.analyticsIngest rolled back to 25 %") != std::string::npos);
  CHECK(rollout() == 25);
  CHECK_THAT(am.ActiveAlerts(), Catch::Contains("\"alertname\":\"RunbookFailed\"") &&
                                    Catch::Contains("\"runbook\":\"canary-check\""));
  // The evidence is there either way.
  std::string obs = root + "/backend/reports/observability/";
  CHECK(ReadFile(obs + "dashboard-summary.md").find("| checkout |") != std::string::npos);
  CHECK(ReadFile(obs + "metrics-snapshot.txt").find("http_request_duration_seconds_bucket") !=
        std::string::npos);
  Command zip = Shell(
      "python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
      "print(z.testzip(), sorted(z.namelist()))\" " +
      root + "/backend/reports/release/release-bundle.zip");
  CHECK(zip.out.find("None") == 0);
  CHECK(zip.out.find("synthetic-report.json") != std::string::npos);
  CHECK(zip.out.find("observability-artifacts.zip") != std::string::npos);
  CHECK(zip.out.find("sbom.json") != std::string::npos);
  // A clean run after the rollback passes against the baseline and marks 25 % good again.
  Command clean = RunShipped(root, "canary-check", sets + "300");
  INFO(clean.err);
  CHECK(clean.exit_code == 0);
  std::string history = ReadFile(root + "/backend/config/flags.json.history.jsonl");
  history.pop_back();
  std::string last = history.substr(history.rfind('\n') + 1);
  CHECK(last.find("\"good\":true") != std::string::npos);
  CHECK(last.find("\"step\":\"mark-good\"") != std::string::npos);
  CHECK(last.find("\"to\":25") != std::string::npos);
}

TEST_CASE(
    "seed as code: restore.yaml replaces the database from the bucket, re-seeds a partial "
    "snapshot, validates, switches",
    "[e2e][seed][s3]") {
  std::string root = DemoRoot();
  S3rver s3("backups");
  std::string db = root + "/backend/data/app.sqlite";
  // A partial snapshot: no users (the smoke user is gone), orders kept.
  Sqlite(db, "DELETE FROM users");
  REQUIRE(RunShipped(root, "backup", S3Sets(s3) + " --set database=backend/data/app.sqlite")
              .exit_code == 0);
  Sqlite(db, "CREATE TABLE after_backup(x)");  // the live database moved on
  std::string sets = S3Sets(s3) + " --set database=backend/data/app.sqlite --set port=" +
                     std::to_string(FreePort());
  Command restore = RunShipped(root, "restore", sets + " --approve declare --approve switch");
  INFO(restore.err);
  REQUIRE(restore.exit_code == 0);
  CHECK(restore.err.find("start seed (npm-run)") != std::string::npos);  // partial: re-seeded
  CHECK(restore.err.find("ok   switched") != std::string::npos);
  CHECK(Sqlite(db, "SELECT count(*) FROM users WHERE email = 'smoke@puranatura.test'") == "1\n");
  CHECK(Sqlite(db, "SELECT count(*) FROM sqlite_master WHERE name = 'after_backup'") == "0\n");
  CHECK(Sqlite(db + ".before-restore",
               "SELECT count(*) FROM sqlite_master WHERE name = 'after_backup'") == "1\n");
  CHECK(ReadFile(root + "/backend/.env.local").find("DATABASE_PATH=" + db) == 0);
  Value run = LastRun(root, "restore");
  CHECK(run.Find("objectives_met")->as_bool());
  // With a switch hook no person is needed for the switch.
  Command hooked = RunShipped(root, "restore",
                              sets + " --approve declare --set 'switch_command=touch switched'");
  CHECK(hooked.exit_code == 0);
  CHECK(Shell("test -f " + root + "/switched").exit_code == 0);
  CHECK(hooked.err.find("skip switch ") != std::string::npos);
}

TEST_CASE("seed as code: the drill picks the newest dump of its own database and instance",
          "[e2e][seed]") {
  // breakM M18: dumps of another database (app_eu-... sorts after app-...) and of another
  // host in the same off-site folder were "the newest", restored into production.
  std::string root = DemoRoot();
  REQUIRE(Shell("cp " + root + "/backend/data/app.sqlite " + root + "/backend/data/app_eu.sqlite")
              .exit_code == 0);
  REQUIRE(RunShipped(root, "backup", "--set database=backend/data/app.sqlite").exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  REQUIRE(RunShipped(root, "backup", "--set database=backend/data/app_eu.sqlite").exit_code == 0);
  // The public key is missing: the drill stops at `verify`, right after the pick.
  std::string pick = "--set database=backend/data/app.sqlite --set public_key=missing.pem";
  Command drill = RunShipped(root, "drill", pick);
  INFO(drill.err);
  CHECK(drill.exit_code == 1);
  CHECK_THAT(drill.err, Catch::Contains("dump: backend/tmp/drill/download/app-") &&
                            !Catch::Contains("dump: backend/tmp/drill/download/app_eu-"));
  // A second host's dumps of the same database in the same folder: the drill will not guess.
  if (Shell("unshare -u true").exit_code != 0) {
    WARN("cannot make a UTS namespace here (needs root): the second host is not tested");
    return;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Command other =
      Shell("cd " + root + " && unshare -u sh -c 'hostname staging-host && exec \"$0\" \"$@\"' " +
            Binary() +
            " run runbooks/backup.yaml --audit-db audit.db --set backend=backend "
            "--set database=backend/data/app.sqlite");
  REQUIRE(other.exit_code == 0);
  Command two = RunShipped(root, "drill", pick);
  CHECK(two.exit_code == 1);
  CHECK_THAT(two.err, Catch::Contains("dumps of database 'app' come from 2 instances") &&
                          Catch::Contains("--set instance=NAME"));
  Command chosen = RunShipped(root, "drill", pick + " --set instance=staging-host");
  CHECK_THAT(chosen.err, Catch::Contains("on instance staging-host)"));
}

TEST_CASE(
    "serve on the demo: a scheduled backup to a broken bucket alerts, an approval is "
    "answered through the API",
    "[e2e][seed][serve]") {
  std::string root = DemoRoot();
  S3rver s3("backups");
  AlertmanagerServer am;
  // A good backup in the bucket, for the restore below.
  REQUIRE(RunShipped(root, "backup", S3Sets(s3) + " --set database=backend/data/app.sqlite")
              .exit_code == 0);
  // The shipped backup's schedule, moved to the minute of 150 s ago, hourly, with params that
  // point at a bucket that does not exist; serve last ticked ten minutes ago: a missed fire.
  std::time_t missed = std::time(nullptr) - 150;
  std::tm tm{};
  gmtime_r(&missed, &tm);
  std::string backup = ReadFile(root + "/runbooks/backup.yaml");
  size_t at = backup.find("    - cron: \"0 3 * * *\"\n      timezone: Europe/Madrid\n");
  REQUIRE(at != std::string::npos);
  backup.replace(at,
                 std::string("    - cron: \"0 3 * * *\"\n      timezone: Europe/Madrid\n").size(),
                 "    - cron: \"" + std::to_string(tm.tm_min) +
                     " * * * *\"\n"
                     "      params: {backend: backend, database: backend/data/app.sqlite, "
                     "remote: 's3://no-such-bucket/daily', endpoint: '" +
                     s3.endpoint() + "', alertmanager: '" + am.url() + "'}\n");
  WriteFile(root, "runbooks/backup.yaml", backup);
  Shell("mkdir -p " + root + "/serve");
  std::time_t before = std::time(nullptr) - 600;
  gmtime_r(&before, &tm);
  char last[32];
  std::strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  WriteFile(root, "serve/scheduler.json", std::string("{\"last_tick\": \"") + last + "\"}\n");
  int port = FreePort();
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  int pid = StartServer(
      {"env", "AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=S3RVER",
       "AWS_DEFAULT_REGION=us-east-1", Binary(), "serve", "--runbooks", root + "/runbooks",
       "--listen", "127.0.0.1:" + std::to_string(port), "--audit-db", root + "/audit.db"},
      root + "/serve.log", port);
  auto log_says = [&](const std::string& text, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (ReadFile(root + "/serve.log").find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  // The backup fires, fails on the missing bucket, and Alertmanager has the alert.
  REQUIRE(log_says("fired backup (", 20));
  REQUIRE(log_says(" ended, exit 1", 120));
  CHECK_THAT(am.ActiveAlerts(), Catch::Contains("\"alertname\":\"RunbookFailed\"") &&
                                    Catch::Contains("\"runbook\":\"backup\""));
  // A restore started through the API waits at its gates; both are answered through it.
  auto post = [&](const std::string& path, const std::string& body) {
    return Shell("curl -s -X POST -H 'Content-Type: application/json' -d '" + body + "' '" + url +
                 path + "'");
  };
  Command started =
      post("/api/v1/runbooks/restore/runs",
           "{\"params\": {\"backend\": \"backend\", \"database\": "
           "\"backend/data/app.sqlite\", \"remote\": \"s3://backups/daily\", "
           "\"endpoint\": \"" +
               s3.endpoint() + "\", \"port\": \"" + std::to_string(FreePort()) + "\"}}");
  auto id = ParseJson(started.out);
  REQUIRE(id.ok());
  std::string run = id.value().Find("run_id")->as_string();
  auto answer = [&](const std::string& step, const std::string& body) {
    for (int i = 0; i < 1500; ++i) {  // the checks before `switch` take a while
      if (post("/api/v1/runs/" + run + "/approvals/" + step, body).out.find("\"approve\"") !=
          std::string::npos)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  REQUIRE(answer("declare", "{\"approve\": true, \"inputs\": {\"ticket\": \"INC-7\"}}"));
  REQUIRE(answer("switch", "{\"approve\": true}"));
  REQUIRE(log_says("run " + run + " ended, exit 0", 120));
  Command show = Shell(Binary() + " show " + run + " --audit-db " + root + "/audit.db");
  CHECK_THAT(show.out, Catch::Contains("triggered by API call by anonymous"));
  CHECK_THAT(show.out, Catch::Contains("INC-7"));
  StopServer(pid);
}
