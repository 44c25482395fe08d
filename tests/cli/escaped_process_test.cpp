// The real binary and processes that leave a step's process group: they end with the step
// (named in its log), the step does not wait for the pipe they hold, and the run's end
// leaves no process behind, even one that dropped runbook's tracking id.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

std::string Marker(int n) { return "sleep 9" + std::to_string(n) + "." + std::to_string(getpid()); }

// Runs `file` and then, in the same shell (before anything else could clean up), says how
// long it took, its exit code, and whether `marker` still runs.
Command RunAndLook(const std::string& file, const std::string& marker) {
  std::string bracketed = "[" + marker.substr(0, 1) + "]" + marker.substr(1);
  return Shell("start=$(date +%s%N); " + Binary() + " run " + file +
               "; rc=$?; end=$(date +%s%N); echo rc=$rc; echo ms=$(( (end - start) / 1000000 ));"
               " sleep 0.2; pgrep -f '" +
               bracketed + "' > /dev/null && echo alive || echo gone");
}

int Millis(const std::string& out) {
  size_t at = out.find("ms=");
  return at == std::string::npos ? -1 : std::stoi(out.substr(at + 3));
}

}  // namespace

TEST_CASE("run: a setsid helper ends with its step, which takes well under 6 s", "[cli][escape]") {
  // The example: the helper held the step's stdout for 6 s and outlived the run.
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "helper.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: start, uses: exec, with: {shell: true, run: 'setsid " +
                                   Marker(1) + " & sleep 0.5'}}\n");
  Command c = RunAndLook(file, Marker(1));
  CHECK_THAT(c.out, Catch::StartsWith("rc=0\n") && Catch::EndsWith("gone\n"));
  CHECK(Millis(c.out) < 3000);
  CHECK_THAT(c.err, Catch::Contains("runbook: ended process ") &&
                        Catch::Contains("(" + Marker(1) + "): SIGTERM, which had left"));
}

TEST_CASE("run: a daemon that dropped its environment is ended when the run ends",
          "[cli][escape]") {
  // `env -i` drops the tracking id; as runbook is a subreaper the daemon is its child.
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "daemon.yaml",
                "version: 1\nname: t\nsteps:\n"
                "  - {id: start, uses: exec, with: {shell: true, run: '( env -i /usr/bin/setsid " +
                    Marker(2) + " > /dev/null 2>&1 & ) ; sleep 0.3'}}\n");
  Command c = RunAndLook(file, Marker(2));
  CHECK_THAT(c.out, Catch::StartsWith("rc=0\n") && Catch::EndsWith("gone\n"));
  CHECK_THAT(c.err, Catch::Contains("(" + Marker(2) + "): SIGTERM, left behind by the run"));
}

TEST_CASE("run: ^C while an escaped helper runs ends it with the cancelled step",
          "[cli][escape][signals]") {
  std::string dir = TempDir();
  std::string marker = Marker(3), bracketed = "[s]" + marker.substr(1);
  std::string file = WriteFile(dir, "cancel.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: long, uses: exec, with: {shell: true, run: 'setsid " +
                                   marker + " > /dev/null 2>&1 & sleep 60'}}\n");
  Command c = Shell(Binary() + " run " + file +
                    " & pid=$!; sleep 1; kill -INT $pid; wait $pid; echo rc=$?; sleep 0.2; "
                    "pgrep -f '" +
                    bracketed + "' > /dev/null && echo alive || echo gone");
  CHECK(c.out == "rc=130\ngone\n");
  CHECK_THAT(c.err, Catch::Contains("(" + marker + "): SIGTERM, which had left"));
}
