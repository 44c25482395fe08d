#include "serve/same_origin.h"

#include <algorithm>
#include <cctype>

#include "engine/util/strings.h"
#include "serve/server.h"

namespace runbook {
namespace {

// The host of a Host header: "127.0.0.1:8765" -> "127.0.0.1", "[::1]:8765" -> "::1".
std::string HostName(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string::npos ? "" : host.substr(1, close - 1);
  }
  return host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
}

}  // namespace

std::string CrossSiteRefusal(const RequestOrigin& r, bool loopback_only) {
  if (loopback_only) {
    std::string name = AsciiLower(HostName(r.host));
    if (name != "localhost" && !IsLoopback(name))
      return "Host '" + r.host +
             "' is not this server's loopback address: refused (a name that resolves here is "
             "not serve)";
  }
  if (r.method != "POST" && r.method != "PUT" && r.method != "PATCH" && r.method != "DELETE")
    return "";
  const std::string site = AsciiLower(r.sec_fetch_site);
  if (!site.empty() && site != "same-origin" && site != "none")
    return "a " + site + " request cannot change anything here (Sec-Fetch-Site)";
  if (!r.origin.empty() &&
      AsciiLower(r.origin) != AsciiLower((r.tls ? "https://" : "http://") + r.host))
    return "a request from " + r.origin + " cannot change anything here (Origin)";
  std::string type = AsciiLower(r.content_type.substr(0, r.content_type.find(';')));
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  if (r.has_body && type != "application/json")
    return "the body must be JSON (Content-Type: application/json)";
  return "";
}

}  // namespace runbook
