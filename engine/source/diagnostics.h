// Diagnostics: the channel for a runbook author's mistakes. Collected all together, then
// rendered compiler-style (FILE:LINE:COL: error: message, the source line, a caret) or as
// JSON / GitHub annotations. What is rendered is bounded whatever the runbook holds: the
// first kMaxShownDiagnostics of a file, each message and excerpt cut to a window, and the
// runbook's own text in Printable form. Not thread-safe; one sink per validation.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/source/location.h"

namespace runbook {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;
  Loc loc;
  std::string message;
};

// A source file's text, kept to render excerpts.
struct SourceText {
  SourceText() = default;
  SourceText(std::string p, std::string t) : path(std::move(p)), text(std::move(t)) {}

  std::string path;
  std::string text;
  // 1-based; "" when out of range. Constant time after the first call, which indexes the
  // line starts (rendering one diagnostic per line of a large file stays linear).
  std::string Line(int line) const;

 private:
  mutable std::vector<size_t> line_starts_;  // built for `indexed_size_` bytes of text
  mutable size_t indexed_size_ = 0;
};

class Diagnostics {
 public:
  void Error(const std::string& file, Loc loc, std::string message);
  void Warning(const std::string& file, Loc loc, std::string message);
  bool has_errors() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  // Sorted by file, line and column, so output is stable whatever order checks ran in;
  // identical ones (a mistake in a mapping merged into several steps) kept once.
  void Sort();
  // Keeps the text of another file diagnostics may name (a runbook this one uses), so its
  // excerpts can be shown; SourceOf finds it by path (nullptr when not kept).
  void KeepSource(std::shared_ptr<const SourceText> source) {
    sources_.push_back(std::move(source));
  }
  const SourceText* SourceOf(const std::string& path) const {
    for (const auto& s : sources_)
      if (s->path == path) return s.get();
    return nullptr;
  }

 private:
  std::vector<Diagnostic> items_;
  std::vector<std::shared_ptr<const SourceText>> sources_;
};

// Rendering limits, as compilers have them (gcc -fmax-errors, clang's excerpt window): a
// hostile runbook with 40,000 errors on one 800 KB line must not print 50 GB.
// Diagnostics of one file rendered; the rest are counted in one closing line.
inline constexpr size_t kMaxShownDiagnostics = 200;
// Bytes of a source line an excerpt shows (when longer, a window with "..." at the cut ends),
// and how many of them come before the column.
inline constexpr size_t kExcerptBytes = 120;
inline constexpr size_t kExcerptBefore = 40;
// Bytes of a message shown; a longer one (a huge name quoted) keeps its head and tail.
inline constexpr size_t kMaxMessageBytes = 1000;

// The message as shown in every format: at most kMaxMessageBytes, in Printable form (a
// name decoded from the runbook may hold ESC, CR or LF; it is shown as \x1b, \x0d, \x0a).
std::string ShownMessage(const Diagnostic& d);

// One source line as shown under a diagnostic: `text` (a window of at most kExcerptBytes
// bytes around `col`, Printable), the caret's display column (0-based) and its width.
struct Excerpt {
  std::string text;
  int caret = 0;
  int underline = 1;
};
Excerpt MakeExcerpt(const std::string& line, int col, int length);

// Masks a text (a redactor's Apply): the source line under a diagnostic is masked whole before
// its excerpt is cut from it, so no cut leaves a piece of a secret the mask no longer knows
// (break25a #1: 28 of a secret's 38 characters stood at the excerpt's edge). Empty: none.
using LineMask = std::function<std::string(const std::string&)>;

// "FILE:L:C: error: message" + excerpt + caret, one diagnostic.
std::string RenderText(const Diagnostic& d, const SourceText* source, bool color,
                       const LineMask& mask = {});
// Every diagnostic of `diags` from `source`'s file, at most kMaxShownDiagnostics, then
// OmittedLine's count.
// `kept` (when given) has the other files' texts (Diagnostics::KeepSource).
std::string RenderTextAll(const std::vector<Diagnostic>& diags, const SourceText* source,
                          bool color, const Diagnostics* kept = nullptr, const LineMask& mask = {});
// "::error file=F,line=L,col=C::message"
std::string RenderGithub(const Diagnostic& d);
// A property value of a GitHub workflow command (file=...), escaped as GitHub's toolkit
// escapes properties (% CR LF : ,), after Printable: a file name cannot end the property
// and forge a line, a column or the message (breakJ J23).
std::string GithubProperty(const std::string& value);
// "... and 9800 more errors" (and warnings) for what follows the first `shown` of `diags`;
// "" when nothing does.
std::string OmittedLine(const std::vector<Diagnostic>& diags, size_t shown);

}  // namespace runbook
