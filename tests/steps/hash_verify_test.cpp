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

// breakT T8: archive writes GNU's escaped lines (a name with a backslash), but hash read names
// literally: runbook could not check its own MANIFEST.sha256, nor a list GNU sha256sum wrote
// (names with a newline or CR too), nor a --tag list. Each list is checked by `sha256sum -c`
// itself first.
TEST_CASE("hash verify: sums reads every line sha256sum -c reads, archive's manifest included",
          "[steps][hash]") {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir +
                " && mkdir d && python3 -c \"\nfor n in ['a\\\\nb', 'c\\\\\\\\d', "
                "'e\\\\rf', '\\\\\\\\start', 'plain', 'sp ace']: open('d/' + n, 'w').write('of ' + "
                "repr(n))\"")
              .exit_code == 0);
  REQUIRE(Shell("ls -b " + dir + "/d | wc -l").out == "6\n");
  // GNU's own lists of the six: plain, --tag and binary.
  REQUIRE(Shell("cd " + dir +
                " && sha256sum d/* > gnu.sums && sha256sum --tag d/* > tag.sums && "
                "sha256sum -b d/* > bin.sums && sha256sum -c --quiet gnu.sums tag.sums bin.sums")
              .exit_code == 0);
  // archive's manifest of the names it packs (not a newline or CR: those it refuses, T3).
  REQUIRE(Shell("cd " + dir + " && mkdir e && cp d/*start d/c* d/plain 'd/sp ace' e/").exit_code ==
          0);
  WriteFile(dir, "ar.yaml",
            "version: 1\nname: ar\nsteps:\n  - {id: z, uses: archive, with: {output: out.zip, "
            "files: ['e/*']}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run ar.yaml --audit-db a.db").exit_code == 0);
  REQUIRE(Shell("cd " + dir +
                " && mkdir x && cd x && python3 -m zipfile -e ../out.zip . && "
                "sha256sum -c --quiet MANIFEST.sha256 && grep -c '^\\\\' MANIFEST.sha256")
              .out == "2\n");  // two escaped lines
  auto verify = [&](const std::string& folder, const std::string& files, const std::string& list) {
    WriteFile(dir + "/" + folder, "h.yaml",
              "version: 1\nname: h\nsteps:\n  - {id: h, uses: hash, with: {files: ['" + files +
                  "'], verify: sums, sums_file: '" + list + "', inventory: ''}}\n");
    return Shell("cd " + dir + "/" + folder + " && " + Binary() + " run h.yaml --audit-db " + dir +
                 "/a.db");
  };
  // breakU U7: the same list with CRLF line ends, as sha256sum -c reads it.
  REQUIRE(Shell("cd " + dir +
                " && sed 's/$/\\r/' gnu.sums > crlf.sums && sha256sum -c --quiet "
                "crlf.sums")
              .exit_code == 0);
  for (const char* list : {"gnu.sums", "tag.sums", "bin.sums", "crlf.sums"}) {
    CAPTURE(list);
    Command c = verify(".", "d/*", list);
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.out + c.err, !Catch::Contains("not listed"));
  }
  Command manifest = verify("x", "e/*", "MANIFEST.sha256");
  INFO(manifest.out << manifest.err);
  CHECK(manifest.exit_code == 0);
  // A changed file is still caught through its escaped line.
  Shell("cd " + dir + " && printf changed > 'd/c\\d'");
  Command changed = verify(".", "d/*", "gnu.sums");
  CHECK(changed.exit_code == 1);
  CHECK_THAT(changed.out + changed.err, Catch::Contains("sha256 mismatch"));
}
