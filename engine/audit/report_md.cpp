// The Markdown report: the report document (report_doc.h) in CommonMark with GFM tables, for
// a ticket.
#include <algorithm>
#include <sstream>
#include <string_view>

#include "engine/audit/report.h"
#include "engine/audit/report_doc.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// Text that reaches a ticket as text, not markup: CommonMark's backslash escape before the
// characters that start HTML, links, images, emphasis, code and strikethrough (breakN N12: a
// step's `<script>` and `[approved](http://...)` were rendered), '|' escaped for the table
// (GFM), a newline as a space, other control characters as \xNN (Printable: a name's escape
// sequence never reaches a terminal showing the report; K9).
std::string MdCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>|~&!").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return Printable(out);
}

// A code span: its content is literal (no escapes work in it, so markup in it is shown as
// typed); fenced by one backtick more than the longest run in it, '|' escaped for the table
// (GFM reads \| in a cell's code span as a pipe).
std::string CodeSpan(const std::string& s) {
  if (s.empty()) return "";
  std::string body;
  size_t run = 0, longest = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    body += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  }
  std::string fence(longest + 1, '`');
  std::string pad = !body.empty() && (body.front() == '`' || body.back() == '`') ? " " : "";
  return fence + pad + Printable(body) + pad + fence;
}

std::string Text(const ReportText& t) {
  std::string out;
  for (const ReportSpan& s : t) {
    switch (s.style) {
      case ReportSpan::Style::kPlain:
        out += MdCell(s.text);
        break;
      case ReportSpan::Style::kStrong:
        out += "**" + MdCell(s.text) + "**";
        break;
      case ReportSpan::Style::kCode:
        out += CodeSpan(s.text);
        break;
    }
  }
  return out;
}

// A GFM table; a header of empty cells is written "| | |" (a table of label | value rows).
void Table(std::ostringstream& o, const ReportBlock& b) {
  for (const ReportText& h : b.header) o << "| " << (PlainText(h).empty() ? "" : Text(h) + " ");
  o << "|\n";
  for (size_t i = 0; i < b.header.size(); ++i) o << "|---";
  o << "|\n";
  for (const auto& row : b.rows) {
    for (const ReportText& cell : row) o << "| " << Text(cell) << " ";
    o << "|\n";
  }
}

// A fenced code block: its lines as they are (each Printable), the fence one backtick longer
// than the longest run in it (CommonMark), so nothing in it closes the block or is markup.
void Fenced(std::ostringstream& o, const std::string& text) {
  size_t run = 0, longest = 2;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(longest + 1, '`');
  std::string body = PrintableLines(text);
  while (!body.empty() && body.back() == '\n') body.pop_back();
  o << fence << "\n" << body << "\n" << fence << "\n";
}

void Block(std::ostringstream& o, const ReportBlock& b) {
  using BlockKind = ReportBlock::Kind;
  switch (b.kind) {
    case BlockKind::kHeading:
      o << std::string(b.level, '#') << " " << Text(b.text) << "\n";
      break;
    case BlockKind::kTable:
      Table(o, b);
      break;
    case BlockKind::kList:
      for (const ReportText& item : b.items) o << "- " << Text(item) << "\n";
      break;
    case BlockKind::kNumbered:
      for (size_t i = 0; i < b.items.size(); ++i) o << i + 1 << ". " << Text(b.items[i]) << "\n";
      break;
    case BlockKind::kParagraph:
      o << Text(b.text) << "\n";
      break;
    case BlockKind::kPreformatted:
      Fenced(o, PlainText(b.text));
      break;
    case BlockKind::kStepGraph:
      break;  // no pictures in a ticket: the HTML and PDF reports draw it
  }
}

}  // namespace

std::string ReportMarkdown(const RunRecord& r) {
  std::ostringstream o;
  ReportDocument d = BuildReportDocument(r);
  bool first = true;
  for (const ReportBlock& b : d.blocks) {
    if (b.kind == ReportBlock::Kind::kStepGraph) continue;
    if (!first) o << "\n";
    first = false;
    Block(o, b);
  }
  return o.str();
}

}  // namespace runbook
