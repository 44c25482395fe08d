// Which requests serve takes from a browser: the web UI's own, never another site's (issue 17:
// "protected against cross-site requests"). A page on another site can make the operator's
// browser send a request to serve; one that changes state must then be refused (CSRF), and a
// name of that site resolving to 127.0.0.1 must not make its pages serve's own (DNS rebinding).
// The rules are the OWASP CSRF cheat sheet's "verifying origin with standard headers" and
// "fetch metadata", and the Host check Jupyter and Vite's dev server make against rebinding.
#pragma once

#include <string>

namespace runbook {

// What a request says about where it comes from (headers as received; "" when absent).
struct RequestOrigin {
  std::string method;          // GET, POST, ...
  std::string host;            // Host
  std::string origin;          // Origin
  std::string sec_fetch_site;  // Sec-Fetch-Site: same-origin | same-site | cross-site | none
  std::string content_type;    // Content-Type
  bool has_body = false;
  bool tls = false;  // served over HTTPS
};

// "" when the request may be served, else why not (answered 403):
// - with `loopback_only` (serve listens on loopback without tokens), Host must name a
//   loopback address (127.0.0.0/8, [::1], localhost), with any port: a rebound name is not;
// - a POST must not be a cross-site one: Sec-Fetch-Site, when sent, is same-origin or none;
//   Origin, when sent, is this server's own (scheme://Host); a body is application/json
//   (a form cannot send it; fetch from another origin must ask first, and serve never allows).
std::string CrossSiteRefusal(const RequestOrigin& r, bool loopback_only);

}  // namespace runbook
