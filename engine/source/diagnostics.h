// Diagnostics: the channel for a runbook author's mistakes. Collected all together, then
// rendered compiler-style (FILE:LINE:COL: error: message, the source line, a caret) or as
// JSON / GitHub annotations. Not thread-safe; one sink per validation.
#pragma once

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
  // Sorted by file, line and column, so output is stable whatever order checks ran in.
  void Sort();

 private:
  std::vector<Diagnostic> items_;
};

// "FILE:L:C: error: message" + excerpt + caret, one diagnostic.
std::string RenderText(const Diagnostic& d, const SourceText* source, bool color);
// "::error file=F,line=L,col=C::message"
std::string RenderGithub(const Diagnostic& d);

}  // namespace runbook
