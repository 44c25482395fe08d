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

namespace {

// Writes `dir`/a.gz to `dir`/`out` with python's `edit` applied to the bytearray `d` at the
// offset `o` of the member numbered `member` (from 0), found by the members' size fields.
int EditMember(const std::string& dir, int member, const std::string& edit,
               const std::string& out) {
  return Shell("cd " + dir +
               " && python3 -c \"import struct; d=bytearray(open('a.gz','rb').read()); o=0\n"
               "for k in range(" +
               std::to_string(member) + "): o += struct.unpack_from('<I', d, o+16)[0]\n" + edit +
               "; open('" + out + "','wb').write(d)\"")
      .exit_code;
}

}  // namespace

// Members declare their size (steps/common/gzip_member.h) and are inflated on every core.
TEST_CASE("members declare their size: gzip, pigz and zlib read them, and a false claim is caught",
          "[steps][gzip]") {
  std::string dir = TempDir();
  REQUIRE(Shell("head -c 3000000 /dev/urandom | od -An -tx1 > " + dir + "/raw").exit_code == 0);
  auto a = GzipFile(dir + "/raw", dir + "/a.gz", 6, 256 * 1024);
  REQUIRE(a.ok());
  CHECK(Shell("gzip -t " + dir + "/a.gz && pigz -t " + dir + "/a.gz").exit_code == 0);
  CHECK(
      Shell(
          "python3 -c \"import zlib,sys; d=zlib.decompressobj(31); out=b''; data=open(sys.argv[1],"
          "'rb').read()\nwhile data:\n out += d.decompress(data); data = d.unused_data; d = "
          "zlib.decompressobj(31)\nsys.stdout.buffer.write(out)\" " +
          dir + "/a.gz | cmp - " + dir + "/raw")
          .exit_code == 0);
  // The first member's header: FLG.FEXTRA, subfield 'RB' of 4 bytes.
  Command head = Shell("head -c 16 " + dir + "/a.gz | od -An -c | tr -s ' '");
  CHECK_THAT(head.out, Catch::Contains("R B 004 \\0"));
  auto back = GunzipFile(dir + "/a.gz", dir + "/back");
  REQUIRE(back.ok());
  CHECK(back.value().out_sha256 == a.value().in_sha256);
  CHECK(back.value().in_sha256 == a.value().out_sha256);

  // A member claiming the wrong size (the third one, one byte too many): the rest is read
  // by the sequential readers, and the result is still exact.
  REQUIRE(EditMember(dir, 2,
                     "struct.pack_into('<I', d, o+16, struct.unpack_from('<I', d, o+16)[0]+1)",
                     "lie.gz") == 0);
  auto lie = GunzipFile(dir + "/lie.gz", dir + "/lie");
  REQUIRE(lie.ok());
  CHECK(lie.value().out_sha256 == a.value().in_sha256);
  CHECK(lie.value().out_bytes == a.value().in_bytes);

  // Damage inside the fifth member: named by the zlib path, nothing left behind.
  REQUIRE(EditMember(dir, 4, "d[o+200] ^= 0xff", "bad.gz") == 0);
  auto bad = GunzipFile(dir + "/bad.gz", dir + "/bad");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("is not valid gzip data"));
  CHECK(Shell("test -e " + dir + "/bad").exit_code != 0);

  // Another writer's members (no size declared) after ours: read on, exact.
  REQUIRE(Shell("cd " + dir +
                " && gzip -c raw > plain.gz && cat a.gz plain.gz > mixed.gz && cat raw raw > raw2")
              .exit_code == 0);
  auto mixed = GunzipFile(dir + "/mixed.gz", dir + "/mixed");
  REQUIRE(mixed.ok());
  CHECK(mixed.value().out_sha256 == Sha256File(dir + "/raw2").value());
}
