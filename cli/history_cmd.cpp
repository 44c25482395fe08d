// runbook history and runbook show: the audit store for people (and for scripts with
// --format json).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/audit_open.h"
#include "cli/commands.h"
#include "cli/continue_line.h"
#include "cli/printable_stdout.h"
#include "cli/run_place.h"
#include "engine/audit/report.h"
#include "engine/audit/run_listing.h"
#include "engine/calls.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// One measurement against its objective, judged on its own ("41ms / 1h00m met"): the run's
// objectives_met is both together, and an RPO miss read as an RTO miss (breakCC C7). "-" when
// not measured.
std::string Objective(const std::optional<int64_t>& got, const std::optional<int64_t>& want) {
  if (!got) return "-";
  std::string s = HumanMs(*got);
  if (want) s += " / " + HumanMs(*want) + (*got > *want ? " MISSED" : " met");
  return s;
}

// `text` with every line indented by `indent`.
std::string Indented(const std::string& text, const std::string& indent) {
  std::string out = indent;
  for (char c : text) out += c == '\n' ? "\n" + indent : std::string(1, c);
  return out + "\n";
}

// A step's words on one line of `show`: printable, and each line after the first marked as
// its continuation under `indent`, so that none starts at column 0 and passes for runbook's
// own (breakO O1).
std::string Continued(std::string_view text, const std::string& indent) {
  std::string out;
  for (char c : PrintableLines(text)) out += c == '\n' ? "\n" + indent + "| " : std::string(1, c);
  return out;
}

// `whole`: all that was kept of an unfinished attempt's output, else its last lines.
void PrintAttemptTo(std::ostream& out, const AttemptView& a, bool whole);

// PrintAttempt with `extra` before each line: a step inside a call is indented under it.
void PrintAttempt(const AttemptView& a, bool whole = false, const std::string& extra = "") {
  std::ostringstream text;
  PrintAttemptTo(text, a, whole);
  std::string all = text.str();
  for (size_t at = 0, nl; at < all.size(); at = nl + 1) {
    nl = all.find('\n', at);
    if (nl == std::string::npos) nl = all.size();
    std::cout << extra << std::string_view(all).substr(at, nl - at) << "\n";
  }
}

void PrintAttemptTo(std::ostream& out, const AttemptView& a, bool whole) {
  out << "    attempt " << a.number << "  " << a.started_at << "  "
      << (a.status.empty() ? "never finished" : a.status + "  " + HumanMs(a.duration_ms));
  if (a.exit_code.is_number()) out << "  exit " << a.exit_code.as_int();
  if (!a.run_id.empty()) out << "  in run " << a.run_id;  // carried over (breakN N22)
  out << "\n";
  // What steps printed is shown with its control characters as \xNN (breakN N3).
  if (!a.error.empty()) out << "      error: " << Continued(a.error, "        ") << "\n";
  for (const std::string& line : a.ended_processes) {  // what runbook ended, success or not
    // A process left in the step's own group is recorded saying so (breakI I1's side note).
    bool said = line.find("process group") != std::string::npos;
    out << "      ended " << line << (said ? "" : ", which had left the step's process group")
        << "\n";
  }
  if (a.log_dropped > 0) out << "      log: (" << a.log_dropped << " earlier lines not kept)\n";
  for (const std::string& line : a.log_lines)
    out << "      log: " << Continued(line, "        ") << "\n";
  if (a.status.empty() && !a.output_so_far.empty()) {  // killed under it (breakM M17)
    out << "      printed until " << a.output_so_far_at << ", kept while it ran:\n"
        << Indented(PrintableLines(whole ? a.output_so_far : LastLines(a.output_so_far, 12)),
                    "        ");
  }
  if (a.status.empty() || a.status == "success") return;
  // A failed attempt: what it last printed (redacted when recorded), usually the reason.
  std::string last = LastLines(a.LastOutput(), 12);
  if (!last.empty()) out << "      last output:\n" << Indented(PrintableLines(last), "        ");
}

// Under a run that did not end well: where it was last heard from (another place), the run
// that continued it, or the one command that continues it (breakL L14: after kill -9 no run
// printed it, and nothing the operator looked at said how to go on).
void PrintWhatNext(AuditStore& store, const StepRegistry& registry, const RunRecord& r) {
  if (r.status == "running") {
    auto heard = store.LastHeard(r.run_id);
    if (heard.ok() && heard.value() && !heard.value()->here)
      std::cout << "  last heard from " << heard.value()->heard_at
                << " (it runs on another host, container or pid namespace)\n";
    return;
  }
  if (r.status == "success") return;
  auto by = store.ResumedAs(r.run_id);
  if (by.ok() && by.value()) {
    std::cout << "  resumed as " << by.value()->run_id << " (" << by.value()->status << ")\n";
    return;
  }
  ContinueLine next{r.run_id,
                    AbsoluteFromHere(store.path()),
                    RerunsNeeded(r, registry),
                    LeftoversRunning(r, store.RunAccounts(RecordedUid(r))),
                    MaskedParams(r),
                    RecordedContinueOptions(r)};
  std::cout << "  to continue"
            << (next.reruns.empty() ? ""
                                    : ", after checking what the steps "
                                      "to --rerun did")
            << ": " << next.Command() << "\n";
}

// history --runbook NAME that matches no run (breakM M28: an empty table read as "the
// restore never ran"): the runbooks the store has runs of, and the closest name.
void NoRunsOf(AuditStore& store, const std::string& name) {
  auto all = store.Runs("", 100000);
  if (!all.ok()) return;
  std::set<std::string> names;
  for (const RunRow& r : all.value()) names.insert(r.runbook);
  std::vector<std::string> known(names.begin(), names.end());
  std::string close = ClosestName(name, known);
  std::cerr << "runbook: note: no runs of '" << Printable(name) << "' in this store"
            << (known.empty() ? "" : "; it has runs of: " + Join(known, ", "))
            << (close.empty() ? "" : "; did you mean '" + close + "'?") << "\n";
}

// show RUN --step ID: the step's attempts with everything recorded of their output. A step
// a resume carried over ran in an earlier run: the command that shows it there (breakL L21).
// `store` is the store's path, for that command.
// Two spaces, and two more for each call a step is inside (engine/calls.h: "dump.verify" is
// one deep; a call's start "dump.@start" and outputs step "dump" are at the call's level).
std::string CallIndent(const std::string& id) {
  static const std::string kStart = kCallStartSuffix;
  std::string base = id;
  if (base.size() > kStart.size() &&
      base.compare(base.size() - kStart.size(), kStart.size(), kStart) == 0)
    base.resize(base.size() - kStart.size());
  return std::string(2 + 2 * std::count(base.begin(), base.end(), '.'), ' ');
}

int ShowStep(const RunRecord& r, const std::string& id, const std::string& store) {
  const StepView* s = r.FindStep(id);
  if (s == nullptr) {
    std::vector<std::string> ids;
    for (const StepView& v : r.steps) ids.push_back(v.id);
    std::string close = ClosestName(id, ids);
    std::cerr << "runbook: error: run " << r.run_id << " has no step '" << Printable(id) << "'"
              << (close.empty() ? "" : "; did you mean '" + close + "'?") << "\n";
    return kExitInvalid;
  }
  std::cout << "run " << r.run_id << "  step " << s->id << " (" << s->type << ")  "
            << (s->outcome.empty() ? "unfinished" : s->outcome) << "\n";
  for (const AttemptView& a : s->attempts) {
    PrintAttempt(a, true);
    if (!a.stdout_tail.empty())
      std::cout << "      stdout:\n" << Indented(PrintableLines(a.stdout_tail), "        ");
    if (!a.stderr_tail.empty())
      std::cout << "      stderr:\n" << Indented(PrintableLines(a.stderr_tail), "        ");
  }
  if (!s->outputs.empty()) std::cout << "    outputs " << ToJsonShown(Value(s->outputs)) << "\n";
  if (!s->restored_from.empty() && s->restored_from != r.run_id)
    std::cout << "    carried over: it ran in run " << s->restored_from
              << "; its attempts and output: runbook show " << s->restored_from << " --step "
              << ShellQuote(s->id) << " --audit-db " << ShellQuote(AbsoluteFromHere(store)) << "\n";
  return kExitOk;
}

// What history found altered, after the listing: where the chain breaks, the runs the
// index lists that no chained event records (on stdout with the runs, on stderr beside
// JSON: breakHH HH11), and the word on stderr. Returns the exit code (kExitStepFailed, 1,
// when any, else 0).
int SayAltered(const RunListing& listing, const std::string& store, bool text) {
  if (!listing.Altered()) return kExitOk;
  FILE* out = text ? stdout : stderr;
  if (!listing.chain_problem.empty())
    std::fprintf(out, "ALTERED: the audit chain is broken: %s\n",
                 Printable(listing.chain_problem).c_str());
  for (const std::string& id : listing.index_only)
    std::fprintf(out,
                 "ALTERED: the runs index lists run %s, which no chained event records (not "
                 "shown)\n",
                 Printable(id).c_str());
  std::fflush(out);
  std::cerr << "runbook: error: the audit store was altered (its chain, or its runs index "
               "against the chain); the runs are shown as their events record them (check the "
               "chain: runbook audit verify --audit-db "
            << ShellQuote(AbsoluteFromHere(store)) << ")\n";
  return kExitStepFailed;  // as report's and audit verify's altered evidence
}

}  // namespace

// The runs as their chained events record them, the index checked against them (breakGG G7).
int CmdHistory(const AuditCliOptions& o) {
  auto store = OpenExistingAudit(o.audit_db, StoreUse::kRead);
  if (!store) return kExitEnvironment;
  auto listing = ListRuns(*store, o.runbook, o.limit);
  if (!listing.ok()) {
    SayStoreError(*store, listing.status());
    return kExitEnvironment;
  }
  const std::vector<ListedRun>& runs = listing.value().runs;
  if (runs.empty() && !o.runbook.empty()) NoRunsOf(*store, o.runbook);
  if (o.format == "json") {
    Value::List list;
    for (const ListedRun& r : runs) list.push_back(ListedRunValue(r));
    std::cout << ToJsonShown(Value(std::move(list)), 2) << "\n";
    return SayAltered(listing.value(), store->path(), false);
  }
  std::printf("%-26s %-16s %-8s %-12s %-24s %-10s %-24s %s\n", "RUN", "RUNBOOK", "KIND", "STATUS",
              "STARTED", "DURATION", "RTO / OBJECTIVE", "RPO / OBJECTIVE");
  for (const ListedRun& listed : runs) {
    const RunRow& r = listed.row;
    std::printf("%-26s %-16s %-8s %-12s %-24s %-10s %-24s %s", r.run_id.c_str(), r.runbook.c_str(),
                r.kind.c_str(), r.status.c_str(), r.started_at.c_str(),
                r.duration_ms ? HumanMs(*r.duration_ms).c_str() : "-",
                Objective(r.rto_ms, r.rto_objective_ms).c_str(),
                Objective(r.rpo_ms, r.rpo_objective_ms).c_str());
    // A failed run another continued (newcomer N7).
    if (!listed.resumed_as.empty()) std::printf("  resumed as %s", listed.resumed_as.c_str());
    std::printf("\n");
    for (const CallSummary& c : listed.calls)  // the child runs, under their parent
      std::printf("%s└ %s uses %s: %s\n", CallIndent(c.id).c_str(), Printable(c.id).c_str(),
                  Printable(c.uses).c_str(), Printable(c.outcome).c_str());
    if (!listed.altered.empty())
      std::printf("  ALTERED: %s\n", Printable(Join(listed.altered, "; ")).c_str());
  }
  return SayAltered(listing.value(), store->path(), true);
}

int CmdShow(const StepRegistry& registry, const AuditCliOptions& o) {
  PrintableStdout terminal_safe;
  int exit_code = kExitOk;
  auto loaded = LoadRunAndStore(o.audit_db, o.run_id, StoreUse::kRead, exit_code);
  if (!loaded) return exit_code;
  AuditStore& store = *loaded->store;
  RunRecord& r = loaded->record;
  if (Status carried = CarryMeasurements(store, r); !carried.ok())
    std::cerr << "runbook: note: the steps carried over are shown without their attempts: "
              << carried.message() << "\n";
  if (!o.step.empty()) return ShowStep(r, o.step, store.path());
  // The approvals and re-run confirmations of the earlier runs of its chain, as the reports
  // list them (breakO O12: a resume of a resume left out who approved the gate it carried).
  if (Status chain = LoadRunChain(store, r); !chain.ok())
    std::cerr << "runbook: note: the approvals of the runs it resumes are left out: "
              << chain.message() << "\n";
  int evidence = CheckEvidence(store, r);  // breakGG G8: an edit shown as fact
  if (r.altered_seq > 0 || !r.chain_problem.empty())
    std::cout << "AUDIT CHAIN BROKEN: " << AuditPositionText(r) << "\n";
  std::cout << "run " << r.run_id << "  " << r.Text("runbook") << " (" << r.Text("kind") << ")  "
            << r.status << "\n  started " << r.started_at << " by " << r.Text("user") << " on "
            << r.Text("host") << "\n";
  if (!r.Text("resumed_from").empty()) std::cout << "  resumes " << r.Text("resumed_from") << "\n";
  if (!TriggerText(r).empty()) std::cout << "  triggered by " << Printable(TriggerText(r)) << "\n";
  for (const Value& n : r.notifications)  // docs/notify.md
    std::cout << "  notified " << Printable(ReportField(n, "channel").ToText()) << " ("
              << Printable(ReportField(n, "event").ToText()) << ") "
              << Printable(ReportField(n, "target").ToText()) << ": "
              << Printable(ReportField(n, "status").ToText())
              << (ReportField(n, "error").ToText().empty()
                      ? ""
                      : " (" + Printable(ReportField(n, "error").ToText()) + ")")
              << "\n";
  if (!r.Text("adopted_from").empty())  // breakP P10: another account's choices, taken
    std::cout << "  adopted (resume --adopt) from a run started by " << r.Text("adopted_from")
              << "\n";
  // What it ran with (recorded masked): a resume runs with them too (breakP P10).
  if (const auto params = RecordedParamTexts(r, true); !params.empty()) {
    std::string shown;  // numbers as written: {"l":[3.10,"0755"],"r":1.50} (break24a C1)
    for (const auto& [name, text] : params)
      shown += (shown.empty() ? "{" : ",") + ToJson(Value(name)) + ":" + text;
    std::cout << "  params " << Printable(shown + "}") << "\n";
  }
  for (const std::string& line : r.ended_leftovers)  // breakN N23
    std::cout << "  ended before it started, left running by " << r.Text("resumed_from") << ": "
              << Printable(line) << "\n";
  if (!r.interrupted_reason.empty()) std::cout << "  interrupted: " << r.interrupted_reason << "\n";
  PrintWhatNext(store, registry, r);
  // The measurement with its verdict (breakCC C7: "rpo: MISSED" said not by how much).
  for (const auto& [key, field] : {std::pair("rto", "elapsed_ms"), std::pair("rpo", "age_ms")}) {
    const Value* v = r.finished.is_map() ? r.finished.Find(key) : nullptr;
    if (v == nullptr) continue;
    const Value* ms = v->Find(field);
    const Value* want = v->Find("objective_ms");
    std::cout << "  " << key << ": "
              << (ms && ms->is_number()
                      ? HumanMs(ms->as_int()) +
                            (want && want->is_number() ? " / " + HumanMs(want->as_int()) + " "
                                                       : std::string(" (")) +
                            ObjectiveText(*v) + (want && want->is_number() ? "" : ")")
                      : ObjectiveText(*v))
              << "\n";
  }
  for (const StepView& s : r.steps) {  // an unfinished step has no duration (breakL L14)
    std::cout << CallIndent(s.id) << s.id << " (" << s.type << ")"
              << (s.name.empty() ? "" : " \"" + Printable(s.name) + "\"") << "  "
              << (s.outcome.empty() ? "unfinished" : s.outcome + "  " + HumanMs(s.duration_ms))
              << (s.reason.empty() ? "" : "  " + Continued(s.reason, "    ")) << "\n";
    std::string extra = CallIndent(s.id).substr(2);  // under the step's own line
    if (!s.stopped.empty()) std::cout << extra << "    " << s.stopped << "\n";
    for (const AttemptView& a : s.attempts) PrintAttempt(a, false, extra);
    if (!s.outputs.empty())
      std::cout << extra << "    outputs " << ToJsonShown(Value(s.outputs)) << "\n";
  }
  for (const ApprovalView& a : r.approvals) {
    std::string where = a.run_id.empty() || a.run_id == r.run_id ? "" : " in run " + a.run_id;
    if (!a.rerun.empty()) {  // breakN N2
      std::cout << "  re-run of " << a.step << " confirmed by " << a.by << " at " << a.at << " ("
                << a.rerun << ")" << where << "\n";
      continue;
    }
    std::string inputs;
    for (const auto& [name, value] : a.inputs) inputs += " " + name + "=" + value.ToText();
    std::cout << "  approval " << a.step << " by " << a.by << " at " << a.at << " (waited "
              << HumanMs(a.waited_ms) << ")" << where << (inputs.empty() ? "" : ":" + inputs)
              << "\n";
  }
  return evidence;
}

}  // namespace runbook
