// runbook's PDF typesetter, the module runbook_pdf.so (engine/audit/pdf_request.h says why a
// module): the report document, its text already Pango markup, typeset on A4 by Pango on a
// Cairo PDF surface, the step graph's SVG drawn by librsvg. The only file that includes them.
// Set twice: once to count the pages ("page N of M" in each footer), once to keep.
#include <cairo-pdf.h>
#include <librsvg/rsvg.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/audit/pdf_request.h"

namespace runbook {
namespace {

// A4 portrait in points (1/72 in), 15 mm margins.
constexpr double kPageWidth = 595.276;
constexpr double kPageHeight = 841.89;
constexpr double kMargin = 42.5;
constexpr double kWidth = kPageWidth - 2 * kMargin;
constexpr double kBottom = kPageHeight - kMargin - 14;  // the footer below
constexpr double kCellPad = 3.5;
constexpr double kMinColumn = 34;
constexpr const char* kBodyFont = "DejaVu Sans, Sans 8.5";
constexpr const char* kCodeFamily = "DejaVu Sans Mono, Monospace";

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Surface = std::unique_ptr<cairo_surface_t, Deleter<cairo_surface_t, cairo_surface_destroy>>;
using Context = std::unique_ptr<cairo_t, Deleter<cairo_t, cairo_destroy>>;
void UnrefObject(void* p) { g_object_unref(p); }
struct GObjectDeleter {
  void operator()(void* p) const { UnrefObject(p); }
};
using Layout = std::unique_ptr<PangoLayout, GObjectDeleter>;
using Font = std::unique_ptr<PangoFontDescription,
                             Deleter<PangoFontDescription, pango_font_description_free>>;

cairo_status_t Append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// One pass over the document: where the pen is, which page, and how many there will be.
class Typesetter {
 public:
  Typesetter(cairo_t* cr, PangoContext* pango, const PdfRequest& request, int pages_total)
      : cr_(cr), pango_(pango), request_(request), pages_total_(pages_total) {}

  void Document() {
    for (const PdfBlock& b : request_.blocks) Block(b);
    Footer();
    cairo_show_page(cr_);
  }
  int pages() const { return page_; }

 private:
  Layout Text(const std::string& markup, double width, const char* font = kBodyFont) {
    Layout l(pango_layout_new(pango_));
    Font f(pango_font_description_from_string(font));
    pango_layout_set_font_description(l.get(), f.get());
    if (width > 0) {
      pango_layout_set_width(l.get(), pango_units_from_double(width));
      pango_layout_set_wrap(l.get(), PANGO_WRAP_WORD_CHAR);  // a long hash breaks, not spills
    }
    // No hyphen drawn where a value breaks over lines: a hash or a path broken "…84ca-" /
    // "d054b" reads as another value (breakHH HH10).
    pango_layout_set_markup(l.get(),
                            ("<span insert_hyphens=\"false\">" + markup + "</span>").c_str(), -1);
    return l;
  }
  static double Height(PangoLayout* l) {
    int w = 0, h = 0;
    pango_layout_get_size(l, &w, &h);
    return pango_units_to_double(h);
  }
  static double Width(PangoLayout* l) {
    int w = 0, h = 0;
    pango_layout_get_size(l, &w, &h);
    return pango_units_to_double(w);
  }
  void Draw(PangoLayout* l, double x, double y) {
    cairo_move_to(cr_, x, y);
    pango_cairo_show_layout(cr_, l);
  }

  void Footer() {
    std::string text = request_.footer + " · page " + std::to_string(page_) + " of " +
                       std::to_string(pages_total_);
    Layout l = Text(text, 0, "DejaVu Sans, Sans 7");
    cairo_set_source_rgb(cr_, 0.4, 0.4, 0.4);
    Draw(l.get(), kMargin, kPageHeight - kMargin - 4);
    cairo_set_source_rgb(cr_, 0, 0, 0);
  }
  void NewPage() {
    Footer();
    cairo_show_page(cr_);
    ++page_;
    y_ = kMargin;
  }
  // Starts a new page unless `height` fits below the pen.
  void Room(double height) {
    if (y_ + height > kBottom && y_ > kMargin) NewPage();
  }

  void Block(const PdfBlock& b) {
    using Kind = PdfBlock::Kind;
    switch (b.kind) {
      case Kind::kHeading:
        Heading(b.level, b.markup);
        break;
      case Kind::kParagraph:
        Paragraph(b.markup);
        break;
      case Kind::kList:
      case Kind::kNumbered:
        for (size_t i = 0; i < b.items.size(); ++i)
          Paragraph(b.items[i], b.kind == Kind::kList ? "•" : std::to_string(i + 1) + ".");
        y_ += 4;
        break;
      case Kind::kTable:
        Table(b);
        break;
      case Kind::kPreformatted:
        Preformatted(b.markup);
        break;
      case Kind::kStepGraph:
        Graph(b);
        break;
    }
  }

  void Heading(int level, const std::string& markup) {
    bool title = level <= 2;
    Layout l = Text("<b>" + markup + "</b>", kWidth,
                    title        ? "DejaVu Sans, Sans 15"
                    : level == 3 ? "DejaVu Sans, Sans 11.5"
                                 : "DejaVu Sans, Sans 9.5");
    double before = title ? 0 : 8;
    Room(before + Height(l.get()) + 40);  // a heading stays with what follows it
    if (y_ > kMargin) y_ += before;
    Draw(l.get(), kMargin, y_);
    y_ += Height(l.get()) + 5;
  }

  // A paragraph, or a list item after its `marker` ("•", "2.").
  void Paragraph(const std::string& markup, const std::string& marker = "") {
    double indent = marker.empty() ? 0 : 14;
    Layout l = Text(markup, kWidth - indent);
    Room(Height(l.get()));
    if (!marker.empty()) Draw(Text(marker, 0).get(), kMargin + 2, y_);
    Flow(l.get(), kMargin + indent);
    y_ += marker.empty() ? 5 : 2;
  }

  // Draws `l` at the pen; one taller than what is left of the page goes on over pages line by
  // line, none cut (breakHH HH3: a line of 40,000 characters ran off the page).
  void Flow(PangoLayout* l, double x) {
    if (y_ + Height(l) <= kBottom) {
      Draw(l, x, y_);
      y_ += Height(l);
      return;
    }
    PangoLayoutIter* it = pango_layout_get_iter(l);
    do {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(it, nullptr, &logical);
      double height = pango_units_to_double(logical.height);
      Room(height);
      double baseline = pango_units_to_double(pango_layout_iter_get_baseline(it) - logical.y);
      cairo_move_to(cr_, x + pango_units_to_double(logical.x), y_ + baseline);
      pango_cairo_show_layout_line(cr_, pango_layout_iter_get_line_readonly(it));
      y_ += height;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
  }

  // Output as printed (its lines' markup, each line Printable), line by line (so that a long one
  // goes on over pages), in monospace, a long line wrapped at any character.
  void Preformatted(const std::string& lines) {
    size_t start = 0;
    while (start < lines.size()) {
      size_t nl = lines.find('\n', start);
      if (nl == std::string::npos) nl = lines.size();
      Layout l =
          Text(lines.substr(start, nl - start), kWidth - 8, "DejaVu Sans Mono, Monospace 7.5");
      Room(Height(l.get()));
      Flow(l.get(), kMargin + 6);
      start = nl + 1;
    }
    y_ += 6;
  }

  // Column widths: each column's widest cell when they all fit; else each gets its fair share
  // of the width at most, and what the narrow ones leave goes to the wide ones in proportion.
  std::vector<double> Columns(const PdfBlock& b, bool labels) {
    size_t n = labels ? 2 : b.header.size();
    std::vector<double> natural(n, kMinColumn);
    auto widen = [&](size_t i, const std::string& t, bool bold) {
      std::string m = bold ? "<b>" + t + "</b>" : t;
      natural[i] = std::max(natural[i], Width(Text(m, 0).get()) + 2 * kCellPad + 1);
    };
    if (!labels)
      for (size_t i = 0; i < n; ++i) widen(i, b.header[i], true);
    for (const auto& row : b.rows)
      for (size_t i = 0; i < n && i < row.size(); ++i) widen(i, row[i], labels && i == 0);
    double total = 0;
    for (double w : natural) total += w;
    if (total <= kWidth) return natural;
    std::vector<double> width(n);
    double share = kWidth / static_cast<double>(n), left = kWidth, wanting = 0;
    for (size_t i = 0; i < n; ++i) {
      width[i] = std::min(natural[i], share);
      left -= width[i];
      if (natural[i] > share) wanting += natural[i] - share;
    }
    for (size_t i = 0; i < n; ++i)
      if (natural[i] > share) width[i] += left * (natural[i] - share) / wanting;
    return width;
  }

  // One row of cells; returns its height. Drawn only when `draw`.
  double Row(const std::vector<std::string>& cells, const std::vector<double>& width, bool draw,
             bool shaded) {
    std::vector<Layout> layouts;
    double height = 0;
    for (size_t i = 0; i < width.size(); ++i) {
      layouts.push_back(Text(i < cells.size() ? cells[i] : "", width[i] - 2 * kCellPad));
      height = std::max(height, Height(layouts.back().get()) + 2 * kCellPad);
    }
    if (!draw) return height;
    if (shaded) {
      cairo_set_source_rgb(cr_, 0.92, 0.93, 0.95);
      cairo_rectangle(cr_, kMargin, y_, kWidth, height);
      cairo_fill(cr_);
      cairo_set_source_rgb(cr_, 0, 0, 0);
    }
    double x = kMargin;
    for (size_t i = 0; i < width.size(); ++i) {
      Draw(layouts[i].get(), x + kCellPad, y_ + kCellPad);
      x += width[i];
    }
    cairo_set_source_rgb(cr_, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr_, 0.5);
    cairo_move_to(cr_, kMargin, y_ + height);
    cairo_line_to(cr_, kMargin + kWidth, y_ + height);
    cairo_stroke(cr_);
    cairo_set_source_rgb(cr_, 0, 0, 0);
    return height;
  }

  // A table; a row that does not fit starts a new page, which repeats the header row.
  void Table(const PdfBlock& b) {
    bool labels = true;
    for (const std::string& h : b.header) labels = labels && h.empty();
    std::vector<double> width = Columns(b, labels);
    std::vector<std::string> head;
    for (const std::string& h : b.header) head.push_back("<b>" + h + "</b>");
    auto header = [&] {
      if (!labels) y_ += Row(head, width, true, true);
    };
    double head_height = labels ? 0 : Row(head, width, false, true);
    bool first = true;
    for (const auto& row : b.rows) {
      std::vector<std::string> cells;
      for (size_t i = 0; i < row.size(); ++i)
        cells.push_back(labels && i == 0 ? "<b>" + row[i] + "</b>" : row[i]);
      double h = Row(cells, width, false, false);
      if (y_ + (first ? head_height : 0) + h > kBottom && y_ > kMargin) NewPage();
      if (first || y_ == kMargin) header();
      first = false;
      if (y_ + h > kBottom)  // taller than a page: line by line, over pages (breakHH HH3)
        TallRow(cells, width, header);
      else
        y_ += Row(cells, width, true, false);
    }
    y_ += 8;
  }

  // A row taller than a page: each cell's lines drawn while they fit, the rest on the next
  // pages (each with the header row again), so that no line is cut or lost.
  template <typename Header>
  void TallRow(const std::vector<std::string>& cells, const std::vector<double>& width,
               Header header) {
    struct Line {
      PangoLayoutLine* line;  // owned by its layout
      double top, bottom, baseline, x;
    };
    std::vector<Layout> layouts;
    std::vector<std::vector<Line>> lines(width.size());
    for (size_t i = 0; i < width.size(); ++i) {
      layouts.push_back(Text(i < cells.size() ? cells[i] : "", width[i] - 2 * kCellPad));
      PangoLayoutIter* it = pango_layout_get_iter(layouts.back().get());
      do {
        PangoRectangle logical;
        pango_layout_iter_get_line_extents(it, nullptr, &logical);
        lines[i].push_back({pango_layout_iter_get_line_readonly(it),
                            pango_units_to_double(logical.y),
                            pango_units_to_double(logical.y + logical.height),
                            pango_units_to_double(pango_layout_iter_get_baseline(it)),
                            pango_units_to_double(logical.x)});
      } while (pango_layout_iter_next_line(it));
      pango_layout_iter_free(it);
    }
    std::vector<size_t> next(width.size(), 0);
    auto left = [&] {
      for (size_t i = 0; i < lines.size(); ++i)
        if (next[i] < lines[i].size()) return true;
      return false;
    };
    while (left()) {
      double room = kBottom - y_ - 2 * kCellPad, used = 0, x = kMargin;
      for (size_t i = 0; i < lines.size(); ++i) {
        size_t k = next[i];
        double start = k < lines[i].size() ? lines[i][k].top : 0;
        // At least one line a page, whatever its height: the loop always ends.
        for (; k < lines[i].size() && (k == next[i] || lines[i][k].bottom - start <= room); ++k) {
          const Line& l = lines[i][k];
          cairo_move_to(cr_, x + kCellPad + l.x, y_ + kCellPad + l.baseline - start);
          pango_cairo_show_layout_line(cr_, l.line);
          used = std::max(used, l.bottom - start);
        }
        next[i] = k;
        x += width[i];
      }
      y_ += used + 2 * kCellPad;
      if (left()) {
        NewPage();
        header();
      }
    }
    cairo_set_source_rgb(cr_, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr_, 0.5);
    cairo_move_to(cr_, kMargin, y_);
    cairo_line_to(cr_, kMargin + kWidth, y_);
    cairo_stroke(cr_);
    cairo_set_source_rgb(cr_, 0, 0, 0);
  }

  // The step graph, scaled down to the page's width, on a page of its own when what is left
  // of this one would shrink it further; a line saying why when there is none to draw.
  // The step graph, as wide as the page at most, on a page of its own when it fits one but
  // not what is left of this one; a line saying why when there is none to draw.
  void Graph(const PdfBlock& b) {
    Heading(3, b.markup);
    const std::string& svg = request_.graph_svg;
    GError* error = nullptr;
    RsvgHandle* handle = !svg.empty()
                             ? rsvg_handle_new_from_data(
                                   reinterpret_cast<const guint8*>(svg.data()), svg.size(), &error)
                             : nullptr;
    double w = 0, h = 0;
    if (handle != nullptr && !rsvg_handle_get_intrinsic_size_in_pixels(handle, &w, &h)) w = 0;
    if (error != nullptr) g_error_free(error);
    if (handle == nullptr || w <= 0 || h <= 0) {
      if (handle != nullptr) g_object_unref(handle);
      Paragraph(svg.empty() ? request_.graph_note : "the step graph could not be drawn");
      return;
    }
    double scale = std::min(1.0, kWidth / w);
    double page = kBottom - kMargin;
    // What fits on a page goes on the next one when it does not fit here; a graph taller than
    // a page (a loop over many databases, a long chain) is printed at its scale in slices, a
    // page each, as a browser prints a tall picture, rather than shrunk past reading.
    if (y_ + h * scale > kBottom && h * scale <= page) NewPage();
    double drawn = 0;  // of the graph's height at `scale`
    while (drawn < h * scale) {
      double slice = std::min(h * scale - drawn, kBottom - y_);
      cairo_save(cr_);
      cairo_rectangle(cr_, kMargin, y_, kWidth, slice);
      cairo_clip(cr_);
      RsvgRectangle viewport = {kMargin + (kWidth - w * scale) / 2, y_ - drawn, w * scale,
                                h * scale};
      // The pass that counts pages only needs where the graph ends: librsvg drawing the whole
      // graph for each page of a tall one was most of a large report's time (breakHH HH9).
      if (pages_total_ > 0) rsvg_handle_render_document(handle, cr_, &viewport, nullptr);
      cairo_restore(cr_);
      drawn += slice;
      y_ += slice;
      if (drawn < h * scale) NewPage();
    }
    g_object_unref(handle);
    y_ += 6;
    Legend();
  }

  // The html report's legend: a swatch per outcome, then what a dashed box and an arrow mean.
  void Legend() {
    double x = kMargin, line = 0;
    for (const PdfLegendKey& k : request_.legend) {
      bool swatch = k.colour.size() == 7 && k.colour[0] == '#';
      Layout l = Text(k.markup, 0, "DejaVu Sans, Sans 7.5");
      double w = Width(l.get()) + (swatch ? 11 : 0) + 12;
      if (x + w > kMargin + kWidth) {
        x = kMargin;
        y_ += line + 2;
      }
      line = std::max(line, Height(l.get()));
      Room(line);
      if (swatch) {
        unsigned rgb = static_cast<unsigned>(std::strtoul(k.colour.c_str() + 1, nullptr, 16));
        cairo_set_source_rgb(cr_, (rgb >> 16) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                             (rgb & 0xff) / 255.0);
        cairo_rectangle(cr_, x, y_ + 1.5, 8, 8);
        cairo_fill(cr_);
        cairo_set_source_rgb(cr_, 0, 0, 0);
      }
      Draw(l.get(), x + (swatch ? 11 : 0), y_);
      x += w;
    }
    y_ += line + 8;
  }

  cairo_t* cr_;
  PangoContext* pango_;
  const PdfRequest& request_;
  int pages_total_;
  int page_ = 1;
  double y_ = kMargin;
};

// Whether the body font, as fontconfig resolves it, has a glyph for "A" (with no font at
// all Pango still gives one, which draws every letter as a box).
bool DrawsLetters(PangoFontMap* fonts, PangoContext* pango) {
  Font description(pango_font_description_from_string(kBodyFont));
  std::unique_ptr<PangoFont, GObjectDeleter> font(
      pango_font_map_load_font(fonts, pango, description.get()));
  if (!font) return false;
  std::unique_ptr<PangoCoverage, GObjectDeleter> coverage(
      pango_font_get_coverage(font.get(), pango_language_get_default()));
  return coverage && pango_coverage_get(coverage.get(), 'A') != PANGO_COVERAGE_NONE;
}

// One pass: the PDF's bytes into `out`, the pages it took into `pages`; "" or what failed.
std::string Typeset(const PdfRequest& request, int pages_total, std::string& out, int& pages) {
  Surface surface(cairo_pdf_surface_create_for_stream(Append, &out, kPageWidth, kPageHeight));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, request.title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR,
                                 request.creator.c_str());
  if (!request.creation_date.empty())
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE,
                                   request.creation_date.c_str());
  Context cr(cairo_create(surface.get()));
  std::unique_ptr<PangoFontMap, GObjectDeleter> fonts(pango_cairo_font_map_new());
  std::unique_ptr<PangoContext, GObjectDeleter> pango(pango_font_map_create_context(fonts.get()));
  pango_cairo_update_context(cr.get(), pango.get());
  // Without a font every letter is an empty box: a report no one can read, said instead
  // (breakHH HH6: an empty fontconfig configuration gave 17 pages of boxes, exit 0).
  if (!DrawsLetters(fonts.get(), pango.get()))
    return "no font is installed where fontconfig looks (install fonts-dejavu-core)";
  Typesetter t(cr.get(), pango.get(), request, pages_total);
  t.Document();
  pages = t.pages();
  // An error puts the context in a state where every later call does nothing: the file would
  // end short, without a word (breakHH HH2); said instead.
  if (cairo_status_t drawn = cairo_status(cr.get()); drawn != CAIRO_STATUS_SUCCESS)
    return cairo_status_to_string(drawn);
  cr.reset();
  cairo_surface_finish(surface.get());
  cairo_status_t status = cairo_surface_status(surface.get());
  return status == CAIRO_STATUS_SUCCESS ? std::string() : cairo_status_to_string(status);
}

}  // namespace
}  // namespace runbook

extern "C" {

// The version of runbook this module was built with: runbook uses it only when it is its own.
__attribute__((visibility("default"))) const char* runbook_pdf_version() { return RUNBOOK_VERSION; }

// The PDF of `request` into `result.pdf`, or what failed in `result.error`.
__attribute__((visibility("default"))) void runbook_typeset_pdf(const runbook::PdfRequest& request,
                                                                runbook::PdfResult& result) {
  std::string counted;
  int pages = 0, again = 0;
  result.error = runbook::Typeset(request, 0, counted, pages);
  if (result.error.empty()) result.error = runbook::Typeset(request, pages, result.pdf, again);
  if (!result.error.empty()) result.pdf.clear();
}

}  // extern "C"
