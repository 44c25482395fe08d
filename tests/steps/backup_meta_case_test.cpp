// A dump's .meta.json may hold its sha256 in upper case (written by another tool): the same
// value, not a mismatch (breakJ J13). What is not a sha256 never matches.
#include <catch2/catch.hpp>
#include <string>

#include "engine/util/crypto.h"
#include "steps/common/backup_meta.h"

using namespace runbook;

TEST_CASE("a recorded sha256 in upper or mixed case is the same digest", "[steps][meta]") {
  std::string sha = Sha256Hex("dump bytes"), upper = sha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(CanonicalSha256(upper) == sha);
  CHECK(CanonicalSha256(sha) == sha);
  std::string mixed = sha;
  mixed[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[0])));
  CHECK(CanonicalSha256(mixed) == sha);
  for (std::string other :
       {std::string(""), std::string(63, 'a'), std::string(64, 'g'), " " + sha, upper + "0"})
    CHECK(CanonicalSha256(other) != sha);

  Value::Map meta{
      {"file", Value("app.sqlite.gz")}, {"size", Value("10")}, {"sha256", Value(upper)}};
  CHECK(CheckMetaDescribes(meta, "/d/app.sqlite.gz", 10, sha).ok());
  meta["sha256"] = Value(std::string(64, 'F'));
  Status wrong = CheckMetaDescribes(meta, "/d/app.sqlite.gz", 10, sha);
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.message(), Catch::Contains("sha256 mismatch"));
}
