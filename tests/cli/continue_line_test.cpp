// The line a failed run prints to continue it runs as printed (issue 14 #6): a store path
// with a tab, a newline, a quote or `$(...)` is quoted so a shell reads it back (breakK K5),
// and the run's --metrics-file and --sign-key come along (K8).
#include <catch2/catch.hpp>
#include <string>

#include "engine/util/strings.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("ShellQuote gives one word a shell reads back as it was", "[cli][continue]") {
  for (std::string word :
       {std::string("plain/path.db"), std::string("with space"), std::string("it's"),
        std::string("tab\there"), std::string("new\nline"), std::string("esc\x1b[2J"),
        std::string("back\\slash'\t$(x)"), std::string("")}) {
    CAPTURE(word);
    std::string quoted = ShellQuote(word);
    for (char c : quoted) CHECK(static_cast<unsigned char>(c) >= 0x20);  // nothing raw
    Command c = Shell("bash -c " + ShellQuote("printf %s " + quoted));
    CHECK(c.out == word);
  }
}

TEST_CASE(
    "the continue line runs as printed and keeps --metrics-file, --sign-key, "
    "--max-parallel and --wait",
    "[cli][continue]") {
  std::string dir = TempDir();
  std::string odd = dir + "/tab\there 'q' $(x)";
  REQUIRE(Shell("bash -c " + ShellQuote("mkdir -p " + ShellQuote(odd))).exit_code == 0);
  REQUIRE(Shell("cd " + dir +
                " && openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null && openssl pkey "
                "-in k.pem -pubout -out pub.pem")
              .exit_code == 0);
  WriteFile(dir, "f.yaml",
            "version: 1\nname: f\nsteps:\n  - {id: a, uses: exec, with: {shell: true, run: "
            "'test -f ok'}}\n");
  Command failed =
      Shell("cd " + dir + " && bash -c " +
            ShellQuote(Binary() + " run f.yaml --audit-db " + ShellQuote(odd + "/a.db") +
                       " --metrics-file m.prom --sign-key k.pem --max-parallel 1 --wait"));
  REQUIRE(failed.exit_code == 1);
  size_t at = failed.err.find("to continue this run: ");
  REQUIRE(at != std::string::npos);
  std::string line = failed.err.substr(at + 22, failed.err.find('\n', at) - at - 22);
  CHECK_THAT(line, Catch::Contains("--metrics-file " + dir + "/m.prom"));
  CHECK_THAT(line, Catch::Contains("--sign-key " + dir + "/k.pem"));
  CHECK_THAT(line, Catch::EndsWith(" --max-parallel 1 --wait"));  // breakL L19
  Shell("touch " + dir + "/ok");
  // Pasted as printed, from another folder.
  Command resumed = Shell("cd / && PATH=" + Binary().substr(0, Binary().rfind('/')) +
                          ":$PATH bash -c " + ShellQuote(line));
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(ReadFile(dir + "/m.prom"),
             Catch::Contains("runbook_last_run_success{") && Catch::Contains("} 1"));
  Command verified =
      Shell("bash -c " + ShellQuote(Binary() +
                                    " audit verify --require-signed "
                                    "--public-key " +
                                    dir + "/pub.pem --audit-db " + ShellQuote(odd + "/a.db")));
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out + verified.err, !Catch::Contains("after it"));  // the resume signed
}
