// What `validate` and `run` say about an input that is no runbook file (issue 13 D3) or a
// file holding more than one YAML document (D4): a located error in words, exit 2.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/support.h"

using namespace runbook::test;

namespace {

const char* kValid = "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {run: [true]}}\n";

std::string Cmd(const std::string& dir, const std::string& args) {
  return "cd " + dir + " && RUNBOOK_AUDIT_DB=" + dir + "/a.db " + Binary() + " " + args;
}

}  // namespace

TEST_CASE("issue 13 D3: a directory given as the runbook says so, exit 2", "[cli][input]") {
  std::string dir = TempDir();
  std::filesystem::create_directory(dir + "/book.yaml");
  for (const char* command : {"validate", "run", "plan"}) {
    INFO(command);
    Command c = Shell(Cmd(dir, std::string(command) + " book.yaml"));
    CHECK(c.exit_code == 2);
    CHECK(c.err == "book.yaml: error: is a directory, not a runbook file\n");
  }
}

TEST_CASE("a FIFO, a device or a missing file given as the runbook: words, no hang, exit 2",
          "[cli][input]") {
  std::string dir = TempDir();
  REQUIRE(mkfifo((dir + "/pipe.yaml").c_str(), 0600) == 0);
  Command fifo = Shell(Cmd(dir, "validate pipe.yaml"), 10);  // would block in open()
  CHECK(fifo.exit_code == 2);
  CHECK(fifo.err == "pipe.yaml: error: is a FIFO, not a runbook file\n");
  Command device = Shell(Cmd(dir, "run /dev/null"));
  CHECK(device.exit_code == 2);
  CHECK(device.err == "/dev/null: error: is a character device, not a runbook file\n");
  Command missing = Shell(Cmd(dir, "validate nope.yaml"));
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "nope.yaml: error: cannot read the file: No such file or directory\n");
  Command below = Shell(Cmd(dir, "validate " + WriteFile(dir, "f", kValid) + "/x.yaml"));
  CHECK(below.exit_code == 2);
  CHECK_THAT(below.err, Catch::Contains("error: cannot read the file: Not a directory"));
}

TEST_CASE("issue 13 D4: a second YAML document is an error where it starts", "[cli][input]") {
  std::string dir = TempDir();
  WriteFile(dir, "two.yaml", std::string(kValid) + "---\nversion: 1\nname: other\nsteps: []\n");
  Command c = Shell(Cmd(dir, "validate two.yaml"));
  CHECK(c.exit_code == 2);
  CHECK(c.err ==
        "two.yaml:5:1: error: a second YAML document starts here; a runbook file holds exactly "
        "one document (move the second one to a file of its own)\n"
        "    5 | ---\n"
        "      | ^~~\n");
  CHECK(Shell(Cmd(dir, "run two.yaml")).exit_code == 2);
}

TEST_CASE("document markers around the one document are fine, after '...' a second is not",
          "[cli][input]") {
  std::string dir = TempDir();
  for (const std::string& text :
       {"---\n" + std::string(kValid), "--- # start\n" + std::string(kValid) + "...\n",
        std::string(kValid) + "...\n# a closing comment\n\n",
        "%YAML 1.2\n---\n" + std::string(kValid)}) {
    INFO(text);
    Command c = Shell(Cmd(dir, "validate " + WriteFile(dir, "one.yaml", text)));
    CHECK(c.exit_code == 0);
    CHECK(c.err.empty());
  }
  WriteFile(dir, "after.yaml", std::string(kValid) + "...\nname: again\n");
  Command after = Shell(Cmd(dir, "validate after.yaml"));
  CHECK(after.exit_code == 2);
  CHECK_THAT(after.err, Catch::StartsWith("after.yaml:6:1: error: a second YAML document "
                                          "starts here"));
  // An empty second document counts too: '---' is where it starts.
  WriteFile(dir, "empty.yaml", std::string(kValid) + "---\n");
  CHECK_THAT(Shell(Cmd(dir, "validate empty.yaml")).err,
             Catch::StartsWith("empty.yaml:5:1: error: a second YAML document"));
}
