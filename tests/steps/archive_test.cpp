// archive: a round trip checked with python's zipfile; a missing required input fails
// and leaves no zip.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("archive: members and their hashes survive the round trip", "[steps][archive]") {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p reports/synthetic backend/logs && echo '{\"ok\":1}' > "
        "reports/synthetic/synthetic-report.json && echo started > backend/logs/a.log && echo "
        "done > backend/logs/b.log && head -c 300000 /dev/urandom > sbom.json");
  WriteFile(
      dir, "a.yaml",
      "version: 1\nname: a\nsteps:\n  - {id: z, uses: archive, with: {output: "
      "out/bundle.zip, files: [reports/synthetic/synthetic-report.json, 'backend/logs/*.log', "
      "sbom.json], optional: ['trace-*.md']}}\n");
  Command c = Shell("cd " + dir + " && " + Binary() + " run a.yaml --audit-db a.db");
  REQUIRE(c.exit_code == 0);
  // Python checks every member against the manifest and the files on disk.
  std::string check =
      "import hashlib, sys, zipfile\n"
      "z = zipfile.ZipFile(sys.argv[1] + '/out/bundle.zip')\n"
      "assert z.testzip() is None\n"
      "lines = z.read('MANIFEST.sha256').decode().splitlines()\n"
      "names = sorted(n for n in z.namelist() if n != 'MANIFEST.sha256')\n"
      "assert sorted(l.split('  ')[1] for l in lines) == names, names\n"
      "for l in lines:\n"
      "    h, n = l.split('  ')\n"
      "    assert hashlib.sha256(z.read(n)).hexdigest() == h\n"
      "    assert z.read(n) == open(sys.argv[1] + '/' + n, 'rb').read()\n"
      "print(len(names))\n";
  WriteFile(dir, "check.py", check);
  Command py = Shell("python3 " + dir + "/check.py " + dir);
  CHECK(py.exit_code == 0);
  CHECK(py.out == "4\n");
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsteps:\n  - {id: z, uses: archive, with: {output: "
            "out/missing.zip, files: [nothere.txt]}}\n");
  Command missing = Shell("cd " + dir + " && " + Binary() + " run b.yaml --audit-db a.db");
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("a required input is missing: 'nothere.txt' matches no file") !=
        std::string::npos);
  CHECK(Shell("ls " + dir + "/out").out == "bundle.zip\n");
}

TEST_CASE("archive: a file found by a wildcard never leads outside its folder",
          "[steps][archive]") {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir -p site/logs/app site/elsewhere && echo secret > site/elsewhere/secret.txt"
        " && echo a > site/logs/a.log && ln -s a.log site/logs/latest.log"
        " && ln -s ../elsewhere/secret.txt site/logs/evil.log"
        " && ln -s ../../elsewhere site/logs/app/linked && cp site/elsewhere/secret.txt "
        "site/elsewhere/x.log && ln -s elsewhere/secret.txt site/named.txt");
  auto run = [&](const std::string& files) {
    WriteFile(dir + "/site", "a.yaml",
              "version: 1\nname: a\nsteps:\n  - {id: z, uses: archive, with: {output: "
              "out/b.zip, files: " +
                  files + "}}\n");
    return Shell("cd " + dir + "/site && " + Binary() + " run a.yaml --audit-db a.db");
  };
  Command glob = run("['logs/*.log']");
  CHECK(glob.exit_code == 1);
  CHECK(glob.err.find("refused input 'logs/evil.log' (matched by 'logs/*.log'): it is a link "
                      "that leads outside 'logs'") != std::string::npos);
  CHECK(Shell("ls " + dir + "/site/out 2>/dev/null").out.empty());
  Command deep = run("['logs/app/*/*.log']");  // through a linked folder
  CHECK(deep.exit_code == 1);
  CHECK(deep.err.find("refused input 'logs/app/linked/x.log'") != std::string::npos);
  // A path the runbook names may be anything; a link inside the folder is fine.
  Command named = run("[named.txt, logs/latest.log, 'logs/a*.log']");
  CHECK(named.exit_code == 0);
  CHECK(Shell("cd " + dir + "/site && unzip -Z1 out/b.zip | LC_ALL=C sort").out ==
        "MANIFEST.sha256\nlogs/a.log\nlogs/latest.log\nnamed.txt\n");
}

// breakS S9: member names were written raw into MANIFEST.sha256, so a file name holding a
// newline added a member and a hash of its choosing to the ticket's evidence. Names with a
// newline or a backslash are escaped as GNU sha256sum writes them: `sha256sum -c` on the
// unpacked archive checks every member, and the manifest has one line per member.
// breakS S9: a name with a newline forged a manifest line; breakT T3: such names, and names
// that are not UTF-8, are changed or dropped by extractors (unzip drops control bytes), so the
// manifest could not be checked after extracting. They are refused, naming the file; a
// backslash is escaped as sha256sum escapes it; UTF-8 names carry the zip's UTF-8 flag.
TEST_CASE("archive: the manifest escapes names as sha256sum does", "[steps][archive]") {
  std::string dir = TempDir();
  Shell("cd " + dir +
        " && mkdir logs && echo real > logs/a.log && echo evil > \"logs/$(printf "
        "'x.log\\n0000000000000000000000000000000000000000000000000000000000000000  "
        "forged.log')\" && echo bs > 'logs/back\\slash.log' && echo cafe > 'logs/café.log'");
  WriteFile(dir, "a.yaml",
            "version: 1\nname: a\nsteps:\n  - {id: z, uses: archive, with: {output: out/a.zip, "
            "files: ['logs/*']}}\n");
  Command refused = Shell("cd " + dir + " && " + Binary() + " run a.yaml --audit-db a.db");
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("its member name holds a control or invisible "
                                          "character, which unzip and other extractors change "
                                          "or drop"));
  CHECK_FALSE(std::filesystem::exists(dir + "/out/a.zip"));
  Shell("cd " + dir + " && rm logs/x.log* && python3 -c \"open(b'logs/bad\\xff.log', 'w')\"");
  Command latin = Shell("cd " + dir + " && " + Binary() + " run a.yaml --audit-db a.db");
  CHECK(latin.exit_code == 1);
  CHECK_THAT(latin.err, Catch::Contains("logs/bad\\xff.log': its member name holds bytes that "
                                        "are not UTF-8"));
  // breakU U2: a C1 control (NEL) and an encoded surrogate: python's zipfile refused the zip.
  // breakV V6: a Unicode tag character, which libarchive dropped from the stored name.
  // breakX X8: invisible characters (zero-width space, BOM, variation selector) make one
  // name look like another.
  for (const char* name : {"logs/c1\\xc2\\x85.log", "logs/sur\\xed\\xa0\\x80.log",
                           "logs/tag\\xf3\\xa0\\x81\\x81.log", "logs/tag\\xe2\\x80\\x8b.log",
                           "logs/tag\\xef\\xbb\\xbf.log", "logs/tag\\xef\\xb8\\x8f.log"}) {
    CAPTURE(name);
    Shell("cd " + dir + " && rm -f logs/bad* logs/c1* logs/sur* logs/tag* && python3 -c \"open(b'" +
          name + "', 'w')\"");
    Command odd = Shell("cd " + dir + " && " + Binary() + " run a.yaml --audit-db a.db");
    CHECK(odd.exit_code == 1);
    CHECK_THAT(odd.err, Catch::Contains("its member name holds"));
  }
  Shell("cd " + dir + " && rm -f logs/bad* logs/c1* logs/sur* logs/tag*");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run a.yaml --audit-db a.db").exit_code == 0);
  CHECK(Shell("cd " + dir + " && unzip -p out/a.zip MANIFEST.sha256 | grep -c '^\\\\'").out ==
        "1\n");  // the backslash name's line, escaped
  // Verified after extracting with python's zipfile and with Info-ZIP unzip alike.
  for (const char* extract : {"python3 -m zipfile -e ../out/a.zip .", "unzip -q ../out/a.zip"}) {
    CAPTURE(extract);
    Command check = Shell("cd " + dir + " && rm -rf x && mkdir x && cd x && " + extract +
                          " && sha256sum -c MANIFEST.sha256");
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
    CHECK_THAT(check.out, Catch::Contains("logs/café.log: OK"));
  }
  Command flags = Shell("cd " + dir +
                        " && python3 -c \"import zipfile; print([hex(i.flag_bits) "
                        "for i in zipfile.ZipFile('out/a.zip').infolist() if 'caf' in "
                        "i.filename])\"");
  CHECK_THAT(flags.out, Catch::Contains("0x808"));
}
