#include "cli/continue_line.h"

#include <algorithm>

#include "engine/process_tree.h"
#include "engine/redact.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {

std::string ContinueLine::Command() const {
  std::string line = "runbook resume " + run_id + " --audit-db " + ShellQuote(audit_db);
  for (const std::string& id : reruns) line += " --rerun " + ShellQuote(id);
  if (end_leftovers) line += " --end-leftovers";
  for (const std::string& option : options) line += " " + option;
  for (const std::string& name : give_again) line += " --set " + ShellQuote(name) + "=VALUE";
  return line;
}

bool RerunNeedsConfirming(const StepView& s, const StepType* type) {
  if (!s.stopped_mid_attempt()) return false;
  if (s.idempotent.is_bool()) return !s.idempotent.as_bool();
  return type == nullptr || !type->spec().idempotent;
}

std::string StoppedHow(const StepView& s, const std::string& run_id) {
  if (!s.attempts.empty() && s.attempts.back().status == "timeout")
    return "was stopped mid-way by its timeout in run " + run_id;
  if (s.outcome == "cancelled") return "was stopped mid-way when run " + run_id + " was cancelled";
  return "started in run " + run_id + " and never finished";
}

bool RecordMasked(const StepView& s) {
  if (!s.masked_outputs.empty()) return true;
  if (s.attempts.empty()) return false;
  const AttemptView& a = s.attempts.back();
  return !a.path_fingerprints.empty() || !a.params_fingerprint.empty() ||
         ToJson(Value(a.params)).find(kMask) != std::string::npos;
}

namespace {

// Adds to `ids` the carried steps a step of `r` failed reading the masked outputs of
// (StepView::rerun_needed), those still passed there with outputs masked: what resume's
// --rerun accepts for them (breakQ Q2).
void AddMaskedReads(const RunRecord& r, std::vector<std::string>& ids) {
  for (const StepView& reader : r.steps) {
    for (const std::string& id : reader.rerun_needed) {
      const StepView* s = r.FindStep(id);
      if (s == nullptr || !RecordMasked(*s) || (s->outcome != "success" && s->outcome != "warning"))
        continue;
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
}

}  // namespace

std::vector<std::string> RerunsNeeded(const RunRecord& r, const StepRegistry& registry) {
  std::vector<std::string> ids;
  for (const StepView& s : r.steps)
    if (RerunNeedsConfirming(s, registry.Find(s.type))) ids.push_back(s.id);
  AddMaskedReads(r, ids);
  return ids;
}

std::vector<std::string> RerunsNeeded(const RunRecord& r, const Runbook& rb) {
  std::vector<std::string> ids;
  for (const StepView& s : r.steps)
    if (const StepDecl* d = rb.FindStep(s.id); RerunNeedsConfirming(s, d ? d->type : nullptr))
      ids.push_back(s.id);
  AddMaskedReads(r, ids);
  return ids;
}

bool LeftoversRunning(const RunRecord& r, const Accounts& accounts) {
  return AnyLeftovers(r.Text("tracking_prefix"), accounts);
}

std::vector<std::string> KeptRunOptions(const RunCliOptions& o) {
  std::vector<std::string> kept;
  if (!o.metrics_file.empty()) kept.push_back("--metrics-file " + ShellQuote(o.metrics_file));
  if (!o.sign_key.empty()) kept.push_back("--sign-key " + ShellQuote(o.sign_key));
  if (o.max_parallel > 0) kept.push_back("--max-parallel " + std::to_string(o.max_parallel));
  if (o.wait_lock) kept.push_back("--wait");
  return kept;
}

namespace {

std::vector<std::string> StartedList(const RunRecord& r, const char* key) {
  std::vector<std::string> items;
  if (const Value* list = r.started.Find(key); list && list->is_list())
    for (const Value& item : list->as_list()) items.push_back(item.ToText());
  return items;
}

}  // namespace

std::vector<std::string> RecordedContinueOptions(const RunRecord& r) {
  return StartedList(r, "continue_options");
}

std::vector<std::string> MaskedParams(const RunRecord& r) {
  return StartedList(r, "masked_params");
}

std::vector<std::string> LostParams(const RunRecord& r) { return StartedList(r, "lost_params"); }

}  // namespace runbook
