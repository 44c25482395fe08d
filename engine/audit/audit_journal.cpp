#include "engine/audit/audit_journal.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "engine/audit/unrecorded.h"
#include "engine/calls.h"
#include "engine/process_tree.h"
#include "engine/util/clock.h"
#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/proc_identity.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

constexpr size_t kTailBytes = 4096;  // captured output kept per attempt

std::string Tail(const std::string& text) {
  if (text.size() <= kTailBytes) return text;
  return "[... " + std::to_string(text.size() - kTailBytes) + " bytes before]\n" +
         text.substr(text.size() - kTailBytes);
}

Value Ms(Millis m) { return Value(static_cast<int64_t>(m.count())); }
Value OptMs(const std::optional<Millis>& m) { return m ? Ms(*m) : Value(); }

std::string ReadLine(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return Trim(line);
}

std::string PackedRef(const std::filesystem::path& git, const std::string& ref) {
  std::ifstream in(git / "packed-refs");
  std::string line;
  while (std::getline(in, line)) {
    if (EndsWith(line, " " + ref)) return line.substr(0, line.find(' '));
  }
  return {};
}

// The steps with their types and needs, so reports can draw the DAG without the file.
Value GraphValue(const Runbook& rb) {
  Value::List steps;
  for (const StepDecl& s : rb.steps) {
    Value::List needs;
    for (const std::string& n : s.needs) needs.push_back(Value(n));
    steps.push_back(Value(Value::Map{{"id", Value(s.id)},
                                     {"name", Value(s.OwnName())},
                                     {"uses", Value(s.uses)},
                                     {"finally", Value(s.is_finally)},
                                     {"needs", Value(std::move(needs))}}));
  }
  return Value(std::move(steps));
}

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

}  // namespace

std::string GitCommitOf(const std::string& path) {
  std::error_code ec;
  auto dir = std::filesystem::absolute(path, ec).parent_path();
  for (; !dir.empty(); dir = dir.parent_path()) {
    auto git = dir / ".git";
    if (std::filesystem::is_directory(git, ec)) {
      std::string head = ReadLine(git / "HEAD");
      if (!StartsWith(head, "ref: ")) return head;
      std::string ref = head.substr(5);
      std::string commit = ReadLine(git / ref);
      return commit.empty() ? PackedRef(git, ref) : commit;
    }
    if (dir == dir.root_path()) break;
  }
  return {};
}

namespace {

// `v` with every string longer than `max` bytes cut at a UTF-8 boundary at or below `max`
// and followed by what was cut (kRecordedParamBytes).
Value CutLongStrings(const Value& v, size_t max) {
  if (v.is_string()) {
    const std::string& text = v.as_string();
    if (text.size() <= max) return v;
    return Value(text.substr(0, Utf8CutAt(text, max)) + "... [cut by runbook: " +
                 std::to_string(text.size()) + " bytes in all, sha256 " + Sha256Hex(text) + "]");
  }
  if (v.is_list()) {
    Value::List out;
    for (const Value& x : v.as_list()) out.push_back(CutLongStrings(x, max));
    return Value(std::move(out));
  }
  if (v.is_map()) {
    Value::Map out;
    for (const auto& [k, x] : v.as_map()) out[k] = CutLongStrings(x, max);
    return Value(std::move(out));
  }
  return v;
}

}  // namespace

Status AuditJournal::Append(const std::string& kind, const std::string& step, int64_t attempt,
                            Value::Map body, size_t cut_strings) {
  Value v(std::move(body));
  if (redactor_ != nullptr) v = redactor_->Apply(v);  // before any cut: no piece of a secret
  if (cut_strings > 0) v = CutLongStrings(v, cut_strings);
  if (grouping_) {
    pending_.push_back({kind, step, attempt, std::move(v)});
    return Status::Ok();
  }
  return Commit({{kind, step, attempt, std::move(v)}});
}

Status AuditJournal::CommitGroup() {
  grouping_ = false;
  std::vector<AuditStore::NewEvent> events;
  events.swap(pending_);
  return Commit(events);
}

Status AuditJournal::Commit(const std::vector<AuditStore::NewEvent>& events) {
  if (failed_) {  // the store is not asked again (keep_after_failure_)
    if (keep_after_failure_ && Keep(events)) (void)SyncUnrecorded(context_.unrecorded);
    return *failed_;
  }
  const auto began = std::chrono::steady_clock::now();
  // In context_.unrecorded until the store has them (breakYY YY3): the size to cut back to.
  const std::optional<int64_t> kept = Keep(events);
  bool synced = false;
  for (bool waited = false;; waited = true) {  // a busy store rolled it back: nothing written
    Status s = store_.AppendAll(run_id_, events);
    if (s.busy() && kept && !std::exchange(synced, true)) (void)SyncUnrecorded(context_.unrecorded);
    if (s.ok() && kept) (void)Unkeep(context_.unrecorded, *kept);
    if (s.ok() || !s.busy() || !context_.wait_out_busy || !context_.wait_out_busy(begun_)) {
      if (waited)
        busy_waited_ +=
            std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - began);
      if (!s.ok()) {
        failed_ = s;
        keep_after_failure_ = s.busy() && kept.has_value();
      }
      return s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::optional<int64_t> AuditJournal::Keep(const std::vector<AuditStore::NewEvent>& events) {
  if (context_.unrecorded.empty() || !begun_) return std::nullopt;  // before: nothing happened
  auto size =
      KeepUnrecorded(context_.unrecorded, run_id_, events, FormatUtc(SystemClock().WallNow()));
  if (size.ok()) return size.value();
  std::cerr << "runbook: warning: " << size.status().message()
            << " (were this process killed while it waits for the store, what it did would "
               "not be recorded)\n";
  return std::nullopt;
}

namespace {

Value ConfirmedReruns(const RunContext& c) {
  Value::List list;
  for (const auto& [step, how] : c.reruns_confirmed)
    list.push_back(
        Value(Value::Map{{"step", Value(step)}, {"by", Value(c.user)}, {"how", Value(how)}}));
  return Value(std::move(list));
}

}  // namespace

namespace {

// A path field of run_started: its text, and when its bytes are not UTF-8 (JSON cannot hold
// them; the text then has U+FFFD) the bytes themselves in hex as `<key>_hex`, so resume finds
// the very file (breakU U3). RunRecord::Path reads it back.
void PutPath(Value::Map& body, const std::string& key, const std::string& path) {
  body[key] = Value(path);
  if (FindInvalidUtf8(path) == std::string::npos) return;
  body[key + "_hex"] = Value(HexEncode(path));
}

}  // namespace

Status AuditJournal::RunStarted(const Runbook& rb, const std::string& run_id,
                                const Value::Map& params, const Redactor& redactor) {
  run_id_ = run_id;
  redactor_ = &redactor;
  ProcessIdentity me = SelfIdentity();
  Value::Map objectives{{"rto_ms", OptMs(rb.rto_objective)}, {"rpo_ms", OptMs(rb.rpo_objective)}};
  // Parameters whose value holds a secret's text are recorded masked: a resume must be given
  // them again (cli/resume_cmd.cpp), since "***" is not the value the run had.
  std::vector<std::string> masked;
  Value::Map recorded, fingerprints;  // a masked value's keyed fingerprint (breakN N5, O15)
  for (const auto& [name, value] : params) {
    recorded[name] = redactor.Apply(value);
    if (recorded[name] == value) continue;
    masked.push_back(name);
    fingerprints[name] = Value(Keyed().Fingerprint(ToJson(value)));
  }
  for (const std::string& name : context_.withheld_params) {
    if (std::find(masked.begin(), masked.end(), name) == masked.end()) masked.push_back(name);
    auto mask = context_.withheld_masks.find(name);
    recorded[name] = mask != context_.withheld_masks.end() ? mask->second : Value(kMask);
    if (auto print = context_.withheld_fingerprints.find(name);
        print != context_.withheld_fingerprints.end())
      fingerprints[name] = print->second;
  }
  // A list's or a map's numbers written as text JSON has no form for (`3.10`, `1e3`, `0755`):
  // their text beside them, so a resume gets the values the run had (break24a C1).
  Value::Map written = TextsAsSent(recorded);
  Value::Map body{
      {"runbook", Value(rb.name)},
      {"kind", Value(rb.kind)},
      {"runbook_sha256", Value(context_.runbook_sha256)},
      {"params", Value(std::move(recorded))},
      {"params_written", Value(std::move(written))},
      {"masked_params", StringsValue(masked)},
      {"masked_param_fingerprints", Value(std::move(fingerprints))},
      {"objectives", Value(std::move(objectives))},
      {"user", Value(context_.user)},
      {"uid", Value(int64_t{::getuid()})},  // the account it runs as (breakP P3, P10)
      {"host", Value(me.host)},
      {"pid", Value(int64_t{me.pid})},
      {"pid_start", Value(me.start)},
      {"tracking_prefix", Value(TrackingPrefix())},
      {"engine_version", Value(RUNBOOK_VERSION)},
      {"git_commit", Value(context_.git_commit)},
      {"resumed_from", Value(context_.resumed_from)},
      {"continues", StringsValue(context_.continues)},
      {"incident_started_at", Value(context_.incident_started_at)},
      {"lock", Value(context_.lock)},
      {"prior_approval_wait_ms", Value(context_.prior_approval_wait_ms)},
      {"ended_leftovers", StringsValue(context_.ended_leftovers)},
      {"continue_options", StringsValue(context_.continue_options)},
      {"reruns_confirmed", ConfirmedReruns(context_)},
      {"adopted_from", Value(context_.adopted_from)},
      {"graph", GraphValue(rb)},
  };
  // The runbooks it uses (engine/calls.h), each file's sha256: a resume finds one edited.
  if (Value::Map uses = UsesSha256(rb); !uses.empty()) body["uses_sha256"] = Value(std::move(uses));
  if (!context_.trigger.is_null()) body["trigger"] = context_.trigger;
  if (!context_.lost_params.empty()) body["lost_params"] = StringsValue(context_.lost_params);
  if (!context_.requested_at.empty())
    body["recorded_late"] = Value(Value::Map{{"happened_at", Value(context_.requested_at)}});
  PutPath(body, "path", AbsolutePath(rb.path()));
  PutPath(body, "base", context_.base);
  PutPath(body, "base_real", context_.base_real);
  // Where what it does waits while the store is locked: whoever marks it interrupted records
  // that first (AuditStore::MarkInterrupted; breakZZ ZZ3).
  if (!context_.unrecorded.empty()) PutPath(body, "unrecorded", AbsolutePath(context_.unrecorded));
  Status s = Append("run_started", "", 0, std::move(body));
  // Begun: its later records (its cancelled end too) wait the busy timeout after a cancel;
  // only what the caller says (a second Ctrl-C) cuts them short.
  if (s.ok()) {
    begun_ = true;
    store_.StopLockWaitsWhen(context_.stop_waits_once_begun);
  }
  return s;
}

const Redactor& AuditJournal::Keyed() {
  if (!keyed_) {
    keyed_ = *redactor_;
    auto key = store_.FingerprintKey(true);  // none: a resume compares masks instead
    keyed_->SetFingerprintKey(key.ok() ? key.value() : std::string());
  }
  return *keyed_;
}

std::string AuditJournal::Fingerprint(const std::string& text) {
  return redactor_ != nullptr ? Keyed().Fingerprint(text) : std::string();
}

Status AuditJournal::AttemptStarted(const StepDecl& step, int attempt, const Value& params,
                                    const Value::Map& path_fingerprints,
                                    const std::string& params_fingerprint) {
  // `idempotent` is recorded for the resume and `show` (breakM M14): whether a step stopped
  // mid-way may run again without the operator's word is decided by what the step was.
  Value::Map body{{"type", Value(step.uses)},
                  {"params", params},
                  {"idempotent", Value(step.Idempotent(params))}};
  if (!path_fingerprints.empty()) body["masked_path_fingerprints"] = Value(path_fingerprints);
  if (!params_fingerprint.empty()) body["masked_params_fingerprint"] = Value(params_fingerprint);
  if (!step.OwnName().empty()) body["name"] = Value(step.OwnName());  // breakFF F3
  return Append("attempt_started", step.id, attempt, std::move(body), kRecordedParamBytes);
}

Status AuditJournal::AttemptFinished(const StepDecl& step, const AttemptRecord& a,
                                     const StepRun& run) {
  Value::Map body{
      {"status", Value(AttemptStatusName(a.status))},
      {"exit_code", a.exit_code ? Value(int64_t{*a.exit_code}) : Value()},
      {"error", Value(a.error)},
      {"duration_ms", Ms(a.duration)},
      {"outputs", Value(a.outputs)},
      {"stdout_tail", Value(Tail(run.stdout_text))},
      {"stderr_tail", Value(Tail(run.stderr_text))},
      {"output_tail", Value(run.output_tail)},
  };
  if (!a.began) body["began"] = Value(false);  // nothing of it ran (AttemptRecord::began)
  if (!a.ended_processes.empty()) {            // runbook's notes, apart from the tool's stderr
    Value::List ended;
    for (const std::string& line : a.ended_processes) ended.push_back(Value(line));
    body["ended_processes"] = Value(std::move(ended));
  }
  if (!a.log_lines.empty()) {  // the step's notes (issue 14 #4: `show` prints them)
    Value::List log;
    for (const std::string& line : a.log_lines) log.push_back(Value(line));
    body["log"] = Value(std::move(log));
    if (a.log_lines_dropped > 0)
      body["log_dropped"] = Value(static_cast<int64_t>(a.log_lines_dropped));
  }
  Status s = Append("attempt_finished", step.id, a.number, std::move(body));
  if (!s.ok() || a.approved_by.empty()) return s;
  Value::Map inputs = a.outputs;
  inputs.erase("approved_by");
  Value::Map approval{{"by", Value(a.approved_by)},
                      {"inputs", Value(std::move(inputs))},
                      {"waited_ms", Ms(a.waited)}};
  return Append("approval", step.id, a.number, std::move(approval));
}

Status AuditJournal::StepFinished(const StepDecl& step, const StepRun& run) {
  Value::Map body{
      {"type", Value(step.uses)},
      {"outcome", Value(OutcomeName(run.outcome))},
      {"reason", Value(run.reason)},
      {"attempts", Value(static_cast<int64_t>(run.attempts.size()))},
      {"duration_ms", Ms(run.duration())},
      {"waited_ms", Ms(run.waited)},
      {"outputs", Value(run.outputs)},
      {"masked_outputs", StringsValue({run.masked_outputs.begin(), run.masked_outputs.end()})},
      {"tolerated", Value(run.tolerated)},
      {"restored_from", Value(run.restored_from)},
  };
  if (Value::Map written = WrittenTexts(run.outputs); !written.empty())
    body["outputs_written"] = Value(std::move(written));
  if (Value::Map nested = NestedWrittenTexts(run.outputs); !nested.empty())
    body["outputs_written_nested"] = Value(std::move(nested));
  if (run.restored_finished_at)
    body["restored_finished_at"] = Value(FormatUtc(*run.restored_finished_at));
  if (!step.OwnName().empty()) body["name"] = Value(step.OwnName());  // breakFF F3
  if (!run.rerun_needed.empty())
    body["rerun_needed"] = StringsValue({run.rerun_needed.begin(), run.rerun_needed.end()});
  return Append("step_finished", step.id, 0, std::move(body));
}

Status AuditJournal::ResourceStopped(const StepDecl& step, const std::string& name,
                                     const std::string& how) {
  return Append("resource_stopped", step.id, 0, {{"name", Value(name)}, {"how", Value(how)}});
}

namespace {

// Whether an objective was met: null when there is one and nothing measured it (a marked
// step skipped): neither met nor missed (breakGG G11: "met: true" of an RTO never measured).
Value MetValue(bool has_objective, bool known, bool met) {
  return has_objective && !known ? Value() : Value(met);
}

}  // namespace

Status AuditJournal::RunFinished(const RunResult& r) {
  Value rto_met =
      MetValue(r.rto.objective.has_value(), r.rto.measured || r.rto.failed, r.rto.met());
  Value rpo_met = MetValue(r.rpo.objective.has_value(), r.rpo.measured, r.rpo.met());
  Value all = (rto_met.is_bool() && !rto_met.as_bool()) || (rpo_met.is_bool() && !rpo_met.as_bool())
                  ? Value(false)
              : rto_met.is_null() || rpo_met.is_null() ? Value()
                                                       : Value(true);
  Value::Map rto{{"measured", Value(r.rto.measured)},
                 {"elapsed_ms", r.rto.measured ? Ms(r.rto.elapsed) : Value()},
                 {"objective_ms", OptMs(r.rto.objective)},
                 {"approval_wait_ms", Ms(r.rto.approval_wait)},
                 {"met", rto_met},
                 {"note", Value(r.rto.note)}};
  Value::Map rpo{{"measured", Value(r.rpo.measured)},
                 {"age_ms", r.rpo.measured && !r.rpo.future ? Ms(r.rpo.age) : Value()},
                 {"future", Value(r.rpo.future)},
                 {"objective_ms", OptMs(r.rpo.objective)},
                 {"step", Value(r.rpo.step)},
                 {"met", rpo_met}};
  Value::Map body{{"status", Value(r.status)},     {"signal", Value(int64_t{r.signal})},
                  {"duration_ms", Ms(r.duration)}, {"rto", Value(std::move(rto))},
                  {"rpo", Value(std::move(rpo))},  {"objectives_met", all}};
  if (!r.calls.empty()) body["calls"] = Value(r.calls);  // engine/calls.h
  return Append("run_finished", "", 0, std::move(body));
}

Status AuditJournal::OutputSoFar(const StepDecl& step, int attempt, const std::string& text) {
  if (run_id_.empty()) return Status::Ok();
  Status s = store_.KeepOutputSoFar(run_id_, step.id, attempt,
                                    redactor_ != nullptr ? redactor_->Apply(text) : text);
  return s.busy() ? Status::Ok() : s;  // a view of a step at work: the next one is kept
}

Status AuditJournal::Check() {
  Status s = store_.Verify();
  if (!s.ok() || run_id_.empty()) return s;
  s = store_.StillRunning(run_id_);  // a read, each second: a woken run stops at once (M1)
  auto now = std::chrono::steady_clock::now();
  // A store another process holds locked past the busy timeout is looked at again at the
  // next check: this look, like a heartbeat, records none of the run's outcome, and nobody
  // can take the run as gone while nobody can write (breakWW WW2: a run waiting at its gate
  // died at a heartbeat during a 40 s lock, its pending approval lost).
  if (s.busy()) return Status::Ok();
  if (!s.ok() || now < next_heartbeat_) return s;
  s = store_.Heartbeat(run_id_);
  // Tried again 5 s later (each try waits out the busy timeout), within the beat.
  next_heartbeat_ =
      now + (s.busy() ? std::min(context_.heartbeat_every, std::chrono::milliseconds(5000))
                      : context_.heartbeat_every);
  return s.busy() ? Status::Ok() : s;
}

}  // namespace runbook
