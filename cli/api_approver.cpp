#include "cli/api_approver.h"

#include <algorithm>
#include <iostream>
#include <thread>

#include "cli/approver.h"
#include "engine/audit/store.h"
#include "engine/util/json.h"
#include "engine/util/time_format.h"
#include "serve/approval_answer.h"

namespace runbook {
namespace {

Value InputsValue(const ApprovalRequest& req) {
  Value::List out;
  for (const ParamSpec& p : req.inputs) {
    Value::List allowed;
    for (const std::string& v : p.enum_values) allowed.push_back(Value(req.Shown(v)));
    out.push_back(Value(Value::Map{
        {"name", Value(p.name)},
        {"type", Value(ParamTypeName(p.type))},
        {"description", Value(req.Shown(p.doc))},
        {"required", Value(p.required)},
        {"default",
         p.default_value.is_null() ? Value() : Value(req.Shown(p.default_value.ToText()))},
        {"enum", Value(std::move(allowed))}}));
  }
  return Value(std::move(out));
}

// The answer recorded for `step` after event `after` (a seq), if any.
std::optional<Value> AnswerAfter(AuditStore& store, const std::string& run_id,
                                 const std::string& step, int64_t after) {
  auto events = store.RunEventsAfter(run_id, after, "approval_answer");
  if (!events.ok()) return std::nullopt;
  for (const AuditEvent& e : events.value()) {
    auto body = ParseJson(e.body);
    if (body.ok() && body.value().Find("step") != nullptr &&
        body.value().Find("step")->ToText() == step)
      return body.value();
  }
  return std::nullopt;
}

// An answer to `step` recorded in `run_id` after the gate last waited there and never taken
// up (the gate did not end there: serve was killed between the answer and the run reading
// it). nullopt when none; `waited` tells whether the gate waited in that run at all.
std::optional<Value> UntakenAnswer(AuditStore& store, const std::string& run_id,
                                   const std::string& step, bool& waited) {
  auto events = store.RunEvents(run_id);
  if (!events.ok()) return std::nullopt;
  std::optional<Value> answer;
  waited = false;
  for (const AuditEvent& e : events.value()) {
    if (e.step != step && e.kind != "approval_answer") continue;
    if (e.kind == "approval_waiting") {
      waited = true;
      answer.reset();
    } else if (e.kind == "approval_answer") {
      auto body = ParseJson(e.body);
      if (body.ok() && body.value().Find("step") != nullptr &&
          body.value().Find("step")->ToText() == step)
        answer = body.value();
    } else if (e.kind == "attempt_finished" || e.kind == "step_finished") {
      answer.reset();  // taken up there
    }
  }
  return answer;
}

}  // namespace

ApiApprover::ApiApprover(std::string audit_db, std::string run_id,
                         std::vector<std::string> continues, Display& display, const Clock& clock,
                         std::function<void(const std::string&)> on_waiting)
    : audit_db_(std::move(audit_db)),
      run_id_(std::move(run_id)),
      continues_(std::move(continues)),
      display_(display),
      clock_(clock),
      on_waiting_(std::move(on_waiting)) {}

Millis ApiApprover::WaitedBefore(AuditStore& store, const std::string& step) const {
  std::optional<Clock::Wall> first;
  for (const std::string& earlier : continues_) {
    auto events = store.RunEvents(earlier);
    if (!events.ok()) break;
    std::optional<Clock::Wall> waited_at;
    bool ended = false;
    for (const AuditEvent& e : events.value()) {
      if (e.step != step) continue;
      if (e.kind == "approval_waiting" && !waited_at) waited_at = ParseUtc(e.at);
      if (e.kind == "attempt_finished" || e.kind == "step_finished") ended = true;
    }
    if (!waited_at || ended) break;  // the gate began (again) in a later run
    first = waited_at;
  }
  if (!first) return Millis(0);
  return std::max(Millis(0), std::chrono::duration_cast<Millis>(clock_.WallNow() - *first));
}

// The answer given to the run this one continues, never taken up there, recorded again in
// this run (with the run it came from) after its approval_waiting: the waiting loop takes it.
bool ApiApprover::CarryAnswer(AuditStore& store, const std::string& step,
                              const CancelToken& cancel) {
  for (const std::string& earlier : continues_) {
    bool waited = false;
    std::optional<Value> answer = UntakenAnswer(store, earlier, step, waited);
    if (answer) {
      Value::Map body = answer->as_map();
      body["carried_from"] = Value(earlier);
      // A locked store is waited out as for approval_waiting (breakAA AA6: the answer was
      // asked for again); a cancel meanwhile ends the wait, and the run with it.
      Status carried = store.Append(run_id_, "approval_answer", step, 0, Value(body));
      while (carried.busy() && !cancel.cancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        carried = store.Append(run_id_, "approval_answer", step, 0, Value(body));
      }
      if (!carried.ok()) return false;  // asked, then: the answer waits to be given again
      std::cerr << "runbook: approval '" << step << "' was answered in run " << earlier
                << " before it stopped: that answer is taken\n";
      return true;
    }
    if (waited) return false;  // the gate waited there, unanswered: the nearest run decides
  }
  return false;
}

ApprovalAnswer ApiApprover::Ask(const ApprovalRequest& req, const CancelToken& cancel) {
  ApprovalAnswer answer;
  // Cancelled while its start waited for the store: nobody is asked (breakZZ ZZ9: the
  // approvers were paged for a restore already cancelled).
  if (cancel.cancelled()) {
    answer.error = "cancelled before approval was asked";
    return answer;
  }
  auto store = AuditStore::OpenExisting(audit_db_);
  Status waiting = store.status();
  // A store locked past its busy timeout is waited out, as every record of the run is
  // (breakAA AA5: one lock as the gate opened failed the restore, nobody asked); a cancel
  // meanwhile asks nobody.
  for (bool said = false; store.ok(); said = true) {
    waiting = store.value()->Append(run_id_, "approval_waiting", req.step_id, 0,
                                    Value(Value::Map{{"step", Value(req.step_id)},
                                                     {"prompt", Value(req.Shown(req.prompt))},
                                                     {"inputs", InputsValue(req)}}));
    if (!waiting.busy()) break;
    if (cancel.cancelled()) {
      answer.error = "cancelled before approval was asked";
      return answer;
    }
    if (!said)
      std::cerr << "runbook: the audit store is busy: waiting to record that approval '"
                << req.step_id << "' waits\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto tip = waiting.ok() ? store.value()->Tip() : Result<std::pair<int64_t, std::string>>(waiting);
  if (!tip.ok()) {
    answer.error =
        "cannot record that approval '" + req.step_id + "' waits: " + tip.status().message();
    return answer;
  }
  std::cerr << "runbook: approval '" << req.step_id
            << "' waits for an answer through the API (POST /api/v1/runs/" << run_id_
            << "/approvals/" << req.step_id << ")\n";
  // A carried answer is taken at once: nobody is asked (breakTT TT11).
  if (!CarryAnswer(*store.value(), req.step_id, cancel) && !cancel.cancelled() && on_waiting_)
    on_waiting_(req.step_id);
  std::optional<Clock::Mono> deadline = req.deadline;
  if (deadline) *deadline -= WaitedBefore(*store.value(), req.step_id);
  for (;;) {
    if (cancel.cancelled()) {
      answer.error = "cancelled while waiting for approval";
      return answer;
    }
    if (auto got = AnswerAfter(*store.value(), run_id_, req.step_id, tip.value().first)) {
      std::string by = got->Find("by") ? got->Find("by")->ToText() : "api";
      if (got->Find("approve") == nullptr || !got->Find("approve")->as_bool()) {
        answer.error = "declined by " + by + " through the API";
        return answer;
      }
      // The answer's inputs, checked and defaulted as --input values are.
      std::map<std::string, std::string> inputs;
      const Value* given = got->Find("inputs");
      for (const auto& [name, value] : given && given->is_map() ? given->as_map() : Value::Map{})
        inputs[req.step_id + "." + name] = TextAsSent(value);
      CliApprover check(false, {req.step_id}, inputs, display_);
      answer = check.Ask(req, cancel);
      if (answer.approved) {
        answer.by = by;
        answer.how = "api";
      }
      return answer;
    }
    if (deadline && clock_.Now() >= *deadline) {  // counted from its first wait (TT18)
      answer.timed_out = true;
      answer.error = "no answer within the gate's timeout, counted from when it first waited";
      return answer;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace runbook
