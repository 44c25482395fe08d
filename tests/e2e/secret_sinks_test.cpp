// Every sink against every form of a declared secret: steps print it plain and encoded
// (percent in both cases, form, JSON, hex, base64 and base64url, HTML, two layers stacked:
// JSON percent-encoded, JSON in JSON, percent twice; shell-quoted as `printf %q` does, a CSV
// field, base64 wrapped at 76 columns), use it as an output name
// and value, fail with it, cut through it (a 4 KiB line, the 32 KiB capture window), put it
// in a service's log and in a probe's URL, end the run failing with every form in its error
// (which every notification channel carries: a webhook, Slack, email through a real SMTP
// server, Debian's Alertmanager); then no sink holds any form of it, nor a piece of 10
// characters of it.
#include <catch2/catch.hpp>
#include <functional>
#include <sstream>

#include "support/serve_witnesses.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const std::string kSecret = "Zq9!x V/7\"\xc3\xa4-hunter2~s3cr";
const std::string kName = "tok_9f8e7d6c5b4a";  // a second secret, used as an output name

// Prints every form of $TOKEN, one per line, each inside other text.
const char* kForms =
    "import base64, html, json, os, re, urllib.parse as u\n"
    "s = os.environ['TOKEN']; b = s.encode()\n"
    "low = re.sub('%[0-9A-F]{2}', lambda m: m.group(0).lower(), u.quote(s, safe=''))\n"
    "forms = [s, u.quote(s, safe=''), low, u.quote_plus(s),\n"
    "  json.dumps(s), json.dumps(s, ensure_ascii=False), json.dumps(s).replace('/', '\\\\/'),\n"
    "  b.hex(), b.hex().upper(), base64.b64encode(b'user:' + b).decode(),\n"
    "  base64.urlsafe_b64encode(b'x' + b).decode().rstrip('='),\n"
    "  base64.b64encode(b'ab' + b + b'cd').decode(),\n"
    "  html.escape(s), ''.join('&#%d;' % ord(c) for c in s),\n"
    "  u.quote(json.dumps(s), safe=''), json.dumps(json.dumps(s)),\n"
    "  u.quote(u.quote(s, safe=''), safe=''),\n"
    "  ''.join('\\\\' + c if c.isascii() and not c.isalnum() and c not in '_./-' else c\n"
    "          for c in s),\n"                                // bash's printf %q
    "  '\"' + s.replace('\"', '\"\"') + '\"',\n"              // a CSV field
    "  base64.encodebytes(b'x' + b * 3).decode().strip()]\n"  // wrapped at 76 columns
    "for f in forms: print('form<' + f + '>')\n"
    "if len(os.sys.argv) > 1: print(' '.join(forms), file=os.sys.stderr); os.sys.exit(3)\n";

// `notify`: the runbook's notify entries. Its last step fails with every form on the one
// line its error quotes, after all others.
std::string RunbookText(int port, const std::string& notify) {
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  return "version: 1\nname: s\nsecrets:\n  token: {env: TOKEN}\n  name: {env: NAME}\n"
         "notify:\n" +
         notify +
         "steps:\n"
         "  - id: last\n    uses: exec\n"
         "    needs: [print, to-stderr, outputs, cuts, fails, expression, service, probe]\n"
         "    with: {run: [python3, forms.py, line]}\n"
         "  - id: print\n    uses: exec\n    with:\n      run: [python3, forms.py]\n"
         "  - id: to-stderr\n    uses: exec\n    with:\n      shell: true\n"
         "      run: python3 forms.py >&2\n"
         "  - id: outputs\n    uses: exec\n    with:\n      shell: true\n      run: |\n"
         "        echo \"$NAME=1\" >> \"$RUNBOOK_OUTPUT\"\n"
         "        echo \"value=$TOKEN\" >> \"$RUNBOOK_OUTPUT\"\n"
         // A line of 5,000 characters with the secret across the 4,096th; then 40 KiB of
         // output with the secret across the 32 KiB head window and across the tail's start.
         "  - id: cuts\n    uses: exec\n    with:\n      run: [python3, cuts.py]\n"
         "  - id: fails\n    uses: exec\n    continue_on_error: true\n    with:\n"
         "      shell: true\n      run: 'python3 forms.py >&2; exit 3'\n"
         "  - id: expression\n    uses: log\n    continue_on_error: true\n"
         "    with: {message: \"${{ fromJSON(secrets.token) }}\"}\n"
         "  - id: service\n    uses: service\n    continue_on_error: true\n"
         "    with: {run: [python3, forms.py], log: svc.log, ready_timeout: 2s,\n"
         "           health: {tcp: '127.0.0.1:" +
         std::to_string(port) +
         "'}}\n"
         "  - id: probe\n    uses: probe\n    continue_on_error: true\n"
         "    with: {kind: http, base_url: '" +
         base +
         "', timeout: 2s, report: probe.json,\n"
         "           journey: [{name: check, path: '/check?token=${{ secrets.token }}'}]}\n";
}

const char* kCuts =
    "import os\n"
    "s = os.environ['TOKEN']\n"
    "print('a' * (4096 - 10) + s + 'b' * 800)\n"
    "body = 'c' * (32 * 1024 - 10 - 4097 - 1) + s + 'd' * 3000\n"
    "print(body)\n"
    "print('e' * 20000)\n"
    "tail = 'f' * 200 + s + 'g' * (32 * 1024 - 5)\n"
    "print(tail, end='')\n";

}  // namespace

TEST_CASE("no sink holds any form or piece of a secret", "[e2e][secrets][sinks]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  WriteFile(dir, "forms.py", kForms);
  WriteFile(dir, "cuts.py", kCuts);
  int port = FreePort();  // nothing listens: the service and the probe fail
  int hook_port = FreePort();
  Receiver hook(dir, "hook", hook_port);
  int smtp_port = FreePort();
  int smtp = StartServer(
      {"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(smtp_port),
       "-c", "aiosmtpd.handlers.Mailbox", dir + "/box"},
      dir + "/smtp.log", smtp_port);
  AlertmanagerServer am;
  std::string hook_url = "http://127.0.0.1:" + std::to_string(hook_port);
  std::string notify = "  - on: [failure]\n    webhook: {url: '" + hook_url +
                       "/hook', secret: '${{ secrets.token }}'}\n"
                       "  - on: [failure]\n    slack: {webhook_url: '" +
                       hook_url +
                       "/slack/T0/B0/x'}\n"
                       "  - on: [failure]\n    email: {smtp: 'smtp://127.0.0.1:" +
                       std::to_string(smtp_port) +
                       "', from: rb@example.test, to: [oncall@example.test], starttls: false}\n"
                       "  - on: [failure]\n    alertmanager: {url: '" +
                       am.url() + "'}\n";
  std::string file = WriteFile(dir, "s.yaml", RunbookText(port, notify));
  std::string env = "cd " + dir + " && TOKEN='" + kSecret + "' NAME=" + kName + " ";
  Command run = Shell(env + "RUNBOOK_NOTIFY_RETRY_MS=50 " + Binary() + " run s.yaml --audit-db " +
                      db + " --metrics-file metrics.prom");
  StopServer(smtp);
  INFO(run.err.substr(0, 3000));
  REQUIRE(run.exit_code == 1);  // the other failing steps continue on error; `last` fails it
  REQUIRE(hook.Paths().size() == 2);
  // What each channel delivered: the webhook's and Slack's bodies as posted, the mail as
  // stored, the alerts' strings as Alertmanager keeps them.
  std::string webhook, slack;
  std::istringstream posts(ReadFile(dir + "/hook.jsonl"));
  for (std::string line; std::getline(posts, line);) {
    Value post = ParseJson(line).value();
    std::string body = post.Find("body")->as_string() + "\n" + ToJson(*post.Find("headers"));
    (post.Find("path")->as_string() == "/hook" ? webhook : slack) += body;
  }
  std::string alerts;
  std::function<void(const Value&)> strings = [&](const Value& v) {
    if (v.is_string()) alerts += v.as_string() + "\n";
    if (v.is_list())
      for (const Value& x : v.as_list()) strings(x);
    if (v.is_map())
      for (const auto& [k, x] : v.as_map()) strings(x);
  };
  strings(ParseJson(am.ActiveAlerts()).value());
  // The error is there, masked: the forms reached every channel's message, not dropped.
  std::string error =
      ParseJson(webhook.substr(0, webhook.find('\n'))).value().Find("error")->as_string();
  CHECK_THAT(error, Catch::StartsWith("step 'last': exit code 3: ***"));
  CHECK_THAT(alerts, Catch::Contains("step 'last': exit code 3: ***"));
  std::string forms = Shell("cd " + dir + " && TOKEN='" + kSecret + "' python3 forms.py").out;
  std::vector<std::string> leaks = {kName};
  for (size_t at = forms.find("form<"); at != std::string::npos; at = forms.find("form<", at)) {
    size_t end = forms.find(">\n", at);
    std::string form = forms.substr(at + 5, end - at - 5);
    for (size_t k = 0; k + 10 <= form.size(); k += 5) leaks.push_back(form.substr(k, 10));
    at = end;
  }
  std::string id = LatestRunId(db);
  auto rb = [&](const std::string& args) { return Shell(Binary() + " " + args).out; };
  std::vector<std::pair<std::string, std::string>> sinks = {
      {"console stdout", run.out},
      {"console stderr", run.err},
      {"store", Shell(kSqliteWaiting + db + " .dump").out},
      {"show", rb("show " + id + " --audit-db " + db)},
      {"report md", rb("report " + id + " --format md --audit-db " + db)},
      {"report json", rb("report " + id + " --format json --audit-db " + db)},
      {"report html", rb("report " + id + " --format html --audit-db " + db)},
      {"report pdf",
       Shell(Binary() + " report " + id + " --format pdf --audit-db " + db + " | pdftotext - -")
           .out},
      {"export", rb("audit export --audit-db " + db)},
      {"history", rb("history --format json --audit-db " + db)},
      {"metrics", Shell("cat " + dir + "/metrics.prom").out},
      {"probe report", Shell("cat " + dir + "/probe.json").out},
      {"service log tail", rb("show " + id + " --audit-db " + db + " | grep -A20 service")},
      {"notification: webhook", webhook},
      {"notification: slack", slack},
      {"notification: email", Shell("cat " + dir + "/box/new/*").out},
      {"notification: alertmanager", alerts},
  };
  for (const auto& [sink, text] : sinks) {
    CAPTURE(sink);
    if (sink != "console stdout") CHECK_FALSE(text.empty());  // the live view is on stderr
    for (const std::string& leak : leaks) {
      CAPTURE(leak);
      CHECK(text.find(leak) == std::string::npos);
    }
  }
  CHECK(run.err.find("form<***>") != std::string::npos);  // masked, not dropped
}

// ---- Process names, expression errors and HTML forms (breakI I1, I5, I6, I16) ----

namespace {

const std::string kProcSecret = "Zq7Hx2Kp9Wm4Tn8Rb3Vy6Jd";  // every 3-byte piece is unusual

// No piece of `secret` of `piece` bytes or more is in `text` (docs/secrets.md: at most 2
// bytes of a secret beside a cut).
void CheckNoPiece(const std::string& sink, const std::string& text, const std::string& secret,
                  size_t piece = 3) {
  CAPTURE(sink, text.substr(0, 4000));
  for (size_t k = 0; k + piece <= secret.size(); ++k) {
    std::string leak = secret.substr(k, piece);
    CAPTURE(leak);
    CHECK(text.find(leak) == std::string::npos);
  }
}

std::string LastRunId(const std::string& db) { return LatestRunId(db); }

// What the store and the commands that read it show of run `id`.
std::vector<std::pair<std::string, std::string>> StoreSinks(const std::string& db,
                                                            const std::string& id) {
  auto rb = [&](const std::string& args) { return Shell(Binary() + " " + args).out; };
  return {{"store", Shell(kSqliteWaiting + db + " .dump").out},
          {"show", rb("show " + id + " --audit-db " + db)},
          {"report json", rb("report " + id + " --format json --audit-db " + db)},
          {"report md", rb("report " + id + " --format md --audit-db " + db)},
          {"export", rb("audit export --audit-db " + db)}};
}

// A step that leaves `sh -c 'sleep N' ARG` processes behind, ARG the secret after pads of
// 165..180 bytes (the command line then crosses the 200-byte cut inside the secret) and
// alone; `launch` is put before each (e.g. setsid, to leave the step's process group).
std::string LeaverRunbook(const std::string& launch, int sleep_s, int wait_ms) {
  std::string run;
  for (int pad : {0, 165, 170, 175, 180})
    run += "        " + launch + "sh -c 'sleep " + std::to_string(sleep_s) + "' \"$(head -c " +
           std::to_string(pad) + " /dev/zero | tr '\\0' A)$TOKEN\" >/dev/null 2>&1 &\n";
  return "version: 1\nname: leaver\nsecrets:\n  tok: {env: MYTOK}\nsteps:\n"
         "  - id: a\n    uses: exec\n    with:\n      shell: true\n      run: |\n" +
         run + "        sleep " + std::to_string(wait_ms / 1000.0) +
         "\n        echo finished\n    env:\n      TOKEN: \"${{ secrets.tok }}\"\n";
}

}  // namespace

// Variant: a process that left the step's group (setsid), ended through its tracking id.
TEST_CASE(
    "a secret in the command line of a process a step leaves behind is masked before the name "
    "is cut (breakI I1)",
    "[e2e][secrets][sinks][processes]") {
  for (const auto& [launch, said] :
       {std::pair<std::string, std::string>{"", "left running in the step's process group"},
        {"setsid ", "which had left the step's process group"}}) {
    CAPTURE(launch);
    std::string dir = TempDir(), db = dir + "/a.db";
    // 1.5 s for the leavers to exec their `sh -c 'sleep 30' SECRET`: under load a 0.3 s wait
    // ended the step while some were still forks of the step's shell (no secret to mask).
    WriteFile(dir, "r.yaml", LeaverRunbook(launch, 30, 1500));
    Command run = Shell("cd " + dir + " && MYTOK=" + kProcSecret + " " + Binary() +
                        " run r.yaml --audit-db " + db);
    REQUIRE(run.exit_code == 0);
    CHECK(run.err.find(said) != std::string::npos);
    CHECK(run.err.find("***") != std::string::npos);
    CheckNoPiece("console", run.err, kProcSecret);
    for (const auto& [sink, text] : StoreSinks(db, LastRunId(db))) {
      CheckNoPiece(sink, text, kProcSecret);
      if (sink == "show")  // each line says once where the process was
        CHECK(text.find("process group, which had left") == std::string::npos);
    }
  }
}

TEST_CASE(
    "resume names and ends an interrupted run's leftovers with the secret masked (breakI "
    "I6)",
    "[e2e][secrets][sinks][processes]") {
  std::string dir = TempDir(), db = dir + "/k.db";
  std::string yaml = LeaverRunbook("", 40, 3000);
  // Variant: the secret base64-encoded in a leftover's command line.
  yaml.insert(yaml.find("        sleep 3"),
              "        sh -c 'sleep 40' \"$(printf %s \"$TOKEN\" | base64)\" &\n");
  WriteFile(dir, "k.yaml", yaml);
  std::string env = "cd " + dir + " && export MYTOK=" + kProcSecret + " && ";
  Shell("cd " + dir + "; export MYTOK=" + kProcSecret + "; " + Binary() +
        " run k.yaml --audit-db " + db + " >run.out 2>&1 & P=$!; sleep 1.5; kill -9 $P; wait $P");
  std::string id = LastRunId(db);
  REQUIRE_FALSE(id.empty());
  Command refused = Shell(env + Binary() + " resume " + id + " --rerun a --audit-db " + db);
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("process(es) running when it was interrupted") != std::string::npos);
  CheckNoPiece("resume refusal", refused.err, kProcSecret);
  std::string b64 = Shell("printf %s " + kProcSecret + " | base64").out;
  CheckNoPiece("resume refusal, base64", refused.err, b64.substr(0, b64.find('\n')), 8);
  Command ended =
      Shell(env + Binary() + " resume " + id + " --rerun a --end-leftovers --audit-db " + db);
  CHECK(ended.err.find("runbook: ended leftover process") != std::string::npos);
  CheckNoPiece("resume --end-leftovers", ended.err, kProcSecret);
  for (const auto& [sink, text] : StoreSinks(db, LastRunId(db)))
    CheckNoPiece(sink, text, kProcSecret);
}

TEST_CASE("processes left behind by the run are named at its end with the secret masked",
          "[e2e][secrets][sinks][processes]") {
  std::string dir = TempDir();
  // env -i drops the tracking id: the step's cgroup ends them with the step where one can be
  // made; else only the run's end finds them (reparented to runbook). Named masked either way.
  WriteFile(dir, "r.yaml", LeaverRunbook("setsid env -i /bin/", 30, 300));
  Command run = Shell("cd " + dir + " && MYTOK=" + kProcSecret + " " + Binary() +
                      " run r.yaml --audit-db a.db");
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains(", left behind by the run") ||
                          Catch::Contains("which had left the step's process group"));
  CheckNoPiece("console", run.err, kProcSecret);
}

TEST_CASE("a service's stop line masks the secret in what it ends", "[e2e][secrets][sinks]") {
  std::string dir = TempDir(), db = dir + "/s.db";
  WriteFile(dir, "s.yaml",
            "version: 1\nname: s\nsecrets:\n  tok: {env: MYTOK}\nsteps:\n"
            "  - id: s\n    uses: service\n    with:\n      run: [sh, -c, \"setsid sh -c 'sleep "
            "301' \\\"$TOKEN\\\" & setsid sh -c 'sleep 301' \\\"$(head -c 170 /dev/zero | tr "
            "'\\\\0' A)$TOKEN\\\" & exec sleep 300\"]\n"
            "      env: {TOKEN: \"${{ secrets.tok }}\"}\n      log: svc.log\n"
            "  - {id: after, uses: exec, needs: [s], with: {run: [sleep, '0.5']}}\n");
  Command run = Shell("cd " + dir + " && MYTOK=" + kProcSecret + " " + Binary() +
                      " run s.yaml --audit-db " + db);
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("which had left the service's process group") != std::string::npos);
  CheckNoPiece("console", run.err, kProcSecret);
  for (const auto& [sink, text] : StoreSinks(db, LastRunId(db)))
    CheckNoPiece(sink, text, kProcSecret);
}

// break22b #11: the store masked a runbook name holding a secret's text; the console's
// header, its step lines and --metrics-file showed it whole.
TEST_CASE(
    "a secret that is a word of the runbook's name or a step's id is masked on the "
    "console and in the metrics file",
    "[e2e][secrets][sinks]") {
  std::string dir = TempDir();
  WriteFile(dir, "n.yaml",
            "version: 1\nname: nightlyjob7-backup\nsecrets:\n  tok: {env: NTOK}\nsteps:\n"
            "  - {id: nightlyjob7, uses: exec, with: {run: [\"true\"]}}\n"
            "  - {id: after, uses: exec, needs: [nightlyjob7], with: {run: [\"true\"]}}\n");
  Command run = Shell("cd " + dir + " && NTOK=nightlyjob7 " + Binary() +
                      " run n.yaml --audit-db a.db --metrics-file m.prom");
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("runbook ***-backup run "));
  CHECK(run.err.find("nightlyjob7") == std::string::npos);
  std::string metrics = Shell("cat " + dir + "/m.prom").out;
  CHECK_THAT(metrics, Catch::Contains("runbook=\"***-backup\""));
  CHECK(metrics.find("nightlyjob7") == std::string::npos);
}

TEST_CASE("an expression error never quotes a piece of a secret (breakI I5)",
          "[e2e][secrets][sinks][expressions]") {
  std::string dir = TempDir(), db = dir + "/e.db";
  // The finding's shape ('Zq7{Hunter2"Secret}Value99'), with no English word in it: a piece
  // of 5 bytes found anywhere is a leak.
  const std::string secret = "Zq7{Hxnter2\"Sqcrqt}Vqlue99";
  const std::string json_secret = "{\"k\": \"Pq8Lm3Xz7Wn5\"}";  // its piece names a key
  WriteFile(dir, "e.yaml",
            "version: 1\nname: ex\nsecrets:\n  tok: {env: XTOK}\n  j: {env: JTOK}\nsteps:\n"
            "  - {id: s0, uses: exec, continue_on_error: true,\n"
            "     with: {run: [echo, \"${{ format(secrets.tok, 1) }}\"]}}\n"
            "  - {id: s1, uses: exec, continue_on_error: true,\n"
            "     if: \"${{ format(secrets.tok, 1) == 'x' }}\", with: {run: [echo, a]}}\n"
            "  - {id: s2, uses: exec, continue_on_error: true,\n"
            "     with: {run: [echo, \"${{ fromJSON('{}')[fromJSON(secrets.j).k] }}\"]}}\n");
  Command run = Shell("cd " + dir + " && XTOK='" + secret + "' JTOK='" + json_secret + "' " +
                      Binary() + " run e.yaml --audit-db " + db);
  CHECK(run.err.find("format: invalid placeholder") != std::string::npos);
  CHECK(run.err.find("named by 'fromJSON(secrets.j).k'") != std::string::npos);
  std::vector<std::pair<std::string, std::string>> sinks = StoreSinks(db, LastRunId(db));
  sinks.push_back({"console", run.err});
  for (const auto& [sink, text] : sinks) {
    CheckNoPiece(sink, text, secret, 5);
    CheckNoPiece(sink, text, "Pq8Lm3Xz7Wn5", 3);
  }
}

TEST_CASE("a secret's HTML and XML escaped forms are masked (breakI I16)",
          "[e2e][secrets][sinks]") {
  std::string dir = TempDir(), db = dir + "/h.db";
  WriteFile(dir, "forms.py",
            "import html, os\n"
            "for s in (os.environ['ETOK'], os.environ['FTOK']):\n"
            "  print('html: ' + html.escape(s))\n"
            "  print('xml-num: ' + ''.join('&#%d;' % ord(c) for c in s))\n"
            // Variants: PHP's &#039;, hex references in either case, XML's &apos;, mixed.
            "  print('php: ' + html.escape(s).replace('&#x27;', '&#039;'))\n"
            "  print('hex: ' + ''.join('&#x%X;' % ord(c) for c in s))\n"
            "  print('apos: ' + html.escape(s).replace('&#x27;', '&apos;'))\n"
            "  print('mixed: ' + ''.join(c if i % 2 else '&#x%x;' % ord(c) for i, c in "
            "enumerate(s)))\n");
  WriteFile(dir, "h.yaml",
            "version: 1\nname: h\nsecrets:\n  e: {env: ETOK}\n  f: {env: FTOK}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [python3, forms.py]}}\n");
  Command run =
      Shell("cd " + dir + " && ETOK=\"Pa55&word\\\"2024'xyz\" FTOK='Zq7+Hunter2<Secret>Value99' " +
            Binary() + " run h.yaml --audit-db " + db);
  REQUIRE(run.exit_code == 0);
  std::string forms =
      Shell("cd " + dir +
            " && ETOK=\"Pa55&word\\\"2024'xyz\" FTOK='Zq7+Hunter2<Secret>Value99' python3 forms.py")
          .out;
  std::vector<std::pair<std::string, std::string>> sinks = StoreSinks(db, LastRunId(db));
  sinks.push_back({"console", run.err});
  for (const auto& [sink, text] : sinks) {
    for (size_t at = forms.find(": "); at != std::string::npos; at = forms.find(": ", at + 1)) {
      std::string form = forms.substr(at + 2, forms.find('\n', at) - at - 2);
      CheckNoPiece(sink, text, form, 10);
    }
  }
  CHECK(run.err.find("html: ***") != std::string::npos);
  CHECK(run.err.find("mixed: ***") != std::string::npos);
}

// The kind of I1 in a parameter's error: the value is quoted cut to 40 bytes; a secret across
// that cut was left with its first bytes. Variant: an enum parameter.
TEST_CASE("a parameter error quotes a value holding a secret masked before it is cut",
          "[e2e][secrets][sinks]") {
  std::string dir = TempDir(), db = dir + "/p.db";
  std::string steps;
  for (int pad : {30, 32, 34, 36}) {
    std::string a(static_cast<size_t>(pad), 'A'), n = std::to_string(pad);
    steps += "  - {id: d" + n +
             ", uses: service, continue_on_error: true, with: {run: [sleep, '5'], "
             "ready_timeout: \"${{ format('" +
             a + "{0}', secrets.tok) }}\"}}\n";
    steps += "  - {id: e" + n +
             ", uses: hash, continue_on_error: true, with: {files: [x], verify: \"${{ "
             "format('" +
             a + "{0}', secrets.tok) }}\"}}\n";
  }
  WriteFile(dir, "p.yaml", "version: 1\nname: p\nsecrets:\n  tok: {env: MYTOK}\nsteps:\n" + steps);
  Command run = Shell("cd " + dir + " && MYTOK=" + kProcSecret + " " + Binary() +
                      " run p.yaml --audit-db " + db);
  CHECK(run.err.find("invalid duration 'AAAAAAAAAA") != std::string::npos);
  CHECK(run.err.find("invalid value 'AAAAAAAAAA") != std::string::npos);
  CheckNoPiece("console", run.err, kProcSecret);
  for (const auto& [sink, text] : StoreSinks(db, LastRunId(db)))
    CheckNoPiece(sink, text, kProcSecret);
}
