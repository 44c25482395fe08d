// Which S3 service an endpoint URL names, for the engine's rule that two uploads into one
// bucket and prefix of one service clash (engine/path_roles.h, ParamSpec::remote_scope_key).
#pragma once

#include <string>

namespace runbook {

// The service `endpoint` (s3-sync's `endpoint` parameter; "" when it has none) names, as one
// text: two endpoints name one service exactly when their keys are equal (breakEE E2: two
// spellings of one MinIO were taken for two services, so two deleting syncs into one prefix
// passed). The key is "host:port":
// - no endpoint, or any host under amazonaws.com: "aws" (GovCloud's us-gov-* hosts:
//   "aws-us-gov"; under amazonaws.com.cn: "aws-cn"): bucket names are global in an AWS
//   partition, whatever regional or virtual-hosted name reaches them (AWS S3 docs, "Bucket
//   naming rules");
// - the host lowercased and percent-decoded, without a trailing dot; numeric IPv4/IPv6
//   written canonically (curl's URL parser: "127.1" is 127.0.0.1), an IPv4-mapped IPv6
//   address as its IPv4 one; a loopback name ("localhost", "*.localhost", RFC 6761;
//   127.0.0.0/8, ::1, 0.0.0.0, ::) is "loopback";
// - the port, the scheme's default when none is written (80, 443); no scheme is http, as
//   libcurl guesses it (breakGG G1).
// The path is no part of it: one server under two paths is one service (breakGG G1: `/;x`
// and `/%2e` reached the same bucket). No name is resolved through DNS: the same text answers
// at load and at run. An endpoint curl cannot parse is its text, lowercased.
std::string S3ServiceKey(const std::string& endpoint);

}  // namespace runbook
