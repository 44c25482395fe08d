// breakEE E2: which S3 service an endpoint names, one key per service (S3ServiceKey).
#include "steps/common/s3_endpoint.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

using namespace runbook;

TEST_CASE("one S3 service spelled many ways gives one key", "[steps][s3]") {
  std::vector<std::pair<std::string, std::string>> same = {
      {"http://LOCALHOST:9000/", "http://127.0.0.1:9000"},
      {"http://localhost:9000", "http://[::1]:9000"},
      {"http://127.1:9000", "http://0x7f.0.0.1:9000"},
      {"http://db.localhost:9000", "http://127.0.0.2:9000"},
      {"http://[0:0::1]:9000", "http://0.0.0.0:9000"},
      {"http://Minio.Example:80", "http://minio.example./"},
      {"https://minio.example", "HTTPS://minio.example:443//"},
      {"http://minio.example:9000/s3/", "http://minio.example:9000/s3"},
      {"", "https://s3.eu-west-1.amazonaws.com"},
      {"https://s3.amazonaws.com", "https://bucket.s3.us-east-2.amazonaws.com/"},
      {"https://s3.cn-north-1.amazonaws.com.cn", "https://S3.CN-NORTHWEST-1.AMAZONAWS.COM.CN"},
      // breakGG G1, G2: no scheme, paths, mapped IPv6, encoded hosts.
      {"127.0.0.1:9321", "http://127.0.0.1:9321"},
      {"http://127.0.0.1:9321/;x", "http://127.0.0.1:9321/%2e"},
      {"http://minio.example:9000/a", "http://minio.example:9000/b"},
      {"http://[::ffff:127.0.0.1]:9000", "http://127.0.0.1:9000"},
      {"http://[::ffff:7f00:1]:9000", "http://localhost:9000"},
      {"http://[::ffff:10.0.0.5]:9000", "http://10.0.0.5:9000"},
      {"http://minio%2eexample:9000", "http://minio.example:9000"},
      {"http://u:p@minio.example:9000", "http://minio.example:9000"},
      {"https://s3.us-gov-west-1.amazonaws.com", "https://s3.us-gov-east-1.amazonaws.com"},
  };
  for (const auto& [a, b] : same) {
    INFO(a << " and " << b);
    CHECK(S3ServiceKey(a) == S3ServiceKey(b));
  }
}

TEST_CASE("two S3 services give two keys", "[steps][s3]") {
  std::vector<std::pair<std::string, std::string>> apart = {
      {"http://127.0.0.1:9000", "http://127.0.0.1:9001"},
      {"http://minio.example", "https://minio.example"},  // 80 and 443
      {"https://minio.example", "https://minio2.example"},
      {"https://s3.us-gov-west-1.amazonaws.com", "https://s3.amazonaws.com"},  // G13
      {"https://s3.amazonaws.com", "https://s3.amazonaws.com.cn"},
      {"", "http://127.0.0.1:9000"},
      {"https://notamazonaws.com", "https://s3.amazonaws.com"},
  };
  for (const auto& [a, b] : apart) {
    INFO(a << " and " << b);
    CHECK(S3ServiceKey(a) != S3ServiceKey(b));
  }
  CHECK(S3ServiceKey("http://127.0.0.1:9000") == "loopback:9000");
  CHECK(S3ServiceKey("") == "aws");
  CHECK(S3ServiceKey("not a url") == "not a url");  // kept as written, lowercased
}
