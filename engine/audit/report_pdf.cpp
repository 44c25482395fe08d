// ReportPdf: the report document (report_doc.h) as Pango markup, handed to the PDF typesetter
// module runbook_pdf.so (pdf/typeset_pdf.cpp), loaded the first time a PDF is asked for.
#include <dlfcn.h>
#include <elf.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "engine/audit/pdf_request.h"
#include "engine/audit/report.h"
#include "engine/audit/report_doc.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// `text` as Pango markup text: Printable (Pango takes only valid UTF-8, and no control
// character reaches the page), then the five characters GMarkup reads as markup escaped.
std::string Escaped(const std::string& text) {
  std::string out;
  for (char c : Printable(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// One line of the report: a newline is a space, as in the md report's cells.
std::string Line(std::string text) {
  for (char& c : text)
    if (c == '\n') c = ' ';
  return Escaped(text);
}

std::string Markup(const ReportText& t) {
  std::string out;
  for (const ReportSpan& s : t) {
    switch (s.style) {
      case ReportSpan::Style::kPlain:
        out += Line(s.text);
        break;
      case ReportSpan::Style::kStrong:
        out += "<b>" + Line(s.text) + "</b>";
        break;
      case ReportSpan::Style::kCode:
        out += "<span font_family=\"DejaVu Sans Mono, Monospace\" size=\"92%\">" + Line(s.text) +
               "</span>";
        break;
    }
  }
  return out;
}

// Output as printed: each line escaped, the newlines kept.
std::string Lines(const std::string& text) {
  std::string out, line;
  for (char c : PrintableLines(text)) {
    if (c != '\n') {
      line += c;
      continue;
    }
    out += Escaped(line) + "\n";
    line.clear();
  }
  return out + Escaped(line);
}

PdfBlock Converted(const ReportBlock& b) {
  PdfBlock out;
  out.kind = static_cast<PdfBlock::Kind>(static_cast<int>(b.kind));
  out.level = b.level;
  out.markup =
      b.kind == ReportBlock::Kind::kPreformatted ? Lines(PlainText(b.text)) : Markup(b.text);
  for (const ReportText& h : b.header) out.header.push_back(Markup(h));
  for (const auto& row : b.rows) {
    out.rows.emplace_back();
    for (const ReportText& cell : row) out.rows.back().push_back(Markup(cell));
  }
  for (const ReportText& item : b.items) out.items.push_back(Markup(item));
  return out;
}
static_assert(static_cast<int>(ReportBlock::Kind::kStepGraph) ==
                  static_cast<int>(PdfBlock::Kind::kStepGraph),
              "PdfBlock::Kind mirrors ReportBlock::Kind");

// The html report's legend of the step graph.
std::vector<PdfLegendKey> Legend() {
  std::vector<PdfLegendKey> keys;
  for (std::string outcome : {"success", "warning", "failure", "cancelled", "unfinished"})
    keys.push_back({OutcomeColour(outcome),
                    Escaped(outcome + (outcome == "unfinished" ? " (interrupted)" : ""))});
  keys.push_back({OutcomeColour("skipped"), "skipped or not run"});
  keys.push_back({"", "dashed border: a finally step"});
  keys.push_back({"", "→ arrow: the step below needs the one above"});
  return keys;
}

PdfRequest Request(const RunRecord& r) {
  PdfRequest q;
  ReportDocument d = BuildReportDocument(r);
  for (const ReportBlock& b : d.blocks) q.blocks.push_back(Converted(b));
  std::string html = DagSvg(r);  // <div class="dag"><svg ...></svg></div>, or a <p>
  size_t open = html.find("<svg"), close = html.rfind("</svg>");
  if (open != std::string::npos && close != std::string::npos && close > open)
    q.graph_svg = html.substr(open, close + 6 - open);
  std::string note;
  bool in_tag = false;
  for (char c : html) {  // the <p>'s words
    if (c == '<' || c == '>')
      in_tag = c == '<';
    else if (!in_tag && c != '\n')
      note += c;
  }
  q.graph_note = Escaped(note);
  q.legend = Legend();
  q.title = Printable(PlainText(d.blocks.front().text));
  q.creator = "runbook " RUNBOOK_VERSION;
  // The run's start, so that one record gives one file, byte for byte.
  if (r.started_at.size() >= 19) q.creation_date = r.started_at.substr(0, 19) + "Z";
  q.footer = Escaped("runbook report · run " + r.run_id);
  return q;
}

struct Module {
  PdfTypesetFn typeset = nullptr;
  std::string problem;  // why there is none
};

// Where the module is looked for: beside the binary (a build folder), then in
// ../lib/runbook/ from it (the .deb: /usr/bin/runbook, /usr/lib/runbook/runbook_pdf.so).
std::vector<std::string> ModulePaths() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  return {(exe / "runbook_pdf.so").string(),
          (exe.parent_path() / "lib" / "runbook" / "runbook_pdf.so").string()};
}

// Whether the file at `path` is an ELF object whole, as far as its headers say: a file cut
// short is mapped by dlopen, and touching a page past its end is SIGBUS (breakHH HH4: a
// truncated module killed the CLI and serve with it). "" when whole, else why not.
std::string CutShort(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Elf64_Ehdr eh{};
  if (bytes.size() < sizeof eh || bytes.compare(0, SELFMAG, ELFMAG) != 0)
    return "is not an ELF object";
  std::memcpy(&eh, bytes.data(), sizeof eh);
  auto within = [&](uint64_t offset, uint64_t count, uint64_t size) {
    return offset <= bytes.size() && count * size <= bytes.size() - offset;
  };
  if (!within(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr)) ||
      !within(eh.e_shoff, eh.e_shnum, sizeof(Elf64_Shdr)))
    return "is cut short (its headers point past its end)";
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    std::memcpy(&ph, bytes.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (!within(ph.p_offset, 1, ph.p_filesz)) return "is cut short (a segment ends past its end)";
  }
  return "";
}

Module Load() {
  Module m;
  std::string tried;
  for (const std::string& path : ModulePaths()) {
    if (!std::filesystem::exists(path)) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    if (std::string why = CutShort(path); !why.empty()) {
      m.problem = "the PDF typesetter " + Printable(path) + " " + why;
      return m;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed
    if (handle == nullptr) {
      const char* why = ::dlerror();
      m.problem = "the PDF typesetter " + Printable(path) +
                  " cannot be loaded: " + Printable(why ? why : "dlopen failed");
      return m;
    }
    auto version = reinterpret_cast<PdfModuleVersionFn>(::dlsym(handle, kPdfModuleVersionSymbol));
    auto typeset = reinterpret_cast<PdfTypesetFn>(::dlsym(handle, kPdfTypesetSymbol));
    if (version == nullptr || typeset == nullptr || std::string(version()) != RUNBOOK_VERSION) {
      m.problem = "the PDF typesetter " + Printable(path) + " is not runbook " RUNBOOK_VERSION "'s";
      return m;
    }
    m.typeset = typeset;
    return m;
  }
  m.problem = "the PDF typesetter runbook_pdf.so is not installed (looked at " + tried + ")";
  return m;
}

const Module& TheModule() {
  static std::once_flag once;
  static Module module;
  std::call_once(once, [] { module = Load(); });
  return module;
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer's built-in suppressions for a sanitized build: fontconfig, which Pango (ours and
// librsvg's own font map) loads fonts through on a thread of its own, keeps its font sets
// until the process ends and never frees them (valgrind, 2026-12-07: 13 blocks, every stack
// through libfontconfig, none through runbook's code).
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
#endif

Result<std::string> ReportPdf(const RunRecord& r) {
  const Module& m = TheModule();
  if (m.typeset == nullptr) return Status::Error(m.problem);
  PdfRequest request = Request(r);
  PdfResult result;
  {
    // One PDF at a time: Cairo, Pango and librsvg are used from serve's request threads, and
    // fontconfig's and librsvg's process-wide state is not theirs to share (breakHH HH1 was
    // Graphviz; the typesetter is serialised as well rather than trusted).
    static std::mutex typesetter;
    std::lock_guard<std::mutex> one_at_a_time(typesetter);
    m.typeset(request, result);
  }
  if (!result.error.empty()) return Status::Error("the PDF could not be made: " + result.error);
  return std::move(result.pdf);
}

}  // namespace runbook
