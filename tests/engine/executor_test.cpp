// The executor with real processes: parallelism, retries and backoff, timeouts that kill
// whole groups, outputs between steps, dry runs, big outputs.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>

#include "engine/retry.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;
using Clock_ = std::chrono::steady_clock;

namespace {
std::string Head(const std::string& extra = "") {
  return "version: 1\nname: t\n" + extra + "steps:\n";
}
double Seconds(Clock_::time_point since) {
  return std::chrono::duration<double>(Clock_::now() - since).count();
}
}  // namespace

TEST_CASE("independent steps run in parallel, max_parallel 1 serialises them", "[executor]") {
  std::string steps =
      "  - {id: a, uses: exec, with: {run: [sleep, '1']}}\n"
      "  - {id: b, uses: exec, with: {run: [sleep, '1']}}\n";
  std::unique_ptr<Runbook> rb;
  auto start = Clock_::now();
  Ran ran = RunText(Head("max_parallel: 4\n") + steps, rb);
  CHECK(Seconds(start) < 1.8);
  CHECK(ran.result.status == "success");
  start = Clock_::now();
  ran = RunText(Head("max_parallel: 1\n") + steps, rb);
  CHECK(Seconds(start) >= 2.0);
}

TEST_CASE("retries: fails twice then succeeds within max_attempts", "[executor][retry]") {
  std::string dir = TempDir();
  // Counts its runs in a file; exits 1 on the first two.
  std::string flaky = "n=$(cat " + dir + "/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + dir +
                      "/n; [ $n -ge 3 ]";
  auto text = [&](int attempts) {
    return Head() + "  - id: flaky\n    uses: exec\n    with: {shell: true, run: '" + flaky +
           "'}\n    retry: {max_attempts: " + std::to_string(attempts) + ", delay: 200ms}\n";
  };
  std::unique_ptr<Runbook> rb;
  auto start = Clock_::now();
  Ran ok = RunText(text(3), rb);
  CHECK(ok.result.status == "success");
  CHECK(ok.Step(*rb, "flaky").attempts.size() == 3);
  CHECK(Seconds(start) >= 0.4);  // two delays of 200ms honoured
  std::filesystem::remove(dir + "/n");
  Ran bad = RunText(text(2), rb);
  CHECK(bad.result.status == "failure");
  CHECK(bad.Step(*rb, "flaky").attempts.size() == 2);
  CHECK(bad.recorded.events == std::vector<std::string>{"start flaky 1", "retry flaky 2",
                                                        "start flaky 2", "finish flaky failure"});
}

TEST_CASE(
    "StepFailing names a step that failed for good, main or finally: not a retried attempt, a "
    "tolerated step or a success",
    "[executor][retry]") {
  // breakTT TT2: told before the journal records the attempt, so a run that cannot record
  // it (a locked store) and is then killed has still said a main step failed first.
  std::string dir = TempDir();
  std::string flaky = "n=$(cat " + dir + "/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + dir +
                      "/n; [ $n -ge 3 ]";
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(Head() +
                        "  - {id: ok, uses: exec, with: {run: ['true']}}\n"
                        "  - {id: tolerated, uses: exec, continue_on_error: true, with: {run: "
                        "['false']}}\n"
                        "  - {id: warned, uses: exec, continue_on_error: warn, with: {run: "
                        "['false']}}\n"
                        "  - id: flaky\n    uses: exec\n    with: {shell: true, run: '" +
                        flaky +
                        "'}\n    retry: {max_attempts: 2, delay: 10ms}\n"
                        "finally:\n  - {id: cleanup, uses: exec, with: {run: ['false']}}\n",
                    rb);
  CHECK(ran.result.status == "failure");
  CHECK(ran.Step(*rb, "flaky").attempts.size() == 2);
  // Once each, flaky after its attempt 2; a failed cleanup too (breakUU UU7, breakVV VV3).
  CHECK(ran.recorded.failing == std::vector<std::string>{"flaky", "cleanup"});
  std::filesystem::remove(dir + "/n");
  Ran recovered = RunText(Head() + "  - id: flaky\n    uses: exec\n    with: {shell: true, run: '" +
                              flaky + "'}\n    retry: {max_attempts: 3, delay: 10ms}\n",
                          rb);
  CHECK(recovered.result.status == "success");
  CHECK(recovered.recorded.failing.empty());
}

TEST_CASE("retries: an exit_codes filter retries only those codes", "[executor][retry]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(Head() +
                        "  - id: a\n    uses: exec\n    with: {run: [sh, -c, 'exit 3']}\n"
                        "    retry: {max_attempts: 3, delay: 10ms, exit_codes: [75]}\n",
                    rb);
  CHECK(ran.Step(*rb, "a").attempts.size() == 1);
  ran = RunText(Head() +
                    "  - id: a\n    uses: exec\n    with: {run: [sh, -c, 'exit 75']}\n"
                    "    retry: {max_attempts: 3, delay: 10ms, exit_codes: [75]}\n",
                rb);
  CHECK(ran.Step(*rb, "a").attempts.size() == 3);
  CHECK(*ran.Step(*rb, "a").attempts.back().exit_code == 75);
}

TEST_CASE("backoff is a pure function of policy and attempt", "[retry]") {
  RetryPolicy p;
  p.delay = Millis(100);
  p.max_delay = Millis(350);
  p.backoff = Backoff::kExponential;
  CHECK(BackoffDelay(p, 1, 0) == Millis(100));
  CHECK(BackoffDelay(p, 2, 0) == Millis(200));
  CHECK(BackoffDelay(p, 3, 0) == Millis(350));
  p.jitter = true;
  CHECK(BackoffDelay(p, 2, 0.0) == Millis(100));
  CHECK(BackoffDelay(p, 2, 0.5) == Millis(150));
  p.backoff = Backoff::kConstant;
  p.jitter = false;
  CHECK(BackoffDelay(p, 5, 0) == Millis(100));
}

TEST_CASE("a timeout kills the whole group, grandchildren too", "[executor][process]") {
  std::string marker = "sleep 62." + std::to_string(getpid() % 1000);
  std::unique_ptr<Runbook> rb;
  auto start = Clock_::now();
  Ran ran = RunText(Head() +
                        "  - id: a\n    uses: exec\n    timeout: 500ms\n"
                        "    with: {shell: true, run: 'sh -c \"" +
                        marker + "\" & sleep 30'}\n",
                    rb);
  CHECK(Seconds(start) < 5);
  CHECK(ran.Step(*rb, "a").outcome == Outcome::kFailure);
  CHECK(ran.Step(*rb, "a").attempts[0].status == AttemptStatus::kTimeout);
  CHECK(ran.Step(*rb, "a").reason == "timed out after 500ms");
  CHECK_FALSE(ProcessAlive(marker));
}

TEST_CASE("a child that ignores SIGTERM is killed after the grace", "[executor][process]") {
  std::unique_ptr<Runbook> rb;
  auto start = Clock_::now();
  Ran ran =
      RunText(Head() +
                  "  - id: a\n    uses: exec\n    timeout: 300ms\n"
                  "    with: {shell: true, run: 'trap \"\" TERM; while :; do sleep 0.05; done'}\n",
              rb);
  double took = Seconds(start);
  CHECK(took >= 0.75);  // 300ms timeout + 500ms grace (the test's kill_grace)
  CHECK(took < 5);
  CHECK(ran.Step(*rb, "a").attempts[0].status == AttemptStatus::kTimeout);
}

TEST_CASE("outputs flow into a later step's with and if", "[executor]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      Head() +
          "  - id: a\n    uses: exec\n    with: {shell: true, run: 'echo x=42 >> "
          "$RUNBOOK_OUTPUT'}\n"
          "  - id: b\n    uses: exec\n    needs: [a]\n    if: ${{ steps.a.outputs.x == '42' }}\n"
          "    with: {run: [sh, -c, 'echo got=$0 >> $RUNBOOK_OUTPUT', '${{ steps.a.outputs.x "
          "}}']}\n"
          "  - id: c\n    uses: exec\n    needs: [a]\n    if: steps.a.outputs.x == '41'\n"
          "    with: {run: ['true']}\n",
      rb);
  CHECK(ran.result.status == "success");
  CHECK(ran.Step(*rb, "b").outputs.at("got") == Value("42"));
  CHECK(ran.Step(*rb, "c").outcome == Outcome::kSkipped);
  CHECK(ran.Step(*rb, "c").reason == "condition is false: steps.a.outputs.x == '41'");
}

TEST_CASE("dependents of a failure are skipped, finally runs, continue_on_error", "[executor]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      Head() +
          "  - {id: bad, uses: exec, with: {run: ['false']}}\n"
          "  - {id: after, uses: exec, needs: [bad], with: {run: ['true']}}\n"
          "  - {id: warned, uses: exec, continue_on_error: warn, with: {run: ['false']}}\n"
          "  - {id: next, uses: exec, needs: [warned], with: {run: ['true']}}\n"
          "finally:\n  - {id: cleanup, uses: exec, with: {run: [echo, '${{ run.status }}']}}\n",
      rb);
  CHECK(ran.result.status == "failure");
  CHECK(ran.Step(*rb, "after").outcome == Outcome::kSkipped);
  CHECK(ran.Step(*rb, "after").reason == "needs 'bad', which failed");
  CHECK(ran.Step(*rb, "warned").outcome == Outcome::kWarning);
  CHECK(ran.Step(*rb, "next").outcome == Outcome::kSuccess);
  CHECK(ran.Step(*rb, "cleanup").outcome == Outcome::kSuccess);
  CHECK(ran.Step(*rb, "cleanup").stdout_text == "failure\n");
}

TEST_CASE("failure() sees any ancestor, a skipped optional step does not stop its dependents",
          "[executor]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      Head() +
          "  - {id: bad, uses: exec, with: {run: ['false']}}\n"
          "  - {id: skipped, uses: exec, needs: [bad], with: {run: ['true']}}\n"
          "  - {id: guarded, uses: exec, needs: [skipped], if: '${{ !failure() && !cancelled() }}',"
          " with: {run: ['true']}}\n"
          "  - {id: optional, uses: exec, if: '${{ false }}', with: {run: ['true']}}\n"
          "  - {id: after-optional, uses: exec, needs: [optional],"
          " if: '${{ !failure() && !cancelled() }}', with: {run: ['true']}}\n"
          "  - {id: rescue, uses: exec, needs: [skipped], if: '${{ failure() }}',"
          " with: {run: ['true']}}\n",
      rb);
  CHECK(ran.Step(*rb, "skipped").outcome == Outcome::kSkipped);
  CHECK(ran.Step(*rb, "guarded").outcome == Outcome::kSkipped);
  CHECK(ran.Step(*rb, "optional").outcome == Outcome::kSkipped);
  CHECK(ran.Step(*rb, "after-optional").outcome == Outcome::kSuccess);
  CHECK(ran.Step(*rb, "rescue").outcome == Outcome::kSuccess);
}

TEST_CASE("dry run of steps that would create files creates none", "[executor]") {
  std::string dir = TempDir();
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(Head() + "  - {id: a, uses: exec, with: {run: [touch, '" + dir + "/made']}}\n",
                    rb, /*dry_run=*/true);
  CHECK(ran.result.status == "success");
  CHECK_FALSE(std::filesystem::exists(dir + "/made"));
}

TEST_CASE("a step printing megabytes neither blocks nor keeps it all", "[executor][process]") {
  std::unique_ptr<Runbook> rb;
  auto start = Clock_::now();
  Ran ran = RunText(Head() +
                        "  - {id: flood, uses: exec, with: {run: [sh, -c, 'head -c 50000000 "
                        "/dev/zero | tr \"\\\\0\" x; echo; echo end >&2']}}\n",
                    rb);
  CHECK(Seconds(start) < 20);
  const StepRun& s = ran.Step(*rb, "flood");
  CHECK(s.outcome == Outcome::kSuccess);
  CHECK(s.stdout_text.size() < 200000);
  CHECK(s.stdout_text.find("bytes truncated") != std::string::npos);
  CHECK(s.stderr_text == "end\n");
}

TEST_CASE("a missing executable is a failed attempt with a clear message", "[executor][process]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(Head() + "  - {id: a, uses: exec, with: {run: [no-such-binary-xyz]}}\n", rb);
  CHECK(ran.Step(*rb, "a").outcome == Outcome::kFailure);
  CHECK(ran.Step(*rb, "a").reason == "command not found: 'no-such-binary-xyz' (not in PATH)");
}

TEST_CASE("every built-in step type is registered", "[registry]") {
  CHECK(Builtins().Names() == std::vector<std::string>{"approval", "archive", "backup",
                                                       "canary-compare", "exec", "flag-update",
                                                       "hash", "integrity-check", "log", "npm-run",
                                                       "probe", "restore", "s3-sync", "service"});
}

TEST_CASE("a step made ready during the first pass is queued once", "[executor]") {
  // a is skipped before the loop reaches b; b (always()) must run exactly one attempt.
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(Head() +
                        "  - {id: a, uses: exec, if: 'false', with: {run: ['true']}}\n"
                        "  - {id: b, uses: exec, needs: [a], if: '${{ always() }}', "
                        "with: {run: ['true']}}\n",
                    rb);
  CHECK(ran.result.status == "success");
  CHECK(ran.Step(*rb, "b").attempts.size() == 1);
}

TEST_CASE("a dry run accepts list items known only at run time", "[executor]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(Head() +
                        "  - {id: a, uses: log, with: {outputs: {file: x}}}\n"
                        "  - {id: b, uses: hash, needs: [a], with: {files: "
                        "['${{ steps.a.outputs.file }}']}}\n",
                    rb, /*dry_run=*/true);
  CHECK(ran.result.status == "success");
  CHECK(ran.Step(*rb, "b").outcome == Outcome::kSuccess);
}

TEST_CASE("the loop reaps adopted zombies while no exec step runs", "[executor][process]") {
  // breakE 14: only an exec step's loop reaped them; a service's exited escapees piled up.
  pid_t child = fork();
  if (child == 0) _exit(0);
  usleep(100 * 1000);  // a zombie now: this process's child that no spawner waits for
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(Head() + "  - {id: a, uses: log, with: {message: hi}}\n", rb);
  CHECK(ran.result.status == "success");
  errno = 0;
  CHECK(waitpid(child, nullptr, WNOHANG) == -1);  // already reaped by the run
  CHECK(errno == ECHILD);
}

TEST_CASE(
    "a cancel that comes after the last step ended leaves the run a success, one that comes "
    "before a step is left cancels it",
    "[executor][cancel]") {
  // Issue 13 X1: the run's status counted the cancel token itself, so a Ctrl-C between the
  // last step's end and the run's end recorded a run that did all its work as cancelled (exit
  // 130). The observer is told of a step's end on the executor's turn, before the turn looks
  // at the token: the seam of that race.
  std::unique_ptr<Runbook> rb;
  SECTION("after the only step") {
    CancelToken cancel;
    Ran ran = RunTextCancelledAfter(Head() + "  - {id: last, uses: exec, with: {run: ['true']}}\n",
                                    rb, "last", cancel);
    CHECK(cancel.cancelled());
    CHECK(ran.result.status == "success");
    CHECK(ran.result.signal == 0);
    CHECK(ran.Step(*rb, "last").outcome == Outcome::kSuccess);
  }
  SECTION("after the last of a chain and its finally step") {
    CancelToken cancel;
    Ran ran =
        RunTextCancelledAfter(Head() +
                                  "  - {id: a, uses: exec, with: {run: ['true']}}\n"
                                  "  - {id: b, uses: exec, needs: [a], with: {run: ['true']}}\n"
                                  "finally:\n"
                                  "  - {id: tidy, uses: exec, with: {run: ['true']}}\n",
                              rb, "tidy", cancel);
    CHECK(ran.result.status == "success");
    CHECK(ran.recorded.events.back() == "finish tidy success");
  }
  SECTION("after a step with another left: the rest is cancelled, and so is the run") {
    CancelToken cancel;
    Ran ran =
        RunTextCancelledAfter(Head() +
                                  "  - {id: a, uses: exec, with: {run: ['true']}}\n"
                                  "  - {id: b, uses: exec, needs: [a], with: {run: ['true']}}\n",
                              rb, "a", cancel);
    CHECK(ran.result.status == "cancelled");
    CHECK(ran.result.signal == SIGINT);
    CHECK(ran.Step(*rb, "b").outcome == Outcome::kCancelled);
  }
  SECTION("after the main steps with a finally step left: that one runs, nothing is cancelled") {
    // break27a #4: a first Ctrl-C does not stop finally steps; with all of them passed the run
    // did its work (it was recorded cancelled, exit 130, and a resume then "succeeded").
    CancelToken cancel;
    Ran ran = RunTextCancelledAfter(Head() +
                                        "  - {id: a, uses: exec, with: {run: ['true']}}\n"
                                        "finally:\n"
                                        "  - {id: tidy, uses: exec, with: {run: ['true']}}\n",
                                    rb, "a", cancel);
    CHECK(ran.result.status == "success");
    CHECK(ran.Step(*rb, "tidy").outcome == Outcome::kSuccess);
  }
  SECTION("after a step with a finally step left that fails: the run failed") {
    CancelToken cancel;
    Ran ran = RunTextCancelledAfter(Head() +
                                        "  - {id: a, uses: exec, with: {run: ['true']}}\n"
                                        "finally:\n"
                                        "  - {id: tidy, uses: exec, with: {run: ['false']}}\n",
                                    rb, "a", cancel);
    CHECK(ran.result.status == "failure");
  }
}
