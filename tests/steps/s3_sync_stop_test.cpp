// s3-sync's local hashing (verify mode, and the comparison before a transfer) stops at the
// step's timeout and on ^C; a stopped run is never reported as success.
#include <catch2/catch.hpp>
#include <chrono>

#include "support/s3rver.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// One s3-sync step with a step-level `timeout`, run from `dir` (`before`: a command prefix).
Command SyncWithin(const std::string& dir, const std::string& timeout, const std::string& with,
                   const std::string& before = "") {
  WriteFile(dir, "v.yaml",
            "version: 1\nname: v\nsteps:\n  - id: s\n    uses: s3-sync\n" +
                (timeout.empty() ? std::string() : "    timeout: " + timeout + "\n") +
                "    with: {inventory: '', " + with + "}\n");
  return Shell("cd " + dir + " && AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER " + before +
               Binary() + " run v.yaml --audit-db a.db");
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

TEST_CASE("s3-sync verify: past the timeout it is a timeout, never a success",
          "[steps][s3][stop]") {
  S3rver server("backups");
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/s3tmp && head -c 300M /dev/urandom > " + dir +
        "/s3tmp/big.bin && for i in 1 2 3; do head -c 1M /dev/urandom > " + dir +
        "/s3tmp/f$i; done");
  const std::string with = "source: s3tmp, dest: 's3://backups/z', endpoint: '" +
                           server.endpoint() + "', multipart_threshold: 1GiB";
  REQUIRE(SyncWithin(dir, "", with).exit_code == 0);
  REQUIRE(SyncWithin(dir, "", with + ", mode: verify").exit_code == 0);  // it does verify
  auto t0 = std::chrono::steady_clock::now();
  Command v = SyncWithin(dir, "300ms", with + ", mode: verify");
  CHECK(v.exit_code == 1);
  CHECK(v.err.find("timed out after 300ms") != std::string::npos);
  CHECK(Seconds(t0) < 8);  // bounded by the timeout, not by the hashing
  // The same hashing before a transfer: a local mirror of the big file, changed in place.
  Shell("mkdir -p " + dir + "/mirror && cp " + dir + "/s3tmp/* " + dir + "/mirror/");
  Command copy = SyncWithin(dir, "300ms", "source: s3tmp, dest: mirror");
  CHECK(copy.exit_code == 1);
  CHECK(copy.err.find("timed out after 300ms") != std::string::npos);
  // ^C during the hashing: cancelled (130), not success.
  Command cancelled =
      SyncWithin(dir, "", with + ", mode: verify", "timeout --preserve-status -s INT 0.3 ");
  CHECK(cancelled.exit_code == 130);
}

TEST_CASE("s3-sync: a multipart upload stopped by its timeout is aborted", "[steps][s3][stop]") {
  // breakG #10: the step timed out and no DELETE ?uploadId= was ever sent (its parts stay
  // billed on AWS): the abort used the step's token, already cancelled.
  S3rver server("backups");
  std::string dir = TempDir();
  REQUIRE(Shell("mkdir -p " + dir + "/mp && head -c 20000000 /dev/urandom > " + dir + "/mp/big.bin")
              .exit_code == 0);
  FaultProxy proxy(server.port(), "", "slow-put=0.3");  // a part of 5 MiB takes 1.5 s
  Command c = SyncWithin(dir, "1s",
                         "source: mp, dest: 's3://backups/mp', endpoint: '" + proxy.endpoint() +
                             "', part_size: 5MiB, multipart_threshold: 5MiB, concurrency: 2");
  INFO(c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("timed out after 1s"));
  std::string log = proxy.Log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("\"POST /backups/mp/big.bin?uploads"));
  CHECK_THAT(log, Catch::Contains("\"DELETE /backups/mp/big.bin?uploadId="));
}
