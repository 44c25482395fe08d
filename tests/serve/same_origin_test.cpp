// Cross-site requests are refused, the web UI's own are served (serve/same_origin.h), by the
// rules alone and against a real serve over HTTP.
#include "serve/same_origin.h"

#include <catch2/catch.hpp>

#include "support/serve_process.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

RequestOrigin Post(const std::string& origin, const std::string& site = "",
                   const std::string& type = "application/json") {
  return {"POST", "127.0.0.1:8765", origin, site, type, true, false};
}

}  // namespace

TEST_CASE("cross-site: a POST from another origin, site or form is refused", "[serve][csrf]") {
  CHECK(CrossSiteRefusal(Post("http://127.0.0.1:8765", "same-origin"), true).empty());
  CHECK(CrossSiteRefusal(Post(""), true).empty());          // curl, a script: no browser headers
  CHECK(CrossSiteRefusal(Post("", "none"), true).empty());  // typed in the address bar
  CHECK_THAT(CrossSiteRefusal(Post("https://evil.example"), true), Catch::Contains("Origin"));
  CHECK_THAT(CrossSiteRefusal(Post("null"), true), Catch::Contains("Origin"));  // sandboxed
  CHECK_THAT(CrossSiteRefusal(Post("http://127.0.0.1:9999"), true), Catch::Contains("Origin"));
  CHECK_THAT(CrossSiteRefusal(Post("https://127.0.0.1:8765"), true), Catch::Contains("Origin"));
  CHECK_THAT(CrossSiteRefusal(Post("", "cross-site"), true), Catch::Contains("Sec-Fetch-Site"));
  CHECK_THAT(CrossSiteRefusal(Post("", "same-site"), true), Catch::Contains("Sec-Fetch-Site"));
  for (const char* form :
       {"application/x-www-form-urlencoded", "multipart/form-data; b=x", "text/plain", ""})
    CHECK_THAT(CrossSiteRefusal(Post("", "", form), true), Catch::Contains("JSON"));
  CHECK(CrossSiteRefusal(Post("", "", "Application/JSON; charset=utf-8"), true).empty());
  RequestOrigin no_body = Post("");
  no_body.content_type = "";
  no_body.has_body = false;
  CHECK(CrossSiteRefusal(no_body, true).empty());
  // A GET changes nothing: any origin may be read by... no one but the same origin (no CORS).
  RequestOrigin get{"GET", "127.0.0.1:8765", "https://evil.example", "cross-site", "", false,
                    false};
  CHECK(CrossSiteRefusal(get, true).empty());
  RequestOrigin tls = Post("https://127.0.0.1:8765");
  tls.tls = true;
  CHECK(CrossSiteRefusal(tls, true).empty());
}

TEST_CASE("cross-site: on loopback without tokens, Host must be a loopback address",
          "[serve][csrf]") {
  // DNS rebinding: evil.example resolves to 127.0.0.1 after the page loaded; its scripts are
  // then same-origin with a server there, but their Host is evil.example.
  for (const char* host :
       {"127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765", "127.3.2.1:80"}) {
    RequestOrigin r{"GET", host, "", "", "", false, false};
    INFO(host);
    CHECK(CrossSiteRefusal(r, true).empty());
  }
  for (const char* host :
       {"evil.example:8765", "127.0.0.1.nip.io:8765", "", "[::2]:80", "localhost.evil.example"}) {
    RequestOrigin r{"GET", host, "", "", "", false, false};
    INFO(host);
    CHECK_THAT(CrossSiteRefusal(r, true), Catch::Contains("not this server's loopback"));
    CHECK(CrossSiteRefusal(r, false).empty());  // with tokens: a bearer token is required
  }
}

TEST_CASE("cross-site: a real serve refuses another site's POST and a rebound Host, 403",
          "[serve][csrf]") {
  std::string dir = ServeDir();
  WriteFile(dir, "rb/hello.yaml",
            "version: 1\nname: hello\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
  ServeProcess serve(dir);
  auto post = [&](const std::string& headers) {
    return Shell("curl -s -o /dev/null -w '%{http_code}' -X POST " + headers + " " + serve.Url() +
                 "/api/v1/runbooks/hello/runs")
        .out;
  };
  CHECK(post("-H 'Origin: https://evil.example' -H 'Content-Type: application/json' -d '{}'") ==
        "403");
  CHECK(post("-H 'Sec-Fetch-Site: cross-site'") == "403");
  CHECK(post("-d 'params=x'") == "403");  // a form's body
  CHECK(post("-H 'Host: evil.example:" + serve.Port() + "'") == "403");
  CHECK(Shell("curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' " + serve.Url() +
              "/api/v1/runs")
            .out == "403");
  CHECK(Shell(Binary() + " history --audit-db " + dir + "/store/audit.db").out.find("hello") ==
        std::string::npos);  // none of them started a run
  CHECK(post("-H 'Origin: " + serve.Url() +
             "' -H 'Sec-Fetch-Site: same-origin' -H 'Content-Type: application/json' -d '{}'") ==
        "201");
}
