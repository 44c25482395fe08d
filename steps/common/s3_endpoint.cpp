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

std::string Bare(const std::string& host) {
  return host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
}

// An IPv6 literal that is an IPv4 address mapped (::ffff:a.b.c.d), as that IPv4 address's
// text; any other host as it is (breakGG G2: [::ffff:127.0.0.1] is 127.0.0.1).
std::string Unmapped(const std::string& host) {
  in6_addr v6{};
  if (inet_pton(AF_INET6, Bare(host).c_str(), &v6) != 1 || !IN6_IS_ADDR_V4MAPPED(&v6)) return host;
  char text[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text) ? std::string(text) : host;
}

// RFC 6761 names and the addresses that reach this machine.
bool Loopback(const std::string& host) {
  if (host == "localhost" || EndsWith(host, ".localhost")) return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    uint32_t a = ntohl(v4.s_addr);
    return (a >> 24) == 127 || a == 0;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, Bare(host).c_str(), &v6) != 1) return false;
  return IN6_IS_ADDR_LOOPBACK(&v6) || IN6_IS_ADDR_UNSPECIFIED(&v6);
}

// The AWS partition of a host under amazonaws.com, "" for another host.
std::string AwsPartition(const std::string& host) {
  if (host == "amazonaws.com.cn" || EndsWith(host, ".amazonaws.com.cn")) return "aws-cn";
  if (host != "amazonaws.com" && !EndsWith(host, ".amazonaws.com")) return "";
  return host.find("us-gov-") != std::string::npos ? "aws-us-gov" : "aws";  // breakGG G13
}

}  // namespace

std::string S3ServiceKey(const std::string& endpoint) {
  if (endpoint.empty()) return "aws";
  // Without a scheme as libcurl reaches it: it guesses http (breakGG G1: "127.0.0.1:9321").
  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url ||
      curl_url_set(url.get(), CURLUPART_URL, endpoint.c_str(), CURLU_GUESS_SCHEME) != CURLUE_OK)
    return AsciiLower(endpoint);
  std::string host = Unmapped(AsciiLower(Part(url.get(), CURLUPART_HOST, CURLU_URLDECODE)));
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (std::string aws = AwsPartition(host); !aws.empty()) return aws;
  if (Loopback(host)) host = "loopback";
  return host + ":" + Part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

}  // namespace runbook
