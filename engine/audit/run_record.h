// A run as the audit store remembers it, rebuilt from its events (never from the runs
// index): what `show`, `report` and `resume` read.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/audit/store.h"
#include "engine/util/value.h"

namespace runbook {

struct AttemptView {
  int number = 0;
  std::string started_at;
  std::string finished_at;  // "" when it never finished
  std::string status;       // success | failure | timeout | cancelled
  bool began = true;        // false: cancelled before it ran (attempt_finished `began`)
  Value exit_code;
  std::string error;
  int64_t duration_ms = 0;
  Value::Map params;
  // Param name -> keyed fingerprint of the path it named, for those recorded masked
  // (RunJournal::AttemptStarted).
  Value::Map path_fingerprints;
  // A decision's parameters whole, when they were recorded masked (RunJournal::AttemptStarted);
  // "" otherwise.
  std::string params_fingerprint;
  Value::Map outputs;
  std::string stdout_tail;
  std::string stderr_tail;
  // Both streams' last lines in the order they came (breakR R6); "" in older records.
  std::string output_tail;
  // The last lines it printed: output_tail, else (older records) stderr's, else stdout's.
  const std::string& LastOutput() const {
    return !output_tail.empty() ? output_tail : !stderr_tail.empty() ? stderr_tail : stdout_tail;
  }
  // Descendants that had left the step's process group, ended with it ("process 123
  // (sleep 9): SIGTERM"); runbook's notes, not the tool's output.
  std::vector<std::string> ended_processes;
  std::vector<std::string> log_lines;  // the step's notes (ctx.log), the last ones kept
  int64_t log_dropped = 0;             // earlier notes not kept
  // An attempt that never finished: what it had printed when last kept while it ran
  // (AuditStore::KeepOutputSoFar), and when; "" when nothing was kept.
  std::string output_so_far;
  std::string output_so_far_at;
  // "" when it ran in this run; for a step a resume carried over, the run it ran in
  // (CarryMeasurements, breakN N22).
  std::string run_id;
};

struct ApprovalView {
  std::string step;
  std::string by;
  std::string at;
  int64_t waited_ms = 0;
  Value::Map inputs;
  std::string run_id;  // the run it was given in (an earlier run of the chain carried it over)
  // "" for an approval gate; for a step stopped mid-way that a resume ran again on the
  // operator's word, how it was confirmed ("--rerun", "asked on a terminal"; breakN N2).
  std::string rerun;
  // What was approved: the gate's prompt as its attempt recorded it (secrets masked), ""
  // when not recorded (breakFF F4: an approval of another prompt is no approval of this one).
  std::string prompt = "";
};

struct StepView {
  std::string id;
  std::string name;  // its display name when other than the id (StepDecl::OwnName), else ""
  std::string type;
  std::string outcome;  // "" when it never finished
  std::string reason;
  std::string finished_at;
  // When it passed where it ran: finished_at, or for a step carried over by a resume the
  // time it finished in the run it comes from (its body's restored_finished_at).
  std::string passed_at;
  int64_t duration_ms = 0;
  Value::Map outputs;
  // Outputs whose value or name held a secret: `outputs` has them masked (breakO O26).
  std::vector<std::string> masked_outputs;
  // Carried steps whose masked outputs it read, failing: run them again (breakQ Q2).
  std::vector<std::string> rerun_needed;
  std::string restored_from;
  std::string stopped;  // a service it started, stopped at the end of the run: how
  std::vector<AttemptView> attempts;
  // As recorded when its last attempt started: running it again is safe (null in records
  // made before the field).
  Value idempotent;
  bool started_not_finished() const { return outcome.empty() && !attempts.empty(); }
  // Its last attempt was stopped before it ended by itself, so what it did is unknown:
  // runbook was killed under it (it never finished), Ctrl-C/SIGTERM stopped it (cancelled,
  // breakM M14), or its timeout did (breakN N7: a hung switch that timed out half done). Not
  // a step whose failed attempt had ended and whose retry was pending (M26).
  bool stopped_mid_attempt() const {
    if (attempts.empty() || outcome == "success" || outcome == "warning") return false;
    const AttemptView& last = attempts.back();
    if (last.finished_at.empty()) return outcome.empty();
    if (!last.began) return false;  // nothing of it ran
    return last.status == "cancelled" || last.status == "timeout";
  }
};

struct RunRecord {
  std::string run_id;
  std::string status;  // running | success | failure | cancelled | interrupted
  std::string started_at;
  std::string finished_at;
  Value started;   // the run_started body
  Value finished;  // the run_finished body (null when none)
  std::string interrupted_reason;
  std::vector<StepView> steps;  // in the order they first appear
  std::vector<ApprovalView> approvals;
  // Approval gates of a run under runbook serve that wait for an answer through its API
  // (cli/api_approver.h): the approval_waiting bodies not answered since (step, prompt,
  // inputs).
  std::vector<Value> approvals_waiting;
  // Deliveries of notify: entries after the run ended (cli/run_notify.h), their bodies.
  std::vector<Value> notifications;
  // A resume's run_started `ended_leftovers`: processes the run it resumes had left running,
  // which this one ended before it started ("process 123 (sleep 9): SIGTERM"; breakN N23).
  std::vector<std::string> ended_leftovers;
  int64_t events = 0;
  // Where the run sits in the store's hash chain (`runbook audit verify` checks it): the
  // seq of its first and last event (other runs' events may lie between) and the last
  // one's hash.
  int64_t first_seq = 0;
  int64_t last_seq = 0;
  std::string last_hash;
  // The first of its events whose content does not hash to the hash recorded with it (it
  // was changed after it was written), 0 when all do: a report read from a tampered store
  // says so itself (breakFF F6: an edited ticket was reported with the stored hashes).
  // Links between events (the whole chain) are `runbook audit verify`'s.
  int64_t altered_seq = 0;
  // What `audit verify` finds wrong with the store's whole chain ("" when intact), filled by
  // the commands that print the record as evidence (report, show): an edit elsewhere in the
  // chain — an earlier run's approval, a deleted event — is said too (breakGG G5, G6, G8).
  std::string chain_problem = "";
  // Filled by LoadRunChain only: the original run, then each resume, in order (this run
  // among them), the store's path and its last event when the record was read.
  std::vector<RunRow> run_chain;
  std::string store_path;
  int64_t store_head_seq = 0;
  std::string store_head_hash;

  const StepView* FindStep(const std::string& id) const;
  std::string Text(const char* key) const;  // a string field of the run_started body
  // A path field of the run_started body (path, base, base_real) as its bytes were, also
  // when they were not UTF-8 (from `<key>_hex`, audit_journal.cpp PutPath).
  std::string Path(const char* key) const;
};

// One row of the runs index as `history --format json` and serve's /api/v1/runs give it:
// run_id, runbook, kind, status, started_at, finished_at, duration_ms, rto_ms,
// rto_objective_ms, rpo_ms, rpo_objective_ms (null when not measured), objectives_met,
// resumed_from.
Value RunRowValue(const RunRow& r);

// The "finished" line of a report header: the run's end; for a run whose process was found
// gone (interrupted), when that was noticed and the last thing recorded of it before, since
// it ended at some time between (breakN N29: the marking time read as the end). "" while
// it runs.
std::string FinishedText(const RunRecord& r);

// For people (show, the reports): each param the run recorded (masked, as recorded) as text:
// as written where the run kept its written text ("params_written": `3.10`, `[3.10,"0755"]`),
// else its value's text (Value::ToText; with `json`, its JSON: a string quoted, as show's
// one-line map gives it). Empty when none (break24a C1: they showed 3.1).
std::map<std::string, std::string> RecordedParamTexts(const RunRecord& r, bool json = false);

Result<RunRecord> LoadRunRecord(AuditStore& store, const std::string& run_id);
// Error when `r` (LoadRunRecord) has no run_started event: the runs index lists the run, but
// no chained event records it (a row added by hand, or its events deleted); the message says
// so and how to check the store. Ok otherwise (breakHH HH11: shown as an empty run, exit 0).
Status RecordedByEvents(const RunRecord& r);
// For each step of `r` a resume carried over (restored_from another run): its attempts
// (each naming that run) and its duration, read from the run it ran in, so reports and `show`
// measure it as it ran instead of as 0 attempts in 0ms (breakN N22). Errors: the store's.
Status CarryMeasurements(AuditStore& store, RunRecord& r);
// The real uid `r` ran as (run_started's `uid`); none in records made before the field.
std::optional<uid_t> RecordedUid(const RunRecord& r);
// Fills r.run_chain (following resumed_from back to the original run and FirstResumeOf
// forward, at most 1000 links) and the store's head, and puts before r.approvals those of
// the earlier runs of the chain (breakL L17: the report of the run that completes the
// incident lost who declared it). Errors: the store's, with context.
Status LoadRunChain(AuditStore& store, RunRecord& r);
// For whatever shows `r` as evidence (report, show, the API's run): walks the store's whole
// hash chain (VerifyChain, as `audit verify`) and puts a break found anywhere before what
// r.chain_problem already says (LoadRunChain's runs-index witness). Errors: the chain cannot
// be walked (r.chain_problem then says so too).
Status NoteChainProblem(AuditStore& store, RunRecord& r);

}  // namespace runbook
