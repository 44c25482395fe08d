#include "steps/common/sigv4.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "engine/util/crypto.h"

namespace runbook {
namespace {

bool Unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Trim, and collapse runs of spaces into one (the spec's "canonical header value").
std::string CanonicalValue(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Removes "." and ".." segments and empty segments, keeping a trailing slash.
std::string NormalizePath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string seg =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  bool trailing = !path.empty() && path.back() == '/' && !parts.empty();
  if (out.empty()) return "/";
  return trailing ? out + "/" : out;
}

std::string CanonicalQuery(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    std::string item =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!item.empty()) {
      size_t eq = item.find('=');
      std::string k = UriDecode(item.substr(0, eq));
      std::string v = eq == std::string::npos ? "" : UriDecode(item.substr(eq + 1));
      pairs.emplace_back(UriEncode(k, false), UriEncode(v, false));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

// name -> values in order of appearance.
std::map<std::string, std::vector<std::string>> HeaderMap(const SigV4Request& req) {
  std::map<std::string, std::vector<std::string>> m;
  for (const auto& [name, value] : req.headers) m[Lower(name)].push_back(CanonicalValue(value));
  return m;
}

std::string Scope(const std::string& amz_date, const SigV4Scope& scope) {
  return amz_date.substr(0, 8) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

}  // namespace

std::string UriEncode(const std::string& s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string UriDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string SignedHeaders(const SigV4Request& req) {
  std::string out;
  for (const auto& [name, values] : HeaderMap(req)) out += (out.empty() ? "" : ";") + name;
  return out;
}

std::string CanonicalRequest(const SigV4Request& req, PathStyle style) {
  std::string path = style == PathStyle::kNormalized ? NormalizePath(req.path) : req.path;
  std::string headers;
  for (const auto& [name, values] : HeaderMap(req)) {
    std::string joined;
    for (const std::string& v : values) joined += (joined.empty() ? "" : ",") + v;
    headers += name + ":" + joined + "\n";
  }
  return req.method + "\n" + UriEncode(path.empty() ? "/" : path, true) + "\n" +
         CanonicalQuery(req.query) + "\n" + headers + "\n" + SignedHeaders(req) + "\n" +
         req.payload_sha256;
}

std::string StringToSign(const std::string& canonical_request, const std::string& amz_date,
                         const SigV4Scope& scope) {
  return "AWS4-HMAC-SHA256\n" + amz_date + "\n" + Scope(amz_date, scope) + "\n" +
         Sha256Hex(canonical_request);
}

std::string Signature(const std::string& string_to_sign, const std::string& secret_key,
                      const std::string& amz_date, const SigV4Scope& scope) {
  std::string key = HmacSha256("AWS4" + secret_key, amz_date.substr(0, 8));
  key = HmacSha256(key, scope.region);
  key = HmacSha256(key, scope.service);
  key = HmacSha256(key, "aws4_request");
  return HexEncode(HmacSha256(key, string_to_sign));
}

std::string Authorization(const SigV4Request& req, const SigV4Credentials& creds,
                          const std::string& amz_date, const SigV4Scope& scope, PathStyle style) {
  std::string sts = StringToSign(CanonicalRequest(req, style), amz_date, scope);
  return "AWS4-HMAC-SHA256 Credential=" + creds.access_key + "/" + Scope(amz_date, scope) +
         ", SignedHeaders=" + SignedHeaders(req) +
         ", Signature=" + Signature(sts, creds.secret_key, amz_date, scope);
}

}  // namespace runbook
