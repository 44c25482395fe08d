// Step inputs that are not regular files (breakF F3): a FIFO at the name of a dump, its
// metadata, a report, a flags file or a log is refused at once, naming the path and its kind,
// instead of blocking the run in open() past its timeout and ^C.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Runs one step (`step` is its flow mapping) with `fifo` made a FIFO in a fresh folder; the
// run is killed after 20 s, so a hang shows as exit 137 instead of blocking the suite.
Command RunWithFifo(const std::string& fifo, const std::string& step,
                    const std::vector<std::string>& regular = {}) {
  std::string dir = TempDir();
  for (const std::string& name : regular) WriteFile(dir, name, "x\n");
  REQUIRE(::mkfifo((dir + "/" + fifo).c_str(), 0644) == 0);
  WriteFile(dir, "f.yaml", "version: 1\nname: f\nsteps:\n  - " + step + "\n");
  return Shell("cd " + dir + " && timeout -s KILL 20 " + Binary() +
               " run f.yaml --audit-db a.db 2>&1");
}

void CheckRefused(const Command& c, const std::string& fifo) {
  INFO(c.out << c.err);
  CHECK(c.exit_code != 137);  // 137: killed by the 20 s guard, i.e. the run hung
  CHECK(c.exit_code != 0);
  CHECK((c.out + c.err).find(fifo + " is a FIFO, not a regular file") != std::string::npos);
}

}  // namespace

TEST_CASE("inputs: a FIFO as a dump's .meta.json is refused, not waited on",
          "[steps][input-files]") {
  CheckRefused(RunWithFifo("d.sqlite.gz.meta.json",
                           "{id: h, uses: hash, timeout: 3s, with: {files: [d.sqlite.gz], "
                           "inventory: ''}}",
                           {"d.sqlite.gz"}),
               "d.sqlite.gz.meta.json");
}

TEST_CASE("inputs: a FIFO as a hashed file, a canary report, a flags file, a log",
          "[steps][input-files]") {
  CheckRefused(RunWithFifo("x.sqlite.gz",
                           "{id: h, uses: hash, timeout: 2s, with: {files: [x.sqlite.gz], "
                           "verify: none, inventory: ''}}"),
               "x.sqlite.gz");
  CheckRefused(RunWithFifo("cur.json",
                           "{id: c, uses: canary-compare, timeout: 2s, with: {current: cur.json, "
                           "baseline: base.json}}",
                           {"base.json"}),
               "cur.json");
  CheckRefused(RunWithFifo("flags.json",
                           "{id: f, uses: flag-update, timeout: 2s, with: {file: flags.json, "
                           "flag: x, rollout: 5}}"),
               "flags.json");
  CheckRefused(RunWithFifo("x.log",
                           "{id: p, uses: probe, timeout: 2s, with: {kind: log, path: x.log, "
                           "contains: finished}}"),
               "x.log");
}

TEST_CASE("inputs: a FIFO as a database source or a gzip dump source (SQLite and gunzip)",
          "[steps][input-files]") {
  CheckRefused(RunWithFifo("src.db",
                           "{id: i, uses: integrity-check, timeout: 2s, with: {source: src.db, "
                           "workspace: ws.db}}"),
               "src.db");
  CheckRefused(RunWithFifo("x.sqlite.gz",
                           "{id: i, uses: integrity-check, timeout: 2s, with: {source: "
                           "x.sqlite.gz, workspace: ws.db}}"),
               "x.sqlite.gz");
}

TEST_CASE("inputs: a FIFO at a service's log name is refused before the start",
          "[steps][input-files]") {
  Command c = RunWithFifo("svc.log",
                          "{id: s, uses: service, timeout: 2s, with: {run: [sleep, '30'], "
                          "log: svc.log}}");
  INFO(c.out << c.err);
  CHECK(c.exit_code != 137);
  CHECK(c.out.find("svc.log is a FIFO, not a regular file") != std::string::npos);
}
