// A real S3 server for the tests: s3rver (npm, installed into tests/s3 by scripts/setup.sh)
// on 127.0.0.1 and a free port, with one bucket; stopped when the object goes.
#pragma once

#include <string>

#include "support/servers.h"
#include "support/support.h"

namespace runbook::test {

class S3rver {
 public:
  explicit S3rver(const std::string& bucket);
  ~S3rver();
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
  int pid_ = 0;
};

}  // namespace runbook::test

namespace runbook::test {

// tests/s3/fault_proxy.py in front of a port: the first requests get `faults`; every
// answer is shown as `view` says (its --view: "etag-parts=N,strip-sha,...").
class FaultProxy {
 public:
  FaultProxy(int target_port, const std::string& faults, const std::string& view = "");
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The proxy's log so far: one line a request ("proxy: "METHOD /path HTTP/1.1" STATUS -").
  std::string Log() const;
  const std::string& log_path() const { return log_; }

 private:
  int port_ = 0;
  int pid_ = 0;
  std::string log_;
};

// Runs one s3-sync step from `dir` (it writes sync.yaml and a.db there): `with` holds the
// step's YAML flow entries, after `inventory: ''` (a later inventory entry is refused as a
// duplicate key, so tests wanting one write their own runbook). s3rver's access key, the
// given secret; a run past 60 s is stopped (exit 124) rather than hanging the suite.
// `beside` is shell text run first in the same shell (a writer started with `... &`).
Command RunSync(const std::string& dir, const std::string& with,
                const std::string& secret = "S3RVER", const std::string& beside = "");

}  // namespace runbook::test
