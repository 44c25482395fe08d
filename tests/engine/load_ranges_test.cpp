// Values that would fail every run at once are refused when the runbook is loaded, located:
// a zero timeout, S3 part sizes outside S3's limits.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("a zero timeout is refused at load, on a step and in defaults", "[loader][ranges]") {
  std::string step = Diagnose(
      "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, timeout: 0s, with: {run: ['true']}}\n");
  CHECK(step.find("test.yaml:4:") != std::string::npos);
  CHECK(step.find("timeout must be more than 0, found '0s'") != std::string::npos);
  std::string defaults = Diagnose(
      "version: 1\nname: t\ndefaults: {timeout: 0ms}\nsteps:\n"
      "  - {id: a, uses: exec, with: {run: ['true']}}\n");
  CHECK(defaults.find("defaults.timeout must be more than 0, found '0ms'") != std::string::npos);
  CHECK(Load("version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, timeout: 1ms, with: {run: "
             "['true']}}\n") != nullptr);
}

TEST_CASE("S3 part sizes outside 5MiB to 5GiB are refused at load", "[loader][ranges][s3]") {
  for (const char* bad : {"multipart_threshold: '0'", "multipart_threshold: 1MiB",
                          "part_size: 6GiB", "multipart_threshold: 6GiB"}) {
    CAPTURE(bad);
    std::string d = Diagnose(std::string("version: 1\nname: t\nsteps:\n  - {id: s, uses: s3-sync, "
                                         "with: {source: a, dest: 's3://b/p', ") +
                             bad + "}}\n");
    CHECK(d.find("must be from 5MiB to 5GiB (S3's part limits)") != std::string::npos);
  }
  CHECK(Load("version: 1\nname: t\nsteps:\n  - {id: s, uses: s3-sync, with: {source: a, dest: "
             "'s3://b/p', multipart_threshold: 5GiB, part_size: 5MiB}}\n") != nullptr);
}

TEST_CASE("an integer field past 64 bits is out of range, not 'not an integer' (break24a D3)",
          "[loader][ranges]") {
  for (const char* n : {"99999999999999999999", "-99999999999999999999", "+18446744073709551616"}) {
    CAPTURE(n);
    std::string d =
        Diagnose(std::string("version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, retry: "
                             "{max_attempts: ") +
                 n + "}, with: {run: ['true']}}\n");
    CHECK(d.find("'" + std::string(n) + "' is out of range for an integer (-2^63 to 2^63-1)") !=
          std::string::npos);
    CHECK(d.find("must be an integer") == std::string::npos);
  }
  // Not digits: still not an integer.
  std::string d = Diagnose(
      "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, retry: {max_attempts: 2.5}, "
      "with: {run: ['true']}}\n");
  CHECK(d.find("must be an integer, found '2.5'") != std::string::npos);
}
