// s3-sync's S3 protocol through the real binary: keys that XML must escape, against real
// s3rver, and answers that are not the expected XML document, through the fault proxy.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "engine/util/crypto.h"
#include "steps/common/s3.h"
#include "support/s3rver.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Keys S3 servers send as character references (&#x27; &#x9; &#233; &amp; &lt; &quot;).
const std::vector<std::string> kOddNames = {
    "docs/O'Brien invoice.pdf", "docs/tab\there.txt", "docs/caf\xc3\xa9 menu.txt",
    "docs/a & b <c> \"d\".txt", "docs/\xe6\x97\xa5\xe6\x9c\xac/r\xc3\xa9sum\xc3\xa9's.txt"};

struct Step {  // one s3-sync step, run by the binary
  std::string dir = TempDir();
  std::string endpoint;

  Command Sync(const std::string& source, const std::string& dest,
               const std::string& extra = "") const {
    return RunSync(dir, "source: '" + source + "', dest: '" + dest + "', endpoint: '" + endpoint +
                            "', concurrency: 2" + extra);
  }
  // One sync with delete and force_delete through the fault proxy answering `fault`.
  Command Faulty(const S3rver& server, const std::string& fault, const std::string& source,
                 const std::string& dest) {
    FaultProxy proxy(server.port(), fault);
    std::string direct = endpoint;
    endpoint = proxy.endpoint();
    Command c = Sync(source, dest, ", delete: true, force_delete: true");
    endpoint = direct;
    return c;
  }
  void Put(const std::string& rel, const std::string& text) const {
    std::filesystem::path path = std::filesystem::path(dir) / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }
  // The folder `src` gets f1.txt .. f<count>.txt, synced to `dest`; then f<from>.txt and
  // later are removed from `src`: what a sync with delete then deletes.
  void Seed(const std::string& src, const std::string& dest, int count, int from) const {
    for (int i = 1; i <= count; ++i) Put(src + "/f" + std::to_string(i) + ".txt", "x\n");
    REQUIRE(Sync(src, dest).exit_code == 0);
    for (int i = from; i <= count; ++i)
      std::filesystem::remove(dir + "/" + src + "/f" + std::to_string(i) + ".txt");
  }
  std::string Tree(const std::string& folder) const {  // "name size" lines, sorted
    return Shell("cd " + dir + "/" + folder + " && find . -type f -printf '%p %s\\n' | sort").out;
  }
};

using Cases = std::vector<std::pair<std::string, std::string>>;  // fault, what it is called

// s3://backups/daily holds `remote` objects and the folder "local" 40 files; a sync with
// delete and force_delete from the bucket to the folder through each fault fails with its
// message (operation, status, content type, why) and changes nothing.
void ExpectRefusedListings(Step& s, const S3rver& server, int remote, const Cases& cases) {
  for (int i = 1; i <= remote; ++i) s.Put("src/f" + std::to_string(i) + ".txt", "remote\n");
  REQUIRE(s.Sync("src", "s3://backups/daily").exit_code == 0);
  for (int i = 1; i <= 40; ++i) s.Put("local/l" + std::to_string(i) + ".txt", "local\n");
  const std::string before = s.Tree("local");
  for (const auto& [fault, message] : cases) {
    INFO(fault);
    Command c = s.Faulty(server, fault, "s3://backups/daily", "local");
    CHECK(c.exit_code == 1);
    CHECK(StderrHas(c, message));
    CHECK(StderrHas(c, "; nothing was changed"));
    CHECK_FALSE(StderrHas(c, "crashed"));
    CHECK(s.Tree("local") == before);
  }
}

}  // namespace

TEST_CASE("s3-sync keeps keys with an apostrophe, a tab and an e-acute exact, up and down",
          "[steps][s3][xml]") {
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  for (const std::string& name : kOddNames) s.Put("src/" + name, "content of " + name + "\n");
  s.Put("src/docs/big 'quoted' \xc3\xa9.bin", std::string(6u << 20, 'x'));
  const std::string parts = ", multipart_threshold: 5MiB, part_size: 5MiB";
  Command up = s.Sync("src", "s3://backups/p", ", delete: true" + parts);
  REQUIRE(up.exit_code == 0);
  CHECK(StderrHas(up, " 6 transferred ("));
  // The listing gives back exactly the keys sent: nothing to do, nothing deleted.
  Command again = s.Sync("src", "s3://backups/p", ", delete: true" + parts);
  CHECK(again.exit_code == 0);
  CHECK(StderrHas(again, "0 transferred (0 bytes), 6 unchanged, 0 deleted"));
  CHECK(s.Sync("src", "s3://backups/p", ", mode: verify").exit_code == 0);
  // Down: every object under its own name, byte-identical.
  s.Put("back/stale.txt", "not in the bucket\n");
  Command down = s.Sync("s3://backups/p", "back", ", delete: true, force_delete: true");
  CHECK(down.exit_code == 0);
  CHECK(StderrHas(down, " 6 transferred ("));
  CHECK(StderrHas(down, " bytes), 0 unchanged, 1 deleted"));
  CHECK(s.Tree("back") == s.Tree("src"));
  CHECK(Shell("diff -r " + s.dir + "/src " + s.dir + "/back").exit_code == 0);
  CHECK(s.Sync("s3://backups/p", "back", ", mode: verify").exit_code == 0);
}

TEST_CASE("s3-sync: a listing that is not a ListBucketResult deletes nothing and says why",
          "[steps][s3][xml][faults]") {
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  // What each wrong answer must be called: operation, status, content type, why.
  ExpectRefusedListings(
      s, server, 30,
      {
          {"list:html",
           "listing s3://backups/daily/: HTTP 200 with a text/html; charset=utf-8 body is not a "
           "ListBucketResult (it has a <!DOCTYPE html>, which S3 never sends)"},
          {"list:empty",
           "listing s3://backups/daily/: HTTP 200 with an empty application/xml body is not a "
           "ListBucketResult"},
          {"list:truncated",
           "listing s3://backups/daily/: HTTP 200 with an application/xml body is "
           "not a ListBucketResult (not XML: "},
          {"list:hugesize",
           "listing s3://backups/daily/: HTTP 200 with an application/xml body is not a "
           "ListBucketResult (<Size> '100000000000000000000' of 'daily/f1.txt' is not"},
      });
  // Upward too: an HTML listing of the destination is not an empty bucket to fill.
  Command up = s.Faulty(server, "list:html", "local", "s3://backups/daily");
  CHECK(up.exit_code == 1);
  CHECK(
      StderrHas(up, "listing s3://backups/daily/: HTTP 200 with a text/html; charset=utf-8 body"));
}

TEST_CASE("s3-sync counts only the deletes the server's DeleteResult confirms",
          "[steps][s3][xml][faults]") {
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  s.Seed("src", "s3://backups/d", 6, 3);
  const std::vector<std::pair<std::string, std::string>> cases = {
      // The server deletes f3 and f5 and answers <Error> AccessDenied for f4 and f6.
      {"delete:partial",
       "deleted 2 of 4 objects at s3://backups/d/; 2 not deleted: 'd/f4.txt' AccessDenied "
       "(Access Denied), 'd/f6.txt' AccessDenied (Access Denied)"},
      // A DeleteResult that names no key: nothing is counted as deleted.
      {"delete:silent",
       "deleted 0 of 2 objects at s3://backups/d/; 2 not deleted: 'd/f4.txt' (the server's "
       "DeleteResult does not name it), 'd/f6.txt' (the server's DeleteResult does not name "
       "it)"},
      {"delete:html",
       "deleted 0 of 2 objects at s3://backups/d/; deleting in s3://backups/: HTTP 200 with a "
       "text/html body is not a DeleteResult (it has a <!DOCTYPE html>, which S3 never "
       "sends)"},
  };
  for (const auto& [fault, message] : cases) {
    INFO(fault);
    Command c = s.Faulty(server, fault, "src", "s3://backups/d");
    CHECK(c.exit_code == 1);
    CHECK(StderrHas(c, message));
  }
  CHECK(StderrHas(s.Sync("s3://backups/d", "left"), "4 transferred ("));
  CHECK(s.Tree("left") == "./f1.txt 2\n./f2.txt 2\n./f4.txt 2\n./f6.txt 2\n");
  Command done = s.Sync("src", "s3://backups/d", ", delete: true, force_delete: true");
  CHECK(done.exit_code == 0);
  CHECK(StderrHas(done, "0 transferred (0 bytes), 2 unchanged, 2 deleted"));
}

namespace {
// s3rver's bucket "backups", an S3Client of it and a one-byte object to put under any key.
struct S3Fixture {
  S3rver server{"backups"};
  S3Client s3{Config(server)};
  CancelToken cancel;
  std::string file = WriteFile(TempDir(), "f", "x");

  static S3Config Config(const S3rver& server) {
    S3Config config;
    config.endpoint = server.endpoint();
    config.bucket = "backups";
    config.creds = {"S3RVER", "S3RVER", ""};
    return config;
  }
  bool Put(const std::string& key) {
    return s3.Put(key, file, Sha256Hex("x"), Md5Raw("x"), 1, cancel).ok();
  }
  bool Exists(const std::string& key) { return s3.Head(key, cancel).ok(); }
};
}  // namespace

TEST_CASE("S3Client deletes a key XML cannot carry by its URL, not a look-alike",
          "[steps][s3][xml]") {
  S3Fixture b;
  // In a DeleteObjects body a CR goes as &#13;, but s3rver answers it raw, read as LF: the
  // other key. A control character other than tab, LF and CR cannot be in XML 1.0 at all.
  for (const std::string key : {"k/a\rb", "k/a\nb", "k/plain", "k/bell\x07", "k/esc\x1b"})
    REQUIRE(b.Put(key));
  S3DeleteOutcome out = b.s3.Delete({"k/a\rb", "k/plain", "k/bell\x07"}, b.cancel);
  CHECK(out.deleted == std::vector<std::string>{"k/a\rb", "k/bell\x07", "k/plain"});
  CHECK(out.Check(3, "s3://backups/k/").ok());
  CHECK_FALSE(b.Exists("k/a\rb"));
  CHECK_FALSE(b.Exists("k/plain"));
  CHECK_FALSE(b.Exists("k/bell\x07"));
  CHECK(b.Exists("k/a\nb"));
  CHECK(b.Exists("k/esc\x1b"));
}

TEST_CASE("S3Client refuses a listing XML 1.0 cannot hold, naming the operation",
          "[steps][s3][xml]") {
  S3Fixture b;
  REQUIRE(b.Put("ok/plain"));
  REQUIRE(b.s3.List("ok/", b.cancel).ok());
  // s3rver ignores encoding-type=url and writes the control character raw.
  for (const std::string key : {"bad/bell\x07", "bad/soh\x01"}) {
    INFO(key);
    REQUIRE(b.Put(key));
    auto listed = b.s3.List("bad/", b.cancel);
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.status().message().rfind(
              "listing s3://backups/bad/: HTTP 200 with an application/xml body is not a "
              "ListBucketResult (not XML: PCDATA invalid Char value ",
              0) == 0);
    REQUIRE(b.s3.Delete({key}, b.cancel).Check(1, "s3://backups/bad/").ok());
  }
}

TEST_CASE("s3-sync: a listing that contradicts itself, hides its keys or loops deletes nothing",
          "[steps][s3][xml][faults][shape]") {
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  const std::string answer = "listing s3://backups/daily/: HTTP 200 with an application/xml body ";
  ExpectRefusedListings(
      s, server, 3,
      {{"list:duptruncated", answer +
                                 "is not a ListBucketResult (more than one <IsTruncated> inside "
                                 "<ListBucketResult>)"},
       {"list:wrapped",
        answer + "is not a ListBucketResult (<Contents> inside <Wrapper>, where S3 never puts it)"},
       {"list:tokenloop",
        answer + "repeats the continuation token 'A' of an earlier page (a loop)"},
       {"list:empty403", "listing s3://backups/daily/: HTTP 403 with an empty untyped body;"},
       {"list:duppages",
        answer + "names the key 'daily/twice.txt' again (an earlier page had it)"}});
  // Upward: a looping listing of the destination is not an empty bucket to fill.
  Command up = s.Faulty(server, "list:tokenloop", "src", "s3://backups/daily");
  CHECK(up.exit_code == 1);
  CHECK(StderrHas(up, answer + "repeats the continuation token 'A'"));
}

TEST_CASE("s3-sync: a download stops once it passes the listed size, and S3's code is named",
          "[steps][s3][xml][faults]") {
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  for (int i = 1; i <= 4; ++i) s.Put("src/f" + std::to_string(i) + ".txt", "remote\n");
  REQUIRE(s.Sync("src", "s3://backups/daily").exit_code == 0);
  s.Put("down/old.txt", "local\n");
  Command big = s.Faulty(server, "get:oversize", "s3://backups/daily", "down");
  CHECK(big.exit_code == 1);
  CHECK(StderrHas(big,
                  "HTTP 200 with a body longer than the 7 bytes listed; stopped there and kept "
                  "nothing"));
  // The other three arrive whole; no temporary file is left behind.
  std::istringstream tree(s.Tree("down"));
  int arrived = 0;
  for (std::string line; std::getline(tree, line);) {
    INFO(line);
    CHECK((line == "./old.txt 6" ||
           (line.rfind("./f", 0) == 0 && line.size() == 10 && line.substr(4) == ".txt 7")));
    arrived += line.rfind("./f", 0) == 0;
  }
  CHECK(arrived == 3);
  Command gone = s.Faulty(server, "get:nosuchkey", "s3://backups/daily", "again");
  CHECK(gone.exit_code == 1);
  CHECK(StderrHas(gone, ".txt: HTTP 404 NoSuchKey"));
  // break22a #9: the 206's body went to the download's file, and was called "empty".
  Command partial = s.Faulty(server, "get:partial", "s3://backups/daily", "part");
  CHECK(partial.exit_code == 1);
  CHECK(StderrHas(partial, ".txt: HTTP 206 with an application/octet-stream body"));
}

TEST_CASE("s3-sync: a DeleteResult about keys never asked, or a key both deleted and not, fails",
          "[steps][s3][xml][faults]") {
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"delete:unasked", "names the key 'never/asked.txt', which was not asked to be deleted"},
      {"delete:both", "is not a DeleteResult (names the key 'P/f3.txt' twice)"},
  };
  for (const auto& [fault, why] : cases) {
    INFO(fault);
    const std::string prefix = fault.substr(7), src = "src-" + prefix;
    s.Seed(src, "s3://backups/" + prefix, 4, 3);
    Command c = s.Faulty(server, fault, src, "s3://backups/" + prefix);
    CHECK(c.exit_code == 1);
    std::string expected = why;
    if (expected.find("P/") != std::string::npos) expected.replace(expected.find("P/"), 1, prefix);
    CHECK(StderrHas(c, "deleted 0 of 2 objects at s3://backups/" + prefix +
                           "/; deleting in s3://backups/: HTTP 200 with an application/xml body " +
                           expected));
  }
}

TEST_CASE("S3Client bounds a listing's pages and a download's bytes, and names S3's code",
          "[steps][s3][xml][faults]") {
  S3Fixture b;
  REQUIRE(b.Put("k/one"));
  S3Config config = S3Fixture::Config(b.server);
  config.max_list_pages = 5;
  {  // Fresh tokens forever: refused after 5 pages, not listed for ever.
    FaultProxy proxy(b.server.port(), "list:tokenflood");
    config.endpoint = proxy.endpoint();
    auto listed = S3Client(config).List("k/", b.cancel);
    REQUIRE_FALSE(listed.ok());
    CHECK(listed.status().message() ==
          "listing s3://backups/k/: still truncated after 5 pages (max_list_pages); refused as "
          "endless");
  }
  const std::string file = TempDir() + "/got";
  {  // 30 MiB for a 1-byte object: stopped at once (the whole would take 5 s), file removed.
    FaultProxy proxy(b.server.port(), "get:oversize");
    config.endpoint = proxy.endpoint();
    auto start = std::chrono::steady_clock::now();
    Status got = S3Client(config).Get("k/one", file, 1, b.cancel);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    CHECK(got.message() ==
          "download of s3://backups/k/one: HTTP 200 with a body longer than the 1 bytes listed; "
          "stopped there and kept nothing");
    CHECK_FALSE(std::filesystem::exists(file));
  }
  // An error body is read whole and never goes to the file, even when 0 bytes are listed.
  Status gone = b.s3.Get("k/none", file, 0, b.cancel);
  CHECK(gone.message() == "download of s3://backups/k/none: HTTP 404 NoSuchKey");
  CHECK_FALSE(std::filesystem::exists(file));
  CHECK(b.s3.Get("k/one", file, 1, b.cancel).ok());
  CHECK(ReadFile(file) == "x");
  auto head = b.s3.Head("k/none", b.cancel);
  CHECK(head.status().message().rfind("head of s3://backups/k/none: HTTP 404 with an empty ", 0) ==
        0);
}

TEST_CASE("s3-sync: a listing that answers another bucket, prefix or request deletes nothing",
          "[steps][s3][xml][faults][echo]") {
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  const std::string answer =
      "listing s3://backups/daily/: HTTP 200 with an application/xml body answers another "
      "request: its ";
  // Each is well-formed and empty: read as this prefix's listing, delete removed everything.
  ExpectRefusedListings(s, server, 3,
                        {{"list:otherbucket", answer + "<Name> is 'other', expected 'backups'"},
                         {"list:wholebucket", answer + "<Prefix> is '', expected 'daily/'"},
                         {"list:otherprefix", answer + "<Prefix> is 'weekly/', expected 'daily/'"},
                         {"list:maxkeys0", answer + "<MaxKeys> is '0', expected '1000'"}});
  // Upward: another prefix's empty answer is not an empty destination to fill.
  Command up = s.Faulty(server, "list:otherprefix", "local", "s3://backups/daily");
  CHECK(up.exit_code == 1);
  CHECK(StderrHas(up, answer + "<Prefix> is 'weekly/', expected 'daily/'"));
}

TEST_CASE(
    "s3-sync: a listing that answers a request with a delimiter, start-after or V1 deletes "
    "nothing",
    "[steps][s3][xml][faults][echo]") {
  // breakH H7: these answers echo things runbook never sends (or lack V2's <KeyCount>); read as
  // this prefix's listing, delete removed whatever they folded away or skipped.
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  const std::string answer =
      "listing s3://backups/daily/: HTTP 200 with an application/xml body answers another "
      "request: ";
  ExpectRefusedListings(
      s, server, 3,
      {{"list:delimiter", answer + "its <Delimiter> is '/', expected ''"},
       {"list:folded", answer + "it folds keys into <CommonPrefixes>"},
       {"list:startafter", answer + "its <StartAfter> is 'daily/zzz', expected ''"},
       {"list:v1marker", answer + "its <Marker> belongs to ListObjects version 1"},
       {"list:nokeycount", "HTTP 200 with an application/xml body has no <KeyCount>"}});
}

TEST_CASE("s3-sync: a valid listing declared as HTML or plain text deletes nothing",
          "[steps][s3][xml][faults][echo]") {
  // breakG #10 (B, LOW): the content type is part of the answer; a portal's or proxy's page
  // that happens to hold a listing is not S3's.
  S3rver server("backups");
  Step s;
  s.endpoint = server.endpoint();
  ExpectRefusedListings(s, server, 3,
                        {{"list:asplain",
                          "HTTP 200 with a text/plain body is not declared as "
                          "XML: not an answer from S3"}});
}

TEST_CASE("S3Client tells the bytes of a body as they move, up and down", "[steps][s3][progress]") {
  S3Fixture b;
  std::string data;
  for (int i = 0; data.size() < (6u << 20); ++i) data += std::to_string(i) + ",";
  std::string dir = TempDir(), file = WriteFile(dir, "big", data);
  std::mutex mu;
  std::vector<uint64_t> calls;
  b.s3.ReportBytes([&](uint64_t n) {
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back(n);
  });
  auto sum = [&] {
    uint64_t total = 0;
    for (uint64_t n : calls) total += n;
    return total;
  };
  REQUIRE(b.s3.Put("big", file, Sha256Hex(data), Md5Raw(data), data.size(), b.cancel).ok());
  CHECK(calls.size() > 4);  // in pieces, not once at the end
  CHECK(sum() == data.size());
  calls.clear();
  REQUIRE(b.s3.Get("big", dir + "/back", data.size(), b.cancel).ok());
  CHECK(calls.size() > 4);
  CHECK(sum() == data.size());
  CHECK(ReadFile(dir + "/back") == data);
  // Requests without a body file tell nothing.
  calls.clear();
  REQUIRE(b.s3.Head("big", b.cancel).ok());
  REQUIRE(b.s3.List("", b.cancel).ok());
  CHECK(calls.empty());
}
