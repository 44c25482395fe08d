// Which S3 service an endpoint URL names, for the engine's rule that two uploads into one
// bucket and prefix of one service clash (engine/path_roles.h, ParamSpec::remote_scope_key).
#pragma once

#include <string>

namespace runbook {

// The service `endpoint` (s3-sync's `endpoint` parameter; "" when it has none) names, as one
// text: two endpoints name one service exactly when their keys are equal (breakEE E2: two
// spellings of one MinIO were taken for two services, so two deleting syncs into one prefix
// passed). The key is "host:port/path":
// - no endpoint, or any host under amazonaws.com: "aws" (under amazonaws.com.cn: "aws-cn"):
//   bucket names are global in an AWS partition, whatever regional or virtual-hosted name
//   reaches them (AWS S3 docs, "Bucket naming rules");
// - the host lowercased, without a trailing dot; numeric IPv4/IPv6 written canonically
//   (curl's URL parser: "127.1" is 127.0.0.1); a loopback name ("localhost", "*.localhost",
//   RFC 6761; 127.0.0.0/8, ::1, 0.0.0.0, ::) is "loopback";
// - the port, the scheme's default when none is written (80, 443);
// - the path without trailing slashes.
// No name is resolved through DNS: the same text answers at load and at run. An endpoint
// curl cannot parse is its text, lowercased.
std::string S3ServiceKey(const std::string& endpoint);

}  // namespace runbook
