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
