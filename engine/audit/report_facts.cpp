// The facts the three report formats share: artifacts read from step outputs, the RTO's
// clock, the audit-chain position, the format chosen from a file name.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "engine/audit/report.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

std::string Text(const Value::Map& m, const char* key) {
  auto it = m.find(key);
  return it != m.end() && (it->second.is_string() || it->second.is_number() || it->second.is_bool())
             ? it->second.ToText()
             : std::string();
}

std::optional<int64_t> Number(const Value::Map& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end() || !it->second.is_number()) return std::nullopt;
  return it->second.as_int();
}

// "signature valid; key id K; manifest matched": the facts about a file beside its hash.
std::string FileNote(const Value::Map& m) {
  std::string note;
  auto add = [&](const std::string& label, const char* key) {
    std::string v = Text(m, key);
    if (!v.empty()) note += (note.empty() ? "" : "; ") + label + v;
  };
  add("signature ", "signature");
  add("signing key id ", "key_id");
  add("metadata sha256 ", "meta_sha256");
  add("manifest ", "manifest");
  add("authenticated: ", "authenticated");
  add("integrity ", "integrity");
  add("taken at ", "created_at");
  return note;
}

Artifact FromMap(const std::string& step, const Value::Map& m) {
  Artifact a;
  a.step = step;
  for (const char* key : {"path", "key", "source"})
    if (a.name.empty()) a.name = Text(m, key);
  a.sha256 = Text(m, "sha256");
  a.bytes = Number(m, "size");
  a.etag = Text(m, "etag");
  a.note = FileNote(m);
  return a;
}

// The restored database and the backup it came from (outputs target and created_at).
void AddRestored(const StepView& s, std::vector<Artifact>& out) {
  std::string target = Text(s.outputs, "target");
  if (target.empty()) return;
  Artifact a;
  a.step = s.id;
  a.name = target;
  a.taken_at = Text(s.outputs, "created_at");
  // When the restore ran: its last attempt; a step carried over from an earlier run has
  // none here, and its age at restore is in that run's report.
  std::string ran_at = !s.attempts.empty()       ? s.attempts.back().finished_at
                       : s.restored_from.empty() ? s.finished_at
                                                 : std::string();
  auto taken = ParseUtc(a.taken_at), done = ParseUtc(ran_at);
  if (taken && done) a.age_ms = UnixMillis(*done) - UnixMillis(*taken);
  a.note = "restored";
  if (!a.taken_at.empty())
    a.note += " the backup taken at " + a.taken_at +
              (a.age_ms ? " (" + HumanMs(*a.age_ms) + " old at restore)" : "");
  if (!s.restored_from.empty()) a.note += " in run " + s.restored_from;
  if (std::string prev = Text(s.outputs, "previous"); !prev.empty())
    a.note += "; the replaced database kept at " + prev;
  out.push_back(std::move(a));
}

}  // namespace

std::vector<Artifact> Artifacts(const RunRecord& r) {
  std::vector<Artifact> out;
  for (const StepView& s : r.steps) {
    if (!Text(s.outputs, "sha256").empty()) out.push_back(FromMap(s.id, s.outputs));
    for (const char* list : {"files", "objects"}) {
      auto it = s.outputs.find(list);
      if (it == s.outputs.end() || !it->second.is_list()) continue;
      for (const Value& v : it->second.as_list())
        if (v.is_map()) out.push_back(FromMap(s.id, v.as_map()));
    }
    if (Text(s.outputs, "sha256").empty()) AddRestored(s, out);
  }
  return out;
}

std::vector<std::string> ScalarOutputs(const StepView& s) {
  std::vector<std::string> out;
  for (const auto& [k, v] : s.outputs)
    if (v.is_string() || v.is_number() || v.is_bool()) out.push_back(k + "=" + v.ToText());
  return out;
}

std::string RtoClock(const RunRecord& r) {
  return r.Text("resumed_from").empty() ? "run" : "incident";
}

bool RunbookEdited(const RunRecord& r, size_t i) {
  if (i == 0 || i >= r.run_chain.size()) return false;
  const std::string &was = r.run_chain[i - 1].runbook_sha256, &now = r.run_chain[i].runbook_sha256;
  return !was.empty() && !now.empty() && was != now;
}

std::string StepDurationText(const StepView& s) {
  return s.outcome.empty() ? "-" : HumanMs(s.duration_ms);
}

// A run without a run_finished: why it has no measurement (breakFF F9: a running run's report
// said it "never finished").
bool StillRunning(const RunRecord& r) { return r.status == "running"; }

Value MeasuredObjective(const RunRecord& r, const char* key) {
  if (const Value* v = r.finished.is_map() ? r.finished.Find(key) : nullptr) return *v;
  const Value* objectives = r.started.is_map() ? r.started.Find("objectives") : nullptr;
  const Value* want =
      objectives && objectives->is_map() ? objectives->Find(std::string(key) + "_ms") : nullptr;
  if (want == nullptr || !want->is_number()) return Value();
  return Value(
      Value::Map{{"objective_ms", *want},
                 {"measured", Value(false)},
                 {"met", Value()},
                 {"note", Value(StillRunning(r) ? "not measured yet: the run is still running"
                                                : "the run never finished")}});
}

std::string RtoClockText(const RunRecord& r) {
  const Value* d = r.finished.is_map() ? r.finished.Find("duration_ms") : nullptr;
  std::string own = d && d->is_number() ? "took " + HumanMs(d->as_int())
                    : StillRunning(r)   ? "is still running"
                                        : "never finished";
  if (RtoClock(r) == "run")
    return "run clock: this run alone (from its rto: start step, or its start, to its "
           "rto: end step, or its end); the run " +
           own;
  std::string first = r.run_chain.empty() ? r.Text("resumed_from") : r.run_chain[0].run_id;
  std::string since = r.Text("incident_started_at");
  if (since.empty())  // the rto: start step first ran in this resume (breakFF F1)
    return "incident clock: from its rto: start step, which first started in this run (the "
           "runs before it did not reach it); this run alone " +
           own;
  return "incident clock: counted from the first run " + first +
         (since.empty() ? "" : " (incident started " + since + ")") +
         " across every resume; this run alone " + own;
}

std::string ObjectiveDetail(const Value& body) {
  const Value* note = body.Find("note");
  const Value* step = body.Find("step");
  if (note != nullptr && note->is_string() && !note->as_string().empty())
    return "; " + note->as_string();
  if (step != nullptr && step->is_string() && !step->as_string().empty())
    return "; the age of the backup step '" + step->as_string() + "' restored";
  return "";
}

std::string AuditPositionText(const RunRecord& r) {
  if (!r.chain_problem.empty() && r.altered_seq == 0)
    return "CHAIN BROKEN: " + r.chain_problem +
           "; this report shows what the store holds now, which may have been changed "
           "(`runbook audit verify`). Events #" +
           std::to_string(r.first_seq) + "–#" + std::to_string(r.last_seq);
  if (r.altered_seq > 0)
    return "ALTERED: event #" + std::to_string(r.altered_seq) +
           " of this run does not hash to the hash recorded with it: the store was changed "
           "after the run wrote it, and this report shows the changed text; `runbook audit "
           "verify` names where the chain breaks. Events #" +
           std::to_string(r.first_seq) + "–#" + std::to_string(r.last_seq);
  std::string s = "events #" + std::to_string(r.first_seq) + "–#" + std::to_string(r.last_seq) +
                  " (" + std::to_string(r.events) + " of them this run's), last event hash " +
                  r.last_hash;
  if (r.store_head_seq > 0)
    s += "; store head when reported: #" + std::to_string(r.store_head_seq) + " " +
         r.store_head_hash;
  return s;
}

std::string VerifyCommand(const RunRecord& r) {
  // One shell word, so that it runs as printed (breakO O25: a space split it, `$(...)` ran).
  return "runbook audit verify" +
         (r.store_path.empty() ? "" : " --audit-db " + ShellQuote(r.store_path));
}

std::string ReportFormatFor(const std::string& format, const std::string& output) {
  if (!format.empty()) return format;
  std::string ext = AsciiLower(std::filesystem::path(output).extension().string());
  if (ext == ".html" || ext == ".htm") return "html";
  if (ext == ".json") return "json";
  if (ext == ".pdf") return "pdf";
  if (ext.empty() || ext == ".md" || ext == ".markdown" || ext == ".txt") return "md";
  return "";  // breakM M16: r.pdf got Markdown, exit 0 (before the PDF report was made)
}

const char* OutcomeColour(const std::string& status) {
  if (status == "success") return "#2e8540";
  if (status == "warning") return "#b07d00";
  if (status == "skipped" || status.empty() || status == "pending") return "#8a8a8a";
  if (status == "cancelled") return "#6b5b95";
  if (status == "unfinished") return "#d35400";  // started, never finished: interrupted
  return "#c0392b";
}

}  // namespace runbook
