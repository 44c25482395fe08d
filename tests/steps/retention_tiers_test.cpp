// Grandfather-father-son retention (backup's `keep:`) and the verified rule
// (steps/common/retention.h PlanRetention): which dumps each tier keeps, on the UTC calendar
// and ISO weeks, and that the newest verified dump (overall, and of what each tier spans) is
// never deleted. Dumps here are files with metadata written by the test: dates chosen freely.
#include <catch2/catch.hpp>
#include <map>

#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/time_format.h"
#include "steps/common/retention.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const DumpSource kSource{"/data/app.sqlite", "host-a"};

// A dump `name`.sqlite.gz in `dir` made at `at` (RFC 3339) holding its name: its sha256 is
// Sha(name).
std::string Sha(const std::string& name) { return Sha256Hex(name); }
void MakeDump(const std::string& dir, const std::string& name, const std::string& at,
              const DumpSource& source = kSource) {
  WriteFile(dir, name + ".sqlite.gz", name);
  WriteFile(dir, name + ".sqlite.gz.meta.json",
            ToJson(Value(Value::Map{{"file", Value(name + ".sqlite.gz")},
                                    {"size", Value(int64_t{1})},
                                    {"sha256", Value(Sha(name))},
                                    {"created_at", Value(at)},
                                    {"source", Value(source.path)},
                                    {"instance", Value(source.instance)}})));
}

// name -> why, "-" prefixed when deleted.
std::map<std::string, std::string> Plan(const std::string& dir, const RetentionPolicy& policy,
                                        const std::string& now = "2027-01-10T12:00:00Z") {
  std::map<std::string, std::string> out;
  for (const RetentionDecision& d : PlanRetention(dir, kSource, "", policy, *ParseUtc(now))) {
    std::string name = d.path.substr(d.path.rfind('/') + 1);
    out[name.substr(0, name.find('.'))] = (d.keep ? "" : "-") + d.why;
  }
  return out;
}

RetentionPolicy Tiers(KeepTiers tiers) {
  RetentionPolicy p;
  p.tiers = tiers;
  return p;
}

}  // namespace

TEST_CASE("keep tiers: last, daily, weekly and monthly are a union on the UTC calendar",
          "[steps][backup][retention]") {
  std::string dir = TempDir();
  // Two a day on Jan 8-9 2027, one on Jan 4 (Monday of 2027-W01), Dec 31 2026 (a Thursday:
  // ISO 2026-W53), Dec 20, Nov 30.
  MakeDump(dir, "j9b", "2027-01-09T20:00:00Z");
  MakeDump(dir, "j9a", "2027-01-09T08:00:00Z");
  MakeDump(dir, "j8b", "2027-01-08T23:59:59Z");
  MakeDump(dir, "j8a", "2027-01-08T00:00:00Z");
  MakeDump(dir, "j4", "2027-01-04T10:00:00Z");
  MakeDump(dir, "d31", "2026-12-31T10:00:00Z");
  MakeDump(dir, "d20", "2026-12-20T10:00:00Z");
  MakeDump(dir, "n30", "2026-11-30T10:00:00Z");
  auto plan = Plan(dir, Tiers({1, 2, 3, 3}));
  CHECK(plan["j9b"] == "last 1");
  CHECK(plan["j9a"][0] == '-');  // not the newest of its day
  CHECK(plan["j8b"] == "daily 2027-01-08");
  CHECK(plan["j8a"][0] == '-');
  CHECK(plan["j4"][0] == '-');              // 2027-W01's newest is j9b (kept by last)
  CHECK(plan["d31"] == "weekly 2026-W53");  // ISO: Dec 31 2026 is in 2026's week 53
  CHECK(plan["d20"] == "weekly 2026-W51");  // the third week that has a dump
  CHECK(plan["n30"] == "monthly 2026-11");  // Jan and Dec counted by j9b and d31
}

TEST_CASE("keep tiers: the newest verified dump, and the newest verified of each tier, stay",
          "[steps][backup][retention]") {
  std::string dir = TempDir();
  for (int day = 1; day <= 9; ++day)
    MakeDump(dir, "d" + std::to_string(day), "2027-01-0" + std::to_string(day) + "T10:00:00Z");
  RetentionPolicy policy = Tiers({2, std::nullopt, std::nullopt, std::nullopt});
  std::map<std::string, std::string> by = {{Sha("d3"), "drill A"}, {Sha("d1"), "drill B"}};
  policy.verified_by = [&](const std::string& sha) { return by.count(sha) ? by[sha] : ""; };
  auto plan = Plan(dir, policy);
  CHECK(plan["d9"] == "last 2");
  CHECK(plan["d8"] == "last 2");
  CHECK(plan["d3"] == "the newest verified (by drill A)");
  CHECK(plan["d1"] == "-not kept by any tier, nor the newest verified");  // an older proof
  CHECK(plan["d5"][0] == '-');
  // A tier keeps the newest verified of what it spans: daily 3 spans d9..d7, d7 verified.
  by[Sha("d7")] = "drill C";
  policy.tiers = KeepTiers{std::nullopt, 3, std::nullopt, std::nullopt};
  plan = Plan(dir, policy);
  CHECK(plan["d9"] == "daily 2027-01-09");
  CHECK(plan["d7"] == "daily 2027-01-07");  // kept by its day anyway
  CHECK(plan["d3"][0] == '-');              // the newest verified is d7
  // The same rule under keep_last: the verified dump past the count stays.
  RetentionPolicy last;
  last.keep_last = 1;
  last.verified_by = policy.verified_by;
  plan = Plan(dir, last);
  CHECK(plan["d9"] == "among the newest 1");
  CHECK(plan["d7"] == "the newest verified (by drill C)");
  CHECK(plan["d8"] == "-beyond keep_last 1");
}

TEST_CASE("keep tiers: a dry run counts the dump about to be written, other databases untouched",
          "[steps][backup][retention]") {
  std::string dir = TempDir();
  MakeDump(dir, "a2", "2027-01-09T10:00:00Z");
  MakeDump(dir, "a1", "2027-01-08T10:00:00Z");
  MakeDump(dir, "other", "2026-01-01T10:00:00Z", {"/data/other.sqlite", "host-a"});
  MakeDump(dir, "elsewhere", "2026-01-01T10:00:00Z", {"/data/app.sqlite", "host-b"});
  RetentionPolicy policy = Tiers({1, std::nullopt, std::nullopt, std::nullopt});
  auto plan = Plan(dir, policy);
  CHECK(plan.size() == 2);  // neither another database's nor another instance's dumps
  CHECK(plan["a2"] == "last 1");
  policy.count_one_more = true;  // the run's new dump is the newest: a2 goes too
  plan = Plan(dir, policy);
  CHECK(plan.size() == 2);
  CHECK(plan["a2"][0] == '-');
}

TEST_CASE("keep tiers: a mapping of last, daily, weekly, monthly to counts, nothing else",
          "[steps][backup][retention]") {
  auto parse = [](const std::string& yaml_json) {
    return ParseKeepTiers(ParseJson(yaml_json).value());
  };
  CHECK(parse(R"({"last": 7, "daily": 14, "weekly": 8, "monthly": 12})").ok());
  CHECK_THAT(parse(R"({"yearly": 1})").status().message(),
             Catch::Contains("unknown tier 'yearly' (expected last, daily, weekly or monthly)"));
  CHECK_THAT(parse(R"({"daily": 0})").status().message(),
             Catch::Contains("keep.daily: expected a whole number from 1"));
  CHECK_THAT(parse(R"({"daily": "7"})").status().message(), Catch::Contains("keep.daily"));
  CHECK_FALSE(parse("{}").ok());
  CHECK_FALSE(parse("[7]").ok());
}

// breakMM MM1: a verified dump whose bytes changed since (bit rot, an edit) is no proof: the
// older verified dump that still holds is kept instead, and the changed one goes by the counts.
// MM3/MM5: a store that cannot be believed deletes nothing; one that knows no check says so.
TEST_CASE(
    "keep tiers: a verified dump whose bytes changed is no proof, and a store that "
    "cannot be believed deletes nothing",
    "[steps][backup][retention]") {
  std::string dir = TempDir();
  for (int day = 1; day <= 5; ++day)
    MakeDump(dir, "d" + std::to_string(day), "2027-01-0" + std::to_string(day) + "T10:00:00Z");
  RetentionPolicy policy;
  policy.keep_last = 1;
  std::map<std::string, std::string> by = {{Sha("d4"), "drill A"}, {Sha("d2"), "drill B"}};
  policy.verified_by = [&](const std::string& sha) { return by.count(sha) ? by[sha] : ""; };
  WriteFile(dir, "d4.sqlite.gz", "d9");  // same size, other bytes
  auto plan = Plan(dir, policy);
  CHECK(plan["d2"] == "the newest verified (by drill B)");
  CHECK(plan["d4"] == "-beyond keep_last 1; its bytes changed since it was verified");
  policy.verified_state = {"the audit store /s/a.db was altered (event 8 ...)", true};
  plan = Plan(dir, policy);
  for (const char* d : {"d1", "d2", "d3", "d4"})
    CHECK(plan[d] ==
          "retention deletes nothing: the audit store /s/a.db was altered (event 8 ...)");
  RetentionPolicy none;
  none.keep_last = 4;
  none.verified_state = {"no passed integrity check is recorded in the audit store /s/a.db", false};
  plan = Plan(dir, none);
  CHECK(plan["d1"] ==
        "-beyond keep_last 4; nothing is known verified: no passed integrity check "
        "is recorded in the audit store /s/a.db");
}

// breakMM MM6, MM9: a dump dated in the future neither counts nor is deleted; one whose
// created_at cannot be read is never deleted; both are said.
TEST_CASE("keep tiers: a dump dated in the future or undated is said, never counted or deleted",
          "[steps][backup][retention]") {
  std::string dir = TempDir();
  MakeDump(dir, "old", "2027-01-01T10:00:00Z");
  MakeDump(dir, "mid", "2027-01-05T10:00:00Z");
  MakeDump(dir, "ahead", "2029-06-01T10:00:00Z");
  MakeDump(dir, "garbage", "last tuesday");
  RetentionPolicy policy;
  policy.keep_last = 1;
  auto plan = Plan(dir, policy);
  CHECK(plan["mid"] == "among the newest 1");
  CHECK(plan["old"] == "-beyond keep_last 1");
  CHECK_THAT(plan["ahead"], Catch::StartsWith("its created_at is in the future"));
  CHECK(plan["garbage"] == "its metadata's created_at cannot be read: never deleted");
}
