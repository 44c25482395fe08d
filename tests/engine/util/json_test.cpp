// ParseJson's errors are words for the reader: no id of the JSON library's exception class.
#include "engine/util/json.h"

#include <catch2/catch.hpp>

#include "engine/util/value.h"

using namespace runbook;

TEST_CASE("invalid JSON is said without the library's exception id", "[json][step-errors]") {
  for (const char* text : {"{x", "[1, 2", "{\"a\": tru}", "", "\"\\u12\""}) {
    auto parsed = ParseJson(text);
    REQUIRE_FALSE(parsed.ok());
    std::string message = parsed.status().message();
    INFO(message);
    CHECK(message.rfind("invalid JSON: ", 0) == 0);
    CHECK(message.find("json.exception") == std::string::npos);
  }
}

TEST_CASE("invalid JSON is located without quoting the text it read", "[json][secrets]") {
  // issue 13 A: "last read: 'Z'" quoted a piece of a secret too short for the redactor.
  for (const char* text : {"Zq7secret", "{\"token\": Zq7secret}", "[\"ok\", Zq7]"}) {
    auto parsed = ParseJson(text);
    REQUIRE_FALSE(parsed.ok());
    std::string message = parsed.status().message();
    INFO(message);
    CHECK(message.find("last read") == std::string::npos);
    CHECK(message.find('Z') == std::string::npos);
    CHECK(message.find("line 1, column ") != std::string::npos);
  }
  auto dup = ParseJson("{\"a\": 1, \"a\": 2}");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().message() ==
        "invalid JSON: a key appears twice in one object (member 2 repeats an earlier key)");
}

TEST_CASE("an integer past the 64-bit range is refused in words, never wrapped (breakJ J10)",
          "[json][values]") {
  for (const char* text : {"12345678901234567890", "9223372036854775808", "18446744073709551615",
                           "-9223372036854775809", "[1, 99999999999999999999]",
                           "{\"errors\": 18446744073709551615}"}) {
    CAPTURE(text);
    auto parsed = ParseJson(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.status().message(),
               Catch::Contains("is beyond the 64-bit range runbook reads"));
  }
  // The edges themselves, and numbers written as decimals, are read as written.
  auto max = ParseJson("9223372036854775807");
  REQUIRE(max.ok());
  CHECK(max.value().as_int() == 9223372036854775807LL);
  auto min = ParseJson("-9223372036854775808");
  REQUIRE(min.ok());
  CHECK(min.value().as_int() == (-9223372036854775807LL - 1));
  auto big = ParseJson("1.5e19");
  REQUIRE(big.ok());
  CHECK(big.value().is_number());
}

// break23a A1: fromJSON(secrets.x) of a refused text quoted a piece of it in the error (an
// integer past 64 bits, a duplicated key, nlohmann's "number overflow parsing '...'"), which no
// mask matches. No message of the parser quotes the text.
TEST_CASE("no JSON error quotes a piece of the text it refuses", "[json][secrets]") {
  for (const char* text : {"{\"k\": 98765432109876543210}", "{\"x\": 1.5e99999}",
                           "{\"hunter2key\": 1, \"hunter2key\": 2}", "[-98765432109876543210]"}) {
    CAPTURE(text);
    auto parsed = ParseJson(text);
    REQUIRE_FALSE(parsed.ok());
    const std::string m = parsed.status().message();
    CHECK(m.find("98765") == std::string::npos);
    CHECK(m.find("99999") == std::string::npos);
    CHECK(m.find("hunter2") == std::string::npos);
    CHECK(m.find('\'') == std::string::npos);
  }
  CHECK(ParseJson("{\"x\": 1.5e99999}").status().message() ==
        "invalid JSON: number overflow at byte 15");
}
