// `run --dry-run`: a step that looks and finds it would fail fails the dry run (breakO O14:
// the shipped restore said "would fail" at fetch, then "ok", 13 more steps "ok", "success",
// "RTO 4ms - met" and exit 0). Nothing is run, recorded or retried; no RTO is claimed.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("a dry run of the shipped restore with no off-site copy fails at fetch",
          "[cli][dryrun]") {
  std::string dir = TempDir();
  std::string restore = std::string(RUNBOOK_SOURCE_DIR) + "/runbooks/restore.yaml";
  // fetch has `retry: {max_attempts: 3, delay: 5s}`: a prediction is not tried again.
  Command dry =
      Shell("cd " + dir + " && " + Binary() + " run " + restore +
            " --dry-run --approve declare --approve switch --set remote=" + dir + "/no-such-copy");
  INFO(dry.err);
  CHECK(dry.exit_code == 1);
  CHECK_THAT(dry.err, Catch::Contains("would fail: ") && Catch::Contains(dir + "/no-such-copy") &&
                          Catch::Contains("would fail: no folder"));
  CHECK_THAT(dry.err, Catch::Matches("[\\s\\S]*\\ndump.fetch +failure +1 [\\s\\S]*"));
  CHECK_THAT(dry.err, Catch::Matches("[\\s\\S]*\\nrestore +skipped +0 [\\s\\S]*"));
  CHECK_THAT(dry.err, Catch::Contains(": failure in ") &&
                          Catch::Contains("(nothing was run; a step would fail, above)"));
  CHECK_THAT(dry.err, Catch::Contains("RTO not measured: a dry run restores nothing") &&
                          !Catch::Contains(" - met"));
  CHECK(!std::filesystem::exists(dir + "/.runbook"));  // nothing recorded
}

TEST_CASE("a dry run whose steps would all run says so (exit 0), a refusing guard is exit 1",
          "[cli][dryrun]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/src " + dir + "/dst && echo x > " + dir + "/src/f");
  auto sync = [&](const std::string& extra) {
    WriteFile(dir, "s.yaml",
              "version: 1\nname: s\nobjectives: {rto: 1h}\nsteps:\n"
              "  - {id: s, uses: s3-sync, retry: {max_attempts: 4, delay: 30s}, with: {source: " +
                  dir + "/src, dest: " + dir + "/dst" + extra + "}}\n");
    return Shell("cd " + dir + " && " + Binary() + " run s.yaml --dry-run");
  };
  Command ok = sync("");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.err, Catch::Contains("would copy 1, skip 0, delete 0") &&
                         Catch::Contains(": success in ") && Catch::Contains("(nothing was run)") &&
                         Catch::Contains("RTO not measured: a dry run restores nothing"));
  // Variant: the delete guard refuses (every object of the destination would go).
  Shell("rm " + dir + "/src/f && echo y > " + dir + "/dst/g && echo z > " + dir + "/dst/h");
  Command guarded = sync(", delete: true");
  INFO(guarded.err);
  CHECK(guarded.exit_code == 1);
  CHECK_THAT(guarded.err, Catch::Contains("would fail: "));
  CHECK_THAT(guarded.err, Catch::Matches("[\\s\\S]*\\ns +failure +1 [\\s\\S]*"));  // not retried
  CHECK(std::filesystem::exists(dir + "/dst/g"));
}

// breakS S4: the dry run cannot see what an earlier step, only described, would make: a
// flags file an exec step writes, the off-site folder a dump fills. A failure the look then
// predicts is said as things are now, not as the dry run's failure. An earlier step whose
// type changes nothing (approval, log) does not excuse it (the restore's fetch above).
TEST_CASE("a dry run does not fail a step on what an earlier step would make", "[cli][dryrun]") {
  std::string dir = TempDir();
  auto runbook = [&](const std::string& first) {
    WriteFile(dir, "f.yaml",
              "version: 1\nname: f\nsteps:\n  - " + first +
                  "\n  - {id: up, uses: flag-update, needs: [mk], with: {flag: x, rollout: 10}}\n");
    return Shell("cd " + dir + " && " + Binary() + " run f.yaml --dry-run");
  };
  Command made = runbook(
      "{id: mk, uses: exec, with: {run: [sh, -c, 'mkdir -p config && echo "
      "\"{\\\"flags\\\":{\\\"x\\\":{\\\"rollout\\\":0}}}\" > config/flags.json']}}");
  INFO(made.err);
  CHECK(made.exit_code == 0);
  CHECK_THAT(made.err, Catch::Contains("would fail as things are now: ") &&
                           Catch::Contains("step 'mk' before it, only described in this dry "
                                           "run, may change that"));
  CHECK_FALSE(std::filesystem::exists(dir + "/config"));
  Command logged = runbook("{id: mk, uses: log, with: {message: hello}}");
  INFO(logged.err);
  CHECK(logged.exit_code == 1);
  CHECK_THAT(logged.err, Catch::Contains("would fail: "));
}

// breakT T2: a step the dry run itself skipped (`if:` false, or its needs failed), a looking
// step that predicted its own failure, or one that only reads (probe) was named as the step
// that "may change that", hiding a real failure. T10, the other way: with max_parallel 1 a
// writer listed earlier runs first, yet was not counted. Each: the dry run's exit is the
// real run's.
TEST_CASE("only a step the dry run described as writing, and that runs before, excuses a look",
          "[cli][dryrun]") {
  std::string dir = TempDir();
  const std::string looker =
      "  - {id: s, uses: s3-sync, needs: [w], if: '${{ always() }}', with: {source: nowhere/x, "
      "dest: out1}}\n";
  struct Case {
    std::string what, steps;
    int exit;
  };
  const std::vector<Case> cases = {
      {"a writer skipped by if: false",
       "  - {id: w, uses: exec, if: '${{ false }}', with: {run: [mkdir, -p, nowhere/x]}}\n" +
           looker,
       1},
      {"a writer skipped because its need failed",
       "  - {id: f, uses: s3-sync, with: {source: gone/y, dest: elsewhere}}\n"
       "  - {id: w, uses: exec, needs: [f], with: {run: [mkdir, -p, nowhere/x]}}\n" +
           looker,
       1},
      {"a look that predicted its own failure",
       "  - {id: w, uses: s3-sync, continue_on_error: warn, with: {source: gone/y, dest: "
       "nowhere/x}}\n" +
           looker,
       1},
      {"a step that only reads (probe)",
       "  - {id: w, uses: probe, with: {kind: tcp, address: '127.0.0.1:1'}, continue_on_error: "
       "true}\n" +
           looker,
       1},
      {"a writer that runs before it",
       "  - {id: w, uses: exec, with: {run: [mkdir, -p, nowhere/x]}}\n" + looker, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Shell("rm -rf " + dir + "/nowhere " + dir + "/out1");
    WriteFile(dir, "d.yaml", "version: 1\nname: d\nsteps:\n" + c.steps);
    Command dry = Shell("cd " + dir + " && " + Binary() + " run d.yaml --dry-run 2>&1");
    INFO(dry.out);
    CHECK(dry.exit_code == c.exit);
    if (c.exit == 1) CHECK_THAT(dry.out, !Catch::Contains("may change that"));
    Command real = Shell("cd " + dir + " && " + Binary() + " run d.yaml 2>&1");
    INFO(real.out);
    CHECK(real.exit_code == c.exit);
  }
  // max_parallel 1: `w`, listed first and not a need of `s`, runs before it in the real run.
  Shell("rm -rf " + dir + "/nowhere " + dir + "/out1");
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nmax_parallel: 1\nsteps:\n"
            "  - {id: w, uses: exec, with: {run: [mkdir, -p, nowhere/x]}}\n"
            "  - {id: s, uses: s3-sync, with: {source: nowhere/x, dest: out1}}\n");
  Command serial = Shell("cd " + dir + " && " + Binary() + " run p.yaml --dry-run 2>&1");
  INFO(serial.out);
  CHECK(serial.exit_code == 0);
  CHECK_THAT(serial.out, Catch::Contains("step 'w' before it, only described in this dry run, "
                                         "may change that"));
  CHECK(Shell("cd " + dir + " && " + Binary() + " run p.yaml").exit_code == 0);  // as it said
  // In parallel `s` may look first: the prediction stands (exit 1), as for any sibling.
  Shell("rm -rf " + dir + "/nowhere " + dir + "/out1 && sed -i '/max_parallel/d' " + dir +
        "/p.yaml");
  CHECK(Shell("cd " + dir + " && " + Binary() + " run p.yaml --dry-run").exit_code == 1);
}

TEST_CASE("a dry run with no terminal says the run would be refused for a gate, and ends so",
          "[cli][dryrun][approval]") {
  // breakHH HH10: "would ask for approval", exit 0, where the run is refused (exit 2).
  std::string dir = TempDir();
  WriteFile(dir, "g.yaml",
            "version: 1\nname: g\nsteps:\n"
            "  - {id: work, uses: exec, with: {run: [true]}}\n"
            "  - {id: gate, uses: approval, needs: [work], with: {prompt: 'swap prod?'}}\n"
            "  - {id: maybe, uses: approval, if: \"${{ params.x == 'y' }}\", with: {prompt: p}}\n"
            "params:\n  x: {default: n}\n");
  Command dry = Shell("cd " + dir + " && " + Binary() + " run g.yaml --dry-run </dev/null");
  INFO(dry.err);
  CHECK(dry.exit_code == 2);
  CHECK_THAT(dry.err, Catch::StartsWith("runbook: dry run: the run would be refused before its "
                                        "first step: approval 'gate' needs a person") &&
                          Catch::Contains("would ask for approval: swap prod?") &&
                          Catch::Contains("runbook: dry run: the run would be refused (exit 2): "
                                          "pass --approve gate (or --yes)") &&
                          !Catch::Contains("approval 'maybe' needs"));
  Command real = Shell("cd " + dir + " && " + Binary() + " run g.yaml --audit-db a.db </dev/null");
  CHECK(real.exit_code == 2);  // what the dry run said
  Command approved =
      Shell("cd " + dir + " && " + Binary() + " run g.yaml --dry-run --approve gate </dev/null");
  INFO(approved.err);
  CHECK(approved.exit_code == 0);
  CHECK_THAT(approved.err, !Catch::Contains("would be refused"));
  CHECK(!std::filesystem::exists(dir + "/.runbook"));  // nothing recorded
}

TEST_CASE("a dry run fails as the run would on a secret it cannot read, exit 3",
          "[cli][dryrun][secrets]") {
  // breakII2 II2-6: the dry run used placeholders without reading: "success", exit 0, where
  // the run exits 3 before its first step. It reads them now; the values are never used.
  std::string dir = TempDir();
  REQUIRE(Shell("mkfifo " + dir + "/fifo").exit_code == 0);
  WriteFile(dir, "ok.txt", "a-long-enough-secret");
  const std::vector<std::pair<std::string, std::string>> unreadable = {
      {"{file: missing.txt}", "cannot read"},
      {"{file: fifo}", "is a FIFO, not a regular file"},
      {"{env: RB_DRY_NOT_SET}", "RB_DRY_NOT_SET"},
  };
  for (const auto& [source, says] : unreadable) {
    CAPTURE(source);
    WriteFile(dir, "t.yaml",
              "version: 1\nname: t\nsecrets:\n  tok: " + source +
                  "\nsteps:\n  - {id: a, uses: exec, with: {shell: true, run: 'echo ran > "
                  "ran.txt'}}\n");
    Command dry = Shell("cd " + dir + " && " + Binary() + " run t.yaml --dry-run </dev/null");
    Command run = Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db </dev/null");
    CHECK(dry.exit_code == 3);
    CHECK(run.exit_code == 3);
    CHECK_THAT(dry.err, Catch::Contains("secret 'tok'") && Catch::Contains(says));
    CHECK(!std::filesystem::exists(dir + "/ran.txt"));
  }
  // Readable: the dry run succeeds and prints no value.
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsecrets:\n  tok: {file: ok.txt}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [echo, '${{ secrets.tok }}']}}\n");
  Command dry = Shell("cd " + dir + " && " + Binary() + " run t.yaml --dry-run </dev/null");
  INFO(dry.err);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out + dry.err, !Catch::Contains("a-long-enough-secret"));
}

TEST_CASE("a dry run checks --sign-key and --metrics-file as the run does", "[cli][dryrun]") {
  // breakJJ JJ5: the dry run said success, exit 0, where the run was refused before its
  // first step for a missing metrics folder (3) or an unreadable signing key (2).
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n");
  for (const char* extra : {" --dry-run", " --audit-db a.db"}) {
    CAPTURE(extra);
    std::string run = "cd " + dir + " && " + Binary() + " run t.yaml" + extra;
    Command metrics = Shell(run + " --metrics-file " + dir + "/nope/m.prom");
    CHECK(metrics.exit_code == 3);
    CHECK_THAT(metrics.err,
               Catch::Contains("--metrics-file: folder") && Catch::Contains("nothing was run"));
    Command key = Shell(run + " --sign-key " + dir + "/nope.pem");
    CHECK(key.exit_code == 2);
    CHECK_THAT(key.err, Catch::Contains("--sign-key: the key file: cannot read"));
  }
  CHECK(Shell("cd " + dir + " && " + Binary() + " run t.yaml --dry-run").exit_code == 0);
}
