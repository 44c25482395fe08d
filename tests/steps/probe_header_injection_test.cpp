// A probe's request never carries a header it was not written with (break23a D2: a value an
// earlier request extracted from the server's JSON, holding CR LF, added `X-Injected: evil`
// to the next request): the HTTP client refuses a header value with a line break or another
// control character, and a header name that is no token, naming the header, never its value;
// a journey's header that is a list, a path that is no string and a status past 100-599 are
// located errors. Against a real HTTP server that logs the headers it receives.
#include <catch2/catch.hpp>
#include <string>

#include "support/servers.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

// A server on `port` answering POST /login with {"token": `token`} and logging every other
// request's headers to `dir`/seen; its pid.
int TokenServer(const std::string& dir, int port, const std::string& token_json) {
  WriteFile(dir, "srv.py",
            "import http.server, sys\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "  def log_message(self, *a): pass\n"
            "  def answer(self, body):\n"
            "    self.send_response(200); self.send_header('Content-Type', 'application/json')\n"
            "    self.send_header('Content-Length', str(len(body))); self.end_headers()\n"
            "    self.wfile.write(body)\n"
            "  def do_POST(self):\n"
            "    self.rfile.read(int(self.headers.get('Content-Length', 0)))\n"
            "    self.answer(open(sys.argv[3], 'rb').read())\n"
            "  def do_GET(self):\n"
            "    open(sys.argv[2], 'a').write(str(self.headers) + '--\\n')\n"
            "    self.answer(b'{}')\n"
            "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n");
  WriteFile(dir, "token.json", token_json);
  return StartServer(
      {"python3", dir + "/srv.py", std::to_string(port), dir + "/seen", dir + "/token.json"},
      dir + "/srv.log", port);
}

std::string Probe(int port, const std::string& second) {
  return "version: 1\nname: inj\nsteps:\n  - id: p\n    uses: probe\n    with:\n"
         "      kind: http\n      base_url: http://127.0.0.1:" +
         std::to_string(port) +
         "\n      max_error_rate: 0\n      report: r.json\n      journey:\n"
         "        - {name: login, method: POST, path: /login, json: {}, extract: {token: "
         "/token}}\n" +
         second;
}

}  // namespace

TEST_CASE("probe http: a header value with a line break is refused, nothing sent with it",
          "[steps][probe][http]") {
  std::string dir = TempDir();
  int port = FreePort();
  // The example (CR LF), a lone LF and a NUL: each would end the header early.
  const std::string token = GENERATE(std::string("tok123\\r\\nX-Injected: evil"),
                                     std::string("tok123\\nX-Injected: evil"),
                                     std::string("tok123\\u0000X-Injected: evil"));
  CAPTURE(token);
  int server = TokenServer(dir, port, "{\"token\": \"" + token + "\"}");
  WriteFile(dir, "inj.yaml",
            Probe(port,
                  "        - {name: api, path: /api, headers: {Authorization: 'Bearer "
                  "{{token}}'}}\n"));
  Command c = Shell("cd " + dir + " && " + Binary() + " run inj.yaml --audit-db a.db", 60);
  StopServer(server);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("the value of header 'Authorization' holds a line break or "
                                    "another control character"));
  CHECK_THAT(c.err + c.out, !Catch::Contains("tok123"));  // the value is never quoted
  CHECK_THAT(ReadFile(dir + "/seen"), !Catch::Contains("X-Injected"));
}

TEST_CASE(
    "probe http: a header that is a list, a path that is a number, a status past 599 are "
    "located errors",
    "[steps][probe][http]") {
  std::string dir = TempDir();
  struct Case {
    std::string second, says;
  };
  const Case cases[] = {
      {"        - {name: api, path: /api, headers: {X-A: [1, 2]}}\n",
       "journey[1] ('api'): header 'X-A' must be one value, not a list"},
      {"        - {name: api, path: 404}\n",
       "journey[1] ('api'): path must be a string (such as /health)"},
      {"        - {name: api, path: /api, expect: {status: 99999999999}}\n",
       "journey[1] ('api'): expect.status must be HTTP statuses, 100 to 599"},
      {"        - {name: api, path: /api, headers: {'X-A: b': c}}\n",
       "journey[1] ('api'): header name 'X-A: b' is not a token"},
  };
  for (const Case& k : cases) {
    CAPTURE(k.second);
    WriteFile(dir, "bad.yaml", Probe(1, k.second));
    Command c = Shell(Binary() + " validate " + dir + "/bad.yaml", 60);
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("bad.yaml:13:11: error: " + k.says));  // the request
  }
}
