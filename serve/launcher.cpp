#include "serve/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>
#include <sstream>
#include <utility>

#include "engine/audit/unrecorded.h"
#include "engine/cancel_signals.h"
#include "engine/executor.h"
#include "engine/util/clock.h"
#include "engine/util/fd_io.h"
#include "engine/util/json.h"
#include "engine/util/private_file.h"
#include "serve/kept_params.h"
#include "serve/run_log.h"

namespace runbook {
namespace {

// `copy`: where Start copied the runbook for this run (Launcher::CopyOf).
std::vector<std::string> Argv(const std::string& self, const std::string& audit_db,
                              const std::string& run_id, const NotifyJournalPaths& journal,
                              const std::string& copy, const LaunchRequest& r) {
  std::vector<std::string> argv = {self};
  if (r.resume_id.empty()) {
    argv.insert(argv.end(), {"run", r.file});
  } else {
    argv.insert(argv.end(), {"resume", r.resume_id, "--runbook", r.file});
    // This run's copy, not text_copy: that one may be removed once the child is started.
    if (!r.text_copy.empty()) argv.insert(argv.end(), {"--runbook-text", copy});
  }
  // --wait: a lock another runbook holds is waited for, not a failure (docs/serve.md).
  argv.insert(argv.end(),
              {"--audit-db", audit_db, "--run-id", run_id, "--wait", "--approvals-via-api"});
  if (!r.trigger.is_null()) argv.insert(argv.end(), {"--trigger", ToJson(r.trigger)});
  // Its params kept before it may wait for a lock (serve/kept_params.h: breakTT
  // TT4); a resume's are its record's.
  if (r.resume_id.empty()) argv.insert(argv.end(), {"--lost-params", journal.params});
  // What its end owes to tell, kept so that its helper tells the rest when it is killed while
  // it sends (cli/notify_journal.h; breakRR RR3).
  argv.insert(argv.end(), {"--notify-outbox", journal.outbox, "--notify-sent", journal.sent,
                           "--unrecorded", journal.unrecorded});
  // Its params on its standard input, never on its command line: /proc/PID/cmdline is
  // readable by every local user (breakTT TT3: a param holding a secret's text in `ps`).
  if (!r.sets.empty()) argv.push_back("--sets-stdin");
  for (const std::string& step : r.reruns) argv.insert(argv.end(), {"--rerun", step});
  if (r.end_leftovers) argv.push_back("--end-leftovers");
  if (r.force) argv.push_back("--force");
  return argv;
}

// The child's standard input: its params as `--sets-stdin` reads them (a JSON list of
// [NAME, VALUE] pairs) in a memory file, never on disk; /dev/null when there are none.
// Returns the fd (close-on-exec; the caller closes it). Errors: no memory file.
Result<int> SetsInput(const ParamSets& sets) {
  if (sets.empty()) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno("cannot open /dev/null", errno);
    return fd;
  }
  Value::List pairs;
  for (const auto& [name, value] : sets)
    pairs.push_back(Value(Value::List{Value(name), Value(value)}));
  const std::string text = ToJson(Value(std::move(pairs)));
  int fd = ::memfd_create("runbook-params", MFD_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot pass a run its params", errno);
  if (!WriteAll(fd, text.data(), text.size())) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno("cannot pass a run its params", err);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

// In the child, between fork and exec: only async-signal-safe calls (serve has threads).
// `exec_fd` (close-on-exec) closes at the exec; on failure it gets the errno.
[[noreturn]] void ExecChild(pid_t parent, int log_fd, int null_fd, int exec_fd, char* const* argv) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // serve died before prctl took effect
  ::setpgid(0, 0);  // its own group: serve's terminal signals do not reach it twice
  ::dup2(null_fd, 0);
  ::dup2(log_fd, 1);
  ::dup2(log_fd, 2);
  ::execv(argv[0], argv);
  int err = errno;
  (void)!::write(exec_fd, &err, sizeof err);
  ::_exit(127);
}

// Waits until the child has exec'd (its end of `fds` closed) or failed to: a cancel sent
// before would reach a copy of serve, whose handler takes the signal, and the run would then
// start and never see it (found by the scheduler's cancel_running test). 0, or the errno.
int WaitForExec(int fds[2]) {
  ::close(fds[1]);
  int err = 0;
  ssize_t got;
  do got = ::read(fds[0], &err, sizeof err);
  while (got < 0 && errno == EINTR);
  ::close(fds[0]);
  return got == static_cast<ssize_t>(sizeof err) ? err : 0;
}

// Copies the runbook `file` to `copy` (0600, never through a link), best effort: without it
// a run's failure is told from the file as it is then.
void CopyRunbook(const std::string& file, const std::string& copy) {
  int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return;
  int out = ::open(copy.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  char buf[65536];
  ssize_t got = 0;
  bool ok = out >= 0;
  while (ok && (got = ::read(in, buf, sizeof buf)) > 0) ok = ::write(out, buf, got) == got;
  ::close(in);
  if (out >= 0) ::close(out);
  if (out >= 0 && (!ok || got < 0)) ::unlink(copy.c_str());
}

}  // namespace

std::vector<std::string> Launcher::LeftRunning(const std::string& log_dir) {
  std::set<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir, ec)) {
    const std::filesystem::path& path = entry.path();
    const std::string kind = path.extension().string();
    const std::string id = path.stem().string();
    if (kind == ".running") ids.insert(id);
    // Params a run kept without its marker (lost, or not written yet when serve died) and not
    // owed: MarkedRun reads the run from them, when the run kept them as accepted (CC2).
    if (kind == ".params" && path.stem().extension().empty() &&
        !std::filesystem::exists(log_dir + "/" + id + ".owed", ec))
      ids.insert(id);
  }
  return {ids.begin(), ids.end()};
}

Value SetNamesValue(const std::optional<std::vector<std::string>>& names) {
  return names ? StringsValue(*names) : Value();
}

Launcher::Launcher(std::string self, std::string audit_db, std::string log_dir)
    : self_(std::move(self)), audit_db_(std::move(audit_db)), log_dir_(std::move(log_dir)) {}

Result<pid_t> Launcher::SpawnLocked(std::vector<std::string> args, const std::string& log,
                                    int log_flags, const ParamSets& sets) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto input = SetsInput(sets);  // before the log: nothing to undo when it fails
  if (!input.ok()) return input.status();
  int log_fd = ::open(log.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | log_flags, 0600);
  if (log_fd < 0) {
    int err = errno;
    ::close(input.value());
    return Status::FromErrno("cannot open " + log, err);
  }
  int null_fd = input.value();
  int exec_fds[2];
  if (::pipe2(exec_fds, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return Status::FromErrno("cannot start a run", err);
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) ExecChild(parent, log_fd, null_fd, exec_fds[1], argv.data());
  int err = errno;
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) {
    ::close(exec_fds[0]);
    ::close(exec_fds[1]);
    return Status::FromErrno("cannot start a run", err);
  }
  if (int failed = WaitForExec(exec_fds); failed != 0) {
    ::waitpid(pid, nullptr, 0);
    return Status::FromErrno("cannot run " + self_, failed);
  }
  return pid;
}

Result<LaunchedRun> Launcher::Start(const LaunchRequest& request) {
  LaunchedRun run;
  run.run_id = NewRunId(SystemClock());
  run.runbook = request.runbook;
  run.log = log_dir_ + "/" + run.run_id + ".log";
  run.file = request.file;
  run.sets = request.sets;
  run.set_names.emplace();
  for (const auto& [name, value] : request.sets) run.set_names->push_back(name);
  run.resumes = request.resume_id;
  run.trigger = request.trigger;
  run.unanswered = request.caller_waits;
  {
    // Owned from before its first file: a sweep of the folder meanwhile (serve's start,
    // restart.cpp) leaves them (breakGG: a trigger answered while serve took up what the
    // serve before left had its marker's write removed, and was answered 500).
    std::lock_guard<std::mutex> lock(mu_);
    starting_.insert(run.run_id);
  }
  // Before the child starts, so that no run goes unmarked: a restart would take a run with
  // no marker for one whose caller was answered (breakFF FF2). A run whose caller waits is
  // not started unmarked (breakFF FF1: a full disk, a 201, and the run was lost); a fire or a
  // restart's resume is, as before (without it a restart resumes less).
  if (Status marked = WriteMarker(run, request.caller_waits);
      !marked.ok() && request.caller_waits) {
    std::lock_guard<std::mutex> lock(mu_);
    starting_.erase(run.run_id);
    return Status::Error("serve's state folder cannot keep the run: " + marked.message() +
                         "; nothing was started");
  }
  // Before the child reads it.
  CopyRunbook(request.text_copy.empty() ? request.file : request.text_copy, CopyOf(run.run_id));
  std::lock_guard<std::mutex> lock(mu_);
  starting_.erase(run.run_id);  // running_ or gone below, under the same lock
  auto pid = SpawnLocked(
      Argv(self_, audit_db_, run.run_id, JournalOf(run.run_id), CopyOf(run.run_id), request),
      run.log, O_CREAT | O_EXCL, request.sets);
  if (!pid.ok()) {
    ::unlink(CopyOf(run.run_id).c_str());
    ::unlink(MarkerOf(run.run_id).c_str());
    return pid.status();
  }
  run.pid = pid.value();
  if (request.caller_waits) caller_waits_[run.run_id] = false;
  running_[run.pid] = run;
  return run;
}

Status Launcher::WriteMarker(const LaunchedRun& run, bool caller_waits) const {
  // It names the run's runbook: a run the store never had (refused before it started) is
  // still told after a restart (breakRR RR6).
  Value::Map mark{{"runbook", Value(run.runbook)},
                  {"file", Value(run.file)},
                  {"resumes", Value(run.resumes)},
                  {"trigger", run.trigger},
                  {"set_params", SetNamesValue(run.set_names)}};
  if (caller_waits) mark["answered"] = Value(!run.unanswered);
  return WritePrivateFile(MarkerOf(run.run_id), ToJson(Value(std::move(mark))) + "\n");
}

std::optional<LaunchedRun> Launcher::AcceptedRun(const std::string& run_id) const {
  auto kept = ReadKeptParams(ParamsOf(run_id));
  if (!kept || !kept->accepted || kept->runbook.empty()) return std::nullopt;
  LaunchedRun run;
  run.run_id = run_id;
  run.runbook = kept->runbook;
  run.log = LogOf(run_id);
  // Without serve's copy too (breakDD DD6: both lost, the run was forgotten unsaid): told
  // from the runbook's file as the folder has it (restart.cpp NotifyDiedWithServe).
  run.file = ::access(CopyOf(run_id).c_str(), R_OK) == 0 ? CopyOf(run_id) : "";
  run.trigger = kept->trigger;
  return run;
}

std::optional<LaunchedRun> Launcher::MarkedRun(const std::string& run_id) const {
  auto text = ReadPrivateFile(MarkerOf(run_id));
  auto mark = ParseJson(text.value_or(""));
  if (!mark.ok() || !mark.value().is_map()) return AcceptedRun(run_id);
  const Value* runbook = mark.value().Find("runbook");
  const Value* file = mark.value().Find("file");
  const Value* resumes = mark.value().Find("resumes");
  if (runbook == nullptr || !runbook->is_string() || file == nullptr || !file->is_string())
    return AcceptedRun(run_id);
  LaunchedRun run;
  run.run_id = run_id;
  run.runbook = runbook->as_string();
  run.log = LogOf(run_id);
  run.file = file->as_string();
  if (resumes != nullptr && resumes->is_string()) run.resumes = resumes->as_string();
  if (const Value* trigger = mark.value().Find("trigger"); trigger != nullptr && trigger->is_map())
    run.trigger = *trigger;
  run.set_names = StringsOf(mark.value().Find("set_params"));
  const Value* answered = mark.value().Find("answered");
  run.unanswered = answered != nullptr && answered->is_bool() && !answered->as_bool();
  return run;
}

std::string Launcher::FirstError(const std::string& log) {
  constexpr std::string_view kError = "runbook: error: ";
  constexpr size_t kMaxQuoted = 300;
  std::istringstream in(RunOwnOutput(log, 64 * 1024).value_or(""));  // the run's, not a helper's
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(kError, 0) != 0) continue;
    line.erase(0, kError.size());
    if (line.size() > kMaxQuoted) line = line.substr(0, kMaxQuoted) + "...";
    return line;
  }
  return "";
}

bool Launcher::MayBeLost(int exit_code) {
  return exit_code != 0 && exit_code != 1 && exit_code != 4;
}

Result<pid_t> Launcher::StartLostHelper(const LaunchedRun& run, int exit_code) {
  std::vector<std::string> args = {self_,
                                   "run",
                                   run.file,
                                   "--audit-db",
                                   audit_db_,
                                   "--run-id",
                                   run.run_id,
                                   "--lost-exit",
                                   std::to_string(exit_code),
                                   "--notify-outbox",
                                   OutboxOf(run.run_id),
                                   "--notify-sent",
                                   SentOf(run.run_id),
                                   "--lost-params",
                                   ParamsOf(run.run_id),
                                   "--lost-log",
                                   LogOf(run.run_id),
                                   "--unrecorded",
                                   UnrecordedOf(run.run_id)};
  if (::access(CopyOf(run.run_id).c_str(), R_OK) == 0)
    args.insert(args.end(), {"--lost-copy", CopyOf(run.run_id)});
  if (!run.resumes.empty()) args.insert(args.end(), {"--lost-resumes", run.resumes});
  if (run.trigger.is_map()) args.insert(args.end(), {"--trigger", ToJson(run.trigger)});
  if (run.cancelled) args.push_back("--lost-cancelled");
  if (run.cancelled && run.stopped) args.push_back("--lost-stopped");
  if (run.set_names)
    args.insert(args.end(), {"--lost-set-names", ToJson(SetNamesValue(run.set_names))});
  if (!run.sets.empty()) args.push_back("--sets-stdin");  // as Argv: never on argv (TT3)
  AppendHelperHeader(LogOf(run.run_id), exit_code);       // what follows is not the run's own
  std::lock_guard<std::mutex> lock(mu_);
  auto pid = SpawnLocked(std::move(args), LogOf(run.run_id), O_APPEND | O_CREAT, run.sets);
  if (pid.ok()) helpers_.push_back(pid.value());
  return pid;
}

std::vector<std::pair<pid_t, int>> Launcher::EndedHelpers() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  return std::exchange(helpers_ended_, {});
}

void Launcher::Forget(const std::string& run_id) const {
  // The params first: a serve killed part-way never leaves them alone, which LeftRunning
  // would take for a run whose marker was lost (breakCC CC2). An empty directory planted in
  // a file's place goes too (breakCC: one at .unrecorded outlived its run); one with
  // anything in it is not serve's to empty.
  for (const std::string& path :
       {ParamsOf(run_id), MarkerOf(run_id), CopyOf(run_id), SentOf(run_id), OutboxOf(run_id),
        CancelledMarkOf(run_id), UnrecordedOf(run_id)})
    if (::unlink(path.c_str()) != 0 && (errno == EISDIR || errno == EPERM)) ::rmdir(path.c_str());
}

void Launcher::RemoveUnfinishedWrites(const std::string& run_id) const {
  std::error_code ec;
  const std::string prefix = run_id + ".";
  for (const auto& entry : std::filesystem::directory_iterator(log_dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.find(".tmp.") != std::string::npos)
      ::unlink(entry.path().c_str());
  }
}

bool Launcher::LeftUnrecorded(const std::string& run_id) const {
  return ReadUnrecorded(UnrecordedOf(run_id), run_id).waiting;
}

void Launcher::HandCopyBack(const std::string& resume_id, const std::string& run_id) const {
  ::rename(CopyOf(resume_id).c_str(), CopyOf(run_id).c_str());
}

Status Launcher::MarkCancelled(const std::string& run_id) const {
  int fd =
      ::open(CancelledMarkOf(run_id).c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("cannot write " + CancelledMarkOf(run_id), errno);
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Status::FromErrno("cannot write " + CancelledMarkOf(run_id), errno);
  return Status::Ok();
}

Status Launcher::Release(const std::string& run_id, bool answered) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  auto waits = caller_waits_.find(run_id);
  if (waits == caller_waits_.end()) return Status::Ok();
  auto held = std::find_if(held_.begin(), held_.end(),
                           [&](const EndedRun& e) { return e.run.run_id == run_id; });
  if (held == held_.end()) {  // still running: reported as any other when it ends
    waits->second = true;
    Status marked = Status::Ok();
    for (auto& [pid, run] : running_) {
      if (run.run_id != run_id || answered) continue;
      run.unanswered = false;
      marked = WriteMarker(run, true);
    }
    return marked;
  }
  if (answered) {
    // Its refusal was told (the 409 carries its words): nothing to notify, nothing to keep,
    // its log included, under an id nobody was given (newcomer round of issue 16).
    Forget(run_id);
    ::unlink(LogOf(run_id).c_str());
  } else {
    held->run.unanswered = false;
    // Else Forgotten as it was reaped. A marker that cannot say so is no matter: serve,
    // alive, tells its end now (Reap).
    if (MayOwe(*held)) (void)WriteMarker(held->run, true);
    unreported_.push_back(*held);
  }
  held_.erase(held);
  caller_waits_.erase(waits);
  return Status::Ok();
}

std::vector<LaunchedRun> Launcher::AllRunning() const {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  std::vector<LaunchedRun> out;
  for (const auto& [pid, run] : running_) out.push_back(run);
  return out;
}

std::vector<LaunchedRun> Launcher::Running(const std::string& runbook) const {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  std::vector<LaunchedRun> out;
  for (const auto& [pid, run] : running_) {
    if (run.runbook == runbook) out.push_back(run);
  }
  return out;
}

bool Launcher::IsRunning(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  for (const auto& [pid, run] : running_) {
    if (run.run_id == run_id) return true;
  }
  return false;
}

bool Launcher::Cancel(const std::string& run_id, bool by_stop) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  for (auto& [pid, run] : running_) {
    if (run.run_id != run_id) continue;
    if (::kill(pid, SIGINT) != 0) return false;
    run.cancelled = true;
    run.stopped = run.stopped || by_stop;
    // Kept on disk at once: a serve killed while the run runs its finally steps leaves it to
    // the next as cancelled, not as a run that died (breakTT TT13).
    (void)MarkCancelled(run.run_id);
    return true;
  }
  return false;
}

std::vector<EndedRun> Launcher::Reap() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  return std::exchange(unreported_, {});
}

// Every query reaps first: a child that has ended is never taken as running (a cancel
// answered 202 for a run already over).
void Launcher::ReapLocked() const {
  for (auto it = helpers_.begin(); it != helpers_.end();) {
    int status = 0;
    if (::waitpid(*it, &status, WNOHANG) != *it) {
      ++it;
      continue;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    helpers_ended_.push_back({*it, code});
    it = helpers_.erase(it);
  }
  for (auto it = running_.begin(); it != running_.end();) {
    int status = 0;
    if (::waitpid(it->first, &status, WNOHANG) != it->first) {
      ++it;
      continue;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const std::string& id = it->second.run_id;
    // runbook ends 128+N for a cancel signal N only by its cancel (engine/cancel_signals.h;
    // a SIGINT or SIGTERM an operator or a supervisor sent it, not serve): a cancel is no
    // failure, whoever sent it (breakBB BB1: one cancelled so while it waited for its lock
    // was recorded and paged a failure; break22c #8: SIGUSR1's was "killed by signal 10").
    if (code > 128 && IsCancelSignal(code - 128)) {
      it->second.cancelled = true;
      it->second.stopped = it->second.stopped || (stopping_ && stopping_());
    }
    // One that may have a failure to tell keeps them until it is owed (serve/owed_failures.h).
    if (!MayBeLost(code) && !LeftUnrecorded(id)) Forget(id);
    auto waits = caller_waits_.find(id);
    if (waits != caller_waits_.end() && !waits->second) {
      held_.push_back({it->second, code});  // its caller has not been answered yet
    } else {
      unreported_.push_back({it->second, code});
      if (waits != caller_waits_.end()) caller_waits_.erase(waits);
    }
    ended_.push_back({it->second, code});
    if (ended_.size() > 100) ended_.erase(ended_.begin());
    it = running_.erase(it);
  }
}

std::optional<EndedRun> Launcher::Launched(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  for (const auto& [pid, run] : running_) {
    if (run.run_id == run_id) return EndedRun{run, -1};
  }
  for (const EndedRun& e : ended_) {
    if (e.run.run_id == run_id) return e;
  }
  return std::nullopt;
}

bool Launcher::Owns(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (starting_.count(run_id) != 0) return true;
  ReapLocked();
  for (const auto& [pid, run] : running_)
    if (run.run_id == run_id) return true;
  for (const EndedRun& e : ended_)
    if (e.run.run_id == run_id) return true;
  return false;
}

void Launcher::MarkRequeued(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (EndedRun& e : ended_)
    if (e.run.run_id == run_id) e.run.requeued = true;
}

}  // namespace runbook
