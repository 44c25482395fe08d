// s3-sync's sides, attacked between listing and transfer (a source file swapped for a link
// to a secret), with names that look like runbook's temporaries, a dead run's temporary
// files, the longest legal names, hostile max_delete values and control characters in keys.
#include "steps/common/sync_sides.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <climits>

#include "engine/plugin/cancel.h"
#include "engine/util/crypto.h"
#include "steps/common/safe_path.h"
#include "steps/common/scratch.h"
#include "steps/common/sync_plan.h"
#include "support/s3rver.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Runs one s3-sync step (`with` holds YAML flow entries); `verb` is "run" or "validate".
Command Step(const std::string& with, const std::string& verb = "run") {
  std::string run = TempDir();
  WriteFile(run, "p.yaml",
            "version: 1\nname: p\nsteps:\n  - id: s\n    uses: s3-sync\n    with: {inventory: "
            "'', " +
                with + "}\n");
  return Shell("cd " + run + " && AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER " +
               Binary() + " " + verb + " p.yaml" + (verb == "run" ? " --audit-db a.db" : ""));
}

// dir/src with t.txt and a few files; dir/secret.txt (TOPSECRET) beside it.
std::string SourceWithSecret() {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p src/real outside && echo TOPSECRET > secret.txt && echo plain > src/t.txt"
        " && echo one > src/app-1.gz && echo two > src/app-2.gz && echo r > src/real/r.txt"
        " && echo OUTSIDE > outside/r.txt");
  return dir;
}

SyncEntry Listed(const std::string& root, const std::string& rel, LinkRules rules = {}) {
  auto l = ListLocal(ParseSide(root), {}, {}, false, rules);
  REQUIRE(l.ok());
  for (const SyncEntry& e : l.value().entries)
    if (e.rel == rel) return e;
  FAIL("not listed: " << rel);
  return {};
}

// Swaps `path` for a link to `target` the way a hostile writer does (rename over it).
void SwapForLink(const std::string& path, const std::string& target) {
  REQUIRE(Shell("ln -sfn '" + target + "' '" + path + ".new' && mv -T '" + path + ".new' '" + path +
                "'")
              .exit_code == 0);
}

S3Config Bucket(const S3rver& server) {
  S3Config c;
  c.endpoint = server.endpoint();
  c.bucket = "backups";
  c.creds = {"S3RVER", "S3RVER", ""};
  return c;
}

// The bucket's content, downloaded by the binary: "path:content" lines.
std::string BucketFiles(const S3rver& server) {
  std::string out = TempDir() + "/all";
  Command c =
      Step("source: 's3://backups', dest: '" + out + "', endpoint: '" + server.endpoint() + "'");
  if (c.exit_code != 0) return "download failed: " + c.err;
  return Shell("cd " + out + " && find . -type f | LC_ALL=C sort | xargs -r grep -H ''").out;
}

}  // namespace

TEST_CASE("s3-sync sides: a source file swapped for a link after the listing is never read",
          "[steps][s3][paths][sides]") {
  std::string dir = SourceWithSecret();
  SyncSide src = ParseSide(dir + "/src"), mirror = ParseSide(dir + "/mirror");
  SyncEntry e = Listed(dir + "/src", "t.txt");
  SwapForLink(dir + "/src/t.txt", "../secret.txt");  // the tester's race, made certain
  SyncEntry out;
  Status s = CopyLocal(src, mirror, e, out);
  CHECK(s.message() == "refusing to go through " + dir +
                           "/src/t.txt: it is a symbolic link inside the source folder");
  CHECK(ReadFile(dir + "/mirror/t.txt").find("TOPSECRET") == std::string::npos);
  CHECK(Shell("ls -A " + dir + "/mirror 2>/dev/null").out.empty());  // no temporary left
  // The upload side reads the same way.
  S3rver server("backups");
  S3Client s3(Bucket(server));
  CancelToken cancel;
  SyncEntry up = Listed(dir + "/src", "app-1.gz");
  SwapForLink(dir + "/src/app-1.gz", "../secret.txt");
  Status u = Upload(s3, src, ParseSide("s3://backups/daily"), up, {}, cancel, out);
  CHECK_FALSE(u.ok());
  CHECK(BucketFiles(server).find("TOPSECRET") == std::string::npos);
  // Digesting (deciding what is equal) reads through the same open.
  SyncEntry d = Listed(dir + "/src", "app-2.gz");
  SwapForLink(dir + "/src/app-2.gz", "../secret.txt");
  CHECK_FALSE(DigestLocal(src, d).ok());
}

TEST_CASE("s3-sync sides: a followed link retargeted after the listing is refused",
          "[steps][s3][paths][sides]") {
  std::string dir = SourceWithSecret();
  Shell("cd " + dir + "/src && ln -s app-2.gz latest.gz && ln -s real alias");
  SyncSide src = ParseSide(dir + "/src");
  SyncEntry latest = Listed(dir + "/src", "latest.gz");
  SyncEntry alias = Listed(dir + "/src", "alias/r.txt");
  SyncEntry out;
  auto copy = [&](SyncEntry e, const std::string& to) {  // each try starts from the listing
    return CopyLocal(src, ParseSide(dir + "/" + to), e, out);
  };
  // Inside the tree but another file than the one the listing vetted.
  SwapForLink(dir + "/src/latest.gz", "app-1.gz");
  CHECK_FALSE(copy(latest, "m1").ok());
  CHECK(ReadFile(dir + "/m1/latest.gz").empty());
  // Outside the tree: a file link and a folder link.
  SwapForLink(dir + "/src/latest.gz", "../secret.txt");
  CHECK_FALSE(copy(latest, "m2").ok());
  CHECK(ReadFile(dir + "/m2/latest.gz").empty());
  SwapForLink(dir + "/src/alias", "../outside");
  CHECK_FALSE(copy(alias, "m3").ok());
  CHECK(ReadFile(dir + "/m3/alias/r.txt").empty());
  // Unchanged links are still followed.
  Shell("cd " + dir + "/src && ln -sfn app-2.gz latest.gz && ln -sfn real alias");
  REQUIRE(copy(latest, "m4").ok());
  CHECK(ReadFile(dir + "/m4/latest.gz") == "two\n");
  REQUIRE(copy(alias, "m4").ok());
  CHECK(ReadFile(dir + "/m4/alias/r.txt") == "r\n");
}

TEST_CASE("s3-sync: a source file named like a temporary is backed up and never deleted",
          "[steps][s3][paths][sides]") {
  S3rver server("backups");
  std::string dir = TempDir();
  Shell("cd " + dir + " && mkdir src && echo a > src/a.txt && echo vim > src/.vimrc.tmp-2024");
  {  // the bucket already holds both (an earlier backup)
    S3Client s3(Bucket(server));
    CancelToken cancel;
    for (const char* name : {"a.txt", ".vimrc.tmp-2024"}) {
      std::string path = dir + "/src/" + name;
      auto d = DigestFile(path);
      REQUIRE(d.ok());
      REQUIRE(s3.Put(std::string("daily/") + name, path, d.value().sha256, d.value().md5_raw,
                     d.value().size, cancel)
                  .ok());
    }
  }
  Command c = Step("source: '" + dir + "/src', dest: 's3://backups/daily', delete: true, " +
                   "force_delete: true, endpoint: '" + server.endpoint() + "'");
  CHECK(c.exit_code == 0);
  CHECK(c.err.find("listed 2 at the source, 2 at the destination") != std::string::npos);
  CHECK(c.err.find("0 deleted") != std::string::npos);
  CHECK(BucketFiles(server) == "./daily/.vimrc.tmp-2024:vim\n./daily/a.txt:a\n");
}

TEST_CASE("s3-sync mirror: only runbook's exact scratch names are left out of a destination",
          "[steps][s3][paths][sides]") {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p src m && echo y > src/.y.tmp-99 && echo s > "
        "src/.db.tmp-1-0123456789abcdef && echo old > m/.z.tmp-abc");
  Command c =
      Step("source: '" + dir + "/src', dest: '" + dir + "/m', delete: true, force_delete: true");
  // A look-alike of the source is copied; an exact scratch name is refused, never written
  // (break22a #6: the destination's listing leaves such names out, so it was copied again by
  // every run, or swept as debris). As for any refused name, nothing is deleted: the mirror's
  // own look-alike stays until a sync without refusals.
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("'.db.tmp-1-0123456789abcdef' has the name of one of "
                                    "runbook's scratch files"));
  CHECK(ReadFile(dir + "/m/.y.tmp-99") == "y\n");
  CHECK(Shell("test -e " + dir + "/m/.db.tmp-1-0123456789abcdef").exit_code == 1);
  CHECK(ReadFile(dir + "/m/.z.tmp-abc") == "old\n");
  // Without it, the look-alike is not ours: deleted.
  Shell("rm " + dir + "/src/.db.tmp-1-0123456789abcdef");
  CHECK(Step("source: '" + dir + "/src', dest: '" + dir + "/m', delete: true, force_delete: true")
            .exit_code == 0);
  CHECK(Shell("test -e " + dir + "/m/.z.tmp-abc").exit_code == 1);
}

namespace {

// A pid that ran and has ended.
long DeadPid() {
  long pid = std::stol(Shell("sh -c 'echo $$'").out);
  REQUIRE(::kill(static_cast<pid_t>(pid), 0) != 0);
  return pid;
}

}  // namespace

TEST_CASE("s3-sync: a killed run's temporary files are removed by the next sync",
          "[steps][s3][paths][sides]") {
  S3rver server("backups");
  std::string dir = TempDir();
  Shell("cd " + dir + " && mkdir -p src/sub && echo big > src/sub/big.bin && echo t > src/t.txt");
  std::string ep = "endpoint: '" + server.endpoint() + "'";
  REQUIRE(Step("source: '" + dir + "/src', dest: 's3://backups/d', " + ep).exit_code == 0);
  // What a download killed mid-way leaves: the temporary name safe_path makes, of a dead pid.
  std::string dead = ".big.bin.tmp-" + std::to_string(DeadPid()) + "-1c5dc1a2deadbeef";
  std::string live = ".t.txt.tmp-" + std::to_string(::getpid()) + "-00000000000000ab";
  Shell("mkdir -p " + dir + "/dest/sub && head -c 100000 /dev/zero > " + dir + "/dest/sub/" + dead +
        " && echo busy > " + dir + "/dest/" + live);
  Command c = Step("source: 's3://backups/d', dest: '" + dir + "/dest', delete: true, " +
                   "force_delete: true, " + ep);
  CHECK(c.exit_code == 0);
  CHECK(Shell("test -e " + dir + "/dest/sub/" + dead).exit_code == 1);
  CHECK(c.err.find("removed debris of a dead run: 'sub/" + dead + "'") != std::string::npos);
  CHECK(ReadFile(dir + "/dest/" + live) == "busy\n");  // a live run's file is left alone
  CHECK(ReadFile(dir + "/dest/sub/big.bin") == "big\n");
}

TEST_CASE("safe root: its temporary files carry runbook's scratch name", "[safe_path][sides]") {
  std::string dir = TempDir();
  auto root = SafeRoot::Open(dir, false);
  REQUIRE(root.ok());
  auto tmp = root.value().CreateTemp("sub/file.txt");
  REQUIRE(tmp.ok());
  std::string name = Shell("ls -A " + dir + "/sub").out;
  REQUIRE(!name.empty());
  name.pop_back();
  CHECK(ScratchOwner(name) == static_cast<long>(::getpid()));
}

TEST_CASE("s3-sync: names of up to NAME_MAX bytes are written and mirrored",
          "[steps][s3][paths][sides]") {
  std::string dir = TempDir();
  std::string longest(NAME_MAX, 'n');
  std::string accents;  // 250 bytes of two-byte characters, then ".gz"
  while (accents.size() < 250) accents += "é";
  accents += ".gz";
  for (const std::string& name : {longest, accents}) {
    INFO(name.size());
    auto root = SafeRoot::Open(dir + "/direct", true);
    REQUIRE(root.ok());
    auto tmp = root.value().CreateTemp("d/" + name);
    REQUIRE(tmp.ok());
    REQUIRE(tmp.value().Commit().ok());
  }
  Shell("mkdir -p " + dir + "/src/deep && echo L > " + dir + "/src/deep/" + longest +
        " && echo A > " + dir + "/src/" + accents);
  CHECK(Step("source: '" + dir + "/src', dest: '" + dir + "/mirror'").exit_code == 0);
  CHECK(ReadFile(dir + "/mirror/deep/" + longest) == "L\n");
  CHECK(ReadFile(dir + "/mirror/" + accents) == "A\n");
  // Downloads: tests/steps/s3_sync_paths_test.cpp (s3rver cannot store such names itself).
}

TEST_CASE("s3-sync: max_delete is checked when the runbook is loaded", "[steps][s3][sides]") {
  for (std::string bad : {"99999999999999999999999", "99999999999999999999%",
                          "18446744073709551616%", "%", "101%", "-5", "", "5 %", "1e3", "+5"}) {
    INFO(bad);
    Command c =
        Step("source: /tmp/a, dest: /tmp/b, delete: true, max_delete: '" + bad + "'", "validate");
    CHECK(c.exit_code == 2);
    CHECK(c.err.find("p.yaml:6:") != std::string::npos);
    CHECK(c.err.find("max_delete must be a count or a percent from 0% to 100%") !=
          std::string::npos);
    CHECK_FALSE(DeleteLimit(bad, 10).has_value());
  }
  for (std::string good : {"0", "7", "0%", "100%", "18446744073709551615"}) {
    INFO(good);
    CHECK(Step("source: /tmp/a, dest: /tmp/b, max_delete: '" + good + "'", "validate").exit_code ==
          0);
  }
  // Never an overflow: a percent of a huge total, the largest count.
  CHECK(DeleteLimit("100%", UINT64_MAX) == UINT64_MAX);
  CHECK(DeleteLimit("50%", UINT64_MAX) == UINT64_MAX / 2);
  CHECK(DeleteLimit("18446744073709551615", 3) == UINT64_MAX);
  CHECK(DeleteLimit("33%", 10) == 3u);
}

TEST_CASE("s3-sync: control characters in local names are escaped in messages",
          "[steps][s3][paths][sides]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/src " + dir + "/m");
  WriteFile(dir + "/src", "x\n01:00:00 ok   sync  FORGED\x1b[2J", "a");
  Command c = Step("source: '" + dir + "/src', dest: '" + dir + "/m', mode: verify");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("x\\x0a01:00:00 ok   sync  FORGED\\x1b[2J") != std::string::npos);
  REQUIRE(::symlink("/nonexistent", (dir + "/src/l\x1b[31m").c_str()) == 0);
  Command l = Step("source: '" + dir + "/src', dest: '" + dir + "/m'");
  CHECK(l.exit_code == 1);
  CHECK(l.err.find("refused link 'l\\x1b[31m' -> '/nonexistent'") != std::string::npos);
  for (const Command* r : {&c, &l}) {
    CHECK(r->err.find('\x1b') == std::string::npos);
    CHECK(r->err.find("\n01:00:00 ok") == std::string::npos);
  }
}

TEST_CASE("s3-sync mirror: a name swapped between a file and a link to a secret never leaks it",
          "[steps][s3][paths][sides][race]") {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p src && echo TOPSECRET > secret.txt && echo plain > src/t.txt && for i in "
        "$(seq 300); do echo $i > src/f$i.txt; done");
  // The tester's loop: t.txt is a file (new content each time, so each run copies it), then
  // a link to ../secret.txt, each made outside src/.
  // It stops by itself when the folder goes.
  Shell("cd " + dir +
        " || exit 1; setsid sh -c 'while [ -d src ]; do date +%N > r && mv -T r "
        "src/t.txt; ln -sfn ../secret.txt l && mv -T l src/t.txt; done' > /dev/null 2>&1 & echo "
        "$! > " +
        dir + "/swapper.pid");
  std::string pid = ReadFile(dir + "/swapper.pid");
  REQUIRE(!pid.empty());
  int leaked = 0, ok = 0;
  for (int run = 0; run < 15 && leaked == 0; ++run) {
    Command c = Step("source: '" + dir + "/src', dest: '" + dir + "/mirror'");
    ok += c.exit_code == 0;
    leaked += ReadFile(dir + "/mirror/t.txt").find("TOPSECRET") != std::string::npos;
  }
  Shell("kill " + pid);
  INFO("runs that succeeded: " << ok);  // a refused run is fine; a leak never is
  CHECK(leaked == 0);
}

// breakAA A3: a local destination given without a trailing '/' ("mir") was joined with each
// file's name by nothing: the inventory said "mirplain.txt".
TEST_CASE("s3-sync: a side locates its files with one '/' however the root is written",
          "[steps][s3][sides]") {
  CHECK(ParseSide("mir").Locate("a/plain.txt") == "mir/a/plain.txt");
  CHECK(ParseSide("mir/").Locate("plain.txt") == "mir/plain.txt");
  CHECK(ParseSide("/abs/mir").KeyOf("plain.txt") == "/abs/mir/plain.txt");
  CHECK(ParseSide("s3://b/pre").Locate("x.gz") == "s3://b/pre/x.gz");
  CHECK(ParseSide("s3://b/pre").KeyOf("x.gz") == "pre/x.gz");
  CHECK(ParseSide("s3://b").KeyOf("x.gz") == "x.gz");
  std::string dir = SourceWithSecret();
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n  - id: s\n    uses: s3-sync\n    with: {source: src, "
            "dest: mir, inventory: inv.json}\n");
  Command c = Shell("cd " + dir + " && " + Binary() + " run p.yaml --audit-db a.db");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  std::string inventory = Shell("cat " + dir + "/inv.json").out;
  // Absolute and normal, one name per file (breakBB2 F6).
  CHECK_THAT(inventory, Catch::Contains("\"" + dir + "/mir/t.txt\"") &&
                            Catch::Contains("\"" + dir + "/mir/real/r.txt\""));
  CHECK_THAT(inventory, !Catch::Contains("mirt.txt"));
}

TEST_CASE("an inventory names each file once, where the kernel put it (breakBB2 F6)",
          "[steps][s3][inventory]") {
  std::string dir = TempDir();
  std::string elsewhere = TempDir();
  Shell("cd " + dir + " && mkdir -p src && echo a > src/a.txt && mkdir " + elsewhere +
        "/a && ln -s " + elsewhere + "/a x");
  for (const char* dest : {"m1", "./m1/", "m1//", "m1/.", "x/../m9"}) {
    WriteFile(dir, "s.yaml",
              std::string("version: 1\nname: s\nsteps:\n  - id: s\n    uses: s3-sync\n    with: "
                          "{source: src, dest: \"") +
                  dest + "\", inventory: inv.json}\n");
    REQUIRE(Shell("cd " + dir + " && " + Binary() + " run s.yaml --audit-db a.db").exit_code == 0);
  }
  WriteFile(dir, "h.yaml",
            "version: 1\nname: h\nsteps:\n  - id: h\n    uses: hash\n    with: {files: "
            "[\"./src//a.txt\", \"src/../src/a.txt\"], verify: none, inventory: inv.json}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run h.yaml --audit-db a.db").exit_code == 0);
  std::string names = Shell("grep -o '\"file\": \"[^\"]*\"' " + dir +
                            "/inv.json | sort | uniq -c | awk "
                            "'{print $1, $3}'")
                          .out;
  // Three names in all (the two temporary folders sort either way).
  CHECK(std::count(names.begin(), names.end(), '\n') == 3);
  CHECK_THAT(names, Catch::Contains("4 \"" + dir + "/m1/a.txt\"\n") &&
                        Catch::Contains("2 \"" + dir + "/src/a.txt\"\n") &&
                        Catch::Contains("1 \"" + elsewhere + "/m9/a.txt\"\n"));
}

// breakCC C22, C23: "s3://" with an empty bucket (an unset param) was read as the local
// folder "s3:" ("off-site" success, and unchecked as a local writer); "." and ".." segments of
// a key prefix were folded by HTTP into another bucket. Refused at validate for a literal,
// as the step starts for a resolved value, before anything is written.
TEST_CASE("an s3:// side without a bucket, or with dot segments, names no S3 prefix",
          "[steps][s3][sides]") {
  CHECK(S3SideProblem("s3://bk/daily/") == "");
  CHECK(S3SideProblem("s3://bk") == "");
  CHECK(S3SideProblem("local/dir") == "");
  CHECK_THAT(S3SideProblem("s3:///daily"), Catch::Contains("has no bucket"));
  CHECK_THAT(S3SideProblem("s3://Bk_1/x"), Catch::Contains("may hold only lowercase"));
  // breakDD D11: a bucket of dots is a path HTTP folds; S3's naming rules on ends and dots.
  for (const char* bucket :
       {"s3://./daily", "s3://../daily", "s3://a..b/x", "s3://-bk/x", "s3://bk./x", "s3://..",
        "s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/x"}) {
    CAPTURE(bucket);
    CHECK_THAT(S3SideProblem(bucket), Catch::Contains("is no S3 bucket name"));
  }
  CHECK(S3SideProblem("s3://my.bucket-1/x") == "");
  CHECK(S3SideProblem("s3://b/x") == "");  // short names are the service's to refuse
  for (const char* dotted : {"s3://bk/../other/daily", "s3://bk/a/./b", "s3://bk/a//b"}) {
    CAPTURE(dotted);
    CHECK_THAT(S3SideProblem(dotted), Catch::Contains("may not hold an empty, '.' or '..'"));
  }
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/src && echo a > " + dir + "/src/a.txt");
  WriteFile(dir, "lit.yaml",
            "version: 1\nname: l\nsteps:\n  - id: s\n    uses: s3-sync\n    with: {source: src, "
            "dest: 's3://bk/../other/daily', endpoint: 'http://127.0.0.1:9'}\n");
  Command v = Shell("cd " + dir + " && " + Binary() + " validate lit.yaml");
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.err, Catch::Contains("lit.yaml:6:") && Catch::Contains("'..'"));
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nparams:\n  bucket: {type: string, default: ''}\nsteps:\n"
            "  - id: s\n    uses: s3-sync\n    with: {source: src, dest: 's3://${{ params.bucket "
            "}}/daily', endpoint: 'http://127.0.0.1:9', inventory: ''}\n");
  Command run = Shell("cd " + dir + " && AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b " + Binary() +
                      " run p.yaml --audit-db a.db");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Catch::Contains("'s3:///daily' has no bucket"));
  CHECK(Shell("test -e '" + dir + "/s3:'").exit_code != 0);
}

// breakDD D8: a bind mount inside a mirror's destination (of the live database's folder) took
// the sync's deletes: the restored database went. A mirror stays on its destination's mount.
TEST_CASE("s3-sync refuses a destination holding another mount, before it changes anything",
          "[steps][s3][sides]") {
  std::string dir = TempDir();
  Shell("cd " + dir + " && mkdir -p src m/mnt live && echo a > src/a.txt && echo keep > " +
        "live/db.sqlite && echo old > m/old.txt");
  WriteFile(dir, "s.yaml",
            "version: 1\nname: s\nsteps:\n  - id: s\n    uses: s3-sync\n    with: {source: src, "
            "dest: m, delete: true, force_delete: true, inventory: ''}\n");
  Command c = Shell("cd " + dir + " && unshare -m sh -c 'mount --bind live m/mnt && " + Binary() +
                    " run s.yaml --audit-db a.db'");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("the destination holds another mount at 'mnt'"));
  CHECK(Shell("cat " + dir + "/live/db.sqlite").out == "keep\n");
  CHECK(Shell("cat " + dir + "/m/old.txt").out == "old\n");  // nothing changed
}
