// engine/source/diagnostics: what is rendered is bounded and printable whatever the runbook
// holds (breakI I18, I7): an excerpt is a window around the column, a message is cut, control
// characters are escaped, and at most kMaxShownDiagnostics are rendered, then a count.
#include "engine/source/diagnostics.h"

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using runbook::test::Occurrences;

namespace {

Diagnostic At(int line, int col, std::string message,
              Diagnostic::Severity severity = Diagnostic::Severity::kError) {
  return {severity, "r.yaml", {line, col, 1}, std::move(message)};
}

}  // namespace

TEST_CASE("an excerpt of a short line is the line, the caret at the column", "[diagnostics]") {
  Excerpt e = MakeExcerpt("    uses: hsah", 11, 4);
  CHECK(e.text == "    uses: hsah");
  CHECK(e.caret == 10);
  CHECK(e.underline == 4);
  Excerpt past = MakeExcerpt("ab", 5, 3);  // a column past the end (a missing closer)
  CHECK(past.caret == 4);
  CHECK(past.underline == 1);
  Excerpt utf8 = MakeExcerpt("é: x", 5, 1);  // columns are bytes; the caret counts characters
  CHECK(utf8.caret == 3);
}

TEST_CASE("an excerpt of a long line is a window of it around the column", "[diagnostics]") {
  std::string line = std::string(1000, 'a') + "bad" + std::string(1000, 'z');
  Excerpt e = MakeExcerpt(line, 1001, 3);
  CHECK(e.text == "..." + std::string(40, 'a') + "bad" + std::string(77, 'z') + "...");
  CHECK(e.caret == 43);
  CHECK(e.underline == 3);
  Excerpt start = MakeExcerpt(line, 1, 5);
  CHECK(start.text == std::string(120, 'a') + "...");
  CHECK(start.caret == 0);
  Excerpt end = MakeExcerpt(line, 2003, 1);
  CHECK(end.text == "..." + std::string(41, 'z'));
  CHECK(end.caret == 43);
  // A window never cuts a UTF-8 character in two.
  std::string wide;
  for (int i = 0; i < 300; ++i) wide += "é";
  Excerpt w = MakeExcerpt(wide, 301, 2);
  CHECK(w.text.find('\\') == std::string::npos);
}

TEST_CASE("control characters in an excerpt and a message are escaped", "[diagnostics]") {
  Excerpt e = MakeExcerpt("  \"k\x1b[2J\": 1", 3, 7);  // the 7 bytes of the quoted key
  CHECK(e.text == "  \"k\\x1b[2J\": 1");
  CHECK(e.caret == 2);
  CHECK(e.underline == 10);
  SourceText source("r.yaml", "a: 1\n  \"k\x1b[2J\": 1\n");
  Diagnostic d = At(2, 3, "unknown key 'k\x1b[2J\r\nr.yaml: ok'");
  d.loc.length = 7;
  CHECK(RenderText(d, &source, false) ==
        "r.yaml:2:3: error: unknown key 'k\\x1b[2J\\x0d\\x0ar.yaml: ok'\n"
        "    2 |   \"k\\x1b[2J\": 1\n"
        "      |   ^~~~~~~~~~\n");
  CHECK(RenderGithub(d) ==
        "::error file=r.yaml,line=2,col=3::unknown key 'k\\x1b[2J\\x0d\\x0ar.yaml: ok'");
}

TEST_CASE("a message quoting a huge name keeps its head and tail", "[diagnostics]") {
  Diagnostic d = At(1, 1, "unknown key '" + std::string(100'000, 'k') + "' in a step");
  std::string shown = ShownMessage(d);
  CHECK(shown.size() < kMaxMessageBytes + 40);
  CHECK(shown.substr(0, 14) == "unknown key 'k");
  CHECK(shown.find("...(99025 bytes cut)...") != std::string::npos);
  CHECK(shown.substr(shown.size() - 11) == "' in a step");
}

TEST_CASE("at most 200 diagnostics are rendered, then the count of the rest", "[diagnostics]") {
  std::vector<Diagnostic> all;
  for (int i = 1; i <= 250; ++i) all.push_back(At(i, 1, "bad " + std::to_string(i)));
  std::string out = RenderTextAll(all, nullptr, false);
  CHECK(Occurrences(out, ": error: bad ") == 200);
  CHECK(out.find("r.yaml:200:1: error: bad 200\n... and 50 more errors\n") != std::string::npos);
  all.back().severity = Diagnostic::Severity::kWarning;
  CHECK(OmittedLine(all, 200) == "... and 49 more errors and 1 more warning");
  CHECK(OmittedLine(all, 250).empty());
  all.resize(200);
  CHECK(RenderTextAll(all, nullptr, false).find("more") == std::string::npos);
}
