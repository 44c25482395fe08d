// runbook resume RUN: the same runbook, the same params, the steps that passed carried
// over (outputs restored from the store), the RTO clock counting the whole incident.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <thread>

#include "cli/approver.h"
#include "cli/audit_open.h"
#include "cli/continue_line.h"
#include "cli/launch.h"
#include "cli/load.h"
#include "cli/resume_params.h"
#include "cli/resume_place.h"
#include "cli/run_liveness.h"
#include "cli/run_place.h"
#include "engine/audit/run_record.h"
#include "engine/calls.h"
#include "engine/plugin/check_value.h"
#include "engine/process_runner.h"
#include "engine/process_tree.h"
#include "engine/redact.h"
#include "engine/runbook_place.h"
#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/proc_identity.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

// A run still recorded as running on another host can be resumed once runbook takes it as
// gone (breakL L32): the refusal says when.
bool Resumable(const RunRecord& r, AuditStore& store) {
  if (r.status == "failure" || r.status == "interrupted" || r.status == "cancelled") return true;
  std::string elsewhere;
  if (r.status == "running") {
    auto heard = store.LastHeard(r.run_id);
    if (heard.ok() && heard.value() && !heard.value()->here)
      elsewhere = ElsewhereNote(heard.value()->heard_at) +
                  ", and can be resumed then (resume --wait waits for that)";
  }
  if (const Value* pid = r.started.Find("pid"); r.status == "running" && pid && pid->is_number())
    elsewhere +=
        StoppedNote({r.Text("host"), static_cast<int>(pid->as_int()), r.Text("pid_start")});  // M30
  std::cerr << "runbook: error: run " << r.run_id << " is " << r.status
            << "; only a failed, cancelled or interrupted run can be resumed" << elsewhere << "\n";
  return false;
}

// A run another account started runs, resumed, with that account's params, the outputs its
// steps made and the approvals given there, under this account (breakP P10: root's resume of
// a cron account's run ran root's own runbook with `--set dir=/etc` from that account, as
// root). Taken only with --adopt (`adopted_from` then names that account); otherwise an
// error naming the params, with `needs_adopt` set.
bool Adoptable(const RunRecord& r, bool adopt, std::string& adopted_from, bool& needs_adopt) {
  std::optional<uid_t> uid = RecordedUid(r);
  bool other = uid ? *uid != ::getuid() : r.Text("user") != CurrentUser();
  if (!other) return true;
  std::string who = r.Text("user") + (uid ? " (uid " + std::to_string(*uid) + ")" : "");
  if (adopt) {
    adopted_from = who;
    return true;
  }
  const Value* params = r.started.Find("params");
  needs_adopt = true;
  std::cerr << "runbook: error: run " << r.run_id << " was started by " << Printable(who)
            << ", not by you (" << Printable(CurrentUser())
            << "): resumed, it runs with its params "
            << PrintableLines(params ? ToJsonShown(*params) : "{}")
            << ", the outputs its steps made and the approvals given there, as you; check "
               "them (runbook show "
            << r.run_id << "), then resume with --adopt\n";
  return false;
}

// A run to resume still recorded as running on another place whose heartbeat looks old is
// watched, it alone, and taken as gone if none comes (breakP P11: the store's open no longer
// watches every such run). Reads its record again then. False when the store fails. Also
// resume --wait's poll.
bool TakenAsGoneIfSilent(AuditStore& store, RunRecord& r) {
  if (r.status != "running") return true;
  auto marked = store.MarkInterrupted(WatchFor(r.run_id));
  if (marked.ok()) SayTakenAsGone(marked.value());
  auto again = marked.ok() ? LoadRunRecord(store, r.run_id) : marked.status();
  if (!again.ok()) {
    std::cerr << "runbook: error: " << again.status().message() << "\n";
    return false;
  }
  r = std::move(again).value();
  return true;
}

// resume --wait of a run still recorded as running (breakM M10): waits until it is not —
// it ends, or runbook takes it as gone (5 minutes without a heartbeat from another place) —
// then reads its record again. False when the store cannot be read.
bool WaitWhileRunning(AuditStore& store, RunRecord& r) {
  bool told = false;
  while (r.status == "running") {
    if (!told) {
      std::cerr << "runbook: waiting for run " << r.run_id
                << " to end or to be taken as gone (--wait)\n";
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    if (!TakenAsGoneIfSilent(store, r)) return false;
  }
  return true;
}

// A run is resumed once (breakI I17: each resume of the same run ran its remaining steps
// again, two at once too): once a resume took it over, that resume is the one to resume.
// `via_api`: under serve, where the way on is its API, not a command line (breakWW WW10).
bool NotResumedYet(AuditStore& store, const RunRecord& r, bool via_api, int& exit_code) {
  auto by = store.ResumedAs(r.run_id);
  exit_code = kExitInvalid;
  if (!by.ok()) {
    std::cerr << "runbook: error: " << by.status().message() << "\n";
    return false;
  }
  if (!by.value()) return true;
  const RunRow& next = *by.value();
  bool again =
      next.status == "failure" || next.status == "interrupted" || next.status == "cancelled";
  std::string instead = via_api ? "; to continue: POST /api/v1/runs/" + next.run_id + "/resume\n"
                                : "; to continue: runbook resume " + next.run_id + " --audit-db " +
                                      ShellQuote(AbsoluteFromHere(store.path())) +
                                      " (its `show` gives every flag it needs)\n";  // breakM M12
  std::cerr << "runbook: error: run " << r.run_id << " was already resumed as " << next.run_id
            << " (" << next.status << ")"
            << (again                      ? instead
                : next.status == "running" ? ", which is still running\n"
                                           : "; nothing is left to resume\n");
  return false;
}

// Whether `rb` is the runbook `r` ran, or changed since and `force` given (an error or a
// warning printed). `another`: it is a run of another runbook, which nothing can resume here;
// a change without --force is one reason among the others a resume lists (breakM M4).
// `force_how`: how the operator gives force ("--force"; under serve its API's body field:
// breakVV VV7, a 409 named a flag the API does not have).
// Whether the runbooks `rb` uses are the files the run used (its `uses_sha256`); when not, an
// error (a warning with `force`) names the first one edited.
bool UsesSame(const RunRecord& r, const Runbook& rb, bool force, const std::string& force_how) {
  const Value* was = r.started.Find("uses_sha256");
  Value::Map recorded = was != nullptr && was->is_map() ? was->as_map() : Value::Map{};
  Value::Map now = UsesSha256(rb);
  if (recorded == now) return true;
  std::string which;
  for (const auto& [path, sha] : now)
    if (which.empty() && (!recorded.count(path) || !(recorded.at(path) == sha))) which = path;
  for (const auto& [path, sha] : recorded)
    if (which.empty() && !now.count(path)) which = path;
  std::cerr << (force ? "runbook: warning: " : "runbook: error: ") << Printable(which)
            << ", a runbook " << rb.path() << " uses, changed since run " << r.run_id
            << (force ? "; resuming anyway (" + force_how + ")\n"
                      : "; resume with " + force_how + " to use it anyway\n");
  return false;
}

bool SameRunbook(const RunRecord& r, const Runbook& rb, bool force, const std::string& force_how,
                 bool& another) {
  std::string was = r.Text("runbook_sha256"), now = Sha256Hex(rb.source.text);
  if (was == now && UsesSame(r, rb, force, force_how)) return true;
  if (was == now) return force;
  // Another runbook is never "changed": --force cannot make a run of one a run of another
  // (breakL L16: a failed backup "resumed" as a restore).
  another = r.Text("runbook") != rb.name;
  if (another) {
    std::cerr << "runbook: error: run " << r.run_id << " is a run of '"
              << Printable(r.Text("runbook")) << "'; " << rb.path() << " is '" << Printable(rb.name)
              << "'; a resume continues the same runbook\n";
    return false;
  }
  std::cerr << (force ? "runbook: warning: " : "runbook: error: ") << rb.path()
            << " changed since run " << r.run_id << " (sha256 " << was.substr(0, 12) << " -> "
            << now.substr(0, 12) << ")"
            << (force ? "; resuming anyway (" + force_how + ")\n"
                      : "; resume with " + force_how + " to use it anyway\n");
  return force;
}

// How a resume is told to do something, as its caller gives it: the command line's `flag`
// (with `value`), or, for a resume serve's API started, the body's field (breakCC newcomer
// round: an API caller was told `--rerun`).
std::string GiveWith(bool via_api, const std::string& flag, const std::string& value) {
  if (!via_api) return flag + (value.empty() ? "" : " " + ShellQuote(value));  // `a[2]`: zsh
  if (flag == "--rerun") return "\"rerun\": [\"" + value + "\"] in the body";
  if (flag == "--end-leftovers") return "\"end_leftovers\": true in the body";
  return flag;
}

// Asks on the terminal whether to run `s` again; false when declined, at end of input, or
// when stdin is not a terminal (then nothing is asked).
bool ConfirmRerun(const StepView& s, const RunRecord& r) {
  if (!CanAskOnTerminal()) return false;
  DropTypedAhead();
  std::cerr << "step '" << s.id << "' (" << s.type << ") " << StoppedHow(s, r.run_id)
            << ", and it is not idempotent; check what it did (runbook show " << r.run_id
            << " --step " << s.id << ").\n"
            << "run it again? [y/N] ";
  std::string reply;
  if (!std::getline(std::cin, reply)) std::cerr << "\n";
  return reply == "y" || reply == "Y" || reply == "yes";
}

// Steps that passed carry over. A step that started and never finished is run again only
// when its type is idempotent, or the operator confirmed it: `--rerun STEP` or a yes on the
// terminal (issue 14 #1: --yes approves gates, as in `run`; it never confirms a re-run).
// A passed step with outputs recorded masked (they held a secret) runs again when --rerun
// names it: a later step that reads one needs its value, which the store does not have
// (breakO O26). A --rerun naming any other step that was not interrupted mid-way is an error
// (a typo would otherwise confirm nothing and say nothing).
// `reruns` gets the --rerun flags the command that continues needs: those given and those
// missing; `confirmed` each step run again on the operator's word, and how (breakN N2).
// `ask`: whether the terminal may be asked; not while the run's processes still run and
// are not to be ended (breakN N13: the operator judged a step that had not stopped, then the
// resume refused for its processes and dropped the answer).
bool PriorSteps(const RunRecord& r, const Runbook& rb, const RunCliOptions& o, bool ask,
                std::map<std::string, PriorStep>& prior, std::vector<std::string>& reruns,
                std::vector<std::pair<std::string, std::string>>& confirmed_reruns) {
  reruns = o.reruns;
  bool ok = true;
  std::set<std::string> confirmed(reruns.begin(), reruns.end()), interrupted;
  for (const StepView& s : r.steps) {
    if (s.outcome == "success" || s.outcome == "warning") {
      if (RecordMasked(s) && confirmed.count(s.id)) {  // its secrets back (O26, C26)
        interrupted.insert(s.id);
        confirmed_reruns.emplace_back(s.id, "--rerun");
        continue;
      }
      prior[s.id] = {s.outcome == "success" ? Outcome::kSuccess : Outcome::kWarning,
                     s.outputs,
                     s.restored_from.empty() ? r.run_id : s.restored_from,
                     ParseUtc(s.passed_at),
                     {s.masked_outputs.begin(), s.masked_outputs.end()},
                     static_cast<int>(s.attempts.size()),
                     Millis(s.duration_ms),
                     s.attempts.empty() ? Value::Map{} : s.attempts.back().params,
                     s.attempts.empty() ? Value::Map{} : s.attempts.back().path_fingerprints,
                     s.attempts.empty() ? "" : s.attempts.back().params_fingerprint};
      continue;
    }
    // A step no longer in the runbook (renamed under --force) is judged by what was
    // recorded of it: its work may be done again under its new name (breakN N21).
    const StepDecl* decl = rb.FindStep(s.id);
    if (!s.stopped_mid_attempt()) continue;
    interrupted.insert(s.id);
    if (!RerunNeedsConfirming(s, decl ? decl->type : nullptr)) continue;
    if (confirmed.count(s.id)) {
      confirmed_reruns.emplace_back(s.id, "--rerun");
      continue;
    }
    if (ok && ask && ConfirmRerun(s, r)) {
      confirmed_reruns.emplace_back(s.id, "asked on a terminal");
      continue;
    }
    std::cerr << "runbook: error: step '" << s.id << "' (" << s.type << ") "
              << StoppedHow(s, r.run_id) << ", and it is not idempotent; check what it "
              << "did (runbook show " << r.run_id << " --step " << s.id << "), then resume with "
              << GiveWith(o.approvals_via_api, "--rerun", s.id) << " to run it again"
              << (decl ? ""
                       : " (it is no longer in the runbook: a step renamed from it runs "
                         "its work again)")
              << "\n";
    reruns.push_back(s.id);
    ok = false;
  }
  // A refused --rerun is no flag the command that continues needs (breakQ Q6: it was printed
  // again, so the command was refused again however often it was copied).
  reruns.erase(std::remove_if(reruns.begin(), reruns.end(),
                              [&](const std::string& id) { return interrupted.count(id) == 0; }),
               reruns.end());
  for (const std::string& id : confirmed) {
    if (interrupted.count(id)) continue;
    // The name as given may hold a secret (break24a S1): masked as --approve's is.
    std::cerr << "runbook: error: "
              << MaskForRunbook(rb, "--rerun " + Printable(id) + ": no step '" + Printable(id) +
                                        "' was stopped mid-way in run " + r.run_id +
                                        ", nor passed with outputs or paths recorded masked")
              << "\n";
    ok = false;
  }
  return ok;
}

// --approve and --input naming a gate that passed in the run are refused (breakL L33): the
// gate is carried over with the answer recorded there, so the flag would change nothing
// while the operator believes the new ticket is on the record. In a runbook edited since the
// run (--force), a gate whose parameters changed asks again (StepSpec::decided_on_params;
// breakFF F4), so its flags are taken: they answer it when it does.
bool NoFlagsForCarriedGates(const Runbook& rb, const RunCliOptions& o,
                            const std::map<std::string, PriorStep>& prior, bool edited) {
  bool ok = true;
  auto refuse = [&](const std::string& flag, const std::string& step) {
    const StepDecl* s = rb.FindStep(step);  // not a gate: Launch's UnknownApprovalFlags says so
    if (prior.count(step) == 0 || s == nullptr || s->type == nullptr ||
        !s->type->spec().waits_for_people || (edited && s->type->spec().decided_on_params))
      return;
    std::cerr << "runbook: error: " << flag << ": approval '" << Printable(step)
              << "' passed in run " << prior.at(step).run_id
              << " and is carried over with the answer recorded there; a resume cannot change "
              << "it\n";
    ok = false;
  };
  for (const std::string& id : o.approvals) refuse("--approve " + Printable(id), id);
  for (const std::string& input : o.inputs)
    refuse("--input " + Printable(input.substr(0, input.find('='))),
           input.substr(0, input.substr(0, input.find('=')).rfind('.')));
  return ok;
}

constexpr Millis kLeftoverGrace{10000};

// Processes the interrupted run's steps left running when runbook was killed under them
// (breakG #11): a resume never runs a step beside its own earlier copy. Without `end` they
// are named and the resume stops; with it they are ended first and recorded in `ended`.
// Their command lines are masked with `redactor` (the run's secrets) before anything is shown.
bool NoLeftovers(const RunRecord& r, const Accounts& accounts, bool end, bool via_api,
                 const Redactor& redactor, std::vector<std::string>& ended) {
  std::string prefix = r.Text("tracking_prefix");
  std::vector<TrackedProcess> found = FindLeftovers(prefix, accounts);
  for (TrackedProcess& p : found) close(p.pidfd);
  if (found.empty()) return true;
  if (end) {
    ended = EndLeftovers(prefix, accounts, kLeftoverGrace, MaskerOf(redactor));
    for (const std::string& line : ended) std::cerr << "runbook: ended leftover " << line << "\n";
    return true;
  }
  std::cerr << "runbook: error: run " << r.run_id << " left " << found.size()
            << " process(es) running when it was interrupted:\n";
  for (const TrackedProcess& p : found)
    std::cerr << "  " << ProcessName(p, MaskerOf(redactor)) << "\n";
  std::cerr << "wait for them to end, or resume with " << GiveWith(via_api, "--end-leftovers", "")
            << " to end them first\n";
  return false;
}

// The options a refused resume's continue line keeps: those the run recorded, those of a run
// given to the resume, and the resume's own
// (--force, --runbook, approvals; an --input holding a secret's text as STEP.NAME=VALUE).
// An --approve or --input flag that names no gate of `rb`, or a gate carried over
// (`prior`), is refused (ApprovalFlagsOk, NoFlagsForCarriedGates) and left out (breakN N25);
// an --input whose value was refused (its type or enum, or given twice with different
// values) is kept as STEP.NAME=VALUE, to be given again (breakO O4: the printed command
// carried the refused value and was refused again).
std::vector<std::string> ResumeOptionsKept(const RunRecord& r, const RunCliOptions& o,
                                           const Runbook& rb,
                                           const std::map<std::string, PriorStep>& prior,
                                           const Redactor& redactor) {
  auto names_gate = [&](const std::string& id, const std::map<std::string, std::string>& in) {
    return prior.count(id) == 0 &&
           UnknownApprovalFlags(
               rb, in.empty() ? std::vector<std::string>{id} : std::vector<std::string>{}, in)
               .empty();
  };
  std::vector<std::string> kept = RecordedContinueOptions(r);  // the run's (breakM M2)
  for (std::string& option : KeptRunOptions(o))
    if (std::find(kept.begin(), kept.end(), option) == kept.end()) kept.push_back(option);
  if (o.force) kept.push_back("--force");
  if (!o.resume_runbook.empty())
    kept.push_back("--runbook " + ShellQuote(AbsoluteFromHere(o.resume_runbook)));
  if (o.yes) kept.push_back("--yes");
  for (const std::string& id : o.approvals)
    if (names_gate(id, {})) kept.push_back("--approve " + ShellQuote(id));
  std::set<std::string> carried, seen;
  for (const auto& [id, step] : prior) carried.insert(id);
  std::map<std::string, std::set<std::string>> values;  // by key: given twice, differently?
  for (const std::string& input : o.inputs)
    if (size_t eq = input.find('='); eq != std::string::npos)
      values[input.substr(0, eq)].insert(input.substr(eq + 1));
  for (const std::string& input : o.inputs) {  // a secret's text: a placeholder (breakM M27)
    size_t eq = input.find('=');
    size_t dot = eq == std::string::npos ? std::string::npos : input.rfind('.', eq);
    if (eq == std::string::npos || dot == std::string::npos) continue;
    std::string key = input.substr(0, eq), value = input.substr(eq + 1);
    if (!names_gate(input.substr(0, dot), {{key, value}}) || !seen.insert(key).second) continue;
    bool refused = values[key].size() > 1 ||
                   !BadApprovalInputs(rb, false, {}, {{key, value}}, true, carried).empty();
    bool secret = redactor.Apply(input) != input;
    kept.push_back("--input " + ShellQuote(secret || refused ? key + "=VALUE" : input));
  }
  return kept;
}

// The runs a resume of `r` continues, nearest first: `r`, then those `r` continued.
std::vector<std::string> Continues(const RunRecord& r) {
  std::vector<std::string> chain{r.run_id};
  const Value* earlier = r.started.Find("continues");
  if (earlier != nullptr && earlier->is_list())
    for (const Value& id : earlier->as_list())
      if (id.is_string()) chain.push_back(id.as_string());
  // A record from before `continues` was kept names its own predecessor only.
  if (chain.size() == 1 && !r.Text("resumed_from").empty()) chain.push_back(r.Text("resumed_from"));
  return chain;
}

// When the incident's RTO clock started: carried from an earlier resume, else the first
// start of the step marked `rto: start` in the run, else the run's start. "" when that step
// has not started yet: the clock then starts when it does, in this resume or a later one
// (breakFF F1: a run killed before its gate counted the minutes before the incident was
// declared, 1m10s for 39 s of recovery).
std::string IncidentStart(const RunRecord& r, const Runbook& rb) {
  if (std::string carried = r.Text("incident_started_at"); !carried.empty()) return carried;
  for (const StepDecl& s : rb.steps) {
    if (s.rto != RtoMark::kStart) continue;
    const StepView* v = r.FindStep(s.id);
    return v != nullptr && !v->attempts.empty() ? v->attempts.front().started_at : "";
  }
  return r.started_at;
}

Millis ApprovalWait(const RunRecord& r) {
  // A run that finished measured its whole wait, a gate Ctrl-C'd while it waited included
  // (breakN N19: only decided gates were counted); a killed run has only its approvals.
  const Value* rto = r.finished.is_map() ? r.finished.Find("rto") : nullptr;
  const Value* measured = rto ? rto->Find("measured") : nullptr;
  const Value* waited = rto ? rto->Find("approval_wait_ms") : nullptr;
  if (measured && measured->is_bool() && measured->as_bool() && waited && waited->is_number())
    return Millis(waited->as_int());
  int64_t ms = 0;
  if (const Value* before = r.started.Find("prior_approval_wait_ms"); before && before->is_number())
    ms += before->as_int();
  for (const ApprovalView& a : r.approvals) ms += a.waited_ms;
  return Millis(ms);
}

// Off a terminal: the required inputs (STEP.NAME) of the gates the resume's continue line
// approves (`unanswerable`, --approve, --yes; not those carried over) that were not given.
std::vector<std::string> InputsToGiveOffTerminal(const Runbook& rb, const RunCliOptions& o,
                                                 const RunOptions& options,
                                                 const std::vector<std::string>& unanswerable,
                                                 const std::map<std::string, std::string>& inputs) {
  if (HasOwnTerminal()) return {};
  std::vector<std::string> gates = unanswerable;
  for (const StepDecl& s : rb.steps)
    if (s.type != nullptr && s.type->spec().waits_for_people && options.prior.count(s.id) == 0 &&
        (o.yes || std::find(o.approvals.begin(), o.approvals.end(), s.id) != o.approvals.end()))
      gates.push_back(s.id);
  return InputsToGive(rb, gates, inputs);
}

// The carried steps whose decision would not stand (DecisionsToTakeAgain: a gate whose prompt
// changed) are no longer carried: said, and left to run again like any step not carried, so
// that a gate nothing can answer is refused before the first step (breakHH HH8: found only
// when reached, after other work ran) and its --approve is taken.
void TakeAgainChangedDecisions(const Runbook& rb, RunOptions& options, const EnvMap& env,
                               const Result<std::string>& fingerprint_key) {
  std::set<std::string> again = DecisionsToTakeAgain(
      rb, BuildGraph(rb), options, env, fingerprint_key.ok() ? fingerprint_key.value() : "");
  for (const std::string& id : again) {
    std::cerr << "runbook: step '" << Printable(id) << "': its parameters are not those of run "
              << options.prior.at(id).run_id
              << ", where it passed: it runs again rather than carry that decision over\n";
    options.prior.erase(id);
  }
}

// The params run `r` recorded, a list's or a map's numbers with the text they were written
// with (its "params_written": JSON alone gave 3.1 for 3.10; break24a C1).
Value::Map RecordedParams(const RunRecord& r, const Runbook& rb) {
  const Value* params = r.started.Find("params");
  if (params == nullptr || !params->is_map()) return {};
  Value::Map out = params->as_map();
  const Value* written = r.started.Find("params_written");
  for (const auto& [name, text] : written && written->is_map() ? written->as_map() : Value::Map{}) {
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& p : rb.params)
      if (p.name == name) spec = &p;
    std::string error;
    Value value = spec && text.is_string() ? ParseTextAs(*spec, text.as_string(), error) : Value();
    if (spec && error.empty() && out.count(name)) out[name] = value;
  }
  return out;
}

}  // namespace

int CmdResume(const StepRegistry& registry, const RunCliOptions& cli) {
  int exit_code = kExitOk;
  RunCliOptions o = cli;
  o.registry = &registry;
  // From the caller's folder, or, with --runbook, from that file's folder as `run FILE` does
  // (breakL L29: a project moved with its .runbook/).
  auto chosen = ChooseAndSay(
      o.audit_db, o.resume_runbook.empty() ? std::string() : RunbookFolder(o.resume_runbook));
  if (!chosen) return kExitEnvironment;
  o.audit_db = chosen->path;  // one store throughout, whatever folder the run enters
  auto loaded = LoadRunAndStore(o.audit_db, o.resume_id, StoreUse::kWrite, exit_code, o.wait_lock);
  if (!loaded) return exit_code;
  RunRecord record = std::move(loaded->record);
  if (!TakenAsGoneIfSilent(*loaded->store, record)) return kExitEnvironment;
  if (o.wait_lock && !WaitWhileRunning(*loaded->store, record)) return kExitEnvironment;
  if (!Resumable(record, *loaded->store)) return kExitInvalid;
  if (!NotResumedYet(*loaded->store, record, o.approvals_via_api, exit_code)) return exit_code;
  const Accounts accounts = loaded->store->RunAccounts(RecordedUid(record));
  auto fingerprint_key = loaded->store->FingerprintKey(false);
  // The steps it carries over keep their measurements for the end-of-run table (breakO O24);
  // without them the table gives 0 attempts, nothing else changes.
  (void)CarryMeasurements(*loaded->store, record);
  loaded->store.reset();  // the checks are done; Launch opens the store for the run
  auto file = ResumeRunbookFile(record, o.resume_runbook, o.audit_db);
  if (!file.ok()) {
    std::cerr << "runbook: error: " << file.status().message() << "\n";
    return kExitInvalid;
  }
  auto rb = LoadCopyAs(registry, file.value().path, o.resume_text);
  if (!rb) return kExitInvalid;
  // Loops as the run expanded them, from its recorded params, so that its items are the
  // steps carried and run again. Recorded params hold a secret's text masked: the items are
  // made again below from the params as completed (break19 L1: an item ran on "***").
  const Runbook as_written = *rb;
  const Value::Map recorded_params = RecordedParams(record, *rb);
  if (!recorded_params.empty())
    if (Status s = ExpandRunbook(*rb, recorded_params, /*plan_unset=*/true); !s.ok()) {
      std::cerr << "runbook: error: " << s.message() << "\n";
      return kExitInvalid;
    }
  // Under serve, the API's body gives it (breakVV VV7).
  const std::string force_how = o.approvals_via_api ? "\"force\": true in the body" : "--force";
  bool another = false, same = SameRunbook(record, *rb, o.force, force_how, another);
  if (another) return kExitInvalid;
  std::string notice;
  auto base = ResumeBase(record, *rb, file.value(), o.force, notice, force_how);
  if (!base.ok()) {  // before an id is announced that would never be recorded (breakL L7)
    std::cerr << "runbook: error: " << base.status().message() << "; nothing was run\n";
    return kExitEnvironment;
  }
  std::string old_base = record.Path("base");
  bool reroot = file.value().moved && !old_base.empty() && base.value() != old_base;
  RunOptions options;
  // Every reason to refuse is found before any is reported as the end: one command that
  // continues, with every flag it needs (breakL L13, L14).
  ContinueLine next{record.run_id, AbsoluteFromHere(o.audit_db), {}, false, {}, {}};
  std::vector<std::pair<std::string, std::string>> confirmed_reruns;
  bool ask = same && (o.end_leftovers || !LeftoversRunning(record, accounts));
  bool usage_ok = PriorSteps(record, *rb, o, ask, options.prior, next.reruns, confirmed_reruns);
  const Value* uses_was = record.started.Find("uses_sha256");
  bool edited = record.Text("runbook_sha256") != Sha256Hex(rb->source.text) ||
                (uses_was != nullptr && uses_was->is_map() ? uses_was->as_map() : Value::Map{}) !=
                    UsesSha256(*rb);
  usage_ok = usage_ok && same;
  if (reroot) {  // the earlier steps' files moved with the runbook (breakL L25)
    size_t n = 0;
    for (auto& [id, step] : options.prior)
      n += RerootOutputs(step.outputs, {old_base, record.Path("base_real")}, base.value());
    if (n > 0)
      std::cerr << "runbook: " << n << " carried-over output(s) naming files under "
                << Printable(old_base) << " now name them under " << Printable(base.value())
                << "\n";
    auto again = RunAgainAtNewPlace(*rb, options.prior);  // breakM M31
    if (!again.ok()) {
      std::cerr << "runbook: error: " << again.status().message() << "\n";
      usage_ok = false;
    } else if (!again.value().empty()) {
      std::cerr << "runbook: " << again.value().size() << " carried step(s) run again here, as "
                << "they wrote files at the old place (they are idempotent): "
                << Join(again.value(), ", ") << "\n";
    }
  }
  EnvMap env = CurrentEnvironment();
  if (!ResolveRunSecrets(*rb, env, base.value(), options)) return kExitEnvironment;
  Redactor redactor = RunRedactor(*options.secrets, env);
  redactor.SetFingerprintKey(fingerprint_key.ok() ? fingerprint_key.value() : std::string());
  options.params = recorded_params;
  usage_ok = ResumeParams(record, *rb, o.sets, redactor, options.params, next.give_again,
                          o.approvals_via_api) &&
             usage_ok;
  if (!rb->loops.empty()) {
    Runbook again = as_written;
    if (Status s = ExpandRunbook(again, options.params); !s.ok()) {
      std::cerr << "runbook: error: " << s.message() << "\n";
      usage_ok = false;
    } else {
      *rb = std::move(again);
    }
  } else if (Status s = ExpandRunbook(*rb, options.params); !s.ok()) {
    std::cerr << "runbook: error: " << s.message() << "\n";
    usage_ok = false;
  }
  ApprovalsForItems(*rb, o.approvals);
  TakeAgainChangedDecisions(*rb, options, env, fingerprint_key);  // before the flags: HH8
  usage_ok = NoFlagsForCarriedGates(*rb, o, options.prior, edited) && usage_ok;
  std::map<std::string, std::string> inputs;  // parsed again by Launch, which runs them
  std::vector<std::string> unanswerable;      // gates to approve with the continue line
  usage_ok =
      ApprovalFlagsOk(o, *rb, options, inputs, &unanswerable, next.give_again) && usage_ok;  // N25
  std::string adopted_from;
  bool needs_adopt = false;
  usage_ok = Adoptable(record, o.adopt, adopted_from, needs_adopt) && usage_ok;
  std::vector<std::string> ended;  // leftovers are ended only by a resume that will run
  if (usage_ok || !o.end_leftovers)
    next.end_leftovers = !NoLeftovers(record, accounts, usage_ok && o.end_leftovers,
                                      o.approvals_via_api, redactor, ended);
  else
    next.end_leftovers = LeftoversRunning(record, accounts);  // given: kept for the next try
  if (!usage_ok || next.end_leftovers) {
    RunCliOptions kept = o;
    kept.force = o.force || !same;  // the change was named: --force after checking it
    next.options = ResumeOptionsKept(record, kept, *rb, options.prior, redactor);
    if (needs_adopt) next.options.push_back("--adopt");  // after checking, as the error says
    for (const std::string& id : unanswerable)           // breakHH HH7: the flag the error names
      next.options.push_back("--approve " + ShellQuote(id));
    std::vector<std::string> to_give =
        InputsToGiveOffTerminal(*rb, o, options, unanswerable, inputs);
    for (const std::string& key : to_give)  // breakII II3: as --set NAME=VALUE is
      next.options.push_back("--input " + ShellQuote(key + "=VALUE"));
    std::cerr << "runbook: nothing was run\n";
    // Not under serve, whose API caller gives the same through the resume's body (and whose
    // line would name a secret param as a --set: breakUU UU1).
    if (!o.approvals_via_api &&
        (!next.reruns.empty() || next.end_leftovers || !next.give_again.empty() || !same ||
         needs_adopt || !unanswerable.empty() || !to_give.empty()))
      std::cerr << "runbook: after checking, to continue: " << next.Command() << "\n";
    return usage_ok ? kExitEnvironment : kExitInvalid;
  }
  std::string incident = IncidentStart(record, *rb);
  options.incident_started = ParseUtc(incident);
  options.prior_approval_wait = ApprovalWait(record);
  RunContext context;
  if (!RunIdAndTrigger(o, options.run_id, context.trigger)) return kExitInvalid;
  context.runbook_sha256 = Sha256Hex(rb->source.text);
  context.user = CurrentUser();
  context.git_commit = GitCommitOf(rb->path());
  context.resumed_from = record.run_id;
  context.continues = Continues(record);
  options.continues = context.continues;
  context.incident_started_at = incident;
  context.prior_approval_wait_ms = options.prior_approval_wait.count();
  context.ended_leftovers = std::move(ended);
  context.reruns_confirmed = std::move(confirmed_reruns);
  context.adopted_from = adopted_from;
  if (!notice.empty()) std::cerr << "runbook: warning: " << notice << "\n";
  // Run-scoped types run again whatever they did (the executor's Restore), and finally steps
  // do when a main step runs again: those are not counted as carried over (breakP P7: "2
  // step(s) carried over", then both ran). When every main step is carried, the passed
  // finally steps are too (breakX X7), and counted.
  auto carries = [&](const StepDecl& d) {
    return options.prior.count(d.id) != 0 && !(d.type && d.type->spec().run_scoped);
  };
  bool all_main = std::all_of(rb->steps.begin(), rb->steps.end(),
                              [&](const StepDecl& d) { return d.is_finally || carries(d); });
  size_t carried = 0;
  for (const StepDecl& d : rb->steps) carried += carries(d) && (!d.is_finally || all_main);
  o.announce = "runbook: resuming run " + record.run_id + " as " + options.run_id + "; " +
               std::to_string(carried) + " step(s) carried over";
  if (int code = EnterRun(o, *rb, base, context); code != kExitOk) return code;
  return Launch(o, *rb, std::move(options), std::move(context));
}

}  // namespace runbook
