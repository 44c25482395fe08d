// The report formats on records built in memory: names with markup in them are escaped in
// the Graphviz DAG, the HTML and the Markdown; the incident clock of a resumed run; every
// artifact kind read from step outputs; the format taken from a file name.
#include "engine/audit/report.h"

#include <catch2/catch.hpp>

using namespace runbook;

namespace {

Value GraphStep(const std::string& id, std::vector<std::string> needs, bool is_finally = false) {
  Value::List n;
  for (const std::string& d : needs) n.push_back(Value(d));
  return Value(Value::Map{{"id", Value(id)},
                          {"uses", Value("exec")},
                          {"finally", Value(is_finally)},
                          {"needs", Value(std::move(n))}});
}

StepView Step(const std::string& id, const std::string& outcome, Value::Map outputs = {}) {
  StepView s;
  s.id = id;
  s.type = "exec";
  s.outcome = outcome;
  s.finished_at = "2026-01-02T03:00:00.000Z";
  s.outputs = std::move(outputs);
  return s;
}

const std::string kHostile = "a<b>&\"c";

RunRecord Hostile() {
  RunRecord r;
  r.run_id = "R2";
  r.status = "success";
  r.started = Value(
      Value::Map{{"runbook", Value("rb")},
                 {"graph", Value(Value::List{GraphStep(kHostile, {}), GraphStep("x\\N", {kHostile}),
                                             GraphStep("end", {"x\\N"}, true)})}});
  r.steps = {Step(kHostile, "success"), Step("x\\N", "failure"), Step("end", "")};
  r.approvals.push_back({"gate", "alice", "2026-01-02T03:00:00.000Z", 5,
                         Value::Map{{"ticket", Value("INC-1 | <i>x</i>")}}, "", ""});
  return r;
}

}  // namespace

TEST_CASE("the DAG escapes every name and colours boxes by outcome", "[report][audit]") {
  std::string svg = DagSvg(Hostile());
  REQUIRE(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("a&lt;b&gt;&amp;&quot;c") != std::string::npos);
  CHECK(svg.find(kHostile) == std::string::npos);
  CHECK(svg.find(">x\\N<") != std::string::npos);  // a backslash stays one: no \N expansion
  CHECK(svg.find(OutcomeColour("success")) != std::string::npos);
  CHECK(svg.find(OutcomeColour("failure")) != std::string::npos);
  CHECK(svg.find("stroke-dasharray") != std::string::npos);  // the finally step
  CHECK(DagSvg(RunRecord{}).find("no graph recorded") != std::string::npos);
}

TEST_CASE("approval inputs with markup are escaped in html and markdown", "[report][audit]") {
  RunRecord r = Hostile();
  std::string html = ReportHtml(r), md = ReportMarkdown(r);
  CHECK(html.find("INC-1 | &lt;i&gt;x&lt;/i&gt;") != std::string::npos);
  CHECK(html.find("<i>x</i>") == std::string::npos);
  CHECK(md.find("INC-1 \\| <i>x</i>") != std::string::npos);  // a cell, not a column break
  CHECK(html.find("alice") != std::string::npos);
}

TEST_CASE("markdown shows what steps printed as text, never as markup", "[report][audit]") {
  // breakN N12: a failed step's note, a step's results and a step id reached a ticket
  // renderer as HTML and links. Variants: each markup kind, in each place a step fills.
  RunRecord r = Hostile();
  r.steps[1].reason = "exit code 1: out <script>alert(1)</script> [approved](http://e.x) *b*";
  r.steps[1].outputs = Value::Map{{"t", Value("<svg onload=alert(2)> ![i](http://e.x/i.png)")}};
  r.steps[0].outputs = Value::Map{{"path", Value("/d/`x`|y")}};
  std::string md = ReportMarkdown(r);
  INFO(md);
  // Unescaped, outside code spans (which are literal: `a<b>` in one shows as typed).
  for (const char* raw : {"out <script>", " [approved]", "t=<svg", " ![i]", " *b*", "| a<b>"})
    CHECK(md.find(raw) == std::string::npos);
  CHECK(md.find("\\<script\\>alert(1)\\</script\\>") != std::string::npos);
  CHECK(md.find("\\[approved\\](http://e.x)") != std::string::npos);
  CHECK(md.find("a\\<b\\>\\&\"c") != std::string::npos);  // the step id too
}

TEST_CASE("a resumed run's RTO is the incident clock, its own duration beside it",
          "[report][audit]") {
  RunRecord r;
  r.run_id = "R3";
  r.started = Value(Value::Map{{"resumed_from", Value("R2")},
                               {"incident_started_at", Value("2026-01-02T03:00:00.000Z")}});
  r.finished = Value(Value::Map{{"duration_ms", Value(int64_t{2330})}});
  r.run_chain = {RunRow{}, RunRow{}, RunRow{}};
  r.run_chain[0].run_id = "R1";
  r.run_chain[1].run_id = "R2";
  r.run_chain[2].run_id = "R3";
  CHECK(RtoClock(r) == "incident");
  CHECK(RtoClockText(r) ==
        "incident clock: counted from the first run R1 (incident started "
        "2026-01-02T03:00:00.000Z) across every resume; this run alone took 2.33s");
  Value v = ReportValue(r);
  CHECK(v.Find("run_chain")->as_list().size() == 3);
  CHECK(v.Find("run_chain")->as_list()[2].Find("this_run")->as_bool());
  CHECK(ReportMarkdown(r).find("1. `R1` original") != std::string::npos);
  r.started = Value(Value::Map{});
  CHECK(RtoClock(r) == "run");
}

TEST_CASE("artifacts come from step outputs: files, objects and the restored backup",
          "[report][audit]") {
  RunRecord r;
  Value::Map object{{"key", Value("drill/app.gz")},
                    {"size", Value(int64_t{364})},
                    {"etag", Value("\"0123abcd\"")},
                    {"sha256", Value("feed")}};
  r.steps = {Step("dump", "success",
                  {{"path", Value("/b/app.gz")},
                   {"sha256", Value("beef")},
                   {"size", Value(int64_t{364})},
                   {"key_id", Value("k-77")}}),
             Step("up", "success", {{"objects", Value(Value::List{Value(object)})}}),
             Step("restore", "success",
                  {{"target", Value("/r/app.sqlite")},
                   {"created_at", Value("2026-01-02T01:00:00.000Z")}})};
  auto a = Artifacts(r);
  REQUIRE(a.size() == 3);
  CHECK((a[0].name == "/b/app.gz" && a[0].sha256 == "beef" && a[0].bytes == 364));
  CHECK(a[0].note.find("signing key id k-77") != std::string::npos);
  CHECK((a[1].name == "drill/app.gz" && a[1].etag == "\"0123abcd\"" && a[1].bytes == 364));
  CHECK((a[2].name == "/r/app.sqlite" && a[2].age_ms == 2 * 3600 * 1000));
  CHECK(a[2].note.find("2h00m old at restore") != std::string::npos);
  // Carried over from an earlier run: restored then, not when this run carried it over.
  r.steps[2].restored_from = "R1";
  r.steps[2].finished_at = "2026-01-09T00:00:00.000Z";
  a = Artifacts(r);
  CHECK_FALSE(a[2].age_ms);
  CHECK(a[2].note.find("2026-01-02T01:00:00.000Z in run R1") != std::string::npos);
}

TEST_CASE("the report format comes from --format, else the output's extension", "[report][audit]") {
  CHECK(ReportFormatFor("", "r.html") == "html");
  CHECK(ReportFormatFor("", "dir.v2/R.HTM") == "html");
  CHECK(ReportFormatFor("", "r.json") == "json");
  CHECK(ReportFormatFor("", "r.md") == "md");
  CHECK(ReportFormatFor("", "") == "md");
  CHECK(ReportFormatFor("", "html") == "md");  // a name, not an extension
  CHECK(ReportFormatFor("json", "r.html") == "json");
  CHECK(ReportFormatFor("", "r.pdf") == "pdf");
  CHECK(ReportFormatFor("", "R.PDF") == "pdf");
  CHECK(ReportFormatFor("", "r.docx").empty());  // breakM M16: refused, not Markdown
  CHECK(ReportFormatFor("", "r.pdf.bak").empty());
  CHECK(ReportFormatFor("", "r.txt") == "md");  // Markdown is text
  CHECK(ReportFormatFor("", "r.markdown") == "md");
  CHECK(ReportFormatFor("md", "r.pdf") == "md");  // --format says it
}

TEST_CASE("an objective not measured keeps its row and says why", "[report][audit]") {
  RunRecord r;
  r.finished = Value(Value::Map{
      {"rto", Value(Value::Map{{"measured", Value(false)},
                               {"objective_ms", Value(int64_t{60000})},
                               {"approval_wait_ms", Value(int64_t{0})},
                               {"note", Value("the step marked 'rto: end' ('b') did not run")}})},
      {"rpo",
       Value(Value::Map{{"measured", Value(false)}, {"objective_ms", Value(int64_t{60000})}})},
  });
  std::string md = ReportMarkdown(r), html = ReportHtml(r);
  CHECK(md.find("| RTO | - vs objective 1m00s — **not measured** (approval wait 0ms); the step "
                "marked 'rto: end' ('b') did not run |") != std::string::npos);
  CHECK(md.find("| RPO | - vs objective 1m00s — **not measured** |") != std::string::npos);
  CHECK(html.find("the step marked &#39;rto: end&#39;") == std::string::npos);  // not over-escaped
  CHECK(html.find("the step marked 'rto: end' ('b') did not run") != std::string::npos);
}

TEST_CASE("a killed run's report gives no time it does not know", "[report][audit]") {
  // breakN N29: the time a later command marked the run interrupted read as its end, the
  // killed step "took 0ms", and "the run took unfinished".
  RunRecord r;
  r.run_id = "R1";
  r.status = "interrupted";
  r.started_at = "2026-12-02T03:31:06.000Z";
  r.finished_at = "2026-12-02T03:31:13.266Z";
  r.started = Value(Value::Map{{"runbook", Value("rb")}});
  StepView a = Step("a", "");
  a.finished_at = "";
  AttemptView at;
  at.number = 1;
  at.started_at = "2026-12-02T03:31:06.100Z";
  at.output_so_far_at = "2026-12-02T03:31:09.162Z";
  a.attempts.push_back(at);
  r.steps = {a};
  for (const std::string& text : {ReportMarkdown(r), ReportHtml(r)}) {
    CHECK(text.find("never: its process was found gone at 2026-12-02T03:31:13.266Z by a later "
                    "command; the last thing recorded of it is from 2026-12-02T03:31:09.162Z") !=
          std::string::npos);
    CHECK(text.find("the run never finished") != std::string::npos);
    CHECK(text.find("0ms") == std::string::npos);
  }
  CHECK(ReportMarkdown(r).find("| a | exec | unfinished | 1 | - |") != std::string::npos);
}

TEST_CASE("a running run's report says it is running and lists its objectives unmeasured",
          "[report][audit]") {
  // breakFF F9: it said the run "never finished" and left out the objectives it has.
  RunRecord r;
  r.run_id = "R1";
  r.status = "running";
  r.started_at = "2026-12-02T03:31:06.000Z";
  r.started =
      Value(Value::Map{{"runbook", Value("rb")},
                       {"objectives", Value(Value::Map{{"rto_ms", Value(int64_t{3600000})},
                                                       {"rpo_ms", Value(int64_t{7200000})}})}});
  for (const std::string& text : {ReportMarkdown(r), ReportHtml(r)}) {
    CHECK(text.find("the run is still running") != std::string::npos);
    CHECK(text.find("never finished") == std::string::npos);
    CHECK(text.find("1h00m") != std::string::npos);
    CHECK(text.find("2h00m") != std::string::npos);
    CHECK(text.find("not measured yet: the run is still running") != std::string::npos);
  }
  Value json = ReportValue(r);
  CHECK(json.Find("rto")->Find("objective_ms")->as_int() == 3600000);
  CHECK_FALSE(json.Find("rpo")->Find("measured")->as_bool());
  // Without objectives there is nothing to list.
  r.started = Value(Value::Map{{"runbook", Value("rb")}});
  CHECK(ReportValue(r).Find("rto")->is_null());
}

namespace {

// The width and height (pt) of the first <svg> element in `html`; {0, 0} when none.
std::pair<double, double> SvgSize(const std::string& html) {
  size_t at = html.find("<svg width=\"");
  if (at == std::string::npos) return {0, 0};
  double w = std::stod(html.substr(at + 12));
  size_t h = html.find("height=\"", at);
  return {w, std::stod(html.substr(h + 8))};
}

}  // namespace

TEST_CASE("a wide layer of steps is drawn as a column, a chain stays top to bottom",
          "[report][audit]") {
  // breakN N28: a loop over 30 databases was one 4760 pt row, scaled to a quarter.
  RunRecord wide;
  wide.run_id = "W";
  Value::List graph{GraphStep("root", {})};
  std::vector<std::string> all;
  for (int i = 0; i < 30; ++i) {
    std::string id = "db-" + std::to_string(i);
    graph.push_back(GraphStep(id, {"root"}));
    all.push_back(id);
  }
  graph.push_back(GraphStep("join", all));
  wide.started = Value(Value::Map{{"graph", Value(std::move(graph))}});
  auto [w, h] = SvgSize(DagSvg(wide));
  CHECK(w > 0);
  CHECK(w < 800);  // fits a 1400 px window without being scaled down
  CHECK(h > w);

  RunRecord chain;
  chain.run_id = "C";
  chain.started =
      Value(Value::Map{{"graph", Value(Value::List{GraphStep("a", {}), GraphStep("b", {"a"}),
                                                   GraphStep("c", {"b"})})}});
  auto [cw, ch] = SvgSize(DagSvg(chain));
  CHECK(ch > cw);  // layers top to bottom
}

TEST_CASE("the verify command a report prints runs as printed", "[report][audit]") {
  // breakO O25: the store path was unquoted: a space split it, `$(...)` ran when pasted, a
  // backtick broke the Markdown code span.
  RunRecord r = Hostile();
  r.store_path = "/srv/my store/$(id)`x`/a.db";
  CHECK(VerifyCommand(r) == "runbook audit verify --audit-db '/srv/my store/$(id)`x`/a.db'");
  CHECK(
      ReportMarkdown(r).find("``runbook audit verify --audit-db '/srv/my store/$(id)`x`/a.db'``") !=
      std::string::npos);
}
