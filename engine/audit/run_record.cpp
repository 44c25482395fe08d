#include "engine/audit/run_record.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "engine/audit/chain.h"
#include "engine/audit/run_listing.h"
#include "engine/audit/verify.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

std::string Str(const Value& body, const char* key) {
  const Value* v = body.Find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

int64_t Int(const Value& body, const char* key) {
  const Value* v = body.Find(key);
  return v != nullptr && v->is_number() ? v->as_int() : 0;
}

Value::Map Map(const Value& body, const char* key) {
  const Value* v = body.Find(key);
  return v != nullptr && v->is_map() ? v->as_map() : Value::Map();
}

// The strings of list `key` (other items left out).
std::vector<std::string> Strings(const Value& body, const char* key) {
  std::vector<std::string> out;
  if (const Value* list = body.Find(key); list && list->is_list())
    for (const Value& item : list->as_list())
      if (item.is_string()) out.push_back(item.as_string());
  return out;
}

// When what `e` records happened: its time, or for one recorded late (engine/audit/
// unrecorded.h) the time the run meant to record it (breakZZ ZZ8).
std::string HappenedAt(const AuditEvent& e, const Value& body) {
  const Value* late = body.Find("recorded_late");
  const Value* at = late != nullptr ? late->Find("happened_at") : nullptr;
  return at != nullptr && at->is_string() && !at->as_string().empty() ? at->as_string() : e.at;
}

StepView& StepOf(RunRecord& r, const std::string& id) {
  for (StepView& s : r.steps)
    if (s.id == id) return s;
  r.steps.push_back({});
  r.steps.back().id = id;
  return r.steps.back();
}

void Apply(RunRecord& r, const AuditEvent& e, const Value& body) {
  if (e.kind == "run_started") {
    r.started = body;
    r.started_at = HappenedAt(e, body);  // a run that never began: its request (breakBB BB2)
    r.status = "running";
    if (const Value* reruns = body.Find("reruns_confirmed"); reruns && reruns->is_list())
      for (const Value& c : reruns->as_list())
        r.approvals.push_back(
            {Str(c, "step"), Str(c, "by"), e.at, 0, Value::Map(), e.run_id, Str(c, "how")});
    for (std::string& line : Strings(body, "ended_leftovers"))
      r.ended_leftovers.push_back(std::move(line));
  } else if (e.kind == "attempt_started") {
    StepView& s = StepOf(r, e.step);
    s.type = Str(body, "type");
    s.name = Str(body, "name");
    s.idempotent = body.Find("idempotent") ? *body.Find("idempotent") : Value();
    AttemptView a;
    a.number = static_cast<int>(e.attempt);
    a.started_at = e.at;
    a.params = Map(body, "params");
    a.path_fingerprints = Map(body, "masked_path_fingerprints");
    // Records made before the field (the key "" of the paths' map) prove nothing: the
    // decision is asked again, the safe side (engine/executor.cpp DecisionStands).
    a.params_fingerprint = Str(body, "masked_params_fingerprint");
    s.attempts.push_back(std::move(a));
  } else if (e.kind == "attempt_finished") {
    StepView& s = StepOf(r, e.step);
    if (s.attempts.empty() || s.attempts.back().number != e.attempt) return;
    AttemptView& a = s.attempts.back();
    a.finished_at = HappenedAt(e, body);
    a.status = Str(body, "status");
    a.began = !(body.Find("began") != nullptr && body.Find("began")->is_bool() &&
                !body.Find("began")->as_bool());
    a.exit_code = body.Find("exit_code") ? *body.Find("exit_code") : Value();
    a.error = Str(body, "error");
    a.duration_ms = Int(body, "duration_ms");
    a.outputs = Map(body, "outputs");
    a.stdout_tail = Str(body, "stdout_tail");
    a.stderr_tail = Str(body, "stderr_tail");
    a.output_tail = Str(body, "output_tail");
    for (std::string& line : Strings(body, "ended_processes"))
      a.ended_processes.push_back(std::move(line));
    for (std::string& line : Strings(body, "log")) a.log_lines.push_back(std::move(line));
    a.log_dropped = Int(body, "log_dropped");
  } else if (e.kind == "approval") {
    r.approvals.push_back({e.step, Str(body, "by"), HappenedAt(e, body), Int(body, "waited_ms"),
                           Map(body, "inputs"), e.run_id, ""});
    for (const AttemptView& a : StepOf(r, e.step).attempts)  // the attempt it answered
      if (a.number == e.attempt && a.params.count("prompt"))
        r.approvals.back().prompt = a.params.at("prompt").ToText();
  } else if (e.kind == "step_finished") {
    StepView& s = StepOf(r, e.step);
    if (s.type.empty()) s.type = Str(body, "type");
    if (s.name.empty()) s.name = Str(body, "name");
    s.outcome = Str(body, "outcome");
    s.reason = Str(body, "reason");
    s.finished_at = HappenedAt(e, body);
    s.passed_at = Str(body, "restored_finished_at");
    if (s.passed_at.empty()) s.passed_at = s.finished_at;
    s.duration_ms = Int(body, "duration_ms");
    s.outputs = Map(body, "outputs");
    RestoreWritten(s.outputs, Map(body, "outputs_written"));
    RestoreNestedWritten(s.outputs, Map(body, "outputs_written_nested"));
    s.masked_outputs = Strings(body, "masked_outputs");
    s.rerun_needed = Strings(body, "rerun_needed");
    s.restored_from = Str(body, "restored_from");
  } else if (e.kind == "resource_stopped") {
    StepOf(r, e.step).stopped = Str(body, "name") + ": " + Str(body, "how");
  } else if (e.kind == "run_finished") {
    r.approvals_waiting.clear();  // a run that ended waits for nothing
    r.finished = body;
    r.finished_at = HappenedAt(e, body);
    r.status = Str(body, "status");
  } else if (e.kind == "approval_waiting") {
    r.approvals_waiting.push_back(body);
  } else if (e.kind == "approval_answer") {
    std::string step = Str(body, "step");
    auto& w = r.approvals_waiting;
    w.erase(
        std::remove_if(w.begin(), w.end(), [&](const Value& v) { return Str(v, "step") == step; }),
        w.end());
  } else if (e.kind == "notification") {
    r.notifications.push_back(body);
  } else if (e.kind == "run_interrupted") {
    r.approvals_waiting.clear();  // its resume waits instead
    r.status = "interrupted";
    r.finished_at = e.at;
    r.interrupted_reason = Str(body, "reason");
  }
}

}  // namespace

const StepView* RunRecord::FindStep(const std::string& id) const {
  for (const StepView& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

std::string RunRecord::Text(const char* key) const { return Str(started, key); }

std::string RunRecord::Path(const char* key) const {
  std::string hex = Str(started, (std::string(key) + "_hex").c_str());
  if (hex.empty() || hex.size() % 2 != 0) return Text(key);
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto digit = [](char c) { return c <= '9' ? c - '0' : std::tolower(c) - 'a' + 10; };
    if (!std::isxdigit(static_cast<unsigned char>(hex[i])) ||
        !std::isxdigit(static_cast<unsigned char>(hex[i + 1])))
      return Text(key);
    bytes += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
  }
  return bytes;
}

Status RecordedByEvents(const RunRecord& r) {
  if (r.started.is_map()) return Status::Ok();
  return Status::Error("the runs index lists run " + Printable(r.run_id) +
                       ", but no chained event records it (a row added by hand, or its events "
                       "deleted): the store was altered; check it with runbook audit verify");
}

Result<RunRecord> LoadRunRecord(AuditStore& store, const std::string& id) {
  auto row = store.FindRun(id);
  if (!row.ok()) return row.status();
  auto events = store.RunEvents(row.value().run_id);
  if (!events.ok()) return events.status();
  RunRecord r;
  r.run_id = row.value().run_id;
  for (const AuditEvent& e : events.value()) {
    auto body = ParseJson(e.body);
    if (!body.ok()) {
      return Status::Error("event " + std::to_string(e.seq) + " has a body that is not JSON");
    }
    Apply(r, e, body.value());
    if (r.altered_seq == 0 && EventHash(e) != e.hash) r.altered_seq = e.seq;
    ++r.events;
    if (r.first_seq == 0) r.first_seq = e.seq;
    r.last_seq = e.seq;
    r.last_hash = e.hash;
  }
  auto kept = store.OutputsSoFar(r.run_id);
  if (!kept.ok()) return kept.status();
  for (StepView& s : r.steps)
    for (AttemptView& a : s.attempts)
      if (auto it = kept.value().find({s.id, a.number});
          it != kept.value().end() && a.finished_at.empty()) {
        a.output_so_far = it->second.text;
        a.output_so_far_at = it->second.at;
      }
  return r;
}

Status CarryMeasurements(AuditStore& store, RunRecord& r) {
  std::map<std::string, RunRecord> ran_in;  // each earlier run read once
  for (StepView& s : r.steps) {
    if (s.restored_from.empty() || s.restored_from == r.run_id || !s.attempts.empty()) continue;
    auto it = ran_in.find(s.restored_from);
    if (it == ran_in.end()) {
      auto earlier = LoadRunRecord(store, s.restored_from);
      if (!earlier.ok())
        return Status::Error("run " + s.restored_from + ": " + earlier.status().message());
      it = ran_in.emplace(s.restored_from, std::move(earlier).value()).first;
    }
    const StepView* there = it->second.FindStep(s.id);
    if (there == nullptr) continue;
    s.attempts = there->attempts;
    for (AttemptView& a : s.attempts) a.run_id = s.restored_from;
    s.duration_ms = there->duration_ms;
  }
  return Status::Ok();
}

std::optional<uid_t> RecordedUid(const RunRecord& r) {
  const Value* uid = r.started.is_map() ? r.started.Find("uid") : nullptr;
  if (uid == nullptr || !uid->is_number() || uid->as_int() < 0) return std::nullopt;
  return static_cast<uid_t>(uid->as_int());
}

std::map<std::string, std::string> RecordedParamTexts(const RunRecord& r, bool json) {
  std::map<std::string, std::string> out;
  const Value* params = r.started.Find("params");
  if (params == nullptr || !params->is_map()) return out;
  const Value* written = r.started.Find("params_written");
  for (const auto& [name, value] : params->as_map()) {
    const Value* text = written != nullptr ? written->Find(name) : nullptr;
    out[name] = text != nullptr && text->is_string() ? text->as_string()
                : json                               ? ToJson(value)
                                                     : value.ToText();
  }
  return out;
}

std::string FinishedText(const RunRecord& r) {
  if (r.finished_at.empty()) return "";
  if (r.status != "interrupted") return r.finished_at;
  std::string last = r.started_at;  // UTC text of one format: ordered as text
  for (const StepView& s : r.steps) {
    last = std::max(last, s.finished_at);
    for (const AttemptView& a : s.attempts)
      last = std::max({last, a.started_at, a.finished_at, a.output_so_far_at});
  }
  return "never: its process was found gone at " + r.finished_at +
         " by a later command; the last thing recorded of it is from " + last;
}

Status LoadRunChain(AuditStore& store, RunRecord& r) {
  constexpr int kMaxLinks = 1000;  // a cycle cannot be written, but never loop on one
  // Back through each run's own run_started event, which the hash chain holds, not through
  // the runs index, which it does not (breakGG G8: clearing runs.resumed_from hid the earlier
  // runs and their approvals from the report).
  // Each run's row folded from its events too, not read from the index (breakHH HH2: an
  // edited row showed an earlier run "cancelled, 1m39s"); where the index says otherwise, the
  // report says so (breakGG G6).
  std::vector<RunRow> back;
  std::map<std::string, RunRecord> records;  // each run of the chain, read once
  auto chained = [&](const std::string& id) -> Result<RunRow> {
    auto listed = ListedRunOf(store, id);
    if (!listed.ok()) return listed.status();
    if (!listed.value().altered.empty())
      r.chain_problem += (r.chain_problem.empty() ? "" : "; ") +
                         std::string("the store's runs index disagrees with the events of run ") +
                         id + " (" + Join(listed.value().altered, "; ") +
                         "): events may have been deleted from the end of the chain, or the "
                         "index edited";
    return listed.value().row;
  };
  auto row = chained(r.run_id);
  std::string prev = r.Text("resumed_from");
  for (int i = 0; row.ok() && i < kMaxLinks; ++i) {
    back.push_back(std::move(row).value());
    if (prev.empty()) break;
    row = chained(prev);
    if (!row.ok()) break;
    auto earlier = LoadRunRecord(store, prev);
    if (!earlier.ok()) return Status::Error("run " + prev + ": " + earlier.status().message());
    std::string id = prev;
    prev = earlier.value().Text("resumed_from");
    records.emplace(id, std::move(earlier).value());
  }
  if (!row.ok()) return Status::Error("the runs this one resumes: " + row.status().message());
  r.run_chain.assign(back.rbegin(), back.rend());
  for (int i = 0; i < kMaxLinks; ++i) {
    auto next = store.FirstResumeOf(r.run_chain.back().run_id);
    if (!next.ok()) return Status::Error("the runs resuming this one: " + next.status().message());
    if (next.value().empty()) break;
    auto forward = chained(next.value());
    if (!forward.ok())
      return Status::Error("run " + next.value() + ": " + forward.status().message());
    r.run_chain.push_back(std::move(forward).value());
  }
  std::vector<ApprovalView> earlier;
  bool after = false;
  for (RunRow& run : r.run_chain) {
    if (run.run_id == r.run_id) {
      run.runbook_sha256 = r.Text("runbook_sha256");
      run.end_text = FinishedText(r);
      after = true;
      continue;
    }
    auto it = records.find(run.run_id);
    if (it == records.end()) {  // a run resuming this one
      auto other = LoadRunRecord(store, run.run_id);
      if (!other.ok()) return Status::Error("run " + run.run_id + ": " + other.status().message());
      it = records.emplace(run.run_id, std::move(other).value()).first;
    }
    run.runbook_sha256 = it->second.Text("runbook_sha256");
    run.end_text = FinishedText(it->second);
    if (after) continue;
    for (ApprovalView& a : it->second.approvals) earlier.push_back(std::move(a));
  }
  r.approvals.insert(r.approvals.begin(), earlier.begin(), earlier.end());
  if (Status s = CarryMeasurements(store, r); !s.ok()) return s;
  auto tip = store.Tip();
  if (!tip.ok()) return tip.status();
  r.store_path = store.path();
  r.store_head_seq = tip.value().first;
  r.store_head_hash = tip.value().second;
  return Status::Ok();
}

Value RunRowValue(const RunRow& r) {
  auto opt = [](const std::optional<int64_t>& v) { return v ? Value(*v) : Value(); };
  return Value(Value::Map{{"run_id", Value(r.run_id)},
                          {"runbook", Value(r.runbook)},
                          {"kind", Value(r.kind)},
                          {"status", Value(r.status)},
                          {"started_at", Value(r.started_at)},
                          {"finished_at", Value(r.finished_at)},
                          {"duration_ms", opt(r.duration_ms)},
                          {"rto_ms", opt(r.rto_ms)},
                          {"rto_objective_ms", opt(r.rto_objective_ms)},
                          {"rpo_ms", opt(r.rpo_ms)},
                          {"rpo_objective_ms", opt(r.rpo_objective_ms)},
                          {"objectives_met", r.objectives_met ? Value(*r.objectives_met) : Value()},
                          {"resumed_from", Value(r.resumed_from)}});
}

Status NoteChainProblem(AuditStore& store, RunRecord& r) {
  auto verified = VerifyChain(store, "");
  std::string broken = !verified.ok()
                           ? "the chain could not be checked: " + verified.status().message()
                       : verified.value().ok ? std::string()
                                             : verified.value().problem;
  if (!broken.empty())
    r.chain_problem = broken + (r.chain_problem.empty() ? "" : "; ") + r.chain_problem;
  return verified.ok() ? Status::Ok() : verified.status();
}

}  // namespace runbook
