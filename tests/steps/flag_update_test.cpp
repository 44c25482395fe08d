// flag-update on a real flags file: one number changes, history-based rollbacks, errors
// leave the file untouched, concurrent writers and kill -9 never break the JSON.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const char* kFlags =
    "{\n  \"version\": 3,\n  \"flags\": {\n    \"flag.analyticsIngest\": { \"rollout\": 100, "
    "\"owner\": \"data\" },\n    \"flag.other\": {\"rollout\": 5}\n  }\n}\n";

Command Flag(const std::string& dir, const std::string& with, const std::string& extra = "") {
  WriteFile(dir, "f.yaml",
            "version: 1\nname: f\nsteps:\n  - {id: f, uses: flag-update, with: {file: flags.json, "
            "flag: flag.analyticsIngest" +
                with + "}}\n");
  return Shell("cd " + dir + " && " + Binary() + " run f.yaml --audit-db a.db" + extra);
}

std::string Cat(const std::string& path) { return Shell("cat " + path).out; }

}  // namespace

TEST_CASE("flag-update changes one number, rollbacks follow the history", "[steps][flag]") {
  std::string dir = TempDir();
  WriteFile(dir, "flags.json", kFlags);
  Command dry = Flag(dir, ", rollout: 10", " --dry-run");
  CHECK(dry.err.find("would set flag.analyticsIngest rollout 100 -> 10") != std::string::npos);
  CHECK(Cat(dir + "/flags.json") == kFlags);
  REQUIRE(Flag(dir, ", rollout: 10, mark_good: true").exit_code == 0);
  std::string expected = kFlags;
  expected.replace(expected.find("100"), 3, "10");
  CHECK(Cat(dir + "/flags.json") == expected);  // formatting and other values kept
  REQUIRE(Flag(dir, ", rollout: 50").exit_code == 0);
  Command back = Flag(dir, ", rollback: previous");
  CHECK(back.exit_code == 0);
  CHECK(back.err.find("rollout 50 -> 10") != std::string::npos);
  REQUIRE(Flag(dir, ", rollout: 80").exit_code == 0);
  REQUIRE(Flag(dir, ", rollout: 90").exit_code == 0);
  Command good = Flag(dir, ", rollback: last_good");
  CHECK(good.err.find("rollout 90 -> 10") != std::string::npos);
}

TEST_CASE("flag-update errors leave the file untouched", "[steps][flag]") {
  std::string dir = TempDir();
  WriteFile(dir, "flags.json", kFlags);
  WriteFile(dir, "u.yaml",
            "version: 1\nname: f\nsteps:\n  - {id: f, uses: flag-update, with: {file: "
            "flags.json, flag: flag.nope, rollout: 1}}\n");
  Command unknown = Shell("cd " + dir + " && " + Binary() + " run u.yaml --audit-db a.db");
  CHECK(unknown.err.find("no flag 'flag.nope' with a numeric rollout in flags.json; flags.json "
                         "untouched") != std::string::npos);
  CHECK(Flag(dir, ", rollout: 150").exit_code == 2);  // out of range: a load-time error
  CHECK(Flag(dir, ", rollback: last_good").err.find("no last_good value") != std::string::npos);
  WriteFile(dir, "flags.json", "{\"flags\": {");
  Command broken = Flag(dir, ", rollout: 3");
  CHECK(broken.err.find("flags.json is not valid JSON") != std::string::npos);
  CHECK(Cat(dir + "/flags.json") == "{\"flags\": {");
}

TEST_CASE("flag-update: concurrent writers and kill -9 never break the JSON", "[steps][flag]") {
  std::string dir = TempDir();
  WriteFile(dir, "flags.json", kFlags);
  WriteFile(dir, "a.yaml",
            "version: 1\nname: a\nsteps:\n  - {id: f, uses: flag-update, with: "
            "{file: flags.json, flag: flag.analyticsIngest, rollout: 11}}\n");
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsteps:\n  - {id: f, uses: flag-update, with: "
            "{file: flags.json, flag: flag.analyticsIngest, rollout: 22}}\n");
  // The runbook by its full path: the kills below must not reach other tests' `run a.yaml`.
  auto with = [&](const std::string& x) {
    return "for i in $(seq 1 15); do " + Binary() + " run " + dir + "/" + x + ".yaml --audit-db " +
           x + ".db 2>/dev/null; done";
  };
  CHECK(Shell("cd " + dir + "; (" + with("a") + ") & (" + with("b") + ") & wait").exit_code == 0);
  CHECK(Shell("python3 -c 'import json; json.load(open(\"" + dir + "/flags.json\"))'").exit_code ==
        0);
  CHECK(Shell("wc -l < " + dir + "/flags.json.history.jsonl").out == "30\n");
  // kill -9 at random moments of a stream of updates: the file is always whole.
  for (int round = 0; round < 5; ++round) {
    Shell("cd " + dir + "; (" + with("a") + ") & pid=$!; sleep 0.0" + std::to_string(3 + round) +
          "; pkill -9 -f '[r]un " + dir + "/a.yaml'; kill -9 $pid 2>/dev/null; wait");
    CHECK(Shell("python3 -c 'import json; d=json.load(open(\"" + dir +
                "/flags.json\")); assert d[\"flags\"][\"flag.other\"][\"rollout\"] == 5'")
              .exit_code == 0);
  }
}

TEST_CASE("flag-update never follows a link planted at its history or lock file", "[steps][flag]") {
  for (std::string planted : {"flags.json.history.jsonl", "flags.json.lock"}) {
    INFO(planted);
    std::string dir = TempDir();
    WriteFile(dir, "flags.json", kFlags);
    WriteFile(dir, "victim.txt", "precious\n");
    Shell("cd " + dir + " && ln -s victim.txt " + planted);
    Command c = Flag(dir, ", rollout: 10");
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("refusing to use flags.json" + planted.substr(10) +
                     ": it is a symbolic link") != std::string::npos);
    CHECK(Cat(dir + "/victim.txt") == "precious\n");
    CHECK(Cat(dir + "/flags.json") == kFlags);
  }
  // A dangling link is not created through either (its target is in a fresh folder, so an
  // earlier run cannot have left it there).
  std::string dir = TempDir(), elsewhere = TempDir();
  WriteFile(dir, "flags.json", kFlags);
  Shell("ln -s " + elsewhere + "/made-by-flag-update " + dir + "/flags.json.lock");
  CHECK(Flag(dir, ", rollout: 10").exit_code == 1);
  CHECK(Shell("test -e " + elsewhere + "/made-by-flag-update").exit_code != 0);
}

TEST_CASE("flag-update refuses a hard link planted at its history or lock file", "[steps][flag]") {
  for (std::string planted : {"flags.json.history.jsonl", "flags.json.lock"}) {
    INFO(planted);
    std::string dir = TempDir(), elsewhere = TempDir();
    WriteFile(dir, "flags.json", kFlags);
    WriteFile(elsewhere, "victim.txt", "precious\n");
    REQUIRE(Shell("ln " + elsewhere + "/victim.txt " + dir + "/" + planted).exit_code == 0);
    Command c = Flag(dir, ", rollout: 10");
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("refusing to use flags.json" + planted.substr(10) + ": it has 2 hard links") !=
          std::string::npos);
    CHECK(Cat(elsewhere + "/victim.txt") == "precious\n");
    CHECK(Cat(dir + "/flags.json") == kFlags);
  }
}

TEST_CASE("flag-update refuses a flags file that is a symbolic link, keeping the link",
          "[steps][flag]") {
  std::string dir = TempDir(), etc = TempDir();
  WriteFile(etc, "flags.json", kFlags);
  REQUIRE(Shell("ln -s " + etc + "/flags.json " + dir + "/flags.json").exit_code == 0);
  Command c = Flag(dir, ", rollout: 10");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("refusing to use flags.json: it is a symbolic link (to " + etc) !=
        std::string::npos);
  CHECK(Shell("test -L " + dir + "/flags.json").exit_code == 0);  // still the link
  CHECK(Cat(etc + "/flags.json") == kFlags);
  Command dry = Flag(dir, ", rollout: 10", " --dry-run");
  CHECK(dry.exit_code == 1);  // breakO O14: a dry run that would fail fails
  CHECK(dry.err.find("would fail: refusing to use") != std::string::npos);
}

TEST_CASE("flag-update refuses a flags file with a duplicate key, naming it and its line",
          "[steps][flag][flag-dup]") {
  // breakG #14: the parser read the last flag.x (20), the text edit changed the first.
  std::string dir = TempDir();
  std::string dup =
      "{\"flag.analyticsIngest\": {\"rollout\": 10}, "
      "\"flag.analyticsIngest\": {\"rollout\": 20}}";
  WriteFile(dir, "flags.json", dup);
  Command c = Flag(dir, ", rollout: 40");
  CHECK(c.exit_code != 0);
  CHECK(c.err.find("duplicate key 'flag.analyticsIngest' (line 1)") != std::string::npos);
  CHECK(Cat(dir + "/flags.json") == dup);
  // The same inside the flag, on another line, and a rollback does not pass it either.
  std::string inner =
      "{\"flags\": {\n  \"flag.analyticsIngest\": {\"rollout\": 10,\n"
      "    \"rollout\": 30}}}";
  WriteFile(dir, "flags.json", inner);
  Command r = Flag(dir, ", rollout: 0");
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("duplicate key 'rollout' (line 3)") != std::string::npos);
  CHECK(Cat(dir + "/flags.json") == inner);
  // breakH H1: the same key spelled with a \u escape is the same key (readers decode it).
  std::string escaped =
      "{\"flag.analyticsIngest\": {\"rollout\": 10}, "
      "\"flag.analytics\\u0049ngest\": {\"rollout\": 20}}";
  WriteFile(dir, "flags.json", escaped);
  Command e = Flag(dir, ", rollout: 40");
  CHECK(e.exit_code != 0);
  CHECK_THAT(e.err, Catch::Contains("flag.analyticsIngest' appears twice") ||
                        Catch::Contains("duplicate key 'flag.analyticsIngest'"));
  CHECK(Cat(dir + "/flags.json") == escaped);
  // The same key in two different objects is no duplicate.
  WriteFile(dir, "flags.json", kFlags);
  CHECK(Flag(dir, ", rollout: 40").exit_code == 0);
}

TEST_CASE("flag-update finds a flag whose key is written with escapes", "[steps][flag][flag-dup]") {
  // Variant of breakH H1: the edit lands on the member the parser read, however it is spelled.
  std::string dir = TempDir();
  WriteFile(dir, "flags.json",
            "{\"flags\": {\"flag.analytics\\u0049ngest\": {\"rollout\": 10}}}\n");
  Command c = Flag(dir, ", rollout: 40");
  CHECK(c.exit_code == 0);
  CHECK(Cat(dir + "/flags.json") ==
        "{\"flags\": {\"flag.analytics\\u0049ngest\": {\"rollout\": 40}}}\n");
}

TEST_CASE("flag-update killed at each fsync and rename never loses the change from the history",
          "[steps][flag][flag-crash]") {
  // breakG #1: killed after publishing flags.json, before the history append, the 100->50
  // change was missing and `rollback: previous` failed.
  for (const char* calls : {"fsync", "rename,renameat,renameat2"}) {
    for (int n = 1; n <= 8; ++n) {
      std::string dir = TempDir();
      WriteFile(dir, "flags.json", kFlags);
      WriteFile(dir, "f.yaml",
                "version: 1\nname: f\nsteps:\n  - {id: f, uses: flag-update, with: {file: "
                "flags.json, flag: flag.analyticsIngest, rollout: 50, mark_good: true}}\n");
      Command c = Shell("cd " + dir + " && " + std::string(kStrace) +
                        " -f -qq -o /dev/null -e trace=" + calls + " -e inject=" + calls +
                        ":signal=KILL:when=" + std::to_string(n) + " " + Binary() +
                        " run f.yaml --audit-db a.db");
      INFO(calls << " kill at " << n << ": " << c.err);
      REQUIRE(Flag(dir, ", rollout: 50, mark_good: true").exit_code == 0);  // the rerun
      Command back = Flag(dir, ", rollback: previous");
      CHECK(back.exit_code == 0);
      CHECK(back.err.find("rollout 50 -> 100") != std::string::npos);
      if (c.exit_code != 128 + 9) break;  // this run was not killed: all windows seen
    }
  }
}

TEST_CASE("flag-update: a rollback never writes a history value outside 0 to 100",
          "[steps][flag]") {
  // breakI I27: 150, -5, "50" (as 0), null (as 0), 50.5 (as 50) and 2^64 (as INT64_MIN) were
  // written as the rollout by a rollback.
  for (const char* to : {"150", "-5", "\"50\"", "null", "50.5", "18446744073709551616"}) {
    for (const char* kind : {"last_good", "previous"}) {
      CAPTURE(to, kind);
      std::string dir = TempDir();
      WriteFile(dir, "flags.json", kFlags);
      std::string key = std::string(kind) == "previous" ? "from" : "to";
      std::string entry =
          "{\"at\":\"2026-12-01T10:00:00.000Z\",\"flag\":\"flag.analyticsIngest\","
          "\"from\":" +
          std::string(key == "from" ? to : "10") +
          ",\"good\":true,\"run_id\":"
          "\"x\",\"step\":\"s\",\"to\":" +
          std::string(key == "to" ? to : "100") + "}\n";
      WriteFile(dir, "flags.json.history.jsonl", entry);
      Command c = Flag(dir, std::string(", rollback: ") + kind);
      INFO(c.err);
      CHECK(c.exit_code == 1);
      // 2^64 is no JSON integer runbook reads (breakJ J10): the line is refused as such.
      bool beyond = std::string(to) == "18446744073709551616";
      CHECK_THAT(c.err, Catch::Contains(beyond ? std::string("flags.json.history.jsonl line 1: "
                                                             "invalid JSON: an integer of 20 "
                                                             "digits is beyond")
                                               : "flags.json.history.jsonl line 1: '" + key +
                                                     "' is not a rollout from 0 to 100"));
      CHECK(Cat(dir + "/flags.json") == kFlags);
    }
  }
  // The file's own value too: 2^64 and 40.7 were read as INT64_MIN and 40.
  std::string dir = TempDir();
  WriteFile(dir, "flags.json", "{\"flags\": {\"flag.analyticsIngest\": {\"rollout\": 40.7}}}\n");
  Command c = Flag(dir, ", rollout: 5");
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("has a rollout of 40.7, not a whole number from 0 to 100"));
}

TEST_CASE("flag-update: a flag both at the top level and under flags is refused", "[steps][flag]") {
  // breakI I33: the top-level copy was edited; a reader of flags.<name> kept the old value.
  for (const char* doc :
       {"{\"flag.analyticsIngest\": {\"rollout\": 50}, \"flags\": {\"flag.analyticsIngest\": "
        "{\"rollout\": 5}}}\n",
        "{\"flags\": {\"flag.analyticsIngest\": {\"rollout\": 5}}, \"flag.analyticsIngest\": "
        "{\"rollout\": 50}}\n"}) {
    std::string dir = TempDir();
    WriteFile(dir, "flags.json", doc);
    Command c = Flag(dir, ", rollout: 9");
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("is in flags.json twice, at the top level and under"));
    CHECK(Cat(dir + "/flags.json") == doc);
  }
}

TEST_CASE("flag-update: values that resolve to null are an error, never a silent ok",
          "[steps][flag]") {
  // breakI I12: `rollout: ${{ params.pct || null }}` with pct=0 said "100 -> 100", ok, and a
  // required parameter whose expression gave null was an "internal error ... please report".
  std::string dir = TempDir();
  WriteFile(dir, "flags.json", kFlags);
  WriteFile(dir, "n.yaml",
            "version: 1\nname: n\nparams:\n  pct: {type: integer, required: false}\n  j: "
            "{type: string, default: 'null'}\nsteps:\n"
            "  - {id: set, uses: flag-update, with: {file: flags.json, flag: flag.analyticsIngest, "
            "rollout: '${{ params.pct || null }}'}}\n"
            "  - {id: req, uses: flag-update, if: always(), with: {file: flags.json, flag: "
            "'${{ fromJSON(params.j) }}', rollout: 5}}\n");
  Command c = Shell("cd " + dir + " && " + Binary() + " run n.yaml --audit-db a.db --set pct=0");
  INFO(c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("flag-update needs rollout, rollback or mark_good"));
  CHECK_THAT(c.err, Catch::Contains("parameter 'flag' is required; its expression gave null"));
  CHECK_THAT(c.err, !Catch::Contains("please report"));
  CHECK(Cat(dir + "/flags.json") == kFlags);
  CHECK(Shell("test -e " + dir + "/flags.json.history.jsonl").exit_code != 0);
}
