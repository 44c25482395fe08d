// Every sink against every form of a declared secret: steps print it plain and encoded
// (percent in both cases, form, JSON, hex, base64 and base64url), use it as an output name
// and value, fail with it, cut through it (a 4 KiB line, the 32 KiB capture window), put it
// in a service's log and in a probe's URL; then no sink holds any form of it, nor a piece
// of 10 characters of it.
#include <catch2/catch.hpp>

#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const std::string kSecret = "Zq9!x V/7\"\xc3\xa4-hunter2~s3cr";
const std::string kName = "tok_9f8e7d6c5b4a";  // a second secret, used as an output name

// Prints every form of $TOKEN, one per line, each inside other text.
const char* kForms =
    "import base64, json, os, re, urllib.parse as u\n"
    "s = os.environ['TOKEN']; b = s.encode()\n"
    "low = re.sub('%[0-9A-F]{2}', lambda m: m.group(0).lower(), u.quote(s, safe=''))\n"
    "forms = [s, u.quote(s, safe=''), low, u.quote_plus(s),\n"
    "  json.dumps(s), json.dumps(s, ensure_ascii=False), json.dumps(s).replace('/', '\\\\/'),\n"
    "  b.hex(), b.hex().upper(), base64.b64encode(b'user:' + b).decode(),\n"
    "  base64.urlsafe_b64encode(b'x' + b).decode().rstrip('='),\n"
    "  base64.b64encode(b'ab' + b + b'cd').decode()]\n"
    "for f in forms: print('form<' + f + '>')\n";

std::string RunbookText(int port) {
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  return "version: 1\nname: s\nsecrets:\n  token: {env: TOKEN}\n  name: {env: NAME}\n"
         "steps:\n"
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
  std::string file = WriteFile(dir, "s.yaml", RunbookText(port));
  std::string env = "cd " + dir + " && TOKEN='" + kSecret + "' NAME=" + kName + " ";
  Command run =
      Shell(env + Binary() + " run s.yaml --audit-db " + db + " --metrics-file metrics.prom");
  INFO(run.err.substr(0, 3000));
  REQUIRE(run.exit_code == 0);  // the failing steps continue on error
  std::string forms = Shell("cd " + dir + " && TOKEN='" + kSecret + "' python3 forms.py").out;
  std::vector<std::string> leaks = {kName};
  for (size_t at = forms.find("form<"); at != std::string::npos; at = forms.find("form<", at)) {
    size_t end = forms.find(">\n", at);
    std::string form = forms.substr(at + 5, end - at - 5);
    for (size_t k = 0; k + 10 <= form.size(); k += 5) leaks.push_back(form.substr(k, 10));
    at = end;
  }
  std::string id =
      Shell(Binary() + " history --limit 1 --format json --audit-db " + db +
            " | python3 -c 'import json, sys; print(json.load(sys.stdin)[0][\"run_id\"])'")
          .out;
  id = id.substr(0, id.find('\n'));
  auto rb = [&](const std::string& args) { return Shell(Binary() + " " + args).out; };
  std::vector<std::pair<std::string, std::string>> sinks = {
      {"console stdout", run.out},
      {"console stderr", run.err},
      {"store", Shell("sqlite3 " + db + " .dump").out},
      {"show", rb("show " + id + " --audit-db " + db)},
      {"report md", rb("report " + id + " --format md --audit-db " + db)},
      {"report json", rb("report " + id + " --format json --audit-db " + db)},
      {"report html", rb("report " + id + " --format html --audit-db " + db)},
      {"export", rb("audit export --audit-db " + db)},
      {"history", rb("history --format json --audit-db " + db)},
      {"metrics", Shell("cat " + dir + "/metrics.prom").out},
      {"probe report", Shell("cat " + dir + "/probe.json").out},
      {"service log tail", rb("show " + id + " --audit-db " + db + " | grep -A20 service")},
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
