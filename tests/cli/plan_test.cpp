// `runbook plan` shows everything that decides what runs (parameters and their sources,
// env at both levels, retry, approvals, needs, conditions), stable for diffs, and never a
// secret value.
#include <catch2/catch.hpp>
#include <map>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const char* kRunbook =
    "version: 1\nname: t\nkind: restore\nobjectives: {rto: 1h, rpo: 24h}\n"
    "params:\n  target: {type: string, default: here}\n  count: {type: integer, default: 2}\n"
    "secrets:\n  db: {env: PLAN_DB_PASSWORD}\n"
    "env:\n  REGION: eu-${{ params.target }}\n  TZ: UTC\n  PGPASSWORD: ${{ secrets.db }}\n"
    "steps:\n"
    "  - id: a\n    uses: exec\n    env: {MODE: fast, TARGET: '${{ params.target }}'}\n"
    "    timeout: 30s\n    retry: {max_attempts: 3, delay: 2s, backoff: exponential}\n"
    "    with: {run: [echo, '${{ env.MODE }}', '${{ env.REGION }}']}\n"
    "  - id: gate\n    uses: approval\n    needs: [a]\n    if: ${{ params.count > 1 }}\n"
    "    continue_on_error: warn\n    with: {prompt: 'Swap?'}\n";

std::string Plan(const std::string& file, const std::string& args = "") {
  Command c = Shell(Binary() + " plan " + args + " " + file);
  REQUIRE(c.exit_code == 0);
  return c.out;
}

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the text plan shows params, env, retry, approvals, needs and conditions",
          "[cli][plan]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "p.yaml", kRunbook);
  CHECK(Plan(file, "--set target=prod") ==
        "runbook t (restore), RTO objective 1h, RPO objective 24h\n"
        "max_parallel: one per core\n"
        "working directory: . (relative paths resolve here; relative to the runbook's folder)\n"
        "params:\n"
        "  count = 2 (default)\n"
        "  target = \"prod\" (command line)\n"
        "secrets:\n"
        "  db from env PLAN_DB_PASSWORD\n"
        "env:\n"
        "  PGPASSWORD = \"${{ secrets.db }}\"\n"
        "  REGION = \"eu-prod\"\n"
        "  TZ = \"UTC\"\n"
        "\n"
        "wave 1:\n"
        "  a (exec)\n"
        "      timeout: 30s\n"
        "      retry: 3 attempts, exponential delay 2s (at most 1m), on failure and timeout\n"
        "      not idempotent: stopped mid-way, it runs again only when confirmed\n"
        "      env:\n"
        "        MODE = \"fast\"\n"
        "        TARGET = \"prod\"\n"
        "      with:\n"
        "        run = [\"echo\",\"fast\",\"eu-prod\"]\n"
        "        shell = false\n"
        "        success_codes = [0]\n"
        "      would run: echo fast eu-prod\n"
        "\n"
        "wave 2:\n"
        "  gate (approval) if ${{ params.count > 1 }}\n"
        "      needs: [\"a\"]\n"
        "      waits for a person\n"
        "      continue_on_error: warn\n"
        "      with:\n"
        "        prompt = \"Swap?\"\n"
        "      would ask for approval: Swap?\n");
}

TEST_CASE("a change to env, a default or retry alone changes both plans", "[cli][plan]") {
  std::string dir = TempDir();
  std::string before = WriteFile(dir, "before.yaml", kRunbook);
  const std::vector<std::pair<std::string, std::string>> changes = {
      {"TZ: UTC", "TZ: CET"},                // the runbook's env, not used by `with`
      {"MODE: fast", "MODE: slow"},          // a step's env, used by `with`
      {"TARGET: '${{", "TARGET: 'x${{"},     // a step's env from a param, not used
      {"default: 2}", "default: 3}"},        // a param's default
      {"delay: 2s", "delay: 5s"},            // the retry policy beyond max_attempts
      {"PLAN_DB_PASSWORD", "PLAN_DB_PASS"},  // where a secret is read from
      {"continue_on_error: warn", "continue_on_error: true"}};
  for (const auto& [from, to] : changes) {
    INFO(from << " -> " << to);
    std::string after = WriteFile(dir, "after.yaml", Replaced(kRunbook, from, to));
    CHECK(Plan(before) != Plan(after));
    CHECK(Replaced(Plan(before, "--format json"), before, after) != Plan(after, "--format json"));
  }
}

TEST_CASE("the JSON plan keeps its fields and adds env, retry and param sources", "[cli][plan]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "p.yaml", kRunbook);
  auto plan = ParseJson(Plan(file, "--format json --set target=prod"));
  REQUIRE(plan.ok());
  const Value& p = plan.value();
  for (const char* key : {"runbook", "kind", "path", "objectives", "params", "waves"})
    CHECK(p.Find(key) != nullptr);
  CHECK(p.Find("params")->Find("target")->ToText() == "prod");
  CHECK(p.Find("param_sources")->Find("target")->ToText() == "command line");
  CHECK(p.Find("param_sources")->Find("count")->ToText() == "default");
  CHECK(p.Find("env")->Find("REGION")->ToText() == "eu-prod");
  CHECK(p.Find("secrets")->Find("db")->ToText() == "env PLAN_DB_PASSWORD");
  const Value& a = p.Find("waves")->as_list()[0].as_list()[0];
  for (const char* key : {"id", "name", "uses", "needs", "finally", "timeout", "max_attempts",
                          "side_effects", "params", "actions"})
    CHECK(a.Find(key) != nullptr);
  CHECK(a.Find("env")->Find("TARGET")->ToText() == "prod");
  CHECK(a.Find("retry")->Find("delay")->ToText() == "2s");
  CHECK(a.Find("retry")->Find("backoff")->ToText() == "exponential");
  const Value& gate = p.Find("waves")->as_list()[1].as_list()[0];
  CHECK(gate.Find("waits_for_people")->as_bool());
  CHECK(gate.Find("if")->ToText() == "${{ params.count > 1 }}");
  CHECK(gate.Find("continue_on_error")->ToText() == "warn");
}

TEST_CASE("plan shows no secret value, masked as a dry run masks", "[cli][plan][secrets]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "p.yaml", kRunbook);
  // The declared secret is set but never read; a credential-named variable of the caller
  // is masked where its value shows (here through --set).
  std::string env = "PLAN_DB_PASSWORD=hunter2hunter2 PLAN_API_TOKEN=tok-9f8e7d6c5b4a ";
  for (const char* format : {"text", "json"}) {
    Command c = Shell(env + Binary() + " plan --format " + format +
                      " --set target=tok-9f8e7d6c5b4a " + file);
    REQUIRE(c.exit_code == 0);
    CHECK(c.out.find("hunter2hunter2") == std::string::npos);
    CHECK(c.out.find("tok-9f8e7d6c5b4a") == std::string::npos);
    CHECK(c.out.find("${{ secrets.db }}") != std::string::npos);
    CHECK(c.out.find("eu-***") != std::string::npos);
  }
}

TEST_CASE("the text plan shows a script as a block and no terminal escape", "[cli][plan]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "s.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - id: a\n    uses: exec\n    env: {MARK: \"x\\e[2Jy\"}\n"
                               "    with:\n      shell: true\n      run: |\n"
                               "        echo one\n        echo two\n");
  std::string plan = Plan(file);
  CHECK(plan.find('\x1b') == std::string::npos);
  CHECK(plan.find("        MARK = \"x\\u001b[2Jy\"\n") != std::string::npos);
  CHECK(plan.find("        run = |\n"
                  "            echo one\n"
                  "            echo two\n"
                  "        shell = true\n") != std::string::npos);
}

TEST_CASE("plan holds a bounded amount of resolved values (breakJ J14)", "[cli][plan][bounds]") {
  std::string dir = TempDir();
  // 100 steps of 9 MB of resolved arguments each: 900 MB if the plan held them all.
  std::string text =
      "version: 1\nname: pb\nparams:\n  big: {type: string, default: " + std::string(1000000, 'B') +
      "}\nsteps:\n";
  for (int i = 0; i < 100; ++i) {
    text += "  - {id: s" + std::to_string(i) + ", uses: exec, with: {run: [echo";
    for (int k = 0; k < 3; ++k) text += ", \"${{ format('{0}{0}{0}', params.big) }}\"";
    text += "]}}\n";
  }
  WriteFile(dir, "pb.yaml", text);
  for (const char* format : {"text", "json"}) {
    CAPTURE(format);
    Command c = Shell(
        "cd " + dir + " && " +
        Limited(1500000, Binary() + " plan pb.yaml --format " + format + " > out 2> err; echo $?"));
    // 900 MB of values is past the run's work total as well: plan fails where the run does
    // (break25a #4: it stopped resolving at its display budget and exited 0).
    CHECK(c.out == "2\n");
    std::string err = ReadFile(dir + "/err");
    CHECK_THAT(err, !Catch::Contains("bad_alloc"));
    CHECK_THAT(err, Catch::Contains("the run's expressions take too much work in all"));
    std::string out = ReadFile(dir + "/out");
    CHECK(out.find("this plan already shows 64 MiB of resolved values (its budget)") !=
          std::string::npos);
    CHECK(out.find("s99") != std::string::npos);  // every step is still in the plan
  }
}

TEST_CASE("plan and a dry run mask a declared secret's text given through --set (breakL L28)",
          "[cli][plan][secrets]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "p.yaml", kRunbook);
  WriteFile(dir, "pw", "from-a-file-8d7c6b\n");
  // A declared secret (not a credential-named variable) that can be read now masks the plan,
  // while its value stays the placeholder; a file secret masks as well as an env one.
  std::string env = "PLAN_DB_PASSWORD=hunter2hunter2 ";
  for (const char* format : {"text", "json"}) {
    Command c = Shell(env + Binary() + " plan --format " + format +
                      " --set 'target=x:hunter2hunter2@h' " + file);
    REQUIRE(c.exit_code == 0);
    CHECK(c.out.find("hunter2hunter2") == std::string::npos);
    CHECK(c.out.find("x:***@h") != std::string::npos);
    CHECK(c.out.find("${{ secrets.db }}") != std::string::npos);
  }
  std::string with_file = std::string(kRunbook);
  size_t at = with_file.find("secrets:");
  REQUIRE(at != std::string::npos);
  with_file.insert(at + 9, "  pwf: {file: " + dir + "/pw}\n");
  std::string file2 = WriteFile(dir, "f.yaml", with_file);
  Command dry = Shell(env + Binary() + " run --dry-run --set 'target=from-a-file-8d7c6b' " + file2);
  INFO(dry.out << dry.err);
  CHECK((dry.out + dry.err).find("from-a-file-8d7c6b") == std::string::npos);
}

// breakM M14: whether a resume asks before running a step again is part of what decides what
// runs, and the shipped runbooks mark their read-only checks.
TEST_CASE("plan shows whether each step is idempotent, the shipped runbooks' checks are",
          "[cli][plan][rerun]") {
  auto idempotent = [](const std::string& runbook) {
    auto plan =
        ParseJson(Plan(std::string(RUNBOOK_SOURCE_DIR) + "/runbooks/" + runbook, "--format json"));
    REQUIRE(plan.ok());
    std::map<std::string, bool> by_id;
    for (const Value& wave : plan.value().Find("waves")->as_list())
      for (const Value& step : wave.as_list())
        by_id[step.Find("id")->ToText()] = step.Find("idempotent")->as_bool();
    return by_id;
  };
  auto restore = idempotent("restore.yaml");
  for (const char* check : {"dump.newest", "test-ci", "restore"}) CHECK(restore.at(check));
  // They place orders in the restored production database (breakN N30).
  CHECK_FALSE(restore.at("test-contract"));
  CHECK_FALSE(restore.at("synthetic"));
  CHECK_FALSE(restore.at("switch-hook"));  // it switched traffic once already, maybe
  CHECK_FALSE(restore.at("seed"));         // seed --force on the live copy
  auto drill = idempotent("drill.yaml");
  CHECK(drill.at("test-ci"));
  CHECK_FALSE(drill.at("provision"));  // the team's own IaC command
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "p.yaml", kRunbook);
  CHECK_THAT(Plan(file),
             Catch::Contains("      not idempotent: stopped mid-way, it runs again only when "
                             "confirmed\n"));
}

// breakN N17: backup.yaml and restore.yaml took different locks, so a backup read the
// database while a restore replaced it. They share one lock name per database file.
TEST_CASE("the shipped backup and restore take the same lock for one database",
          "[cli][plan][lock]") {
  auto lock = [](const std::string& runbook) {
    auto plan = ParseJson(Plan(std::string(RUNBOOK_SOURCE_DIR) + "/runbooks/" + runbook,
                               "--format json --set database=x.sqlite"));
    REQUIRE(plan.ok());
    return plan.value().Find("lock")->ToText();
  };
  CHECK(lock("backup.yaml") == "database-${{ realpath(params.database) }}");
  CHECK(lock("restore.yaml") == lock("backup.yaml"));
}

// breakFF N13: authoring.md's CI recipe runs `plan` on every runbook; one with a required param
// stopped it (exit 2, no plan), though the doc promises such a param shows as "unset". A run
// still refuses it.
TEST_CASE("plan shows a required param not given as unset, a run refuses it", "[cli][plan]") {
  std::string dir = TempDir();
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nparams:\n  db: {type: string, required: true}\nsteps:\n"
            "  - {id: a, uses: log, with: {message: \"db ${{ params.db }}\"}}\n");
  Command text = Shell("cd " + dir + " && " + Binary() + " plan p.yaml");
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("db = \"${{ params.db }}\" (unset)"));
  Command json = Shell("cd " + dir + " && " + Binary() + " plan p.yaml --format json");
  CHECK(json.exit_code == 0);
  CHECK_THAT(json.out, Catch::Contains("\"db\": \"unset\""));
  Command set = Shell("cd " + dir + " && " + Binary() + " plan p.yaml --set db=orders");
  CHECK_THAT(set.out, Catch::Contains("db = \"orders\" (command line)") &&
                          Catch::Contains("message = \"db orders\""));
  Command run = Shell("cd " + dir + " && " + Binary() + " run p.yaml --audit-db a.db");
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("param 'db' is required; set it with --set db=VALUE"));
}

// breakFF N5: `plan --set 'dbs=["orders"]'` printed "error: index 1 is out of range" for a step
// and exited 0; a CI gate passed a runbook that could not run with those params.
TEST_CASE("plan is exit 2 when a step cannot be resolved with the params given", "[cli][plan]") {
  std::string dir = TempDir();
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\nparams:\n  dbs: {type: list, default: [a, b]}\n"
            "  need: {type: list, required: true}\nsteps:\n"
            "  - {id: d0, uses: log, with: {message: \"${{ params.dbs[0] }}\"}}\n"
            "  - {id: d1, uses: log, with: {message: \"${{ params.dbs[1] }}\"}}\n"
            "  - {id: n1, uses: log, with: {message: \"${{ params.need[1] }}\"}}\n");
  Command fine = Shell("cd " + dir + " && " + Binary() + " plan m.yaml");
  INFO(fine.err);
  CHECK(fine.exit_code == 0);  // an unset required param is not known: no error
  Command one = Shell("cd " + dir + " && " + Binary() + " plan m.yaml --set 'dbs=[\"x\"]'");
  CHECK(one.exit_code == 2);
  CHECK_THAT(one.out, Catch::Contains("d1 (log)"));  // the plan is still printed
  CHECK_THAT(one.err, Catch::Contains("step 'd1': index 1 is out of range") &&
                          Catch::Contains("(a run with these params fails there)"));
  CHECK_THAT(one.err, !Catch::Contains("step 'd0'"));
  Command json =
      Shell("cd " + dir + " && " + Binary() + " plan m.yaml --format json --set 'need=[\"y\"]'");
  CHECK(json.exit_code == 2);
  CHECK_THAT(json.out, Catch::Contains("\"fails_run\": true"));
}

TEST_CASE("plan past its display budget still fails where the run fails (break25a #4)",
          "[cli][plan][bounds]") {
  std::string dir = TempDir();
  // Ten steps of 9 MB of resolved arguments: past the 64 MiB the plan shows. The step after
  // them cannot be resolved: the plan resolves it, shows none of its values, and says so.
  std::string text =
      "version: 1\nname: pb\nparams:\n  big: {type: string, default: " + std::string(1000000, 'B') +
      "}\n  dbs: {type: list, default: [a]}\nsteps:\n";
  for (int i = 0; i < 10; ++i) {
    text += "  - {id: s" + std::to_string(i) + ", uses: exec, with: {run: [echo";
    for (int k = 0; k < 3; ++k) text += ", \"${{ format('{0}{0}{0}', params.big) }}\"";
    text += "]}}\n";
  }
  text +=
      "  - {id: late, uses: log, with: {message: \"${{ params.dbs[1] }}\"}}\n"
      "  - {id: fine, uses: log, with: {message: \"${{ params.dbs[0] }}\"}}\n";
  WriteFile(dir, "pb.yaml", text);
  Command c = Shell("cd " + dir + " && " + Binary() + " plan pb.yaml > out 2> err; echo $?");
  CHECK(c.out == "2\n");  // was 0: past the budget nothing was resolved
  std::string err = ReadFile(dir + "/err");
  CHECK_THAT(err, Catch::Contains("step 'late': index 1 is out of range") &&
                      Catch::Contains("(a run with these params fails there)"));
  CHECK_THAT(err, !Catch::Contains("step 'fine'"));
  std::string out = ReadFile(dir + "/out");
  // Found, not matched by CHECK_THAT: a failure would print all 64 MiB.
  size_t dropped = out.find(
      "values not shown: this plan already shows 64 MiB of resolved "
      "values (its budget): this step's are resolved, not shown");
  REQUIRE(dropped != std::string::npos);
  CHECK(out.find("BBBBBBBB", dropped) == std::string::npos);  // none of them after it
}

// break23a A6: plan masked params, env and `with`, but showed the runbook name and a step's
// display name holding a secret's text whole (the run's console masks both).
TEST_CASE("plan masks a secret's text in the runbook name and a step's display name",
          "[cli][plan][secrets]") {
  std::string file = WriteFile(TempDir(), "n.yaml",
                               "version: 1\nname: qzhunterxyz7-backup\nsecrets:\n"
                               "  tok: {env: PLAN_NAME_TOK}\nsteps:\n"
                               "  - id: a\n    name: \"step qzhunterxyz7 display\"\n"
                               "    uses: log\n    with: {message: hi}\n");
  for (const char* format : {"", "--format json"}) {
    CAPTURE(format);
    Command c = Shell("PLAN_NAME_TOK=qzhunterxyz7 " + Binary() + " plan " + format + " " + file);
    CHECK(c.exit_code == 0);
    CHECK(c.out.find("qzhunterxyz7") == std::string::npos);
    CHECK_THAT(c.out, Catch::Contains("***-backup") && Catch::Contains("step *** display"));
  }
}

TEST_CASE("plan and graph mask a secret's text in step ids and loop names, as the run does",
          "[cli][plan][secrets]") {
  // break24a S3: `hunter2secret[0]`, "of": "hunter2secret" and `digraph "hunter2secret-x"`.
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "s.yaml",
                "version: 1\nname: qzhunter2secret-deploy\nsecrets:\n  pw: {env: RB_S3_PW}\n"
                "steps:\n  - {id: qzhunter2secret, uses: log, for_each: [a, b], with: {message: "
                "hi}}\n  - {id: after, uses: log, needs: [qzhunter2secret], with: {message: x}}\n");
  for (const char* command :
       {"plan ", "plan --format json ", "graph ", "graph --format mermaid "}) {
    CAPTURE(command);
    Command c = Shell("RB_S3_PW=qzhunter2secret " + Binary() + " " + command + file);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.out, Catch::Contains("***"));
    CHECK_THAT(c.out + c.err, !Catch::Contains("qzhunter2secret"));
  }
}

TEST_CASE("the mistakes of a runbook are shown with its secrets masked, loaded or not",
          "[cli][plan][secrets]") {
  // break24a S3 (rest): the source line under a mistake was printed whole by plan, run and
  // validate, a secret's text written in it included. The declared secrets of a runbook
  // that failed to load still mask what is said about it.
  std::string dir = TempDir();
  std::string bad = WriteFile(dir, "bad.yaml",
                              "version: 1\nname: b\nsecrets:\n  pw: {env: RB_S3_PW}\nsteps:\n"
                              "  - {id: qzhunter2secret, uses: log, with: {message: x}}\n"
                              "  - {id: qzhunter2secret, uses: log, with: {message: x}}\n");
  // A credential-named variable of the environment is masked too, when nothing loaded.
  std::string broken = WriteFile(dir, "broken.yaml", "version: 1\nname: qzhunter2secret: x\n");
  for (const char* command : {"validate ", "validate --format json ", "validate --format github ",
                              "plan ", "run ", "graph ", "test "}) {
    for (const std::string& file : {bad, broken}) {
      CAPTURE(command, file);
      // bad.yaml's own secret masks it; broken.yaml's (nothing read) the environment's.
      Command c = Shell(std::string(file == bad ? "RB_S3_PW" : "MY_API_TOKEN") +
                        "=qzhunter2secret " + Binary() + " " + command + file);
      CHECK(c.exit_code == 2);
      CHECK_THAT(c.out + c.err, !Catch::Contains("qzhunter2secret"));
      // Where the same command unmasked shows the text, the masked one shows *** there (JSON
      // and GitHub annotations give no source line: a YAML error's message does not hold it).
      Command plain = Shell(Binary() + " " + command + file);
      bool shows_line = std::string(command).find("--format") == std::string::npos;
      bool shown = (plain.out + plain.err).find("qzhunter2secret") != std::string::npos;
      CHECK(shown == (shows_line || file == bad));
      if (shown) CHECK_THAT(c.out + c.err, Catch::Contains("***"));
    }
  }
}

TEST_CASE("the excerpt under a mistake is cut from the line masked whole", "[cli][plan][secrets]") {
  // break25a #1: the 120-byte excerpt was cut first and masked after: the secret's piece at
  // its edge (28 of 38 characters) was no secret the redactor knew, and was shown.
  const std::string secret = "Zq7xW2pL9mK4vB8nR3tY6uI1oP5aS0dF2gH4jK";
  std::string dir = TempDir();
  for (int pad : {0, 30, 60, 90, 120}) {
    CAPTURE(pad);
    std::string file = WriteFile(dir, "x.yaml",
                                 "version: 1\nname: x\nsecrets:\n  pw: {env: RB_CUT_PW}\nsteps:\n"
                                 "  - {id: a, uses: exec, with: {run: [echo, \"" +
                                     std::string(pad, 'p') + secret +
                                     "\"]}, timeout: " + std::string(pad, 'q') + "x}\n");
    for (const char* command : {"validate ", "plan ", "run "}) {
      Command c = Shell("RB_CUT_PW=" + secret + " " + Binary() + " " + command + file);
      CHECK(c.exit_code == 2);
      CHECK_THAT(c.err, Catch::Contains("timeout"));
      for (size_t at = 0; at + 8 <= secret.size(); ++at) {
        CAPTURE(command, at);
        CHECK_THAT(c.out + c.err, !Catch::Contains(secret.substr(at, 8)));
      }
    }
  }
}
