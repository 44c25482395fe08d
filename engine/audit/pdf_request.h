// What runbook hands its PDF typesetter (pdf/typeset_pdf.cpp, the module runbook_pdf.so):
// the report document with every text already Pango markup, the step graph's SVG and the
// page's metadata. A module, loaded only when a PDF is asked for, because Pango, Cairo and
// librsvg bring some 40 shared libraries that cost every other `runbook` start ~17 ms
// (measured 2026-12-07: 100 starts of an empty program 0.3 s, linked with them 2.0 s).
// Plain structs and the standard library only: both sides are built from this one header
// by one compiler in one build, and the module says which version it is before it is used.
#pragma once

#include <string>
#include <vector>

namespace runbook {

struct PdfBlock {
  enum class Kind { kHeading, kTable, kList, kNumbered, kParagraph, kPreformatted, kStepGraph };
  Kind kind = Kind::kParagraph;
  int level = 0;       // a heading's: 2 the title, 3 a section, 4 below one
  std::string markup;  // a heading, paragraph or the step graph's title; preformatted: lines
                       // kept by '\n'
  std::vector<std::string> header;  // a table's header cells; all "": label | value rows
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> items;  // a list's
};

struct PdfLegendKey {
  std::string colour;  // "#rrggbb", "" for a key with no swatch
  std::string markup;
};

struct PdfRequest {
  std::vector<PdfBlock> blocks;
  std::string graph_svg;   // the step graph (an <svg> element), "" when there is none
  std::string graph_note;  // markup: why there is none
  std::vector<PdfLegendKey> legend;
  std::string title;          // the PDF's metadata, plain UTF-8
  std::string creator;        // "runbook 0.1.0"
  std::string creation_date;  // ISO 8601 "2026-12-04T02:00:00Z", "" for none
  std::string footer;         // markup, followed by " · page N of M" on each page
};

struct PdfResult {
  std::string pdf;    // the file's bytes
  std::string error;  // "" when made
};

// The module's two functions (extern "C"): its version, which must be runbook's own
// (RUNBOOK_VERSION), and the typesetter.
constexpr const char* kPdfModuleVersionSymbol = "runbook_pdf_version";
constexpr const char* kPdfTypesetSymbol = "runbook_typeset_pdf";
using PdfModuleVersionFn = const char* (*)();
using PdfTypesetFn = void (*)(const PdfRequest& request, PdfResult& result);

}  // namespace runbook
