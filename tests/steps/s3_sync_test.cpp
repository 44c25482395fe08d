// s3-sync against a real S3 server (s3rver on loopback) and between local folders.
#include <catch2/catch.hpp>

#include "support/s3rver.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

struct Sync {
  std::string dir = TempDir();
  std::string endpoint;

  Command Run(const std::string& source, const std::string& dest,
              const std::string& extra = "") const {
    return RunSync(
        dir, "source: '" + source + "', dest: '" + dest + "', endpoint: '" + endpoint + "'" + extra,
        "not-the-real-secret-42");
  }
  std::string Line(const Command& c) const {  // the step's summary line
    size_t p = c.err.find(" transferred (");
    if (p == std::string::npos) return c.err;
    size_t start = c.err.rfind("s | ", p) + 4;
    return c.err.substr(start, c.err.find('\n', p) - start);
  }
};

}  // namespace

TEST_CASE("s3-sync to and from S3: by content, exact deletes, guarded, restorable", "[steps][s3]") {
  S3rver server("backups");
  Sync s;
  s.endpoint = server.endpoint();
  Shell("mkdir -p " + s.dir + "/src/sub && cd " + s.dir +
        "/src && for i in $(seq 1 300); do echo \"file $i\" > f$i.txt; done && echo deep > "
        "sub/deep.txt");
  Command first = s.Run("src", "s3://backups/daily", ", delete: true");
  REQUIRE(first.exit_code == 0);
  CHECK(s.Line(first) == "301 transferred (2597 bytes), 0 unchanged, 0 deleted");
  CHECK(s.Line(s.Run("src", "s3://backups/daily", ", delete: true")) ==
        "0 transferred (0 bytes), 301 unchanged, 0 deleted");
  // Same size, older mtime: aws s3 sync would skip it; content decides here.
  Shell("cd " + s.dir +
        "/src && echo 'FILE 1' > f1.txt && touch -d '2 days ago' f1.txt && rm "
        "f2.txt f3.txt");
  CHECK(s.Line(s.Run("src", "s3://backups/daily", ", delete: true")) ==
        "1 transferred (7 bytes), 298 unchanged, 2 deleted");
  // Back from S3: the folder exactly.
  CHECK(s.Run("s3://backups/daily", "restored").exit_code == 0);
  CHECK(Shell("diff -r " + s.dir + "/src " + s.dir + "/restored").exit_code == 0);
  // A mass delete is refused and changes nothing.
  Shell("cd " + s.dir + "/src && rm f1*.txt f2*.txt f3*.txt");
  Command guarded = s.Run("src", "s3://backups/daily", ", delete: true");
  CHECK(guarded.exit_code == 1);
  CHECK(guarded.err.find("refusing to delete 232 of 299 objects") != std::string::npos);
  CHECK(s.Line(s.Run("src", "s3://backups/daily", ", mode: verify")).find("missing") ==
        std::string::npos);
  CHECK(s.Run("s3://backups/daily", "restored", ", mode: verify").exit_code == 0);
  // No secret in any output.
  CHECK(first.err.find("not-the-real-secret-42") == std::string::npos);
  CHECK(Shell("sqlite3 " + s.dir + "/a.db .dump").out.find("not-the-real-secret-42") ==
        std::string::npos);
}

TEST_CASE("s3-sync: a failed listing deletes nothing, a missing bucket is named", "[steps][s3]") {
  Sync s;
  s.endpoint = "http://127.0.0.1:" + std::to_string(FreePort());  // nothing listens there
  Shell("mkdir -p " + s.dir + "/local && echo keep > " + s.dir + "/local/keep.txt");
  Command down = s.Run("s3://backups/daily", "local", ", delete: true");
  CHECK(down.exit_code == 1);
  CHECK(down.err.find("listing s3://backups/daily/") != std::string::npos);
  CHECK(down.err.find("nothing was changed") != std::string::npos);
  CHECK(Shell("cat " + s.dir + "/local/keep.txt").out == "keep\n");
  S3rver server("backups");
  s.endpoint = server.endpoint();
  Command missing = s.Run("local", "s3://no-such-bucket/x");
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("s3://no-such-bucket/x/: HTTP 404 NoSuchBucket") != std::string::npos);
}

TEST_CASE("s3-sync between local folders has the same semantics", "[steps][s3]") {
  Sync s;
  Shell("mkdir -p " + s.dir + "/a && cd " + s.dir +
        "/a && for i in $(seq 1 20); do echo \"n $i\" > f$i.txt; done");
  CHECK(s.Line(s.Run("a", "b", ", delete: true")) ==
        "20 transferred (91 bytes), 0 unchanged, 0 deleted");
  CHECK(Shell("diff -r " + s.dir + "/a " + s.dir + "/b").exit_code == 0);
  Shell("cd " + s.dir + "/a && echo 'N 1' > f1.txt && touch -d '2 days ago' f1.txt && rm f2.txt");
  CHECK(s.Line(s.Run("a", "b", ", delete: true")) ==
        "1 transferred (4 bytes), 18 unchanged, 1 deleted");
  CHECK(Shell("diff -r " + s.dir + "/a " + s.dir + "/b").exit_code == 0);
}

TEST_CASE("s3-sync sends a file above the threshold in parts and brings it back exactly",
          "[steps][s3]") {
  S3rver server("backups");
  Sync s;
  s.endpoint = server.endpoint();
  Shell("mkdir -p " + s.dir + "/big && head -c 20000000 /dev/urandom > " + s.dir +
        "/big/dump.sqlite.gz");
  const char* parts = ", multipart_threshold: 8MiB, part_size: 5MiB, concurrency: 3";
  Command up = s.Run("big", "s3://backups/big", parts);
  REQUIRE(up.exit_code == 0);
  CHECK(s.Line(up) == "1 transferred (20000000 bytes), 0 unchanged, 0 deleted");
  CHECK(up.err.find("dump.sqlite.gz: sent in 4 parts") != std::string::npos);
  CHECK(s.Line(s.Run("big", "s3://backups/big", parts)) ==
        "0 transferred (0 bytes), 1 unchanged, 0 deleted");
  CHECK(s.Run("s3://backups/big", "back").exit_code == 0);
  CHECK(Shell("cmp " + s.dir + "/big/dump.sqlite.gz " + s.dir + "/back/dump.sqlite.gz").exit_code ==
        0);
  Command bad = s.Run("big", "s3://backups/big", ", part_size: 1MiB");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("part_size must be from 5MiB to 5GiB (S3's part limits), not '1MiB'") !=
        std::string::npos);
}

TEST_CASE("s3-sync retries 5xx, SlowDown, 429 and resets, fails at once on 403",
          "[steps][s3][faults]") {
  S3rver server("backups");
  Sync s;
  Shell("mkdir -p " + s.dir + "/src && cd " + s.dir +
        "/src && for i in $(seq 1 30); do echo \"f $i\" > f$i.txt; done");
  {
    // Every request is retried at most 4 more times; the faults are spread so that each
    // one that hits a request is followed by a success within that budget.
    FaultProxy proxy(server.port(), "503,reset,pass,slowdown,pass,500,429,pass,reset,pass,503");
    s.endpoint = proxy.endpoint();
    Command c = s.Run("src", "s3://backups/x", ", concurrency: 2");
    CHECK(c.exit_code == 0);
    CHECK(s.Line(c) == "30 transferred (141 bytes), 0 unchanged, 0 deleted");
  }
  {
    // A stalled answer: the request times out and is retried.
    FaultProxy stall(server.port(), "pass,stall");
    s.endpoint = stall.endpoint();
    Shell("echo late > " + s.dir + "/src/late.txt");
    Command c = s.Run("src", "s3://backups/x", ", request_timeout: 1s");
    CHECK(c.exit_code == 0);
    CHECK(s.Line(c) == "1 transferred (5 bytes), 30 unchanged, 0 deleted");
  }
  s.endpoint = server.endpoint();  // straight to the server: everything arrived
  CHECK(s.Line(s.Run("src", "s3://backups/x")) ==
        "0 transferred (0 bytes), 31 unchanged, 0 deleted");
  FaultProxy denied(server.port(), "403");
  s.endpoint = denied.endpoint();
  Command c = s.Run("src", "s3://backups/x", ", delete: true");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("listing s3://backups/x/: HTTP 403 AccessDenied; nothing was changed") !=
        std::string::npos);
}

TEST_CASE("s3-sync and aws s3 sync agree on what is in sync", "[steps][s3][aws]") {
  REQUIRE(Shell("command -v aws").exit_code == 0);  // scripts/setup.sh installs it
  S3rver server("backups");
  Sync s;
  s.endpoint = server.endpoint();
  Shell("mkdir -p " + s.dir + "/src && cd " + s.dir +
        "/src && for i in $(seq 1 25); do echo \"a $i\" > f$i.txt; done"
        // aws compares mtimes with the object's LastModified: files made in the second of
        // the upload would look newer to it whatever either tool does.
        " && touch -d '1 minute ago' f*.txt");
  std::string aws =
      "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
      "AWS_DEFAULT_REGION=us-east-1 AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
      "aws --endpoint-url " +
      server.endpoint() + " s3 sync " + s.dir + "/src ";
  // A bucket filled by aws s3 sync is in sync for us.
  REQUIRE(Shell(aws + "s3://backups/by-aws --only-show-errors").exit_code == 0);
  CHECK(s.Line(s.Run("src", "s3://backups/by-aws")) ==
        "0 transferred (0 bytes), 25 unchanged, 0 deleted");
  // After our sync, aws s3 sync --dryrun finds nothing to upload.
  REQUIRE(s.Run("src", "s3://backups/by-us").exit_code == 0);
  Command dry = Shell(aws + "s3://backups/by-us --dryrun");
  CHECK(dry.exit_code == 0);
  CHECK(dry.out.find("upload") == std::string::npos);
}

TEST_CASE("s3-sync dry run lists transfers and deletes, profiles, require_encryption",
          "[steps][s3]") {
  S3rver server("backups");
  Sync s;
  s.endpoint = server.endpoint();
  Shell("mkdir -p " + s.dir + "/src && cd " + s.dir +
        "/src && for i in $(seq 1 5); do echo \"d $i\" > f$i.txt; done");
  REQUIRE(s.Run("src", "s3://backups/d").exit_code == 0);
  Shell("cd " + s.dir + "/src && echo changed > f1.txt && rm f2.txt && echo new > f6.txt");
  WriteFile(s.dir, "d.yaml",
            "version: 1\nname: d\nsteps:\n  - {id: s, uses: s3-sync, with: {source: src, dest: "
            "'s3://backups/d', endpoint: '" +
                s.endpoint + "', inventory: '', delete: true}}\n");
  // Credentials from a profile in the shared credentials file, not the environment.
  WriteFile(s.dir, "creds",
            "[default]\naws_access_key_id = WRONG\n\n[backup]\n"
            "aws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");
  std::string profile = "cd " + s.dir +
                        " && env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "
                        "AWS_SHARED_CREDENTIALS_FILE=" +
                        s.dir + "/creds AWS_PROFILE=backup ";
  Command dry = Shell(profile + Binary() + " run d.yaml --dry-run");
  CHECK(dry.exit_code == 0);
  CHECK(dry.err.find("would upload f1.txt") != std::string::npos);
  CHECK(dry.err.find("would upload f6.txt") != std::string::npos);
  CHECK(dry.err.find("would delete f2.txt") != std::string::npos);
  CHECK(dry.err.find("would upload 2, skip 3, delete 1") != std::string::npos);
  // Nothing changed: the real sync still has the same work to do.
  Command real = Shell(profile + Binary() + " run d.yaml --audit-db a.db");
  CHECK(s.Line(real) == "2 transferred (12 bytes), 3 unchanged, 1 deleted");
  Command none =
      Shell("cd " + s.dir +
            " && env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "
            "AWS_SHARED_CREDENTIALS_FILE=" +
            s.dir + "/creds AWS_PROFILE=nobody " + Binary() + " run d.yaml --audit-db a.db");
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("no S3 credentials") != std::string::npos);
  // s3rver drops SSE headers: with require_encryption the upload is not trusted.
  Shell("echo more > " + s.dir + "/src/f7.txt");
  Command enc = s.Run("src", "s3://backups/d", ", sse: AES256, require_encryption: true");
  CHECK(enc.exit_code == 1);
  CHECK(enc.err.find("the server did not confirm encryption at rest") != std::string::npos);
}

TEST_CASE("s3-sync: include/exclude, the inventory, wrong credentials named without the secret",
          "[steps][s3]") {
  S3rver server("backups");
  Sync s;
  s.endpoint = server.endpoint();
  Shell("mkdir -p " + s.dir + "/src/tmp && cd " + s.dir +
        "/src && echo a > a.sqlite.gz && echo m > a.sqlite.gz.meta.json && echo l > app.log && "
        "echo t > tmp/x.sqlite.gz");
  WriteFile(s.dir, "i.yaml",
            "version: 1\nname: i\nsteps:\n  - {id: s, uses: s3-sync, with: {source: src, dest: "
            "'s3://backups/i', endpoint: '" +
                s.endpoint +
                "', include: ['*.sqlite.gz', "
                "'*.meta.json'], exclude: ['tmp/*'], inventory: inv.json}}\n");
  Command c = Shell("cd " + s.dir + " && AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER " +
                    Binary() + " run i.yaml --audit-db a.db");
  CHECK(s.Line(c) == "2 transferred (4 bytes), 0 unchanged, 0 deleted");
  std::string inv = Shell("cat " + s.dir + "/inv.json").out;
  CHECK(inv.find("\"file\": \"s3://backups/i/a.sqlite.gz\"") != std::string::npos);
  CHECK(inv.find("\"etag\": \"") != std::string::npos);
  CHECK(inv.find("app.log") == std::string::npos);
  // Wrong credentials: S3's code, not the secret.
  FaultProxy bad(server.port(), "badkey");
  s.endpoint = bad.endpoint();
  Command denied = s.Run("src", "s3://backups/i");
  CHECK(denied.exit_code == 1);
  CHECK(denied.err.find("HTTP 403 InvalidAccessKeyId") != std::string::npos);
  CHECK(denied.err.find("not-the-real-secret-42") == std::string::npos);
}
