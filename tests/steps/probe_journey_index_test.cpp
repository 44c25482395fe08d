// A JSON pointer in a probe journey whose array index is too large for any integer: once
// `step crashed: stoull` (one virtual user) or std::terminate killing runbook (several);
// now an index like any other that is not in the list ("... is missing").
#include <catch2/catch.hpp>

#include "support/servers.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

std::string Journey(const std::string& url, int users, const std::string& catalog_check) {
  return "version: 1\nname: idx\nsteps:\n  - id: synthetic\n    uses: probe\n    with:\n"
         "      kind: http\n      base_url: " +
         url + "\n      iterations: " + std::to_string(users) +
         "\n      concurrency: " + std::to_string(users) +
         "\n      max_error_rate: 0\n      report: r.json\n      journey:\n"
         "        - name: login\n          method: POST\n          path: /api/auth/login\n"
         "          json: {email: smoke@puranatura.test, password: smoke-password}\n"
         "          extract: {token: /token}\n"
         "        - name: catalog\n          path: /api/catalog\n"
         "          headers: {Authorization: \"Bearer {{token}}\"}\n" +
         catalog_check;
}

Command RunJourney(const std::string& yaml) {
  std::string dir = TempDir();
  WriteFile(dir, "idx.yaml", yaml);
  return Shell("cd " + dir + " && " + Binary() + " run idx.yaml --audit-db a.db", 120);
}

void CheckClean(const Command& c, const std::string& says) {
  INFO(c.err);
  CHECK(c.exit_code == 1);
  CHECK(c.err.find(says) != std::string::npos);
  CHECK(c.err.find("stoull") == std::string::npos);
  CHECK(c.err.find("crashed") == std::string::npos);
  CHECK(c.err.find("terminate") == std::string::npos);
}

}  // namespace

TEST_CASE("probe http: an array index past any integer is missing, not a crash",
          "[steps][probe][http][step-errors]") {
  ShopServer shop;
  struct Case {
    int users;
    std::string check, says;
  };
  const std::string expect =
      "          expect: {json: {/items/99999999999999999999/sku: TEA-001}}\n";
  const Case cases[] = {
      {1, expect, "catalog: /items/99999999999999999999/sku is missing"},  // was: step crashed
      {2, expect, "catalog: /items/99999999999999999999/sku is missing"},  // was: terminate
      {2, "          extract: {first: /items/18446744073709551616}\n",     // 2^64
       "cannot extract first: /items/18446744073709551616 is missing"},
  };
  for (const Case& c : cases) CheckClean(RunJourney(Journey(shop.url(), c.users, c.check)), c.says);
}
