// The report as a document of typed blocks, built once from a run's record: the Markdown
// report (report_md.cpp) and the PDF report (report_pdf.cpp) are two renderings of it, so
// both carry the same facts in the same order. The HTML report has its own layout (timeline,
// inline DAG, CSS) over the same helpers of report.h.
#pragma once

#include <string>
#include <vector>

#include "engine/audit/run_record.h"

namespace runbook {

// A piece of text and how it is set. The text is as the store holds it (redacted, not
// escaped): each renderer escapes for its own format (CommonMark, Pango markup).
struct ReportSpan {
  enum class Style { kPlain, kStrong, kCode };
  Style style = Style::kPlain;
  std::string text;
};
using ReportText = std::vector<ReportSpan>;

struct ReportBlock {
  enum class Kind {
    kHeading,       // `text`; level 2 for the title, 3 for a section, 4 below one
    kTable,         // `header` (all empty: a table of label | value rows), `rows`
    kList,          // `items`, bulleted
    kNumbered,      // `items`, numbered from 1
    kParagraph,     // `text`
    kPreformatted,  // `text`, one plain span whose lines are kept (a failed attempt's output)
    kStepGraph,     // the step graph (DagSvg), titled `text`: a picture, so not in Markdown
  };
  Kind kind = Kind::kParagraph;
  int level = 0;
  ReportText text;
  std::vector<ReportText> header;
  std::vector<std::vector<ReportText>> rows;
  std::vector<ReportText> items;
};

struct ReportDocument {
  std::vector<ReportBlock> blocks;
};

// Header, parameters, the chain of runs, integrity, approvals, processes ended before a
// resume, evidence, step results, the step graph, steps, what each failed attempt said, and
// the audit-chain position: the order of the Markdown report since its first version
// (docs/audit.md), the HTML report's failed attempts added.
ReportDocument BuildReportDocument(const RunRecord& r);

// All the text of `t`, styles dropped ("" for none).
std::string PlainText(const ReportText& t);

}  // namespace runbook
