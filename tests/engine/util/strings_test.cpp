// engine/util/strings: the last lines of an output (exec errors, service logs, show).
#include "engine/util/strings.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

using namespace runbook;

TEST_CASE("LastLines keeps the last n lines, trailing newlines are not lines", "[util]") {
  CHECK(LastLines("a\nb\nc\n", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc\n\n\n", 2) == "b\nc");
  CHECK(LastLines("a\n\nc", 2) == "\nc");  // blank lines inside count
  CHECK(LastLines("only", 5) == "only");
  CHECK(LastLines("a\nb\n", 5) == "a\nb");
  CHECK(LastLines("\n\n", 3).empty());
  CHECK(LastLines("", 3).empty());
  CHECK(LastLines("a\nb", 0).empty());
}

TEST_CASE("ShellQuote gives one shell word that the shell reads back as it was",
          "[util][strings]") {
  CHECK(ShellQuote("/var/lib/runbook/audit.db") == "/var/lib/runbook/audit.db");
  CHECK(ShellQuote("") == "''");
  CHECK(ShellQuote("my store.db") == "'my store.db'");
  for (std::string word : {"it's here", "$HOME/`x`;rm -rf /", "a\"b\\c", "*?[x]", "-n"}) {
    std::string line = "printf %s " + ShellQuote(word);
    FILE* sh = popen(line.c_str(), "r");
    REQUIRE(sh != nullptr);
    char buf[256] = {};
    size_t n = fread(buf, 1, sizeof buf - 1, sh);
    pclose(sh);
    CHECK(std::string(buf, n) == word);
  }
}
