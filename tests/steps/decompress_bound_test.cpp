// A dump is never decompressed without a bound (issue 12, breakH H12): with `public_key`
// the signature is checked before anything is inflated; the output stops at the metadata's
// raw_size; without metadata at the free space of the filesystem less a reserve. The disk
// of the live database is a small tmpfs in a private mount namespace.
#include <sys/statvfs.h>

#include <catch2/catch.hpp>

#include "steps/backup_site.h"
#include "steps/common/gzip.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// dumps/bomb.sqlite.gz: `mb` MB of zeros (a few hundred KB compressed). With `meta` its
// metadata is dumps/app.sqlite.gz's (signed or not) with file, sha256 and size changed to
// describe the bomb: a signature no longer matches; raw_size still says the real dump's.
void Bomb(const Site& s, int mb, bool meta) {
  REQUIRE(Shell("cd " + s.dir + " && head -c " + std::to_string(mb) +
                "000000 /dev/zero | gzip -1 > dumps/bomb.sqlite.gz")
              .exit_code == 0);
  if (!meta) return;
  std::string py =
      "import json, hashlib; m = json.load(open('dumps/app.sqlite.gz.meta.json')); "
      "b = open('dumps/bomb.sqlite.gz', 'rb').read(); "
      "m.update(file='bomb.sqlite.gz', sha256=hashlib.sha256(b).hexdigest(), size=len(b)); "
      "json.dump(m, open('dumps/bomb.sqlite.gz.meta.json', 'w'))";
  REQUIRE(Shell("cd " + s.dir + " && python3 -c \"" + py + "\"").exit_code == 0);
}

// Runs `steps` from the site's folder in a private mount namespace where FULL/ is a 100 MiB
// tmpfs (the live database's disk); prints FULL's free KiB afterwards.
Command OnSmallDisk(const Site& s, const std::string& steps) {
  WriteFile(s.dir, "rb.yaml", "version: 1\nname: t\nsteps:\n" + steps);
  return Shell("cd " + s.dir + " && mkdir -p FULL && unshare -m sh -c 'mount -t tmpfs -o " +
               "size=100m tmpfs FULL && " + Rb("run rb.yaml --audit-db " + s.db) +
               "; rc=$?; echo free=$(df -k --output=avail FULL | tail -1); exit $rc'");
}

const char* kCheckBomb =
    "  - {id: c, uses: integrity-check, with: {source: dumps/bomb.sqlite.gz, workspace: "
    "FULL/ws.sqlite, public_key: pub.pem}}\n";
const char* kRestoreBomb =
    "  - {id: r, uses: restore, with: {source: dumps/bomb.sqlite.gz, target: FULL/live.sqlite, "
    "public_key: pub.pem, force: true}}\n";

}  // namespace

TEST_CASE("decompress bound: a bomb with forged signed metadata is refused before inflating",
          "[steps][decompress-bound]") {
  Site s;
  s.MakeDb();
  s.Dump();
  Bomb(s, 150, true);  // 150 MB: more than the 100 MiB disk
  for (const char* step : {kCheckBomb, kRestoreBomb}) {
    Command c = OnSmallDisk(s, step);
    INFO(c.out << c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("not authentic") &&
                          Catch::Contains("(checked before decompressing)"));
    CHECK_THAT(c.err, !Catch::Contains("No space left on device"));
  }
}

TEST_CASE("decompress bound: output stops at the raw_size of unsigned metadata",
          "[steps][decompress-bound]") {
  Site s;
  s.UnsignedDump();
  Bomb(s, 20, true);
  Command c = s.Run(
      "  - {id: c, uses: integrity-check, with: {source: dumps/bomb.sqlite.gz, workspace: "
      "tmp/ws.sqlite}}\n"
      "  - {id: r, uses: restore, if: '${{ always() }}', with: {source: dumps/bomb.sqlite.gz, "
      "target: "
      "live/app.sqlite, force: true}}\n");
  INFO(c.err);
  CHECK(c.exit_code == 1);
  std::string raw = Shell("python3 -c \"import json; print(json.load(open('" +
                          s.Path("dumps/app.sqlite.gz.meta.json") + "'))['raw_size'])\"")
                        .out;
  raw.pop_back();
  std::string past = "decompresses past the raw_size its metadata states (" + raw + " bytes)";
  CHECK_THAT(c.err, Catch::Contains("FAIL c") && Catch::Contains("FAIL r"));
  CHECK(c.err.find(past) != c.err.rfind(past));  // both steps stopped there
  CHECK(Shell("ls -A " + s.Path("tmp") + " " + s.Path("live")).out.find(".tmp-") ==
        std::string::npos);  // no partial copy stays
}

TEST_CASE("decompress bound: without metadata the disk keeps its reserve",
          "[steps][decompress-bound]") {
  Site s;
  Shell("mkdir -p " + s.Path("dumps"));
  Bomb(s, 150, false);
  Command c = OnSmallDisk(s,
                          "  - {id: r, uses: restore, with: {source: dumps/bomb.sqlite.gz, "
                          "target: FULL/live.sqlite, force: true}}\n");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("decompresses past the free space of") &&
                        Catch::Contains("less its reserve"));
  CHECK_THAT(c.err, !Catch::Contains("No space left on device"));
}

TEST_CASE("decompress bound: GunzipFile never writes past its bound", "[steps][decompress-bound]") {
  std::string dir = TempDir();
  REQUIRE(Shell("head -c 5000000 /dev/urandom > " + dir + "/raw && gzip -k " + dir + "/raw")
              .exit_code == 0);
  for (uint64_t max : {uint64_t{1000}, uint64_t{4999999}}) {
    auto r = GunzipFile(dir + "/raw.gz", dir + "/out", false, {}, {max, "the test's bound"});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("decompresses past the test's bound"));
    CHECK(Shell("test -e " + dir + "/out").exit_code != 0);
  }
  auto exact = GunzipFile(dir + "/raw.gz", dir + "/out", false, {}, {5000000, "exact"});
  CHECK(exact.ok());  // a bound equal to the size is met, not passed
}

TEST_CASE("decompress bound: the reserve and the bound chosen", "[steps][decompress-bound]") {
  CHECK(GunzipReserve(100ull << 20) == 64ull << 20);        // small disks keep 64 MiB
  CHECK(GunzipReserve(20ull << 30) == (20ull << 30) / 20);  // 5 %
  CHECK(GunzipReserve(1ull << 40) == 4ull << 30);           // at most 4 GiB
  std::string dir = TempDir();
  struct statvfs fs {};
  REQUIRE(statvfs(dir.c_str(), &fs) == 0);
  uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  auto free_only = DecompressBound(dir, std::nullopt);
  REQUIRE(free_only.ok());
  CHECK(free_only.value().max_out <= avail);
  CHECK(free_only.value().what.find("free space of " + dir) != std::string::npos);
  auto small = DecompressBound(dir, 12288);
  REQUIRE(small.ok());
  CHECK(small.value().max_out == 12288);
  auto huge = DecompressBound(dir, UINT64_MAX / 2);  // a raw_size past the free space
  REQUIRE(huge.ok());
  // Bound by the free space, as without metadata; not compared byte for byte: another
  // process writing meanwhile moves it (seen failing by 0.8 MB while a build ran).
  CHECK(huge.value().max_out < UINT64_MAX / 2);
  CHECK(huge.value().what.find("free space of " + dir) != std::string::npos);
}

TEST_CASE("decompress bound: two decompressions at once keep the reserve together (breakJ J16)",
          "[steps][decompress-bound]") {
  Site s;
  Shell("mkdir -p " + s.Path("dumps"));
  // Two 30 MB bombs: each fits the 36 MiB the 100 MiB disk may take; together they do not.
  for (const char* name : {"b1", "b2"})
    REQUIRE(Shell("cd " + s.dir + " && head -c 30000000 /dev/zero | gzip -1 > dumps/" + name +
                  ".sqlite.gz")
                .exit_code == 0);
  Command c = OnSmallDisk(
      s,
      "  - {id: c1, uses: integrity-check, with: {source: dumps/b1.sqlite.gz, workspace: "
      "FULL/ws1.sqlite}}\n"
      "  - {id: c2, uses: integrity-check, with: {source: dumps/b2.sqlite.gz, workspace: "
      "FULL/ws2.sqlite}}\n");
  INFO(c.out << c.err);
  CHECK_THAT(c.err, !Catch::Contains("No space left on device"));
  // Whether the two overlap is up to the scheduler; when they do, one stops at the reserve.
  CHECK((c.err.find("fell to") != std::string::npos ||
         c.err.find("not a readable SQLite database") != std::string::npos ||
         c.err.find("file is not a database") != std::string::npos));
}

TEST_CASE("decompress bound: the free space is looked at again while writing (breakJ J16)",
          "[steps][decompress-bound]") {
  std::string dir = TempDir();
  REQUIRE(Shell("head -c 64000000 /dev/zero | gzip -1 > " + dir + "/z.gz").exit_code == 0);
  struct statvfs fs {};
  REQUIRE(::statvfs(dir.c_str(), &fs) == 0);
  uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  REQUIRE(avail > (200u << 20));
  // As if another writer had taken all but 8 MiB above the reserve since the bound was set:
  // the bound alone would let all 64 MB through.
  GunzipBound bound;
  bound.reserve = avail - (8u << 20);
  bound.what = "a test bound";
  auto r = GunzipFile(dir + "/z.gz", dir + "/out", false, {}, bound);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(),
             Catch::Contains("fell to") &&
                 Catch::Contains("below its reserve of " + std::to_string(bound.reserve)));
  CHECK_FALSE(Shell("test -e " + dir + "/out").exit_code == 0);  // nothing of it kept
  bound.reserve = 0;                                             // not checked: all of it
  CHECK(GunzipFile(dir + "/z.gz", dir + "/out2", false, {}, bound).ok());
}
