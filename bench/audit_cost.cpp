// Audit cost per event: runs 1,000 in-process no-op (log) steps through the real executor
// with the audit journal on a fresh store and without it, several times, and reports the
// median extra time per durable event; also times single Appends. Built by bench/run.py
// (target bench_audit_cost); not a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "engine/audit/audit_journal.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/loader.h"
#include "engine/process_runner.h"

using namespace runbook;
using Seconds = std::chrono::duration<double>;

namespace {

std::string NoopRunbook(int steps) {
  std::string text = "version: 1\nname: bench\nsteps:\n";
  for (int i = 0; i < steps; ++i) text += "  - {id: s" + std::to_string(i) + ", uses: log}\n";
  return text;
}

std::string ExecChain(int steps) {
  std::string text = "version: 1\nname: chain\nmax_parallel: 1\nsteps:\n";
  for (int i = 0; i < steps; ++i) {
    text += "  - {id: s" + std::to_string(i) + ", uses: exec, with: {run: [/bin/true]}" +
            (i ? ", needs: [s" + std::to_string(i - 1) + "]}\n" : "}\n");
  }
  return text;
}

double RunOnce(const Runbook& rb, const std::string& db_path) {
  Graph graph = BuildGraph(rb);
  PosixProcessRunner processes;
  SystemClock clock;
  CancelToken cancel;
  RunObserver quiet;
  RunServices services{processes, clock, quiet, cancel, nullptr, {}};
  std::unique_ptr<AuditStore> store;
  std::unique_ptr<AuditJournal> journal;
  if (!db_path.empty()) {
    std::filesystem::remove(db_path);
    store = AuditStore::Open(db_path).value();
    journal = std::make_unique<AuditJournal>(*store, RunContext{});
    services.journal = journal.get();
  }
  RunOptions options;
  options.run_id = NewRunId(clock);
  auto start = std::chrono::steady_clock::now();
  auto result = Execute(rb, graph, options, services);
  double t = Seconds(std::chrono::steady_clock::now() - start).count();
  if (!result.ok() || result.value().status != "success") std::abort();
  return t;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp";
  const int steps = 1000, runs = 7;
  StepRegistry registry = MakeBuiltinRegistry();
  Diagnostics diags;
  auto rb = LoadRunbookText("bench.yaml", NoopRunbook(steps), registry, diags);
  auto chain = LoadRunbookText("chain.yaml", ExecChain(steps), registry, diags);
  if (!rb || !chain) return 2;
  std::vector<double> with, without, chain_without;
  for (int i = 0; i < runs; ++i) {
    without.push_back(RunOnce(*rb, ""));
    with.push_back(RunOnce(*rb, dir + "/bench-audit.db"));
    chain_without.push_back(RunOnce(*chain, ""));
  }
  const int events = 3 * steps + 2;  // attempt started/finished, step finished; run start/end
  double per_event = (Median(with) - Median(without)) / events;
  // Single appends, each its own durable transaction.
  auto store = AuditStore::Open(dir + "/bench-append.db").value();
  std::vector<double> appends;
  Value body(Value::Map{{"status", Value("success")}, {"duration_ms", Value(int64_t{3})}});
  for (int i = 0; i < 2000; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (!store->Append("run", "attempt_finished", "s", 1, body).ok()) return 3;
    appends.push_back(Seconds(std::chrono::steady_clock::now() - t0).count());
  }
  std::filesystem::remove(dir + "/bench-append.db");
  std::filesystem::remove(dir + "/bench-audit.db");
  std::printf(
      "{\"steps\": %d, \"without_s\": %.4f, \"with_s\": %.4f, \"per_event_ms\": %.4f, "
      "\"append_median_ms\": %.4f, \"append_p99_ms\": %.4f, \"exec_chain_engine_only_s\": "
      "%.4f}\n",
      steps, Median(without), Median(with), per_event * 1000, Median(appends) * 1000,
      [&] {
        std::sort(appends.begin(), appends.end());
        return appends[appends.size() * 99 / 100] * 1000;
      }(),
      Median(chain_without));
  return 0;
}
