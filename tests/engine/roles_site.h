// What the tests of the engine's rule on paths share (engine/path_roles.h): a folder with a
// small SQLite database `src.db` to restore and check, and the binary run from there.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

namespace runbook::test {

// A new temporary folder holding src.db (one table, one row).
inline std::string RolesDir() {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && sqlite3 src.db 'create table t(a); insert into t values(1)'")
              .exit_code == 0);
  return dir;
}

// The binary with `args`, run from `dir`.
inline Command RolesRun(const std::string& dir, const std::string& args) {
  return Shell("cd " + dir + " && " + Binary() + " " + args);
}

}  // namespace runbook::test
