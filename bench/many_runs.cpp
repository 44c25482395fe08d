// Fills an audit store with N recorded runs of a 3-step runbook, through the real executor
// and audit journal in-process (the hash chain, the runs index, heartbeats as `runbook run`
// writes them), in seconds instead of the minutes N `runbook run` processes take. For
// bench/ui_bench.py (the runs page with 10,000 runs in history); not a test.
// usage: bench_many_runs DB N
#include <cstdio>
#include <string>

#include "engine/audit/audit_journal.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/loader.h"
#include "engine/process_runner.h"

using namespace runbook;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_many_runs DB N\n");
    return 2;
  }
  const std::string db = argv[1];
  const long n = std::stol(argv[2]);
  StepRegistry registry = MakeBuiltinRegistry();
  Diagnostics diags;
  auto rb = LoadRunbookText(
      "nightly.yaml",
      "version: 1\nname: nightly\nkind: backup\nobjectives: {rto: 2h}\nsteps:\n  - {id: dump, "
      "uses: log}\n"
      "  - {id: verify, uses: log, needs: [dump]}\n  - {id: ship, uses: log, needs: [verify]}\n",
      registry, diags);
  if (!rb) return 2;
  Graph graph = BuildGraph(*rb);
  auto store = AuditStore::Open(db);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 3;
  }
  PosixProcessRunner processes;
  SystemClock clock;
  CancelToken cancel;
  RunObserver quiet;
  for (long i = 0; i < n; ++i) {
    AuditJournal journal(*store.value(), RunContext{});
    RunServices services{processes, clock, quiet, cancel, nullptr, {}};
    services.journal = &journal;
    RunOptions options;
    char id[64];
    std::snprintf(id, sizeof id, "20261101T000000Z-%06lx", i);  // unique, in order
    options.run_id = id;
    auto result = Execute(*rb, graph, options, services);
    if (!result.ok() || result.value().status != "success") {
      std::fprintf(stderr, "run %ld failed\n", i);
      return 4;
    }
  }
  std::printf("{\"runs\": %ld}\n", n);
  return 0;
}
