#include "serve/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "engine/audit/store.h"
#include "engine/audit/unrecorded.h"
#include "engine/cancel_signals.h"
#include "engine/util/duration.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "serve/api.h"
#include "serve/gate_resumes.h"
#include "serve/owed_failures.h"
#include "serve/restart.h"
#include "serve/scheduler.h"
#include "serve/stop_signal.h"
#include "serve/tokens.h"

namespace runbook {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) { g_stop = true; }

// One line on stderr per action, time-stamped (journald adds its own; a terminal has none).
void Say(const std::string& line) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::cerr << FormatUtc(std::chrono::system_clock::now()) << " " << line << "\n";
}

class CurrentCatalog {
 public:
  CurrentCatalog(const StepRegistry& registry, std::string dir) : registry_(registry), dir_(dir) {
    Reload();
  }
  std::shared_ptr<const Catalog> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return catalog_;
  }
  // Loads the folder again when a file changed; says what does not load.
  void Refresh() {
    if (Get() && !Get()->Stale(dir_)) return;
    Reload();
  }

 private:
  void Reload() {
    std::string error;
    auto next = Catalog::Load(registry_, dir_, error);
    if (!error.empty()) Say("error: " + error);
    for (const CatalogEntry& e : next->entries()) {
      if (!e.problems.empty()) Say("not loaded: " + e.file + "\n" + e.problems);
    }
    Say("runbooks: " + std::to_string(next->Runbooks().size()) + " loaded from " + dir_);
    std::lock_guard<std::mutex> lock(mu_);
    catalog_ = std::move(next);
  }

  const StepRegistry& registry_;
  std::string dir_;
  mutable std::mutex mu_;
  std::shared_ptr<const Catalog> catalog_;
};

// Whether run `id` is in the store at `audit_db`: it began (recorded its start). True when
// the store cannot be read: nothing is then said of a run as if it had not begun.
bool Began(const std::string& audit_db, const std::string& id) {
  auto store = AuditStore::OpenExisting(audit_db);
  return !store.ok() || store.value()->FindRun(id).ok();
}

// "run ID ended, exit N", and " (cancelled)" when serve had asked it to stop and it ended so
// (128+N); one that ended otherwise after a cancel (a step had failed first: exit 1) is said
// " (after a cancel)" (breakVV VV7: "exit 1 (cancelled)" for a run recorded as a failure).
// A run whose wait for a locked store a cancel ended, its own end kept (engine/audit/
// unrecorded.h), is said so: its end is what it kept, not the cancel (breakAA AA6: "exit 130
// (cancelled)" of a run whose success was told).
std::string EndedLine(const EndedRun& e, const Launcher& launcher) {
  // Serve's own stop caught one that had not begun (not in the store): it is recorded
  // interrupted and told, to be resumed (newcomer round of issue 16: "(cancelled)" was said
  // of a run then paged). A fire's is judged again instead (Scheduler).
  const bool api_run =
      e.run.trigger.Find("kind") == nullptr || e.run.trigger.Find("kind")->ToText() != "schedule";
  // A signal's end is named (newcomer round of issue 16: "ended, exit 137" said nothing of a
  // kill); runbook's own codes below 128 are format.md's.
  const int signal = e.exit_code > 128 ? e.exit_code - 128 : 0;
  const std::string how =
      !e.run.cancelled ? (signal > 0 ? " (killed by signal " + std::to_string(signal) + ", " +
                                           std::string(::strsignal(signal)) + ")"
                                     : "")
      : e.exit_code > 128 && e.run.stopped && api_run && !Began(launcher.audit_db(), e.run.run_id)
          ? " (stopped with serve before it began: recorded interrupted and told, to be resumed)"
      : e.exit_code > 128 ? " (cancelled)"
                          : " (after a cancel)";
  const bool end_kept =
      e.exit_code != 0 && KeptEnd(launcher.UnrecordedOf(e.run.run_id), e.run.run_id);
  return "run " + e.run.run_id + " ended, exit " + std::to_string(e.exit_code) +
         (end_kept ? " (its end, kept while the store could not take it, is recorded by its helper)"
                   : how);
}

// RUNBOOK_OWED_RETRY_MS (docs/format.md): milliseconds, 100 to 600000, before a lost-run
// helper that did not finish is started again (tests shorten it); else 10 s.
std::chrono::milliseconds OwedRetryDelay() {
  const char* text = std::getenv("RUNBOOK_OWED_RETRY_MS");
  const long ms = text != nullptr ? std::atol(text) : 0;
  if (ms >= 100 && ms <= 600'000) return std::chrono::milliseconds(ms);
  if (text != nullptr)
    Say(std::string("warning: RUNBOOK_OWED_RETRY_MS '") + text +
        "' is not 100 to 600000 (ms): 10 s");
  return OwedFailures::kFirstDelay;
}

// Reaps the runs that ended, each said, and owes those that may not have told their end.
void ReapEnded(Launcher& launcher, OwedFailures& owed) {
  for (const EndedRun& e : launcher.Reap()) {
    Say(EndedLine(e, launcher));
    if (launcher.MayOwe(e))  // cancelled (130): its helper finds it recorded
      (void)owed.Owe(e.run, e.exit_code, std::chrono::steady_clock::now());
  }
}

// The runs serve started that are still going, less `kept`.
std::vector<LaunchedRun> Going(const Launcher& launcher, const std::set<std::string>& kept) {
  std::vector<LaunchedRun> out;
  for (LaunchedRun& r : launcher.AllRunning())
    if (kept.count(r.run_id) == 0) out.push_back(std::move(r));
  return out;
}

// Waits (`wait` at most) for every run serve started, but `kept`, to end.
void WaitForRuns(Launcher& launcher, OwedFailures& owed, Millis wait,
                 const std::set<std::string>& kept) {
  for (int64_t i = 0; i < wait.count() / 100; ++i) {
    ReapEnded(launcher, owed);
    if (Going(launcher, kept).empty()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ReapEnded(launcher, owed);
}

// The runs serve started that do nothing but wait at approval gates (restart.h
// OnlyWaitsAtGates): left to die with serve and resumed by the next, their gates pending. So
// are the restart resumes of gate runs (`gate_resumes`) that have not begun a step yet (one
// still waiting out a busy store: breakWW WW9, cancelled at a stop, its approval was lost).
std::set<std::string> WaitingAtGates(const Launcher& launcher, const std::string& audit_db,
                                     const std::set<std::string>& gate_resumes) {
  std::set<std::string> out;
  auto store = AuditStore::OpenExisting(audit_db);
  for (const LaunchedRun& r : launcher.AllRunning()) {
    // What it did and is waiting to record counts (breakYY YY5: a gate's start).
    auto events = store.ok() ? JudgedEvents(*store.value(), r.run_id, launcher)
                             : Result<std::vector<AuditEvent>>(store.status());
    if (events.ok() && OnlyWaitsAtGates(events.value())) out.insert(r.run_id);
    if (gate_resumes.count(r.run_id) == 0) continue;
    bool begun =
        events.ok() && std::any_of(events.value().begin(), events.value().end(),
                                   [](const AuditEvent& e) { return e.kind == "attempt_started"; });
    if (!begun) out.insert(r.run_id);
  }
  return out;
}

// Ends the runs still going as Ctrl-C would, and waits for them (`grace`); those left are
// asked again, as a second Ctrl-C stops their finally steps (`grace`, 10 s at most); a run
// still going then is marked cancelled and dies with serve (the next serve owes it as
// cancelled: breakRR RR2, a cleanup over 30 s paged "died with serve"). A run that only waits
// at an approval gate is not cancelled: it dies with serve and the next serve resumes it
// (breakTT TT16). Then waits for the failures being sent (30 s at most: what is left is sent
// by the next serve).
void EndRuns(Launcher& launcher, OwedFailures& owed, Millis grace, const std::string& audit_db,
             const std::set<std::string>& gate_resumes) {
  const std::set<std::string> kept = WaitingAtGates(launcher, audit_db, gate_resumes);
  for (const std::string& id : kept)
    Say("run " + id +
        " waits for an approval: it stops with serve, and the next serve resumes "
        "it to wait there again");
  for (const LaunchedRun& r : Going(launcher, kept)) {
    // One cancelled already (the API, overlap: cancel_running) runs its finally steps: a
    // second cancel now would stop them without the grace (breakUU UU5).
    Say(r.cancelled ? "run " + r.run_id + " was cancelled already: its finally steps get " +
                          FormatDuration(grace) + " to end"
        : Began(audit_db, r.run_id)
            ? "cancelling run " + r.run_id + ": serve is stopping"
            : "stopping run " + r.run_id + ", which has not begun: serve is stopping");
    if (!r.cancelled) launcher.Cancel(r.run_id, true);
  }
  WaitForRuns(launcher, owed, grace, kept);
  for (const LaunchedRun& r : Going(launcher, kept)) {
    Say("run " + r.run_id + " did not end in " + FormatDuration(grace) +
        ": its finally steps are stopped");
    launcher.Cancel(r.run_id, true);
  }
  WaitForRuns(launcher, owed, std::min(grace, Millis(10000)), kept);
  for (const LaunchedRun& r : Going(launcher, kept)) {
    Status marked = launcher.MarkCancelled(r.run_id);
    Say("run " + r.run_id + " did not end: it stops with serve, interrupted (runbook resume " +
        r.run_id + ")" +
        (marked.ok() ? "" : "; " + marked.message() + ": the next serve takes it for died"));
  }
  for (int i = 0; i < 300 && owed.Any(); ++i) {
    for (const std::string& line : owed.Tick(std::chrono::steady_clock::now())) Say(line);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Why serve may not trust folder `dir` of its state (the state folder, its logs): it takes
// the files it finds there for its runs (markers, kept params, runbook copies: what it
// records, pages and runs again after a restart), so only its own user may write there, as
// ssh's StrictModes asks of ~/.ssh (breakDD DD3: files planted there made serve record and page
// a run "by mallory" it never started). "" when it may: a directory (not a symlink) owned by
// serve's user, not writable by its group or others.
std::string StateFolderProblem(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return "cannot read " + dir + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir + " is not a folder (a symlink?)";
  if (st.st_uid != ::geteuid())
    return dir + " is owned by uid " + std::to_string(st.st_uid) + ", not by serve's user (uid " +
           std::to_string(::geteuid()) + ")";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return dir + " is writable by its group or others (mode " + OctalMode(st.st_mode) +
           "): chmod go-w " + dir;
  return "";
}

// Takes `state_dir`/serve.lock (flock, held until serve exits) before anything in the state
// folder is read or removed: a second serve on the store would take the first one's
// .running, .runbook and .owed files for a dead serve's (breakPP PP1: a duplicate `runbook
// serve`, which then failed to listen, deleted them, and a failure was lost or sent twice).
// "" once held, else why not.
std::string HoldStateFolder(const std::string& state_dir) {
  const std::string path = state_dir + "/serve.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t got = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string pid = got > 0 ? std::string(buf, static_cast<size_t>(got)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return "another runbook serve" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
           " uses this store's state folder " + state_dir +
           ": one serve per store (stop it first, or give another --audit-db)";
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0)  // the pid is for people only: the lock is what counts
    (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return "";  // fd stays open (and locked) until serve exits
}

int Prepare(const ServeOptions& o) {
  if (!IsLoopback(o.host) && o.tls_cert.empty() && !o.insecure_listen) {
    std::cerr << "runbook: error: --listen " << o.host
              << " is not a loopback address: serve listens beyond this machine only with TLS "
                 "(--tls-cert and --tls-key) or --insecure-listen\n";
    return 2;
  }
  if (!IsLoopback(o.host) && o.tokens.empty()) {
    std::cerr << "runbook: error: --listen " << o.host
              << " is not a loopback address: give --tokens, or anyone who reaches it runs "
                 "runbooks\n";
    return 2;
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::cerr << "runbook: error: --tls-cert and --tls-key go together\n";
    return 2;
  }
  ::mkdir(o.state_dir.c_str(), 0700);
  ::mkdir((o.state_dir + "/logs").c_str(), 0700);
  for (const std::string& dir : {o.state_dir, o.state_dir + "/logs"}) {
    if (std::string problem = StateFolderProblem(dir); !problem.empty()) {
      std::cerr << "runbook: error: serve's state folder: " << problem
                << ": serve takes the files there for its own runs; nothing was started\n";
      return 3;
    }
  }
  if (std::string held = HoldStateFolder(o.state_dir); !held.empty()) {
    std::cerr << "runbook: error: " << held << "\n";
    return 3;
  }
  auto store = AuditStore::Open(o.audit_db);  // made when missing
  if (!store.ok()) {
    std::cerr << "runbook: error: " << store.status().message() << "\n";
    return 3;
  }
  return 0;
}

// What the serve before this one left: the runs the store's sweep took as gone here, and the
// runs it had started and never saw end (Launcher::LeftRunning).
struct LeftBehind {
  std::vector<std::string> gone;
  std::vector<std::string> left;
};

// Records what each of `left_running` kept unrecorded (engine/audit/unrecorded.h, in
// `launcher`'s folder), then sweeps the store (MarkInterrupted, waiting `busy_timeout_ms` for
// its lock), each gone run said, with `left_running` (Launcher::LeftRunning, read at start-up);
// `later` (an earlier try met the store locked): that it can be written now is said first (breakVV
// VV7: it came after what was done). Errors: the store cannot be written yet.
Result<LeftBehind> SweepStore(const ServeOptions& o, int busy_timeout_ms, bool later,
                              const std::vector<std::string>& left_running,
                              const Launcher& launcher) {
  auto store = AuditStore::Open(o.audit_db, busy_timeout_ms);
  if (!store.ok()) return store.status();
  // What they did while the store was locked first: a step that ended is then not "never
  // finished" when they are marked, and a gate they reached is resumed (breakYY YY3, YY5).
  for (const std::string& id : left_running) {
    auto late = RecordUnrecorded(*store.value(), id, launcher.UnrecordedOf(id));
    if (!late.ok()) return late.status();  // tried again (TryTakeUp)
    for (const LateRecordLine& line : SayLateRecord(late.value(), id, launcher.UnrecordedOf(id)))
      Say((line.warning ? "warning: " : "") + line.text);
  }
  auto swept = store.value()->MarkInterrupted();
  if (!swept.ok()) return swept.status();
  if (later) Say("the store can be written: the runs the serve before left are looked at");
  LeftBehind out;
  for (const GoneRun& gone : swept.value().gone) {
    if (!gone.elsewhere) out.gone.push_back(gone.run_id);
    // Not an order to resume: serve resumes a gate run itself, below (breakXX XX8).
    Say("run " + gone.run_id +
        " was interrupted (serve or its run was killed): one that waited at a gate is resumed "
        "below, any other with POST /api/v1/runs/" +
        gone.run_id + "/resume");
  }
  // The runs the serve before this one started and never saw end, which another command's
  // sweep marked interrupted meanwhile (audit of issue 16, M1): they are this serve's to resume.
  out.left = left_running;
  for (const std::string& id : out.left) {
    if (std::find(out.gone.begin(), out.gone.end(), id) != out.gone.end()) continue;
    auto row = store.value()->IndexRow(id);
    auto resumed = store.value()->ResumedAs(id);
    if (!row.ok() || !row.value() || row.value()->status != "interrupted" || !resumed.ok() ||
        resumed.value())
      continue;
    out.gone.push_back(id);
    Say("run " + id +
        " was interrupted while serve was down (started by serve, marked by another "
        "command, or by a serve that could not listen)");
  }
  return out;
}

// Takes up what the serve before left, once the store was swept: the fires whose runs never
// started are judged again (Scheduler::TakeUpLaunched: their runs are not owed), the runs that
// waited at a gate are resumed, and what the others left untold is owed. False (said) when
// the store cannot be read yet: nothing was done, and it can be called again.
bool TakeUpLeftBehind(LeftBehind& behind, const ServeOptions& o, const Catalog& catalog,
                      Launcher& launcher, OwedFailures& owed, Scheduler& scheduler,
                      GateResumes& gates) {
  std::vector<std::pair<std::string, Value>> marked;
  for (const std::string& id : behind.left)
    if (auto run = launcher.MarkedRun(id)) marked.emplace_back(id, run->trigger);
  auto refire =
      scheduler.TakeUpLaunched([&owed](const std::string& id) { return owed.Owes(id); }, marked);
  if (!refire.ok()) return false;
  std::erase_if(behind.left, [&](const std::string& id) {
    if (std::find(refire.value().begin(), refire.value().end(), id) == refire.value().end())
      return false;
    Say("run " + id + " had not started when serve stopped (it had recorded nothing): " +
        "nothing is owed for it, and its fire is judged again");
    launcher.Forget(id);
    return true;
  });
  for (const auto& [resume, id] : ResumesNeverStarted(behind.left, o.audit_db, launcher)) {
    // Named, with what to do (breakGG GG4: its caller held a 201 for a run that is now 404).
    Say("run " + id + ": its resume, run " + resume +
        ", died with the serve before, before it began: nothing of it ran, and run " + id +
        " is as it was (resumed again here if it waits at a gate; else POST /api/v1/runs/" + id +
        "/resume)");
    if (std::find(behind.gone.begin(), behind.gone.end(), id) == behind.gone.end())
      behind.gone.push_back(id);
  }
  std::set<std::string> not_resumed = ResumeWaitingRuns(
      behind.gone, o.audit_db, catalog, launcher, Say,
      [&gates](const std::string& run, const std::string& resume) { gates.Started(run, resume); });
  NotifyDiedWithServe(behind.left, o.audit_db, catalog, launcher, owed, Say, not_resumed);
  return true;
}

// Sweeps the store (once: `swept` keeps what the sweep found) and takes up what the serve
// before left, or says why not yet (the store locked: breakTT TT12, breakUU UU11: taken up
// later, never owed blind). True once done.
bool TryTakeUp(std::optional<LeftBehind>& swept, const ServeOptions& o,
               const std::vector<std::string>& left_running, int busy_timeout_ms,
               const Catalog& catalog, Launcher& launcher, OwedFailures& owed, Scheduler& scheduler,
               GateResumes& gates, bool say_why) {
  std::string why = "the store cannot be read";
  if (!swept) {
    auto behind = SweepStore(o, busy_timeout_ms, !say_why, left_running, launcher);
    if (behind.ok()) {
      swept = std::move(behind).value();
    } else {
      why = behind.status().message();
    }
  }
  if (swept && TakeUpLeftBehind(*swept, o, catalog, launcher, owed, scheduler, gates)) return true;
  if (say_why)
    Say("error: cannot mark the runs of the serve before as interrupted yet: " + why +
        "; they are looked at (resumed at their gates, or told) once the store can be written");
  return false;
}

}  // namespace

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;  // resolved by the system's hosts file, not DNS
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)  // 127.0.0.0/8 (RFC 1122), as written
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

int Serve(const StepRegistry& registry, const ServeOptions& o, const Clock& clock) {
  if (int code = Prepare(o); code != 0) return code;
  std::optional<TokenFile> tokens;
  if (!o.tokens.empty()) {
    auto loaded = TokenFile::Load(o.tokens);
    if (!loaded.ok()) {
      std::cerr << "runbook: error: " << loaded.status().message() << "\n";
      return 2;
    }
    tokens = std::move(loaded).value();
  }
  CurrentCatalog catalog(registry, o.runbooks_dir);
  Launcher launcher(o.self, o.audit_db, o.state_dir + "/logs");
  launcher.StoppingWhen([] { return g_stop.load() || StopSignalPending(); });
  OwedFailures owed(launcher, o.state_dir + "/logs", OwedRetryDelay());
  for (const std::string& line : owed.TakeUpLeft(std::chrono::steady_clock::now())) Say(line);
  Scheduler scheduler(clock, launcher, o.audit_db, o.state_dir + "/scheduler.json", Say);
  std::optional<LeftBehind> swept;
  GateResumes gates;
  // The runs the serve before started and never saw end, read before this one can start any
  // (the API opens below): a run started meanwhile is not the serve before's.
  const std::vector<std::string> left_running = Launcher::LeftRunning(o.state_dir + "/logs");
  // The store says which runs are gone before the API answers (marks only: nothing is
  // started before serve listens, below).
  if (auto behind = SweepStore(o, 5000, false, left_running, launcher); behind.ok())
    swept = std::move(behind).value();
  ApiContext context{[&catalog] { return catalog.Get(); }, &launcher, o.audit_db, &clock, Say,
                     tokens ? &*tokens : nullptr,          &registry};
  context.tls = !o.tls_cert.empty();
  std::atomic<bool> taken_up_yet{false};  // TryTakeUp done (the API reads it)
  context.left_run = [&left_running, &taken_up_yet](const std::string& id) {
    if (std::find(left_running.begin(), left_running.end(), id) == left_running.end())
      return LeftRun::kNo;
    return taken_up_yet ? LeftRun::kTakenUp : LeftRun::kTakingUp;
  };
  ApiServer api(context, o.tls_cert, o.tls_key);
  std::atomic<bool> listening{false};
  Status served;
  std::thread http([&] {
    // `localhost` is bound as 127.0.0.1, never resolved: a hosts file or resolver mapping it
    // elsewhere would put a token-less API on the network (breakLL LL6).
    const std::string bind = o.host == "localhost" ? "127.0.0.1" : o.host;
    const std::string shown = bind.find(':') != std::string::npos ? "[" + bind + "]" : bind;
    served = api.Run(bind, o.port, [&] {
      Say(std::string("listening on ") + (o.tls_cert.empty() ? "http" : "https") + "://" + shown +
          ":" + std::to_string(o.port));
      listening = true;
    });
    if (!served.ok()) g_stop = true;
  });
  for (int sig : kCancelSignals) ::signal(sig, OnStopSignal);  // a stop, never a death
  // What the serve before left is looked at once serve listens: one that cannot listen (its
  // port taken) exits having resumed nothing, which it would have cancelled as it stopped
  // (breakWW WW9: a gate's pending approval was lost so).
  for (int i = 0; i < 200 && !listening && !g_stop; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  bool taken_up = listening && !g_stop &&
                  TryTakeUp(swept, o, left_running, 200, *catalog.Get(), launcher, owed, scheduler,
                            gates, true);
  taken_up_yet = taken_up;
  auto next_take_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!g_stop) {
    catalog.Refresh();
    // Looked at again every 2 s, briefly, until the store can be written (the loop's other
    // work waits meanwhile: 0.2 s at most).
    if (listening && !taken_up && std::chrono::steady_clock::now() >= next_take_up) {
      taken_up = TryTakeUp(swept, o, left_running, 200, *catalog.Get(), launcher, owed, scheduler,
                           gates, false);
      taken_up_yet = taken_up;
      next_take_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    }
    const auto now = std::chrono::steady_clock::now();
    for (const EndedRun& e : launcher.Reap()) {
      Say(EndedLine(e, launcher));
      if (gates.TakeRetry(e, o.audit_db, now)) {
        const std::string why = Launcher::FirstError(e.run.log);  // not guessed (breakWW WW10)
        Say("run " + e.run.run_id + " (resuming run " + e.run.resumes +
            " at its gate) could not start, exit 3 (" +
            (why.empty() ? "the store locked?" : "it said: \"" + why + "\"") +
            "): tried again in 2 s");
        launcher.HandCopyBack(e.run.run_id, e.run.resumes);
        launcher.Forget(e.run.run_id);
        continue;
      }
      if (scheduler.RunEnded(e)) continue;  // forgotten there, nothing owed
      if (!launcher.MayOwe(e)) continue;
      if (Status s = owed.Owe(e.run, e.exit_code, now); !s.ok())
        Say("run " + e.run.run_id +
            ": its failure is being sent, not kept if serve stops: " + s.message());
    }
    // After the runs that ended were judged: a fire queued again for a run killed before it
    // started is known before a later fire queued behind it starts (breakWW WW7).
    if (listening) scheduler.Tick(*catalog.Get());
    for (const std::string& line : owed.Tick(now)) Say(line);
    for (const std::string& id :
         ResumeWaitingRuns(gates.Due(now), o.audit_db, *catalog.Get(), launcher, Say,
                           [&gates](const std::string&run, const std::string&resume) {
                             gates.Started(run, resume);
                           }))
      Say("run " + id + " is not resumed at its gate, and its failure is not sent: resume it " +
          "with POST /api/v1/runs/" + id + "/resume");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  Say("stopping");
  EndRuns(launcher, owed, o.stop_grace, o.audit_db, gates.Going());
  api.Stop();
  http.join();
  if (!served.ok()) {
    std::cerr << "runbook: error: " << served.message() << "\n";
    return 3;
  }
  return 0;
}

}  // namespace runbook
