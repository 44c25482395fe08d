// Reports of one run, rebuilt from the audit store: JSON (stable, documented in
// docs/audit.md: fields are added, never renamed), Markdown for a ticket, and
// self-contained HTML (inline CSS and SVG, a print stylesheet for A4) with a timeline and
// the DAG laid out by Graphviz. All three carry the same facts: header, parameters,
// objectives and their clock, the chain of runs, approvals with inputs, evidence per
// step, and the run's position in the audit chain. All text comes from the store, which
// holds only redacted values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/audit/run_record.h"
#include "engine/util/status.h"

namespace runbook {

constexpr int kReportFormatVersion = 1;

Value ReportValue(const RunRecord& r);
std::string ReportJson(const RunRecord& r);
std::string ReportMarkdown(const RunRecord& r);
std::string ReportHtml(const RunRecord& r);
// The report as a PDF (A4 portrait): the Markdown report's facts (report_doc.h) typeset by
// Pango on a Cairo PDF surface, with the step graph drawn by librsvg, "page N of M" in each
// footer. The same store gives the same bytes each time (the creation date is the run's start).
// Error: Cairo failing to make the file (out of memory).
Result<std::string> ReportPdf(const RunRecord& r);

// The format `report` writes: `format` when given, else from the extension of `output`
// (.html/.htm, .json, .pdf, .md/.markdown/.txt or none: "md"); "" for any other extension,
// which the command refuses rather than write Markdown under that name.
std::string ReportFormatFor(const std::string& format, const std::string& output);

// The field `key` of a map value; a null value when absent or `v` is not a map.
const Value& ReportField(const Value& v, const char* key);
// "1h 02m", "3.2s": durations for people.
std::string HumanMs(int64_t ms);
// What started the run when runbook serve did (run_started's `trigger`), for people:
// "schedule '0 3 * * *' (Europe/Madrid), fire 2026-12-04T02:00:00.000Z" or "API call by
// anonymous from 127.0.0.1"; "" for a run started at a terminal.
std::string TriggerText(const RunRecord& r);
// The integrity results of a run: step outputs named integrity, verified, integrity_ok or
// integrity_percent, as "step.name = value".
std::vector<std::string> IntegrityLines(const RunRecord& r);
// The note column of a step: why it was skipped or failed, "carried over from RUN", and
// how a service it started was stopped.
std::string StepNote(const StepView& s);
// Whether run `i` of the chain ran another runbook file than the run before it (a resume
// --force of an edited runbook; breakFF F4). False for the first, or where a sha is unknown.
bool RunbookEdited(const RunRecord& r, size_t i);
// A step's duration for the steps table: "-" for a step that never finished (no duration,
// as `show` says; breakN N29: "0ms").
std::string StepDurationText(const StepView& s);
// "met", "MISSED", "not measured", "no objective".
std::string ObjectiveText(const Value& objective_body);

// What a step acted on, read from its outputs (nothing else is known): a file with its
// sha256 (a dump, a checked or verified file), an object sent off-site (key, bytes,
// ETag), the database a restore wrote and the backup it came from.
struct Artifact {
  std::string step;
  std::string name;  // path, object key or restored target
  std::string sha256;
  std::optional<int64_t> bytes;
  std::string etag;
  std::string note;               // signature, key id, manifest, "taken at ..."
  std::string taken_at;           // restore: when the restored backup was made
  std::optional<int64_t> age_ms;  // restore: its age when the step finished
};
std::vector<Artifact> Artifacts(const RunRecord& r);
// A step's scalar outputs as "name=value" (lists and maps are in Artifacts or the JSON).
std::vector<std::string> ScalarOutputs(const StepView& s);

// Which clock the RTO is: "incident" for a resumed run (from the first run of the chain,
// across every resume), else "run".
std::string RtoClock(const RunRecord& r);
// One sentence saying what the RTO counts and this run's own duration.
std::string RtoClockText(const RunRecord& r);
// The run's `key` ("rto" or "rpo") measurement as its run_finished recorded it; for a run
// that has none (still running, or it never finished) and an objective set, one saying so:
// {objective_ms, measured: false, met: null, note}, so that a report lists the objective
// (breakFF F9); null when neither.
Value MeasuredObjective(const RunRecord& r, const char* key);
// What else an objective's body says: the RTO's note (why it was not measured) or the
// step whose restored backup gives the RPO, as "; ..." ("" when nothing).
std::string ObjectiveDetail(const Value& objective_body);
// "#12–#40 (25 events of this run), last event hash ...": the audit-chain position.
std::string AuditPositionText(const RunRecord& r);

// "runbook audit verify --audit-db STORE": the command that checks the chain.
std::string VerifyCommand(const RunRecord& r);

// The step graph laid out in layers by Graphviz (dot), as an inline <svg> element with
// every name escaped; boxes coloured by outcome, finally steps dashed. A paragraph
// saying why when there is no graph or Graphviz fails. Thread-safe: one call at a time
// reaches Graphviz, which is not.
std::string DagSvg(const RunRecord& r);
// The fill colour of an outcome ("" for a step that never ran).
const char* OutcomeColour(const std::string& outcome);

}  // namespace runbook
