// The dump format: deterministic concatenated members that plain gzip reads, and
// decompression of foreign gzip (one member bigger than ours) through the zlib path.
#include "steps/common/gzip.h"

#include <catch2/catch.hpp>

#include "engine/util/crypto.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("gzip members: deterministic, bounded, readable by gzip(1)", "[steps][gzip]") {
  std::string dir = TempDir();
  REQUIRE(Shell("head -c 300000 /dev/urandom > " + dir + "/raw && cat " + dir + "/raw " + dir +
                "/raw > " + dir + "/raw2 && mv " + dir + "/raw2 " + dir + "/raw")
              .exit_code == 0);
  auto a = GzipFile(dir + "/raw", dir + "/a.gz", 6, 64 * 1024);
  auto b = GzipFile(dir + "/raw", dir + "/b.gz", 6, 64 * 1024);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a.value().out_sha256 == b.value().out_sha256);  // same data, same bytes
  CHECK(Shell("cmp " + dir + "/a.gz " + dir + "/b.gz").exit_code == 0);
  CHECK(a.value().in_sha256 == Sha256File(dir + "/raw").value());
  CHECK(a.value().out_sha256 == Sha256File(dir + "/a.gz").value());
  // 600,000 bytes in members of 64 KiB: ten members, each a gzip header (1f 8b 08).
  Command magic = Shell(
      "python3 -c \"import sys; print(open(sys.argv[1], 'rb').read()"
      ".count(bytes([0x1f, 0x8b, 8])))\" " +
      dir + "/a.gz");
  CHECK(std::stoi(magic.out) >= 10);
  CHECK(Shell("gzip -dc " + dir + "/a.gz | cmp - " + dir + "/raw").exit_code == 0);
  auto back = GunzipFile(dir + "/a.gz", dir + "/back");
  REQUIRE(back.ok());
  CHECK(back.value().out_sha256 == a.value().in_sha256);
  CHECK(back.value().in_sha256 == a.value().out_sha256);
}

TEST_CASE("gunzip of one member bigger than ours goes through zlib and is exact", "[steps][gzip]") {
  std::string dir = TempDir();
  // 20 MiB of compressible text, compressed by gzip(1) into a single member.
  REQUIRE(Shell("yes 'runbook backup line' | head -c 20971520 > " + dir + "/raw && gzip -c " + dir +
                "/raw > " + dir + "/foreign.gz")
              .exit_code == 0);
  auto r = GunzipFile(dir + "/foreign.gz", dir + "/out");
  REQUIRE(r.ok());
  CHECK(r.value().out_bytes == 20971520u);
  CHECK(r.value().out_sha256 == Sha256File(dir + "/raw").value());
  CHECK(r.value().in_sha256 == Sha256File(dir + "/foreign.gz").value());
  // Truncated in the middle of that member: named, and nothing left behind.
  REQUIRE(Shell("head -c 10000 " + dir + "/foreign.gz > " + dir + "/cut.gz").exit_code == 0);
  auto cut = GunzipFile(dir + "/cut.gz", dir + "/cut");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.status().message() == dir + "/cut.gz is truncated");
  CHECK(Shell("test -e " + dir + "/cut").exit_code != 0);
}
