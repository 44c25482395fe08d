#include "serve/owed_failures.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "engine/audit/unrecorded.h"
#include "engine/util/json.h"
#include "engine/util/private_file.h"

namespace runbook {
namespace {

constexpr int kMaxAttempts = 30;
constexpr std::chrono::milliseconds kMaxDelay{600'000};

// `first` after the first attempt, twice as long after each next one, 10 minutes at most.
std::chrono::milliseconds DelayAfter(int attempts, std::chrono::milliseconds first) {
  std::chrono::milliseconds delay = first;
  for (int i = 1; i < attempts && delay < kMaxDelay; ++i) delay *= 2;
  return std::min(delay, kMaxDelay);
}

std::string Text(const Value& v, const char* key) {
  const Value* f = v.Find(key);
  return f != nullptr ? f->ToText() : "";
}

// What a helper does for `run`, as said: a cancel sends nothing, its end is only recorded
// (breakWW WW10: "its failure was not sent yet" was said of a run serve cancelled), unless
// serve's stop cancelled it before it began (told as interrupted, breakBB BB5); a run that
// recorded or told its end (`only_record`: OwedFailures::OnlyRecord) owes only what it kept
// while the store was locked (engine/audit/unrecorded.h). Said as the work, not as what is
// left: a helper that sent and could not record has sent (breakCC CC5).
std::string Owing(const LaunchedRun& run, bool only_record) {
  if (only_record)
    return "recording what the store could not take when it happened (nothing to send)";
  if (run.cancelled && run.stopped)
    return "recording its end (cancelled by serve's stop; told if it never began)";
  return run.cancelled ? "recording its end (a cancel: nothing to send)" : "telling its failure";
}

}  // namespace

OwedFailures::OwedFailures(Launcher& launcher, std::string log_dir,
                           std::chrono::milliseconds first_delay)
    : launcher_(launcher), log_dir_(std::move(log_dir)), first_delay_(first_delay) {}

bool OwedFailures::OnlyRecord(const Owed& owed) const {
  return !Launcher::MayBeLost(owed.exit_code) ||
         (owed.run.cancelled && KeptEnd(launcher_.UnrecordedOf(owed.run.run_id), owed.run.run_id));
}

std::string OwedFailures::FileOf(const std::string& run_id) const {
  return log_dir_ + "/" + run_id + ".owed";
}

// Never the --set values: a param may be one the store keeps masked; a helper started again
// takes the params the run recorded, or kept (their names only here: LaunchedRun::set_names).
Status OwedFailures::Write(const Owed& owed) const {
  Value body(Value::Map{{"run_id", Value(owed.run.run_id)},
                        {"runbook", Value(owed.run.runbook)},
                        {"file", Value(owed.run.file)},
                        {"exit_code", Value(int64_t{owed.exit_code})},
                        {"resumes", Value(owed.run.resumes)},
                        {"cancelled", Value(owed.run.cancelled)},
                        {"stopped", Value(owed.run.stopped)},
                        {"trigger", owed.run.trigger},
                        {"set_params", SetNamesValue(owed.run.set_names)}});
  return WritePrivateFile(FileOf(owed.run.run_id), ToJson(body) + "\n");  // 0600, synced
}

Status OwedFailures::Owe(const LaunchedRun& run, int exit_code, Time now) {
  if (Owes(run.run_id)) return Status::Ok();
  Owed& owed = owed_[run.run_id];
  owed.run = run;
  owed.run.log = launcher_.LogOf(run.run_id);
  owed.exit_code = exit_code;
  Status written = Write(owed);
  if (written.ok()) ::unlink(launcher_.MarkerOf(run.run_id).c_str());
  (void)Start(owed, now);
  return written;
}

std::vector<std::string> OwedFailures::Start(Owed& owed, Time now) {
  ++owed.attempts;
  auto pid = launcher_.StartLostHelper(owed.run, owed.exit_code);
  if (pid.ok()) {
    owed.helper = pid.value();
    return {};
  }
  owed.helper = -1;
  owed.due = now + DelayAfter(owed.attempts, first_delay_);
  return {"run " + owed.run.run_id + ": its failure cannot be sent now: " + pid.status().message()};
}

std::vector<std::string> OwedFailures::TakeUpLeft(Time now) {
  std::vector<std::string> said;
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir_, ec))
    if (entry.path().extension() == ".owed") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    auto body = ParseJson(ReadPrivateFile(file).value_or(""));
    const Value* code = body.ok() ? body.value().Find("exit_code") : nullptr;
    std::string id = body.ok() ? Text(body.value(), "run_id") : "";
    const std::string stem = std::filesystem::path(file).stem().string();
    if (code == nullptr || !code->is_int() || id.empty() || stem != id) {
      // Damaged: the run it names is still owed, as one that died with serve, from the copy
      // of its runbook serve kept for it (breakTT TT9: the failure was dropped with a warning).
      if (Owes(stem) || ::access(launcher_.CopyOf(stem).c_str(), R_OK) != 0) {
        said.push_back("warning: " + file + " is not a failure serve owes (damaged?): removed");
        ::unlink(file.c_str());
        continue;
      }
      said.push_back("warning: " + file + " is damaged: run " + stem +
                     " is owed as one that died with serve, from its runbook's copy");
      body = Value(Value::Map{{"run_id", Value(stem)},
                              {"exit_code", Value(static_cast<int64_t>(kDiedWithServe))},
                              {"file", Value(launcher_.CopyOf(stem))}});
      code = body.value().Find("exit_code");
      id = stem;
    }
    if (Owes(id)) continue;
    Owed& owed = owed_[id];
    owed.run.run_id = id;
    owed.run.runbook = Text(body.value(), "runbook");
    owed.run.file = Text(body.value(), "file");
    owed.run.resumes = Text(body.value(), "resumes");
    const Value* cancelled = body.value().Find("cancelled");
    owed.run.cancelled = cancelled != nullptr && cancelled->is_bool() && cancelled->as_bool();
    const Value* stopped = body.value().Find("stopped");
    owed.run.stopped = stopped != nullptr && stopped->is_bool() && stopped->as_bool();
    if (const Value* trigger = body.value().Find("trigger");
        trigger != nullptr && trigger->is_map())
      owed.run.trigger = *trigger;  // a run that never began is recorded with its caller
    owed.run.set_names = StringsOf(body.value().Find("set_params"));
    owed.run.log = launcher_.LogOf(id);
    owed.exit_code = static_cast<int>(code->as_int());
    said.push_back("run " + id +
                   (OnlyRecord(owed)
                        ? ": what the store could not take when it happened was owed when serve "
                          "stopped: it is recorded now"
                    : owed.run.cancelled
                        ? ": its end (a cancel: nothing to send) was owed when serve stopped: it "
                          "is recorded now"
                        : ": its failure was owed when serve stopped: what was not sent yet is "
                          "sent now"));
    auto more = Start(owed, now);
    said.insert(said.end(), more.begin(), more.end());
  }
  return said;
}

std::vector<std::string> OwedFailures::Tick(Time now) {
  std::vector<std::string> said;
  for (const auto& [pid, code] : launcher_.EndedHelpers()) {
    auto it = std::find_if(owed_.begin(), owed_.end(),
                           [pid = pid](const auto& o) { return o.second.helper == pid; });
    if (it == owed_.end()) continue;
    Owed& owed = it->second;
    owed.helper = -1;
    const std::string& id = owed.run.run_id;
    if (code == 0 || code == 2) {
      if (code == 2)  // breakLL LL4: a runbook invalid before its run started
        said.push_back("run " + id + ": " + Owing(owed.run, OnlyRecord(owed)) +
                       " did not finish (exit 2): see " + owed.run.log);
      Settle(id);
      continue;
    }
    if (owed.attempts >= kMaxAttempts) {
      said.push_back("run " + id + ": " + Owing(owed.run, OnlyRecord(owed)) +
                     " did not finish after " + std::to_string(owed.attempts) +
                     " attempts (last exit " + std::to_string(code) + "): given up, see " +
                     owed.run.log);
      Settle(id);
      continue;
    }
    owed.due = now + DelayAfter(owed.attempts, first_delay_);
    said.push_back("run " + id + ": " + Owing(owed.run, OnlyRecord(owed)) +
                   " has not finished (exit " + std::to_string(code) + "): tried again in " +
                   std::to_string((DelayAfter(owed.attempts, first_delay_).count() + 999) / 1000) +
                   " s, see " + owed.run.log);
  }
  for (auto& [id, owed] : owed_) {
    if (owed.helper >= 0 || owed.due > now) continue;
    auto more = Start(owed, now);
    said.insert(said.end(), more.begin(), more.end());
  }
  return said;
}

void OwedFailures::Settle(const std::string& run_id) {
  ::unlink(FileOf(run_id).c_str());
  launcher_.Forget(run_id);
  launcher_.RemoveUnfinishedWrites(run_id);  // a run that may have died may have left some
  owed_.erase(run_id);
}

}  // namespace runbook
