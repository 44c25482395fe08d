#include "steps/common/s3_endpoint.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <memory>

#include "engine/util/strings.h"

namespace runbook {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// One part of `url`, or "" when it has none; `flags` as curl_url_get takes them.
std::string Part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, flags) != CURLUE_OK || text == nullptr) return "";
  std::string out = text;
  curl_free(text);
  return out;
}

// RFC 6761 names and the addresses that reach this machine.
bool Loopback(const std::string& host) {
  if (host == "localhost" || EndsWith(host, ".localhost")) return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    uint32_t a = ntohl(v4.s_addr);
    return (a >> 24) == 127 || a == 0;
  }
  std::string bare =
      host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  in6_addr v6{};
  if (inet_pton(AF_INET6, bare.c_str(), &v6) != 1) return false;
  return IN6_IS_ADDR_LOOPBACK(&v6) || IN6_IS_ADDR_UNSPECIFIED(&v6);
}

}  // namespace

std::string S3ServiceKey(const std::string& endpoint) {
  if (endpoint.empty()) return "aws";
  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, endpoint.c_str(), 0) != CURLUE_OK)
    return AsciiLower(endpoint);
  std::string host = AsciiLower(Part(url.get(), CURLUPART_HOST));
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host == "amazonaws.com" || EndsWith(host, ".amazonaws.com")) return "aws";
  if (host == "amazonaws.com.cn" || EndsWith(host, ".amazonaws.com.cn")) return "aws-cn";
  if (Loopback(host)) host = "loopback";
  std::string path = Part(url.get(), CURLUPART_PATH);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return host + ":" + Part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT) + path;
}

}  // namespace runbook
