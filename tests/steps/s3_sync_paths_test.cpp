// s3-sync never writes outside its destination (issue 12 A): hostile keys in a listing,
// symbolic links in a local source, a symbolic link inside the destination. A real s3rver;
// tests/s3/key_proxy.py shows stored objects under keys s3rver itself cannot hold.
#include <catch2/catch.hpp>
#include <filesystem>
#include <utility>
#include <vector>

#include "support/s3rver.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

using Shows = std::vector<std::pair<std::string, std::string>>;  // listed key, stored key

// tests/s3/key_proxy.py in front of s3rver's bucket "backups".
class KeyProxy {
 public:
  KeyProxy(int target_port, const Shows& shows) : port_(FreePort()) {
    std::vector<std::string> argv{"python3",
                                  std::string(RUNBOOK_SOURCE_DIR) + "/tests/s3/key_proxy.py",
                                  std::to_string(port_),
                                  std::to_string(target_port),
                                  "--bucket",
                                  "backups"};
    for (const auto& [listed, stored] : shows) {
      argv.push_back("--show");
      argv.push_back(listed + "=" + stored);
    }
    pid_ = StartServer(argv, TempDir() + "/key_proxy.log", port_);
  }
  ~KeyProxy() { StopServer(pid_); }
  KeyProxy(const KeyProxy&) = delete;
  KeyProxy& operator=(const KeyProxy&) = delete;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The raw ListObjectsV2 answer for `prefix`: proof that a key really is listed.
  std::string Listing(const std::string& prefix) const {
    return Shell("curl -s '" + endpoint() + "/backups?list-type=2&prefix=" + prefix + "'").out;
  }

 private:
  int port_ = 0;
  int pid_ = 0;
};

// Runs one s3-sync step (`with` holds YAML flow entries) in a folder of its own, so the
// folders the test compares hold nothing the run itself writes.
Command SyncStep(const std::string& with) { return RunSync(TempDir(), with); }

// Every path under `base` but those under `skip` ("./a/b/dest"), and each file's sha256:
// equal before and after a run when nothing was written outside `skip`.
std::string Outside(const std::string& base, const std::string& skip) {
  std::string find = "cd " + base + " && find . -path '" + skip + "' -prune -o ";
  return Shell(find + "-print | LC_ALL=C sort && " + find +
               "-type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum")
      .out;
}

bool Names(const Command& c, const std::string& text) {
  return c.err.find(text) != std::string::npos;
}

}  // namespace

namespace {

struct Hostile {
  Command run;
  bool outside_unchanged = false;
};

// Uploads `dir`/src to s3://backups/`prefix`, shows its objects under hostile keys through
// key_proxy (the listing must really hold each), then downloads the prefix into
// `dir`/a/b/dest through the proxy, with `extra` parameters.
Hostile DownloadHostile(const std::string& dir, const std::string& prefix, const Shows& shows,
                        const std::string& extra = "") {
  S3rver server("backups");
  std::string url = "s3://backups" + (prefix.empty() ? "" : "/" + prefix);
  REQUIRE(SyncStep("source: '" + dir + "/src', dest: '" + url + "', endpoint: '" +
                   server.endpoint() + "'")
              .exit_code == 0);
  KeyProxy proxy(server.port(), shows);
  std::string listing = proxy.Listing(prefix.empty() ? "" : prefix + "/");
  for (const auto& shown : shows)
    REQUIRE(listing.find("<Key>" + shown.first + "</Key>") != std::string::npos);
  std::string before = Outside(dir, "./a/b/dest");
  Hostile h;
  h.run = SyncStep("source: '" + url + "', dest: '" + dir + "/a/b/dest', endpoint: '" +
                   proxy.endpoint() + "'" + extra);
  h.outside_unchanged = Outside(dir, "./a/b/dest") == before;
  return h;
}

}  // namespace

TEST_CASE("s3-sync S3 to folder: keys with '..' are refused, nothing is written outside",
          "[steps][s3][paths]") {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p src/sub a/b && echo good1 > src/good1.txt && echo good2 > src/sub/good2.txt"
        " && echo EVIL-1 > src/zz1 && echo EVIL-2 > src/zz2 && echo EVIL-3 > src/zz3"
        " && echo precious > a/victim.txt && echo old-gz > a/b/x.gz");
  Hostile h = DownloadHostile(dir, "daily",
                              {{"daily/../../victim.txt", "daily/zz1"},
                               {"daily/a/../../x.gz", "daily/zz2"},
                               {"daily/&#46;&#46;/x.gz", "daily/zz3"}});
  CHECK(h.run.exit_code == 1);
  CHECK(ReadFile(dir + "/a/victim.txt") == "precious\n");
  CHECK(ReadFile(dir + "/a/b/x.gz") == "old-gz\n");
  CHECK(h.outside_unchanged);
  CHECK(ReadFile(dir + "/a/b/dest/good1.txt") == "good1\n");  // the rest went on
  CHECK(ReadFile(dir + "/a/b/dest/sub/good2.txt") == "good2\n");
  CHECK(Names(h.run, "refused key 'daily/../../victim.txt'"));
  CHECK(Names(h.run, "refused key 'daily/a/../../x.gz'"));
  // The reference form decodes (with any XML parser) to the same '..' segment.
  CHECK(Names(h.run, "refused key 'daily/../x.gz'"));
}

TEST_CASE("s3-sync S3 to folder: absolute, empty, '.' and deep '..' keys are refused",
          "[steps][s3][paths]") {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p src a/b && echo good > src/good.txt && for i in 1 2 3 4 5; do echo EVIL-$i >"
        " src/zz$i; done && echo precious > a/victim.txt");
  Hostile h = DownloadHostile(dir, "",
                              {{"/victim.txt", "zz1"},
                               {"c/d/../../../../victim.txt", "zz2"},
                               {"../new-outside.txt", "zz3"},
                               {"sub//x.txt", "zz4"},
                               {"sub/./y.txt", "zz5"}},
                              ", delete: true");
  CHECK(h.run.exit_code == 1);
  CHECK(ReadFile(dir + "/a/victim.txt") == "precious\n");
  CHECK(h.outside_unchanged);
  CHECK(Shell("cd " + dir + "/a/b/dest && find . | LC_ALL=C sort").out == ".\n./good.txt\n");
  CHECK(ReadFile(dir + "/a/b/dest/good.txt") == "good\n");
  CHECK(Names(h.run, "refused key '/victim.txt': it is absolute"));
  CHECK(Names(h.run, "refused key 'c/d/../../../../victim.txt': it has a '..' segment"));
  CHECK(Names(h.run, "refused key '../new-outside.txt'"));
  CHECK(Names(h.run, "refused key 'sub//x.txt': it has an empty segment"));
  CHECK(Names(h.run, "refused key 'sub/./y.txt': it has a '.' segment"));
  CHECK(Names(h.run, "nothing deleted"));
}

TEST_CASE("s3-sync S3 to folder: a key ending in '/' that holds bytes is named, not skipped",
          "[steps][s3][paths]") {
  // breakH H11: <Key>daily/sub/</Key> with content was skipped without a word ("listed 0").
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p src a/b && echo good > src/good.txt && echo DATA-1 > src/zz1 && echo "
        "DATA-2 > src/zz2 && : > src/zz3");
  Hostile h = DownloadHostile(
      dir, "daily",
      {{"daily/sub/", "daily/zz1"}, {"daily/", "daily/zz2"}, {"daily/empty/", "daily/zz3"}});
  CHECK(h.run.exit_code == 1);
  CHECK(h.outside_unchanged);
  CHECK(ReadFile(dir + "/a/b/dest/good.txt") == "good\n");  // the rest went on
  INFO(h.run.err);
  CHECK(Names(h.run, "key 'daily/sub/' ends with '/' but holds 7 bytes"));
  CHECK(Names(h.run, "key 'daily/' ends with '/' but holds 7 bytes"));
  CHECK_FALSE(Names(h.run, "daily/empty/"));  // an empty folder marker is still skipped
}

TEST_CASE("s3-sync S3 to folder: a symlinked folder in the destination is never written through",
          "[steps][s3][paths]") {
  S3rver server("backups");
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p src/logs src/keep outside dest && echo top > src/top.txt && echo log >"
        " src/logs/x.gz && echo k > src/keep/k.txt && echo mine > outside/x.gz"
        " && ln -s ../outside dest/logs");
  REQUIRE(SyncStep("source: '" + dir + "/src', dest: 's3://backups/daily', endpoint: '" +
                   server.endpoint() + "'")
              .exit_code == 0);
  std::string before = Outside(dir, "./dest");
  Command c = SyncStep("source: 's3://backups/daily', dest: '" + dir + "/dest', endpoint: '" +
                       server.endpoint() + "'");
  CHECK(c.exit_code == 1);
  CHECK(ReadFile(dir + "/outside/x.gz") == "mine\n");
  CHECK(Outside(dir, "./dest") == before);
  CHECK(Shell("ls -A " + dir + "/outside").out == "x.gz\n");  // no temporary file either
  CHECK(ReadFile(dir + "/dest/top.txt") == "top\n");
  CHECK(ReadFile(dir + "/dest/keep/k.txt") == "k\n");
  CHECK(Names(c, dir + "/dest/logs: it is a symbolic link inside the destination"));
  // The same through a mirror (folder to folder).
  std::string mirror_before = Outside(dir, "./dest");
  Command m = SyncStep("source: '" + dir + "/src', dest: '" + dir + "/dest'");
  CHECK(m.exit_code == 1);
  CHECK(Outside(dir, "./dest") == mirror_before);
  CHECK(Names(m, dir + "/dest/logs: it is a symbolic link inside the destination"));
}

namespace {

// The source folder: app-1.gz, app-2.gz, latest.gz -> app-2.gz and
// notes.txt -> ../shared/notes.txt, with shared/ beside it.
void LinkedSource(const std::string& dir) {
  Shell("cd " + dir +
        " && mkdir -p app shared && echo one > app/app-1.gz && echo two > app/app-2.gz"
        " && echo shared-notes > shared/notes.txt && ln -s app-2.gz app/latest.gz"
        " && ln -s ../shared/notes.txt app/notes.txt");
}

// Every key in the bucket, as a sorted listing of a fresh download of all of it.
std::string Keys(const std::string& endpoint) {
  std::string out = TempDir() + "/all";
  Command c = SyncStep("source: 's3://backups', dest: '" + out + "', endpoint: '" + endpoint + "'");
  if (c.exit_code != 0) return "download failed: " + c.err;
  return Shell("cd " + out + " && find . -type f | LC_ALL=C sort").out;
}

}  // namespace

TEST_CASE("s3-sync folder to S3: a link is keyed by its own name, one leaving the tree is refused",
          "[steps][s3][paths]") {
  S3rver server("backups");
  std::string dir = TempDir();
  std::string ep = "endpoint: '" + server.endpoint() + "'";
  LinkedSource(dir);
  Shell("mkdir -p " + dir + "/earlier && echo two > " + dir + "/earlier/latest.gz");
  REQUIRE(SyncStep("source: '" + dir + "/earlier', dest: 's3://backups/app', " + ep).exit_code ==
          0);
  Command c = SyncStep("source: '" + dir + "/app', dest: 's3://backups/app', delete: true, " + ep);
  CHECK(c.exit_code == 1);
  CHECK(Names(c, "refused link 'notes.txt' -> '../shared/notes.txt': its target is outside"));
  CHECK(Keys(server.endpoint()) == "./app/app-1.gz\n./app/app-2.gz\n./app/latest.gz\n");
  // Allowed: uploaded under its own name; latest.gz stays (it is in the source).
  Command allowed = SyncStep("source: '" + dir + "/app', dest: 's3://backups/app', delete: true, " +
                             "allow_outside_links: true, " + ep);
  CHECK(allowed.exit_code == 0);
  CHECK(Keys(server.endpoint()) ==
        "./app/app-1.gz\n./app/app-2.gz\n./app/latest.gz\n./app/notes.txt\n");
  std::string back = TempDir();
  REQUIRE(SyncStep("source: 's3://backups/app', dest: '" + back + "', " + ep).exit_code == 0);
  CHECK(ReadFile(back + "/latest.gz") == "two\n");
  CHECK(ReadFile(back + "/notes.txt") == "shared-notes\n");
  // follow_symlinks: false skips (and names) both links; delete leaves their objects alone.
  Command skip = SyncStep("source: '" + dir + "/app', dest: 's3://backups/app', delete: true, " +
                          "follow_symlinks: false, " + ep);
  CHECK(skip.exit_code == 0);
  CHECK(Names(skip, "skipped the link 'latest.gz' (follow_symlinks: false)"));
  CHECK(Names(skip, "skipped the link 'notes.txt' (follow_symlinks: false)"));
  CHECK(Keys(server.endpoint()) ==
        "./app/app-1.gz\n./app/app-2.gz\n./app/latest.gz\n./app/notes.txt\n");
}

TEST_CASE("s3-sync folder to mirror: links never lead a write outside the mirror",
          "[steps][s3][paths]") {
  std::string dir = TempDir();
  LinkedSource(dir);
  // The mirror is a level down, so "mirror/../shared/notes.txt" would be a new file.
  Shell("mkdir " + dir + "/m");
  std::string before = Outside(dir, "./m/mirror");
  Command c = SyncStep("source: '" + dir + "/app', dest: '" + dir + "/m/mirror', delete: true");
  CHECK(c.exit_code == 1);
  CHECK(Names(c, "refused link 'notes.txt' -> '../shared/notes.txt'"));
  CHECK(Outside(dir, "./m/mirror") == before);
  CHECK(Shell("cd " + dir + "/m/mirror && find . | LC_ALL=C sort").out ==
        ".\n./app-1.gz\n./app-2.gz\n./latest.gz\n");
  CHECK(ReadFile(dir + "/m/mirror/latest.gz") == "two\n");
  CHECK(Shell("test -L " + dir + "/m/mirror/latest.gz").exit_code == 1);  // a file, not a link
}

TEST_CASE("s3-sync: a symlink loop in the source is refused, the rest is synced",
          "[steps][s3][paths]") {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p src/sub src/real && echo a > src/a.txt && echo r > src/real/r.txt"
        " && ln -s . src/self && ln -s .. src/sub/up && ln -s real src/alias");
  Command c = SyncStep("source: '" + dir + "/src', dest: '" + dir + "/out'");
  CHECK(c.exit_code == 1);
  CHECK(Names(c, "refused link 'self' -> '.': it loops back to a folder above it"));
  CHECK(Names(c, "refused link 'sub/up' -> '..': it loops back to a folder above it"));
  CHECK(Shell("cd " + dir + "/out && find . -type f | LC_ALL=C sort").out ==
        "./a.txt\n./alias/r.txt\n./real/r.txt\n");
}

TEST_CASE("s3-sync S3 to folder: keys whose last segment has NAME_MAX bytes are downloaded",
          "[steps][s3][paths][sides]") {
  std::string dir = TempDir();
  Shell("cd " + dir + " && mkdir -p src a/b && echo L > src/zz1 && echo A > src/zz2");
  std::string longest(255, 'n'), accents;
  while (accents.size() < 250) accents += "\xc3\xa9";  // 250 bytes of 'é', then ".gz"
  accents += ".gz";
  Hostile h = DownloadHostile(
      dir, "daily", {{"daily/deep/" + longest, "daily/zz1"}, {"daily/" + accents, "daily/zz2"}});
  CHECK(h.run.exit_code == 0);
  CHECK(ReadFile(dir + "/a/b/dest/deep/" + longest) == "L\n");
  CHECK(ReadFile(dir + "/a/b/dest/" + accents) == "A\n");
  CHECK(h.outside_unchanged);
}

TEST_CASE("s3-sync S3 to folder: control characters in listed keys are escaped in messages",
          "[steps][s3][paths][sides]") {
  std::string dir = TempDir();
  Shell("cd " + dir + " && mkdir -p src a/b && echo x > src/zz1 && echo y > src/zz2");
  std::string forged = "01:00:00 ok   sync  FORGED";
  std::string tail = "&#10;" + forged + "&#x1b;[2J", shown = "\\x0a" + forged + "\\x1b[2J";
  Hostile h = DownloadHostile(dir, "daily", {{"daily/x/../" + tail, "daily/zz1"}});
  INFO(h.run.err);
  CHECK(h.run.exit_code == 1);
  CHECK(Names(h.run, "refused key 'daily/x/../" + shown + "'"));
  // A key that is a legal name, missing at the destination: verify names it.
  Hostile v = DownloadHostile(dir, "daily", {{"daily/y" + tail, "daily/zz2"}}, ", mode: verify");
  CHECK(v.run.exit_code == 1);
  CHECK(Names(v.run, ", y" + shown));
  for (const Hostile* r : {&h, &v}) {
    CHECK(r->run.err.find('\x1b') == std::string::npos);
    CHECK(r->run.err.find("\n" + forged) == std::string::npos);
  }
}

TEST_CASE("s3-sync folder to S3: a name S3's listings cannot carry back is refused, not uploaded",
          "[steps][s3][paths]") {
  S3rver server("backups");
  std::string dir = TempDir();
  std::string ep = "endpoint: '" + server.endpoint() + "'";
  // A carriage return (listed back as LF), a control character (a listing XML 1.0 cannot
  // hold), bytes that are not UTF-8, and a key past S3's 1,024 bytes; one plain file.
  std::string deep;
  for (int i = 0; i < 6; ++i) deep += std::string(200, 'k') + "/";  // 1,206 bytes with "long"
  Shell("mkdir -p " + dir + "/src/" + deep + " && cd " + dir + "/src && echo a > plain.txt && " +
        "echo b > \"$(printf 'cr\\rx')\" && echo c > \"$(printf 'c\\001d')\" && " +
        "echo d > \"$(printf 'latin\\351')\" && echo e > " + deep + "long");
  Command c = SyncStep("source: '" + dir + "/src', dest: 's3://backups/up', " + ep);
  INFO(c.err);
  CHECK(c.exit_code == 1);
  CHECK(Names(c, "refused path 'cr\\x0dx': it holds a carriage return"));
  CHECK(Names(c, "refused path 'c\\x01d': it holds a carriage return"));
  CHECK(Names(c, "refused path 'latin\\xe9': it holds a carriage return"));
  CHECK(Names(c, "longer than S3's 1024 bytes"));
  CHECK(Keys(server.endpoint()) == "./up/plain.txt\n");
  // The prefix can still be listed and brought back.
  std::string back = TempDir();
  Command down = SyncStep("source: 's3://backups/up', dest: '" + back + "', " + ep);
  CHECK(down.exit_code == 0);
  CHECK(ReadFile(back + "/plain.txt") == "a\n");
}

TEST_CASE("s3-sync folder to mirror: a special file in the source is named and its copy kept",
          "[steps][s3][paths][special]") {
  // breakG #8: a FIFO (or socket) in the source was skipped without a word, and delete then
  // removed the copy an earlier sync had made of that name.
  std::string dir = TempDir();
  Shell("cd " + dir + " && mkdir src && echo a > src/a.txt && echo q > src/queue");
  REQUIRE(SyncStep("source: '" + dir + "/src', dest: '" + dir + "/out'").exit_code == 0);
  Shell("cd " + dir +
        " && rm src/queue && mkfifo src/queue && python3 -c \"import socket; "
        "socket.socket(socket.AF_UNIX).bind('src/sock')\"");
  Command c = SyncStep("source: '" + dir + "/src', dest: '" + dir + "/out', delete: true");
  CHECK(c.exit_code == 0);
  CHECK(Names(c,
              "skipped 'queue' (a FIFO): not a regular file; its copy at the destination is "
              "kept"));
  // Variant: a socket, which had no earlier copy.
  CHECK(Names(c, "skipped 'sock' (a socket)"));
  CHECK(ReadFile(dir + "/out/queue") == "q\n");
  CHECK(Shell("cd " + dir + "/out && find . | LC_ALL=C sort").out == ".\n./a.txt\n./queue\n");
}

// break22a #1: a link to a FIFO (or to a device, followed with allow_outside_links) was
// dropped without a word, and delete removed what its name held at the destination.
TEST_CASE("s3-sync folder to mirror: a link to a special file is named and its copy kept",
          "[steps][s3][paths][special]") {
  std::string dir = TempDir();
  Shell("cd " + dir + " && mkdir src && echo a > src/a.txt && echo q > src/qlink && " +
        "echo z > src/zero");
  REQUIRE(SyncStep("source: '" + dir + "/src', dest: '" + dir + "/out'").exit_code == 0);
  Shell("cd " + dir + "/src && rm qlink zero && mkfifo queue && ln -s queue qlink && " +
        "ln -s /dev/zero zero");
  Command c = SyncStep("source: '" + dir + "/src', dest: '" + dir +
                       "/out', delete: true, allow_outside_links: true");
  CHECK(c.exit_code == 0);
  CHECK(Names(c,
              "skipped link 'qlink' -> 'queue' (to a FIFO): not a regular file; its copy at "
              "the destination is kept"));
  CHECK(Names(c, "skipped link 'zero' -> '/dev/zero' (to a character device)"));
  CHECK(ReadFile(dir + "/out/qlink") == "q\n");
  CHECK(ReadFile(dir + "/out/zero") == "z\n");
}

// break22a #6: a key named like runbook's scratch files was downloaded, removed by the next
// run as a dead run's debris, downloaded again, forever; `mode: verify` never passed.
// Variant: a local folder's file of that name, mirrored to a local folder.
TEST_CASE("s3-sync to a folder: a name of runbook's scratch files is refused, never written",
          "[steps][s3][paths]") {
  const std::string scratch = ".report.pdf.tmp-999999-0123456789abcdef";  // pid 999999: dead
  std::string dir = TempDir();
  Shell("cd " + dir + " && mkdir -p src && echo good > src/good.txt && echo x > src/" + scratch);
  S3rver server("backups");
  const std::string ep = "', endpoint: '" + server.endpoint() + "'";
  REQUIRE(SyncStep("source: '" + dir + "/src', dest: 's3://backups/daily" + ep).exit_code == 0);
  const std::string why = "'" + scratch + "' has the name of one of runbook's scratch files";
  for (int run = 1; run <= 2; ++run) {
    Command down = SyncStep("source: 's3://backups/daily', dest: '" + dir + "/down" + ep);
    INFO(run << ": " << down.err);
    CHECK(down.exit_code == 1);
    CHECK(Names(down, why));
    CHECK_FALSE(Names(down, "removed debris"));
    CHECK(ReadFile(dir + "/down/good.txt") == "good\n");
    CHECK_FALSE(std::filesystem::exists(dir + "/down/" + scratch));
  }
  Command verify =
      SyncStep("source: 's3://backups/daily', mode: verify, dest: '" + dir + "/down" + ep);
  CHECK(verify.exit_code == 1);
  CHECK(Names(verify, why));
  Command mirror = SyncStep("source: '" + dir + "/src', dest: '" + dir + "/mirror'");
  CHECK(mirror.exit_code == 1);
  CHECK(Names(mirror, why));
  CHECK(ReadFile(dir + "/mirror/good.txt") == "good\n");
  CHECK_FALSE(std::filesystem::exists(dir + "/mirror/" + scratch));
}
