// steps/common/files: atomic writes leave no temporaries, and a killed run's are removed.
#include "steps/common/files.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>

#include "tests/support/support.h"

namespace runbook {
namespace {

using test::ReadFile;
using test::TempDir;
using test::WriteFile;

// A pid no process has now (kill answers ESRCH).
long UnusedPid() {
  for (long pid = 4000000; pid > 1000; --pid)
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return pid;
  return 0;
}

std::string Listing(const std::string& dir) {
  std::string out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out += e.path().filename().string() + "\n";
  return out;
}

TEST_CASE("an atomic write removes a killed run's temporaries of the same file, only those",
          "[steps][files]") {
  std::string dir = TempDir();
  long dead = UnusedPid();
  REQUIRE(dead != 0);
  std::string stale = ".flags.json.tmp-" + std::to_string(dead) + "-12345-0123456789abcdef";
  std::string other = ".other.json.tmp-" + std::to_string(dead) + "-12345-0123456789abcdef";
  WriteFile(dir, stale, "half-written");
  WriteFile(dir, other, "another file's");
  REQUIRE(WriteFileAtomic(dir + "/flags.json", "{}\n").ok());
  CHECK(ReadFile(dir + "/flags.json") == "{}\n");
  // The same file's debris is gone; another file's is left to whoever writes that file.
  CHECK(Listing(dir).find(stale) == std::string::npos);
  CHECK(Listing(dir).find(other) != std::string::npos);
  // Temporaries are named so a later run can tell them apart: the scratch pattern.
  std::string tmp = TempBeside(dir + "/flags.json");
  CHECK(BaseName(tmp).rfind(".flags.json.tmp-" + std::to_string(::getpid()) + "-", 0) == 0);
}

}  // namespace
}  // namespace runbook
