// probe kinds process and log, against real processes and files.
#include <catch2/catch.hpp>
#include <chrono>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

Command RunProbeSteps(const std::string& dir, const std::string& steps) {
  WriteFile(dir, "p.yaml", "version: 1\nname: p\nsteps:\n" + steps);
  return Shell("cd " + dir + " && " + Binary() + " run p.yaml --audit-db " + dir + "/a.db");
}

}  // namespace

TEST_CASE("probe process: a stuck job is seen, runbook's own command line is not",
          "[steps][probe]") {
  std::string dir = TempDir();
  const char* absent =
      "  - {id: p, uses: probe, with: {kind: process, pattern: 'backup-job-7731', expect: "
      "absent}}\n";
  CHECK(RunProbeSteps(dir, absent).exit_code == 0);
  // A process of its own session, so it outlives the shell that starts it.
  Shell("setsid bash -c 'exec -a backup-job-7731 sleep 30' > /dev/null 2>&1 & sleep 0.3");
  Command stuck = RunProbeSteps(dir, absent);
  CHECK(stuck.exit_code == 1);
  CHECK(stuck.err.find("1 process(es) match 'backup-job-7731', e.g. pid ") != std::string::npos);
  CHECK(RunProbeSteps(
            dir, "  - {id: p, uses: probe, with: {kind: process, pattern: 'backup-job-7731'}}\n")
            .exit_code == 0);
  // Gone before the next check (the pattern's [1] keeps this shell from matching itself).
  Shell(
      "pkill -f 'backup-job-773[1]'; for i in $(seq 50); do pgrep -f 'backup-job-773[1]' "
      "> /dev/null || break; sleep 0.1; done");
  // `runbook run backup-job-7731.yaml` itself would match; it does not count.
  WriteFile(dir, "backup-job-7731.yaml", std::string("version: 1\nname: p\nsteps:\n") + absent);
  CHECK(Shell("cd " + dir + " && " + Binary() + " run backup-job-7731.yaml --audit-db a.db")
            .exit_code == 0);
}

TEST_CASE("probe log: the newest log must say the job finished and be recent", "[steps][probe]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/logs");
  WriteFile(dir, "logs/backup-1.log", "start\nbackup finished ok\n");
  Shell("touch -d '3 hours ago' " + dir + "/logs/backup-1.log");
  WriteFile(dir, "logs/backup-2.log", "start\nbackup finished ok\n");
  const char* check =
      "  - {id: l, uses: probe, with: {kind: log, path: 'logs/*.log', contains: 'backup "
      "finished', max_age: 1h}}\n";
  Command fresh = RunProbeSteps(dir, check);
  CHECK(fresh.exit_code == 0);
  CHECK(fresh.err.find("newest log logs/backup-2.log") != std::string::npos);
  Shell("touch -d '2 hours ago' " + dir + "/logs/backup-2.log");
  Command old = RunProbeSteps(dir, check);
  CHECK(old.exit_code == 1);
  CHECK(old.err.find("more than max_age 1h (is the job running?)") != std::string::npos);
  WriteFile(dir, "logs/backup-3.log", "start\nerror: disk full\n");
  Command unfinished = RunProbeSteps(dir, check);
  CHECK(unfinished.exit_code == 1);
  CHECK(unfinished.err.find("no line of logs/backup-3.log matches 'backup finished'") !=
        std::string::npos);
  Command none =
      RunProbeSteps(dir, "  - {id: l, uses: probe, with: {kind: log, path: 'nothing/*.log'}}\n");
  CHECK(none.err.find("'nothing/*.log' matches no file") != std::string::npos);
}

// break23a B1: POSIX regexec of `a{100}{100}b` over one 200,000-character line ran ~54 s past
// `timeout: 2s` and two SIGTERMs; `a{1000}{1000}` took 540 MB for over 12 minutes. Every match
// is bounded now; variants: the process probe's pattern, and a pattern that does not compile.
TEST_CASE("probe log and process: a costly regular expression fails fast, bounded",
          "[steps][probe][limits]") {
  std::string dir = TempDir();
  // 40 a's, then what the expressions cannot end with: each backtracks 2^40 ways.
  Shell("mkdir -p " + dir + "/logs && (head -c 40 /dev/zero | tr '\\0' a; echo xc) > " + dir +
        "/logs/x.log");
  for (const char* expr : {"(a+)+c", "(a|aa)+c", "(a*)*c"}) {
    CAPTURE(expr);
    Command c =
        RunProbeSteps(dir, std::string("  - {id: l, uses: probe, timeout: 60s, with: {kind: log, "
                                       "path: 'logs/*.log', contains: '") +
                               expr + "'}}\n");
    INFO(c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("contains: the regular expression takes too much work on a "
                                      "42-byte text (more than 1000000 steps or 16 MiB)"));
  }
  // The issue's own: a nested bound repetition is refused where it is written (PCRE2 wants a
  // group: (?:a{100}){100}); an unclosed group in a process probe's pattern too.
  Command huge = RunProbeSteps(dir,
                               "  - {id: l, uses: probe, with: {kind: log, path: 'logs/*.log', "
                               "contains: 'a{1000}{1000}'}}\n");
  CHECK(huge.exit_code == 1);
  CHECK_THAT(huge.err, Catch::Contains("contains: not a valid regular expression at character "));
  Command bad =
      RunProbeSteps(dir, "  - {id: p, uses: probe, with: {kind: process, pattern: '(unclosed'}}\n");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("pattern: not a valid regular expression at character"));
  // POSIX classes still work (PCRE2 takes them).
  WriteFile(dir, "logs/y.log", "done 42\n");
  CHECK(RunProbeSteps(dir,
                      "  - {id: l, uses: probe, with: {kind: log, path: 'logs/y.log', contains: "
                      "'done [[:digit:]]+$'}}\n")
            .exit_code == 0);
}

TEST_CASE("probe tcp: a listening port passes, a closed one fails fast", "[steps][probe]") {
  std::string dir = TempDir();
  // python3 listens on an ephemeral port and prints it.
  Shell("cd " + dir +
        " && (setsid python3 -c \"import socket,time; s=socket.socket(); "
        "s.bind(('127.0.0.1',0)); s.listen(); open('port','w').write(str(s.getsockname()[1])); "
        "time.sleep(20)\" > /dev/null 2>&1 &) ; for i in $(seq 200); do test -s port && break; "
        "sleep 0.05; done");  // python may take over 0.5 s to start on a loaded machine
  std::string port = Shell("cat " + dir + "/port").out;
  REQUIRE_FALSE(port.empty());
  Command up = RunProbeSteps(
      dir, "  - {id: t, uses: probe, with: {kind: tcp, address: '127.0.0.1:" + port + "'}}\n");
  CHECK(up.exit_code == 0);
  CHECK(up.err.find("connected to 127.0.0.1:" + port) != std::string::npos);
  Shell("pkill -f \"s.bind\\(\\('127.0.0.1',0\\)\\)\"; sleep 0.2");
  Command down =
      RunProbeSteps(dir, "  - {id: t, uses: probe, with: {kind: tcp, address: '127.0.0.1:" + port +
                             "', connect_timeout: 1s}}\n");
  CHECK(down.exit_code == 1);
  CHECK(down.err.find("cannot connect to 127.0.0.1:" + port + ": Connection refused") !=
        std::string::npos);
}
