// Reports of one run, rebuilt from the audit store: JSON (stable, documented in
// docs/audit.md), Markdown for a ticket, and self-contained HTML with a timeline and the
// DAG. All text comes from the store, which holds only redacted values.
#pragma once

#include <string>
#include <vector>

#include "engine/audit/run_record.h"

namespace runbook {

constexpr int kReportFormatVersion = 1;

Value ReportValue(const RunRecord& r);
std::string ReportJson(const RunRecord& r);
std::string ReportMarkdown(const RunRecord& r);
std::string ReportHtml(const RunRecord& r);

// "1h 02m", "3.2s": durations for people.
std::string HumanMs(int64_t ms);
// The integrity results of a run: step outputs named integrity, verified, integrity_ok or
// integrity_percent, as "step.name = value".
std::vector<std::string> IntegrityLines(const RunRecord& r);
// The note column of a step: why it was skipped or failed, "carried over from RUN", and
// how a service it started was stopped.
std::string StepNote(const StepView& s);
// "met", "MISSED", "not measured", "no objective".
std::string ObjectiveText(const Value& objective_body);

}  // namespace runbook
