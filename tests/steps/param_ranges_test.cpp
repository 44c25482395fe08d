// Ranges checked at load (issue 12 kind D, breakH H8): a port is 1..65535 in decimal digits
// (getaddrinfo would take 99999 as 34463), and a duration where 0 would mean "no limit" (a
// timeout) or would overflow where it is used is refused, located at its parameter.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "steps/common/net.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::string Step(const std::string& step) {
  return "version: 1\nname: t\nsteps:\n  - " + step + "\n";
}

// Each step is refused at load, at its line, saying `why`.
void CheckRefused(const std::vector<std::string>& steps, const std::string& why) {
  for (const std::string& step : steps) {
    CAPTURE(step);
    std::string d = Diagnose(Step(step));
    CHECK(d.find("test.yaml:4:") != std::string::npos);
    CHECK(d.find(why) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("ranges: a probe's tcp port outside 1..65535 is refused at load", "[steps][ranges]") {
  for (const char* port : {"99999", "0034463", "0", "-1", "65536", "80x", ""}) {
    CAPTURE(port);
    std::string d = Diagnose(Step(std::string("{id: s, uses: probe, with: {kind: tcp, address: "
                                              "'127.0.0.1:") +
                                  port + "'}}"));
    CHECK(d.find("test.yaml:4:") != std::string::npos);
    CHECK(d.find("the port must be a number from 1 to 65535") != std::string::npos);
  }
  CHECK(Load(Step("{id: s, uses: probe, with: {kind: tcp, address: '127.0.0.1:65535'}}")) !=
        nullptr);
  // The same rule for a service's tcp health check.
  std::string health = Diagnose(
      Step("{id: s, uses: service, with: {run: [sleep, '1'], health: {tcp: 'localhost:70000'}}}"));
  CHECK(health.find("the port must be a number from 1 to 65535") != std::string::npos);
}

TEST_CASE("ranges: a URL's port outside 1..65535 is refused at load", "[steps][ranges]") {
  CheckRefused(
      {"{id: s, uses: s3-sync, with: {source: 's3://b/p', dest: d, endpoint: "
       "'http://127.0.0.1:99999'}}",
       "{id: s, uses: probe, with: {kind: prometheus, url: 'http://u:p@[::1]:0/', query: up}}",
       "{id: s, uses: service, with: {run: [sleep, '1'], health: {http: 'http://h:65536/x'}}}"},
      "the port must be a number from 1 to 65535");
  CHECK(Load(Step("{id: s, uses: s3-sync, with: {source: 's3://b/p', dest: d, endpoint: "
                  "'http://[::1]:9000/'}}")) != nullptr);
  CHECK(Load(Step("{id: s, uses: probe, with: {kind: prometheus, url: 'http://h/x:1', query: "
                  "up}}")) != nullptr);  // a colon in the path is no port
}

TEST_CASE("ranges: a zero timeout parameter is refused at load", "[steps][ranges]") {
  CheckRefused(
      {"{id: s, uses: s3-sync, with: {source: 's3://b/p', dest: d, request_timeout: 0s}}",
       "{id: s, uses: probe, with: {kind: tcp, address: 'h:1', connect_timeout: 0s}}",
       "{id: s, uses: probe, with: {kind: prometheus, url: 'http://h:1', query: up, timeout: 0ms}}",
       "{id: s, uses: service, with: {run: [sleep, '1'], ready_timeout: 0s}}",
       "{id: s, uses: backup, with: {database: a.db, dest: d, busy_timeout: 0s}}"},
      "is below the minimum 1ms (0 would mean no limit, or none at all)");
  CHECK(Load(Step("{id: s, uses: s3-sync, with: {source: 's3://b/p', dest: d, request_timeout: "
                  "1ms}}")) != nullptr);
}

TEST_CASE("ranges: a busy_timeout past what SQLite can take is refused at load",
          "[steps][ranges]") {
  // SQLite takes milliseconds as an int: 1000h would wrap to a negative wait.
  std::string d =
      Diagnose(Step("{id: s, uses: backup, with: {database: a.db, dest: d, busy_timeout: 1000h}}"));
  CHECK(d.find("duration 1000h is above the maximum 24h") != std::string::npos);
}

TEST_CASE("ranges: an address from an expression is checked again before connecting",
          "[steps][ranges]") {
  // 99999 would be taken as 34463 by getaddrinfo: refused before any connection.
  CHECK(TcpConnect("127.0.0.1:99999", Millis(100)).find("the port must be a number from 1") !=
        std::string::npos);
  CHECK(TcpConnect("127.0.0.1:0034463", Millis(100)).find("the port must be a number from 1") !=
        std::string::npos);
}
