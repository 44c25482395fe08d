// hash's `verify: sums` and `expected` read checksums as `sha256sum -c` does (breakI I31): a
// name listed twice is refused naming both lines (the last line used to decide); hex digits
// are compared in either case.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

Command Hash(const std::string& dir, const std::string& with) {
  WriteFile(dir, "h.yaml",
            "version: 1\nname: h\nsteps:\n  - {id: h, uses: hash, with: {files: [f.txt], " + with +
                ", inventory: ''}}\n");
  return Shell("cd " + dir + " && " + Binary() + " run h.yaml --audit-db a.db");
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("hash verify: a sums list naming a file twice is refused, either case is read",
          "[steps][hash]") {
  std::string dir = TempDir();
  WriteFile(dir, "f.txt", "content\n");
  std::string good = Shell("cd " + dir + " && sha256sum f.txt | cut -c1-64").out;
  good.pop_back();
  std::string bad(64, '0');
  for (const std::string& sums :
       {bad + "  f.txt\n" + good + "  f.txt\n", good + "  f.txt\n" + good + " *f.txt\n"}) {
    CAPTURE(sums);
    WriteFile(dir, "SUMS", sums);
    Command c = Hash(dir, "verify: sums, sums_file: SUMS");
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("SUMS lists 'f.txt' twice (lines 1 and 2)"));
  }
  WriteFile(dir, "SUMS", Upper(good) + "  f.txt\n");  // sha256sum -c says OK
  CHECK(Hash(dir, "verify: sums, sums_file: SUMS").exit_code == 0);
  CHECK(Hash(dir, "verify: none, expected: " + Upper(good)).exit_code == 0);
  CHECK(Hash(dir, "verify: none, expected: " + bad).exit_code == 1);
}

TEST_CASE("hash verify: one file listed under two spellings is refused (breakJ J24)",
          "[steps][hash]") {
  std::string dir = TempDir();
  WriteFile(dir, "f.txt", "content\n");
  std::string good = Shell("cd " + dir + " && sha256sum f.txt | cut -c1-64").out;
  good.pop_back();
  std::string bad(64, '0');
  for (const std::string& other :
       {std::string("./f.txt"), dir + "/f.txt", std::string("sub/../f.txt")}) {
    CAPTURE(other);
    WriteFile(dir, "SUMS", good + "  f.txt\n" + bad + "  " + other + "\n");
    Command c = Hash(dir, "verify: sums, sums_file: SUMS");
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("twice (lines 1 and 2)"));
  }
}
