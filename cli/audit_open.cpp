#include "cli/audit_open.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>
#include <utility>

#include "cli/commands.h"
#include "cli/run_liveness.h"
#include "engine/audit/verify.h"
#include "engine/util/duration.h"
#include "engine/util/own_file.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// How long a write waits for another writer before failing closed. A value that is no
// positive duration is said, and the default used (breakN N11), as RUNBOOK_PROGRESS_INTERVAL.
int BusyTimeoutMs() {
  if (const char* env = std::getenv("RUNBOOK_AUDIT_BUSY_TIMEOUT"); env && *env) {
    auto d = ParseDuration(env);
    if (d && d->count() > 0 && d->count() <= 3600 * 1000) return static_cast<int>(d->count());
    static bool said = false;
    if (!said)
      std::cerr << "runbook: warning: RUNBOOK_AUDIT_BUSY_TIMEOUT='" << Printable(env)
                << "' is not a duration from 1ms to 1h: waiting at most 5s\n";
    said = true;
  }
  return 5000;
}

// Marks runs whose process is gone. A reader goes on without it when the store refuses the
// write (a full disk), said; a writer cannot: the error, unprinted.
Status MarkGone(AuditStore& store, bool must) {
  if (store.read_only()) return Status::Ok();
  auto marked = store.MarkInterrupted();  // runs of another place: by who needs them (P11)
  if (!marked.ok()) {
    if (must) return marked.status().Prefixed("audit store " + store.path() + ": ");
    std::cerr << "runbook: note: audit store " << store.path()
              << ": cannot mark interrupted runs: " << marked.status().message() << "\n";
    return Status::Ok();
  }
  if (!marked.value().gone.empty()) {
    std::cerr << "runbook: marked " << marked.value().gone.size()
              << " run(s) as interrupted (their process is gone)\n";
  }
  SayTakenAsGone(marked.value());
  return Status::Ok();
}

// The XDG default's folder, made like mkdir -p with mode 0700 (the store is evidence).
void MakeStateFolder(const std::string& store_path) {
  std::filesystem::path folder = std::filesystem::path(store_path).parent_path();
  std::error_code ec;
  if (std::filesystem::is_directory(folder, ec)) return;
  std::filesystem::create_directories(folder, ec);
  if (!ec) ::chmod(folder.c_str(), 0700);
}

}  // namespace

void SayTakenAsGone(const Sweep& swept) {
  for (const UnmarkedRun& u : swept.unmarked)
    std::cerr << "runbook: warning: run " << Printable(u.run_id)
              << " is listed as running in the runs index and its process is gone, but "
              << Printable(u.why)
              << ": not marked as interrupted (the store was altered; check it: runbook audit "
                 "verify)\n";
  for (const ClockBehind& b : swept.behind)
    std::cerr << "runbook: warning: run " << b.run_id << " on " << Printable(b.host)
              << " sends heartbeats dated " << HumanDuration(b.behind)
              << " behind this host's clock, but they still come: it runs, and keeps its "
                 "lock; check the clocks of both hosts (NTP)\n";
  for (const ClockAhead& a : swept.ahead)
    std::cerr << "runbook: warning: run " << a.run_id << " on " << Printable(a.host)
              << " sent a heartbeat dated " << HumanDuration(a.ahead)
              << " ahead of this host's clock: it is taken as heard now, so the run is taken as "
                 "gone "
              << kGoneAfterSilence.count()
              << " minutes after the last heartbeat seen here; check that host's clock (NTP)\n";
  for (const GoneRun& r : swept.gone)
    if (r.elsewhere)
      std::cerr << "runbook: warning: run " << r.run_id << " on " << Printable(r.host)
                << " sent no heartbeat for " << kGoneAfterSilence.count()
                << " minutes and is taken as gone, and its lock is free; processes its steps "
                   "started on "
                << Printable(r.host) << " may still run: check there before the same work runs "
                << "again\n";
}

std::optional<StoreChoice> ChooseAndSay(const std::string& flag, const std::string& start) {
  auto choice = ChooseAuditStore(flag, start);
  if (!choice.ok()) {
    std::cerr << "runbook: error: " << choice.status().message() << "\n";
    return std::nullopt;
  }
  static bool said = false;  // one command per process: its store is said once
  if (!said) {
    std::cerr << "runbook: audit store " << Printable(choice.value().path) << " ("
              << Printable(choice.value().why) << ")\n";
    said = true;
  }
  return choice.value();
}

Result<std::unique_ptr<AuditStore>> TryOpenAuditForCommand(const StoreChoice& choice) {
  const std::string& path = choice.path;
  if (choice.is_default_location) MakeStateFolder(path);
  auto store = AuditStore::Open(path, BusyTimeoutMs());
  if (!store.ok()) return store.status();
  std::string unsaid;  // a bad value is warned about where the run starts its heartbeats
  store.value()->SetHeartbeatEvery(
      HeartbeatInterval(std::getenv("RUNBOOK_HEARTBEAT_INTERVAL"), unsaid));
  if (Status marked = MarkGone(*store.value(), true); !marked.ok()) return marked;
  return std::move(store).value();
}

std::unique_ptr<AuditStore> OpenAuditForCommand(const StoreChoice& choice) {
  auto store = TryOpenAuditForCommand(choice);
  if (!store.ok()) {
    std::cerr << "runbook: error: " << store.status().message() << "\n";
    return nullptr;
  }
  return std::move(store).value();
}

namespace {

Result<std::unique_ptr<AuditStore>> TryOpenExisting(const std::string& path, StoreUse use) {
  auto store = AuditStore::OpenExisting(path, BusyTimeoutMs());
  if (!store.ok()) return store.status();
  if (!store.value()->read_note().empty())
    std::cerr << "runbook: note: audit store " << path << ": " << store.value()->read_note()
              << "\n";
  if (use == StoreUse::kWrite && store.value()->read_only())
    return Status::Error("audit store " + path +
                         " can only be read here (read-only media or no space beside it)");
  if (Status marked = MarkGone(*store.value(), use == StoreUse::kWrite); !marked.ok())
    return marked;
  return std::move(store).value();
}

}  // namespace

std::unique_ptr<AuditStore> OpenExistingAudit(const std::string& flag, StoreUse use,
                                              bool wait_busy) {
  auto choice = ChooseAndSay(flag);
  if (!choice) return nullptr;
  auto store = OpenWaitingOutBusy(
      [&] { return TryOpenExisting(choice->path, use); },
      wait_busy ? std::function<bool()>([] { return true; }) : std::function<bool()>());
  if (store.ok()) return std::move(store).value();
  std::cerr << "runbook: error: " << store.status().message() << "\n";
  return nullptr;
}

Result<std::unique_ptr<AuditStore>> OpenWaitingOutBusy(
    const std::function<Result<std::unique_ptr<AuditStore>>()>& open,
    const std::function<bool()>& keep_waiting) {
  for (bool said = false;;) {
    auto store = open();
    if (store.ok() || !store.status().busy() || !keep_waiting || !keep_waiting()) return store;
    if (!std::exchange(said, true))
      std::cerr << "runbook: the audit store is busy (" << store.status().message()
                << "): waiting for it (--wait); nothing has run yet\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

std::string CommandOutputProblem(const std::string& flag, const std::string& path) {
  if (path.empty()) return "";
  std::string why = OwnFileProblem(path);
  return why.empty() ? "" : flag + " " + path + ": " + why;
}

std::optional<LoadedRun> LoadRunAndStore(const std::string& flag, const std::string& id,
                                         StoreUse use, int& exit_code, bool wait_busy) {
  auto store = OpenExistingAudit(flag, use, wait_busy);
  if (!store) {
    exit_code = kExitEnvironment;
    return std::nullopt;
  }
  auto record = LoadRunRecord(*store, id);
  if (!record.ok()) {  // no such run (2), unless the store could not be read (3)
    std::cerr << "runbook: error: " << record.status().message() << "\n";
    exit_code = record.status().busy() ? kExitEnvironment : kExitInvalid;
    return std::nullopt;
  }
  if (Status recorded = RecordedByEvents(record.value()); !recorded.ok()) {
    std::cerr << "runbook: error: " << recorded.message() << "\n";
    exit_code = kExitStepFailed;  // altered evidence, as audit verify's
    return std::nullopt;
  }
  return LoadedRun{std::move(store), std::move(record).value()};
}

int CheckEvidence(AuditStore& store, RunRecord& r) {
  if (Status s = NoteChainProblem(store, r); !s.ok()) {
    std::cerr << "runbook: error: the audit chain cannot be checked: " << s.message() << "\n";
    return kExitStepFailed;
  }
  if (r.altered_seq > 0)
    std::cerr << "runbook: error: event #" << r.altered_seq << " of run " << r.run_id
              << " was changed after it was written (its hash does not match)\n";
  if (!r.chain_problem.empty())
    std::cerr << "runbook: error: the audit chain is broken: " << Printable(r.chain_problem)
              << "; what is shown may have been changed (runbook audit verify)\n";
  return r.altered_seq > 0 || !r.chain_problem.empty() ? kExitStepFailed : kExitOk;
}

void SayStoreError(const AuditStore& store, const Status& s) {
  const bool named = s.message().find(store.path()) != std::string::npos;
  std::cerr << "runbook: error: " << (named ? "" : "audit store " + Printable(store.path()) + ": ")
            << s.message() << "\n";
}

}  // namespace runbook
