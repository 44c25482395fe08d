// The HTML report in headless Chromium (issue 14 #12): the DAG of a graph shaped like the
// 13-step runbooks/drill.yaml fits a 1400 px window, the page has colour where the graph
// is, and it prints to A4 pages with ink on them.
#include <catch2/catch.hpp>
#include <regex>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A runbook with the ids, needs and finally steps of runbooks/drill.yaml, every step a
// `log` (the shape is what is drawn; the drill itself needs the demo backend).
std::string DrillShape(const std::string& dir) {
  std::string py =
      "import sys, yaml\n"
      "d = yaml.safe_load(open(sys.argv[1]))\n"
      "def step(s):\n"
      "    out = {'id': s['id'], 'uses': 'log', 'with': {'message': s['id']}}\n"
      "    if s.get('needs'): out['needs'] = s['needs']\n"
      "    return out\n"
      "rb = {'version': 1, 'name': 'drill-shape', 'kind': 'drill',\n"
      "      'steps': [step(s) for s in d['steps']],\n"
      "      'finally': [step(s) for s in d.get('finally', [])]}\n"
      "print(yaml.safe_dump(rb, sort_keys=False))\n";
  WriteFile(dir, "shape.py", py);
  Command c = Shell("python3 " + dir + "/shape.py " + std::string(RUNBOOK_SOURCE_DIR) +
                    "/runbooks/drill.yaml");
  REQUIRE(c.exit_code == 0);
  return WriteFile(dir, "shape.yaml", c.out);
}

std::string Report(const std::string& dir) {
  std::string db = dir + "/a.db";
  REQUIRE(Shell(BinaryWith("run " + DrillShape(dir) + " --audit-db " + db)).exit_code == 0);
  std::string id = LatestRunId(db);
  REQUIRE(!id.empty());
  REQUIRE(Shell(BinaryWith("report " + id + " --format html --output " + dir +
                           "/r.html --audit-db " + db))
              .exit_code == 0);
  return dir + "/r.html";
}

const char* kChromium = "timeout 90 chromium --headless=new --no-sandbox --disable-gpu ";

// The page as headless Chromium lays it out in a 1400 px window, with `script` run at its
// end (it writes what it measured into the body's data- attributes): the DOM dumped.
std::string Measured(const std::string& dir, std::string html, const std::string& script) {
  html.insert(html.rfind("</body>"), "<script>" + script + "</script>");
  WriteFile(dir, "probe.html", html);
  return Shell(std::string(kChromium) + "--window-size=1400,1000 --dump-dom file://" + dir +
               "/probe.html 2>/dev/null")
      .out;
}

}  // namespace

TEST_CASE("the drill's DAG fits a 1400 px window, nothing cut off", "[e2e][report][html]") {
  REQUIRE(Shell("command -v chromium").exit_code == 0);  // installed by scripts/setup.sh
  std::string dir = TempDir();
  std::string html = ReadFile(Report(dir));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("class=\"legend\"") != std::string::npos);
  // Ten boxes, one per step of drill.yaml as written (its `dump` uses a runbook: one step in
  // this shape), laid out by Graphviz.
  std::regex node("<g id=\"node[0-9]+\" class=\"node\">");
  CHECK(std::distance(std::sregex_iterator(html.begin(), html.end(), node),
                      std::sregex_iterator()) == 10);
  // Measured by the browser: a copy of the page with a script that writes the page's
  // scroll width and the graph's right edge into the DOM.
  std::string dom =
      Measured(dir, html,
               "document.body.dataset.sw=document.documentElement.scrollWidth;"
               "document.body.dataset.dag=Math.ceil(document.querySelector('.dag svg, svg.dag')"
               ".getBoundingClientRect().right);");
  std::smatch m;
  REQUIRE(std::regex_search(dom, m, std::regex("data-sw=\"([0-9]+)\" data-dag=\"([0-9]+)\"")));
  CHECK(std::stoi(m[1]) <= 1400);
  CHECK(std::stoi(m[2]) <= 1400);
  CHECK(std::stoi(m[2]) > 100);  // the graph is drawn
  REQUIRE(Shell(std::string(kChromium) + "--window-size=1400,2400 --screenshot=" + dir +
                "/r.png file://" + dir + "/r.html 2>/dev/null")
              .exit_code == 0);
  // The 13 green boxes (success) and the timeline bars.
  CHECK(PngPixels(dir + "/r.png", "2e8540") > 13 * 800);
}

TEST_CASE("the html report prints to A4 pages with ink", "[e2e][report][html][pdf]") {
  REQUIRE(Shell("command -v chromium && command -v pdftoppm").exit_code == 0);
  std::string dir = TempDir();
  std::string page = Report(dir);
  REQUIRE(Shell(std::string(kChromium) + "--no-pdf-header-footer --print-to-pdf=" + dir +
                "/r.pdf file://" + page + " 2>/dev/null")
              .exit_code == 0);
  Command info = Shell("pdfinfo " + dir + "/r.pdf");
  CHECK(info.out.find("(A4)") != std::string::npos);
  REQUIRE(Shell("pdftoppm -png -r 60 " + dir + "/r.pdf " + dir + "/p").exit_code == 0);
  Command pages = Shell("ls " + dir + "/p-*.png");
  REQUIRE(!pages.out.empty());
  std::string first = pages.out.substr(0, pages.out.find('\n'));
  CHECK(PngPixels(first, "ink") > 2000);  // text and tables, not a blank page
  int green = 0;
  for (size_t s = 0, nl; (nl = pages.out.find('\n', s)) != std::string::npos; s = nl + 1)
    green += PngPixels(pages.out.substr(s, nl - s), "2e8540");
  CHECK(green > 13 * 100);  // the graph's boxes printed in colour
}

// breakO O23: one long line without a break (a minified JSON error body, a stack trace on one
// line) was clipped at the A4 page's edge in the PDF (139 of 1,500 characters) and widened
// the page on screen; the steps table's headers were squeezed to a letter a line. Variants
// here: the failed attempt's block, a parameter, a step's note.
TEST_CASE("a long unbroken value wraps: not clipped in the PDF, no header squeezed",
          "[e2e][report][html][pdf]") {
  REQUIRE(Shell("command -v chromium && command -v pdftotext").exit_code == 0);
  std::string dir = TempDir();
  std::string q(1500, 'q'), z(600, 'z');
  WriteFile(dir, "w.yaml",
            "version: 1\nname: w" + std::string(150, 'n') +  // the title (breakQ Q5)
                "\nparams:\n  blob: {type: string, default: ''}\nsteps:\n"
                "  - {id: a, uses: exec, with: {run: [sh, -c, 'echo ERROR:" +
                q + " >&2; exit 3']}}\n");
  REQUIRE(Shell("cd " + dir + " && " + BinaryWith("run w.yaml --audit-db a.db --set blob=" + z))
              .exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  REQUIRE(Shell(BinaryWith("report " + id + " --format html --output " + dir +
                           "/r.html --audit-db " + dir + "/a.db"))
              .exit_code == 0);
  std::string html = ReadFile(dir + "/r.html");
  // On screen: the page is no wider than the window, and no header is squeezed (no word of it
  // broken over lines, its text within its cell).
  std::string dom =
      Measured(dir, html,
               "let bad=[...document.querySelectorAll('th')].filter(t=>{"
               "let r=document.createRange();r.selectNodeContents(t);"
               "return t.scrollWidth>t.clientWidth||"
               "r.getClientRects().length>t.textContent.split(' ').length;});"
               "document.body.dataset.sw=document.documentElement.scrollWidth;"
               "document.body.dataset.bad=bad.map(t=>t.textContent).join('|')||'none';");
  std::smatch m;
  REQUIRE(std::regex_search(dom, m, std::regex("data-sw=\"([0-9]+)\" data-bad=\"([^\"]*)\"")));
  CHECK(std::stoi(m[1]) <= 1400);
  CHECK(m[2] == "none");
  // On paper: every character of the line is on a page.
  REQUIRE(Shell(std::string(kChromium) + "--no-pdf-header-footer --print-to-pdf=" + dir +
                "/r.pdf file://" + dir + "/r.html 2>/dev/null")
              .exit_code == 0);
  Command text = Shell("pdftotext " + dir + "/r.pdf - | tr -cd q | wc -c");
  CHECK(std::stoi(text.out) >= 1500);
  Command zs = Shell("pdftotext " + dir + "/r.pdf - | tr -cd z | wc -c");
  CHECK(std::stoi(zs.out) >= 600);
}

// breakQ Q5: a step id of 151 characters was one line of text, 618 px wide in the browser,
// in a box Graphviz made 426 px wide (it measures with Helvetica's metrics; the browser drew
// DejaVu Sans). Long ids are broken into lines, and each box leaves room for a wider font.
// Variants: narrow letters, wide letters, a hyphenated id, a short one; and the same ids in
// the timeline's label column, where they ran under the bars.
TEST_CASE("a long step id stays inside its box in the graph", "[e2e][report][html]") {
  REQUIRE(Shell("command -v chromium").exit_code == 0);
  std::string dir = TempDir();
  std::string ids[] = {"s" + std::string(150, 'i'), "s" + std::string(150, 'm'),
                       "restore-to-workspace-and-verify-every-table-twice-then-swap", "a"};
  std::string yaml = "version: 1\nname: ids\nsteps:\n";
  for (size_t k = 0; k < std::size(ids); ++k)
    yaml += "  - {id: " + ids[k] + ", uses: log, with: {message: x}" +
            (k ? ", needs: [" + ids[k - 1] + "]" : "") + "}\n";
  WriteFile(dir, "ids.yaml", yaml);
  REQUIRE(Shell(BinaryWith("run " + dir + "/ids.yaml --audit-db " + dir + "/a.db")).exit_code == 0);
  REQUIRE(Shell(BinaryWith("report " + LatestRunId(dir + "/a.db") + " --format html --output " +
                           dir + "/r.html --audit-db " + dir + "/a.db"))
              .exit_code == 0);
  // For each box: how far its text runs past the box's left or right edge, in px.
  std::string dom = Measured(
      dir, ReadFile(dir + "/r.html"),
      "let out=[...document.querySelectorAll('g.node')].map(n=>{"
      "let box=n.querySelector('path,polygon').getBoundingClientRect();"
      "let over=0;for(let t of n.querySelectorAll('text')){let r=t.getBoundingClientRect();"
      "over=Math.max(over,box.left-r.left,r.right-box.right);}"
      "return Math.ceil(over);});"
      "let labels=[...document.querySelectorAll('svg.timeline text[clip-path]')];"
      "document.body.dataset.sw=document.documentElement.scrollWidth;"
      "document.body.dataset.over=out.join(',');"
      "document.body.dataset.label=labels.map(t=>Math.ceil(t.getComputedTextLength())).join(',');");
  std::smatch m;
  REQUIRE(std::regex_search(
      dom, m,
      std::regex("data-sw=\"([0-9]+)\" data-over=\"([-0-9,]+)\" data-label=\"([0-9]+),([0-9]+),"
                 "([0-9]+),([0-9]+)\"")));
  CHECK(std::stoi(m[1]) <= 1400);
  // The timeline's labels end before its bars (x = 180): long ids are shortened around an
  // ellipsis, the whole id in a tooltip; 24 wide letters ('m') may still not fit, and are
  // clipped at the column's edge whatever the font.
  CHECK(std::stoi(m[3]) <= 176);
  CHECK(std::stoi(m[5]) <= 176);
  CHECK(std::stoi(m[6]) <= 176);
  std::string html = ReadFile(dir + "/r.html");
  CHECK(html.find("<clipPath id=\"timeline-labels\"><rect x=\"0\" y=\"0\" width=\"176\"") !=
        std::string::npos);
  CHECK(html.find("restore-to-\u2026ce-then-swap<title>" + ids[2] + "</title>") !=
        std::string::npos);
  std::string over = m[2].str();
  INFO("px past the box, per step: " << over);
  int boxes = 0;
  for (size_t s = 0; s <= over.size();) {
    size_t comma = std::min(over.find(',', s), over.size());
    CHECK(std::stoi(over.substr(s, comma - s)) <= 0);
    ++boxes;
    s = comma + 1;
  }
  CHECK(boxes == 4);
}
