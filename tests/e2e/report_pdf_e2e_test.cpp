// The PDF report (issue 17: the run page links to the HTML and PDF report), made by runbook
// itself, read back with poppler's tools: A4 pages, the md report's facts as text, the step
// graph in colour, a failed attempt's output, long values wrapped, hostile text shown as text,
// the same bytes for the same record, and no PDF sent to a terminal.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Runs `yaml` (named r.yaml in `dir`, store a.db) with `flags`, expecting `exit_code`;
// returns the run's id.
std::string RunIt(const std::string& dir, const std::string& yaml, int exit_code,
                  const std::string& flags = "") {
  WriteFile(dir, "r.yaml", yaml);
  Command run = Shell("cd " + dir + " && " + BinaryWith("run r.yaml --audit-db a.db " + flags));
  INFO(run.err);
  REQUIRE(run.exit_code == exit_code);
  std::string id = LatestRunId(dir + "/a.db");
  REQUIRE(!id.empty());
  return id;
}

// `runbook report ID --output DIR/NAME` (the format from the extension); the file's path.
std::string Pdf(const std::string& dir, const std::string& id, const std::string& name = "r.pdf",
                int exit_code = 0) {
  Command c = Shell(BinaryWith("report " + id + " --output " + dir + "/" + name + " --audit-db " +
                               dir + "/a.db"));
  INFO(c.err);
  REQUIRE(c.exit_code == exit_code);
  return dir + "/" + name;
}

std::string PdfText(const std::string& pdf, const std::string& pages = "") {
  Command c = Shell("pdftotext " + pages + " " + pdf + " -");
  REQUIRE(c.exit_code == 0);
  return c.out;
}

int PageCount(const std::string& pdf) {
  Command c = Shell("pdfinfo " + pdf + " | sed -n 's/^Pages: *//p'");
  REQUIRE(c.exit_code == 0);
  return std::stoi(c.out);
}

const char* kFailing =
    "version: 1\nname: nightly-drill\nkind: drill\nobjectives: {rto: 2h}\n"
    "params:\n  region: {type: string, default: eu-west-1}\nsteps:\n"
    "  - {id: dump, uses: exec, with: {run: ['true']}}\n"
    "  - {id: check, uses: exec, needs: [dump], with: {run: ['true']}}\n"
    "  - {id: restore, uses: exec, needs: [check], with: {shell: true, run: "
    "'echo restoring into ws; echo pg_restore: error: relation users is gone >&2; exit 4'}}\n"
    "finally:\n  - {id: cleanup, uses: exec, with: {run: ['true']}}\n";

}  // namespace

TEST_CASE("the pdf report is A4 with the md report's facts, the graph and the failed output",
          "[e2e][report][pdf]") {
  REQUIRE(Shell("command -v pdftotext && command -v pdftoppm").exit_code == 0);
  std::string dir = TempDir();
  std::string id = RunIt(dir, kFailing, 1, "--set region=ap-south-2");
  std::string pdf = Pdf(dir, id);
  CHECK(ReadFile(pdf).rfind("%PDF-", 0) == 0);
  Command info = Shell("pdfinfo " + pdf);
  CHECK_THAT(info.out,
             Catch::Contains("(A4)") && Catch::Contains("Runbook report: nightly-drill (drill)"));
  std::string text = PdfText(pdf);
  std::string sha = Shell("sha256sum " + dir + "/r.yaml | cut -c1-64").out.substr(0, 64);
  // What the md report says is there, from the same document.
  std::string md = Shell(BinaryWith("report " + id + " --audit-db " + dir + "/a.db")).out;
  for (const std::string& fact :
       {id, std::string("failure"), sha, std::string("ap-south-2"), std::string("vs objective 2h"),
        std::string("cleanup"), std::string("Audit chain"), std::string("runbook audit verify")}) {
    CAPTURE(fact);
    CHECK(md.find(fact) != std::string::npos);
    CHECK(text.find(fact) != std::string::npos);
  }
  // The failed attempt: its error and what it printed, in both.
  for (const std::string& said :
       {std::string("restore attempt 1"), std::string("pg_restore: error: relation users is gone"),
        std::string("restoring into ws")}) {
    CAPTURE(said);
    CHECK(md.find(said) != std::string::npos);
    CHECK(text.find(said) != std::string::npos);
  }
  int pages = PageCount(pdf);
  CHECK_THAT(text, Catch::Contains("page 1 of " + std::to_string(pages)));
  // Ink on the first page, and the graph's boxes in their outcome's colours.
  REQUIRE(Shell("pdftoppm -png -r 60 " + pdf + " " + dir + "/p").exit_code == 0);
  Command pngs = Shell("ls " + dir + "/p-*.png");
  REQUIRE(!pngs.out.empty());
  CHECK(PngPixels(pngs.out.substr(0, pngs.out.find('\n')), "ink") > 2000);
  int green = 0, red = 0;
  for (size_t s = 0, nl; (nl = pngs.out.find('\n', s)) != std::string::npos; s = nl + 1) {
    green += PngPixels(pngs.out.substr(s, nl - s), "2e8540");
    red += PngPixels(pngs.out.substr(s, nl - s), "c0392b");
  }
  CHECK(green > 3 * 100);  // dump, check, cleanup
  CHECK(red > 100);        // restore
}

TEST_CASE("one record gives the same pdf bytes each time", "[e2e][report][pdf]") {
  std::string dir = TempDir();
  std::string id = RunIt(dir, kFailing, 1);
  std::string first = ReadFile(Pdf(dir, id, "a.pdf"));
  Shell("sleep 1.1");  // a creation date from the clock would differ now
  CHECK(ReadFile(Pdf(dir, id, "b.pdf")) == first);
  // Through stdout too (a pipe): the same bytes.
  CHECK(Shell(BinaryWith("report " + id + " --format pdf --audit-db " + dir + "/a.db") +
              " | cmp - " + dir + "/a.pdf")
            .exit_code == 0);
}

// breakO O23's kind, for the PDF: one long unbroken line (an error body on one line) or value
// (a parameter) is wrapped at any character, never cut at the page's edge; a table longer
// than a page goes on over pages with its header row again.
TEST_CASE("the pdf report wraps long values and runs long tables over pages",
          "[e2e][report][pdf]") {
  std::string dir = TempDir();
  std::string q(1500, 'q'), z(600, 'z');
  std::string yaml = "version: 1\nname: w\nparams:\n  blob: {type: string, default: ''}\nsteps:\n";
  for (int i = 0; i < 90; ++i)
    yaml += "  - {id: s" + std::to_string(i) + ", uses: exec, with: {run: ['true']}}\n";
  yaml += "  - {id: last, uses: exec, with: {run: [sh, -c, 'echo ERROR:" + q + " >&2; exit 3']}}\n";
  std::string id = RunIt(dir, yaml, 1, "--set blob=" + z);
  std::string pdf = Pdf(dir, id);
  CHECK(std::stoi(Shell("pdftotext " + pdf + " - | tr -cd q | wc -c").out) >= 1500);
  CHECK(std::stoi(Shell("pdftotext " + pdf + " - | tr -cd z | wc -c").out) >= 600);
  // Every step's row is there, and the page after the steps table's first holds its header.
  std::string text = PdfText(pdf);
  for (const char* step : {"s0", "s45", "s89", "last"}) {
    CAPTURE(step);
    CHECK(text.find(std::string("\n") + step + "\n") != std::string::npos);
  }
  int pages = PageCount(pdf);
  REQUIRE(pages >= 3);
  CHECK_THAT(text,
             Catch::Contains("page " + std::to_string(pages) + " of " + std::to_string(pages)));
  int with_header = 0;
  for (int p = 1; p <= pages; ++p) {
    std::string page = PdfText(pdf, "-f " + std::to_string(p) + " -l " + std::to_string(p));
    if (page.find("outcome") != std::string::npos && page.find("attempts") != std::string::npos)
      ++with_header;
  }
  CHECK(with_header >= 2);  // the steps table's header, on each page it runs over
}

// What a step printed or is named is text in the PDF, never Pango markup or a control
// sequence (the md report's rule, breakN N12 and K9, for another renderer): <b>, &, an escape
// and bytes that are not UTF-8 reach the page as they read.
// breakHH HH3: a value taller than a page (a parameter of 12,000 characters in a table cell,
// a one-line error of 30,000 in the failed attempt's output) ran over the footer and off the
// page: about 4,800 characters of any such value were shown. Each goes on over pages now.
TEST_CASE("a value taller than a page goes on over pages in the pdf report", "[e2e][report][pdf]") {
  std::string dir = TempDir();
  std::string h(12000, 'h');
  std::string yaml =
      "version: 1\nname: tall\nparams:\n  big: {type: string, default: ''}\nsteps:\n"
      "  - {id: a, uses: exec, with: {run: [python3, -c, \"import sys; "
      "sys.stderr.write('E' * 30000 + chr(10)); sys.exit(2)\"]}}\n";
  std::string id = RunIt(dir, yaml, 1, "--set big=" + h);
  std::string pdf = Pdf(dir, id);
  CHECK(std::stoi(Shell("pdftotext " + pdf + " - | tr -cd h | wc -c").out) >= 12000);
  // The attempt's output: its last lines are kept (a tail), all of them shown.
  std::string md =
      Shell(BinaryWith("report " + id + " --audit-db " + dir + "/a.db") + " | tr -cd E | wc -c")
          .out;
  CHECK(std::stoi(Shell("pdftotext " + pdf + " - | tr -cd E | wc -c").out) >= std::stoi(md));
  CHECK(std::stoi(md) > 5000);
  int pages = PageCount(pdf);
  CHECK_THAT(PdfText(pdf),
             Catch::Contains("page " + std::to_string(pages) + " of " + std::to_string(pages)));
}

TEST_CASE("hostile text in a run reaches the pdf report as text", "[e2e][report][pdf]") {
  std::string dir = TempDir();
  std::string id =
      RunIt(dir,
            "version: 1\nname: h\nsteps:\n"
            "  - {id: a, name: '<b>bold</b> & <span size=\"99999\">x</span>', uses: "
            "exec, with: {shell: true, run: 'printf \"\\033[31mred \\377 <i>i</i>\\n\" "
            ">&2; exit 2'}}\n",
            1);
  std::string pdf = Pdf(dir, id);
  std::string text = PdfText(pdf);
  CHECK_THAT(text,
             Catch::Contains("<b>bold</b>") && Catch::Contains("<span") && Catch::Contains("x</"));
  CHECK_THAT(text, Catch::Contains("\\x1b[31mred") && Catch::Contains("<i>i</i>"));
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(PageCount(pdf) == 1);  // no 99999 pt letter
}

// breakHH HH2: a noncharacter (here U+FFFF in a step's output and U+FDD0 in a step's name)
// stopped Cairo drawing: nothing after it was on the page, the footer counted pages the file
// did not have, exit 0. It is escaped like an invisible character, and a drawing error is
// an error.
TEST_CASE("a noncharacter in a run does not cut the pdf report short", "[e2e][report][pdf]") {
  std::string dir = TempDir();
  std::string id = RunIt(dir,
                         "version: 1\nname: nc\nsteps:\n"
                         "  - {id: s, name: \"a \\uFDD0 b\", uses: exec, with: {run: [sh, -c, "
                         "'printf \"x\\357\\277\\277y\\n\"; exit 1']}}\n"
                         "  - {id: after, uses: exec, needs: [s], if: always(), with: {run: [sh, "
                         "-c, 'echo AFTER; exit 1']}}\n",
                         1);
  std::string pdf = Pdf(dir, id);
  std::string text = PdfText(pdf);
  CHECK_THAT(text, Catch::Contains("x\\uffffy") && Catch::Contains("a \\ufdd0 b") &&
                       Catch::Contains("after attempt 1") && Catch::Contains("Audit chain"));
  int pages = PageCount(pdf);
  CHECK_THAT(text,
             Catch::Contains("page " + std::to_string(pages) + " of " + std::to_string(pages)));
}

TEST_CASE("a pdf report is not written to a terminal", "[e2e][report][pdf]") {
  REQUIRE(Shell("command -v script").exit_code == 0);
  std::string dir = TempDir();
  std::string id = RunIt(dir, kFailing, 1);
  // script(1) gives the command a terminal for its stdout.
  Command tty = Shell("script -qec '" +
                      BinaryWith("report " + id + " --format pdf --audit-db " + dir + "/a.db") +
                      "' /dev/null");
  CHECK(tty.exit_code == 2);
  CHECK_THAT(tty.out, Catch::Contains("a PDF is not written to a terminal: give --output"));
  CHECK(tty.out.find("%PDF") == std::string::npos);
}

// The typesetter is a module the binary loads for a PDF only (engine/audit/pdf_request.h):
// a binary without it says where it looked, exit 3, and writes no file; every other format
// works without it.
TEST_CASE("a pdf report without the typesetter module says where it looked", "[e2e][report][pdf]") {
  std::string dir = TempDir();
  std::string id = RunIt(dir, kFailing, 1);
  REQUIRE(Shell("mkdir -p " + dir + "/bin && cp " + Binary() + " " + dir + "/bin/").exit_code == 0);
  std::string alone = dir + "/bin/runbook report " + id + " --audit-db " + dir + "/a.db";
  Command c = Shell(alone + " --output " + dir + "/r.pdf");
  CHECK(c.exit_code == 3);
  CHECK_THAT(c.err,
             Catch::Contains("the PDF typesetter runbook_pdf.so is not installed (looked "
                             "at " +
                             dir + "/bin/runbook_pdf.so, " + dir + "/lib/runbook/runbook_pdf.so)"));
  CHECK_FALSE(std::filesystem::exists(dir + "/r.pdf"));
  // A module cut short (a failed copy, a full disk) is said, not mapped: dlopen of it was
  // SIGBUS, killing the CLI and serve with its runs (breakHH HH4). Variants: cut in its
  // program headers' data, and right after its ELF header.
  for (const char* bytes : {"20000", "100"}) {
    CAPTURE(bytes);
    REQUIRE(Shell(std::string("head -c ") + bytes + " " + RUNBOOK_PDF_MODULE + " > " + dir +
                  "/bin/runbook_pdf.so")
                .exit_code == 0);
    Command cut = Shell(alone + " --output " + dir + "/r.pdf");
    CHECK(cut.exit_code == 3);
    CHECK_THAT(cut.err, Catch::Contains("the PDF typesetter " + dir + "/bin/runbook_pdf.so is "));
    CHECK_THAT(cut.err, Catch::Contains("cut short") || Catch::Contains("not an ELF object"));
  }
  Shell("rm " + dir + "/bin/runbook_pdf.so");
  CHECK(Shell(alone + " --format md").exit_code == 0);
  CHECK_THAT(Shell(alone + " --format md").out, Catch::Contains("## Runbook report"));
  // Found in ../lib/runbook/, as the .deb installs it.
  REQUIRE(Shell("mkdir -p " + dir + "/lib/runbook && cp " + std::string(RUNBOOK_PDF_MODULE) + " " +
                dir + "/lib/runbook/")
              .exit_code == 0);
  CHECK(Shell(alone + " --output " + dir + "/r.pdf").exit_code == 0);
  CHECK(ReadFile(dir + "/r.pdf").rfind("%PDF-", 0) == 0);
}

// breakHH HH6: with no font fontconfig can find, every letter was an empty box (17 pages of
// them, exit 0). Said instead, exit 3, no file.
TEST_CASE("a pdf report with no font installed is refused", "[e2e][report][pdf]") {
  std::string dir = TempDir();
  std::string id = RunIt(dir, kFailing, 1);
  WriteFile(dir, "empty.conf", "<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n");
  Command c =
      Shell("FONTCONFIG_FILE=" + dir + "/empty.conf " +
            BinaryWith("report " + id + " --output " + dir + "/r.pdf --audit-db " + dir + "/a.db"));
  CHECK(c.exit_code == 3);
  CHECK_THAT(c.err, Catch::Contains("the PDF could not be made: no font is installed where "
                                    "fontconfig looks (install fonts-dejavu-core)"));
  CHECK_FALSE(std::filesystem::exists(dir + "/r.pdf"));
}

// breakHH HH7: a write that failed (here the file size limit) cut an existing good report
// short, PDF and HTML alike. The report is written beside it and renamed over it.
TEST_CASE("a report that cannot be written leaves the one that was there", "[e2e][report][pdf]") {
  std::string dir = TempDir();
  std::string id = RunIt(dir, kFailing, 1);
  for (const char* name : {"keep.pdf", "keep.html"}) {
    CAPTURE(name);
    std::string good = ReadFile(Pdf(dir, id, name));
    REQUIRE(good.size() > 4 * 1024);
    Command c = Shell("bash -c \"trap '' XFSZ; ulimit -f 4; exec " +
                      BinaryWith("report " + id + " --output " + dir + "/" + name + " --audit-db " +
                                 dir + "/a.db") +
                      "\"");
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains("cannot write " + dir + "/" + name + ": File too large"));
    CHECK(ReadFile(dir + "/" + name) == good);
    CHECK(Shell("ls -A " + dir + " | grep -c tmp").out == "0\n");  // no temporary left
  }
}
