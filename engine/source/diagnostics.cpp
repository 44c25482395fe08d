#include "engine/source/diagnostics.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

namespace runbook {

std::string SourceText::Line(int line) const {
  if (line < 1) return "";
  if (line_starts_.empty() || indexed_size_ != text.size()) {
    line_starts_ = {0};
    for (size_t i = text.find('\n'); i != std::string::npos; i = text.find('\n', i + 1)) {
      line_starts_.push_back(i + 1);
    }
    indexed_size_ = text.size();
  }
  if (static_cast<size_t>(line) > line_starts_.size()) return "";
  size_t pos = line_starts_[line - 1];
  size_t end = text.find('\n', pos);
  std::string out = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

void Diagnostics::Error(const std::string& file, Loc loc, std::string message) {
  items_.push_back({Diagnostic::Severity::kError, file, loc, std::move(message)});
}

void Diagnostics::Warning(const std::string& file, Loc loc, std::string message) {
  items_.push_back({Diagnostic::Severity::kWarning, file, loc, std::move(message)});
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
}

void Diagnostics::Sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.loc.line, a.loc.col) < std::tie(b.file, b.loc.line, b.loc.col);
  });
}

std::string RenderText(const Diagnostic& d, const SourceText* source, bool color) {
  const char* bold = color ? "\033[1m" : "";
  const char* red = color ? "\033[1;31m" : "";
  const char* magenta = color ? "\033[1;35m" : "";
  const char* green = color ? "\033[1;32m" : "";
  const char* reset = color ? "\033[0m" : "";
  bool error = d.severity == Diagnostic::Severity::kError;
  std::string out = std::string(bold) + d.file;
  if (d.loc.line > 0) out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col);
  out += std::string(": ") + (error ? red : magenta) + (error ? "error: " : "warning: ") + reset +
         bold + d.message + reset + "\n";
  if (source == nullptr || d.loc.line < 1) return out;
  std::string line = source->Line(d.loc.line);
  char gutter[16];
  std::snprintf(gutter, sizeof gutter, "%5d", d.loc.line);
  out += std::string(gutter) + " | " + line + "\n";
  int col = std::max(1, d.loc.col);
  int length = std::max(1, std::min<int>(d.loc.length, static_cast<int>(line.size()) - col + 1));
  out += "      | " + std::string(col - 1, ' ') + green + "^" + std::string(length - 1, '~') +
         reset + "\n";
  return out;
}

std::string RenderGithub(const Diagnostic& d) {
  std::string kind = d.severity == Diagnostic::Severity::kError ? "error" : "warning";
  std::string message;
  for (char c : d.message) {
    // GitHub's workflow-command escaping of the message part.
    if (c == '%')
      message += "%25";
    else if (c == '\r')
      message += "%0D";
    else if (c == '\n')
      message += "%0A";
    else
      message += c;
  }
  return "::" + kind + " file=" + d.file + ",line=" + std::to_string(d.loc.line) +
         ",col=" + std::to_string(d.loc.col) + "::" + message;
}

}  // namespace runbook
