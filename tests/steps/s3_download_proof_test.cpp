// A download is kept only when something proves it is the object (docs/s3-sync.md,
// "Checking what came down"): its MD5 ETag, its sha256 metadata, or its multipart ETag with a
// part size tools use. Objects that nothing can prove are refused (require_verified), or kept
// and counted as NOT verified. Real s3rver, seen through tests/s3/fault_proxy.py's --view as
// AWS shows objects uploaded in parts by another tool (breakH H5).
#include <catch2/catch.hpp>

#include "support/s3rver.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

// s3://backups/mp holds big.bin (12 MiB of random bytes) and small.txt, uploaded by runbook.
struct ProofBucket {
  S3rver server{"backups"};
  std::string dir = TempDir();

  ProofBucket() {
    REQUIRE(Shell("cd " + dir + " && mkdir up && head -c 12582912 /dev/urandom > up/big.bin" +
                  " && echo small > up/small.txt")
                .exit_code == 0);
    REQUIRE(Sync(server.endpoint(), "up", "s3://backups/mp").exit_code == 0);
  }
  // One s3-sync step from `source` to `dest` through `endpoint`, with `extra` parameters.
  Command Sync(const std::string& endpoint, const std::string& source, const std::string& dest,
               const std::string& extra = "") const {
    return RunSync(dir, "source: '" + source + "', dest: '" + dest + "', endpoint: '" + endpoint +
                            "'" + extra);
  }
  // Downloads the prefix into `folder` through the proxy showing `view`.
  Command Download(const std::string& view, const std::string& folder,
                   const std::string& extra = "") const {
    FaultProxy proxy(server.port(), "", view);
    return Sync(proxy.endpoint(), "s3://backups/mp", folder, extra);
  }
  bool Same(const std::string& folder, const std::string& name) const {
    return Shell("cmp " + dir + "/up/" + name + " " + dir + "/" + folder + "/" + name).exit_code ==
           0;
  }
};

}  // namespace

TEST_CASE("s3-sync download: a multipart ETag and no sha256 with corrupted bytes is refused",
          "[steps][s3][download-proof]") {
  ProofBucket b;
  // breakH H5: accepted and published ("2 transferred", ok) with its first byte flipped.
  Command c = b.Download("etag-parts=5242880,strip-sha,corrupt-get", "dl");
  INFO(c.err);
  CHECK(c.exit_code == 1);
  CHECK(StderrHas(c, "download of s3://backups/mp/big.bin cannot be verified: its ETag"));
  CHECK(StderrHas(c, "is a multipart ETag of no part size tried and it has no sha256 metadata"));
  CHECK(StderrHas(c, "kept nothing"));
  CHECK(Shell("test -e " + b.dir + "/dl/big.bin").exit_code != 0);
}

TEST_CASE("s3-sync download: a multipart ETag proves the bytes with a part size tools use",
          "[steps][s3][download-proof]") {
  ProofBucket b;
  for (const char* part : {"5242880", "8388608", "6291456"}) {  // S3's minimum, aws-cli, split
    CAPTURE(part);
    std::string view = std::string("etag-parts=") + part + ",strip-sha";
    std::string folder = std::string("ok-") + part;
    Command c = b.Download(view, folder);
    INFO(c.err);
    CHECK(c.exit_code == 0);
    CHECK_FALSE(StderrHas(c, "NOT verified"));
    CHECK(b.Same(folder, "big.bin"));
    // The next sync finds it equal by the same proof: nothing is downloaded again.
    Command again = b.Download(view, folder);
    CHECK(StderrHas(again, "0 transferred (0 bytes), 2 unchanged"));
  }
}

TEST_CASE("s3-sync download: what nothing can prove is refused, or kept and counted",
          "[steps][s3][download-proof]") {
  ProofBucket b;
  // Parts of 5.5 MiB (3 parts): no part size tried gives the ETag; an SSE-KMS ETag is no MD5.
  for (const char* view : {"etag-parts=5767168,strip-sha", "etag-opaque,strip-sha"}) {
    CAPTURE(view);
    Command refused = b.Download(view, "no");
    CHECK(refused.exit_code == 1);
    CHECK(StderrHas(refused, "cannot be verified"));
    CHECK(StderrHas(refused, "(require_verified: false keeps it unverified)"));
    Command kept = b.Download(view, "kept", ", require_verified: false");
    INFO(kept.err);
    CHECK(kept.exit_code == 0);
    CHECK(StderrHas(kept, "warning: big.bin kept NOT verified: its ETag"));
    CHECK(b.Same("kept", "big.bin"));
    Shell("rm -rf " + b.dir + "/kept");
  }
  // With its sha256 metadata an SSE-KMS-style ETag is proved by the recorded sha256.
  Command sha = b.Download("etag-opaque", "sha");
  CHECK(sha.exit_code == 0);
  CHECK(b.Same("sha", "big.bin"));
  CHECK(b.Same("sha", "small.txt"));
}

// Uploads `dir`/mc/big.bin (20 MB) through a proxy reading every PUT at 0.3 s a MiB (parts
// of 5 MiB, one at a time, from `threshold`), while a writer changes it near its end half a
// second after the proxy began reading the first body (at a fixed second it raced a slow
// start, under ASan: the file changed before it was hashed, and the sync rightly passed).
Command UploadWhileChanged(const std::string& dir, int port, const std::string& threshold) {
  REQUIRE(Shell("cd " + dir + " && mkdir -p mc && head -c 20000000 /dev/urandom > mc/big.bin")
              .exit_code == 0);
  FaultProxy proxy(port, "", "slow-put=0.3");
  return RunSync(
      dir,
      "source: mc, dest: 's3://backups/mc', endpoint: '" + proxy.endpoint() +
          "', part_size: 5MiB, multipart_threshold: " + threshold + ", concurrency: 1",
      "S3RVER",
      "(for i in $(seq 600); do grep -q 'slow-put: a body is being read' " + proxy.log_path() +
          " && break; sleep 0.05; done; sleep 0.5; printf CHANGED | dd of=mc/big.bin bs=1 "
          "seek=17000000 conv=notrunc status=none) & ");
}

TEST_CASE("s3-sync upload: a file changed while it is sent is never stored",
          "[steps][s3][download-proof]") {
  // breakH H4: the object held the new bytes under the old x-amz-meta-sha256, ok.
  S3rver server("backups");
  std::string dir = TempDir();
  std::string direct = "endpoint: '" + server.endpoint() + "'";
  for (const char* threshold : {"8MiB", "64MiB"}) {  // in parts, and one PUT
    CAPTURE(threshold);
    Command c = UploadWhileChanged(dir, server.port(), threshold);
    INFO(c.err);
    CHECK(c.exit_code == 1);
    CHECK(StderrHas(c, "'big.bin' changed while it was uploaded; nothing was stored"));
    // Nothing under the key (a single PUT to a server that does not check Content-MD5 was
    // stored, then removed): the next sync sends the file whole, with its own sha256.
    Command again = RunSync(dir, "source: mc, dest: 's3://backups/mc', " + direct);
    CHECK(StderrHas(again, "listed 1 at the source, 0 at the destination"));
    Command back = RunSync(dir, "source: 's3://backups/mc', dest: back, " + direct);
    CHECK(back.exit_code == 0);
    CHECK(Shell("cmp " + dir + "/mc/big.bin " + dir + "/back/big.bin").exit_code == 0);
    Shell("cd " + dir + " && rm -rf back && mkdir -p empty");
    REQUIRE(RunSync(dir,
                    "source: empty, dest: 's3://backups/mc', delete: true, "
                    "force_delete: true, " +
                        direct)
                .exit_code == 0);
  }
}

TEST_CASE("s3-sync: a server that stored other bytes than were sent is never believed",
          "[steps][s3][download-proof]") {
  // breakI I30: a PUT whose answer's ETag was not the MD5 of what was sent was accepted
  // (single and multipart); a download contradicting its own x-amz-meta-sha256 was kept
  // because its (plain MD5) ETag matched.
  S3rver server("backups");
  std::string dir = TempDir();
  std::string direct = "endpoint: '" + server.endpoint() + "'";
  REQUIRE(Shell("cd " + dir + " && mkdir up && echo 'second important backup' > up/dump2.gz &&" +
                " head -c 9437184 /dev/urandom > up/big.bin")
              .exit_code == 0);
  {
    FaultProxy proxy(server.port(), "", "corrupt-put");
    Command c = RunSync(dir, "source: up, dest: 's3://backups/pc', endpoint: '" + proxy.endpoint() +
                                 "', part_size: 5MiB, multipart_threshold: 5MiB");
    INFO(c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("upload to s3://backups/pc/dump2.gz: the server stored "
                                      "other bytes: ETag "));
    CHECK_THAT(c.err, Catch::Contains(" of s3://backups/pc/big.bin: the server stored other "
                                      "bytes"));  // whichever part is answered first
  }
  Command listed = RunSync(dir, "source: 's3://backups/pc', dest: none, " + direct);
  CHECK_THAT(listed.err, Catch::Contains("listed 0 at the source"));  // nothing was left
  REQUIRE(RunSync(dir, "source: up, dest: 's3://backups/pc', " + direct).exit_code == 0);
  FaultProxy stored(server.port(), "", "corrupt-stored");
  Command down =
      RunSync(dir, "source: 's3://backups/pc', dest: down, endpoint: '" + stored.endpoint() + "'");
  CHECK(down.exit_code == 1);
  CHECK_THAT(down.err, Catch::Contains("download of s3://backups/pc/dump2.gz does not check out "
                                       "(sha256 ") &&
                           Catch::Contains("is not the recorded "));
  CHECK(Shell("test -e " + dir + "/down/dump2.gz").exit_code != 0);
}

TEST_CASE("s3-sync download: a sha256 recorded in upper case is the same value (breakJ J13)",
          "[steps][s3][download-proof]") {
  ProofBucket b;
  // Another tool stored the object with its sha256 in upper case (PowerShell Get-FileHash);
  // through an opaque ETag only that metadata can prove the bytes.
  REQUIRE(Shell("cd " + b.dir + " && echo 'meta case test' > mc.txt && curl -sf -X PUT -H " +
                "\"x-amz-meta-sha256: $(sha256sum mc.txt | cut -d' ' -f1 | tr a-f A-F)\" " +
                "--data-binary @mc.txt " + b.server.endpoint() + "/backups/uc/mc.txt")
              .exit_code == 0);
  FaultProxy proxy(b.server.port(), "", "etag-opaque");
  Command c = b.Sync(proxy.endpoint(), "s3://backups/uc", "uc");
  INFO(c.err);
  CHECK(c.exit_code == 0);
  CHECK(Shell("cmp " + b.dir + "/mc.txt " + b.dir + "/uc/mc.txt").exit_code == 0);
  // Variant: upper case that is NOT the object's sha256 is still refused.
  REQUIRE(Shell("cd " + b.dir +
                " && curl -sf -X PUT -H 'x-amz-meta-sha256: " + std::string(64, 'A') +
                "' --data-binary @mc.txt " + b.server.endpoint() + "/backups/uc2/mc.txt")
              .exit_code == 0);
  Command bad = b.Sync(proxy.endpoint(), "s3://backups/uc2", "uc2");
  CHECK(bad.exit_code == 1);
  CHECK(StderrHas(bad, "does not check out"));
}

TEST_CASE("s3-sync upload: an answer without an ETag, or with a wrong multipart ETag, is refused",
          "[steps][s3][download-proof]") {
  // breakJ J3: a single PUT answered without an ETag was accepted, a body changed on the
  // way stored under the sender's sha256. J4: CompleteMultipartUpload's ETag was not checked.
  S3rver server("backups");
  std::string dir = TempDir();
  std::string direct = "endpoint: '" + server.endpoint() + "'";
  REQUIRE(Shell("cd " + dir + " && mkdir up mp && echo 'small dump' > up/dump.gz &&" +
                " head -c 11534336 /dev/urandom > mp/big.bin")
              .exit_code == 0);
  {
    FaultProxy proxy(server.port(), "", "corrupt-put,put-no-etag");
    Command c =
        RunSync(dir, "source: up, dest: 's3://backups/ne', endpoint: '" + proxy.endpoint() + "'");
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("upload to s3://backups/ne/dump.gz: HTTP 200 without an "
                                      "ETag; the object this upload stored was removed"));
    Command listed = RunSync(dir, "source: 's3://backups/ne', dest: none, " + direct);
    CHECK_THAT(listed.err, Catch::Contains("listed 0 at the source"));
  }
  {
    // The answer lost its ETag on the way, the object did not: a HEAD proves it (its ETag is
    // the MD5 of what was sent), so the upload stands.
    FaultProxy proxy(server.port(), "", "put-no-etag");
    Command c =
        RunSync(dir, "source: up, dest: 's3://backups/ok1', endpoint: '" + proxy.endpoint() + "'");
    INFO(c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(proxy.Log(), Catch::Contains("\"HEAD /backups/ok1/dump.gz"));
    CHECK(RunSync(dir, "source: 's3://backups/ok1', dest: back1, " + direct).exit_code == 0);
    CHECK(ReadFile(dir + "/back1/dump.gz") == "small dump\n");
  }
  {
    // A completion answered with another ETag, and the stored object's own ETag (HEAD) proves
    // nothing either (here: the multipart ETag of 1 MiB parts, not of the 5 MiB sent).
    FaultProxy proxy(server.port(), "", "complete-etag,etag-parts=1048576");
    Command c = RunSync(dir, "source: mp, dest: 's3://backups/ce', endpoint: '" + proxy.endpoint() +
                                 "', part_size: 5MiB, multipart_threshold: 5MiB");
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("completing the upload of s3://backups/ce/big.bin: the "
                                      "server stored other bytes: ETag 00000000000000000000000000"
                                      "000000-3 is not ") &&
                          Catch::Contains("-3, the multipart ETag of what was sent; the object "
                                          "this upload stored was removed"));
    Command listed = RunSync(dir, "source: 's3://backups/ce', dest: none, " + direct);
    CHECK_THAT(listed.err, Catch::Contains("listed 0 at the source"));
  }
  {
    // Only the completion's answer lied: the object's HEAD proves what was stored.
    FaultProxy proxy(server.port(), "", "complete-etag");
    Command c =
        RunSync(dir, "source: mp, dest: 's3://backups/ce2', endpoint: '" + proxy.endpoint() +
                         "', part_size: 5MiB, multipart_threshold: 5MiB");
    CHECK(c.exit_code == 0);
    CHECK_THAT(proxy.Log(), Catch::Contains("\"HEAD /backups/ce2/big.bin"));
  }
  // The same through no proxy: s3rver's own answers agree, the upload passes.
  CHECK(RunSync(dir, "source: mp, dest: 's3://backups/ok', " + direct +
                         ", part_size: 5MiB, multipart_threshold: 5MiB")
            .exit_code == 0);
}

// break22a #3: a PUT answered 200 by something that is not S3 (a captive portal's page, no
// ETag) stored nothing; the DELETE that followed removed the previous good copy.
TEST_CASE("s3-sync upload: an answer that is not S3's deletes nothing, the previous copy stays",
          "[steps][s3][download-proof]") {
  S3rver server("backups");
  std::string dir = TempDir();
  std::string direct = "endpoint: '" + server.endpoint() + "'";
  REQUIRE(Shell("cd " + dir + " && mkdir up && echo 'good old copy' > up/a.txt").exit_code == 0);
  REQUIRE(RunSync(dir, "source: up, dest: 's3://backups/p', " + direct).exit_code == 0);
  WriteFile(dir + "/up", "a.txt", "a newer version\n");
  FaultProxy portal(server.port(), "put:html");
  Command c =
      RunSync(dir, "source: up, dest: 's3://backups/p', endpoint: '" + portal.endpoint() + "'");
  INFO(c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("upload to s3://backups/p/a.txt: HTTP 200 without an ETag; "
                                    "the object at the key is not this upload's (its sha256 "
                                    "metadata differs): left as it was"));
  CHECK(portal.Log().find("\"DELETE ") == std::string::npos);
  REQUIRE(RunSync(dir, "source: 's3://backups/p', dest: back, " + direct).exit_code == 0);
  CHECK(ReadFile(dir + "/back/a.txt") == "good old copy\n");
}

// break22a #2: a CompleteMultipartUpload that failed left its parts stored (billed), and a
// 200 carrying a retryable <Error> was not tried again.
TEST_CASE("s3-sync upload: a failed completion is aborted, a 200 with InternalError is retried",
          "[steps][s3][download-proof]") {
  S3rver server("backups");
  std::string dir = TempDir();
  REQUIRE(
      Shell("cd " + dir + " && mkdir mp && head -c 11534336 /dev/urandom > mp/big.bin").exit_code ==
      0);
  const std::string parts = "', part_size: 5MiB, multipart_threshold: 5MiB";
  {
    FaultProxy proxy(server.port(), "complete:400");
    Command c =
        RunSync(dir, "source: mp, dest: 's3://backups/f', endpoint: '" + proxy.endpoint() + parts);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("completing the upload of s3://backups/f/big.bin: "));
    CHECK_THAT(c.err, Catch::Contains("InvalidPart"));
    // The abort was asked (s3rver cannot: it answers 405, and the bucket's lifecycle rule
    // is the backstop, docs/s3-sync.md).
    CHECK_THAT(proxy.Log(), Catch::Contains("\"DELETE /backups/f/big.bin?uploadId="));
  }
  {
    FaultProxy proxy(server.port(), "complete:error");
    Command c =
        RunSync(dir, "source: mp, dest: 's3://backups/r', endpoint: '" + proxy.endpoint() + parts);
    INFO(c.err);
    CHECK(c.exit_code == 0);
    std::string log = proxy.Log();
    size_t first = log.find("\"POST /backups/r/big.bin?uploadId=");
    REQUIRE(first != std::string::npos);
    CHECK(log.find("\"POST /backups/r/big.bin?uploadId=", first + 1) != std::string::npos);
    CHECK(log.find("\"DELETE ") == std::string::npos);
  }
  {
    // break22c #10: the server completed it, the answer said InternalError, and the retry
    // finds no such upload: the object at the key proves the upload (a HEAD), not aborted.
    FaultProxy proxy(server.port(), "complete:lie");
    Command c =
        RunSync(dir, "source: mp, dest: 's3://backups/l', endpoint: '" + proxy.endpoint() + parts);
    INFO(c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(proxy.Log(), Catch::Contains("\"HEAD /backups/l/big.bin"));
    CHECK(proxy.Log().find("\"DELETE ") == std::string::npos);
  }
}
