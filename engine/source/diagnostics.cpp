#include "engine/source/diagnostics.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string_view>
#include <tuple>

#include "engine/util/strings.h"

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
  // A mistake in a mapping merged into several places (`<<: *defaults`) is one mistake: the
  // first of each (severity, place, message) is kept, in order. A set, not a scan of each
  // line's others (break25a #3: 100,000 duplicate keys on one line took 29 s).
  auto key = [](const Diagnostic& d) {
    return std::tie(d.file, d.loc.line, d.loc.col, d.severity, d.message);
  };
  auto before = [&](const Diagnostic* a, const Diagnostic* b) { return key(*a) < key(*b); };
  std::set<const Diagnostic*, decltype(before)> seen(before);
  std::vector<Diagnostic> kept;
  kept.reserve(items_.size());
  for (const Diagnostic& d : items_)
    if (seen.insert(&d).second) kept.push_back(d);
  items_ = std::move(kept);
}

namespace {

// Display columns of printable text: one per character, not per UTF-8 byte.
int Columns(std::string_view printable) {
  int n = 0;
  for (char c : printable) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

// `at` moved back to the start of the UTF-8 character it is inside.
size_t CharStart(const std::string& text, size_t at) {
  while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xc0) == 0x80) --at;
  return at;
}

}  // namespace

Excerpt MakeExcerpt(const std::string& line, int col, int length) {
  size_t at = static_cast<size_t>(std::max(1, col) - 1);
  size_t from = 0, to = line.size();
  if (line.size() > kExcerptBytes) {
    from = CharStart(line, at > kExcerptBefore ? std::min(at, line.size()) - kExcerptBefore : 0);
    to = CharStart(line, std::min(line.size(), from + kExcerptBytes));
  }
  std::string_view text(line);
  std::string lead = from > 0 ? "..." : "";
  Excerpt e;
  e.text = lead + Printable(text.substr(from, to - from)) + (to < line.size() ? "..." : "");
  size_t caret = std::min(std::max(at, from), to);
  e.caret = Columns(lead) + Columns(Printable(text.substr(from, caret - from))) +
            static_cast<int>(at > line.size() ? at - line.size() : 0);
  size_t end = std::min(to, at + static_cast<size_t>(std::max(1, length)));
  e.underline = std::max(1, end > caret ? Columns(Printable(text.substr(caret, end - caret))) : 1);
  return e;
}

std::string ShownMessage(const Diagnostic& d) {
  const std::string& m = d.message;
  if (m.size() <= kMaxMessageBytes) return Printable(m);
  size_t head = CharStart(m, kMaxMessageBytes * 2 / 3);
  size_t tail = CharStart(m, m.size() - kMaxMessageBytes / 3);
  return Printable(std::string_view(m).substr(0, head)) + "...(" + std::to_string(tail - head) +
         " bytes cut)..." + Printable(std::string_view(m).substr(tail));
}

std::string RenderText(const Diagnostic& d, const SourceText* source, bool color,
                       const LineMask& mask) {
  const char* bold = color ? "\033[1m" : "";
  const char* red = color ? "\033[1;31m" : "";
  const char* magenta = color ? "\033[1;35m" : "";
  const char* green = color ? "\033[1;32m" : "";
  const char* reset = color ? "\033[0m" : "";
  bool error = d.severity == Diagnostic::Severity::kError;
  std::string out = std::string(bold) + Printable(d.file);
  if (d.loc.line > 0) out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col);
  out += std::string(": ") + (error ? red : magenta) + (error ? "error: " : "warning: ") + reset +
         bold + ShownMessage(d) + reset + "\n";
  // A line of another file (a used runbook's) is not shown from this one's text.
  if (source == nullptr || d.loc.line < 1 || (!source->path.empty() && d.file != source->path))
    return out;
  std::string line = source->Line(d.loc.line);
  int col = d.loc.col;
  if (mask) {  // masked whole, then cut; the caret where the masked line has its column
    std::string masked = mask(line);
    if (masked != line) {
      size_t before = std::min(line.size(), static_cast<size_t>(std::max(col - 1, 0)));
      col = static_cast<int>(mask(line.substr(0, before)).size()) + 1;
      line = std::move(masked);
    }
  }
  Excerpt e = MakeExcerpt(line, col, d.loc.length);
  char gutter[16];
  std::snprintf(gutter, sizeof gutter, "%5d", d.loc.line);
  out += std::string(gutter) + " | " + e.text + "\n";
  out += "      | " + std::string(e.caret, ' ') + green + "^" + std::string(e.underline - 1, '~') +
         reset + "\n";
  return out;
}

std::string RenderTextAll(const std::vector<Diagnostic>& diags, const SourceText* source,
                          bool color, const Diagnostics* kept, const LineMask& mask) {
  std::string out;
  for (size_t i = 0; i < diags.size() && i < kMaxShownDiagnostics; ++i) {
    const Diagnostic& d = diags[i];
    const SourceText* own = source && source->path == d.file ? source
                            : kept != nullptr                ? kept->SourceOf(d.file)
                                                             : nullptr;
    out += RenderText(d, own, color, mask);
  }
  std::string omitted = OmittedLine(diags, kMaxShownDiagnostics);
  return omitted.empty() ? out : out + omitted + "\n";
}

std::string OmittedLine(const std::vector<Diagnostic>& diags, size_t shown) {
  size_t errors = 0, warnings = 0;
  for (size_t i = shown; i < diags.size(); ++i)
    ++(diags[i].severity == Diagnostic::Severity::kError ? errors : warnings);
  auto count = [](size_t n, const char* what) {
    return std::to_string(n) + " more " + what + (n == 1 ? "" : "s");
  };
  if (errors + warnings == 0) return "";
  std::string out = "... and ";
  if (errors > 0) out += count(errors, "error");
  if (errors > 0 && warnings > 0) out += " and ";
  if (warnings > 0) out += count(warnings, "warning");
  return out;
}

std::string GithubProperty(const std::string& value) {
  std::string out;
  for (char c : Printable(value)) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += "%3A";
        break;
      case ',':
        out += "%2C";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderGithub(const Diagnostic& d) {
  std::string kind = d.severity == Diagnostic::Severity::kError ? "error" : "warning";
  std::string message;
  for (char c : ShownMessage(d)) {
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
  return "::" + kind + " file=" + GithubProperty(d.file) + ",line=" + std::to_string(d.loc.line) +
         ",col=" + std::to_string(d.loc.col) + "::" + message;
}

}  // namespace runbook
