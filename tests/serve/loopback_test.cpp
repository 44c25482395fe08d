// serve's loopback rule (serve/server.h IsLoopback): addresses as written, never a name that
// looks like one (audit of issue 16, L7).
#include <catch2/catch.hpp>

#include "serve/server.h"

using namespace runbook;

TEST_CASE("loopback: 127.0.0.0/8, ::1 and localhost, never names or other addresses",
          "[serve][cli]") {
  for (const char* yes : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "localhost"})
    CHECK(IsLoopback(yes));
  for (const char* no : {"127.example.com", "127.0.0.1.nip.io", "128.0.0.1", "0.0.0.0",
                         "::", "10.0.0.1", "::ffff:10.0.0.1", "localhost.example", "127", ""})
    CHECK_FALSE(IsLoopback(no));
}
